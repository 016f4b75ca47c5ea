// SPDX-License-Identifier: Apache-2.0
/**
 * A full-integer int8 SSDLite-MobileNetV2 made with our exporter (`exportSsdliteTflite(…, { int8 })`,
 * quantized as TFLite's converter does: src/io/tflite/ptq.ts) against the real TFLite interpreter,
 * every layer: the file is written with every layer output as a named graph output (`taps: true`)
 * and the raw outputs exposed (`rawOutputs`), the interpreter runs it, and our integer path
 * (`load()` → `model.runTensor`, `model.detect`) must give the same int8 values everywhere — 0 LSB —
 * on the same int8 input bytes, and the same detections as the file's TFLite_Detection_PostProcess.
 *
 * Weights: seeded random (randomSsdliteWeights; there are no trained SSDLite weights here): width
 * 0.5 at 160×160 with 21 class slots on every shared photo, and the full COCO layout (1.0, 300×300,
 * 91 slots, 1917 anchors) on two of them. Calibration: the shared photos but cat.bmp, prepared as
 * the float export of the same network prepares them ('tf-od-api': stretched to the input size,
 * x·2/255 − 1). Bit-exactness does not depend on the calibration. Controls: the reference requantization profile differs from the interpreter.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED, SHARED_DIR, sharedPath } from '../../helpers/shared.js';
import { openWithInterpreter, sharedPhotoCalibration } from '../../helpers/int8-calibration.js';
import { compareOutputsByName, type OracleArray, type TfliteInterpreter } from '../../helpers/tflite-oracle.js';
import { buildSsdlitePlan } from '../../../src/model/ssdlite.js';
import { defaultDetectionPostProcessOptions, exportSsdliteTflite, randomSsdliteWeights } from '../../../src/io/tflite/export.js';
import { calibrateSsdlite } from '../../../src/io/tflite/ptq.js';
import { readTfliteModel } from '../../../src/io/tflite/model.js';
import { createBackend } from '../../../src/backend/create.js';
import { load, type MobileNetV2Model } from '../../../src/api.js';

const allImages = HAVE_SHARED ? readdirSync(sharedPath('images')).filter((f) => /\.(bmp|jpg|png)$/.test(f) && !f.includes('mask')) : [];

interface Config {
  name: string;
  width: number;
  res: number;
  slots: number;
  /** Evaluation photos (all of them for the small network; two for the full-size one, to keep the suite's budget). */
  images: string[];
}
const CONFIGS: Config[] = [
  { name: '0.5, 160×160, 21 slots', width: 0.5, res: 160, slots: 21, images: allImages },
  { name: '1.0, 300×300, 91 slots (the COCO layout)', width: 1, res: 300, slots: 91, images: allImages.filter((f) => f === 'cat.bmp' || f.startsWith('street')) },
];
if (!HAVE_SHARED) console.log('export-ssd-int8: ../shared is absent — SKIPPED (the calibration and evaluation photos are there)');

/** The interpreter's name for each of our outputs (the graph's raw outputs). */
const RAW: Record<string, string> = {
  box_encodings: 'raw_outputs/box_encodings',
  class_logits: 'concat_1',
  scores: 'raw_outputs/class_predictions',
};

