// SPDX-License-Identifier: Apache-2.0
/**
 * Integer depthwise convolution, channel multiplier 1, any kernel size, stride and dilation: the
 * "depthwise 3×3" of every inverted residual block (stride 1 or 2; DeepLab's atrous rates as
 * dilation). Twin of kernels/q8-dwconv2d-nhwc.ts, bit for bit.
 *
 *   y   [N, OH, OW, C]  uint8/int8
 *   x   [N, H, W, C]    uint8/int8, read in place (no staging copy)
 *   wp  [bias' i32 × CP], then the taps in pairs (taps t = i·KW + j, pair p = taps 2p and 2p+1; an
 *       odd last tap pairs with a zero weight): pair p, channel group g at 4·CP·p + 32·g bytes,
 *       two vectors of 8 int16, [w'(2p, c) w'(2p+1, c)] for c = 8g … 8g+3, then 8g+4 … 8g+7,
 *       w' = w − zw (CP = C rounded up to 8, zero channels)
 *   zr  a row of W·C + CP bytes all equal to zx: what a tap in the padding reads
 *   rq  requantization block for CP channels (q8-requantize.ts)
 *
 * The input zero point is folded into the bias: bias' = bias − zx·Σₜ w'(t, c), so
 *   acc = bias' + Σₜ x·w' = bias + Σₜ (x − zx)·w'    (int32, modulo 2³² on both sides),
 * and a tap in the padding reads zx from `zr`, contributing (zx − zx)·w' = 0 — exactly the scalar
 * kernel's skipping it. The int32 accumulator wraps; sums modulo 2³² do not depend on their order
 * (see q8-gemm-4x8.ts), so any pairing, tiling or thread split gives the scalar kernel's int32.
 *
 * Two taps per multiply: 8 channels of a tap pair, widened to int16 on load, are interleaved lane
 * by lane (one shuffle per half) and i32x4.dot_i16x8_s multiplies them with the interleaved
 * weights and adds the two taps' products per channel — 4 channels × 2 taps per instruction, the
 * densest integer multiply SIMD128 has (|w'| ≤ 255, |x| ≤ 255: no overflow before the int32
 * accumulator). The odd last tap is interleaved with itself against a zero weight.
 *
 * 3×3 kernels pair their taps vertically: (t00 t10)(t01 t11)(t02 t12)(t20 t21)(t22 –), t_ij =
 * kernel row i, column j (the packing in src/backend/q8-wasm.ts). With stride 1 or 2 and dilation
 * 1, the interior pixels of an output row are computed by a sliding sweep per channel group
 * (dwSlide3x3): input column c's rows 0 and 1, interleaved once, serve as pairs (t00 t10),
 * (t01 t11), (t02 t12) of three consecutive output pixels, so each pixel loads and interleaves
 * one new column instead of nine taps (stride 2: two new columns, the third shared with the next
 * pixel). On x64 the lane shuffles and widening loads all compete for
 * one execution port; that, not the multiplies, bounds this kernel, and the sweep halves them.
 * Three input rows of the widest layer (56·144 bytes each) stay in L1 across the groups' sweeps.
 *
 * Elsewhere (larger strides, dilation, the border pixels, a partial channel group, other kernel sizes):
 * output pixel outer, channel groups inner, tap addresses computed once per pixel (the padding's
 * go to `zr`).
 *
 * Work item: one output row of the N·OH rows. Descriptor d (i32 words):
 *   y x wp rq zr H W C CP OH OW SH SW DH DW KH KW PT PL mode uniform zo lo hi signed.
 */
import { MODE_DOUBLE, MODE_FP32, MODE_SINGLE, packQ8x8, requant4, storeBytes, storeQ8x8 } from './q8-requantize';

/** acc (channels 0-3 of a group) + both taps' products: lanes 0-3 of va and vb interleaved. */
// @ts-ignore: decorator
@inline function pairLo(acc: v128, va: v128, vb: v128, w: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(v128.shuffle<i16>(va, vb, 0, 8, 1, 9, 2, 10, 3, 11), w));
}

