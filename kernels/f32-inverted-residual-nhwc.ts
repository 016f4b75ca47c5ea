// SPDX-License-Identifier: Apache-2.0
/**
 * The memory-efficient inverted residual block (paper §5.1): the whole bottleneck
 *
 *   F(x) = [A ∘ N ∘ B](x),   B = expansion 1×1 (k → t·k) + ReLU6,
 *                             N = depthwise 3×3 (stride s, dilation d) + ReLU6,
 *                             A = linear 1×1 projection (t·k → k′), plus the shortcut x when present,
 *
 * computed in ROW TILES so that the t-times-expanded tensor is never materialised: only a band of
 * expanded input rows (the tile's rows plus the depthwise halo) and the tile's depthwise output
 * exist at any time. Memory: |x| + |F(x)| + scratch, with scratch = band + tile = O(rows · W · t·k)
 * (the paper's "|s²k| + |s′²k′| + O(max(s², s′²))").
 *
 *   out     [N, OH, OW, OC]   written, never read except by the shortcut add; must not alias x
 *   x       [N, H, W, IC]
 *   weights expand  {w [HID, IC], bias [HID]} or null (t = 1: the depthwise reads x directly)
 *           depthwise {w [KH, KW, HID], bias [HID]}
 *           project {w [OC, HID], bias [OC]}
 *   dims    {n: N, inC: IC, hidden: HID, outC: OC, residual}
 *   g       the depthwise geometry on the full H×W input (conv2dGeometry)
 *   rows    output rows per tile (1 … OH)
 *   scratch invertedResidualScratchLength(dims, g, rows) floats (a view into any arena)
 *   ops     the three layer kernels to run on each tile: the scalar oracle by default; a fast
 *           backend passes its own (they must be bit-identical per element to the scalar ones)
 *
 * Tiling (per image): output rows [oh0, oh1] read input rows [oh0·s − top, oh1·s − top + (KH−1)·d]
 * clipped to the image: the BAND. The band of the next tile overlaps this one by the halo
 * (KH_eff − s rows); those expanded rows are moved to the top of the band (copyWithin) instead of
 * being recomputed, so every expanded value is computed exactly once. The depthwise runs on the
 * band with explicit padding chosen so that its taps are exactly the full-image taps (rows outside
 * the image are skipped, as the scalar kernel skips padding).
 *
 * Precision: every value — expanded, depthwise, projected, summed — is produced by the same kernel
 * with the same operands in the same order as in the layer-by-layer network (float64 accumulation
 * in the scalar kernels' order, one rounding to float32 on store; the projection is stored before
 * the shortcut add, as in the unfused graph). The result is therefore BIT-IDENTICAL to
 * pwconv → dwconv → pwconv (→ add) on whole tensors; spec/kernels/f32-inverted-residual-nhwc.spec.ts
 * checks it over random shapes, strides, dilations and tilings.
 */
import { checkDims, checkLength, KernelArgumentError, KernelShapeError } from './check.js';
import { RELU6, type Clamp } from './clamp.js';
import type { DepthwiseDims, PointwiseDims } from './dims.js';
import { conv2dGeometry, type Conv2dGeometry } from './geometry.js';
import { f32PwConvNhwc } from './f32-pwconv-nhwc.js';
import { f32DwConv2dNhwc } from './f32-dwconv2d-nhwc.js';
import { f32Add } from './f32-add.js';

export interface InvertedResidualDims {
  readonly n: number;
  readonly inC: number;
  /** t·IC: channels of the expanded tensor (= IC when there is no expansion conv). */
  readonly hidden: number;
  readonly outC: number;
  /** The shortcut: requires stride 1, OH = H, OW = W and IC = OC. */
  readonly residual: boolean;
}

export interface ConvWeights {
  readonly w: Float32Array;
  readonly bias: Float32Array | null;
}

export interface InvertedResidualWeights {
  /** null: no expansion conv (t = 1), the depthwise runs on x itself. */
  readonly expand: ConvWeights | null;
  readonly depthwise: ConvWeights;
  readonly project: ConvWeights;
}

/** The per-tile kernels (same signatures as the scalar ones). */
export interface InvertedResidualOps {
  pointwise(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, dims: PointwiseDims, clamp: Clamp | null): void;
  depthwise(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, dims: DepthwiseDims, g: Conv2dGeometry, clamp: Clamp | null): void;
  add(out: Float32Array, a: Float32Array, b: Float32Array, length: number): void;
}

