// SPDX-License-Identifier: Apache-2.0
/**
 * Memory-efficient execution (paper §5.1): a Backend wrapper whose zero-copy scope is an ARENA
 * (memory-plan.ts's first-fit allocator over one buffer) and whose block runner fuses every
 * complete bottleneck (kernels/f32-inverted-residual-nhwc.ts, row tiles with the depthwise halo),
 * so the t-times-expanded tensors are never materialised and each block input is released as soon
 * as its block has run. The wrapped backend's own kernels run every tile, so the result is
 * bit-identical to the layer-by-layer path on the same backend (spec/model/memory-efficient.spec.ts).
 *
 *   import { buildPlan, createScalarBackend, forward, memoryExecutionFor } from 'mobilenetv2';
 *   const plan = buildPlan({ width: 1, resolution: 224 });
 *   const { backend, stats } = memoryExecutionFor(createScalarBackend(), { head: 'classifier', plan });
 *   forward(backend, plan, weights, input, [1, 224, 224, 3]);   // or runNetwork / deeplabForward / ssdliteForward
 *   stats().peakBytes   // 2,666,496: measured arena high-water mark + input (layer by layer: 8.8 MB)
 *
 * Every byte is counted where it is allocated: layer outputs, the fused blocks' tile scratch and
 * the head's tensors come from the arena (scratch()); the network input is the caller's buffer and
 * is counted while the first block reads it. Kept taps are copied out of the arena (as in any
 * zero-copy scope) and are not counted. Tensors a head holds after the backbone (SSDLite's
 * features.14.conv.0) are named in `materialize`: their block runs layer by layer and they stay.
 */
import type { Backend } from '../backend/backend.js';
import { f32InvertedResidualNhwc, type InvertedResidualOps } from '../../kernels/f32-inverted-residual-nhwc.js';
import { registerBlockRunner, runBlockLayerwise, type Tap } from './runner.js';
import {
  ArenaAllocator, canFuseBlock, DEFAULT_TILE_BUDGET_BYTES, fusedBlockTiling, memoryPlanOf, stemFoldTiling,
  type MemoryExecution, type MemoryNetwork, type MemoryPlan,
} from './memory-plan.js';
import type { BlockPlan } from './plan.js';

import type { MobileNetV2Weights } from './weights.js';
import { usageError } from '../errors.js';
import { conv2dGeometry } from '../../kernels/geometry.js';
import { RELU6 } from '../../kernels/clamp.js';

export interface MemoryEfficientOptions {
  /** 'efficient' fuses bottlenecks; 'layerwise' runs every layer but still in the measured arena. Default 'efficient'. */
  memory?: MemoryExecution;
  /** Bytes reserved for the arena (one buffer, or one scratch() view of the wrapped backend). Required. */
  capacityBytes: number;
  /** Scratch budget of a fused block (bytes). Default DEFAULT_TILE_BUDGET_BYTES, as in the memory plan. */
  tileBudgetBytes?: number;
  /** Tensors that must exist as whole tensors (sub-layer taps a head or caller reads). */
  materialize?: Iterable<string>;
  /**
   * The stem trick (Table 3 footnote; 'efficient' only): the stem conv runs as the expansion of the
   * t = 1 bottleneck after it, in the same row tiles, so the stem's output is never materialised
   * (and is not offered as a tap). Default false here; memoryExecutionFor turns it on where the
   * backend has its own one-call version (Backend.stemInvertedResidual: wasm-simd).
   */
  stemTrick?: boolean;
}

export interface MemoryStats {
  /** max over the run of (arena high-water mark + caller's input bytes still live): the measured peak. */
  readonly peakBytes: number;
  /** The arena's high-water mark (layer outputs, head tensors and tile scratch). */
  readonly arenaHighWater: number;
  /** Largest tile scratch any fused block allocated. */
  readonly tileScratchBytes: number;
  readonly fusedBlocks: number;
  readonly layerwiseBlocks: number;
  /** The stem ran folded into the first bottleneck (stemTrick) in the last run. */
  readonly stemFolded: boolean;
}

/** The wrapped backend's kernels as the fused block's per-tile ops. */
function opsOf(inner: Backend): InvertedResidualOps {
  return {
    pointwise: (out, x, w, bias, dims, clamp) => inner.pointwiseConv(out, x, w, bias, dims, clamp),
    depthwise: (out, x, w, bias, dims, g, clamp) => inner.depthwiseConv2d(out, x, w, bias, dims, g, clamp),
    add: (out, a, b, length) => inner.add(out, a, b, length),
  };
}