/** The same for channels 4-7 (lanes 4-7). */
// @ts-ignore: decorator
@inline function pairHi(acc: v128, va: v128, vb: v128, w: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(v128.shuffle<i16>(va, vb, 4, 12, 5, 13, 6, 14, 7, 15), w));
}

/** 8 channels at p widened to int16. */
// @ts-ignore: decorator
@inline function load8(p: usize, signed: bool): v128 {
  return signed ? v128.load8x8_s(p) : v128.load8x8_u(p);
}

/** Output bytes of channel group g of one pixel, 3×3 taps at t00 … t22 (+8g). */
// @ts-ignore: decorator
@inline function group3x3(
  g: i32, wp: usize, taps: usize, cp4: usize,
  t00: usize, t01: usize, t02: usize, t10: usize, t11: usize, t12: usize, t20: usize, t21: usize, t22: usize,
  rq: usize, mode: i32, uniform: i32, zo: v128, lo: v128, hi: v128, flo: v128, fhi: v128, signed: bool,
): v128 {
  const gb = <usize>g << 3;
  const cb = <usize>g << 5;
  const wg = taps + cb;
  let va = load8(t00 + gb, signed), vb = load8(t10 + gb, signed);
  let a0 = pairLo(v128.load(wp + cb), va, vb, v128.load(wg)), a1 = pairHi(v128.load(wp + cb, 16), va, vb, v128.load(wg, 16));
  va = load8(t01 + gb, signed); vb = load8(t11 + gb, signed);
  a0 = pairLo(a0, va, vb, v128.load(wg + cp4)); a1 = pairHi(a1, va, vb, v128.load(wg + cp4, 16));
  va = load8(t02 + gb, signed); vb = load8(t12 + gb, signed);
  a0 = pairLo(a0, va, vb, v128.load(wg + 2 * cp4)); a1 = pairHi(a1, va, vb, v128.load(wg + 2 * cp4, 16));
  va = load8(t20 + gb, signed); vb = load8(t21 + gb, signed);
  a0 = pairLo(a0, va, vb, v128.load(wg + 3 * cp4)); a1 = pairHi(a1, va, vb, v128.load(wg + 3 * cp4, 16));
  va = load8(t22 + gb, signed);
  a0 = pairLo(a0, va, va, v128.load(wg + 4 * cp4)); a1 = pairHi(a1, va, va, v128.load(wg + 4 * cp4, 16));
  return packQ8x8(requant4(a0, rq, cb, cp4, mode, uniform, zo, lo, hi, flo, fhi), requant4(a1, rq, cb + 16, cp4, mode, uniform, zo, lo, hi, flo, fhi), signed);
}

/**
 * Output pixels [ox0, ox1) of one row, channel group g (8 full channels), 3×3, stride 1 or 2
 * (`stride2`, a constant at each call site), dilation 1, every tap column inside the image: input
 * column ix = S·ox − pl + j for tap column j. The rolling state is the interleaved rows 0/1 (lo and
 * hi halves) and the widened row 2 of the columns the next pixel shares with this one: two with
 * stride 1, one with stride 2 (its third column is the next pixel's first).
 */
