// SPDX-License-Identifier: Apache-2.0
/**
 * int8 post-training-quantized MobileNetV2 classifiers made with our exporter
 * (`exportClassifierTflite(…, { int8 })`, src/io/tflite/ptq.ts) against the real TFLite interpreter,
 * every layer: the file is written with every layer output as a named graph output (`taps: true`),
 * the interpreter runs it, and our integer path (`load()` → `model.runTensor`) must give the same
 * int8 values everywhere — 0 LSB — on the same int8 input bytes.
 *
 *   torchvision   data/golden/c-real/weights.safetensors: a real torchvision mobilenet_v2 state
 *                 dict (width 0.35, 10 classes) at 224×224 with PyTorch's symmetric padding, so the
 *                 file has int8 PAD operators (padding with the zero point), and its Linear
 *                 classifier as a FULLY_CONNECTED with per-tensor int8 weights
 *   imagenet      the ImageNet weights of the shared uint8 classifier, dequantized, re-quantized
 *                 to int8 per channel (1.0/224, TF SAME padding, 1001 classes)
 *
 * Calibration: synthetic photos (torchvision case), the shared photos but cat.bmp (imagenet case).
 * Evaluation images (bit-exactness does not depend on the calibration): the shared
 * ones when present (all of them), else synthetic photos with other seeds. Controls that the check
 * can fail: another requantization convention ('tflite-reference') differs from the interpreter
 * somewhere, and the re-quantized ImageNet model still recognises the cat as the float one does.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED, SHARED_DIR, sharedPath } from '../../helpers/shared.js';
import { openWithInterpreter, sharedPhotoCalibration, UINT8_CLASSIFIER } from '../../helpers/int8-calibration.js';
import { compareOutputsByName, type TfliteInterpreter } from '../../helpers/tflite-oracle.js';
import { goldenPath } from '../../helpers/golden-weights.js';
import { syntheticPhotoRgba } from '../../helpers/synthetic-photo.js';
import { readFileSync } from 'node:fs';
import { readSafetensorsStateDict } from '../../../src/io/safetensors-state-dict.js';
import { loadTorchvision } from '../../../src/io/torchvision.js';
import { importTflite } from '../../../src/io/tflite/import.js';
import { exportClassifierTflite } from '../../../src/io/tflite/export.js';
import { calibrateClassifier, int8ActivationQuantization, perChannelInt8Weights, int32Bias, RangeCalibrator } from '../../../src/io/tflite/ptq.js';
import { readTfliteModel } from '../../../src/io/tflite/model.js';
import { createBackend } from '../../../src/backend/create.js';
import { load, type MobileNetV2Model } from '../../../src/api.js';
import type { RgbImage } from '../../../src/io/image/image.js';
import type { MobileNetV2Plan } from '../../../src/model/plan.js';
import type { MobileNetV2Weights } from '../../../src/model/weights.js';
import type { Tap } from '../../../src/model/runner.js';
import { forward } from '../../../src/model/forward.js';
import type { Backend } from '../../../src/backend/backend.js';

const SIZE = 224;

function synthetic(seed: number): RgbImage {
  const rgba = syntheticPhotoRgba({ width: 256, height: 256, seed });
  const data = new Uint8Array(256 * 256 * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4) { data[j++] = rgba[i]!; data[j++] = rgba[i + 1]!; data[j++] = rgba[i + 2]!; }
  return { data, width: 256, height: 256, channels: 3, format: 'raw' };
}

/** A 224×224 centre crop scaled to [−1, 1] (2p/255 − 1): the range the int8 input's raw pixels map to. */
function calibrationInput(img: RgbImage): Tap {
  const x0 = (img.width - SIZE) >> 1, y0 = (img.height - SIZE) >> 1;
  const data = new Float32Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) for (let c = 0; c < 3; c++) {
    data[(y * SIZE + x) * 3 + c] = (2 * img.data[((y + y0) * img.width + x + x0) * 3 + c]!) / 255 - 1;
  }
  return { data, shape: [1, SIZE, SIZE, 3] };
}

const sharedImages = HAVE_SHARED ? readdirSync(sharedPath('images')).filter((f) => /\.(bmp|jpg|png)$/.test(f) && !f.includes('mask')) : [];
const evalImages: Array<string | number> = sharedImages.length
  ? sharedImages
  : [101, 102];
if (!HAVE_SHARED) console.log('export-int8: ../shared is absent — evaluating on synthetic photos only');