/** The scalar oracle kernels: the definition. */
export const SCALAR_INVERTED_RESIDUAL_OPS: InvertedResidualOps = Object.freeze({
  pointwise: f32PwConvNhwc,
  depthwise: f32DwConv2dNhwc,
  add: f32Add,
});

/** Input rows [lo, hi] (clipped to the image) that output rows [oh0, oh1] read. */
function bandRows(g: Conv2dGeometry, oh0: number, oh1: number): [number, number] {
  const lo = Math.max(0, oh0 * g.strideH - g.pad.top);
  const hi = Math.min(g.inH - 1, oh1 * g.strideH - g.pad.top + (g.kH - 1) * g.dilationH);
  return [lo, hi];
}

/** The most input rows any tile of `rows` output rows reads. */
export function invertedResidualBandRows(g: Conv2dGeometry, rows: number): number {
  return Math.min(g.inH, (rows - 1) * g.strideH + (g.kH - 1) * g.dilationH + 1);
}

/**
 * Scratch floats the fused block needs for tiles of `rows` output rows: the expanded band
 * (only with an expansion conv) and the tile's depthwise output. Used by the runner to allocate it
 * and by the memory plan (src/model/memory-plan.ts) to account for it.
 */
export function invertedResidualScratchLength(dims: Pick<InvertedResidualDims, 'hidden'> & { readonly expand: boolean }, g: Conv2dGeometry, rows: number): number {
  const band = dims.expand ? invertedResidualBandRows(g, rows) * g.inW * dims.hidden : 0;
  return band + rows * g.outW * dims.hidden;
}

/** The largest tile (output rows, at least 1) whose scratch fits `budget` floats. */
export function invertedResidualTileRows(dims: Pick<InvertedResidualDims, 'hidden'> & { readonly expand: boolean }, g: Conv2dGeometry, budget: number): number {
  let rows = 1;
  while (rows < g.outH && invertedResidualScratchLength(dims, g, rows + 1) <= budget) rows++;
  return rows;
}

/**
 * The fused block's argument checks (shared by every backend's fused block): dims, shortcut
 * geometry, tensor and weight lengths, tile rows, no aliasing of out and x. Scratch is checked by
 * each implementation (its layout is its own).
 */
export function checkInvertedResidualArgs(out: Float32Array, x: Float32Array, weights: InvertedResidualWeights, dims: InvertedResidualDims, g: Conv2dGeometry, rows: number): void {
  const { n: batch, inC, hidden, outC, residual } = dims;
  checkDims('inverted-residual', { n: batch, inC, hidden, outC, rows });
  const { inH: H, inW: W, outH: OH, outW: OW } = g;
  const expand = weights.expand;
  if (expand === null && hidden !== inC) throw new KernelShapeError(`inverted-residual: without an expansion conv hidden (${hidden}) must equal IC (${inC})`);
  if (residual && (g.strideH !== 1 || g.strideW !== 1 || OH !== H || OW !== W || inC !== outC)) {
    throw new KernelArgumentError(`inverted-residual: a shortcut needs stride 1, OH×OW = H×W and IC = OC; got stride ${g.strideH}x${g.strideW}, ${H}x${W}→${OH}x${OW}, ${inC}→${outC}`);
  }
  checkLength(x, { N: batch, H, W, IC: inC }, 'inverted-residual: x');
  checkLength(out, { N: batch, OH, OW, OC: outC }, 'inverted-residual: out');
  if (expand !== null) {
    checkLength(expand.w, { HID: hidden, IC: inC }, 'inverted-residual: expansion w');
    if (expand.bias !== null) checkLength(expand.bias, { HID: hidden }, 'inverted-residual: expansion bias');
  }
  checkLength(weights.depthwise.w, { KH: g.kH, KW: g.kW, HID: hidden }, 'inverted-residual: depthwise w');
  if (weights.depthwise.bias !== null) checkLength(weights.depthwise.bias, { HID: hidden }, 'inverted-residual: depthwise bias');
  checkLength(weights.project.w, { OC: outC, HID: hidden }, 'inverted-residual: projection w');
  if (weights.project.bias !== null) checkLength(weights.project.bias, { OC: outC }, 'inverted-residual: projection bias');
  if (rows > OH) throw new KernelArgumentError(`inverted-residual: ${rows} rows per tile, but the output has only ${OH}`);
  if (out.buffer === x.buffer && out.byteOffset < x.byteOffset + x.byteLength && x.byteOffset < out.byteOffset + out.byteLength) {
    throw new KernelArgumentError('inverted-residual: out must not alias x');
  }
}