// @ts-ignore: decorator
@inline function dwSlide3x3(
  py: usize, row0: usize, row1: usize, row2: usize, ox0: i32, ox1: i32, pl: i32, c: usize, g: i32, stride2: bool,
  wp: usize, taps: usize, cp4: usize, rq: usize, mode: i32, uniform: i32,
  zo: v128, lo: v128, hi: v128, flo: v128, fhi: v128, signed: bool,
): void {
  const gb = <usize>g << 3;
  const cb = <usize>g << 5;
  const wg = taps + cb;
  const step = stride2 ? c << 1 : c; // bytes between the first columns of consecutive pixels
  const bias0 = v128.load(wp + cb), bias1 = v128.load(wp + cb, 16);
  let col = <usize>((stride2 ? ox0 << 1 : ox0) - pl) * c + gb; // first tap column of pixel ox0
  let a = load8(row0 + col, signed), b = load8(row1 + col, signed);
  let p0lo = v128.shuffle<i16>(a, b, 0, 8, 1, 9, 2, 10, 3, 11), p0hi = v128.shuffle<i16>(a, b, 4, 12, 5, 13, 6, 14, 7, 15);
  let z0 = load8(row2 + col, signed);
  let p1lo = p0lo, p1hi = p0hi, z1 = z0;
  if (!stride2) {
    a = load8(row0 + col + c, signed); b = load8(row1 + col + c, signed);
    p1lo = v128.shuffle<i16>(a, b, 0, 8, 1, 9, 2, 10, 3, 11); p1hi = v128.shuffle<i16>(a, b, 4, 12, 5, 13, 6, 14, 7, 15);
    z1 = load8(row2 + col + c, signed);
  }
  let o = py + <usize>ox0 * c + gb;
  for (let ox = ox0; ox < ox1; ox++, col += step, o += c) {
    if (stride2) {
      a = load8(row0 + col + c, signed); b = load8(row1 + col + c, signed);
      p1lo = v128.shuffle<i16>(a, b, 0, 8, 1, 9, 2, 10, 3, 11); p1hi = v128.shuffle<i16>(a, b, 4, 12, 5, 13, 6, 14, 7, 15);
      z1 = load8(row2 + col + c, signed);
    }
    const c2 = col + (c << 1);
    a = load8(row0 + c2, signed); b = load8(row1 + c2, signed);
    const p2lo = v128.shuffle<i16>(a, b, 0, 8, 1, 9, 2, 10, 3, 11), p2hi = v128.shuffle<i16>(a, b, 4, 12, 5, 13, 6, 14, 7, 15);
    const z2 = load8(row2 + c2, signed);
    let a0 = i32x4.add(bias0, i32x4.dot_i16x8_s(p0lo, v128.load(wg)));
    let a1 = i32x4.add(bias1, i32x4.dot_i16x8_s(p0hi, v128.load(wg, 16)));
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(p1lo, v128.load(wg + cp4)));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(p1hi, v128.load(wg + cp4, 16)));
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(p2lo, v128.load(wg + 2 * cp4)));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(p2hi, v128.load(wg + 2 * cp4, 16)));
    a0 = pairLo(a0, z0, z1, v128.load(wg + 3 * cp4));
    a1 = pairHi(a1, z0, z1, v128.load(wg + 3 * cp4, 16));
    a0 = pairLo(a0, z2, z2, v128.load(wg + 4 * cp4));
    a1 = pairHi(a1, z2, z2, v128.load(wg + 4 * cp4, 16));
    v128.store64_lane(o, packQ8x8(requant4(a0, rq, cb, cp4, mode, uniform, zo, lo, hi, flo, fhi), requant4(a1, rq, cb + 16, cp4, mode, uniform, zo, lo, hi, flo, fhi), signed), 0);
    if (stride2) {
      p0lo = p2lo; p0hi = p2hi; z0 = z2;
    } else {
      p0lo = p1lo; p0hi = p1hi; p1lo = p2lo; p1hi = p2hi; z0 = z1; z1 = z2;
    }
  }
}

export function q8_dwconv_c8(r0: i32, r1: i32, d: usize): void {
  // One copy of the loops per (8-bit type X, requantization mode M) — separate functions, so the
  // constant type and mode remove every branch on them from the inner loops (V8 does not unswitch
  // loops; inlined copies would be folded back into one by the optimizer).
  const mode = load<i32>(d, 76);
  if (load<i32>(d, 96) != 0) {
    if (mode == MODE_FP32) dwRows<i8, f32>(r0, r1, d);
    else if (mode == MODE_DOUBLE) dwRows<i8, i64>(r0, r1, d);
    else dwRows<i8, u64>(r0, r1, d);
  } else {
    if (mode == MODE_FP32) dwRows<u8, f32>(r0, r1, d);
    else if (mode == MODE_DOUBLE) dwRows<u8, i64>(r0, r1, d);
    else dwRows<u8, u64>(r0, r1, d);
  }
}

