// SPDX-License-Identifier: Apache-2.0
/**
 * uint8 RESIZE_BILINEAR (Mobile DeepLabv3's upsampling of its logits to the input size), twin of
 * the uint8 branch of kernels/q8-resize-bilinear-nhwc.ts (TFLite's ResizeBilinear<uint8_t>) bit
 * for bit: the same float32 operations in the same order, each rounded to float32 — f32 scalar
 * arithmetic for the coordinates, f32x4 (IEEE mul and add, no FMA) for four channels at a time:
 *   s = f32(d·scale) or f32(f32(d + 0.5)·scale − 0.5); lo = max(floor(s), 0), hi = min(ceil(s), in − 1);
 *   f = f32(s − lo), g = f32(1 − f);
 *   out = trunc((((x00·gy)·gx + (x10·fy)·gx) + (x01·gy)·fx) + (x11·fy)·fx + 0.5)
 * (q values are exact in float32; the sum lies in [0, 255.5], so truncation is the conversion).
 *
 *   y [N, OH, OW, C], x [N, H, W, C] uint8 (x may be read up to 3 bytes past a pixel's channels)
 *
 * The column taps and weights depend on the output column only: q8_resize_columns fills a table
 * of them once per call (tab: per output column x0·C, x1·C as i32, fx, gx as f32), which every
 * output row then reads.
 *
 * Work item: one output row of the N·OH rows (q8_resize_columns: output columns). Descriptor d
 * (i32 words, scales as f32 bits): y x H W C OH OW scaleH scaleW halfPixel tab.
 */

import { fp32ToInt } from './q8-requantize';

/** One axis: lower and upper tap and the upper weight, as the scalar kernel's floatAxis. */
// @ts-ignore: decorator
@inline function axisS(d: i32, scale: f32, halfPixel: bool): f32 {
  return halfPixel ? (<f32>d + <f32>0.5) * scale - <f32>0.5 : <f32>d * scale;
}

export function q8_resize_bilinear_u8(r0: i32, r1: i32, d: usize): void {
  const y = <usize>load<i32>(d);
  const x = <usize>load<i32>(d, 4);
  const h = load<i32>(d, 8);
  const w = load<i32>(d, 12);
  const c = load<i32>(d, 16);
  const oh = load<i32>(d, 20);
  const ow = load<i32>(d, 24);
  const scaleH = load<f32>(d, 28);
  const halfPixel = load<i32>(d, 36) != 0;
  const tab = <usize>load<i32>(d, 40);
  const half = f32x4.splat(0.5);
  const zero = i32x4.splat(0);
  const full = c & ~3;
  for (let r = r0; r < r1; r++) {
    const n = r / oh;
    const oy = r - n * oh;
    const sy = axisS(oy, scaleH, halfPixel);
    const y0 = max(<i32>Mathf.floor(sy), 0);
    const y1 = min(<i32>Mathf.ceil(sy), h - 1);
    const fyS = sy - <f32>y0;
    const fy = f32x4.splat(fyS), gy = f32x4.splat(<f32>1 - fyS);
    const row0 = x + <usize>(n * h + y0) * <usize>w * <usize>c;
    const row1 = x + <usize>(n * h + y1) * <usize>w * <usize>c;
    const yRow = y + <usize>r * <usize>ow * <usize>c;
    // Output columns with the same two input columns (a run of about out/in columns when
    // upsampling) share the row-weighted taps x00·gy, x10·fy, x01·gy, x11·fy: computed once per
    // run, each rounded to float32 exactly as the formula rounds it, so the result is unchanged.
    let ox = 0;
    while (ox < ow) {
      const t0 = tab + (<usize>ox << 4);
      const c0 = load<i32>(t0), c1 = load<i32>(t0, 4);
      let end = ox + 1;
      while (end < ow && load<i32>(tab + (<usize>end << 4)) == c0 && load<i32>(tab + (<usize>end << 4), 4) == c1) end++;
      const p00 = row0 + <usize>c0, p01 = row0 + <usize>c1;
      const p10 = row1 + <usize>c0, p11 = row1 + <usize>c1;
      for (let k = 0; k < c; k += 4) {
        const kk = <usize>k;
        const a0 = f32x4.mul(u8x4(p00 + kk), gy), b0 = f32x4.mul(u8x4(p10 + kk), fy);
        const a1 = f32x4.mul(u8x4(p01 + kk), gy), b1 = f32x4.mul(u8x4(p11 + kk), fy);
        let t = t0;
        let o = yRow + <usize>ox * <usize>c + kk;
        for (let j = ox; j < end; j++, t += 16, o += <usize>c) {
          const fx = v128.load32_splat(t, 8), gx = v128.load32_splat(t, 12);
          let v = f32x4.mul(a0, gx);
          v = f32x4.add(v, f32x4.mul(b0, gx));
          v = f32x4.add(v, f32x4.mul(a1, fx));
          v = f32x4.add(v, f32x4.mul(b1, fx));
          // trunc of a value in [0, 256) is its floor; the 1.5·2²³ addition then yields the integer
          // exactly (fp32ToInt) — V8 lowers trunc_sat to about ten x64 instructions.
          const q = fp32ToInt(f32x4.floor(f32x4.add(v, half)), zero);
          const h16 = i16x8.narrow_i32x4_u(q, q);
          const b = i8x16.narrow_i16x8_u(h16, h16);
          if (k < full) v128.store32_lane(o, b, 0);
          else {
            v128.store8_lane(o, b, 0);
            if (k + 1 < c) v128.store8_lane(o, b, 1, 1);
            if (k + 2 < c) v128.store8_lane(o, b, 2, 2);
          }
        }
      }
      ox = end;
    }
  }
}

/**
 * Four uint8 values at p as f32x4. The signed conversion is exact for 0 … 255 and one x64
 * instruction; V8 lowers the unsigned one (convert_i32x4_u) to about eight.
 */
// @ts-ignore: decorator
@inline function u8x4(p: usize): v128 {
  return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p))));
}

/** The column table of q8_resize_bilinear_u8 for output columns [c0, c1) (same descriptor). */
export function q8_resize_columns(c0: i32, c1: i32, d: usize): void {
  const w = load<i32>(d, 12);
  const c = load<i32>(d, 16);
  const scaleW = load<f32>(d, 32);
  const halfPixel = load<i32>(d, 36) != 0;
  const tab = <usize>load<i32>(d, 40);
  for (let ox = c0; ox < c1; ox++) {
    const sx = axisS(ox, scaleW, halfPixel);
    const x0 = max(<i32>Mathf.floor(sx), 0);
    const x1 = min(<i32>Mathf.ceil(sx), w - 1);
    const fx = sx - <f32>x0;
    const t = tab + (<usize>ox << 4);
    store<i32>(t, x0 * c);
    store<i32>(t, x1 * c, 4);
    store<f32>(t, fx, 8);
    store<f32>(t, <f32>1 - fx, 12);
  }
}
