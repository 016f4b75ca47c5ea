// SPDX-License-Identifier: Apache-2.0
/**
 * Input staging for the integer kernels: 8-bit activations → int16 x' = x − zx in the layout the
 * compute kernels stream through. Subtracting the zero point here (once per input value instead
 * of once per MAdd) is exact, and a tap in the padding becomes an explicit x' = 0, which adds
 * exactly 0 to the int32 accumulator — the same as the scalar kernels' skipping it.
 *
 *   im2colGroups  x [N, H, W, IC] → [N·OH·OW, KP] in the X4 layout, row = the receptive field in (kh, kw, ic) order  general conv
 *   widenGroups   x [P, IC] → [P, KP] in the X4 layout (4 pixels interleaved per k pair)      pointwise
 *
 * Both are inlined in q8_gemm_4x8, which stages each block of pixels just before multiplying it.
 *
 * Ranges: groups of 4 pixels.
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

/**
 * Groups [q0, q1) of 4 output pixels (of N·OH·OW). tmp: [N·OH·OW, KP] int16 for the plain rows
 * (each pixel its own, so threads never share one).
 * d: dst src H W IC KH KW SH SW DH DW PT PL OH OW KP zx signed tmp P.
 */
// @ts-ignore: decorator
@inline export function im2colGroups(q0: i32, q1: i32, d: usize): void {
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
  const tmp = <usize>load<i32>(d, 72);
  const pixels = load<i32>(d, 76);
  const rowBytes = <usize>kp << 1;
  for (let q = q0; q < q1; q++) {
    // The group's (up to) four receptive-field rows, plain, then transposed into X4 while in cache.
    const pix = q << 2;
    const nValid = min(4, pixels - pix);
    for (let i = 0; i < nValid; i++) {
      const p = pix + i;
      const n = p / (oh * ow);
      const rest = p - n * oh * ow;
      const oy = rest / ow;
      const ox = rest - oy * ow;
      const row = tmp + <usize>p * rowBytes;
      let k = 0;
      const iw0 = ox * sw - pl;
      const rowInside = dw == 1 && iw0 >= 0 && iw0 + kw <= w;
      for (let a = 0; a < kh; a++) {
        const ih = oy * sh - pt + a * dh;
        if (rowInside && ih >= 0 && ih < h) {
          // The whole kernel row is inside and contiguous (dilation 1): KW·IC values in one run.
          widenRun(row + (<usize>k << 1), src + (<usize>(n * h + ih) * <usize>w + <usize>iw0) * <usize>ic, kw * ic, zx, signed);
          k += kw * ic;
          continue;
        }
        for (let j = 0; j < kw; j++) {
          const iw = iw0 + j * dw;
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
    interleave4(dst + <usize>q * (<usize>kp << 3), tmp + <usize>pix * rowBytes, kp, nValid);
  }
}

/** Four plain int16 rows of KP values at s (the first n valid, the others read as zeros) → one X4 group at g. */
// @ts-ignore: decorator
@inline function interleave4(g: usize, s0: usize, kp: i32, n: i32): void {
  const zero = i16x8.splat(0);
  const rowBytes = <usize>kp << 1;
  const s1 = s0 + rowBytes, s2 = s1 + rowBytes, s3 = s2 + rowBytes;
  let k = 0;
  for (; k + 8 <= kp; k += 8) {
    const kb = <usize>k << 1;
    storeTransposed4(g + (<usize>k << 3), v128.load(s0 + kb), n > 1 ? v128.load(s1 + kb) : zero, n > 2 ? v128.load(s2 + kb) : zero, n > 3 ? v128.load(s3 + kb) : zero);
  }
  for (; k < kp; k += 2) {
    const o = g + (<usize>(k >> 1) << 4);
    const kb = <usize>k << 1;
    for (let i = 0; i < 4; i++) store<i32>(o + (<usize>i << 2), i < n ? load<i32>(s0 + <usize>i * rowBytes + kb) : 0);
  }
}

/**
 * 4×4 transpose of 32-bit lanes: rows r0 … r3 (pixel i's four k pairs) → column j of the result
 * holds pair j of pixels 0 … 3, stored at dst + 16·j.
 */
// @ts-ignore: decorator
@inline function storeTransposed4(dst: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i64x2.shuffle(t0, t2, 0, 2));
  v128.store(dst, i64x2.shuffle(t0, t2, 1, 3), 16);
  v128.store(dst, i64x2.shuffle(t1, t3, 0, 2), 32);
  v128.store(dst, i64x2.shuffle(t1, t3, 1, 3), 48);
}

/**
 * x [P, IC] 8-bit → the 4-pixel interleaved int16 rows q8_gemm_4x8 reads ("X4"): pixel group
 * q = p / 4, k pair j at byte (q·KP/2 + j)·16 + 4·(p mod 4), the pair (x'(2j), x'(2j+1)) with
 * x' = x − zx; KP ≥ IC even, k ≥ IC zero; the pixels of a last partial group are zero. A tile of
 * four pixels then reads each pixel's pair with one 4-byte splat at a constant offset.
 * Groups [q0, q1) of the P pixels; the gemm stages each block of pixels just before it multiplies
 * it, so the int16 rows are still in L1 when read.
 */
// @ts-ignore: decorator
@inline export function widenGroups(dst: usize, src: usize, q0: i32, q1: i32, p: i32, ic: i32, kp: i32, zx: i32, signed: bool): void {
  const z = i16x8.splat(<i16>zx);
  const zero = i16x8.splat(0);
  const groupBytes = <usize>kp << 3;
  for (let q = q0; q < q1; q++) {
    const g = dst + <usize>q * groupBytes;
    const pix = q << 2;
    const s0 = src + <usize>pix * <usize>ic;
    const s1 = s0 + <usize>ic, s2 = s1 + <usize>ic, s3 = s2 + <usize>ic;
    const n = min(4, p - pix); // valid pixels in this group
    let k = 0;
    if (n == 4) {
      for (; k + 8 <= ic; k += 8) {
        const r0 = i16x8.sub(signed ? v128.load8x8_s(s0 + <usize>k) : v128.load8x8_u(s0 + <usize>k), z);
        const r1 = i16x8.sub(signed ? v128.load8x8_s(s1 + <usize>k) : v128.load8x8_u(s1 + <usize>k), z);
        const r2 = i16x8.sub(signed ? v128.load8x8_s(s2 + <usize>k) : v128.load8x8_u(s2 + <usize>k), z);
        const r3 = i16x8.sub(signed ? v128.load8x8_s(s3 + <usize>k) : v128.load8x8_u(s3 + <usize>k), z);
        storeTransposed4(g + (<usize>k << 3), r0, r1, r2, r3);
      }
    } else {
      for (; k + 8 <= ic; k += 8) {
        const r0 = i16x8.sub(signed ? v128.load8x8_s(s0 + <usize>k) : v128.load8x8_u(s0 + <usize>k), z);
        const r1 = n > 1 ? i16x8.sub(signed ? v128.load8x8_s(s1 + <usize>k) : v128.load8x8_u(s1 + <usize>k), z) : zero;
        const r2 = n > 2 ? i16x8.sub(signed ? v128.load8x8_s(s2 + <usize>k) : v128.load8x8_u(s2 + <usize>k), z) : zero;
        storeTransposed4(g + (<usize>k << 3), r0, r1, r2, zero);
      }
    }
    for (; k < kp; k++) {
      const o = g + (<usize>(k >> 1) << 4) + (<usize>(k & 1) << 1);
      for (let i = 0; i < 4; i++) {
        const v = i < n && k < ic ? q8At(src + <usize>(pix + i) * <usize>ic + <usize>k, signed) - zx : 0;
        store<i16>(o + (<usize>i << 2), <i16>v);
      }
    }
  }
}