/** The kernel for 8-bit type X (i8 or u8) and requantization mode M (f32: MODE_FP32, i64: MODE_DOUBLE, u64: MODE_SINGLE). */
function dwRows<X, M>(r0: i32, r1: i32, d: usize): void {
  const signed = isSigned<X>();
  const mode = isFloat<M>() ? MODE_FP32 : isSigned<M>() ? MODE_DOUBLE : MODE_SINGLE;
  const y = <usize>load<i32>(d);
  const x = <usize>load<i32>(d, 4);
  const wp = <usize>load<i32>(d, 8);
  const rq = <usize>load<i32>(d, 12);
  const zr = <usize>load<i32>(d, 16);
  const h = load<i32>(d, 20);
  const w = load<i32>(d, 24);
  const c = load<i32>(d, 28);
  const cp = load<i32>(d, 32);
  const oh = load<i32>(d, 36);
  const ow = load<i32>(d, 40);
  const sh = load<i32>(d, 44);
  const sw = load<i32>(d, 48);
  const dh = load<i32>(d, 52);
  const dw = load<i32>(d, 56);
  const kh = load<i32>(d, 60);
  const kw = load<i32>(d, 64);
  const pt = load<i32>(d, 68);
  const pl = load<i32>(d, 72);
  const uniform = load<i32>(d, 80);
  const zoI = load<i32>(d, 84);
  const loI = load<i32>(d, 88);
  const hiI = load<i32>(d, 92);
  const zo = i32x4.splat(zoI);
  const lo = i32x4.splat(loI);
  const hi = i32x4.splat(hiI);
  const flo = f32x4.splat(<f32>(loI - zoI));
  const fhi = f32x4.splat(<f32>(hiI - zoI));
  const cp4 = <usize>cp << 2;
  const taps = wp + cp4;
  const groups = cp >> 3;
  const fullGroups = c >> 3;
  const rowBytes = <usize>w * <usize>c;
  const yRow = <usize>ow * <usize>c;
  const nTaps = kh * kw;
  for (let r = r0; r < r1; r++) {
    const n = r / oh;
    const oy = r - n * oh;
    const iy0 = oy * sh - pt;
    const img = x + <usize>(n * h) * rowBytes;
    let py = y + <usize>r * yRow;
    if (kh == 3 && kw == 3) {
      // Kernel rows in the padding read the zx row (every column of it is zx).
      const iy1 = iy0 + dh, iy2 = iy1 + dh;
      const row0 = iy0 >= 0 && iy0 < h ? img + <usize>iy0 * rowBytes : zr;
      const row1 = iy1 >= 0 && iy1 < h ? img + <usize>iy1 * rowBytes : zr;
      const row2 = iy2 >= 0 && iy2 < h ? img + <usize>iy2 * rowBytes : zr;
      // Stride 1 or 2, dilation 1: the pixels whose three tap columns are inside, [sx0, sx1), by
      // the sliding sweep for the full channel groups; the rest below, pixel by pixel.
      let sx0 = ow, sx1 = ow;
      if ((sw == 1 || sw == 2) && dw == 1 && fullGroups > 0 && w + pl >= 3) {
        sx0 = min((pl + sw - 1) / sw, ow);
        sx1 = max(sx0, min(ow, (w - 3 + pl) / sw + 1));
        if (sx1 - sx0 >= 2) {
          if (sw == 1) {
            for (let g = 0; g < fullGroups; g++) dwSlide3x3(py, row0, row1, row2, sx0, sx1, pl, <usize>c, g, false, wp, taps, cp4, rq, mode, uniform, zo, lo, hi, flo, fhi, signed);
          } else {
            for (let g = 0; g < fullGroups; g++) dwSlide3x3(py, row0, row1, row2, sx0, sx1, pl, <usize>c, g, true, wp, taps, cp4, rq, mode, uniform, zo, lo, hi, flo, fhi, signed);
          }
        } else {
          sx0 = sx1 = ow;
        }
      }
      for (let ox = 0; ox < ow; ox++, py += <usize>c) {
        const slid = ox >= sx0 && ox < sx1; // full groups already written by the sweep
        if (slid && fullGroups == groups) continue;
        const ix0 = ox * sw - pl, ix1 = ix0 + dw, ix2 = ix1 + dw;
        let t00: usize, t01: usize, t02: usize, t10: usize, t11: usize, t12: usize, t20: usize, t21: usize, t22: usize;
        if (ix0 >= 0 && ix2 < w) {
          const c0 = <usize>ix0 * <usize>c, c1 = <usize>ix1 * <usize>c, c2 = <usize>ix2 * <usize>c;
          t00 = row0 + c0; t01 = row0 + c1; t02 = row0 + c2;
          t10 = row1 + c0; t11 = row1 + c1; t12 = row1 + c2;
          t20 = row2 + c0; t21 = row2 + c1; t22 = row2 + c2;
        } else {
          const in0 = ix0 >= 0 && ix0 < w, in1 = ix1 >= 0 && ix1 < w, in2 = ix2 >= 0 && ix2 < w;
          const c0 = <usize>ix0 * <usize>c, c1 = <usize>ix1 * <usize>c, c2 = <usize>ix2 * <usize>c;
          t00 = in0 ? row0 + c0 : zr; t01 = in1 ? row0 + c1 : zr; t02 = in2 ? row0 + c2 : zr;
          t10 = in0 ? row1 + c0 : zr; t11 = in1 ? row1 + c1 : zr; t12 = in2 ? row1 + c2 : zr;
          t20 = in0 ? row2 + c0 : zr; t21 = in1 ? row2 + c1 : zr; t22 = in2 ? row2 + c2 : zr;
        }
        // Full groups store 8 bytes; a last partial group (C not a multiple of 8) its valid ones.
        let g = slid ? fullGroups : 0;
        for (; g < fullGroups; g++) {
          v128.store64_lane(py + (<usize>g << 3), group3x3(g, wp, taps, cp4, t00, t01, t02, t10, t11, t12, t20, t21, t22, rq, mode, uniform, zo, lo, hi, flo, fhi, signed), 0);
        }
        if (g < groups) storeBytes(py + (<usize>g << 3), group3x3(g, wp, taps, cp4, t00, t01, t02, t10, t11, t12, t20, t21, t22, rq, mode, uniform, zo, lo, hi, flo, fhi, signed), c - (g << 3));
      }
    } else {
      for (let ox = 0; ox < ow; ox++, py += <usize>c) {
        const ix0 = ox * sw - pl;
        for (let g = 0; g < groups; g++) {
          const gb = <usize>g << 3;
          const cb = <usize>g << 5;
          let a0 = v128.load(wp + cb), a1 = v128.load(wp + cb, 16);
          let wt = taps + cb;
          // (i, j) of the pair's first tap; the second is the next in row-major order.
          let i = 0, j = 0;
          for (let t = 0; t < nTaps; t += 2, wt += cp4) {
            let iy = iy0 + i * dh, ix = ix0 + j * dw;
            const va = load8((iy >= 0 && iy < h && ix >= 0 && ix < w ? img + <usize>iy * rowBytes + <usize>ix * <usize>c : zr) + gb, signed);
            if (++j == kw) { j = 0; i++; }
            let vb = va;
            if (t + 1 < nTaps) {
              iy = iy0 + i * dh; ix = ix0 + j * dw;
              vb = load8((iy >= 0 && iy < h && ix >= 0 && ix < w ? img + <usize>iy * rowBytes + <usize>ix * <usize>c : zr) + gb, signed);
              if (++j == kw) { j = 0; i++; }
            }
            a0 = pairLo(a0, va, vb, v128.load(wt));
            a1 = pairHi(a1, va, vb, v128.load(wt, 16));
          }
          storeQ8x8(py + gb, requant4(a0, rq, cb, cp4, mode, uniform, zo, lo, hi, flo, fhi), requant4(a1, rq, cb + 16, cp4, mode, uniform, zo, lo, hi, flo, fhi), min(8, c - (g << 3)), signed);
        }
      }
    }
  }
}
