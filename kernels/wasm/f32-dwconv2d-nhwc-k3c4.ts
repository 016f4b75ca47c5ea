// SPDX-License-Identifier: Apache-2.0
/**
 * Depthwise 3×3 convolution, channel multiplier 1, NHWC, any stride, dilation and Pad4.
 *
 *   y    [N, OH, OW, C]   x [N, H, W, C]
 *   wp   packed weights, one block per 4 channels (C padded with zeros to a multiple of 4):
 *        block g = [w(0,0) w(0,1) w(0,2) w(1,0) … w(2,2) bias], each a vector of channels 4g … 4g+3,
 *        i.e. 10 vectors (40 floats); packed by src/backend/wasm-pack.ts.
 *   zero W·C + 4 floats of zeros (never written): stands in for an input row outside the image.
 *
 * Work item: one output row r of the N·OH rows; threads split [r0, r1).
 * Loop order (measured fastest, docs/wasm-simd.md §2): channel vector outer, output column inner,
 * the 9 weight vectors held in registers; per output one `mul` followed by 8 `add(mul)`.
 *
 * Padding, exactly as the oracle (a tap outside the input contributes nothing, even with an
 * infinite or NaN weight):
 *  - a kernel row whose input row lies outside the image reads the `zero` row with its three
 *    weights replaced by zeros, so it adds exactly +0 (never 0·∞);
 *  - the output columns whose window crosses the left/right border (at most a few per row) test
 *    each kernel column and skip the outside ones; all other columns run the unchecked loop.
 * Per output the sum is always taken in the order (kw, kh) = (0,0) (0,1) (0,2) (1,0) …, then
 * + bias, then the clamp, and which path computes a pixel depends only on its position, so any
 * split of the rows between threads gives the same bits.
 *
 * Channel remainders (C mod 4): the last vector reads up to 3 floats past the pixel (the next
 * pixel, or the ≥ 16 bytes of slack the backend leaves after every buffer) into lanes that are
 * computed and discarded; only the valid lanes are stored.
 */
import { clamp4, madd, storeLanes } from './common';

const BLOCK_BYTES: usize = 160;

/** First output column whose three taps are inside the input: ⌈pl / sw⌉ (at most owHi). */
// @ts-ignore: decorator
@inline export function dwInteriorLo(pl: i32, sw: i32, owHi: i32): i32 {
  const owLo = (pl + sw - 1) / sw;
  return owLo > owHi ? owHi : owLo;
}

/** One past the last output column whose three taps are inside: ox·sw − pl + 2·dw ≤ w − 1. */
// @ts-ignore: decorator
@inline export function dwInteriorHi(w: i32, ow: i32, sw: i32, dw: i32, pl: i32): i32 {
  const lastStart = w - 1 - 2 * dw + pl;
  const owHi = lastStart >= 0 ? lastStart / sw + 1 : 0;
  return owHi > ow ? ow : owHi;
}

/**
 * One output row, every channel vector: the three input rows it reads are given as pointers
 * (`okK` false: the row lies outside the image and rowK is the zero row, its weights are zeroed).
 * Input pixel p, channel vector g is at rowK + g·xgs + p·xps: NHWC is xgs = 16, xps = C·4; the
 * fused block's expanded band is channel-group planar, xgs = one plane, xps = 16, which puts the
 * three kernel columns at constant offsets (dilation 1) instead of two address additions each:
 * 1.07–1.35× on bench/fused-kernels.ts's depthwise shapes, measured by giving this kernel's NHWC
 * loop constant offsets (wrong values, same work) against the unchanged one. The output row is NHWC
 * with `cs` bytes per pixel (C·4, or more when the c channels are a slice of a wider tensor).
 * Shared by the layer kernel below and the fused block (f32-inverted-residual-nhwc.ts): the same
 * arithmetic per output element in both, whatever the layout.
 */
