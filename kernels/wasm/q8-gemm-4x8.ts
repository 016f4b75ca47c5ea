// SPDX-License-Identifier: Apache-2.0
/**
 * Integer matrix product with requantization: the quantized 1×1 pointwise conv (expansion and
 * projection of every inverted residual block, most of MobileNetV2's MAdds) and, on im2col rows,
 * the general conv (the 3×3 stride-2 stem). Twin of kernels/q8-fully-connected.ts (q8PwConvNhwc)
 * and kernels/q8-conv2d-nhwc.ts, bit for bit.
 *
 *   y   [P, OC]  uint8/int8 outputs
 *   x   int16 x − zx, K rounded up to KP (even) with zeros, in the 4-pixel interleaved "X4" layout
 *       of widenGroups / q8_im2col (q8-layout.ts): pixel group q = p / 4, k pair j at byte
 *       (q·KP/2 + j)·16 + 4·(p mod 4), staged here one block of pixels at a time just before it
 *       is used: from src [P, IC] 8-bit (pointwise: src ≠ 0) or by im2col (general conv: the
 *       q8_im2col descriptor at im2col ≠ 0); with neither, x is already staged
 *   wp  packed weights, one block per 8 output channels (OC padded with zero channels):
 *         [bias i32 × 8] then for each pair of k (2j, 2j+1): two vectors of 8 int16,
 *         [w'(c,2j) w'(c,2j+1)] for c = 8b … 8b+3, then for c = 8b+4 … 8b+7, w' = w − zw
 *   rq  requantization block (q8-requantize.ts) for CP = 8·ceil(OC/8) channels
 *
 * acc = bias + Σ_k w'·x' in int32: i32x4.dot_i16x8_s multiplies the int16 pairs into int32 and
 * adds the two products (|w'|, |x'| ≤ 255, so nothing overflows before the accumulator), and the
 * accumulator wraps modulo 2³² exactly like the scalar kernel's `| 0` — sums modulo 2³² do not
 * depend on their order, so any tiling and any thread split give the scalar kernel's int32.
 *
 * Micro-kernel: 4 pixels × 8 channels (8 accumulators), per k pair two weight vectors and one
 * 4-byte splat per pixel at a constant offset (the X4 layout: no address arithmetic per pixel);
 * a last partial 4-pixel tile computes its zero rows and stores only its pixels, a last partial
 * channel block computes the zero-padded lanes and stores only the valid ones. Pixel blocks of 32
 * rows outer, channel blocks inner, so a block of x stays in cache while the weights stream past.
 * Work range: pixels, split in multiples of 4.
 *
 * Descriptor d (i32 words): y x wp rq KP OC mode uniform zo lo hi signed src IC zx P im2col.
 */
import { im2colGroups, widenGroups } from './q8-layout';
import { MODE_DOUBLE, MODE_FP32, MODE_SINGLE, packQ8x8, requant4, storeBytes } from './q8-requantize';

const PIXEL_BLOCK: i32 = 32;

export function q8_gemm_4x8(p0: i32, p1: i32, d: usize): void {
  // One copy of the loops per (8-bit type X, requantization mode M) — separate functions, so the
  // constant type and mode remove every branch on them from the inner loops (V8 does not unswitch
  // loops; inlined copies would be folded back into one by the optimizer).
  const mode = load<i32>(d, 24);
  if (load<i32>(d, 44) != 0) {
    if (mode == MODE_FP32) gemmRows<i8, f32>(p0, p1, d);
    else if (mode == MODE_DOUBLE) gemmRows<i8, i64>(p0, p1, d);
    else gemmRows<i8, u64>(p0, p1, d);
  } else {
    if (mode == MODE_FP32) gemmRows<u8, f32>(p0, p1, d);
    else if (mode == MODE_DOUBLE) gemmRows<u8, i64>(p0, p1, d);
    else gemmRows<u8, u64>(p0, p1, d);
  }
}

/** The kernel for 8-bit type X (i8 or u8) and requantization mode M (f32: MODE_FP32, i64: MODE_DOUBLE, u64: MODE_SINGLE). */
function gemmRows<X, M>(p0: i32, p1: i32, d: usize): void {
  const y = <usize>load<i32>(d);
  const x = <usize>load<i32>(d, 4);
  const wp = <usize>load<i32>(d, 8);
  const rq = <usize>load<i32>(d, 12);
  const kp = load<i32>(d, 16);
  const oc = load<i32>(d, 20);
  const uniform = load<i32>(d, 28);
  const zoI = load<i32>(d, 32);
  const loI = load<i32>(d, 36);
  const hiI = load<i32>(d, 40);
  const blocks = (oc + 7) >> 3;
  const full = oc >> 3;
  const bs = 32 + (<usize>kp << 4);    // bytes per weight block
  const src = <usize>load<i32>(d, 48);
  const ic = load<i32>(d, 52);
  const zx = load<i32>(d, 56);
  const pixels = load<i32>(d, 60);
  const im2col = <usize>load<i32>(d, 64);
  for (let pb = p0; pb < p1; pb += PIXEL_BLOCK) {
    const pe = min(pb + PIXEL_BLOCK, p1);
    if (src != 0) widenGroups(x, src, pb >> 2, (pe + 3) >> 2, pixels, ic, kp, zx, isSigned<X>());
    else if (im2col != 0) im2colGroups(pb >> 2, (pe + 3) >> 2, im2col);
    let b = 0;
    for (; b < full; b++) gemmBlock<X, M, u8>(y, x, wp + <usize>b * bs, rq, b, blocks, oc, kp, pb, pe, uniform, zoI, loI, hiI);
    if (b < blocks) gemmBlock<X, M, u16>(y, x, wp + <usize>b * bs, rq, b, blocks, oc, kp, pb, pe, uniform, zoI, loI, hiI);
  }
}

