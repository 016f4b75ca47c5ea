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

/**
 * XNNPACK's ADD (the 'xnnpack-fp32' convention, what the TFLite interpreter's delegate runs), twin
 * of the `p.xnnpack` branch of kernels/q8-add.ts:
 *   y = clamp(zo + ((2^(shift−1) + ma·(a − za) + mb·(b − zb)) >> shift), lo, hi)
 * in int32 without overflow: ma, mb ≤ 2²¹ (addRequantization makes the larger ratio times 2^shift
 * lie in [2²⁰, 2²¹]) and |a − za|, |b − zb| ≤ 255, so |acc| < 2²⁹ + 2²⁹ + 2²⁹ < 2³¹, and the
 * arithmetic shift is the scalar kernel's floor division by 2^shift. 16 elements per step; the
 * work range is split in multiples of 16 (the last part's remainder one by one).
 *
 * Descriptor d (i32 words): y a b ma mb shift za zb zo lo hi signed.
 */
export function q8_add_xnnpack(i0: i32, i1: i32, d: usize): void {
  const y = <usize>load<i32>(d);
  const a = <usize>load<i32>(d, 4);
  const b = <usize>load<i32>(d, 8);
  const maI = load<i32>(d, 12);
  const mbI = load<i32>(d, 16);
  const shift = load<i32>(d, 20);
  const zaI = load<i32>(d, 24);
  const zbI = load<i32>(d, 28);
  const zoI = load<i32>(d, 32);
  const loI = load<i32>(d, 36);
  const hiI = load<i32>(d, 40);
  const signed = load<i32>(d, 44) != 0;
  const roundI = 1 << (shift - 1);
  const ma = i32x4.splat(maI), mb = i32x4.splat(mbI), round = i32x4.splat(roundI);
  const za = i16x8.splat(<i16>zaI), zb = i16x8.splat(<i16>zbI);
  const zo = i32x4.splat(zoI), lo = i32x4.splat(loI), hi = i32x4.splat(hiI);
  let i = i0;
  for (; i + 16 <= i1; i += 16) {
    const va = v128.load(a + <usize>i);
    const vb = v128.load(b + <usize>i);
    const a0 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(va) : i16x8.extend_low_i8x16_u(va), za);
    const a1 = i16x8.sub(signed ? i16x8.extend_high_i8x16_s(va) : i16x8.extend_high_i8x16_u(va), za);
    const b0 = i16x8.sub(signed ? i16x8.extend_low_i8x16_s(vb) : i16x8.extend_low_i8x16_u(vb), zb);
    const b1 = i16x8.sub(signed ? i16x8.extend_high_i8x16_s(vb) : i16x8.extend_high_i8x16_u(vb), zb);
    const r0 = addLanes(i32x4.extend_low_i16x8_s(a0), i32x4.extend_low_i16x8_s(b0), ma, mb, round, shift, zo, lo, hi);
    const r1 = addLanes(i32x4.extend_high_i16x8_s(a0), i32x4.extend_high_i16x8_s(b0), ma, mb, round, shift, zo, lo, hi);
    const r2 = addLanes(i32x4.extend_low_i16x8_s(a1), i32x4.extend_low_i16x8_s(b1), ma, mb, round, shift, zo, lo, hi);
    const r3 = addLanes(i32x4.extend_high_i16x8_s(a1), i32x4.extend_high_i16x8_s(b1), ma, mb, round, shift, zo, lo, hi);
    const h0 = i16x8.narrow_i32x4_s(r0, r1);
    const h1 = i16x8.narrow_i32x4_s(r2, r3);
    v128.store(y + <usize>i, signed ? i8x16.narrow_i16x8_s(h0, h1) : i8x16.narrow_i16x8_u(h0, h1));
  }
  for (; i < i1; i++) {
    const av = signed ? <i32>load<i8>(a + <usize>i) : <i32>load<u8>(a + <usize>i);
    const bv = signed ? <i32>load<i8>(b + <usize>i) : <i32>load<u8>(b + <usize>i);
    const raw = ((roundI + maI * (av - zaI) + mbI * (bv - zbI)) >> shift) + zoI;
    const r = raw < loI ? loI : raw > hiI ? hiI : raw;
    if (signed) store<i8>(y + <usize>i, <i8>r);
    else store<u8>(y + <usize>i, <u8>r);
  }
}

// @ts-ignore: decorator
@inline function addLanes(a: v128, b: v128, ma: v128, mb: v128, round: v128, shift: i32, zo: v128, lo: v128, hi: v128): v128 {
  const acc = i32x4.add(i32x4.add(round, i32x4.mul(ma, a)), i32x4.mul(mb, b));
  return i32x4.min_s(i32x4.max_s(i32x4.add(i32x4.shr_s(acc, shift), zo), lo), hi);
}