interface Case {
  name: string;
  /** The classifier as TFLite's converter writes it for this source: torchvision's Linear → FULLY_CONNECTED. */
  classifierOp: 'conv' | 'fully-connected';
  source: () => { plan: MobileNetV2Plan; weights: MobileNetV2Weights };
  calibration: () => Promise<Tap[]>;
}
const syntheticCalibration = async (): Promise<Tap[]> => [11, 12, 13, 14].map((seed) => calibrationInput(synthetic(seed)));
const CASES: Case[] = [
  {
    name: 'torchvision state dict (c-real, 0.35, symmetric padding, FULLY_CONNECTED)',
    classifierOp: 'fully-connected',
    source: () => {
      const path = goldenPath('c-real', 'weights.safetensors');
      return loadTorchvision(readSafetensorsStateDict(path), { resolution: SIZE, padding: 'symmetric' }, { bnEps: 1e-5, source: path });
    },
    calibration: syntheticCalibration,
  },
  ...(HAVE_SHARED ? [{
    name: 'ImageNet weights of the shared uint8 classifier, re-quantized to int8 per channel',
    classifierOp: 'conv' as const,
    source: () => {
      const m = importTflite(new Uint8Array(readFileSync(sharedPath('models', UINT8_CLASSIFIER))), 'uint8 classifier');
      return { plan: m.plan, weights: m.weights };
    },
    // Real photos, preprocessed as the uint8 file's own inputs are; cat.bmp is left out (the control checks it).
    calibration: () => sharedPhotoCalibration(SHARED_DIR),
  }] : []),
];

describe('int8 PTQ formulas (TFLite quantizer conventions)', () => {
  it('asymmetric activations: 0 representable, range [min, max] / 255, zero point from min', () => {
    // [-1, 1]: scale 2/255, zero point round(−128 + 127.5) = −128 + 128 = 0? std::round(−0.5) = −1.
    expect(int8ActivationQuantization({ min: -1, max: 1 })).toMatchObject({ scale: [Math.fround(Math.fround(2) / 255)], zeroPoint: [-1] });
    // ReLU6 output: min 0 → zero point −128.
    expect(int8ActivationQuantization({ min: 0, max: 6 }).zeroPoint).toEqual([-128]);
    // A range not containing 0 is widened to contain it.
    expect(int8ActivationQuantization({ min: 2, max: 4 })).toMatchObject({ min: 0, max: 4, zeroPoint: [-128] });
  });
  it('per-channel symmetric weights along the right axis; int32 bias at s_in · s_w', () => {
    const w = Float32Array.from([1, -2, 0.5, 0.25, 4, -1]);
    const outer = perChannelInt8Weights(w, 2, 'outer'); // channels [1, −2, 0.5], [0.25, 4, −1]
    expect(outer.quantization.scale).toEqual([Math.fround(2 / 127), Math.fround(4 / 127)]);
    expect([...outer.data]).toEqual([64, -127, 32, 8, 127, -32]);
    const inner = perChannelInt8Weights(w, 2, 'inner'); // channels [1, 0.5, 4], [−2, 0.25, −1]
    expect(inner.quantization).toMatchObject({ scale: [Math.fround(4 / 127), Math.fround(2 / 127)], quantizedDimension: 3 });
    expect([...inner.data]).toEqual([32, -127, 16, 16, 127, -64]);
    expect([...int32Bias(Float32Array.from([1, -1]), 0.5, [0.25, 0.125]).data]).toEqual([8, -16]);
  });
  it('calibration: running min of minima / max of maxima; a NaN activation is a one-line error, not a skipped value', () => {
    const c = new RangeCalibrator();
    c.observe(new Map([['features.0', { data: Float32Array.of(-1, 2), shape: [2] }]]));
    c.observe(new Map([['features.0', { data: Float32Array.of(-3, 1), shape: [2] }]]));
    expect(c.result().get('features.0')).toEqual({ min: -3, max: 2 });
    expect(c.count).toBe(2);
    expect(() => c.observe(new Map([['features.1', { data: Float32Array.of(0, Number.NaN), shape: [2] }]]))).toThrow(/tap 'features\.1' has a NaN at element 1/);
  });
});

