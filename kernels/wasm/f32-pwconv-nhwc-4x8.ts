// SPDX-License-Identifier: Apache-2.0
/**
 * Pointwise (1×1) convolution as a GEMM, and the fully-connected layer on the same micro-kernel.
 *
 *   y  [P, OC]  x [P, IC]  (NHWC activations are already [P, IC] in memory)
 *   wp packed weights, one block per 8 output channels (OC padded with zeros to a multiple of 8):
 *        block b = [bias[8b .. 8b+7], w[8b .. 8b+7, 0], w[8b .. 8b+7, 1], …, w[8b .. 8b+7, IC−1]]
 *        i.e. (IC + 1) · 8 floats; packed once per weight buffer by src/backend/wasm-pack.ts.
 *
 * Micro-kernel: a 4-pixel × 8-channel register tile (8 accumulators), one splat-load of x per
 * pixel and two weight vectors per k. The x rows of a pixel block are first STAGED, 4 pixels
 * interleaved per k ([group][k][4 pixels], `stage`: PIXEL_BLOCK · IC floats of scratch), so the
 * tile's four splat-loads sit at constant offsets from one pointer: measured on a 2-vCPU Xeon
 * (bench/fused-kernels.ts), the four address additions per k this removes were worth 1.2–1.4× —
 * they competed with the float multiplies and adds for the same execution ports. Pixel remainders (P mod 4, e.g. the 49 pixels of a 7×7
 * map) go through a 1 × 8 tile with the same per-element arithmetic; channel remainders
 * (OC mod 8) compute zero-padded lanes and store only the valid ones.
 *
 * Per output element the arithmetic is always: acc = bias; for k = 0 … IC−1: acc = acc + x·w
 * (float32, mul then add); then the clamp. So the 4-row and 1-row paths agree bit for bit, and any
 * split of the pixels (or of the channel blocks) between threads gives the same bits.
 *
 * Loop order: pixel blocks of PIXEL_BLOCK rows outer, channel blocks inside, so a block of x
 * (PIXEL_BLOCK · IC floats, staged) stays in L1/L2 while every weight block streams past it once.
 * 64 pixels: a 7×7 map (49 pixels) is one block, so its 1×1 weights (up to 1.6 MB at 1.0/224, not
 * cache-resident in a whole network) are read once per layer, not twice as with 32.
 */
import { claimSlot, clamp4, madd, releaseSlot, storeLanes8 } from './common';

const PIXEL_BLOCK: i32 = 64;

/**
 * Copies `bytes` bytes from each of 4 rows (r0, r0 + stride, r0 + 2·stride, r0 + 3·stride) to `dst`
 * interleaved as [float][4 rows]: a 4×4 transpose per 16 bytes, the remainder one float at a time.
 * Returns the end of what it wrote. Also stages the stem's kernel rows (f32-conv2d-nhwc-c8.ts).
 */
// @ts-ignore: decorator
@inline export function interleave4(dst: usize, r0: usize, stride: usize, bytes: usize): usize {
  const r1 = r0 + stride;
  const r2 = r1 + stride;
  const r3 = r2 + stride;
  const bytes16 = bytes & ~(<usize>15);
  let k: usize = 0;
  for (; k < bytes16; k += 16, dst += 64) {
    const a = v128.load(r0 + k);
    const b = v128.load(r1 + k);
    const c = v128.load(r2 + k);
    const d = v128.load(r3 + k);
    const ab01 = i32x4.shuffle(a, b, 0, 4, 1, 5); // a0 b0 a1 b1
    const ab23 = i32x4.shuffle(a, b, 2, 6, 3, 7);
    const cd01 = i32x4.shuffle(c, d, 0, 4, 1, 5);
    const cd23 = i32x4.shuffle(c, d, 2, 6, 3, 7);
    v128.store(dst, i64x2.shuffle(ab01, cd01, 0, 2)); // a0 b0 c0 d0
    v128.store(dst, i64x2.shuffle(ab01, cd01, 1, 3), 16);
    v128.store(dst, i64x2.shuffle(ab23, cd23, 0, 2), 32);
    v128.store(dst, i64x2.shuffle(ab23, cd23, 1, 3), 48);
  }
  for (; k < bytes; k += 4, dst += 16) {
    store<f32>(dst, load<f32>(r0 + k));
    store<f32>(dst, load<f32>(r1 + k), 4);
    store<f32>(dst, load<f32>(r2 + k), 8);
    store<f32>(dst, load<f32>(r3 + k), 12);
  }
  return dst;
}

