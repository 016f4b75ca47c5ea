// SPDX-License-Identifier: Apache-2.0
/**
 * Memory plan of a network (paper §5.1, "Memory efficient inference"): the graph as a list of
 * ops in execution order, each tensor's lifetime (the op that produces it, the last op that reads
 * it), an arena with byte offsets (first fit, freed after the last read), and the paper's Eq. (2)
 * evaluated per op:
 *
 *   M(G) = max_{op ∈ G} [ Σ_{A ∈ op_inp} |A| + Σ_{B ∈ op_out} |B| + |op| ]
 *
 * Two executions of the same network:
 *  - 'layerwise': every conv, add, pool and resize is an op; the expanded (t·k) tensors of each
 *    bottleneck are materialised;
 *  - 'efficient': each complete bottleneck is ONE op (kernels/f32-inverted-residual-nhwc.ts) whose
 *    |op| is its tile scratch; only the thin tensors between blocks exist. A bottleneck whose inner
 *    tensors are needed (a tap, SSDLite's expansion of layer 15) stays layerwise.
 *    With `stemTrick` (the footnote of Table 3), the stem conv is folded into the first bottleneck
 *    as its expansion (t = 1 has none), so the 32·α-channel 112² tensor is never materialised either.
 *
 * Pure data from the plans (plan.ts, deeplab.ts, ssdlite.ts); `info --memory` prints it and the
 * memory-efficient runner (memory-efficient.ts) allocates from the same arena allocator.
 */
import {
  invertedResidualScratchLength, invertedResidualTileRows,
} from '../../kernels/f32-inverted-residual-nhwc.js';
import type { BlockPlan, ConvPlan, MobileNetV2Plan } from './plan.js';
import { DEEPLAB_OUTPUT_TAP, type DeeplabPlan } from './deeplab.js';
import type { SsdlitePlan } from './ssdlite.js';
import { usageError } from '../errors.js';

export type MemoryExecution = 'layerwise' | 'efficient';

/** Scratch a fused block may use by default: 256 KiB (a few rows of the widest expansion), and at most 1/8 of its |x| + |y|. */
export const DEFAULT_TILE_BUDGET_BYTES = 256 * 1024;

export interface MemoryPlanOptions {
  execution: MemoryExecution;
  /** Bytes per activation value: 4 (float32, what we run; default) or 2 (the paper's 16-bit floats). */
  bytesPerElement?: number;
  /** Batch size (default 1). */
  batch?: number;
  /** Fold the stem into the first bottleneck (efficient only; Table 3 footnote). Default false. */
  stemTrick?: boolean;
  /** Scratch budget of a fused block, in bytes of float32 (the runner's tiles). Default DEFAULT_TILE_BUDGET_BYTES. */
  tileBudgetBytes?: number;
  /** Tensors that must be materialised (taps): a bottleneck producing one of them stays layerwise. */
  materialize?: Iterable<string>;
}

export interface PlannedTensor {
  readonly name: string;
  /** [N, H, W, C] (pooled and FC tensors as [N, 1, 1, C]). */
  readonly shape: readonly [number, number, number, number];
  readonly bytes: number;
  /** Index of the producing op; −1 for the network input. */
  readonly producer: number;
  /** Index of the last op reading it; ops.length for a network output (live to the end). */
  readonly lastUse: number;
  /** Byte offset in the arena; −1 for the network input (the caller's buffer). */
  readonly offset: number;
}

export interface PlannedOp {
  readonly name: string;
  /** conv / depthwise / pointwise / add / pool / fc / resize / concat, or bottleneck (fused), stem+bottleneck. */
  readonly kind: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** |op|: the op's own scratch (fused tiles), bytes. */
  readonly scratchBytes: number;
  /** Output rows per tile of a fused op (0 for other ops). */
  readonly tileRows: number;
  /** Eq. (2) for this op: Σ inputs + Σ outputs + |op|. */
  readonly eq2Bytes: number;
  /** Every tensor alive while the op runs (inputs, outputs and anything kept for later) + |op|. */
  readonly liveBytes: number;
}