// @ts-ignore: decorator
@inline export function dwRow3x3(
  yrow: usize, row0: usize, row1: usize, row2: usize, ok0: bool, ok1: bool, ok2: bool,
  wp: usize, c: i32, w: i32, ow: i32, sw: i32, dw: i32, pl: i32, owLo: i32, owHi: i32, vlo: v128, vhi: v128,
  xps: usize, xgs: usize, cs: usize,
): void {
  const vzero = f32x4.splat(0);
  const groups = (c + 3) >> 2;
  const step = <usize>sw * xps;
  const tap = <usize>dw * xps;
  const constantTaps = tap == 16;
  for (let g = 0; g < groups; g++) {
    const wg = wp + <usize>g * BLOCK_BYTES;
    const cOff = <usize>g << 4;
    const lanes = min(4, c - (g << 2));
    const w00 = ok0 ? v128.load(wg) : vzero;
    const w01 = ok0 ? v128.load(wg, 16) : vzero;
    const w02 = ok0 ? v128.load(wg, 32) : vzero;
    const w10 = ok1 ? v128.load(wg, 48) : vzero;
    const w11 = ok1 ? v128.load(wg, 64) : vzero;
    const w12 = ok1 ? v128.load(wg, 80) : vzero;
    const w20 = ok2 ? v128.load(wg, 96) : vzero;
    const w21 = ok2 ? v128.load(wg, 112) : vzero;
    const w22 = ok2 ? v128.load(wg, 128) : vzero;
    const bias = v128.load(wg, 144);
    // The zero row is read at the same offsets for every vector (it is zeros throughout).
    const b0 = ok0 ? row0 + <usize>g * xgs : row0;
    const b1 = ok1 ? row1 + <usize>g * xgs : row1;
    const b2 = ok2 ? row2 + <usize>g * xgs : row2;
    const yg = yrow + cOff;
    // Border columns: test each kernel column.
    for (let ox = 0; ox < ow; ox++) {
      if (ox == owLo) { ox = owHi; if (ox >= ow) break; }
      const iw0 = ox * sw - pl;
      let acc = vzero;
      if (iw0 >= 0 && iw0 < w) {
        const o = <usize>iw0 * xps;
        acc = madd(acc, v128.load(b0 + o), w00);
        acc = madd(acc, v128.load(b1 + o), w10);
        acc = madd(acc, v128.load(b2 + o), w20);
      }
      const iw1 = iw0 + dw;
      if (iw1 >= 0 && iw1 < w) {
        const o = <usize>iw1 * xps;
        acc = madd(acc, v128.load(b0 + o), w01);
        acc = madd(acc, v128.load(b1 + o), w11);
        acc = madd(acc, v128.load(b2 + o), w21);
      }
      const iw2 = iw1 + dw;
      if (iw2 >= 0 && iw2 < w) {
        const o = <usize>iw2 * xps;
        acc = madd(acc, v128.load(b0 + o), w02);
        acc = madd(acc, v128.load(b1 + o), w12);
        acc = madd(acc, v128.load(b2 + o), w22);
      }
      storeLanes(yg + <usize>ox * cs, clamp4(f32x4.add(acc, bias), vlo, vhi), lanes);
    }
    // Interior columns [owLo, owHi): all three kernel columns inside.
    const start = <usize>(owLo * sw - pl) * xps;
    let p0 = b0 + start;
    let p1 = b1 + start;
    let p2 = b2 + start;
    let po = yg + <usize>owLo * cs;
    const end = yg + <usize>owHi * cs;
    if (lanes == 4 && constantTaps) {
      for (; po < end; po += cs) {
        let acc = f32x4.mul(v128.load(p0), w00);
        acc = madd(acc, v128.load(p1), w10);
        acc = madd(acc, v128.load(p2), w20);
        acc = madd(acc, v128.load(p0, 16), w01);
        acc = madd(acc, v128.load(p1, 16), w11);
        acc = madd(acc, v128.load(p2, 16), w21);
        acc = madd(acc, v128.load(p0, 32), w02);
        acc = madd(acc, v128.load(p1, 32), w12);
        acc = madd(acc, v128.load(p2, 32), w22);
        v128.store(po, clamp4(f32x4.add(acc, bias), vlo, vhi));
        p0 += step; p1 += step; p2 += step;
      }
    } else if (lanes == 4) {
      for (; po < end; po += cs) {
        let acc = f32x4.mul(v128.load(p0), w00);
        acc = madd(acc, v128.load(p1), w10);
        acc = madd(acc, v128.load(p2), w20);
        acc = madd(acc, v128.load(p0 + tap), w01);
        acc = madd(acc, v128.load(p1 + tap), w11);
        acc = madd(acc, v128.load(p2 + tap), w21);
        acc = madd(acc, v128.load(p0 + 2 * tap), w02);
        acc = madd(acc, v128.load(p1 + 2 * tap), w12);
        acc = madd(acc, v128.load(p2 + 2 * tap), w22);
        v128.store(po, clamp4(f32x4.add(acc, bias), vlo, vhi));
        p0 += step; p1 += step; p2 += step;
      }
    } else {
      for (; po < end; po += cs) {
        let acc = f32x4.mul(v128.load(p0), w00);
        acc = madd(acc, v128.load(p1), w10);
        acc = madd(acc, v128.load(p2), w20);
        acc = madd(acc, v128.load(p0 + tap), w01);
        acc = madd(acc, v128.load(p1 + tap), w11);
        acc = madd(acc, v128.load(p2 + tap), w21);
        acc = madd(acc, v128.load(p0 + 2 * tap), w02);
        acc = madd(acc, v128.load(p1 + 2 * tap), w12);
        acc = madd(acc, v128.load(p2 + 2 * tap), w22);
        storeLanes(po, clamp4(f32x4.add(acc, bias), vlo, vhi), lanes);
        p0 += step; p1 += step; p2 += step;
      }
    }
  }
}

