// SPDX-License-Identifier: Apache-2.0
import type { Command } from '../command.js';
import { choiceOption, numberOption, parse } from '../args.js';
import { labelsOption, threadsOption } from '../options.js';
import { BATCH_OPTIONS, BATCH_USAGE, planBatch, runBatch } from '../batch.js';
import { ARITHMETICS, DEFAULT_REQUANTIZATION, REQUANTIZATION_PROFILE_NAMES } from '../../app/arithmetic.js';
import { load } from '../../api.js';
import { BACKEND_KINDS } from '../../backend/create.js';
import { DEFAULT_CLASSIFIER, modelsDir } from '../../io/registry.js';
import { usageError } from '../../errors.js';
import { describeConventions, parseProfileName, PROFILE_NAMES } from '../../io/conventions.js';
import { decodeSizeNeeded, NORMALIZATION_NAMES, RESIZE_METHODS, type ExplicitResizeMethod, type NormalizationName } from '../../io/image/preprocess.js';
import { RESIZE_COORDINATE_MODES } from '../../../kernels/f32-resize-nhwc.js';

const USAGE = `usage: mobilenetv2 classify IMAGE... [--model NAME|PATH] [--top K] [--json]
                          [--backend scalar|ts-fast|wasm-simd|auto] [--threads N]
                          [--profile ${PROFILE_NAMES.join('|')}] [--resize R] [--crop F]
                          [--normalization N] [--labels FILE] [--self-check [--self-check-threshold X]]
                          [--memory efficient|layerwise] [--jpeg-scaling auto|on|off] [--arithmetic integer|float]

Classifies JPEG, PNG or BMP images with a MobileNetV2 TFLite classifier and prints the top-K
classes with their probabilities.

  --model M      registry name or .tflite path (default ${DEFAULT_CLASSIFIER}); named models are
                 looked up in $MOBILENETV2_MODELS (now: ${modelsDir()}) and checked against their sha256
  --top K        how many classes to print (default 5)
  --json         print [{ image, model, arithmetic, predictions: [{ index, label, probability }], preprocessing,
                 conventions, decodedScale? }] (decodedScale: { factor, fullWidth, fullHeight } when DCT-scaled)
  --backend B    layer implementation: auto (default: WASM SIMD if available, else ts-fast),
                 scalar (the float64-accumulating reference), ts-fast, wasm-simd
  --threads N    worker threads for the fast backends (default 1)
  --profile P    convention profile for preparing images (default: the model's registry entry,
                 else tflite); the record is printed with --json and on stderr
  --resize R     override: bilinear-half-pixel, bilinear-align-corners, bilinear-asymmetric
                 (or just half-pixel, align-corners, asymmetric), nearest-half-pixel,
                 nearest-align-corners, nearest-asymmetric
  --crop F       override: central crop fraction in (0, 1] (TF-slim eval: 0.875)
  --normalization N  override: tf-inception ([-1, 1]), torch-imagenet, unit ([0, 1]), raw-uint8
  --memory M     efficient (default on wasm-simd): fused bottlenecks (paper §5.1), the expanded
                 tensors never materialised; or layerwise (default on ts-fast and scalar);
                 bit-identical results either way; with the option given, the
                 measured activation peak is printed on stderr
  --labels FILE  class names, one per line (as many as the model's outputs, or one fewer when
                 output 0 is background); default: the model's TFLite metadata label file, else
                 the registry's list
  --arithmetic A integer (default for uint8/int8 quantized files: every layer in 8-bit integer
                 arithmetic, bit for bit as the TFLite interpreter; probabilities are the file's own
                 uint8 softmax, multiples of 1/256) or float (float kernels, exactly dequantized weights)
  --requantization P  integer path's rounding profile: ${REQUANTIZATION_PROFILE_NAMES.join(', ')} (default ${DEFAULT_REQUANTIZATION})
  --jpeg-scaling S  auto (default), on or off. A scaled JPEG, at least twice the size the model
                 needs (input size / crop), is decoded at 1/2, 1/4 or 1/8 in the DCT domain (the
                 largest factor that keeps it ≥ that size): each pixel is then the mean of an f×f
                 box of the full decode (±1.5 levels), which bounds memory by the model's input
                 size, not the photo's; the resize convention that follows is unchanged.
                 auto scales only photos above 16 megapixels (smaller ones decode at full size,
                 as every peer does); on scales every JPEG it can; off never scales
  --full-decode  the same as --jpeg-scaling off
  --self-check   rerun sampled layers of the backend on the scalar oracle (first image) and fail
                 if any diverges beyond the derived bound (× --self-check-threshold, default 1)

${BATCH_USAGE}`;

/** Photos above this many pixels are DCT-scaled by default (smaller ones decode at full size, as every peer does). */
const LARGE_PHOTO_PIXELS = 16_000_000;