export interface MemoryPlan {
  readonly execution: MemoryExecution;
  readonly bytesPerElement: number;
  readonly stemTrick: boolean;
  readonly ops: readonly PlannedOp[];
  readonly tensors: readonly PlannedTensor[];
  /** M(G) of Eq. (2): the largest op. */
  readonly eq2Bytes: number;
  readonly eq2Op: string;
  /** Eq. (2) with |op| = 0 (inputs + outputs only): the paper's |s²k| + |s′²k′| bound for fused blocks. */
  readonly eq2ThinBytes: number;
  /** The largest live set (what any executor of this op order must hold). */
  readonly peakLiveBytes: number;
  readonly peakLiveOp: string;
  /** High-water mark of the first-fit arena (the network input is the caller's buffer, outside it). */
  readonly arenaBytes: number;
  /** max over time of (arena high-water mark + input bytes still live): what the runner measures. */
  readonly footprintBytes: number;
}

// ---------------------------------------------------------------------------------------------
// The arena allocator (used by the plan and, with real memory behind it, by the runner)

/** Offsets are multiples of this many bytes (a cache line; also keeps Float32Array/Float64Array views aligned). */
export const ARENA_ALIGN = 64;

/**
 * First-fit allocator over a byte range: alloc returns the lowest offset where `bytes` fit between
 * live blocks; free returns the block. `highWater` is the largest end offset ever handed out.
 * Tensors that live outside the arena (the caller's input) are counted with holdExternal /
 * releaseExternal, so `peakBytes` = max over time of (high-water mark so far + external bytes live)
 * is the activation memory the execution needed at its high point.
 */
export class ArenaAllocator {
  private readonly live = new Map<number, number>(); // offset → size
  private sorted: number[] = []; // live offsets, ascending
  highWater = 0;
  liveBytes = 0;
  externalBytes = 0;
  peakBytes = 0;

  alloc(bytes: number): number {
    const size = Math.ceil(Math.max(bytes, 1) / ARENA_ALIGN) * ARENA_ALIGN;
    let at = 0;
    let i = 0;
    for (; i < this.sorted.length; i++) {
      const o = this.sorted[i]!;
      if (o - at >= size) break;
      at = Math.max(at, o + this.live.get(o)!);
    }
    this.sorted.splice(i, 0, at);
    this.live.set(at, size);
    this.highWater = Math.max(this.highWater, at + size);
    this.liveBytes += size;
    this.note();
    return at;
  }

  free(offset: number): void {
    const size = this.live.get(offset);
    if (size === undefined) throw new Error(`internal: arena free of ${offset}, which is not allocated`);
    this.live.delete(offset);
    this.sorted.splice(this.sorted.indexOf(offset), 1);
    this.liveBytes -= size;
  }

  holdExternal(bytes: number): void {
    this.externalBytes += bytes;
    this.note();
  }

  releaseExternal(bytes: number): void {
    this.externalBytes -= bytes;
  }

  reset(): void {
    this.live.clear();
    this.sorted = [];
    this.highWater = 0;
    this.liveBytes = 0;
    this.externalBytes = 0;
    this.peakBytes = 0;
  }

  private note(): void {
    this.peakBytes = Math.max(this.peakBytes, this.highWater + this.externalBytes);
  }
}

// ---------------------------------------------------------------------------------------------
// Building the op list

interface OpDraft { name: string; kind: string; inputs: string[]; outputs: string[]; scratchElements: number; tileRows: number }

class GraphBuilder {
  readonly ops: OpDraft[] = [];
  readonly shapes = new Map<string, [number, number, number, number]>();
  constructor(readonly batch: number) {}

  tensor(name: string, h: number, w: number, c: number): void {
    this.shapes.set(name, [this.batch, h, w, c]);
  }