/**
 * Channel block b (8 channels; F = u8: all 8 valid, u16: the last, partial block) for pixels
 * [pb, pe) (pb a multiple of 4): 4-pixel tiles, the last one storing only its pixels < pe.
 */
function gemmBlock<X, M, F>(
  y: usize, x: usize, wb: usize, rq: usize, b: i32, blocks: i32, oc: i32, kp: i32, pb: i32, pe: i32,
  uniform: i32, zoI: i32, loI: i32, hiI: i32,
): void {
  const signed = isSigned<X>();
  const mode = isFloat<M>() ? MODE_FP32 : isSigned<M>() ? MODE_DOUBLE : MODE_SINGLE;
  const partial = sizeof<F>() == 2;
  const zo = i32x4.splat(zoI);
  const lo = i32x4.splat(loI);
  const hi = i32x4.splat(hiI);
  const flo = f32x4.splat(<f32>(loI - zoI));
  const fhi = f32x4.splat(<f32>(hiI - zoI));
  const cp4 = <usize>(blocks << 5);
  const cb = <usize>b << 5;
  const nOut = oc - (b << 3);
  const ys = <usize>oc;                  // bytes per y row
  const gs = <usize>kp << 3;             // bytes per group of 4 x rows
  const pairs = kp >> 1;
  const bias0 = v128.load(wb);
  const bias1 = v128.load(wb, 16);
  const wk0 = wb + 32;
  const yb = y + (<usize>b << 3);
  for (let p = pb; p < pe; p += 4) {
    if (pe - p == 1) {
      // A lone pixel (the classifier's FULLY_CONNECTED, a remainder): a 1 × 8 tile, not 4 × 8 with three zero rows.
      let c00 = bias0, c01 = bias1;
      let xq = x + <usize>(p >> 2) * gs;
      let wk = wk0;
      for (let j = 0; j < pairs; j++, xq += 16, wk += 32) {
        const xv = v128.load32_splat(xq);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(xv, v128.load(wk)));
        c01 = i32x4.add(c01, i32x4.dot_i16x8_s(xv, v128.load(wk, 16)));
      }
      const r0 = packQ8x8(requant4(c00, rq, cb, cp4, mode, uniform, zo, lo, hi, flo, fhi), requant4(c01, rq, cb + 16, cp4, mode, uniform, zo, lo, hi, flo, fhi), signed);
      storeRow(yb + <usize>p * ys, r0, partial ? nOut : 8);
      continue;
    }
    let c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1;
    let c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
    let xq = x + <usize>(p >> 2) * gs;
    let wk = wk0;
    for (let j = 0; j < pairs; j++, xq += 16, wk += 32) {
      const w0 = v128.load(wk), w1 = v128.load(wk, 16);
      let xv = v128.load32_splat(xq);
      c00 = i32x4.add(c00, i32x4.dot_i16x8_s(xv, w0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(xv, w1));
      xv = v128.load32_splat(xq, 4);
      c10 = i32x4.add(c10, i32x4.dot_i16x8_s(xv, w0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(xv, w1));
      xv = v128.load32_splat(xq, 8);
      c20 = i32x4.add(c20, i32x4.dot_i16x8_s(xv, w0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(xv, w1));
      xv = v128.load32_splat(xq, 12);
      c30 = i32x4.add(c30, i32x4.dot_i16x8_s(xv, w0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(xv, w1));
    }
    const o = yb + <usize>p * ys;
    const r0 = packQ8x8(requant4(c00, rq, cb, cp4, mode, uniform, zo, lo, hi, flo, fhi), requant4(c01, rq, cb + 16, cp4, mode, uniform, zo, lo, hi, flo, fhi), signed);
    const r1 = packQ8x8(requant4(c10, rq, cb, cp4, mode, uniform, zo, lo, hi, flo, fhi), requant4(c11, rq, cb + 16, cp4, mode, uniform, zo, lo, hi, flo, fhi), signed);
    const r2 = packQ8x8(requant4(c20, rq, cb, cp4, mode, uniform, zo, lo, hi, flo, fhi), requant4(c21, rq, cb + 16, cp4, mode, uniform, zo, lo, hi, flo, fhi), signed);
    const r3 = packQ8x8(requant4(c30, rq, cb, cp4, mode, uniform, zo, lo, hi, flo, fhi), requant4(c31, rq, cb + 16, cp4, mode, uniform, zo, lo, hi, flo, fhi), signed);
    const rows = pe - p;
    if (!partial && rows >= 4) {
      v128.store64_lane(o, r0, 0);
      v128.store64_lane(o + ys, r1, 0);
      v128.store64_lane(o + 2 * ys, r2, 0);
      v128.store64_lane(o + 3 * ys, r3, 0);
    } else {
      storeRow(o, r0, nOut);
      if (rows > 1) storeRow(o + ys, r1, nOut);
      if (rows > 2) storeRow(o + 2 * ys, r2, nOut);
      if (rows > 3) storeRow(o + 3 * ys, r3, nOut);
    }
  }
}

/** Stores the first n (1..8, more = 8) bytes of a packed row. */
function storeRow(p: usize, v: v128, n: i32): void {
  if (n >= 8) v128.store64_lane(p, v, 0);
  else storeBytes(p, v, n);
}