/** Copies `groups` groups of 4 consecutive x rows (IC floats each) from `x` to `dst` as [group][k][4 pixels]. */
// @ts-ignore: decorator
@inline function stage4(dst: usize, x: usize, groups: i32, ic: i32): void {
  const xs = <usize>ic << 2;
  for (let g = 0; g < groups; g++) dst = interleave4(dst, x + <usize>g * (xs << 2), xs, xs);
}

/** Stores one pixel's 8 channels: contiguous (yHalf = 16, the first nOut lanes) or as two planes' vectors. */
// @ts-ignore: decorator
@inline export function storeTile8(o: usize, v0: v128, v1: v128, yHalf: usize, nOut: i32): void {
  if (yHalf == 16) {
    storeLanes8(o, v0, v1, nOut);
  } else {
    v128.store(o, v0);
    v128.store(o + yHalf, v1);
  }
}

/**
 * The 4-pixel × 8-channel register tile: pixels staged [k][4] at `xg`, weights [k][8] from `wk0`
 * to `wEnd` (32 bytes per k), accumulators starting at the bias; per element acc = acc + x·w in k
 * order, then the clamp; pixel i's 8 channels stored at o0 + i·yPix (storeTile8).
 */
// @ts-ignore: decorator
@inline export function tile4x8(
  o0: usize, yPix: usize, yHalf: usize, nOut: i32, xg: usize, wk0: usize, wEnd: usize,
  bias0: v128, bias1: v128, vlo: v128, vhi: v128,
): void {
  let c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1;
  let c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
  let xk = xg;
  for (let wk = wk0; wk < wEnd; wk += 32, xk += 16) {
    const w0 = v128.load(wk);
    const w1 = v128.load(wk, 16);
    let xv = v128.load32_splat(xk);
    c00 = madd(c00, xv, w0); c01 = madd(c01, xv, w1);
    xv = v128.load32_splat(xk, 4);
    c10 = madd(c10, xv, w0); c11 = madd(c11, xv, w1);
    xv = v128.load32_splat(xk, 8);
    c20 = madd(c20, xv, w0); c21 = madd(c21, xv, w1);
    xv = v128.load32_splat(xk, 12);
    c30 = madd(c30, xv, w0); c31 = madd(c31, xv, w1);
  }
  storeTile8(o0, clamp4(c00, vlo, vhi), clamp4(c01, vlo, vhi), yHalf, nOut);
  storeTile8(o0 + yPix, clamp4(c10, vlo, vhi), clamp4(c11, vlo, vhi), yHalf, nOut);
  storeTile8(o0 + 2 * yPix, clamp4(c20, vlo, vhi), clamp4(c21, vlo, vhi), yHalf, nOut);
  storeTile8(o0 + 3 * yPix, clamp4(c30, vlo, vhi), clamp4(c31, vlo, vhi), yHalf, nOut);
}

/**
 * The GEMM over pixels [p0, p1) and 8-channel weight blocks [b0, b1); also run on row tiles by the
 * fused block (f32-inverted-residual-nhwc.ts), with the same per-element arithmetic. `stage`:
 * PIXEL_BLOCK · IC floats of scratch no other concurrent call uses (src/backend/wasm-simd.ts
 * sizes it). Output element (pixel p, channel 8b + i) goes to y + p·yPix + b·yBlk + i·4 for i < 4 and + yHalf for i ≥ 4: NHWC is yPix = OC·4,
 * yBlk = 32, yHalf = 16 (pwCoreNhwc); the fused block's expanded band is channel-group planar
 * (yPix = 16, one plane of 4 channels per yHalf bytes), where every lane is stored (the planes of
 * the zero-padded channels exist).
 */
