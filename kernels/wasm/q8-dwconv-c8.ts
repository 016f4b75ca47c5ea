// SPDX-License-Identifier: Apache-2.0
/**
 * Integer depthwise convolution, channel multiplier 1, any kernel size, stride and dilation: the
 * "depthwise 3×3" of every inverted residual block (stride 1 or 2; DeepLab's atrous rates as
 * dilation). Twin of kernels/q8-dwconv2d-nhwc.ts, bit for bit.
 *
 *   y   [N, OH, OW, C]   uint8/int8
 *   xp  [N, HP, WP, CP]  int16 x − zx with the padding as explicit zeros (q8_pad_widen), so output
 *                        (oy, ox) reads padded row oy·SH + kh·DH, column ox·SW + kw·DW: no tests
 *   wp  [bias i32 × CP] then [KH·KW, CP] int16 w − zw (CP = C rounded up to 8, zero channels)
 *   rq  requantization block for CP channels (q8-requantize.ts)
 *
 * 8 channels per step: each tap is one int16 vector of x' times one of w', widened to int32 by
 * i32x4.extmul_{low,high}_i16x8_s and added (int32, wraps; order-free modulo 2³², see
 * q8-gemm-4x8.ts). For 3×3 the nine weight vectors of a channel group stay in registers while
 * the output row is swept; other sizes run the generic tap loop.
 *
 * Work item: one output row of the N·OH rows. Descriptor d (i32 words):
 *   y xp wp rq HP WP CP C OH OW SH SW DH DW KH KW mode uniform zo lo hi signed.
 */
import { requant4, storeQ8x8 } from './q8-requantize';

// @ts-ignore: decorator
@inline function tap(acc: v128, x: v128, w: v128, high: bool): v128 {
  return i32x4.add(acc, high ? i32x4.extmul_high_i16x8_s(x, w) : i32x4.extmul_low_i16x8_s(x, w));
}

export function q8_dwconv_c8(r0: i32, r1: i32, d: usize): void {
  const y = <usize>load<i32>(d);
  const xp = <usize>load<i32>(d, 4);
  const wp = <usize>load<i32>(d, 8);
  const rq = <usize>load<i32>(d, 12);
  const hp = load<i32>(d, 16);
  const wpad = load<i32>(d, 20);
  const cp = load<i32>(d, 24);
  const c = load<i32>(d, 28);
  const oh = load<i32>(d, 32);
  const ow = load<i32>(d, 36);
  const sh = load<i32>(d, 40);
  const sw = load<i32>(d, 44);
  const dh = load<i32>(d, 48);
  const dw = load<i32>(d, 52);
  const kh = load<i32>(d, 56);
  const kw = load<i32>(d, 60);
  const mode = load<i32>(d, 64);
  const uniform = load<i32>(d, 68);
  const zoI = load<i32>(d, 72);
  const loI = load<i32>(d, 76);
  const hiI = load<i32>(d, 80);
  const signed = load<i32>(d, 84) != 0;
  const zo = i32x4.splat(zoI);
  const lo = i32x4.splat(loI);
  const hi = i32x4.splat(hiI);
  const flo = f32x4.splat(<f32>(loI - zoI));
  const fhi = f32x4.splat(<f32>(hiI - zoI));
  const cp4 = <usize>cp << 2;
  const pix = <usize>cp << 1;                   // bytes per padded pixel
  const rowBytes = <usize>wpad * pix;
  const taps = wp + cp4;
  const colStep = <usize>sw * pix;
  const tapW = <usize>dw * pix;
  const tapH = <usize>dh * rowBytes;
  const groups = cp >> 3;
  const yRow = <usize>ow * <usize>c;
  for (let r = r0; r < r1; r++) {
    const n = r / oh;
    const oy = r - n * oh;
    const x0 = xp + (<usize>(n * hp + oy * sh)) * rowBytes;
    const yr = y + <usize>r * yRow;
    for (let g = 0; g < groups; g++) {
      const gb = <usize>g << 4;
      const cb = <usize>g << 5;
      const nOut = min(8, c - (g << 3));
      const bias0 = v128.load(wp + cb);
      const bias1 = v128.load(wp + cb, 16);
      let px = x0 + gb;
      let py = yr + (<usize>g << 3);
      if (kh == 3 && kw == 3) {
        const wg = taps + gb;
        const w00 = v128.load(wg), w01 = v128.load(wg + pix), w02 = v128.load(wg + 2 * pix);
        const w10 = v128.load(wg + 3 * pix), w11 = v128.load(wg + 4 * pix), w12 = v128.load(wg + 5 * pix);
        const w20 = v128.load(wg + 6 * pix), w21 = v128.load(wg + 7 * pix), w22 = v128.load(wg + 8 * pix);
        for (let ox = 0; ox < ow; ox++, px += colStep, py += <usize>c) {
          const q0 = px, q1 = px + tapH, q2 = q1 + tapH;
          let v = v128.load(q0);
          let a0 = tap(bias0, v, w00, false), a1 = tap(bias1, v, w00, true);
          v = v128.load(q0 + tapW); a0 = tap(a0, v, w01, false); a1 = tap(a1, v, w01, true);
          v = v128.load(q0 + 2 * tapW); a0 = tap(a0, v, w02, false); a1 = tap(a1, v, w02, true);
          v = v128.load(q1); a0 = tap(a0, v, w10, false); a1 = tap(a1, v, w10, true);
          v = v128.load(q1 + tapW); a0 = tap(a0, v, w11, false); a1 = tap(a1, v, w11, true);
          v = v128.load(q1 + 2 * tapW); a0 = tap(a0, v, w12, false); a1 = tap(a1, v, w12, true);
          v = v128.load(q2); a0 = tap(a0, v, w20, false); a1 = tap(a1, v, w20, true);
          v = v128.load(q2 + tapW); a0 = tap(a0, v, w21, false); a1 = tap(a1, v, w21, true);
          v = v128.load(q2 + 2 * tapW); a0 = tap(a0, v, w22, false); a1 = tap(a1, v, w22, true);
          storeQ8x8(py, requant4(a0, rq, cb, cp4, mode, uniform, zo, lo, hi, flo, fhi), requant4(a1, rq, cb + 16, cp4, mode, uniform, zo, lo, hi, flo, fhi), nOut, signed);
        }
      } else {
        for (let ox = 0; ox < ow; ox++, px += colStep, py += <usize>c) {
          let a0 = bias0, a1 = bias1;
          let t = taps + gb;
          for (let i = 0; i < kh; i++) {
            let q = px + <usize>i * tapH;
            for (let j = 0; j < kw; j++, q += tapW, t += pix) {
              const v = v128.load(q);
              const wv = v128.load(t);
              a0 = tap(a0, v, wv, false);
              a1 = tap(a1, v, wv, true);
            }
          }
          storeQ8x8(py, requant4(a0, rq, cb, cp4, mode, uniform, zo, lo, hi, flo, fhi), requant4(a1, rq, cb + 16, cp4, mode, uniform, zo, lo, hi, flo, fhi), nOut, signed);
        }
      }
    }
  }
}
