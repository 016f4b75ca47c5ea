// SPDX-License-Identifier: Apache-2.0
/**
 * The boundaries of integer inference: QUANTIZE (float32 → 8-bit), DEQUANTIZE (8-bit → float32)
 * and REQUANTIZE (8-bit → 8-bit with another scale/zero point, e.g. uint8 ↔ int8).
 * Affine quantization: real = scale · (q − zeroPoint).
 *
 *   q8Quantize    out[i] = clamp(zp + roundHalfAway(f32(x[i] / f32(scale))), dtype range)
 *                 — TFLite AffineQuantize: float32 division, round half away from zero.
 *                 A quotient outside int32 saturates to the dtype bound of its sign (the
 *                 reference's float→int32 cast is undefined there); NaN is rejected.
 *   q8Dequantize  out[i] = f32(f64(scale) · (x[i] − zp))   — TFLite Dequantize: double product.
 *   q8Requantize  out[i] = clamp(zo + requantize(x[i] − zi, M), dtype range), M = si/so in
 *                 float64 — TFLite Requantize (MultiplyByQuantizedMultiplier), under the
 *                 requantizer's fixed-point convention. Under 'xnnpack-fp32' it is XNNPACK's
 *                 CONVERT instead (what the interpreter's delegate runs for a uint8 → uint8
 *                 QUANTIZE): the float32 scale s = f32(f32(si)/f32(so)) becomes an 8.8
 *                 fixed-point multiplier m = rint(256·s) (ties to even), and
 *                 out = clamp((zo·2⁸ + 2⁷ + (x − zi)·m) >> 8) — one rounding, half up.
 *
 *   x, out [L]  (flat; any layout)
 */
import { checkLength, KernelArgumentError } from './check.js';
import { q8Range, requantizeAccumulator, roundHalfAwayFromZero, roundHalfToEven, type Requantizer } from './q-requantize.js';
import { checkRequantizer, checkZeroPoint, q8TypeOf, type Q8Array } from './q8-check.js';

function checkScale(kernel: string, scale: number): void {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new KernelArgumentError(`${kernel}: scale must be finite and > 0, got ${scale}`);
}

export function q8Quantize(out: Q8Array, x: Float32Array, length: number, scale: number, zeroPoint: number): void {
  checkLength(x, length, 'q8-quantize: x');
  checkLength(out, length, 'q8-quantize: out');
  checkScale('q8-quantize', scale);
  const type = q8TypeOf(out);
  checkZeroPoint('q8-quantize', 'output', zeroPoint, type);
  const [lo, hi] = q8Range(type);
  const s = Math.fround(scale);
  for (let i = 0; i < length; i++) {
    const v = x[i]!;
    if (Number.isNaN(v)) throw new KernelArgumentError(`q8-quantize: x[${i}] is NaN`);
    const q = zeroPoint + roundHalfAwayFromZero(Math.fround(v / s));
    out[i] = q < lo ? lo : q > hi ? hi : q;
  }
}

export function q8Dequantize(out: Float32Array, x: Q8Array, length: number, scale: number, zeroPoint: number): void {
  checkLength(x, length, 'q8-dequantize: x');
  checkLength(out, length, 'q8-dequantize: out');
  checkScale('q8-dequantize', scale);
  checkZeroPoint('q8-dequantize', 'input', zeroPoint, q8TypeOf(x));
  const s = Math.fround(scale);
  for (let i = 0; i < length; i++) out[i] = s * (x[i]! - zeroPoint);
}

export function q8Requantize(out: Q8Array, x: Q8Array, length: number, p: { readonly inputZeroPoint: number; readonly outputZeroPoint: number; readonly requantizer: Requantizer }): void {
  checkLength(x, length, 'q8-requantize: x');
  checkLength(out, length, 'q8-requantize: out');
  checkZeroPoint('q8-requantize', 'input', p.inputZeroPoint, q8TypeOf(x));
  checkZeroPoint('q8-requantize', 'output', p.outputZeroPoint, q8TypeOf(out));
  checkRequantizer('q8-requantize', p.requantizer, 1);
  const [lo, hi] = q8Range(q8TypeOf(out));
  if (p.requantizer.rounding === 'xnnpack-fp32') {
    const m = roundHalfToEven(Math.fround(256 * p.requantizer.scale[0]!));
    const bias = p.outputZeroPoint * 256 + 128;
    for (let i = 0; i < length; i++) {
      const v = Math.floor((bias + (x[i]! - p.inputZeroPoint) * m) / 256);
      out[i] = v < lo ? lo : v > hi ? hi : v;
    }
    return;
  }
  for (let i = 0; i < length; i++) {
    const v = (requantizeAccumulator(x[i]! - p.inputZeroPoint, p.requantizer, 0) + p.outputZeroPoint) | 0;
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
}