export function memoryEfficientBackend(inner: Backend, options: MemoryEfficientOptions): { backend: Backend; stats: () => MemoryStats } {
  const memory = options.memory ?? 'efficient';
  if (memory !== 'efficient' && memory !== 'layerwise') throw usageError(`memory must be 'efficient' or 'layerwise', got '${String(memory)}'`);
  const capacity = Math.ceil(options.capacityBytes / 64) * 64;
  if (!(capacity > 0)) throw usageError(`arena capacity must be a positive number of bytes, got ${options.capacityBytes}`);
  const tileBudget = options.tileBudgetBytes ?? DEFAULT_TILE_BUDGET_BYTES;
  const materialize = new Set(options.materialize ?? []);
  const ops = opsOf(inner);

  const arena = new ArenaAllocator();
  let backing: Float32Array | null = null;
  let depth = 0;
  const offsets = new WeakMap<Float32Array, number>();
  let tileScratch = 0;
  let fusedBlocks = 0;
  let layerwiseBlocks = 0;
  let stemFolded = false;
  const stemTrick = memory === 'efficient' && (options.stemTrick ?? false);
  /** The stem block deferred to the next block (stemTrick), with the input it was given. */
  let pendingStem: { b: BlockPlan; x: Float32Array } | null = null;
  let blockAllocs: Float32Array[] | null = null; // what the running layer-by-layer block allocated

  const alloc = (length: number): Float32Array => {
    if (backing === null) throw new Error('internal: arena used outside its scope');
    const at = arena.alloc(length * 4);
    if (at + length * 4 > capacity) {
      throw new Error(`internal: memory-efficient arena of ${capacity} bytes is too small (needs ${at + length * 4}); the memory plan and the runner disagree`);
    }
    const view = backing.subarray(at / 4, at / 4 + length);
    offsets.set(view, at);
    blockAllocs?.push(view);
    return view;
  };
  // Views a head holds after their block (materialize): never released during the run.
  const retained = new WeakSet<Float32Array>();
  const release = (view: Float32Array): void => {
    const at = offsets.get(view);
    if (at === undefined || retained.has(view)) return;
    offsets.delete(view);
    arena.free(at);
  };

  const backend: Backend = {
    name: `${inner.name}+${memory}`,
    init: () => inner.init(),
    conv2d: (...a) => inner.conv2d(...a),
    depthwiseConv2d: (...a) => inner.depthwiseConv2d(...a),
    pointwiseConv: (...a) => inner.pointwiseConv(...a),
    add: (...a) => inner.add(...a),
    globalAvgPool: (...a) => inner.globalAvgPool(...a),
    fullyConnected: (...a) => inner.fullyConnected(...a),
    resizeBilinear: (...a) => inner.resizeBilinear(...a),
    concatChannels: (...a) => inner.concatChannels(...a),
    dispose: () => inner.dispose(),
    beginScope: () => {
      if (depth++ > 0) return;
      arena.reset();
      tileScratch = fusedBlocks = layerwiseBlocks = 0;
      stemFolded = false;
      pendingStem = null;
      if (inner.beginScope && inner.scratch) {
        inner.beginScope();
        backing = inner.scratch(capacity / 4);
      } else {
        backing = new Float32Array(capacity / 4);
      }
    },
    scratch: (length: number) => alloc(length),
    endScope: () => {
      if (--depth > 0) return;
      backing = null;
      if (inner.endScope && inner.beginScope) inner.endScope();
    },
  };

  registerBlockRunner(backend, (b: BlockPlan, x: Float32Array, n: number, weights: MobileNetV2Weights, keep: (name: string, t: Tap) => void, wants?: (name: string) => boolean) => {
    if (backing === null) return null; // outside a scope: the ordinary path
    // A tap asked for inside a block this arena fuses would silently not exist: say so instead.
    const fusesAway = (name: string): boolean => name !== b.name && !materialize.has(name) &&
      (memory === 'efficient' && canFuseBlock(b, materialize) || (stemTrick && b.kind === 'stem'));
    const lost = wants ? b.convs.map((c) => c.name).filter((name) => wants(name) && fusesAway(name)) : [];
    if (lost.length) {
      throw usageError(`tap '${lost[0]}' is inside a fused block (memory 'efficient'): it is never materialised; name it in memoryExecutionFor({ materialize }) or run layer by layer (memory 'layerwise')`);
    }
    if (stemTrick && b.kind === 'stem' && !materialize.has(b.name) && !(wants?.(b.name) ?? false)) {
      // Deferred: the next block computes the stem's rows as its expansion. Nothing is offered to
      // `keep`, so the runner hands this same input to the next block.
      pendingStem = { b, x };
      return x;
    }
    if (pendingStem !== null) {
      const stem = pendingStem;
      pendingStem = null;
      if (x === stem.x && stemFoldTiling(stem.b, b, materialize, tileBudget) !== null && stem.b.convs[0]!.activation === 'relu6') {
        const external = !offsets.has(x);
        if (external) arena.holdExternal(x.byteLength);
        const y = runStemFused(stem.b, b, x, n, weights);
        if (materialize.has(b.name)) retained.add(y);
        keep(b.name, { data: y, shape: [n, ...b.outShape] });
        fusedBlocks++;
        stemFolded = true;
        if (external) arena.releaseExternal(x.byteLength);
        else release(x);
        return y;
      }
      // The fold does not apply to this block after all: the stem runs now, then this block on its output.
      let stemOut: Float32Array | null = null;
      runBlockLayerwise(backend, stem.b, stem.x, n, weights, (name, t) => {
        keep(name, t);
        stemOut = t.data;
      });
      x = stemOut!;
    }
    const external = !offsets.has(x);
    if (external) arena.holdExternal(x.byteLength);
    const track = (name: string, t: Tap): void => {
      if (materialize.has(name)) retained.add(t.data);
      keep(name, t);
    };
    let y: Float32Array;
    if (memory === 'efficient' && canFuseBlock(b, materialize)) {
      y = runFused(b, x, n, weights);
      track(b.name, { data: y, shape: [n, ...b.outShape] });
      fusedBlocks++;
    } else {
      // Layer by layer inside the arena: the block's intermediates are released when it ends,
      // except the ones a head reads later (materialize).
      const made: Float32Array[] = (blockAllocs = []);
      try {
        y = runBlockLayerwise(backend, b, x, n, weights, track);
      } finally {
        blockAllocs = null;
      }
      for (const v of made) if (v !== y) release(v);
      layerwiseBlocks++;
    }
    if (external) arena.releaseExternal(x.byteLength);
    else release(x);
    return y;
  });

  function runFused(b: BlockPlan, x: Float32Array, n: number, weights: MobileNetV2Weights): Float32Array {
    const expand = b.convs[0]!.role === 'expansion' ? b.convs[0]! : null;
    const dw = b.convs[expand ? 1 : 0]!;
    const project = b.convs[expand ? 2 : 1]!;
    const w = (name: string): { w: Float32Array; bias: Float32Array | null } => {
      const cw = weights.convs.get(name)!;
      return { w: cw.weight, bias: cw.bias };
    };
    const [oh, ow, oc] = b.outShape;
    const y = alloc(n * oh * ow * oc);
    const tiling = fusedBlockTiling(b, tileBudget)!;
    const blockWeights = { expand: expand ? w(expand.name) : null, depthwise: w(dw.name), project: w(project.name) };
    const dims = { n, inC: b.inShape[2], hidden: dw.outC, outC: oc, residual: b.residual };
    // The backend's own fused block (one call, its threads) when it has one; else the scalar
    // tiling running the backend's layer kernels per tile. Both are bit-identical to layer by layer.
    const own = inner.invertedResidual !== undefined && inner.invertedResidualScratchLength !== undefined;
    const scratchElements = own ? inner.invertedResidualScratchLength!({ inC: dims.inC, hidden: dw.outC, expand: expand !== null }, dw.geometry, tiling.rows) : tiling.scratchElements;
    const scratch = alloc(scratchElements);
    tileScratch = Math.max(tileScratch, scratchElements * 4);
    if (own) inner.invertedResidual!(y, x, blockWeights, dims, dw.geometry, tiling.rows, scratch);
    else f32InvertedResidualNhwc(y, x, blockWeights, dims, dw.geometry, tiling.rows, scratch, ops);
    release(scratch);
    return y;
  }

  /**
   * Stem + t = 1 bottleneck in row tiles: per tile, the stem rows of its band that are not there yet
   * (the stem conv on the image rows they read, with explicit padding so its taps are exactly the
   * whole image's), then the depthwise on the band and the projection into the output rows — each
   * the wrapped backend's own layer kernel, so the bits are those of the layer-by-layer path.
   */
  function runStemFused(stem: BlockPlan, b: BlockPlan, x: Float32Array, n: number, weights: MobileNetV2Weights): Float32Array {
    const sc = stem.convs[0]!;
    const [dw, project] = [b.convs[0]!, b.convs[1]!];
    const sg = sc.geometry;
    const g = dw.geometry; // on the stem's output
    const C = dw.outC;
    const [OH, OW, OC] = b.outShape;
    const fold = stemFoldTiling(stem, b, materialize, tileBudget)!;
    const rows = fold.rows;
    const y = alloc(n * OH * OW * OC);
    const cw = (name: string): { w: Float32Array; bias: Float32Array | null } => {
      const c = weights.convs.get(name)!;
      return { w: c.weight, bias: c.bias };
    };
    const ws = cw(sc.name);
    const wd = cw(dw.name);
    const wp = cw(project.name);
    if (inner.stemInvertedResidual !== undefined && inner.stemInvertedResidualScratchLength !== undefined) {
      // The backend's own one-call version (its threads, its kernels): the same bits.
      const dims = { n, imageC: sc.inC, hidden: C, outC: OC };
      const elements = inner.stemInvertedResidualScratchLength(dims, sg, g, rows);
      const own = alloc(elements);
      tileScratch = Math.max(tileScratch, elements * 4);
      inner.stemInvertedResidual(y, x, { stem: ws, depthwise: wd, project: wp }, dims, sg, g, rows, own);
      release(own);
      return y;
    }
    const scratch = alloc(fold.scratchElements);
    tileScratch = Math.max(tileScratch, fold.scratchElements * 4);
    const bandCap = fold.scratchElements - rows * OW * C;
    const band = scratch.subarray(0, bandCap);
    const tile = scratch.subarray(bandCap);
    const inPixels = sg.inH * sg.inW * sc.inC;
    /** Explicit top/bottom padding for `outRows` rows starting at output row o0 of geometry gg, reading input rows from `lo`. */
    const sliceGeometry = (gg: typeof g, o0: number, outRows: number, lo: number, inRows: number) => {
      const top = gg.pad.top - o0 * gg.strideH + lo;
      const bottom = Math.max(0, (outRows - 1) * gg.strideH + (gg.kH - 1) * gg.dilationH + 1 - inRows - top);
      const sliced = conv2dGeometry({
        inH: inRows, inW: gg.inW, kH: gg.kH, kW: gg.kW, stride: [gg.strideH, gg.strideW], dilation: [gg.dilationH, gg.dilationW],
        padding: { top, bottom, left: gg.pad.left, right: gg.pad.right },
      });
      if (sliced.outH !== outRows || sliced.outW !== gg.outW) throw new Error(`internal: stem tiling gives ${sliced.outH}x${sliced.outW}, expected ${outRows}x${gg.outW}`);
      return sliced;
    };
    const rowsRead = (gg: typeof g, o0: number, o1: number): [number, number] =>
      [Math.max(0, o0 * gg.strideH - gg.pad.top), Math.min(gg.inH - 1, o1 * gg.strideH - gg.pad.top + (gg.kH - 1) * gg.dilationH)];
    const stemRow = g.inW * C; // one row of the stem's output
    for (let i = 0; i < n; i++) {
      const xi = x.subarray(i * inPixels, (i + 1) * inPixels);
      let haveLo = 0;
      let haveHi = -1;
      for (let oh0 = 0; oh0 < OH; oh0 += rows) {
        const oh1 = Math.min(OH, oh0 + rows) - 1;
        const tileRows = oh1 - oh0 + 1;
        const [lo, hi] = rowsRead(g, oh0, oh1);
        let first = lo;
        if (haveHi >= lo) {
          band.copyWithin(0, (lo - haveLo) * stemRow, (haveHi - haveLo + 1) * stemRow);
          first = haveHi + 1;
        }
        if (first <= hi) {
          // B = the stem conv: stem output rows [first, hi] from the image rows they read.
          const [a, z] = rowsRead(sg, first, hi);
          const rowIn = sg.inW * sc.inC;
          inner.conv2d(
            band.subarray((first - lo) * stemRow, (hi - lo + 1) * stemRow), xi.subarray(a * rowIn, (z + 1) * rowIn),
            ws.w, ws.bias, { n: 1, inC: sc.inC, outC: C }, sliceGeometry(sg, first, hi - first + 1, a, z - a + 1), RELU6,
          );
        }
        haveLo = lo;
        haveHi = hi;
        const dwOut = tile.subarray(0, tileRows * OW * C);
        inner.depthwiseConv2d(dwOut, band.subarray(0, (hi - lo + 1) * stemRow), wd.w, wd.bias, { n: 1, channels: C }, sliceGeometry(g, oh0, tileRows, lo, hi - lo + 1), RELU6);
        const yOff = (i * OH + oh0) * OW * OC;
        inner.pointwiseConv(y.subarray(yOff, yOff + tileRows * OW * OC), dwOut, wp.w, wp.bias, { pixels: tileRows * OW, inC: C, outC: OC }, null);
      }
    }
    release(scratch);
    return y;
  }

  const stats = (): MemoryStats => ({
    stemFolded,
    peakBytes: arena.peakBytes, arenaHighWater: arena.highWater, tileScratchBytes: tileScratch, fusedBlocks, layerwiseBlocks,
  });
  return { backend, stats };
}

