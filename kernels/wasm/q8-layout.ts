// SPDX-License-Identifier: Apache-2.0
/**
 * Input staging for the integer kernels: 8-bit activations → int16 x' = x − zx in the layout the
 * compute kernels stream through. Subtracting the zero point here (once per input value instead
 * of once per MAdd) is exact, and a tap in the padding becomes an explicit x' = 0, which adds
 * exactly 0 to the int32 accumulator — the same as the scalar kernels' skipping it.
 *
 *   q8_widen      x [P, IC] → [P, KP] (KP ≥ IC even, zero-filled)                 pointwise
 *   q8_pad_widen  x [N, H, W, C] → [N, HP, WP, CP] with the pads and CP − C as 0  depthwise
 *   q8_im2col     x [N, H, W, IC] → [N·OH·OW, KP], row = the receptive field in (kh, kw, ic) order  general conv
 *
 * Work items: pixels (q8_widen), padded rows N·HP (q8_pad_widen), output rows N·OH (q8_im2col).
 * Descriptors (i32 words) are listed per function.
 */

/** Loads one 8-bit value, signed (int8) or not (uint8). */
// @ts-ignore: decorator
@inline function q8At(p: usize, signed: bool): i32 {
  return signed ? <i32>load<i8>(p) : <i32>load<u8>(p);
}

/** n values x − zx from src (bytes) to dst (int16), 8 at a time while 8 remain. */
// @ts-ignore: decorator
@inline function widenRun(dst: usize, src: usize, n: i32, zx: i32, signed: bool): void {
  const z = i16x8.splat(<i16>zx);
  let k = 0;
  for (; k + 8 <= n; k += 8) {
    const v = signed ? v128.load8x8_s(src + <usize>k) : v128.load8x8_u(src + <usize>k);
    v128.store(dst + (<usize>k << 1), i16x8.sub(v, z));
  }
  for (; k < n; k++) store<i16>(dst + (<usize>k << 1), <i16>(q8At(src + <usize>k, signed) - zx));
}

/** d: dst src IC KP zx signed. */
export function q8_widen(p0: i32, p1: i32, d: usize): void {
  const dst = <usize>load<i32>(d);
  const src = <usize>load<i32>(d, 4);
  const ic = load<i32>(d, 8);
  const kp = load<i32>(d, 12);
  const zx = load<i32>(d, 16);
  const signed = load<i32>(d, 20) != 0;
  for (let p = p0; p < p1; p++) {
    const row = dst + (<usize>p * <usize>kp << 1);
    widenRun(row, src + <usize>p * <usize>ic, ic, zx, signed);
    for (let k = ic; k < kp; k++) store<i16>(row + (<usize>k << 1), 0);
  }
}

/** d: dst src H W C CP HP WP PT PL zx signed. */
export function q8_pad_widen(r0: i32, r1: i32, d: usize): void {
  const dst = <usize>load<i32>(d);
  const src = <usize>load<i32>(d, 4);
  const h = load<i32>(d, 8);
  const w = load<i32>(d, 12);
  const c = load<i32>(d, 16);
  const cp = load<i32>(d, 20);
  const hp = load<i32>(d, 24);
  const wpad = load<i32>(d, 28);
  const pt = load<i32>(d, 32);
  const pl = load<i32>(d, 36);
  const zx = load<i32>(d, 40);
  const signed = load<i32>(d, 44) != 0;
  const zero = i16x8.splat(0);
  const pixBytes = <usize>cp << 1;
  for (let r = r0; r < r1; r++) {
    const n = r / hp;
    const ih = r - n * hp - pt;
    const row = dst + <usize>r * <usize>wpad * pixBytes;
    for (let pc = 0; pc < wpad; pc++) {
      const o = row + <usize>pc * pixBytes;
      const iw = pc - pl;
      let k = 0;
      if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
        widenRun(o, src + (<usize>(n * h + ih) * <usize>w + <usize>iw) * <usize>c, c, zx, signed);
        k = c;
        for (; k & 7; k++) store<i16>(o + (<usize>k << 1), 0);
      }
      for (; k < cp; k += 8) v128.store(o + (<usize>k << 1), zero);
    }
  }
}

/** d: dst src H W IC KH KW SH SW DH DW PT PL OH OW KP zx signed. */
export function q8_im2col(r0: i32, r1: i32, d: usize): void {
  const dst = <usize>load<i32>(d);
  const src = <usize>load<i32>(d, 4);
  const h = load<i32>(d, 8);
  const w = load<i32>(d, 12);
  const ic = load<i32>(d, 16);
  const kh = load<i32>(d, 20);
  const kw = load<i32>(d, 24);
  const sh = load<i32>(d, 28);
  const sw = load<i32>(d, 32);
  const dh = load<i32>(d, 36);
  const dw = load<i32>(d, 40);
  const pt = load<i32>(d, 44);
  const pl = load<i32>(d, 48);
  const oh = load<i32>(d, 52);
  const ow = load<i32>(d, 56);
  const kp = load<i32>(d, 60);
  const zx = load<i32>(d, 64);
  const signed = load<i32>(d, 68) != 0;
  for (let r = r0; r < r1; r++) {
    const n = r / oh;
    const oy = r - n * oh;
    for (let ox = 0; ox < ow; ox++) {
      const row = dst + (<usize>(r * ow + ox) * <usize>kp << 1);
      let k = 0;
      const iw0 = ox * sw - pl;
      const rowInside = dw == 1 && iw0 >= 0 && iw0 + kw <= w;
      for (let i = 0; i < kh; i++) {
        const ih = oy * sh - pt + i * dh;
        if (rowInside && ih >= 0 && ih < h) {
          // The whole kernel row is inside and contiguous (dilation 1): KW·IC values in one run.
          widenRun(row + (<usize>k << 1), src + (<usize>(n * h + ih) * <usize>w + <usize>iw0) * <usize>ic, kw * ic, zx, signed);
          k += kw * ic;
          continue;
        }
        for (let j = 0; j < kw; j++) {
          const iw = ox * sw - pl + j * dw;
          const o = row + (<usize>k << 1);
          if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
            widenRun(o, src + (<usize>(n * h + ih) * <usize>w + <usize>iw) * <usize>ic, ic, zx, signed);
          } else {
            for (let t = 0; t < ic; t++) store<i16>(o + (<usize>t << 1), 0);
          }
          k += ic;
        }
      }
      for (; k < kp; k++) store<i16>(row + (<usize>k << 1), 0);
    }
  }
}
