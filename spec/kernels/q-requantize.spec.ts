// SPDX-License-Identifier: Apache-2.0
/**
 * The requantization conventions on hand-checked values: the three differ exactly at ties
 * (x.5), the exact 64-bit split arithmetic equals BigInt arithmetic at the int32 limits, and
 * bad arguments are typed errors. (Bit-exactness against TFLite itself: q8-reference.spec.ts.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KernelArgumentError } from '../../kernels/check.js';
import {
  checkRequantization, convRequantizer, INT32_MAX, INT32_MIN, multiplyByQuantizedMultiplierDoubleRounding,
  multiplyByQuantizedMultiplierSingleRounding, quantizeMultiplier, requantizeFp32, requantizeToOutput,
  saturatingRoundingDoublingHighMul, REQUANTIZATIONS,
} from '../../kernels/q-requantize.js';
import { q8Conv2dNhwc } from '../../kernels/q8-conv2d-nhwc.js';
import { conv2dGeometry } from '../../kernels/geometry.js';

/** gemmlowp's definition, written with BigInt: (a·b + nudge) / 2³¹ truncated, saturating at INT32_MIN². */
function srdhmBig(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number(BigInt.asIntN(32, (ab + nudge) / (1n << 31n))); // BigInt division truncates, like C
}

/** TFLITE_SINGLE_ROUNDING with BigInt: (x·m + 2^(k−1)) >> k, k = 31 − shift, low 32 bits kept. */
function singleBig(x: number, m: number, shift: number): number {
  const k = BigInt(31 - shift);
  return Number(BigInt.asIntN(32, (BigInt(x) * BigInt(m) + (1n << (k - 1n))) >> k));
}

const int32 = fc.oneof(fc.integer({ min: INT32_MIN, max: INT32_MAX }), fc.constantFrom(INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX - 1, INT32_MAX));

