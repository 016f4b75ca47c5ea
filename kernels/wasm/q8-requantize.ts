// SPDX-License-Identifier: Apache-2.0
/**
 * Requantization of int32 accumulators, four channels per vector, for the integer kernels
 * (q8-*.ts in this folder): the WASM twin of kernels/q-requantize.ts, bit for bit, for every
 * convention of REQUANTIZATIONS. AssemblyScript (see common.ts for the folder's conventions).
 *
 * Parameter block `rq` (built per call by src/backend/q8-wasm.ts), CP channels (a multiple of 8),
 * offsets in bytes with CP4 = 4·CP:
 *   [0, CP4)        MUL    i32  fixed-point multiplier m
 *   [CP4, 2·CP4)    LEFT   i32  2^leftShift ('tflite-reference'; 1 otherwise)
 *   [2·CP4, 3·CP4)  SHIFT  i32  right shift: e = max(−shift, 0) ('tflite-reference'), k = 31 − shift ('single-rounding')
 *   [3·CP4, 4·CP4)  SCALE  f32  'xnnpack-fp32' scale
 *   [4·CP4, 6·CP4)  ROUND  i64  rounding addend: 2^(e−1) (0 when e = 0), resp. 2^(k−1)
 *   [6·CP4, 8·CP4)  NEG    i64  1 where negative values round half away from zero ('tflite-reference', e ≥ 1), else 0
 *
 * The fixed-point conventions as one exact 64-bit pipeline per lane (products from i64x2.extmul):
 *   'tflite-reference'  a = acc·2^leftShift (int32, wraps like Math.imul); p = a·m (exact int64);
 *                       SaturatingRoundingDoublingHighMul = floor((p + 2³⁰) / 2³¹): the reference's
 *                       nudge (2³⁰ or 1 − 2³⁰) followed by truncation towards zero is exactly this
 *                       floor, because for p < 0 truncation adds 2³¹ − 1 and 1 − 2³⁰ + 2³¹ − 1 = 2³⁰
 *                       (its one saturating input, a = m = INT32_MIN, is sent to the scalar kernel
 *                       by the backend); RoundingDivideByPOT(r, e) = floor((r + 2^(e−1) − [r < 0]) / 2^e)
 *                       for e ≥ 1 (half away from zero), r for e = 0.
 *   'single-rounding'   floor((acc·m + 2^(k−1)) / 2^k), low 32 bits.
 *   'xnnpack-fp32'      rint(clamp(f32(f32(acc)·scale), min − zo, max − zo)) + zo: f32x4 IEEE
 *                       arithmetic, exactly Math.fround's; rint (ties to even) by the 1.5·2²³
 *                       addition (fp32ToInt), exact because the clamp keeps |v| ≤ 255.
 * Right shifts by a per-lane amount do not exist in SIMD128: when every channel shares one shift
 * (always for per-tensor uint8) `uniform` is that shift; otherwise (−1) each i64 lane is shifted
 * on its own.
 */

export const MODE_DOUBLE: i32 = 0; // 'tflite-reference'
export const MODE_SINGLE: i32 = 1; // 'single-rounding'
export const MODE_FP32: i32 = 2; // 'xnnpack-fp32'

/** 1.5·2²³: adding it to |v| ≤ 2²² leaves rint(v) (ties to even) in the low mantissa bits. */
const MAGIC: f32 = 12582912.0;
const MAGIC_BITS: i32 = 0x4B400000;

/**
 * rint(v) + zo for lanes already clamped to the 8-bit range minus zo (|v| ≤ 255): v + 1.5·2²³
 * lies in [2²³, 2²⁴), where the float32 spacing is 1, so the IEEE addition itself rounds v to the
 * nearest integer, ties to even — exactly f32x4.nearest — and the bits of the sum are
 * MAGIC_BITS + rint(v). Two instructions instead of nearest + trunc_sat (which V8 lowers to about
 * ten on x64 to handle NaN and overflow, impossible here).
 */
// @ts-ignore: decorator
@inline export function fp32ToInt(v: v128, zo: v128): v128 {
  return i32x4.add(i32x4.sub(f32x4.add(v, f32x4.splat(MAGIC)), i32x4.splat(MAGIC_BITS)), zo);
}