  op(name: string, kind: string, inputs: string[], output: string, outShape: readonly [number, number, number], scratchElements = 0, tileRows = 0): string {
    for (const i of inputs) if (!this.shapes.has(i)) throw new Error(`internal: memory plan op ${name} reads unknown tensor ${i}`);
    this.tensor(output, outShape[0], outShape[1], outShape[2]);
    this.ops.push({ name, kind, inputs, outputs: [output], scratchElements, tileRows });
    return output;
  }

  conv(c: ConvPlan, input: string): string {
    return this.op(c.name, c.kind, [input], c.name, [c.geometry.outH, c.geometry.outW, c.outC]);
  }
}

/** Below this a fused block's tiles are not shrunk further: smaller tiles cost more in per-call overhead than they save. */
export const MIN_TILE_BUDGET_BYTES = 64 * 1024;

/**
 * A fused block's scratch budget in floats: the global budget, but no more than 1/8 of the block's
 * own |x| + |y| (so small networks are not dominated by their tiles) unless that is below
 * MIN_TILE_BUDGET_BYTES; at least one row is always used (invertedResidualTileRows).
 */
function tileBudgetFloats(inShape: readonly number[], outShape: readonly number[], tileBudgetBytes: number): number {
  const thin = inShape.reduce((a, d) => a * d, 1) + outShape.reduce((a, d) => a * d, 1);
  return Math.floor(Math.min(tileBudgetBytes / 4, Math.max(thin / 8, MIN_TILE_BUDGET_BYTES / 4)));
}

/** The fused-block geometry facts the plan and the runner share. */
export function fusedBlockTiling(b: BlockPlan, tileBudgetBytes: number, batch = 1): { rows: number; scratchElements: number } | null {
  if (b.kind !== 'bottleneck' || !b.complete) return null;
  const dw = b.convs.find((c) => c.kind === 'depthwise');
  if (!dw) return null;
  const expand = b.convs[0]!.role === 'expansion';
  const dims = { hidden: dw.outC, expand };
  const rows = invertedResidualTileRows(dims, dw.geometry, tileBudgetFloats(b.inShape, b.outShape, tileBudgetBytes));
  void batch; // tiles are per image: the scratch does not grow with the batch
  return { rows, scratchElements: invertedResidualScratchLength(dims, dw.geometry, rows) };
}

/**
 * The stem trick (Table 3 footnote): when the block after the stem is a fusable t = 1 bottleneck
 * (depthwise + projection), the stem conv plays its expansion B — a band of stem output rows plus
 * the depthwise tile — so the stem's output is never materialised. Null when it does not apply
 * (the stem or the block is materialised, or the block has an expansion of its own).
 */
export function stemFoldTiling(stem: BlockPlan, next: BlockPlan, materialize: ReadonlySet<string>, tileBudgetBytes: number): { rows: number; scratchElements: number } | null {
  if (stem.kind !== 'stem' || next.t !== 1 || !canFuseBlock(next, materialize) || materialize.has(stem.name)) return null;
  const dw = next.convs[0]!;
  if (dw.kind !== 'depthwise') return null;
  const dims = { hidden: dw.outC, expand: true };
  const rows = invertedResidualTileRows(dims, dw.geometry, tileBudgetFloats(stem.inShape, next.outShape, tileBudgetBytes));
  return { rows, scratchElements: invertedResidualScratchLength(dims, dw.geometry, rows) };
}

/** Whether the runner can fuse this block: a complete bottleneck of the paper's form, no inner tensor wanted. */
export function canFuseBlock(b: BlockPlan, materialize: ReadonlySet<string>): boolean {
  if (b.kind !== 'bottleneck' || !b.complete) return false;
  const roles = b.convs.map((c) => `${c.role}:${c.activation}`).join(',');
  if (roles !== 'expansion:relu6,depthwise:relu6,projection:linear' && roles !== 'depthwise:relu6,projection:linear') return false;
  return b.convs.every((c) => c.name === b.name || !materialize.has(c.name));
}

