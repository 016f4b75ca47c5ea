// SPDX-License-Identifier: Apache-2.0
/**
 * Integer depthwise convolution, channel multiplier 1, any kernel size, stride and dilation: the
 * "depthwise 3×3" of every inverted residual block (stride 1 or 2; DeepLab's atrous rates as
 * dilation). Twin of kernels/q8-dwconv2d-nhwc.ts, bit for bit.
 *
 *   y   [N, OH, OW, C]   uint8/int8
 *   xp  [N, HP, WP, CP]  int16 x − zx with the padding as explicit zeros (q8_pad_widen), so output
 *                        (oy, ox) reads padded row oy·SH + kh·DH, column ox·SW + kw·DW: no tests
 *   wp  [bias i32 × CP], then the taps in pairs (taps t = i·KW + j, pair p = taps 2p and 2p+1; an
 *       odd last tap pairs with a zero weight): pair p, channel group g at 4·CP·p + 32·g bytes,
 *       two vectors of 8 int16, [w'(2p, c) w'(2p+1, c)] for c = 8g … 8g+3, then 8g+4 … 8g+7,
 *       w' = w − zw (CP = C rounded up to 8, zero channels)
 *   rq  requantization block for CP channels (q8-requantize.ts)
 *
 * 8 channels per step, two taps per multiply: the x' vectors of a tap pair (8 channels each) are
 * interleaved lane by lane (one shuffle per half) and i32x4.dot_i16x8_s multiplies them with the
 * interleaved weights and adds the two taps' products per channel: 4 channels × 2 taps per
 * instruction, the densest integer multiply SIMD128 has (|w'|, |x'| ≤ 255: no overflow before
 * the int32 accumulator, which wraps; order-free modulo 2³², see q8-gemm-4x8.ts). The odd last
 * tap is interleaved with itself against a zero weight. For 3×3 the ten weight vectors of a
 * channel group stay in registers while the output row is swept; other sizes run the generic
 * pair loop.
 *
 * Work item: one output row of the N·OH rows. Descriptor d (i32 words):
 *   y xp wp rq HP WP CP C OH OW SH SW DH DW KH KW mode uniform zo lo hi signed.
 */
import { requant4, storeQ8x8 } from './q8-requantize';

/** acc (4 channels) + the two taps' products of the interleaved half `half` (0: channels 0-3, 1: 4-7) of (va, vb). */
// @ts-ignore: decorator
@inline function pairLo(acc: v128, va: v128, vb: v128, w: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(v128.shuffle<i16>(va, vb, 0, 8, 1, 9, 2, 10, 3, 11), w));
}

// @ts-ignore: decorator
@inline function pairHi(acc: v128, va: v128, vb: v128, w: v128): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(v128.shuffle<i16>(va, vb, 4, 12, 5, 13, 6, 14, 7, 15), w));
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
        const wg = taps + cb;
        const w0l = v128.load(wg), w0h = v128.load(wg, 16);
        const w1l = v128.load(wg + cp4), w1h = v128.load(wg + cp4, 16);
        const w2l = v128.load(wg + 2 * cp4), w2h = v128.load(wg + 2 * cp4, 16);
        const w3l = v128.load(wg + 3 * cp4), w3h = v128.load(wg + 3 * cp4, 16);
        const w4l = v128.load(wg + 4 * cp4), w4h = v128.load(wg + 4 * cp4, 16);
        for (let ox = 0; ox < ow; ox++, px += colStep, py += <usize>c) {
          const q0 = px, q1 = px + tapH, q2 = q1 + tapH;
          let va = v128.load(q0), vb = v128.load(q0 + tapW);
          let a0 = pairLo(bias0, va, vb, w0l), a1 = pairHi(bias1, va, vb, w0h);
          va = v128.load(q0 + 2 * tapW); vb = v128.load(q1);
          a0 = pairLo(a0, va, vb, w1l); a1 = pairHi(a1, va, vb, w1h);
          va = v128.load(q1 + tapW); vb = v128.load(q1 + 2 * tapW);
          a0 = pairLo(a0, va, vb, w2l); a1 = pairHi(a1, va, vb, w2h);
          va = v128.load(q2); vb = v128.load(q2 + tapW);
          a0 = pairLo(a0, va, vb, w3l); a1 = pairHi(a1, va, vb, w3h);
          va = v128.load(q2 + 2 * tapW);
          a0 = pairLo(a0, va, va, w4l); a1 = pairHi(a1, va, va, w4h);
          storeQ8x8(py, requant4(a0, rq, cb, cp4, mode, uniform, zo, lo, hi, flo, fhi), requant4(a1, rq, cb + 16, cp4, mode, uniform, zo, lo, hi, flo, fhi), nOut, signed);
        }
      } else {
        const nTaps = kh * kw;
        for (let ox = 0; ox < ow; ox++, px += colStep, py += <usize>c) {
          let a0 = bias0, a1 = bias1;
          let wt = taps + cb;
          // (i, j) of the pair's first tap; the second is the next in row-major order.
          let i = 0, j = 0;
          for (let t = 0; t < nTaps; t += 2, wt += cp4) {
            const va = v128.load(px + <usize>i * tapH + <usize>j * tapW);
            if (++j == kw) { j = 0; i++; }
            let vb = va;
            if (t + 1 < nTaps) {
              vb = v128.load(px + <usize>i * tapH + <usize>j * tapW);
              if (++j == kw) { j = 0; i++; }
            }
            a0 = pairLo(a0, va, vb, v128.load(wt));
            a1 = pairHi(a1, va, vb, v128.load(wt, 16));
          }
          storeQ8x8(py, requant4(a0, rq, cb, cp4, mode, uniform, zo, lo, hi, flo, fhi), requant4(a1, rq, cb + 16, cp4, mode, uniform, zo, lo, hi, flo, fhi), nOut, signed);
        }
      }
    }
  }
}
