// SPDX-License-Identifier: Apache-2.0
/**
 * General k×k convolution, NHWC, fused bias + clamp: the stem (3×3 stride 2, IC = 3) and head convs.
 *
 *   y  [N, OH, OW, OC]   x [N, H, W, IC]
 *   wp packed weights, one block per 8 output channels (OC padded with zeros to a multiple of 8):
 *        block b = [bias[8b .. 8b+7], then for (kh, kw, ic) in OHWI order the 8 weights w[8b .. 8b+7, kh, kw, ic]]
 *        i.e. (KH·KW·IC + 1) · 8 floats; packed by src/backend/wasm-pack.ts — exactly a 1×1 block
 *        with K = KH·KW·IC inputs, so the 1×1 kernel's register tile runs it (tile4x8).
 *
 * Work item: one output row of the N·OH rows; threads split [r0, r1).
 * Vectorised over output channels: per tap one splat of x and two weight vectors.
 *  - STAGED rows (dilation 1 across, every kernel row inside the image, a slot of scratch given):
 *    the row's interior columns (every kw tap inside) are cut into groups of 4 pixels (the last
 *    group overlapping the one before when their count is not a multiple of 4) and each group's
 *    K taps are copied once, interleaved [k][4 pixels] (im2col, interleave4), into the slot; then
 *    every 8-channel block runs the 1×1 kernel's 4×8 tile over them: one loop of K taps at
 *    constant offsets instead of KH loops of KW·IC with the taps' addresses computed per pixel.
 *    The stem (K = 27, 28 groups of 4 per row at 1.0/224): 0.85 → 0.72 ms alone on a 2-vCPU Xeon.
 *  - Other rows: 4 interior pixels at a time straight from x.
 *  - Border columns: one pixel with per-tap checks.
 * Taps outside the input are skipped (as in the oracle). Per output element the order is always
 *   acc = bias; for kh (valid) for kw (valid) for ic: acc = acc + x·w
 * so every path, and every thread split, gives the same bits.
 *
 * Parameters are a block of i32/f32 words at `params` (P_* below; src/backend/wasm-simd.ts writes
 * it). P_SCRATCH = 0: no staging.
 */
import { claimSlot, clamp4, madd, releaseSlot } from './common';
import { interleave4, storeTile8, tile4x8 } from './f32-pwconv-nhwc-4x8';

const P_Y = 0;
const P_X = 4;
const P_WP = 8;
const P_H = 12;
const P_W = 16;
const P_IC = 20;
const P_OC = 24;
const P_KH = 28;
const P_KW = 32;
const P_OH = 36;
const P_OW = 40;
const P_SH = 44;
const P_SW = 48;
const P_DH = 52;
const P_DW = 56;
const P_PT = 60;
const P_PL = 64;
const P_LO = 68; // f32
const P_HI = 72; // f32
const P_SCRATCH = 76; // staging slots (0: none), each P_SLOT_BYTES ≥ ⌈OW / 4⌉ · KH·KW·IC · 16
const P_SLOT_BYTES = 80;
const P_FLAGS = 84;
const P_SLOTS = 88;

export function f32_conv2d_nhwc_c8(r0: i32, r1: i32, params: usize): void {
  const y = <usize>load<i32>(params, P_Y);
  const x = <usize>load<i32>(params, P_X);
  const wp = <usize>load<i32>(params, P_WP);
  const h = load<i32>(params, P_H);
  const w = load<i32>(params, P_W);
  const ic = load<i32>(params, P_IC);
  const oc = load<i32>(params, P_OC);
  const kh = load<i32>(params, P_KH);
  const kw = load<i32>(params, P_KW);
  const oh = load<i32>(params, P_OH);
  const ow = load<i32>(params, P_OW);
  const sh = load<i32>(params, P_SH);
  const sw = load<i32>(params, P_SW);
  const dh = load<i32>(params, P_DH);
  const dw = load<i32>(params, P_DW);
  const pt = load<i32>(params, P_PT);
  const pl = load<i32>(params, P_PL);
  const vlo = f32x4.splat(load<f32>(params, P_LO));
  const vhi = f32x4.splat(load<f32>(params, P_HI));
  const scratch = <usize>load<i32>(params, P_SCRATCH);
  const ys = <usize>oc << 2;                       // bytes per output pixel
  const imageBytes = <usize>h * <usize>w * (<usize>ic << 2);
  let slot = 0;
  let stage: usize = 0;
  if (scratch != 0) {
    slot = claimSlot(<usize>load<i32>(params, P_FLAGS), load<i32>(params, P_SLOTS));
    stage = scratch + <usize>slot * <usize>load<i32>(params, P_SLOT_BYTES);
  }
  for (let r = r0; r < r1; r++) {
    const n = r / oh;
    const oy = r - n * oh;
    convRow(y + <usize>r * <usize>ow * ys, ys, 32, 16, x + <usize>n * imageBytes, oy * sh - pt, wp,
      h, w, ic, oc, kh, kw, ow, sw, dh, dw, pl, stage, vlo, vhi);
  }
  if (scratch != 0) releaseSlot(<usize>load<i32>(params, P_FLAGS), slot);
}

