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
 * Work item: one output row of the N·OH rows. Descriptor d (i32 words, scales as f32 bits):
 *   y x H W C OH OW scaleH scaleW halfPixel.
 */

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
  const scaleW = load<f32>(d, 32);
  const halfPixel = load<i32>(d, 36) != 0;
  const half = f32x4.splat(0.5);
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
    let o = y + <usize>r * <usize>ow * <usize>c;
    for (let ox = 0; ox < ow; ox++, o += <usize>c) {
      const sx = axisS(ox, scaleW, halfPixel);
      const x0 = max(<i32>Mathf.floor(sx), 0);
      const x1 = min(<i32>Mathf.ceil(sx), w - 1);
      const fxS = sx - <f32>x0;
      const fx = f32x4.splat(fxS), gx = f32x4.splat(<f32>1 - fxS);
      const p00 = row0 + <usize>x0 * <usize>c, p01 = row0 + <usize>x1 * <usize>c;
      const p10 = row1 + <usize>x0 * <usize>c, p11 = row1 + <usize>x1 * <usize>c;
      for (let k = 0; k < c; k += 4) {
        const kk = <usize>k;
        let v = f32x4.mul(f32x4.mul(u8x4(p00 + kk), gy), gx);
        v = f32x4.add(v, f32x4.mul(f32x4.mul(u8x4(p10 + kk), fy), gx));
        v = f32x4.add(v, f32x4.mul(f32x4.mul(u8x4(p01 + kk), gy), fx));
        v = f32x4.add(v, f32x4.mul(f32x4.mul(u8x4(p11 + kk), fy), fx));
        const q = i32x4.trunc_sat_f32x4_u(f32x4.add(v, half));
        const h16 = i16x8.narrow_i32x4_u(q, q);
        const b = i8x16.narrow_i16x8_u(h16, h16);
        if (k < full) v128.store32_lane(o + kk, b, 0);
        else {
          v128.store8_lane(o + kk, b, 0);
          if (k + 1 < c) v128.store8_lane(o + kk, b, 1, 1);
          if (k + 2 < c) v128.store8_lane(o + kk, b, 2, 2);
        }
      }
    }
  }
}

/** Four uint8 values at p as f32x4. */
// @ts-ignore: decorator
@inline function u8x4(p: usize): v128 {
  return f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p))));
}