describe.each(CASES)('int8 PTQ classifier from our exporter = TFLite interpreter, every layer: $name', ({ source, calibration: calibrationSet, classifierOp }) => {
  let model: MobileNetV2Model;
  let interpreter: TfliteInterpreter;
  let dir: string;
  let opened: Awaited<ReturnType<typeof openWithInterpreter>> | undefined;
  let float: { plan: MobileNetV2Plan; weights: MobileNetV2Weights; backend: Backend };
  let compared = 0;
  let tensors = 0;

  beforeAll(async () => {
    const { plan, weights } = source();
    const backend = await createBackend('ts-fast');
    float = { plan, weights, backend };
    const calibration = await calibrationSet();
    const ranges = calibrateClassifier(backend, plan, weights, calibration);
    const bytes = exportClassifierTflite(plan, weights, { taps: true, classifierOp, int8: { ranges, calibrationRuns: calibration.length } });
    const file = readTfliteModel(bytes, 'int8 export');
    expect(file.description).toMatch(/int8 post-training quantization/);
    dir = mkdtempSync(join(tmpdir(), 'int8-ptq-'));
    opened = await openWithInterpreter(bytes, dir);
    ({ model, interpreter } = opened);
  }, 180_000);
  afterAll(() => {
    opened?.dispose();
    console.log(`int8 PTQ: ${tensors} tensors, ${compared} int8 values compared with the interpreter`);
  });

  it('loads as an int8 integer model', () => {
    expect(model.execution.arithmetic).toEqual({ kind: 'integer', requantization: 'tflite-wasm' });
    expect(model.imported.input.type).toBe('INT8');
  });

  it.each(evalImages)('image %s: every layer and the softmax identical (0 LSB)', async (image) => {
    const { quantized } = await model.prepare(typeof image === 'string' ? sharedPath('images', image) : synthetic(image));
    expect(quantized).toBeInstanceOf(Int8Array);
    const theirs = interpreter.run([quantized!]);
    const ours = model.runTensor(quantized!, [1, SIZE, SIZE, 3], { taps: 'all' });
    const byName = new Map(ours.taps.map((t) => [t.name, t.data] as const));
    const probabilities = ours.outputs.find((o) => o.name === 'probabilities');
    expect(probabilities, 'the integer path ends with the file\'s SOFTMAX').toBeDefined();
    byName.set(interpreter.outputs[0]!.name, probabilities!.data);
    const { report, matched, values } = compareOutputsByName(interpreter.outputs, theirs, byName);
    compared += values;
    tensors += matched;
    expect(report, report.join('\n')).toEqual([]);
    // Every conv (52 + the classifier), every residual ADD (10), the pool and the softmax.
    expect(matched).toBeGreaterThanOrEqual(52 + 10 + 3);
  }, 120_000);

  it('controls: the reference requantization differs from the interpreter; the answer is the float network\'s', async () => {
    const image = sharedImages.includes('cat.bmp') ? 'cat.bmp' : evalImages[0]!;
    const prepared = await model.prepare(typeof image === 'string' ? sharedPath('images', image) : synthetic(image));
    const theirs = interpreter.run([prepared.quantized!]);
    const reference = await load({ model: join(dir, 'int8.tflite'), backend: 'ts-fast', requantization: 'tflite-reference', allowDownload: false });
    try {
      const taps = new Map(reference.runTensor(prepared.quantized!, [1, SIZE, SIZE, 3], { taps: 'all' }).taps.map((x) => [x.name, x.data] as const));
      let differing = 0;
      interpreter.outputs.forEach((info, i) => {
        const mine = taps.get(info.name);
        if (mine) for (let k = 0; k < mine.length; k++) if (Number(theirs[i]![k]) !== Number(mine[k])) differing++;
      });
      expect(differing, 'gemmlowp double rounding vs XNNPACK fp32 requantization').toBeGreaterThan(0);
    } finally { reference.dispose(); }
    // The int8 answer against the float network it was quantized from, on the same (dequantized) input.
    const { output } = forward(float.backend, float.plan, float.weights, prepared.tensor, prepared.shape);
    const probabilities = theirs[0]!;
    const argmax = (a: ArrayLike<number | bigint>): number => { let b = 0; for (let k = 1; k < a.length; k++) if (Number(a[k]) > Number(a[b])) b = k; return b; };
    console.log(`int8 PTQ on ${image}: top-1 ${argmax(probabilities)} (p = ${(Number(probabilities[argmax(probabilities)]) + 128) / 256}), float top-1 ${argmax(output.data)}`);
    if (float.plan.classifier!.classes === 1001) expect(argmax(probabilities)).toBe(argmax(output.data));
  }, 120_000);
});