/**
 * One output row of the conv (all output channels): image `xn`, first kernel row at input row
 * `ih0`. Output pixel ox, channel 8b + i goes to yrow + ox·yPix + b·yBlk + i·4 (+ yHalf for i ≥ 4):
 * NHWC is (OC·4, 32, 16); the fused block's planar band is (16, 2·plane, plane), where every lane
 * is stored (storeTile8). `stage`: a slot of ⌈OW / 4⌉ · KH·KW·IC · 16 bytes for the staged path
 * (src/backend/wasm-simd.ts: convStageBytes), or 0.
 */
// @ts-ignore: decorator
@inline export function convRow(
  yrow: usize, yPix: usize, yBlk: usize, yHalf: usize, xn: usize, ih0: i32, wp: usize,
  h: i32, w: i32, ic: i32, oc: i32, kh: i32, kw: i32, ow: i32, sw: i32, dh: i32, dw: i32, pl: i32,
  stage: usize, vlo: v128, vhi: v128,
): void {
  const blocks = (oc + 7) >> 3;
  const ps = <usize>ic << 2;                       // bytes per input pixel
  const rowBytes = <usize>w * ps;
  const taps = kh * kw * ic;                       // per output element (the GEMM's K)
  const bs = (<usize>taps + 1) << 5;               // bytes per packed block
  // Columns whose kw taps are all inside: ox·sw − pl ≥ 0 and ox·sw − pl + (kw−1)·dw ≤ w − 1.
  const lastStart = w - 1 - (kw - 1) * dw + pl;
  let owHi = lastStart >= 0 ? lastStart / sw + 1 : 0;
  if (owHi > ow) owHi = ow;
  let owLo = (pl + sw - 1) / sw;
  if (owLo > owHi) owLo = owHi;
  const step = <usize>sw * ps;
  const staged = stage != 0 && dw == 1 && owHi - owLo >= 4 && ih0 >= 0 && ih0 + (kh - 1) * dh < h;
  const wEndOffset = 32 + (<usize>taps << 5);      // end of a block's taps from its start
  const groupBytes = <usize>taps << 4;             // one staged group: K taps × 4 pixels
  const groups = (owHi - owLo + 3) >> 2;
  if (staged) {
    // im2col of the interior groups, once for all the channel blocks.
    const rowTaps = <usize>(kw * ic) << 2;         // bytes of one kernel row's taps (dilation 1)
    let dst = stage;
    for (let gi = 0; gi < groups; gi++) {
      const gx = min(owLo + (gi << 2), owHi - 4);
      const xcol = xn + <usize>(gx * sw - pl) * ps;
      for (let ky = 0; ky < kh; ky++) dst = interleave4(dst, xcol + <usize>(ih0 + ky * dh) * rowBytes, step, rowTaps);
    }
  }
  for (let b = 0; b < blocks; b++) {
    const wb = wp + <usize>b * bs;
    const nOut = yHalf == 16 ? min(8, oc - (b << 3)) : 8;
    const bias0 = v128.load(wb);
    const bias1 = v128.load(wb, 16);
    const yb = yrow + <usize>b * yBlk;
    if (staged) {
      for (let gi = 0; gi < groups; gi++) {
        const gx = min(owLo + (gi << 2), owHi - 4);
        tile4x8(yb + <usize>gx * yPix, yPix, yHalf, nOut, stage + <usize>gi * groupBytes, wb + 32, wb + wEndOffset, bias0, bias1, vlo, vhi);
      }
      for (let ox = 0; ox < owLo; ox++) onePixel(yb, yPix, yHalf, xn, wb, ox, ih0, h, w, ic, kh, kw, sw, dh, dw, pl, ps, rowBytes, nOut, bias0, bias1, vlo, vhi);
      for (let ox = owHi; ox < ow; ox++) onePixel(yb, yPix, yHalf, xn, wb, ox, ih0, h, w, ic, kh, kw, sw, dh, dw, pl, ps, rowBytes, nOut, bias0, bias1, vlo, vhi);
      continue;
    }
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
        for (let ky = 0; ky < kh; ky++) {
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
        const o0 = yb + <usize>gx * yPix;
        storeTile8(o0, clamp4(c00, vlo, vhi), clamp4(c01, vlo, vhi), yHalf, nOut);
        storeTile8(o0 + yPix, clamp4(c10, vlo, vhi), clamp4(c11, vlo, vhi), yHalf, nOut);
        storeTile8(o0 + 2 * yPix, clamp4(c20, vlo, vhi), clamp4(c21, vlo, vhi), yHalf, nOut);
        storeTile8(o0 + 3 * yPix, clamp4(c30, vlo, vhi), clamp4(c31, vlo, vhi), yHalf, nOut);
        ox = gx + 4;
      } else {
        onePixel(yb, yPix, yHalf, xn, wb, ox, ih0, h, w, ic, kh, kw, sw, dh, dw, pl, ps, rowBytes, nOut, bias0, bias1, vlo, vhi);
        ox++;
      }
    }
  }
}

/** Output pixel ox of the row starting at input row ih0, one 8-channel block: every tap checked. */
// @ts-ignore: decorator
@inline function onePixel(
  yb: usize, yPix: usize, yHalf: usize, xn: usize, wb: usize, ox: i32, ih0: i32, h: i32, w: i32, ic: i32, kh: i32, kw: i32,
  sw: i32, dh: i32, dw: i32, pl: i32, ps: usize, rowBytes: usize, nOut: i32,
  bias0: v128, bias1: v128, vlo: v128, vhi: v128,
): void {
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
  storeTile8(yb + <usize>ox * yPix, clamp4(c00, vlo, vhi), clamp4(c01, vlo, vhi), yHalf, nOut);
}
