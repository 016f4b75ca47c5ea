// SPDX-License-Identifier: Apache-2.0
/**
 * Pointwise (1×1) convolution as a GEMM, and the fully-connected layer on the same micro-kernel.
 *
 *   y  [P, OC]  x [P, IC]  (NHWC activations are already [P, IC] in memory)
 *   wp packed weights, one block per 8 output channels (OC padded with zeros to a multiple of 8):
 *        block b = [bias[8b .. 8b+7], w[8b .. 8b+7, 0], w[8b .. 8b+7, 1], …, w[8b .. 8b+7, IC−1]]
 *        i.e. (IC + 1) · 8 floats; packed once per weight buffer by src/backend/wasm-pack.ts.
 *
 * Micro-kernel: a 4-pixel × 8-channel register tile (8 accumulators), one splat-load of x per
 * pixel and two weight vectors per k. Pixel remainders (P mod 4, e.g. the 49 pixels of a 7×7
 * map) go through a 1 × 8 tile with the same per-element arithmetic; channel remainders
 * (OC mod 8) compute zero-padded lanes and store only the valid ones.
 *
 * Per output element the arithmetic is always: acc = bias; for k = 0 … IC−1: acc = acc + x·w
 * (float32, mul then add); then the clamp. So the 4-row and 1-row paths agree bit for bit, and any
 * split of the pixels (or of the channel blocks) between threads gives the same bits.
 *
 * Loop order: pixel blocks of PIXEL_BLOCK rows outer, channel blocks inside, so a block of x
 * (PIXEL_BLOCK · IC floats) stays in L1/L2 while every weight block streams past it once.
 */
import { clamp4, madd, storeLanes8 } from './common';

const PIXEL_BLOCK: i32 = 32;

/**
 * The GEMM over pixels [p0, p1) and 8-channel weight blocks [b0, b1); also run on row tiles by the
 * fused block (f32-inverted-residual-nhwc.ts), with the same per-element arithmetic.
 */
// @ts-ignore: decorator
@inline export function pwCore(
  p0: i32, p1: i32, b0: i32, b1: i32,
  y: usize, x: usize, wp: usize, ic: i32, oc: i32, lo: f32, hi: f32,
): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const xs = <usize>ic << 2;            // bytes per x row
  const ys = <usize>oc << 2;            // bytes per y row
  const bs = (<usize>ic + 1) << 5;      // bytes per packed weight block
  const kEnd = <usize>ic << 2;
  for (let pb = p0; pb < p1; pb += PIXEL_BLOCK) {
    const pe = min(pb + PIXEL_BLOCK, p1);
    for (let b = b0; b < b1; b++) {
      const wb = wp + <usize>b * bs;
      const nOut = min(8, oc - (b << 3));
      const bias0 = v128.load(wb);
      const bias1 = v128.load(wb, 16);
      const wk0 = wb + 32;
      const yb = y + (<usize>b << 5);
      let p = pb;
      for (; p + 4 <= pe; p += 4) {
        const a0 = x + <usize>p * xs;
        const a1 = a0 + xs;
        const a2 = a1 + xs;
        const a3 = a2 + xs;
        let c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1;
        let c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
        let wk = wk0;
        for (let k: usize = 0; k < kEnd; k += 4, wk += 32) {
          const w0 = v128.load(wk);
          const w1 = v128.load(wk, 16);
          let xv = v128.load32_splat(a0 + k);
          c00 = madd(c00, xv, w0); c01 = madd(c01, xv, w1);
          xv = v128.load32_splat(a1 + k);
          c10 = madd(c10, xv, w0); c11 = madd(c11, xv, w1);
          xv = v128.load32_splat(a2 + k);
          c20 = madd(c20, xv, w0); c21 = madd(c21, xv, w1);
          xv = v128.load32_splat(a3 + k);
          c30 = madd(c30, xv, w0); c31 = madd(c31, xv, w1);
        }
        const o0 = yb + <usize>p * ys;
        storeLanes8(o0, clamp4(c00, vlo, vhi), clamp4(c01, vlo, vhi), nOut);
        storeLanes8(o0 + ys, clamp4(c10, vlo, vhi), clamp4(c11, vlo, vhi), nOut);
        storeLanes8(o0 + 2 * ys, clamp4(c20, vlo, vhi), clamp4(c21, vlo, vhi), nOut);
        storeLanes8(o0 + 3 * ys, clamp4(c30, vlo, vhi), clamp4(c31, vlo, vhi), nOut);
      }
      for (; p < pe; p++) {
        const a0 = x + <usize>p * xs;
        let c00 = bias0, c01 = bias1;
        let wk = wk0;
        for (let k: usize = 0; k < kEnd; k += 4, wk += 32) {
          const xv = v128.load32_splat(a0 + k);
          c00 = madd(c00, xv, v128.load(wk));
          c01 = madd(c01, xv, v128.load(wk, 16));
        }
        storeLanes8(yb + <usize>p * ys, clamp4(c00, vlo, vhi), clamp4(c01, vlo, vhi), nOut);
      }
    }
  }
}

/** Pointwise conv over pixels [p0, p1): threads split the pixels. */
export function f32_pwconv_nhwc_4x8(
  p0: i32, p1: i32, y: usize, x: usize, wp: usize, ic: i32, oc: i32, lo: f32, hi: f32,
): void {
  pwCore(p0, p1, 0, (oc + 7) >> 3, y, x, wp, ic, oc, lo, hi);
}

/**
 * Fully connected x [N, IC] → y [N, OC] over output-channel blocks [b0, b1): with N = 1 there is
 * only one pixel row, so threads split the channels instead.
 */
export function f32_fc_4x8(
  b0: i32, b1: i32, y: usize, x: usize, wp: usize, n: i32, ic: i32, oc: i32, lo: f32, hi: f32,
): void {
  pwCore(0, n, b0, b1, y, x, wp, ic, oc, lo, hi);
}