export const classifyCommand: Command = {
  summary: 'classify images with a MobileNetV2 classifier (TFLite, float or quantized)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse('classify', argv, {
      model: { type: 'string' }, top: { type: 'string' }, json: { type: 'boolean' },
      backend: { type: 'string' }, threads: { type: 'string' },
      profile: { type: 'string' }, resize: { type: 'string' }, crop: { type: 'string' }, normalization: { type: 'string' },
      'self-check': { type: 'boolean' }, 'self-check-threshold': { type: 'string' }, memory: { type: 'string' }, labels: { type: 'string' },
      arithmetic: { type: 'string' }, requantization: { type: 'string' },
      'full-decode': { type: 'boolean' }, 'jpeg-scaling': { type: 'string' },
      ...BATCH_OPTIONS,
    }, true);
    const batch = planBatch('classify', positionals, values);
    const topK = numberOption('classify', 'top', values.top, (v) => Number.isInteger(v) && v >= 1, 'a positive integer') ?? 5;
    const backend = choiceOption('classify', 'backend', values.backend, BACKEND_KINDS) ?? 'auto';
    const threads = threadsOption('classify', values.threads, (m) => io.err(m));
    const profile = values.profile === undefined ? undefined : parseProfileName(values.profile);
    // 'half-pixel' etc. alone mean the bilinear kernel.
    const resizeRaw = typeof values.resize === 'string' && (RESIZE_COORDINATE_MODES as readonly string[]).includes(values.resize) ? `bilinear-${values.resize}` : values.resize;
    const resize = choiceOption<ExplicitResizeMethod>('classify', 'resize', resizeRaw, RESIZE_METHODS);
    const centralCrop = numberOption('classify', 'crop', values.crop, (v) => v > 0 && v <= 1, 'a fraction in (0, 1]');
    const normalization = choiceOption<NormalizationName>('classify', 'normalization', values.normalization, NORMALIZATION_NAMES);
    const memory = choiceOption<'efficient' | 'layerwise'>('classify', 'memory', values.memory, ['efficient', 'layerwise']);
    const threshold = numberOption('classify', 'self-check-threshold', values['self-check-threshold'], (v) => v > 0, 'a positive number') ?? 1;
    const model = await load({
      model: (values.model as string | undefined) ?? DEFAULT_CLASSIFIER, backend, threads, log: (m) => io.err(m),
      profile, conventions: { resize, centralCrop, normalization }, memory, labels: labelsOption(values.labels),
      arithmetic: choiceOption('classify', 'arithmetic', values.arithmetic, ARITHMETICS),
      requantization: choiceOption('classify', 'requantization', values.requantization, REQUANTIZATION_PROFILE_NAMES),
    });
    try {
      const classes = model.plan.classifier?.classes ?? 0;
      if (topK > classes) throw usageError(`classify: --top ${topK} is more than the ${classes} classes of ${model.name}`);
      if (profile || resize || centralCrop !== undefined || normalization) io.err(`conventions: ${describeConventions(model.conventions())}`);
      if (values['self-check'] && batch.images.length > 0) io.err((await model.selfCheck({ image: batch.images[0]!, threshold })).summary);
      const need = decodeSizeNeeded({ width: model.plan.options.inputW, height: model.plan.options.inputH, centralCrop: model.conventions().centralCrop });
      const scaling = values['full-decode'] === true ? 'off' : choiceOption('classify', 'jpeg-scaling', values['jpeg-scaling'], ['auto', 'on', 'off'] as const) ?? 'auto';
      const decode = scaling === 'off' ? batch.decode : { ...batch.decode, jpegScaling: { ...need, minPixels: scaling === 'auto' ? LARGE_PHOTO_PIXELS : 0 } };
      const status = await runBatch({
        command: 'classify', io, settings: batch, json: values.json === true, decode,
        run: async (_image, img) => ({ r: await model.infer(img), scale: img.decodedScale }),
        toJson: (_image, { r, scale }) => ({
          model: model.name, arithmetic: r.arithmetic, predictions: r.predictions.slice(0, topK), preprocessing: r.preprocessing, conventions: r.conventions,
          ...(scale ? { decodedScale: scale } : {}),
        }),
        print: (image, { r, scale }) => {
          const { width, height } = r.preprocessing.source;
          const size = scale ? `${scale.fullWidth}x${scale.fullHeight} (decoded at 1/${scale.factor})` : `${width}x${height}`;
          io.out(`${image}  ${size}  (${model.name}, ${r.arithmetic.kind}${r.arithmetic.requantization ? ` ${r.arithmetic.requantization}` : ''})`);
          for (const p of r.predictions.slice(0, topK)) io.out(`  ${(p.probability * 100).toFixed(2).padStart(6)}%  ${String(p.index).padStart(4)}  ${p.label}`);
        },
      });
      const mem = model.memoryStats();
      if (memory !== undefined && mem) io.err(`memory: peak activations ${mem.peakBytes.toLocaleString('en-US')} B (arena high-water mark incl. tile scratch ${mem.tileScratchBytes.toLocaleString('en-US')} B, + input); ${mem.fusedBlocks} fused blocks`);
      return status;
    } finally {
      model.dispose();
    }
  },
};