// @ts-ignore: decorator
@inline export function pwCore(
  p0: i32, p1: i32, b0: i32, b1: i32,
  y: usize, yPix: usize, yBlk: usize, yHalf: usize,
  x: usize, wp: usize, ic: i32, oc: i32, lo: f32, hi: f32, stage: usize,
): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const xs = <usize>ic << 2;            // bytes per x row
  const bs = (<usize>ic + 1) << 5;      // bytes per packed weight block
  const kEnd = <usize>ic << 2;
  let touched = 0;
  for (let pb = p0; pb < p1; pb += PIXEL_BLOCK) {
    const pe = min(pb + PIXEL_BLOCK, p1);
    stage4(stage, x + <usize>pb * xs, (pe - pb) >> 2, ic);
    for (let b = b0; b < b1; b++) {
      const wb = wp + <usize>b * bs;
      const nOut = yHalf == 16 ? min(8, oc - (b << 3)) : 8;
      const bias0 = v128.load(wb);
      const bias1 = v128.load(wb, 16);
      const wk0 = wb + 32;
      const wEnd = wk0 + (<usize>ic << 5);
      const yb = y + <usize>b * yBlk;
      let p = pb;
      let xg = stage; // the staged group of pixels p … p+3
      // While this block's tiles compute, touch the next block's weights one load per 64-byte line
      // (16 lines per tile), so they are in cache when its first tile starts: the late layers'
      // weights (11 MB at 1.0/224) come from memory on every image, and the first tile of each
      // block otherwise waits on them (1.0/224's last 1×1 with cold weights: 1.31 → 1.20 ms).
      let touchAt = b + 1 < b1 ? wb + bs : 0;
      const touchEnd = b + 1 < b1 ? touchAt + bs : 0;
      for (; p + 4 <= pe; p += 4, xg += xs << 2) {
        tile4x8(yb + <usize>p * yPix, yPix, yHalf, nOut, xg, wk0, wEnd, bias0, bias1, vlo, vhi);
        for (let i = 0; i < 16 && touchAt < touchEnd; i++, touchAt += 64) touched |= load<i32>(touchAt);
      }
      for (; p < pe; p++) {
        const a0 = x + <usize>p * xs;
        let c00 = bias0, c01 = bias1;
        let wk = wk0;
        for (let k: usize = 0; k < kEnd; k += 4, wk += 32) {
          const xv = v128.load32_splat(a0 + k);
          c00 = madd(c00, xv, v128.load(wk));
          c01 = madd(c01, xv, v128.load(wk, 16));
        }
        storeTile8(yb + <usize>p * yPix, clamp4(c00, vlo, vhi), clamp4(c01, vlo, vhi), yHalf, nOut);
      }
    }
  }
  store<i32>(stage, touched); // keeps the touching loads (stage is this call's scratch)
}

/** pwCore writing y as NHWC rows [P, OC]. */
// @ts-ignore: decorator
@inline export function pwCoreNhwc(
  p0: i32, p1: i32, b0: i32, b1: i32,
  y: usize, x: usize, wp: usize, ic: i32, oc: i32, lo: f32, hi: f32, stage: usize,
): void {
  pwCore(p0, p1, b0, b1, y, <usize>oc << 2, 32, 16, x, wp, ic, oc, lo, hi, stage);
}

/**
 * Pointwise conv over pixels [p0, p1): threads split the pixels. Staging scratch: `slots` slots of
 * `slotBytes` (≥ PIXEL_BLOCK · IC · 4) at `scratch`, claimed through the flag words at `flags`.
 */
export function f32_pwconv_nhwc_4x8(
  p0: i32, p1: i32, y: usize, x: usize, wp: usize, ic: i32, oc: i32, lo: f32, hi: f32,
  scratch: usize, slotBytes: i32, flags: usize, slots: i32,
): void {
  const slot = claimSlot(flags, slots);
  pwCoreNhwc(p0, p1, 0, (oc + 7) >> 3, y, x, wp, ic, oc, lo, hi, scratch + <usize>slot * <usize>slotBytes);
  releaseSlot(flags, slot);
}

/**
 * Fully connected x [N, IC] → y [N, OC] over output-channel blocks [b0, b1): with N = 1 there is
 * only one pixel row, so threads split the channels instead (each call stages the rows it needs).
 * Fewer than 4 rows (a batch-1 classifier's FC) run fcRows4Blocks instead of pwCore's 1-pixel path.
 */