/**
 * Arena bytes the runner reserves for a network: every tensor of its memory plan plus the largest
 * tile scratch — an upper bound, since the heads' tensors are not released before the run ends.
 * (Reserved, untouched memory costs address space, not resident pages; the measured peak is the
 * high-water mark actually used.)
 */
export function runnerCapacityBytes(mp: MemoryPlan): number {
  const tensors = mp.tensors.reduce((s, t) => s + (t.offset < 0 ? 0 : Math.ceil(t.bytes / 64) * 64), 0);
  const scratch = mp.ops.reduce((s, o) => Math.max(s, Math.ceil(o.scratchBytes / 64) * 64), 0);
  return tensors + scratch;
}

/**
 * The wrapper sized for a network: arena capacity from its memory plan; SSDLite's feature maps
 * (the expansion of layer 15) are materialised. `batch` is the largest batch it will run.
 */
export function memoryExecutionFor(inner: Backend, net: MemoryNetwork, options: { memory?: MemoryExecution; batch?: number; tileBudgetBytes?: number; materialize?: Iterable<string>; stemTrick?: boolean } = {}): { backend: Backend; stats: () => MemoryStats } {
  const memory = options.memory ?? 'efficient';
  const heads = net.head === 'ssdlite' ? net.plan.featureMaps.map((m) => m.name) : [];
  const materialize = [...heads, ...(options.materialize ?? [])];
  // The stem trick by default where the backend runs it as one call of its own (faster: wasm-simd).
  const stemTrick = options.stemTrick ?? (inner.stemInvertedResidual !== undefined);
  const mp = memoryPlanOf(net, { execution: memory, batch: options.batch ?? 1, tileBudgetBytes: options.tileBudgetBytes, materialize, stemTrick });
  // A backend's own fused block may need more scratch than the plan's one band + tile (one slot per thread).
  let extra = 0;
  if (memory === 'efficient' && inner.invertedResidualScratchLength !== undefined) {
    const backbone = net.head === 'classifier' ? net.plan : net.plan.backbone;
    for (const b of backbone.blocks) {
      const tiling = fusedBlockTiling(b, options.tileBudgetBytes ?? DEFAULT_TILE_BUDGET_BYTES);
      const dw = b.convs.find((c) => c.kind === 'depthwise');
      if (tiling === null || dw === undefined) continue;
      const own = inner.invertedResidualScratchLength({ inC: b.inShape[2], hidden: dw.outC, expand: b.convs[0]!.role === 'expansion' }, dw.geometry, tiling.rows);
      extra = Math.max(extra, Math.ceil((own - tiling.scratchElements) * 4 / 64) * 64);
    }
    const [stem, next] = backbone.blocks;
    const fold = stemTrick && stem !== undefined && next !== undefined ? stemFoldTiling(stem, next, new Set(materialize), options.tileBudgetBytes ?? DEFAULT_TILE_BUDGET_BYTES) : null;
    if (fold !== null && inner.stemInvertedResidualScratchLength !== undefined) {
      const sc = stem!.convs[0]!;
      const dw = next!.convs[0]!;
      const own = inner.stemInvertedResidualScratchLength({ n: 1, imageC: sc.inC, hidden: dw.outC, outC: next!.outShape[2] }, sc.geometry, dw.geometry, fold.rows);
      extra = Math.max(extra, Math.ceil((own - fold.scratchElements) * 4 / 64) * 64);
    }
  }
  return memoryEfficientBackend(inner, { memory, capacityBytes: runnerCapacityBytes(mp) + extra, tileBudgetBytes: options.tileBudgetBytes, materialize, stemTrick });
}
