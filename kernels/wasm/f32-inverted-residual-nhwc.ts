// SPDX-License-Identifier: Apache-2.0
/**
 * The fused inverted residual block (paper §5.1) in one call: for each ROW TILE of the output,
 *
 *   B  expansion 1×1 (IC → HID) + ReLU6 of the input rows the tile reads (the BAND: the tile's rows
 *      plus the depthwise halo), into the slot's band buffer, channel-group planar (one plane of
 *      band rows × W pixels × 4 channels per channel vector, so that the depthwise finds a pixel's
 *      neighbours at constant offsets); rows the previous tile of the same call already expanded
 *      are moved to the top of each plane (memory.copy), not recomputed;
 *   N  depthwise 3×3 + ReLU6 of the band, into the slot's tile buffer;
 *   A  projection 1×1 (HID → OC), linear, straight into the output rows; then the shortcut add.
 *
 * The t-times-expanded tensor is never materialised: a thread holds one band and one tile.
 * kernels/f32-inverted-residual-nhwc.ts is the readable (scalar) definition of the same tiling.
 *
 *   y  [N, OH, OW, OC]   x [N, H, W, IC]   (y must not alias x)
 *   weights: packed exactly as for the layer kernels (src/backend/wasm-pack.ts): wE packPointwise8
 *   (0: no expansion, t = 1, the depthwise reads x), wD packDepthwise3x3c4, wP packPointwise8.
 *   zero: W·max(HID, 4) + 4 zero floats (rows outside the image, as in the layer kernel).
 *
 * Work item: one tile of `rows` output rows of one image. An image's rows are cut into PARTS of
 * `share` rows (one per thread, so that each thread's rows are one contiguous band and only the
 * band's first halo is expanded twice; with one thread, one part of OH rows), each part into
 * `tilesPerPart` tiles: t = n·tilesPerImage + part·tilesPerPart + i (a part's last tiles may be
 * empty); threads split the tiles [t0, t1). Each call claims a free SCRATCH SLOT (one per thread,
 * claimSlot) for its band, tile and 1×1 staging buffers and releases it on return, so concurrent
 * calls never share scratch whatever chunks the pool hands out.
 *
 * Bit-identical to the layer-by-layer wasm path (f32_pwconv_nhwc_4x8 → f32_dwconv2d_nhwc_k3c4 →
 * f32_pwconv_nhwc_4x8 → f32_add) for any tiling and any thread count: the three stages run the very
 * same inlined code (pwCore, dwRow3x3) with the same operands — an expanded value depends only on
 * its input pixel; a depthwise output only on its position (border or interior column, which rows
 * are inside the image), never on the band it was read from; a projected value only on its
 * depthwise pixel — and the shortcut is the same float32 add of the stored projection and x.
 *
 * Parameters are passed as a block of i32/f32 words at `params` (the pool passes at most 22
 * arguments); P_* below is the layout, mirrored by src/backend/wasm-simd.ts.
 */
import { claimSlot, releaseSlot } from './common';
import { pwCore, pwCoreNhwc } from './f32-pwconv-nhwc-4x8';
import { convRow } from './f32-conv2d-nhwc-c8';
import { dwInteriorHi, dwInteriorLo, dwOutputRow } from './f32-dwconv2d-nhwc-k3c4';