function addBackbone(g: GraphBuilder, plan: MobileNetV2Plan, input: string, o: Required<Omit<MemoryPlanOptions, 'materialize'>> & { materialize: ReadonlySet<string> }): string {
  let x = input;
  const blocks = plan.blocks;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    const efficient = o.execution === 'efficient';
    if (efficient && o.stemTrick && b.kind === 'stem' && i + 1 < blocks.length) {
      const next = blocks[i + 1]!;
      const fold = stemFoldTiling(b, next, o.materialize, o.tileBudgetBytes);
      if (fold !== null) {
        x = g.op(`${b.name}+${next.name}`, 'stem+bottleneck', [x], next.name, next.outShape, fold.scratchElements, fold.rows);
        i++;
        continue;
      }
    }
    if (efficient && canFuseBlock(b, o.materialize)) {
      const t = fusedBlockTiling(b, o.tileBudgetBytes)!;
      x = g.op(b.name, 'bottleneck', [x], b.name, b.outShape, t.scratchElements, t.rows);
      continue;
    }
    const blockInput = x;
    for (const c of b.convs) x = g.conv(c, x);
    if (b.residual) x = g.op(`${b.name}.add`, 'add', [x, blockInput], b.name, b.outShape);
  }
  return x;
}

type ResolvedMemoryOptions = Required<Omit<MemoryPlanOptions, 'materialize'>> & { materialize: ReadonlySet<string> };

function resolve(options: MemoryPlanOptions): ResolvedMemoryOptions {
  const execution = options.execution;
  if (execution !== 'layerwise' && execution !== 'efficient') throw usageError(`memory execution must be 'layerwise' or 'efficient', got '${String(execution)}'`);
  const bytesPerElement = options.bytesPerElement ?? 4;
  if (bytesPerElement !== 1 && bytesPerElement !== 2 && bytesPerElement !== 4) throw usageError(`bytes per element must be 1, 2 or 4, got ${bytesPerElement}`);
  const batch = options.batch ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw usageError(`batch must be a positive integer, got ${batch}`);
  const tileBudgetBytes = options.tileBudgetBytes ?? DEFAULT_TILE_BUDGET_BYTES;
  if (!(tileBudgetBytes >= 0)) throw usageError(`tile budget must be a non-negative number of bytes, got ${tileBudgetBytes}`);
  return { execution, bytesPerElement, batch, stemTrick: options.stemTrick ?? false, tileBudgetBytes, materialize: new Set(options.materialize ?? []) };
}

/** Memory plan of the classifier (or a cut backbone). */
export function classifierMemoryPlan(plan: MobileNetV2Plan, options: MemoryPlanOptions): MemoryPlan {
  const o = resolve(options);
  const g = new GraphBuilder(o.batch);
  g.tensor('input', plan.options.inputH, plan.options.inputW, 3);
  let x = addBackbone(g, plan, 'input', o);
  if (plan.taps.includes('pool')) {
    const c = g.shapes.get(x)![3];
    x = g.op('pool', 'pool', [x], 'pool', [1, 1, c]);
    if (plan.classifier) x = g.op('classifier', 'fc', [x], 'classifier', [1, 1, plan.classifier.classes]);
  }
  return finish(g, o, [x]);
}

