// SPDX-License-Identifier: Apache-2.0
import { writeFileSync } from 'node:fs';
import type { Command } from '../command.js';
import { choiceOption, numberOption, parse } from '../args.js';
import { load } from '../../api.js';
import { BACKEND_KINDS } from '../../backend/create.js';
import { DEFAULT_SEGMENTER, modelsDir } from '../../io/registry.js';
import { encodePng } from '../../io/image/decode.js';
import { renderClassMap, renderOverlay } from '../../io/image/render-segmentation.js';
import { usageError } from '../../errors.js';

const USAGE = `usage: mobilenetv2 segment IMAGE [--model NAME|PATH] [--out overlay.png] [--mask mask.png] [--json]
                         [--alpha 0.5] [--interpolation bilinear|nearest] [--backend B] [--threads N]

Semantic segmentation with a Mobile DeepLabv3 TFLite model (PASCAL VOC, 21 classes, 0 = background).
The image is resized so its longer side fits the model and padded, as DeepLab does; the class map
comes back at the ORIGINAL image's size (padding removed, scores resized, then argmax).

  --model M          registry name or .tflite path (default ${DEFAULT_SEGMENTER}); named models are
                     looked up in $MOBILENETV2_MODELS (now: ${modelsDir()})
  --out FILE         write a colour overlay PNG (the image with the class colours blended in)
  --mask FILE        write the class-id PNG (8-bit gray, pixel value = class id)
  --alpha A          overlay opacity in [0, 1] (default 0.5)
  --interpolation I  bilinear (default: resize scores, then argmax) or nearest (DeepLab's export_model.py)
  --backend B        auto (default: WASM SIMD if available, else ts-fast), scalar (the reference), ts-fast, wasm-simd
  --threads N        worker threads for wasm-simd (default 1)
  --json             print { image, model, width, height, classes: [{ id, name, pixels, fraction }], policy, preprocessing }`;

export const segmentCommand: Command = {
  summary: 'segment an image with Mobile DeepLabv3; write overlay and class-id PNGs',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse('segment', argv, {
      model: { type: 'string' }, out: { type: 'string' }, mask: { type: 'string' }, json: { type: 'boolean' },
      alpha: { type: 'string' }, interpolation: { type: 'string' }, backend: { type: 'string' }, threads: { type: 'string' },
    }, true);
    if (positionals.length !== 1) throw usageError(`segment: give exactly one image, got ${positionals.length} (see 'mobilenetv2 help segment')`);
    const alpha = numberOption('segment', 'alpha', values.alpha, (v) => v >= 0 && v <= 1, 'a number in [0, 1]') ?? 0.5;
    const interpolation = choiceOption('segment', 'interpolation', values.interpolation, ['bilinear', 'nearest'] as const) ?? 'bilinear';
    const backend = choiceOption('segment', 'backend', values.backend, BACKEND_KINDS) ?? 'auto';
    const threads = numberOption('segment', 'threads', values.threads, (v) => Number.isInteger(v) && v >= 1 && v <= 64, 'an integer from 1 to 64');
    const image = positionals[0]!;
    const model = await load({ model: (values.model as string | undefined) ?? DEFAULT_SEGMENTER, backend, threads, log: (m) => io.err(m) });
    try {
      const r = await model.segment(image, { interpolation });
      const { width, height } = r.classMap;
      if (typeof values.out === 'string') {
        const overlay = renderOverlay(r.image, r.classMap, alpha);
        writeFileSync(values.out, encodePng(overlay));
      }
      if (typeof values.mask === 'string') {
        writeFileSync(values.mask, encodePng(renderClassMap(r.classMap, { format: 'ids' })));
      }
      const classes = r.present.map((id) => r.legend[id]!).map((e) => ({ id: e.id, name: e.name, pixels: e.pixels, fraction: e.fraction }));
      if (values.json) {
        io.out(JSON.stringify({ image, model: model.name, width, height, classes, policy: r.policy, preprocessing: r.preprocessing }, null, 2));
      } else {
        io.out(`${image}  (${model.name}, ${width}x${height})`);
        for (const c of classes) io.out(`  ${(c.fraction * 100).toFixed(2).padStart(6)}%  ${String(c.id).padStart(2)}  ${c.name}`);
        if (values.out) io.out(`overlay: ${values.out}`);
        if (values.mask) io.out(`class ids: ${values.mask}`);
      }
    } finally {
      model.dispose();
    }
    return 0;
  },
};