export function f32InvertedResidualNhwc(
  out: Float32Array,
  x: Float32Array,
  weights: InvertedResidualWeights,
  dims: InvertedResidualDims,
  g: Conv2dGeometry,
  rows: number,
  scratch: Float32Array,
  ops: InvertedResidualOps = SCALAR_INVERTED_RESIDUAL_OPS,
): void {
  checkInvertedResidualArgs(out, x, weights, dims, g, rows);
  const { n: batch, inC, hidden, outC, residual } = dims;
  const { inH: H, inW: W, outH: OH, outW: OW } = g;
  const expand = weights.expand;
  checkLength(scratch, invertedResidualScratchLength({ hidden, expand: expand !== null }, g, rows), 'inverted-residual: scratch');

  const bandCap = expand === null ? 0 : invertedResidualBandRows(g, rows) * W * hidden;
  const band = scratch.subarray(0, bandCap);
  const tile = scratch.subarray(bandCap);
  const pixelsIn = H * W;
  const pixelsOut = OH * OW;

  for (let n = 0; n < batch; n++) {
    const xn = x.subarray(n * pixelsIn * inC, (n + 1) * pixelsIn * inC);
    const yn = out.subarray(n * pixelsOut * outC, (n + 1) * pixelsOut * outC);
    let haveLo = 0;
    let haveHi = -1; // expanded input rows [haveLo, haveHi] currently at the top of the band
    for (let oh0 = 0; oh0 < OH; oh0 += rows) {
      const oh1 = Math.min(OH, oh0 + rows) - 1;
      const tileRows = oh1 - oh0 + 1;
      const [lo, hi] = bandRows(g, oh0, oh1);
      if (lo > hi) throw new KernelArgumentError(`inverted-residual: output rows ${oh0}…${oh1} read no input row (padding larger than the kernel reach)`);

      // B: the expanded rows [lo, hi] — keep the halo rows already computed, expand the new ones.
      let src: Float32Array;
      if (expand === null) {
        src = xn.subarray(lo * W * inC, (hi + 1) * W * inC);
      } else {
        let first = lo;
        if (haveHi >= lo) {
          band.copyWithin(0, (lo - haveLo) * W * hidden, (haveHi - haveLo + 1) * W * hidden);
          first = haveHi + 1;
        }
        if (first <= hi) {
          ops.pointwise(
            band.subarray((first - lo) * W * hidden, (hi - lo + 1) * W * hidden),
            xn.subarray(first * W * inC, (hi + 1) * W * inC),
            expand.w, expand.bias, { pixels: (hi - first + 1) * W, inC, outC: hidden }, RELU6,
          );
        }
        haveLo = lo;
        haveHi = hi;
        src = band.subarray(0, (hi - lo + 1) * W * hidden);
      }

      // N: depthwise on the band, padded so that its taps are the full image's taps.
      const top = g.pad.top - oh0 * g.strideH + lo;
      const bandH = hi - lo + 1;
      const bottom = Math.max(0, (tileRows - 1) * g.strideH + (g.kH - 1) * g.dilationH + 1 - bandH - top);
      const bg = conv2dGeometry({
        inH: bandH, inW: W, kH: g.kH, kW: g.kW, stride: [g.strideH, g.strideW], dilation: [g.dilationH, g.dilationW],
        padding: { top, bottom, left: g.pad.left, right: g.pad.right },
      });
      if (bg.outH !== tileRows || bg.outW !== OW) throw new KernelArgumentError(`inverted-residual: internal tiling error (band gives ${bg.outH}x${bg.outW}, expected ${tileRows}x${OW})`);
      const dwOut = tile.subarray(0, tileRows * OW * hidden);
      ops.depthwise(dwOut, src, weights.depthwise.w, weights.depthwise.bias, { n: 1, channels: hidden }, bg, RELU6);

      // A: the linear projection straight into the output rows, then the shortcut.
      const yTile = yn.subarray(oh0 * OW * outC, (oh1 + 1) * OW * outC);
      ops.pointwise(yTile, dwOut, weights.project.w, weights.project.bias, { pixels: tileRows * OW, inC: hidden, outC }, null);
      if (residual) ops.add(yTile, yTile, xn.subarray(oh0 * W * inC, (oh1 + 1) * W * inC), yTile.length);
    }
  }
}
