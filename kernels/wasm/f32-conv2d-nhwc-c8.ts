// SPDX-License-Identifier: Apache-2.0
/**
 * General k×k convolution, NHWC, fused bias + clamp: the stem (3×3 stride 2, IC = 3) and head convs.
 *
 *   y  [N, OH, OW, OC]   x [N, H, W, IC]
 *   wp packed weights, one block per 8 output channels (OC padded with zeros to a multiple of 8):
 *        block b = [bias[8b .. 8b+7], then for (kh, kw, ic) in OHWI order the 8 weights w[8b .. 8b+7, kh, kw, ic]]
 *        i.e. (KH·KW·IC + 1) · 8 floats; packed by src/backend/wasm-pack.ts.
 *
 * Work item: one output row of the N·OH rows; threads split [r0, r1).
 * Vectorised over output channels: per tap one splat of x and two weight vectors. Interior
 * columns (every kw tap inside the input) run 4 output pixels at a time so each weight load is
 * used 4 times (the last group overlapping the one before when their count is not a multiple of
 * 4); border columns run one pixel with per-tap checks. Taps outside the input are
 * skipped (as in the oracle). Per output element the order is always
 *   acc = bias; for kh (valid) for kw (valid) for ic: acc = acc + x·w
 * so both paths, and every thread split, give the same bits.
 */
import { clamp4, madd, storeLanes8 } from './common';

export function f32_conv2d_nhwc_c8(
  r0: i32, r1: i32, y: usize, x: usize, wp: usize,
  h: i32, w: i32, ic: i32, oc: i32, kh: i32, kw: i32, oh: i32, ow: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, lo: f32, hi: f32,
): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const blocks = (oc + 7) >> 3;
  const ps = <usize>ic << 2;                       // bytes per input pixel
  const rowBytes = <usize>w * ps;
  const ys = <usize>oc << 2;                       // bytes per output pixel
  const taps = kh * kw * ic;
  const bs = (<usize>taps + 1) << 5;               // bytes per packed block
  // Columns whose kw taps are all inside: ox·sw − pl ≥ 0 and ox·sw − pl + (kw−1)·dw ≤ w − 1.
  const lastStart = w - 1 - (kw - 1) * dw + pl;
  let owHi = lastStart >= 0 ? lastStart / sw + 1 : 0;
  if (owHi > ow) owHi = ow;
  let owLo = (pl + sw - 1) / sw;
  if (owLo > owHi) owLo = owHi;
  const step = <usize>sw * ps;
  const stem = dw == 1 && step == 24;
  const rowTaps = <usize>(kw * ic) << 2;          // bytes of one kernel row's taps (dilation 1)
  for (let r = r0; r < r1; r++) {
    const n = r / oh;
    const oy = r - n * oh;
    const ih0 = oy * sh - pt;
    const xn = x + <usize>n * <usize>h * rowBytes;
    const yrow = y + <usize>r * <usize>ow * ys;
    for (let b = 0; b < blocks; b++) {
      const wb = wp + <usize>b * bs;
      const nOut = min(8, oc - (b << 3));
      const bias0 = v128.load(wb);
      const bias1 = v128.load(wb, 16);
      const yb = yrow + (<usize>b << 5);
      let ox = 0;
      while (ox < ow) {
        if (ox >= owLo && ox < owHi && owHi - owLo >= 4) {
          // 4 interior pixels gx … gx+3, all kw taps inside horizontally; the last interior group
          // is the last four interior columns, recomputing up to three (same bits) rather than
          // running them through the 1-pixel path.
          const gx = min(ox, owHi - 4);
          let c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1;
          let c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
          const xcol = xn + <usize>(gx * sw - pl) * ps;
          if (stem) {
            // With dilation 1 a kernel row's kw·IC taps are contiguous floats in x, and the four
            // pixels sit 24 bytes apart (stride 2, IC = 3: the stem), a constant memory offset,
            // so each tap costs one pointer step instead of four address additions. (The same
            // step as the 1×1 kernel's tile with offsets 4/8/12: wasm load offsets are immediates,
            // so a shared helper taking them as arguments would give the additions back.)
            for (let ky = 0; ky < kh; ky++) {
              const ih = ih0 + ky * dh;
              if (ih < 0 || ih >= h) continue;
              let wk = wb + 32 + <usize>(ky * kw * ic) * 32;
              let a = xcol + <usize>ih * rowBytes;
              const aEnd = a + rowTaps;
              for (; a < aEnd; a += 4, wk += 32) {
                const w0 = v128.load(wk);
                const w1 = v128.load(wk, 16);
                let xv = v128.load32_splat(a);
                c00 = madd(c00, xv, w0); c01 = madd(c01, xv, w1);
                xv = v128.load32_splat(a, 24);
                c10 = madd(c10, xv, w0); c11 = madd(c11, xv, w1);
                xv = v128.load32_splat(a, 48);
                c20 = madd(c20, xv, w0); c21 = madd(c21, xv, w1);
                xv = v128.load32_splat(a, 72);
                c30 = madd(c30, xv, w0); c31 = madd(c31, xv, w1);
              }
            }
          } else for (let ky = 0; ky < kh; ky++) {
            const ih = ih0 + ky * dh;
            if (ih < 0 || ih >= h) continue;
            let wk = wb + 32 + <usize>(ky * kw * ic) * 32;
            let a0 = xcol + <usize>ih * rowBytes;
            for (let kx = 0; kx < kw; kx++) {
              const a1 = a0 + step;
              const a2 = a1 + step;
              const a3 = a2 + step;
              for (let k: usize = 0; k < ps; k += 4, wk += 32) {
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
              a0 += <usize>dw * ps;
            }
          }
          const o0 = yb + <usize>gx * ys;
          storeLanes8(o0, clamp4(c00, vlo, vhi), clamp4(c01, vlo, vhi), nOut);
          storeLanes8(o0 + ys, clamp4(c10, vlo, vhi), clamp4(c11, vlo, vhi), nOut);
          storeLanes8(o0 + 2 * ys, clamp4(c20, vlo, vhi), clamp4(c21, vlo, vhi), nOut);
          storeLanes8(o0 + 3 * ys, clamp4(c30, vlo, vhi), clamp4(c31, vlo, vhi), nOut);
          ox = gx + 4;
        } else {
          let c00 = bias0, c01 = bias1;
          const iw0 = ox * sw - pl;
          for (let ky = 0; ky < kh; ky++) {
            const ih = ih0 + ky * dh;
            if (ih < 0 || ih >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const iw = iw0 + kx * dw;
              if (iw < 0 || iw >= w) continue;
              let wk = wb + 32 + <usize>((ky * kw + kx) * ic) * 32;
              const a0 = xn + <usize>ih * rowBytes + <usize>iw * ps;
              for (let k: usize = 0; k < ps; k += 4, wk += 32) {
                const xv = v128.load32_splat(a0 + k);
                c00 = madd(c00, xv, v128.load(wk));
                c01 = madd(c01, xv, v128.load(wk, 16));
              }
            }
          }
          storeLanes8(yb + <usize>ox * ys, clamp4(c00, vlo, vhi), clamp4(c01, vlo, vhi), nOut);
          ox++;
        }
      }
    }
  }
}
