// SPDX-License-Identifier: Apache-2.0
/**
 * prepare(): the one image → tensor path of classify, segment and detect. Under a profile it is
 * preprocessImage() with exactly that profile's choices; the SSD profile ('tf-od-api') and the
 * TFLite classifier profile give different tensors for the same image (their resize grids differ);
 * quantized inputs get the uint8 pixels and their exact dequantization.
 */
import { describe, expect, it } from 'vitest';
import { prepare } from '../../src/app/prepare.js';
import { preprocessImage } from '../../src/io/image/preprocess.js';
import { resolveConventions } from '../../src/io/conventions.js';
import type { RgbImage } from '../../src/io/image/image.js';
import type { ImportedInput } from '../../src/io/tflite/import-graph.js';
import { seededUniform } from '../../src/model/random.js';
import { MobileNetV2Error } from '../../src/errors.js';

function noiseImage(width: number, height: number, seed: number): RgbImage {
  const next = seededUniform(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(next() * 256);
  return { data, width, height, channels: 3, format: 'raw' };
}

const FLOAT_INPUT: ImportedInput = { name: 'input', shape: [1, 8, 8, 3], type: 'FLOAT32', quantization: null };

describe('prepare()', () => {
  const img = noiseImage(13, 11, 7);

  it("under 'tf-od-api' is the OD API's fixed_shape_resizer: the whole image, asymmetric bilinear, x/127.5 − 1", async () => {
    const p = await prepare(img, { input: FLOAT_INPUT, conventions: 'tf-od-api' });
    const direct = preprocessImage(img, { width: 8, height: 8, resize: 'bilinear-asymmetric', fit: 'stretch', centralCrop: 1, normalization: 'tf-inception' });
    expect(p.shape).toEqual([1, 8, 8, 3]);
    expect(p.tensor).toEqual(direct.tensor); // same kernel, same operands: identical float32 values
    expect(p.record).toEqual(direct.record);
    expect(p.quantized).toBeNull();
  });

  it("the SSD profile and the TFLite classifier profile differ on the same image (asymmetric vs half-pixel grid)", async () => {
    const ssd = await prepare(img, { input: FLOAT_INPUT, conventions: 'tf-od-api' });
    const cls = await prepare(img, { input: FLOAT_INPUT, conventions: 'tflite' });
    expect(ssd.record.resize.coordinates).toBe('asymmetric');
    expect(cls.record.resize.coordinates).toBe('half-pixel');
    let differing = 0;
    for (let i = 0; i < ssd.tensor.length; i++) if (ssd.tensor[i] !== cls.tensor[i]) differing++;
    expect(differing).toBeGreaterThan(ssd.tensor.length / 2);
  });

  it('quantized inputs: the rounded uint8 pixels, and real = scale·(q − zero point) as the float tensor', async () => {
    const input: ImportedInput = { name: 'input', shape: [1, 8, 8, 3], type: 'UINT8', quantization: { scale: 0.0078125, zeroPoint: 128 } };
    const conventions = resolveConventions('tf-od-api', { normalization: 'raw-uint8' });
    const p = await prepare(img, { input, conventions });
    const direct = preprocessImage(img, { width: 8, height: 8, resize: 'bilinear-asymmetric', fit: 'stretch', normalization: 'raw-uint8' });
    expect(p.quantized).toBeInstanceOf(Uint8Array);
    for (let i = 0; i < direct.tensor.length; i++) {
      const v = direct.tensor[i]!;
      const q = Math.min(255, Math.floor(v + 0.5)); // half away from zero on non-negative pixels
      expect(p.quantized![i]).toBe(q);
      expect(p.tensor[i]).toBe(Math.fround(0.0078125 * (q - 128))); // exact: a power-of-two scale
    }
  });

  it('refuses an input that is not [1, H, W, 3] with a one-line SHAPE error', async () => {
    const bad: ImportedInput = { ...FLOAT_INPUT, shape: [1, 3, 8, 8] };
    await expect(prepare(img, { input: bad, conventions: 'tflite' })).rejects.toThrow(MobileNetV2Error);
    await expect(prepare(img, { input: bad, conventions: 'tflite' })).rejects.toThrow(/prepare: the network input is \[1, 3, 8, 8\], expected \[1, H, W, 3\]/);
  });
});