const P_Y = 0;
const P_X = 4;
const P_WE = 8;
const P_WD = 12;
const P_WP = 16;
const P_ZERO = 20;
const P_SCRATCH = 24;
const P_SLOT_BYTES = 28;
const P_BAND_BYTES = 32;
const P_FLAGS = 36;
const P_SLOTS = 40;
const P_H = 44;
const P_W = 48;
const P_IC = 52;
const P_HID = 56;
const P_OC = 60;
const P_OH = 64;
const P_OW = 68;
const P_SH = 72;
const P_SW = 76;
const P_DH = 80;
const P_DW = 84;
const P_PT = 88;
const P_PL = 92;
const P_ROWS = 96;
const P_RESIDUAL = 100;
const P_TILES_PER_IMAGE = 104;
const P_LO = 108; // f32: the ReLU6 bounds of B and N
const P_HI = 112;
const P_SHARE = 116; // output rows per PART of an image (a thread's share; OH with one thread)
const P_TILES_PER_PART = 120;
const P_STAGE_OFFSET = 124; // bytes from the slot's start to its 1×1 staging buffer (pwCore's `stage`)
const P_PLANE_BYTES = 128; // bytes of one channel-group plane of the band (band rows · W · 16)
// The stem trick (paper Table 3 footnote): P_STEM = 1 makes x the IMAGE [N, S_H, S_W, S_IC] and the
// expansion B the stem conv (wE: its packed conv8 weights, S_* its geometry; ReLU6), whose output
// rows — this block's input rows (H × W × HID) — go straight into the band. No shortcut.
const P_STEM = 132;
const P_S_H = 136;
const P_S_W = 140;
const P_S_IC = 144;
const P_S_KH = 148;
const P_S_KW = 152;
const P_S_SH = 156;
const P_S_SW = 160;
const P_S_DH = 164;
const P_S_DW = 168;
const P_S_PT = 172;
const P_S_PL = 176;
// P_SPLIT = 1: split by CHANNELS (channelSplit below): (t0, t1) are 8-channel blocks of the expanded
// tensor, P_Y the image's shared depthwise output [OH, OW, HID], P_X the image, P_ROWS the most
// blocks one pass holds in the band, P_PLANE_BYTES one plane of the WHOLE map (H · W · 16).
const P_SPLIT = 180;