/** Arithmetic right shift of each i64 lane by its own amount (i32 shifts at s, s + 4). */
// @ts-ignore: decorator
@inline function shrLanes(v: v128, s: usize): v128 {
  const lo = i64x2.extract_lane(v, 0) >> <i64>load<i32>(s);
  const hi = i64x2.extract_lane(v, 1) >> <i64>load<i32>(s, 4);
  return i64x2.replace_lane(i64x2.splat(lo), 1, hi);
}

/**
 * Four accumulators of channels c … c+3 (cb = 4·c bytes) → int32 outputs with the zero point
 * added and the activation range applied (zo, lo, hi splatted; flo/fhi = f32 of lo − zo, hi − zo).
 */
// @ts-ignore: decorator
@inline export function requant4(
  acc: v128, rq: usize, cb: usize, cp4: usize, mode: i32, uniform: i32,
  zo: v128, lo: v128, hi: v128, flo: v128, fhi: v128,
): v128 {
  if (mode == MODE_FP32) {
    let v = f32x4.mul(f32x4.convert_i32x4_s(acc), v128.load(rq + 3 * cp4 + cb));
    v = f32x4.pmin(f32x4.pmax(v, flo), fhi);
    return fp32ToInt(v, zo);
  }
  const a = mode == MODE_DOUBLE ? i32x4.mul(acc, v128.load(rq + cp4 + cb)) : acc;
  const m = v128.load(rq + cb);
  let p0 = i64x2.extmul_low_i32x4_s(a, m);
  let p1 = i64x2.extmul_high_i32x4_s(a, m);
  const r64 = rq + 4 * cp4 + (cb << 1);
  if (mode == MODE_DOUBLE) {
    const half = i64x2.splat(1 << 30);
    p0 = i64x2.shr_s(i64x2.add(p0, half), 31);
    p1 = i64x2.shr_s(i64x2.add(p1, half), 31);
    const zero = i64x2.splat(0);
    const n64 = rq + 6 * cp4 + (cb << 1);
    p0 = i64x2.sub(p0, v128.and(i64x2.lt_s(p0, zero), v128.load(n64)));
    p1 = i64x2.sub(p1, v128.and(i64x2.lt_s(p1, zero), v128.load(n64, 16)));
  }
  p0 = i64x2.add(p0, v128.load(r64));
  p1 = i64x2.add(p1, v128.load(r64, 16));
  if (uniform >= 0) {
    p0 = i64x2.shr_s(p0, uniform);
    p1 = i64x2.shr_s(p1, uniform);
  } else {
    const s = rq + 2 * cp4 + cb;
    p0 = shrLanes(p0, s);
    p1 = shrLanes(p1, s + 8);
  }
  // Low 32 bits of each i64 lane (the reference's int64 → int32 cast), then + zo (wraps) and clamp.
  const r = i8x16.shuffle(p0, p1, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
  return i32x4.min_s(i32x4.max_s(i32x4.add(r, zo), lo), hi);
}

/** Narrows two vectors of in-range outputs (channels c … c+7) to 8 bytes (lanes 0-7 of the result). */
// @ts-ignore: decorator
@inline export function packQ8x8(r0: v128, r1: v128, signed: bool): v128 {
  const h = i16x8.narrow_i32x4_s(r0, r1);
  return signed ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h);
}

/** Narrows two vectors of in-range outputs (channels c … c+7) to bytes and stores the first n (1..8). */
// @ts-ignore: decorator
@inline export function storeQ8x8(p: usize, r0: v128, r1: v128, n: i32, signed: bool): void {
  const h = i16x8.narrow_i32x4_s(r0, r1);
  const b = signed ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h);
  if (n >= 8) { v128.store64_lane(p, b, 0); return; }
  storeBytes(p, b, n);
}

/** Stores the first n (0..7) byte lanes of b at p. */
// @ts-ignore: decorator
@inline export function storeBytes(p: usize, b: v128, n: i32): void {
  if (n >= 4) { v128.store32_lane(p, b, 0); if (n >= 5) v128.store8_lane(p, b, 4, 4); if (n >= 6) v128.store8_lane(p, b, 5, 5); if (n >= 7) v128.store8_lane(p, b, 6, 6); return; }
  if (n >= 1) v128.store8_lane(p, b, 0);
  if (n >= 2) v128.store8_lane(p, b, 1, 1);
  if (n >= 3) v128.store8_lane(p, b, 2, 2);
}
