// SPDX-License-Identifier: Apache-2.0
/**
 * Integer residual ADD (the shortcut of a stride-1 inverted residual block), twin of
 * kernels/q8-add.ts bit for bit under the fixed-point conventions:
 *   ã = requantize((a − za)·2^leftShift, Ma),  b̃ = requantize((b − zb)·2^leftShift, Mb)
 *   y = clamp(zo + requantize(ã + b̃, Mo), lo, hi)        (int32, ã + b̃ wraps like `| 0`)
 * rqA, rqB, rqO: per-tensor requantization blocks of 4 identical lanes (q8-requantize.ts, CP = 4),
 * each with its shift as `uniform`. 4 elements per step; the work range is split in multiples of 4.
 *
 * Descriptor d (i32 words): y a b rqA rqB rqO mode shA shB shO za zb zo lo hi signed leftShift.
 */
import { requant4, storeBytes } from './q8-requantize';

// @ts-ignore: decorator
@inline function load4(p: usize, signed: bool): v128 {
  const v = v128.load32_zero(p);
  return signed ? i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v)) : i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v));
}

export function q8_add(i0: i32, i1: i32, d: usize): void {
  const y = <usize>load<i32>(d);
  const a = <usize>load<i32>(d, 4);
  const b = <usize>load<i32>(d, 8);
  const rqA = <usize>load<i32>(d, 12);
  const rqB = <usize>load<i32>(d, 16);
  const rqO = <usize>load<i32>(d, 20);
  const mode = load<i32>(d, 24);
  const shA = load<i32>(d, 28);
  const shB = load<i32>(d, 32);
  const shO = load<i32>(d, 36);
  const za = i32x4.splat(load<i32>(d, 40));
  const zb = i32x4.splat(load<i32>(d, 44));
  const zoI = load<i32>(d, 48);
  const loI = load<i32>(d, 52);
  const hiI = load<i32>(d, 56);
  const signed = load<i32>(d, 60) != 0;
  const ls = load<i32>(d, 64);
  const zo = i32x4.splat(zoI);
  const lo = i32x4.splat(loI);
  const hi = i32x4.splat(hiI);
  const zero = i32x4.splat(0);
  const all0 = i32x4.splat(i32.MIN_VALUE);
  const all1 = i32x4.splat(i32.MAX_VALUE);
  const f = f32x4.splat(0); // float bounds: unused by the fixed-point conventions
  for (let i = i0; i < i1; i += 4) {
    const va = i32x4.shl(i32x4.sub(load4(a + <usize>i, signed), za), ls);
    const vb = i32x4.shl(i32x4.sub(load4(b + <usize>i, signed), zb), ls);
    const sa = requant4(va, rqA, 0, 16, mode, shA, zero, all0, all1, f, f);
    const sb = requant4(vb, rqB, 0, 16, mode, shB, zero, all0, all1, f, f);
    const o = requant4(i32x4.add(sa, sb), rqO, 0, 16, mode, shO, zo, lo, hi, f, f);
    const h = i16x8.narrow_i32x4_s(o, o);
    const q = signed ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h);
    const n = min(4, i1 - i);
    if (n == 4) v128.store32_lane(y + <usize>i, q, 0);
    else storeBytes(y + <usize>i, q, n);
  }
}