export function f32_inverted_residual_nhwc(t0: i32, t1: i32, params: usize): void {
  const y = <usize>load<i32>(params, P_Y);
  const x = <usize>load<i32>(params, P_X);
  const wE = <usize>load<i32>(params, P_WE);
  const wD = <usize>load<i32>(params, P_WD);
  const wP = <usize>load<i32>(params, P_WP);
  const zero = <usize>load<i32>(params, P_ZERO);
  const h = load<i32>(params, P_H);
  const w = load<i32>(params, P_W);
  const ic = load<i32>(params, P_IC);
  const hid = load<i32>(params, P_HID);
  const oc = load<i32>(params, P_OC);
  const oh = load<i32>(params, P_OH);
  const ow = load<i32>(params, P_OW);
  const sh = load<i32>(params, P_SH);
  const sw = load<i32>(params, P_SW);
  const dh = load<i32>(params, P_DH);
  const dw = load<i32>(params, P_DW);
  const pt = load<i32>(params, P_PT);
  const pl = load<i32>(params, P_PL);
  const rows = load<i32>(params, P_ROWS);
  const residual = load<i32>(params, P_RESIDUAL) != 0;
  const tilesPerImage = load<i32>(params, P_TILES_PER_IMAGE);
  const share = load<i32>(params, P_SHARE);
  const tilesPerPart = load<i32>(params, P_TILES_PER_PART);
  const lo = load<f32>(params, P_LO);
  const hi = load<f32>(params, P_HI);

  // A scratch slot of our own for this call.
  const flags = <usize>load<i32>(params, P_FLAGS);
  const slots = load<i32>(params, P_SLOTS);
  const slot = claimSlot(flags, slots);
  const band = <usize>load<i32>(params, P_SCRATCH) + <usize>slot * <usize>load<i32>(params, P_SLOT_BYTES);
  const tile = band + <usize>load<i32>(params, P_BAND_BYTES);
  const stage = band + <usize>load<i32>(params, P_STAGE_OFFSET);
  const plane = <usize>load<i32>(params, P_PLANE_BYTES);

  const stem = load<i32>(params, P_STEM) != 0;
  const sH = load<i32>(params, P_S_H);
  const sW = load<i32>(params, P_S_W);
  const sIc = load<i32>(params, P_S_IC);
  const sKh = load<i32>(params, P_S_KH);
  const sKw = load<i32>(params, P_S_KW);
  const sSh = load<i32>(params, P_S_SH);
  const sSw = load<i32>(params, P_S_SW);
  const sDh = load<i32>(params, P_S_DH);
  const sDw = load<i32>(params, P_S_DW);
  const sPt = load<i32>(params, P_S_PT);
  const sPl = load<i32>(params, P_S_PL);
  const imageBytes = <usize>sH * <usize>sW * (<usize>sIc << 2);

  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const rowIn = <usize>w * (<usize>ic << 2);
  const rowPlane = <usize>w << 4;                 // one band row in one plane
  const rowDw = <usize>ow * (<usize>hid << 2);
  const rowOut = <usize>ow * (<usize>oc << 2);
  const owHi = dwInteriorHi(w, ow, sw, dw, pl);
  const owLo = dwInteriorLo(pl, sw, owHi);
  const hidBlocks = (hid + 7) >> 3;
  const outBlocks = (oc + 7) >> 3;
  if (load<i32>(params, P_SPLIT) != 0) {
    channelSplit(t0, t1, y, x, wE, wD, zero, band, stage, plane, rows, h, w, ic, hid, oh, ow, sh, sw, dh, dw, pt, pl, lo, hi, owLo, owHi);
    releaseSlot(flags, slot);
    return;
  }

  let haveN = -1;
  let haveLo = 0;
  let haveHi = -1; // expanded rows [haveLo, haveHi] of image haveN at the top of the band
  for (let t = t0; t < t1; t++) {
    const n = t / tilesPerImage;
    const local = t - n * tilesPerImage;
    const part = local / tilesPerPart;
    const partLo = part * share;
    const partEnd = min(oh, partLo + share);
    const oh0 = partLo + (local - part * tilesPerPart) * rows;
    if (oh0 >= partEnd) continue; // a part's last tiles can be empty when its rows run out
    const oh1 = min(partEnd, oh0 + rows) - 1;
    const xn = x + <usize>n * <usize>h * rowIn;
    let bandLo = oh0 * sh - pt;
    if (bandLo < 0) bandLo = 0;
    let bandHi = oh1 * sh - pt + 2 * dh;
    if (bandHi > h - 1) bandHi = h - 1;

    // B: expanded rows [bandLo, bandHi]; row ih is at rowsBase + (ih − baseRow)·rowStride.
    let rowsBase = xn;
    let baseRow = 0;
    let rowStride = rowIn;
    let pixelStride = <usize>ic << 2; // NHWC x (no expansion: IC = HID)
    let groupStride: usize = 16;
    if (wE != 0) {
      let first = bandLo;
      if (haveN == n && haveHi >= bandLo) {
        const keep = <usize>(haveHi - bandLo + 1) * rowPlane;
        const from = <usize>(bandLo - haveLo) * rowPlane;
        for (let q = 0; q < hidBlocks << 1; q++) {
          const planeAt = band + <usize>q * plane;
          memory.copy(planeAt, planeAt + from, keep);
        }
        first = haveHi + 1;
      }
      if (first <= bandHi && stem) {
        // The stem conv's rows [first, bandHi] (the same convRow as f32_conv2d_nhwc_c8's).
        const image = x + <usize>n * imageBytes;
        for (let r = first; r <= bandHi; r++) {
          convRow(band + <usize>(r - bandLo) * rowPlane, 16, plane << 1, plane, image, r * sSh - sPt, wE,
            sH, sW, sIc, hid, sKh, sKw, w, sSw, sDh, sDw, sPl, stage, vlo, vhi);
        }
      } else if (first <= bandHi) {
        pwCore(0, (bandHi - first + 1) * w, 0, hidBlocks, band + <usize>(first - bandLo) * rowPlane, 16, plane << 1, plane,
          xn + <usize>first * rowIn, wE, ic, hid, lo, hi, stage);
      }
      haveN = n;
      haveLo = bandLo;
      haveHi = bandHi;
      rowsBase = band;
      baseRow = bandLo;
      rowStride = rowPlane;
      pixelStride = 16;
      groupStride = plane;
    }

    // N: the depthwise rows of the tile.
    // (row ih of the band is at rowsBase + (ih − baseRow)·rowStride: row0At is where row 0 would be.)
    const row0At = rowsBase - <usize>baseRow * rowStride;
    for (let oy = oh0; oy <= oh1; oy++) {
      dwOutputRow(tile + <usize>(oy - oh0) * rowDw, oy, row0At, rowStride, h, sh, pt, dh, zero,
        wD, hid, w, ow, sw, dw, pl, owLo, owHi, vlo, vhi, pixelStride, groupStride, <usize>hid << 2);
    }

    // A: projection into the output rows, then the shortcut (f32_add's a + b, a = the stored projection).
    const yt = y + <usize>n * <usize>oh * rowOut + <usize>oh0 * rowOut;
    const pixels = (oh1 - oh0 + 1) * ow;
    pwCoreNhwc(0, pixels, 0, outBlocks, yt, tile, wP, hid, oc, <f32>-Infinity, <f32>Infinity, stage);
    if (residual) {
      const xt = xn + <usize>oh0 * rowIn;
      const end = <usize>pixels * (<usize>oc << 2);
      let o: usize = 0;
      for (; o + 16 <= end; o += 16) v128.store(yt + o, f32x4.add(v128.load(yt + o), v128.load(xt + o)));
      for (; o < end; o += 4) store<f32>(yt + o, load<f32>(yt + o) + load<f32>(xt + o));
    }
  }
  releaseSlot(flags, slot);
}

