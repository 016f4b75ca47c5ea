// SPDX-License-Identifier: Apache-2.0
import type { Command } from '../command.js';
import { choiceOption, numberOption, parse } from '../args.js';
import { labelsOption, threadsOption } from '../options.js';
import { BATCH_OPTIONS, BATCH_USAGE, imageOutputs, planBatch, runBatch } from '../batch.js';
import { load } from '../../api.js';
import { BACKEND_KINDS } from '../../backend/create.js';
import type { NmsMode } from '../../app/detect.js';
import { ARITHMETICS, DEFAULT_REQUANTIZATION, REQUANTIZATION_PROFILE_NAMES } from '../../app/arithmetic.js';
import { drawDetections } from '../../io/image/draw.js';
import { encodePng } from '../../io/image/decode.js';
import { writeFileBytes } from '../../io/files.js';
import { usageError } from '../../errors.js';

const USAGE = `usage: mobilenetv2 detect IMAGE... --model PATH [--out boxes.png] [--json] [--score S] [--iou T]
                        [--max N] [--nms tflite|per-class|class-agnostic] [--labels FILE]
                        [--backend scalar|ts-fast|wasm-simd|auto] [--threads N]
                        [--arithmetic integer|float] [--requantization P]

Detects objects with an SSDLite-MobileNetV2 .tflite file (a TF Object Detection API export such as
ssdlite_mobilenet_v2_coco, or one written by 'mobilenetv2 convert --head ssdlite') and prints each
detection: score, label, box in pixels of the original image (x, y = top-left corner).

  --model PATH   the .tflite detector (required)
  --out F.png    also write the image at its original resolution with labelled boxes; with
                 several images, a directory that receives <image name>.png for each
  --json         print { image, model, arithmetic, width, height, detections: [{ label, classIndex,
                 cocoId, score, box (normalised ymin/xmin/ymax/xmax), boxPixels, scores }],
                 postprocessing, preprocessing }
  --score S      minimum score (default 0.5; 'tflite' keeps score >= S, the others score > S)
  --iou T        NMS IoU threshold, suppress when IoU > T (default: the file's, else 0.6)
  --max N        most detections (default: the file's max_detections, else 100)
  --nms M        tflite: exactly what the file's TFLite_Detection_PostProcess op computes (default
                 when the file has it; boxes not clipped); per-class: the TF OD API's per-class NMS
                 (default otherwise; boxes clipped to the image); class-agnostic: one NMS over all
  --labels FILE  class names, one per line: line k = class k (or, with one line more, line 0 =
                 background); default: the model's TFLite metadata label file, else COCO's
  --backend B    layer implementation: auto (default: WASM SIMD if available, else ts-fast),
                 scalar (the float64-accumulating reference), ts-fast, wasm-simd
  --threads N    worker threads for the fast backends (default 1)
  --arithmetic A integer (default for int8/uint8 quantized files: every layer in 8-bit integer
                 arithmetic, bit for bit as the TFLite interpreter, the file's own LOGISTIC scores;
                 boxes from the exactly dequantized outputs) or float (dequantized weights)
  --requantization P  integer path's rounding profile: ${REQUANTIZATION_PROFILE_NAMES.join(', ')} (default ${DEFAULT_REQUANTIZATION})

COCO models: 90 classes, label = the COCO category name of id classIndex + 1 ('N/A' for the 10
unused ids). The image is stretched to the model input (TF1 bilinear resize) and scaled to [-1, 1].

${BATCH_USAGE}`;

export const detectCommand: Command = {
  summary: 'detect objects with an SSDLite .tflite; print boxes, optionally draw them into a PNG',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse('detect', argv, {
      model: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' },
      score: { type: 'string' }, iou: { type: 'string' }, max: { type: 'string' }, nms: { type: 'string' },
      backend: { type: 'string' }, threads: { type: 'string' }, labels: { type: 'string' },
      arithmetic: { type: 'string' }, requantization: { type: 'string' },
      ...BATCH_OPTIONS,
    }, true);
    if (typeof values.model !== 'string') throw usageError("detect: --model PATH is required (an SSDLite .tflite; see 'mobilenetv2 help detect')");
    const scoreThreshold = numberOption('detect', 'score', values.score, (v) => v >= 0 && v <= 1, 'a number in [0, 1]') ?? 0.5;
    const iouThreshold = numberOption('detect', 'iou', values.iou, (v) => v > 0 && v <= 1, 'a number in (0, 1]');
    const maxDetections = numberOption('detect', 'max', values.max, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
    const nms = choiceOption<NmsMode>('detect', 'nms', values.nms, ['tflite', 'per-class', 'class-agnostic']);
    const backend = choiceOption('detect', 'backend', values.backend, BACKEND_KINDS) ?? 'auto';
    const threads = threadsOption('detect', values.threads, (m) => io.err(m));
    const batch = planBatch('detect', positionals, values);
    const outFor = imageOutputs('detect', 'out', values.out, batch.images);
    const model = await load({
      model: values.model, backend, threads, allowDownload: false, log: (m) => io.err(m), labels: labelsOption(values.labels),
      arithmetic: choiceOption('detect', 'arithmetic', values.arithmetic, ARITHMETICS),
      requantization: choiceOption('detect', 'requantization', values.requantization, REQUANTIZATION_PROFILE_NAMES),
    });
    try {
      return await runBatch({
        command: 'detect', io, settings: batch, json: values.json === true, singleObject: true,
        async run(image, img) {
          const r = await model.detect(img, { scoreThreshold, iouThreshold, maxDetections, nms });
          const out = outFor?.(image);
          if (out) writeFileBytes(out, encodePng(drawDetections(img, r.detections)), 'output image');
          return { r, img, out };
        },
        toJson: (_image, { r, img, out }) => {
          const coco = r.labelSet === 'coco-91';
          return {
            model: model.name, arithmetic: r.arithmetic, width: img.width, height: img.height,
            detections: r.detections.map((d) => ({
              label: d.label, classIndex: d.classIndex, ...(coco ? { cocoId: d.classIndex + 1 } : {}), score: d.score,
              box: d.box, boxPixels: d.boxPixels, anchorIndex: d.anchorIndex, scores: Array.from(d.scores),
            })),
            postprocessing: r.postprocessing,
            preprocessing: r.preprocessing,
            ...(out ? { out } : {}),
          };
        },
        print: (image, { r, img, out }) => {
          const coco = r.labelSet === 'coco-91';
          const p = r.postprocessing;
          io.out(`${image}  ${img.width}x${img.height}  (${model.name}${r.arithmetic.kind === 'integer' ? `, integer ${r.arithmetic.requantization}` : ''})`);
          io.out(`  ${r.detections.length} detection${r.detections.length === 1 ? '' : 's'}: nms ${p.nms}, score ${p.scoreComparison} ${p.scoreThreshold}, IoU > ${p.iouThreshold} suppressed, max ${p.maxDetections}`);
          for (const d of r.detections) {
            const b = d.boxPixels;
            const id = coco ? ` (COCO id ${d.classIndex + 1})` : '';
            io.out(`  ${(d.score * 100).toFixed(1).padStart(5)}%  ${`${d.label}${id}`.padEnd(28)} x ${b.x.toFixed(1)}  y ${b.y.toFixed(1)}  w ${b.width.toFixed(1)}  h ${b.height.toFixed(1)}`);
          }
          if (out) io.err(`wrote ${out} (${img.width}x${img.height}, ${r.detections.length} boxes)`);
        },
      });
    } finally {
      model.dispose();
    }
  },
};