/** Memory plan of Mobile DeepLabv3 (backbone + image pooling, 1×1 and ASPP branches, upsampled logits). */
export function deeplabMemoryPlan(plan: DeeplabPlan, options: MemoryPlanOptions): MemoryPlan {
  const o = resolve(options);
  const g = new GraphBuilder(o.batch);
  g.tensor('input', plan.backbone.options.inputH, plan.backbone.options.inputW, 3);
  const x = addBackbone(g, plan.backbone, 'input', o);
  const [h, w, c] = plan.featureShape;
  const { depth: D, inputH: H, inputW: W, classes: K } = plan.options;
  const pooled = g.op('head.image_pooling.pool', 'pool', [x], 'head.image_pooling.pool', [1, 1, c]);
  const pf = g.conv(plan.imagePooling, pooled);
  g.op('head.image_pooling.upsampled', 'resize', [pf], 'head.image_pooling.upsampled', [h, w, D]);
  g.conv(plan.aspp0, x);
  for (const branch of plan.asppBranches) {
    let y = x;
    for (const cv of branch) y = g.conv(cv, y);
  }
  const concat = g.op('head.concat', 'concat', [...plan.concatBranches], 'head.concat', [h, w, D * plan.concatBranches.length]);
  const proj = g.conv(plan.projection, concat);
  const logits = g.conv(plan.logits, proj);
  const up = g.op(DEEPLAB_OUTPUT_TAP, 'resize', [logits], DEEPLAB_OUTPUT_TAP, [H, W, K]);
  return finish(g, o, [up]);
}

/** Memory plan of SSDLite (backbone, extra layers, box and class predictors on six maps). */
export function ssdliteMemoryPlan(plan: SsdlitePlan, options: MemoryPlanOptions): MemoryPlan {
  const withMaps: MemoryPlanOptions = { ...options, materialize: [...(options.materialize ?? []), ...plan.featureMaps.map((m) => m.name)] };
  const o = resolve(withMaps);
  const g = new GraphBuilder(o.batch);
  g.tensor('input', plan.backbone.options.inputH, plan.backbone.options.inputW, 3);
  addBackbone(g, plan.backbone, 'input', o);
  const outputs: string[] = [];
  for (const c of plan.head) {
    const y = g.conv(c, c.input);
    if (c.part === 'box' || c.part === 'class') outputs.push(y);
  }
  return finish(g, o, outputs);
}

/** A network of any head, for the functions that take all three. */
export type MemoryNetwork =
  | { readonly head: 'classifier'; readonly plan: MobileNetV2Plan }
  | { readonly head: 'deeplab'; readonly plan: DeeplabPlan }
  | { readonly head: 'ssdlite'; readonly plan: SsdlitePlan };

export function memoryPlanOf(net: MemoryNetwork, options: MemoryPlanOptions): MemoryPlan {
  switch (net.head) {
    case 'classifier': return classifierMemoryPlan(net.plan, options);
    case 'deeplab': return deeplabMemoryPlan(net.plan, options);
    case 'ssdlite': return ssdliteMemoryPlan(net.plan, options);
  }
}