/**
 * The fused block's first two stages split by CHANNELS instead of rows (P_SPLIT), for maps so
 * small that a row split recomputes much of the expansion at the halo (7×7: 9 expanded rows for 7
 * with two threads): work items are 8-channel blocks [u0, u1) of the expanded tensor. For each, at
 * most `passBlocks` blocks at a time:
 *
 *   B  the expansion 1×1 + ReLU6 of EVERY input pixel into the slot's planar band (all H rows, two
 *      planes per 8-channel block; pwCore over these blocks only);
 *   N  the depthwise 3×3 + ReLU6 of every output pixel for these channels into `y`, the image's
 *      depthwise output [OH, OW, HID] shared by all threads (each writes its channels).
 *
 * The backend then runs the projection split by output channels (f32_fc_4x8 over the OH·OW pixels
 * of y) and the shortcut, so no thread recomputes anything and each reads its share of the
 * weights. Same inlined code per element as the row tiles (pwCore, dwOutputRow): bit-identical to
 * them and to the layer-by-layer path for any split.
 */
function channelSplit(
  u0: i32, u1: i32, y: usize, x: usize, wE: usize, wD: usize, zero: usize, band: usize, stage: usize, plane: usize,
  passBlocks: i32, h: i32, w: i32, ic: i32, hid: i32, oh: i32, ow: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
  lo: f32, hi: f32, owLo: i32, owHi: i32,
): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const ys = <usize>hid << 2;                      // bytes per depthwise output pixel
  for (let p0 = u0; p0 < u1; p0 += passBlocks) {
    const p1 = min(u1, p0 + passBlocks);
    const c0 = p0 << 3;                            // first channel of the pass
    const channels = min(p1 << 3, hid) - c0;
    // B: the pass's planes; block b's first plane at band + (b − p0)·2·plane (pwCore's yBlk).
    let rows = x + (<usize>c0 << 2);
    let rowStride = <usize>w * (<usize>ic << 2);
    let pixelStride = <usize>ic << 2; // NHWC x (no expansion: IC = HID)
    let groupStride: usize = 16;
    if (wE != 0) {
      pwCore(0, h * w, p0, p1, band - <usize>p0 * (plane << 1), 16, plane << 1, plane, x, wE, ic, hid, lo, hi, stage);
      rows = band;
      rowStride = <usize>w << 4;
      pixelStride = 16;
      groupStride = plane;
    }
    // N: every output row, the pass's channel vectors.
    for (let oy = 0; oy < oh; oy++) {
      dwOutputRow(y + <usize>oy * <usize>ow * ys + (<usize>c0 << 2), oy, rows, rowStride, h, sh, pt, dh, zero,
        wD + <usize>(c0 >> 2) * 160, channels, w, ow, sw, dw, pl, owLo, owHi, vlo, vhi, pixelStride, groupStride, ys);
    }
  }
}
