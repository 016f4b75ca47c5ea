// SPDX-License-Identifier: Apache-2.0
import { writeFileBytes } from '../../io/files.js';
import type { Command } from '../command.js';
import { choiceOption, numberOption, parse } from '../args.js';
import { threadsOption } from '../options.js';
import { BATCH_OPTIONS, BATCH_USAGE, imageOutputs, planBatch, runBatch } from '../batch.js';
import { load } from '../../api.js';
import { ARITHMETICS, DEFAULT_REQUANTIZATION, REQUANTIZATION_PROFILE_NAMES } from '../../app/arithmetic.js';
import { BACKEND_KINDS } from '../../backend/create.js';
import { DEFAULT_SEGMENTER, modelsDir } from '../../io/registry.js';
import { encodePng } from '../../io/image/decode.js';
import { renderClassMap, renderOverlay } from '../../io/image/render-segmentation.js';

const USAGE = `usage: mobilenetv2 segment IMAGE... [--model NAME|PATH] [--out overlay.png] [--mask mask.png] [--json]
                         [--alpha 0.5] [--no-legend] [--interpolation bilinear|nearest] [--backend B] [--threads N]
                         [--arithmetic integer|float] [--requantization P]

Semantic segmentation with a Mobile DeepLabv3 TFLite model (PASCAL VOC, 21 classes, 0 = background).
The image is resized so its longer side fits the model and padded, as DeepLab does; the class map
comes back at the ORIGINAL image's size (padding removed, scores resized, then argmax).

  --model M          registry name or .tflite path (default ${DEFAULT_SEGMENTER}); named models are
                     looked up in $MOBILENETV2_MODELS (now: ${modelsDir()})
  --out FILE.png     write a colour overlay PNG (the image with the class colours blended in);
                     with several images, a directory that receives <image name>.png for each
  --mask FILE.png    write the class-id PNG (8-bit gray, pixel value = class id); a directory likewise
  --alpha A          overlay opacity in [0, 1] (default 0.5)
  --no-legend        leave out the overlay's legend (top-left: a colour swatch and the name of every
                     class painted, most pixels first)
  --interpolation I  bilinear (default: resize scores, then argmax) or nearest (DeepLab's export_model.py)
  --backend B        auto (default: WASM SIMD if available, else ts-fast), scalar (the reference), ts-fast, wasm-simd
  --threads N        worker threads for wasm-simd (default 1)
  --arithmetic A     integer (default for uint8/int8 quantized files: every layer in 8-bit integer
                     arithmetic, bit for bit as the TFLite interpreter; the class map from the
                     exactly dequantized logits) or float (dequantized weights)
  --requantization P integer path's rounding profile: ${REQUANTIZATION_PROFILE_NAMES.join(', ')} (default ${DEFAULT_REQUANTIZATION})
  --all-classes      also list classes under 0.01 % of the pixels (hidden from the text output; --json has all)
  --json             print { image, model, arithmetic, width, height, classes: [{ id, name, pixels, fraction }],
                     policy, preprocessing } (an array of them for several images)

${BATCH_USAGE}`;

export const segmentCommand: Command = {
  summary: 'segment an image with Mobile DeepLabv3; write overlay and class-id PNGs',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse('segment', argv, {
      model: { type: 'string' }, out: { type: 'string' }, mask: { type: 'string' }, json: { type: 'boolean' },
      alpha: { type: 'string' }, interpolation: { type: 'string' }, backend: { type: 'string' }, threads: { type: 'string' },
      'all-classes': { type: 'boolean' }, 'no-legend': { type: 'boolean' },
      arithmetic: { type: 'string' }, requantization: { type: 'string' }, ...BATCH_OPTIONS,
    }, true);
    const alpha = numberOption('segment', 'alpha', values.alpha, (v) => v >= 0 && v <= 1, 'a number in [0, 1]') ?? 0.5;
    const interpolation = choiceOption('segment', 'interpolation', values.interpolation, ['bilinear', 'nearest'] as const) ?? 'bilinear';
    const backend = choiceOption('segment', 'backend', values.backend, BACKEND_KINDS) ?? 'auto';
    const threads = threadsOption('segment', values.threads, (m) => io.err(m));
    const batch = planBatch('segment', positionals, values);
    const outFor = imageOutputs('segment', 'out', values.out, batch.images);
    const maskFor = imageOutputs('segment', 'mask', values.mask, batch.images);
    const model = await load({
      model: (values.model as string | undefined) ?? DEFAULT_SEGMENTER, backend, threads, log: (m) => io.err(m),
      arithmetic: choiceOption('segment', 'arithmetic', values.arithmetic, ARITHMETICS),
      requantization: choiceOption('segment', 'requantization', values.requantization, REQUANTIZATION_PROFILE_NAMES),
    });
    try {
      return await runBatch({
        command: 'segment', io, settings: batch, json: values.json === true, singleObject: true,
        async run(image, img) {
          const r = await model.segment(img, { interpolation });
          const out = outFor?.(image);
          const mask = maskFor?.(image);
          const legend = values['no-legend'] === true ? undefined : { names: r.legend.map((e) => e.name) };
          if (out) writeFileBytes(out, encodePng(renderOverlay(r.image, r.classMap, alpha, { legend })), 'overlay image');
          if (mask) writeFileBytes(mask, encodePng(renderClassMap(r.classMap, { format: 'ids' })), 'class-id image');
          const classes = r.present.map((id) => r.legend[id]!).map((e) => ({ id: e.id, name: e.name, pixels: e.pixels, fraction: e.fraction }));
          return { r, classes, out, mask };
        },
        toJson: (_image, { r, classes, out, mask }) => ({
          model: model.name, arithmetic: r.arithmetic, width: r.classMap.width, height: r.classMap.height, classes, policy: r.policy, preprocessing: r.preprocessing,
          ...(out ? { overlay: out } : {}), ...(mask ? { mask } : {}),
        }),
        print: (image, { r, classes, out, mask }) => {
          io.out(`${image}  ${r.classMap.width}x${r.classMap.height}  (${model.name}${r.arithmetic.kind === 'integer' ? `, integer ${r.arithmetic.requantization}` : ''})`);
          // Classes under 0.01 % of the pixels are a few stray pixels: hidden from the text unless asked.
          const shown = values['all-classes'] ? classes : classes.filter((c) => c.fraction >= 1e-4);
          for (const c of shown) io.out(`  ${(c.fraction * 100).toFixed(2).padStart(6)}%  ${String(c.id).padStart(2)}  ${c.name}`);
          if (shown.length < classes.length) io.out(`  (${classes.length - shown.length} more class${classes.length - shown.length === 1 ? '' : 'es'} under 0.01 %; --all-classes shows them)`);
          if (out) io.out(`overlay: ${out}`);
          if (mask) io.out(`class ids: ${mask}`);
        },
      });
    } finally {
      model.dispose();
    }
  },
};