export function f32_fc_4x8(
  b0: i32, b1: i32, y: usize, x: usize, wp: usize, n: i32, ic: i32, oc: i32, lo: f32, hi: f32,
  scratch: usize, slotBytes: i32, flags: usize, slots: i32,
): void {
  if (n < 4) {
    fcRows4Blocks(b0, b1, y, x, wp, n, ic, oc, lo, hi);
    return;
  }
  const slot = claimSlot(flags, slots);
  pwCoreNhwc(0, n, b0, b1, y, x, wp, ic, oc, lo, hi, scratch + <usize>slot * <usize>slotBytes);
  releaseSlot(flags, slot);
}

/**
 * Rows [0, n) of x against weight blocks [b0, b1), FOUR 8-channel blocks per pass: eight
 * accumulators instead of the 1-pixel path's two, so neither the add chains nor a single weight
 * stream limit it. The FC's weights (5.1 MB at 1.0/224) come from memory on every image; measured
 * in the network at 1 thread, 0.60 → 0.49 ms (4 streams in flight instead of 1). Per output
 * element the same arithmetic as pwCore: acc = bias; for k: acc = acc + x·w; then the clamp.
 */
// @ts-ignore: decorator
@inline function fcRows4Blocks(b0: i32, b1: i32, y: usize, x: usize, wp: usize, n: i32, ic: i32, oc: i32, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const xs = <usize>ic << 2;
  const bs = (<usize>ic + 1) << 5;
  const ys = <usize>oc << 2;
  for (let p = 0; p < n; p++) {
    const a0 = x + <usize>p * xs;
    const yp = y + <usize>p * ys;
    let b = b0;
    for (; b + 4 <= b1; b += 4) {
      const wa = wp + <usize>b * bs;
      const wb = wa + bs;
      const wc = wb + bs;
      const wd = wc + bs;
      let a00 = v128.load(wa), a01 = v128.load(wa, 16);
      let a10 = v128.load(wb), a11 = v128.load(wb, 16);
      let a20 = v128.load(wc), a21 = v128.load(wc, 16);
      let a30 = v128.load(wd), a31 = v128.load(wd, 16);
      for (let k: usize = 0; k < xs; k += 4) {
        const xv = v128.load32_splat(a0 + k);
        const o = (k << 3) + 32;
        a00 = madd(a00, xv, v128.load(wa + o)); a01 = madd(a01, xv, v128.load(wa + o, 16));
        a10 = madd(a10, xv, v128.load(wb + o)); a11 = madd(a11, xv, v128.load(wb + o, 16));
        a20 = madd(a20, xv, v128.load(wc + o)); a21 = madd(a21, xv, v128.load(wc + o, 16));
        a30 = madd(a30, xv, v128.load(wd + o)); a31 = madd(a31, xv, v128.load(wd + o, 16));
      }
      const yb = yp + (<usize>b << 5);
      storeLanes8(yb, clamp4(a00, vlo, vhi), clamp4(a01, vlo, vhi), min(8, oc - (b << 3)));
      storeLanes8(yb + 32, clamp4(a10, vlo, vhi), clamp4(a11, vlo, vhi), min(8, oc - ((b + 1) << 3)));
      storeLanes8(yb + 64, clamp4(a20, vlo, vhi), clamp4(a21, vlo, vhi), min(8, oc - ((b + 2) << 3)));
      storeLanes8(yb + 96, clamp4(a30, vlo, vhi), clamp4(a31, vlo, vhi), min(8, oc - ((b + 3) << 3)));
    }
    for (; b < b1; b++) {
      const wa = wp + <usize>b * bs;
      let a00 = v128.load(wa), a01 = v128.load(wa, 16);
      for (let k: usize = 0; k < xs; k += 4) {
        const xv = v128.load32_splat(a0 + k);
        const o = (k << 3) + 32;
        a00 = madd(a00, xv, v128.load(wa + o)); a01 = madd(a01, xv, v128.load(wa + o, 16));
      }
      storeLanes8(yp + (<usize>b << 5), clamp4(a00, vlo, vhi), clamp4(a01, vlo, vhi), min(8, oc - (b << 3)));
    }
  }
}