describe('requantization conventions', () => {
  it('is one validated list', () => {
    expect(REQUANTIZATIONS).toEqual(['tflite-reference', 'single-rounding', 'xnnpack-fp32']);
    expect(() => checkRequantization('k', 'tflite')).toThrow(KernelArgumentError);
    expect(() => checkRequantization('k', 'tflite')).toThrow("k: unknown requantization \"tflite\"; expected one of 'tflite-reference', 'single-rounding', 'xnnpack-fp32'");
  });

  it('M = 1/4 on ±10 (exact ties ±2.5): half away (±3), half up (3, −2), half to even (±2)', () => {
    const m = quantizeMultiplier(0.25, 'tflite-reference');
    expect(m).toEqual({ multiplier: 2 ** 30, shift: -1 });
    // SaturatingRoundingDoublingHighMul gives ±5 exactly, then RoundingDivideByPOT(·, 1) rounds half away.
    expect([10, -10].map((x) => multiplyByQuantizedMultiplierDoubleRounding(x, m.multiplier, m.shift))).toEqual([3, -3]);
    expect([10, -10].map((x) => multiplyByQuantizedMultiplierSingleRounding(x, m.multiplier, m.shift))).toEqual([3, -2]);
    expect([10, -10].map((x) => requantizeFp32(x, 0.25))).toEqual([2, -2]);
    expect([14, -14].map((x) => requantizeFp32(x, 0.25))).toEqual([4, -4]); // 3.5 → 4 (even)
  });

  it('with shift 0 only SaturatingRoundingDoublingHighMul rounds, and its ties go up: M = 1/2 on ±5 → 3, −2', () => {
    const m = quantizeMultiplier(0.5, 'tflite-reference');
    expect(m).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect([5, -5].map((x) => multiplyByQuantizedMultiplierDoubleRounding(x, m.multiplier, m.shift))).toEqual([3, -2]);
  });

  it('QuantizeMultiplier(0.3) = (1288490189, −1), as TFLite computes it (printed by the reference harness); 5·3/8 → 2', () => {
    expect(quantizeMultiplier(0.3, 'tflite-reference')).toEqual({ multiplier: 1288490189, shift: -1 });
    const m = quantizeMultiplier(0.375, 'tflite-reference');
    expect(multiplyByQuantizedMultiplierDoubleRounding(5, m.multiplier, m.shift)).toBe(2);
  });

  it('QuantizeMultiplier limits: 2^-33 flushes to zero, 2^-32 is the last kept; single rounding saturates shift > 30', () => {
    expect(quantizeMultiplier(2 ** -33, 'tflite-reference')).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(2 ** -32, 'tflite-reference')).toEqual({ multiplier: 2 ** 30, shift: -31 });
    expect(quantizeMultiplier(2 ** 31, 'single-rounding')).toEqual({ multiplier: INT32_MAX, shift: 30 });
    expect(() => quantizeMultiplier(2 ** 31, 'tflite-reference')).toThrow('needs a left shift of 32 bits');
    expect(() => quantizeMultiplier(Number.NaN, 'tflite-reference')).toThrow(KernelArgumentError);
    expect(() => quantizeMultiplier(-1, 'tflite-reference')).toThrow('must be finite and >= 0');
  });

  it('the exact split arithmetic equals BigInt arithmetic, INT32_MIN saturation included', () => {
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MAX)).toBe(srdhmBig(INT32_MIN, INT32_MAX));
    fc.assert(fc.property(int32, int32, (a, b) => saturatingRoundingDoublingHighMul(a, b) === srdhmBig(a, b)), { numRuns: 5000 });
    fc.assert(fc.property(int32, fc.integer({ min: 0, max: INT32_MAX }), fc.integer({ min: -31, max: 30 }),
      (x, m, shift) => multiplyByQuantizedMultiplierSingleRounding(x, m, shift) === singleBig(x, m, shift)), { numRuns: 5000 });
  });

  it("'xnnpack-fp32' clamps in float before rounding, with the same integer result", () => {
    const rq = convRequantizer({ type: 'uint8', input: 1, output: 1, filter: [1] }, 'xnnpack-fp32');
    expect(requantizeToOutput(1e9, rq, 0, { zeroPoint: 10, min: 0, max: 255 })).toBe(255);
    expect(requantizeToOutput(-1e9, rq, 0, { zeroPoint: 10, min: 0, max: 255 })).toBe(0);
    expect(requantizeToOutput(2, rq, 0, { zeroPoint: 10, min: 0, max: 255 })).toBe(12);
  });

  it('the same uint8 conv differs by convention at a tie (so the convention is a real parameter)', () => {
    const g = conv2dGeometry({ inH: 1, inW: 2, kH: 1, kW: 1, padding: 'valid' });
    const run = (rounding: (typeof REQUANTIZATIONS)[number]): number[] => {
      const out = new Uint8Array(2);
      // acc = (x − zx)(w − zw) = (10, 6)·(−1); M = 1/4 → −2.5 and −1.5
      q8Conv2dNhwc(out, Uint8Array.of(20, 16), Uint8Array.of(9), null, { n: 1, inC: 1, outC: 1 }, g, {
        inputZeroPoint: 10, filterZeroPoint: 10,
        requantizer: convRequantizer({ type: 'uint8', input: 0.25, output: 1, filter: [1] }, rounding),
        output: { zeroPoint: 100, min: 0, max: 255 },
      });
      return Array.from(out);
    };
    expect(run('tflite-reference')).toEqual([97, 98]); // half away: −3, −2
    expect(run('single-rounding')).toEqual([98, 99]); // half up: −2, −1
    expect(run('xnnpack-fp32')).toEqual([98, 98]); // half to even: −2, −2
  });

  it('bad quantization arguments are typed one-line errors', () => {
    const g = conv2dGeometry({ inH: 1, inW: 1, kH: 1, kW: 1, padding: 'valid' });
    const rq = convRequantizer({ type: 'int8', input: 1, output: 1, filter: [1] }, 'tflite-reference');
    const call = (zx: number, zw: number) => () => q8Conv2dNhwc(new Int8Array(1), new Int8Array(1), new Int8Array(1), null, { n: 1, inC: 1, outC: 1 }, g,
      { inputZeroPoint: zx, filterZeroPoint: zw, requantizer: rq, output: { zeroPoint: 0, min: -128, max: 127 } });
    expect(call(200, 0)).toThrow('q8-conv2d: input zero point must be an integer in [-128, 127] for int8, got 200');
    expect(call(0, 3)).toThrow('q8-conv2d: int8 weights are symmetric (zero point 0), got filter zero point 3');
    expect(() => q8Conv2dNhwc(new Uint8Array(1), new Int8Array(1), new Int8Array(1), null, { n: 1, inC: 1, outC: 1 }, g,
      { inputZeroPoint: 0, filterZeroPoint: 0, requantizer: rq, output: { zeroPoint: 0, min: -128, max: 127 } })).toThrow('q8-conv2d: x is int8 but out is uint8');
  });
});