describe.skipIf(!HAVE_SHARED).each(CONFIGS)('int8 SSDLite from our exporter = TFLite interpreter, every layer ($name, random weights)', ({ width, res: RES, slots: SLOTS, images }) => {
  const plan = buildSsdlitePlan({ width, resolution: RES, classes: SLOTS });
  const weights = randomSsdliteWeights(plan, 2026);
  const postprocess = { ...defaultDetectionPostProcessOptions(SLOTS), nmsScoreThreshold: 0.3 };
  let dir: string;
  let bytes: Uint8Array;
  let model: MobileNetV2Model;
  let interpreter: TfliteInterpreter;
  let opened: Awaited<ReturnType<typeof openWithInterpreter>> | undefined;
  let compared = 0;
  let tensors = 0;
  let detections = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ssd-int8-'));
    // The float export of the same network prepares the calibration photos as a detector's inputs.
    writeFileSync(join(dir, 'float.tflite'), exportSsdliteTflite(plan, weights, { postprocess }));
    const calibration = await sharedPhotoCalibration(SHARED_DIR, join(dir, 'float.tflite'));
    const ranges = calibrateSsdlite(await createBackend('ts-fast'), plan, weights, calibration);
    bytes = exportSsdliteTflite(plan, weights, { postprocess, rawOutputs: true, taps: true, int8: { ranges, calibrationRuns: calibration.length } });
    expect(readTfliteModel(bytes, 'int8 ssd').description).toMatch(/int8 post-training quantization/);
    opened = await openWithInterpreter(bytes, dir);
    ({ model, interpreter } = opened);
  }, 180_000);
  afterAll(() => {
    opened?.dispose();
    console.log(`int8 SSDLite ${width}/${RES}: ${tensors} tensors, ${compared} int8 values compared with the interpreter; ${detections} detections compared`);
  });

  it('loads as an int8 SSD on the integer path', () => {
    expect(model.imported.head).toBe('ssdlite');
    expect(model.imported.input.type).toBe('INT8');
    expect(model.execution.arithmetic).toEqual({ kind: 'integer', requantization: 'tflite-wasm' });
  });

  /** Every int8 graph output of the interpreter against ours by name (the post-process op's float outputs are compared as detections). */
  const compare = (theirs: OracleArray[], ours: ReadonlyMap<string, ArrayLike<number>>) =>
    compareOutputsByName(interpreter.outputs, theirs, ours, (info) => info.dtype === 'int8');

  it.each(images)('image %s: every layer, the raw outputs and the detections identical', async (image) => {
    const path = sharedPath('images', image);
    const { quantized } = await model.prepare(path);
    expect(quantized).toBeInstanceOf(Int8Array);
    const theirs = interpreter.run([quantized!]);
    const ours = model.runTensor(quantized!, [1, RES, RES, 3], { taps: 'all' });
    const byName = new Map<string, ArrayLike<number>>(ours.taps.map((t) => [t.name, t.data] as const));
    for (const o of ours.outputs) if (RAW[o.name]) byName.set(RAW[o.name]!, o.data);
    const { report, matched, values } = compare(theirs, byName);
    tensors += matched;
    compared += values;
    expect(report, report.join('\n')).toEqual([]);
    // Every int8 graph output: 52 backbone, 12 extra and 24 predictor convs, the block outputs
    // (10 shortcut ADDs among them), the three raw outputs.
    expect(matched).toBe(interpreter.outputs.filter((o) => o.dtype === 'int8').length);
    expect(matched).toBeGreaterThanOrEqual(52 + 10 + 12 + 24 + 3);

    // The op's detections (it reads the dequantized int8 tensors) = our detect on the same bytes.
    const [boxes, classes, scores, num] = theirs as Float32Array[];
    const r = await model.detect(path, { scoreThreshold: postprocess.nmsScoreThreshold });
    expect(r.detections.length).toBe(num![0]);
    r.detections.forEach((d, i) => {
      expect(d.classIndex, `row ${i} class`).toBe(classes![i]);
      expect(d.score, `row ${i} score`).toBe(scores![i]);
      expect([d.box.ymin, d.box.xmin, d.box.ymax, d.box.xmax], `row ${i} box`).toEqual([...boxes!.subarray(4 * i, 4 * i + 4)]);
    });
    detections += r.detections.length;
  }, 120_000);

  it('controls: the reference profile differs from the interpreter (LOGISTIC and requantization)', async () => {
    const image = images.includes('cat.bmp') ? 'cat.bmp' : images[0]!;
    const { quantized } = await model.prepare(sharedPath('images', image));
    const theirs = interpreter.run([quantized!]);
    const reference = await load({ model: join(dir, 'int8.tflite'), backend: 'ts-fast', requantization: 'tflite-reference', allowDownload: false });
    try {
      const ours = reference.runTensor(quantized!, [1, RES, RES, 3], { taps: 'all' });
      const byName = new Map<string, ArrayLike<number>>(ours.taps.map((t) => [t.name, t.data] as const));
      for (const o of ours.outputs) if (RAW[o.name]) byName.set(RAW[o.name]!, o.data);
      const { report } = compare(theirs, byName);
      expect(report.length, 'gemmlowp double rounding vs XNNPACK fp32 requantization').toBeGreaterThan(0);
    } finally { reference.dispose(); }
  }, 120_000);
});
