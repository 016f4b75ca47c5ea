// SPDX-License-Identifier: Apache-2.0
import type { Command } from '../command.js';
import { choiceOption, numberOption, parse } from '../args.js';
import { load } from '../../api.js';
import { BACKEND_KINDS } from '../../backend/create.js';
import { DEFAULT_CLASSIFIER, modelsDir } from '../../io/registry.js';
import { usageError } from '../../errors.js';
import { describeConventions, parseProfileName } from '../../io/conventions.js';
import type { ExplicitResizeMethod, NormalizationName } from '../../io/image/preprocess.js';

const USAGE = `usage: mobilenetv2 classify IMAGE... [--model NAME|PATH] [--top K] [--json]
                          [--backend scalar|ts-fast|wasm-simd|auto] [--threads N]
                          [--profile torchvision|tf-slim|keras|tflite] [--resize R] [--crop F]
                          [--normalization N] [--self-check [--self-check-threshold X]]

Classifies JPEG, PNG or BMP images with a MobileNetV2 TFLite classifier and prints the top-K
classes with their probabilities.

  --model M      registry name or .tflite path (default ${DEFAULT_CLASSIFIER}); named models are
                 looked up in $MOBILENETV2_MODELS (now: ${modelsDir()}) and checked against their sha256
  --top K        how many classes to print (default 5)
  --json         print [{ image, model, predictions: [{ index, label, probability }], preprocessing, conventions }]
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
  --self-check   rerun sampled layers of the backend on the scalar oracle (first image) and fail
                 if any diverges beyond the derived bound (× --self-check-threshold, default 1)`;

export const classifyCommand: Command = {
  summary: 'classify images with a MobileNetV2 classifier (TFLite, float or quantized)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse('classify', argv, {
      model: { type: 'string' }, top: { type: 'string' }, json: { type: 'boolean' },
      backend: { type: 'string' }, threads: { type: 'string' },
      profile: { type: 'string' }, resize: { type: 'string' }, crop: { type: 'string' }, normalization: { type: 'string' },
      'self-check': { type: 'boolean' }, 'self-check-threshold': { type: 'string' },
    }, true);
    if (positionals.length === 0) throw usageError("classify: give at least one image (see 'mobilenetv2 help classify')");
    const topK = numberOption('classify', 'top', values.top, (v) => Number.isInteger(v) && v >= 1, 'a positive integer') ?? 5;
    const backend = choiceOption('classify', 'backend', values.backend, BACKEND_KINDS) ?? 'auto';
    const threads = numberOption('classify', 'threads', values.threads, (v) => Number.isInteger(v) && v >= 1 && v <= 64, 'an integer from 1 to 64');
    const profile = values.profile === undefined ? undefined : parseProfileName(values.profile);
    // 'half-pixel' etc. alone mean the bilinear kernel.
    const resizeRaw = typeof values.resize === 'string' && ['half-pixel', 'align-corners', 'asymmetric'].includes(values.resize) ? `bilinear-${values.resize}` : values.resize;
    const resize = choiceOption<ExplicitResizeMethod>('classify', 'resize', resizeRaw, ['bilinear-half-pixel', 'bilinear-align-corners', 'bilinear-asymmetric', 'nearest-half-pixel', 'nearest-align-corners', 'nearest-asymmetric']);
    const centralCrop = numberOption('classify', 'crop', values.crop, (v) => v > 0 && v <= 1, 'a fraction in (0, 1]');
    const normalization = choiceOption<NormalizationName>('classify', 'normalization', values.normalization, ['tf-inception', 'torch-imagenet', 'unit', 'raw-uint8']);
    const threshold = numberOption('classify', 'self-check-threshold', values['self-check-threshold'], (v) => v > 0, 'a positive number') ?? 1;
    const model = await load({
      model: (values.model as string | undefined) ?? DEFAULT_CLASSIFIER, backend, threads, log: (m) => io.err(m),
      profile, conventions: { resize, centralCrop, normalization },
    });
    try {
      if (profile || resize || centralCrop !== undefined || normalization) io.err(`conventions: ${describeConventions(model.conventions())}`);
      if (values['self-check']) io.err((await model.selfCheck({ image: positionals[0]!, threshold })).summary);
      const results = [];
      for (const image of positionals) {
        const r = await model.infer(image);
        const predictions = r.predictions.slice(0, topK);
        if (values.json) {
          results.push({ image, model: model.name, predictions, preprocessing: r.preprocessing, conventions: r.conventions });
        } else {
          io.out(`${image}  (${model.name})`);
          for (const p of predictions) io.out(`  ${(p.probability * 100).toFixed(2).padStart(6)}%  ${String(p.index).padStart(4)}  ${p.label}`);
        }
      }
      if (values.json) io.out(JSON.stringify(results, null, 2));
    } finally {
      model.dispose();
    }
    return 0;
  },
};