/**
 * Output row oy: its three input rows (first at oy·sh − pt, dilation dh apart) found in a tensor
 * whose input row ih starts at rows + ih·rowStride — the zero row for those outside the image —
 * then dwRow3x3 (see there for the rest of the arguments). The layer kernel and both splits of the
 * fused block (f32-inverted-residual-nhwc.ts) find their rows this one way.
 */
// @ts-ignore: decorator
@inline export function dwOutputRow(
  yrow: usize, oy: i32, rows: usize, rowStride: usize, h: i32, sh: i32, pt: i32, dh: i32, zero: usize,
  wp: usize, c: i32, w: i32, ow: i32, sw: i32, dw: i32, pl: i32, owLo: i32, owHi: i32, vlo: v128, vhi: v128,
  xps: usize, xgs: usize, cs: usize,
): void {
  const ih0 = oy * sh - pt;
  const ih1 = ih0 + dh;
  const ih2 = ih1 + dh;
  const ok0 = ih0 >= 0 && ih0 < h;
  const ok1 = ih1 >= 0 && ih1 < h;
  const ok2 = ih2 >= 0 && ih2 < h;
  const row0 = ok0 ? rows + <usize>ih0 * rowStride : zero;
  const row1 = ok1 ? rows + <usize>ih1 * rowStride : zero;
  const row2 = ok2 ? rows + <usize>ih2 * rowStride : zero;
  dwRow3x3(yrow, row0, row1, row2, ok0, ok1, ok2, wp, c, w, ow, sw, dw, pl, owLo, owHi, vlo, vhi, xps, xgs, cs);
}

export function f32_dwconv2d_nhwc_k3c4(
  r0: i32, r1: i32, y: usize, x: usize, wp: usize, zero: usize,
  h: i32, w: i32, c: i32, oh: i32, ow: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, lo: f32, hi: f32,
): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const cs = <usize>c << 2;                       // bytes per pixel
  const rowBytes = <usize>w * cs;
  const owHi = dwInteriorHi(w, ow, sw, dw, pl);
  const owLo = dwInteriorLo(pl, sw, owHi);
  for (let r = r0; r < r1; r++) {
    const n = r / oh;
    const oy = r - n * oh;
    dwOutputRow(y + <usize>r * <usize>ow * cs, oy, x + <usize>n * <usize>h * rowBytes, rowBytes, h, sh, pt, dh, zero,
      wp, c, w, ow, sw, dw, pl, owLo, owHi, vlo, vhi, cs, 16, cs);
  }
}
