// SPDX-License-Identifier: Apache-2.0
/**
 * Import-time validation of the numbers in a model file, on the real uint8 classifier and the real
 * float DeepLab with single fields patched: quantization scales finite and > 0, zero points within
 * the type, float weights finite (or allowNonFinite), and a non-finite result refused instead of
 * being printed as a probability.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importTflite } from '../../../src/io/tflite/import.js';
import { readTfliteModel } from '../../../src/io/tflite/model.js';
import { load } from '../../../src/api.js';
import { main } from '../../../src/cli/main.js';
import { MobileNetV2Error } from '../../../src/errors.js';
import { expectError } from '../../helpers/hostile.js';
import { HAVE_SHARED, sharedPath } from '../../helpers/shared.js';
import { withFloatValue, withQuantization } from '../../helpers/tflite-patch.js';

const dir = mkdtempSync(join(tmpdir(), 'mnv2-validate-'));

describe.skipIf(!HAVE_SHARED)('quantization parameters of the uint8 classifier', () => {
  let bytes: Uint8Array;
  let stemWeights: number; // the stem conv's uint8 weights
  let stemBias: number; // its int32 bias
  let name: (i: number) => string;
  beforeAll(() => {
    bytes = new Uint8Array(readFileSync(sharedPath('models', 'mobilenet_v2_1.0_224_quant.tflite')));
    const sg = readTfliteModel(bytes, 'q').subgraphs[0]!;
    [stemWeights, stemBias] = [sg.operators[0]!.inputs[1]!, sg.operators[0]!.inputs[2]!];
    name = (i) => sg.tensors[i]!.name;
  });

  it.each([NaN, Infinity, -1, 0, -Infinity])('a weight scale of %s is a VALUE error naming the tensor', (scale) => {
    const e = expectError(() => importTflite(withQuantization(bytes, stemWeights, { scale }), 'patched.tflite'), 'VALUE', 'patched.tflite', `'${name(stemWeights)}'`, `(#${stemWeights})`, `scale is ${scale}`, 'finite and > 0');
    expect(e.message).toMatch(/^patched\.tflite: tensor '/);
  });

  it.each([NaN, -1, 0])('the input scale and the bias scale are checked the same way (%s)', (scale) => {
    expectError(() => importTflite(withQuantization(bytes, 0, { scale }), 'in.tflite'), 'VALUE', "tensor 'input' (#0)", `scale is ${scale}`);
    expectError(() => importTflite(withQuantization(bytes, stemBias, { scale }), 'bias.tflite'), 'VALUE', `'${name(stemBias)}'`, `scale is ${scale}`);
  });

  it('zero points outside the type are VALUE errors: 256 and −1 for uint8', () => {
    expectError(() => importTflite(withQuantization(bytes, stemWeights, { zeroPoint: 256n }), 'zp.tflite'), 'VALUE', `'${name(stemWeights)}'`, 'zero point is 256', "outside UINT8's [0, 255]");
    expectError(() => importTflite(withQuantization(bytes, 0, { zeroPoint: -1n }), 'zp.tflite'), 'VALUE', "'input'", 'zero point is -1');
  });

  it('allowNonFinite loads a NaN scale, and the NaN result is refused (VALUE), never a probability — API and CLI', async () => {
    const path = join(dir, 'nan-scale.tflite');
    writeFileSync(path, withQuantization(bytes, stemWeights, { scale: NaN }));
    await expect(load({ model: path, backend: 'scalar' })).rejects.toThrow(/scale is NaN/);
    const model = await load({ model: path, backend: 'scalar', allowNonFinite: true });
    try {
      const err = await model.classify(sharedPath('images', 'cat.bmp')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MobileNetV2Error);
      expect((err as MobileNetV2Error).code).toBe('VALUE');
      expect((err as MobileNetV2Error).message).toMatch(/nan-scale\.tflite: the logits contain NaN at index 0 of 1001 although the input was finite/);
    } finally {
      model.dispose();
    }
    let out = '';
    let errText = '';
    const code = await main(['classify', sharedPath('images', 'cat.bmp'), '--model', path, '--backend', 'scalar'], { out: (t) => { out += t; }, err: (t) => { errText += t; } });
    expect([code, out]).toEqual([1, '']);
    expect(errText).toMatch(/^mobilenetv2: error: .*nan-scale\.tflite: tensor '.*' \(#\d+\): quantization scale is NaN; scales must be finite and > 0$/);
  });

  // (A tiny scale such as 1e-30 passes this rule — the bias term dominates — and is not caught.)
  it.each([1e30, 0.5])("a finite but wrong weight scale (%s) breaks TFLite's rule bias scale = input scale × weight scale: VALUE error naming both tensors", (scale) => {
    // Unchecked, 1e30 saturates every ReLU6 and answers 'breastplate' for the cat: quietly wrong.
    expectError(() => importTflite(withQuantization(bytes, stemWeights, { scale }), 'w.tflite'), 'VALUE', 'operator #0 (CONV_2D', `'${name(stemWeights)}'`, `the bias '${name(stemBias)}' has scale`, '0.02 × the output scale');
  });

  it('a Node Buffer holding the file gives the same weights as a Uint8Array (Buffer#slice is a view, not a copy)', () => {
    const fromBuffer = importTflite(readFileSync(sharedPath('models', 'mobilenet_v2_1.0_224_quant.tflite')), 'buf');
    const fromArray = importTflite(bytes, 'arr');
    for (const [k, w] of fromArray.weights.convs) {
      const other = fromBuffer.weights.convs.get(k)!.weight;
      expect(Buffer.compare(Buffer.from(other.buffer, other.byteOffset, other.byteLength), Buffer.from(w.weight.buffer, w.weight.byteOffset, w.weight.byteLength)), k).toBe(0);
    }
  });
});

describe.skipIf(!HAVE_SHARED)('float weights of the float DeepLab', () => {
  let bytes: Uint8Array;
  beforeAll(() => { bytes = new Uint8Array(readFileSync(sharedPath('models', 'deeplabv3_257_mv_gpu.tflite'))); });

  it.each([NaN, Infinity, -Infinity])('a %s weight is a VALUE error naming the tensor and the first bad index; allowNonFinite loads it', (v) => {
    // tensor #3 'MobilenetV2/Conv/weights' [16, 3, 3, 3]; element 40 = output channel 1, (1, 1, 1)
    const patched = withFloatValue(bytes, 3, 40, v);
    expectError(() => importTflite(patched, 'dl.tflite'), 'VALUE', "dl.tflite: tensor 'MobilenetV2/Conv/weights' (#3, FLOAT32 [16, 3, 3, 3])", `has ${v} at index 40`, 'allowNonFinite');
    const m = importTflite(patched, 'dl.tflite', { allowNonFinite: true });
    expect(m.weights.convs.get('features.0')!.weight[40]).toBe(v);
  });
});