function finish(g: GraphBuilder, o: ResolvedMemoryOptions, outputs: readonly string[]): MemoryPlan {
  const B = o.bytesPerElement;
  const ops = g.ops;
  const producer = new Map<string, number>([['input', -1]]);
  const lastUse = new Map<string, number>([['input', -1]]);
  ops.forEach((op, i) => {
    for (const t of op.inputs) lastUse.set(t, i);
    for (const t of op.outputs) {
      producer.set(t, i);
      if (!lastUse.has(t)) lastUse.set(t, i);
    }
  });
  for (const t of outputs) lastUse.set(t, ops.length);
  const bytesOf = (name: string): number => g.shapes.get(name)!.reduce((a, d) => a * d, 1) * B;

  // Arena: the input first, then per op: outputs and scratch allocated, scratch and dead tensors freed.
  const arena = new ArenaAllocator();
  const offsets = new Map<string, number>();
  const order = ['input', ...ops.flatMap((op) => op.outputs)];
  offsets.set('input', -1);
  arena.holdExternal(bytesOf('input'));
  const planned: PlannedOp[] = [];
  const live = new Set<string>(['input']);
  let peakLive = 0;
  let peakLiveOp = '';
  let eq2 = 0;
  let eq2Op = '';
  ops.forEach((op, i) => {
    for (const t of op.outputs) {
      offsets.set(t, arena.alloc(bytesOf(t)));
      live.add(t);
    }
    const scratchBytes = op.scratchElements * B * o.batch;
    const scratchAt = scratchBytes > 0 ? arena.alloc(scratchBytes) : -1;
    const eq2Bytes = [...op.inputs, ...op.outputs].reduce((s, t) => s + bytesOf(t), 0) + scratchBytes;
    const liveBytes = [...live].reduce((s, t) => s + bytesOf(t), 0) + scratchBytes;
    planned.push({ name: op.name, kind: op.kind, inputs: op.inputs, outputs: op.outputs, scratchBytes, tileRows: op.tileRows, eq2Bytes, liveBytes });
    if (eq2Bytes > eq2) { eq2 = eq2Bytes; eq2Op = op.name; }
    if (liveBytes > peakLive) { peakLive = liveBytes; peakLiveOp = op.name; }
    if (scratchAt >= 0) arena.free(scratchAt);
    for (const t of [...live]) {
      if (lastUse.get(t)! <= i) {
        if (t === 'input') arena.releaseExternal(bytesOf(t));
        else arena.free(offsets.get(t)!);
        live.delete(t);
      }
    }
  });
  const tensors: PlannedTensor[] = order.map((name) => ({
    name, shape: g.shapes.get(name)!, bytes: bytesOf(name),
    producer: producer.get(name)!, lastUse: lastUse.get(name)!, offset: offsets.get(name)!,
  }));
  return {
    execution: o.execution, bytesPerElement: B, stemTrick: o.stemTrick, ops: planned, tensors,
    eq2Bytes: eq2, eq2Op, eq2ThinBytes: Math.max(...planned.map((p) => p.eq2Bytes - p.scratchBytes)), peakLiveBytes: peakLive, peakLiveOp, arenaBytes: arena.highWater, footprintBytes: arena.peakBytes,
  };
}

// ---------------------------------------------------------------------------------------------
// Table 3: the largest tensor materialised at each spatial resolution

/** One row of paper Table 3 (MobileNetV2 column), as printed: channels / kilobytes (16-bit floats). */
export interface Table3Row {
  readonly size: number;
  /** arXiv v4 (both text renderings; paper-facts §1.4). */
  readonly v4: string;
  /** The variant in other text copies (probably the CVPR version). */
  readonly variant: string;
}

export const PAPER_TABLE3_MOBILENETV2: readonly Table3Row[] = Object.freeze([
  { size: 112, v4: '16/400', variant: '1/O(1)' },
  { size: 56, v4: '32/200', variant: '32/200' },
  { size: 28, v4: '64/100', variant: '64/100' },
  { size: 14, v4: '160/62', variant: '160/62' },
  { size: 7, v4: '320/32', variant: '320/32' },
  { size: 1, v4: '1280/2', variant: '1280/2' },
]);
export const PAPER_TABLE3_MAX = Object.freeze({ v4: '400K', variant: '200K' });

export interface ResolutionRow {
  readonly size: number;
  /** Largest tensor materialised at this size (excluding the network input): its name, channels and bytes. */
  readonly tensor: string;
  readonly channels: number;
  readonly bytes: number;
}

/** For each square spatial size (largest first), the widest tensor this plan materialises there. */
export function materializedPerResolution(mp: MemoryPlan): ResolutionRow[] {
  const rows = new Map<number, ResolutionRow>();
  for (const t of mp.tensors) {
    if (t.producer < 0) continue;
    const [, h, w, c] = t.shape;
    if (h !== w) continue;
    const prev = rows.get(h);
    if (!prev || t.bytes > prev.bytes) rows.set(h, { size: h, tensor: t.name, channels: c, bytes: t.bytes });
  }
  return [...rows.values()].sort((a, b) => b.size - a.size);
}
