// SPDX-License-Identifier: Apache-2.0
/**
 * The one network runner. Every network — the bare backbone, the classifier, SSDLite, Mobile
 * DeepLabv3 — is a MobileNetV2 backbone plan plus a head, and runs through `runHead`, which owns
 * what every head used to repeat: the weight and input checks, tap selection (names and aliases),
 * the backend's zero-copy scope, and copying out of scope memory what outlives the run.
 *
 * A head is a `Head<Plan, Output>`: how to find its backbone and taps in its plan, how to check its
 * weights, and one `run` step that computes the head from the backbone's features through
 * `NetworkOps` — the per-op steps of an arithmetic. The float arithmetic (`floatOps`) runs each op
 * on a Backend with Float32Array tensors; an integer arithmetic implements the same steps on its own
 * tensors, and the same head steps run on it (they are written for any tensor type `T`).
 *
 *   input ─► backbone blocks (runBlockOps) ─► head.run(ctx, plan, features) ─► output
 *              │ every result is offered to ctx.keep(name, …): kept if asked for, copied out of scope
 */
import type { Backend, ConcatPart, PoolDims, ResizeDims, ResizeMode } from '../backend/backend.js';
import { RELU, RELU6, type Clamp } from '../../kernels/clamp.js';
import type { Activation, BlockPlan, ConvPlan, MobileNetV2Plan } from './plan.js';
import type { MobileNetV2Weights } from './weights.js';
import { fmtShape, shapeError, usageError } from '../errors.js';

/** A named intermediate result. Shapes are NHWC for feature maps, [N, C] after pooling. */
export interface Tap<T = Float32Array> {
  readonly data: T;
  readonly shape: readonly number[];
}

export interface RunOptions {
  /** Which taps to keep: 'all', a list of names/aliases, or none (default). */
  taps?: 'all' | readonly string[];
}

export interface NetworkResult<R, T = Float32Array> {
  /** What the head returns (logits, box encodings and class logits, class maps…). */
  readonly output: R;
  readonly taps: ReadonlyMap<string, Tap<T>>;
}

export function activationClamp(a: Activation): Clamp | null {
  return a === 'relu6' ? RELU6 : a === 'relu' ? RELU : null;
}

// ---------------------------------------------------------------------------------------------
// Zero-copy scopes

/** Open zero-copy scopes per backend (see Backend.beginScope). */
const openScopes = new WeakMap<Backend, number>();

/** A buffer for a layer's output: backend memory inside a zero-copy scope, else a fresh array. */
export function allocate(backend: Backend, length: number): Float32Array {
  return (openScopes.get(backend) ?? 0) > 0 && backend.scratch ? backend.scratch(length) : new Float32Array(length);
}

/** Whether buffers from `allocate` are scratch views that must be copied to outlive the scope. */
export function inScope(backend: Backend): boolean {
  return (openScopes.get(backend) ?? 0) > 0;
}

/** Runs `fn` inside the backend's zero-copy scope when it has one. */
export function withScope<T>(backend: Backend, fn: () => T): T {
  if (!backend.beginScope || !backend.endScope || !backend.scratch) return fn();
  backend.beginScope();
  openScopes.set(backend, (openScopes.get(backend) ?? 0) + 1);
  try {
    return fn();
  } finally {
    openScopes.set(backend, openScopes.get(backend)! - 1);
    backend.endScope();
  }
}

// ---------------------------------------------------------------------------------------------
// The arithmetic: per-op steps a network is made of

/**
 * The steps a plan is made of, on tensors of type T (NHWC, batch n fixed by the run). Results live
 * in the arithmetic's working memory (a backend's zero-copy scope) unless said otherwise.
 */
export interface NetworkOps<T> {
  /** One conv of the plan (BN folded, activation fused): x [N, H, W, inC] → [N, OH, OW, outC]. */
  conv(c: ConvPlan, x: T): T;
  /** The inverted-residual shortcut a + b of block `name`, in a fresh buffer (the operands stay intact as taps). */
  add(a: T, b: T, name: string): T;
  /** x [N, H, W, C] → [N, C]; `name` is the step's tap name (an integer arithmetic finds its output quantization by it). */
  globalAvgPool(x: T, dims: PoolDims, name: string): T;
  /** The classifier: x [N, inC] → logits [N, classes]. */
  fullyConnected(x: T, classifier: { readonly inC: number; readonly classes: number }, name: string): T;
  /** Bilinear resize; `owned` puts the result in ordinary memory (it is returned to the caller). */
  resizeBilinear(x: T, dims: ResizeDims, mode: ResizeMode, name: string, owned?: boolean): T;
  /** Channel concatenation of NHWC tensors of `pixels` = N·H·W each. */
  concatChannels(parts: readonly { readonly data: T; readonly channels: number }[], pixels: number, name: string): T;
  /** A zero-filled tensor in ordinary memory (outputs assembled by the head); `name` is its step name (an integer arithmetic finds its quantization by it). */
  output(length: number, name: string): T;
  /** dst[offset …] = src (both flat; an integer arithmetic requantizes src to dst's parameters when they differ). */
  copyInto(dst: T, offset: number, src: T): void;
  /** A copy in ordinary memory. */
  copy(x: T): T;
  /** Number of values. */
  length(x: T): number;
  /** x[start, end) as a view. */
  slice(x: T, start: number, end: number): T;
}

/** Runs one conv (BN folded) of the plan on a backend: x [N, H, W, inC] → [N, OH, OW, outC]. */
export function runConv(backend: Backend, c: ConvPlan, x: Float32Array, n: number, weights: MobileNetV2Weights): Float32Array {
  const w = weights.convs.get(c.name)!;
  const g = c.geometry;
  const out = allocate(backend, n * g.outH * g.outW * c.outC);
  const clamp = activationClamp(c.activation);
  switch (c.kind) {
    case 'conv':
      backend.conv2d(out, x, w.weight, w.bias, { n, inC: c.inC, outC: c.outC }, g, clamp);
      break;
    case 'depthwise':
      backend.depthwiseConv2d(out, x, w.weight, w.bias, { n, channels: c.outC }, g, clamp);
      break;
    case 'pointwise':
      backend.pointwiseConv(out, x, w.weight, w.bias, { pixels: n * g.inH * g.inW, inC: c.inC, outC: c.outC }, clamp);
      break;
  }
  return out;
}

/** The float arithmetic: every step on a Backend, with folded float weights, batch n. */
export function floatOps(backend: Backend, weights: MobileNetV2Weights, n: number): NetworkOps<Float32Array> {
  return {
    conv: (c, x) => runConv(backend, c, x, n, weights),
    add: (a, b) => {
      const sum = allocate(backend, a.length);
      backend.add(sum, a, b, a.length);
      return sum;
    },
    globalAvgPool: (x, dims) => {
      const pooled = allocate(backend, dims.n * dims.c);
      backend.globalAvgPool(pooled, x, dims);
      return pooled;
    },
    fullyConnected: (x, cls) => {
      const logits = allocate(backend, n * cls.classes);
      const cw = weights.classifier!;
      backend.fullyConnected(logits, x, cw.weight, cw.bias, { n, inC: cls.inC, outC: cls.classes }, null);
      return logits;
    },
    resizeBilinear: (x, dims, mode, _name, owned = false) => {
      const out = owned ? new Float32Array(dims.n * dims.outH * dims.outW * dims.c) : allocate(backend, dims.n * dims.outH * dims.outW * dims.c);
      backend.resizeBilinear(out, x, dims, mode);
      return out;
    },
    concatChannels: (parts, pixels) => {
      const out = allocate(backend, pixels * parts.reduce((s, p) => s + p.channels, 0));
      backend.concatChannels(out, parts as readonly ConcatPart[], pixels);
      return out;
    },
    output: (length) => new Float32Array(length),
    copyInto: (dst, offset, src) => dst.set(src, offset),
    copy: (x) => x.slice(),
    length: (x) => x.length,
    slice: (x, start, end) => x.subarray(start, end),
  };
}

/** One block on any arithmetic: its convs in order, then the shortcut add when the block has one. */
export function runBlockOps<T>(ops: NetworkOps<T>, b: BlockPlan, x: T, n: number, keep: (name: string, t: Tap<T>) => void): T {
  let y = x;
  for (const c of b.convs) {
    y = ops.conv(c, y);
    if (c.name !== b.name) keep(c.name, { data: y, shape: [n, c.geometry.outH, c.geometry.outW, c.outC] });
  }
  // Inverted residual: the shortcut joins the two thin (bottleneck) tensors.
  if (b.residual) y = ops.add(y, x, b.name);
  if (b.complete) keep(b.name, { data: y, shape: [n, ...b.outShape] });
  return y;
}

/**
 * Runs a whole block instead of the layer-by-layer path, or returns null to decline it. Registered
 * per backend (memory-efficient execution, src/model/memory-efficient.ts, fuses bottlenecks).
 */
export type BlockRunner = (
  b: BlockPlan, x: Float32Array, n: number, weights: MobileNetV2Weights, keep: (name: string, t: Tap) => void,
  /** Whether the caller asked for tap `name` (a fused block must not silently skip one). */
  wants?: (name: string) => boolean,
) => Float32Array | null;
const blockRunners = new WeakMap<Backend, BlockRunner>();

export function registerBlockRunner(backend: Backend, runner: BlockRunner): void {
  blockRunners.set(backend, runner);
}

/** One block on a backend: its registered block runner's result, else the layer-by-layer path. */
export function runBlock(
  backend: Backend, b: BlockPlan, x: Float32Array, n: number, weights: MobileNetV2Weights, keep: (name: string, t: Tap) => void,
  wants?: (name: string) => boolean,
): Float32Array {
  return blockRunners.get(backend)?.(b, x, n, weights, keep, wants) ?? runBlockLayerwise(backend, b, x, n, weights, keep);
}

/** One block on a backend, layer by layer (see runBlockOps). */
export function runBlockLayerwise(backend: Backend, b: BlockPlan, x: Float32Array, n: number, weights: MobileNetV2Weights, keep: (name: string, t: Tap) => void): Float32Array {
  return runBlockOps(floatOps(backend, weights, n), b, x, n, keep);
}

// ---------------------------------------------------------------------------------------------
// The head contract and the runner

/** What a head step sees of the run. */
export interface RunContext<T> {
  readonly ops: NetworkOps<T>;
  /** Batch size. */
  readonly n: number;
  /** Offers a named result: kept when asked for (copied out of scope memory), remembered when the head reads it back. */
  keep(name: string, data: T, shape: readonly number[]): Tap<T>;
  /** A result the head declared in `reads` (see Head.reads). */
  read(name: string): T;
  /** A tap that outlives the run: the kept copy when there is one, else a copy (inside a scope) or itself. */
  own(name: string, t: Tap<T>): Tap<T>;
  /** Whether the caller asked for this tap. */
  wants(name: string): boolean;
  /** Records a tap that is already in ordinary memory (no copy), when asked for. */
  keepOwned(name: string, t: Tap<T>): void;
}

/**
 * A head: the plan-specific part of a network. P is its plan type, R what it returns, T the tensor
 * type of the arithmetic it runs on (the head steps are generic; `classifierHead<T>()` etc. give a
 * head for any arithmetic, and the float ones are the exported constants).
 */
export interface Head<P, R, T = Float32Array> {
  /** The MobileNetV2 backbone the head sits on. */
  backbone(plan: P): MobileNetV2Plan;
  /** Every tap of the whole network, in execution order. */
  taps(plan: P): readonly string[];
  /** Canonical tap name for a name or alias (unknown names come back unchanged). */
  resolveTap(plan: P, name: string): string;
  /** The usage error text for an unknown tap. */
  unknownTap(plan: P, name: string): string;
  /** Throws a WEIGHTS error naming the first missing or mis-sized tensor (backbone and head). */
  checkWeights(plan: P, weights: MobileNetV2Weights): void;
  /** Taps kept whether asked for or not (SSD's feature maps). */
  alwaysKeep?(plan: P): Iterable<string>;
  /** Intermediate results the head reads back by name (SSD's feature maps and extra layers). */
  reads?(plan: P): Iterable<string>;
  /** The head step, from the backbone's last output. */
  run(ctx: RunContext<T>, plan: P, features: Tap<T>): R;
}

/** Validates that `input` is NHWC [N, H, W, 3] for this backbone and returns N. */
export function checkInput(plan: MobileNetV2Plan, input: { readonly length: number }, shape: readonly number[]): number {
  const { inputH, inputW } = plan.options;
  if (shape.length !== 4 || shape[1] !== inputH || shape[2] !== inputW || shape[3] !== 3 || !(shape[0]! >= 1)) {
    throw shapeError(`input has shape ${fmtShape(shape)}, expected NHWC [N, ${inputH}, ${inputW}, 3] with N ≥ 1`);
  }
  const n = shape[0]!;
  if (input.length !== n * inputH * inputW * 3) {
    throw shapeError(`input has ${input.length} values, expected ${fmtShape(shape)} = ${n * inputH * inputW * 3}`);
  }
  return n;
}

/** Which tap names to keep, canonicalised; unknown names are a usage error worded by the head. */
export function selectHeadTaps<P>(head: Head<P, unknown, never>, plan: P, taps: RunOptions['taps']): Set<string> {
  const all = head.taps(plan);
  const chosen = new Set<string>(head.alwaysKeep?.(plan) ?? []);
  if (taps === undefined) return chosen;
  if (taps === 'all') {
    for (const t of all) chosen.add(t);
    return chosen;
  }
  for (const t of taps) {
    const name = head.resolveTap(plan, t);
    if (!all.includes(name)) throw usageError(head.unknownTap(plan, t));
    chosen.add(name);
  }
  return chosen;
}

/**
 * An arithmetic the runner can run a network on: its per-op steps (NetworkOps) for a batch of n,
 * how a whole block runs (the float one may fuse it), and its working memory.
 */
export interface Arithmetic<T> {
  /** 'float' or 'integer' (recorded in results). */
  readonly name: string;
  ops(n: number): NetworkOps<T>;
  /** Number of values of a tensor (the input check needs it before the batch size is known). */
  length(x: T): number;
  /** Runs one backbone block; `keep` receives every intermediate result; `wants` names the taps asked for. */
  block(b: BlockPlan, x: T, n: number, keep: (name: string, t: Tap<T>) => void, wants: (name: string) => boolean): T;
  /**
   * Runs `fn` in the arithmetic's working memory. `scoped` tells whether results there are views
   * that must be copied (ops.copy) to outlive the run.
   */
  within<R>(fn: (scoped: boolean) => R): R;
}

/** The float arithmetic on a backend: its zero-copy scope, fused blocks where registered. */
export function floatArithmetic(backend: Backend, weights: MobileNetV2Weights): Arithmetic<Float32Array> {
  return {
    name: 'float',
    ops: (n) => floatOps(backend, weights, n),
    length: (x) => x.length,
    block: (b, x, n, keep, wants) => runBlock(backend, b, x, n, weights, keep, wants),
    within: (fn) => withScope(backend, () => fn(inScope(backend))),
  };
}

/**
 * Runs backbone and head on a batch: checks, tap selection, the zero-copy scope and copy-out.
 * @param input NHWC [N, H, W, 3], already preprocessed.
 */
export function runHead<P, R>(
  backend: Backend, head: Head<P, R>, plan: P, weights: MobileNetV2Weights, input: Tap, options: RunOptions = {},
): NetworkResult<R> {
  head.checkWeights(plan, weights);
  return runWith(floatArithmetic(backend, weights), head, plan, input, options);
}

/**
 * The runner proper, on any arithmetic (weights already checked by the caller): input check, tap
 * selection, working memory and copy-out, the backbone blocks, then the head step.
 */
export function runWith<P, R, T>(
  arithmetic: Arithmetic<T>, head: Head<P, R, T>, plan: P, input: Tap<T>, options: RunOptions = {},
): NetworkResult<R, T> {
  const backbone = head.backbone(plan);
  const n = checkInput(backbone, { length: arithmetic.length(input.data) }, input.shape);
  const wanted = selectHeadTaps(head as Head<P, unknown, never>, plan, options.taps);
  const reads = new Set(head.reads?.(plan) ?? []);
  return arithmetic.within((scoped) => {
    // Inside a zero-copy scope every intermediate is backend memory: what is kept is copied out.
    const taps = new Map<string, Tap<T>>();
    const buffers = new Map<string, T>();
    const ops = arithmetic.ops(n);
    const ctx: RunContext<T> = {
      ops, n,
      keep: (name, data, shape) => {
        const t: Tap<T> = { data, shape };
        if (wanted.has(name)) taps.set(name, scoped ? { data: ops.copy(data), shape } : t);
        if (reads.has(name)) buffers.set(name, data);
        return t;
      },
      read: (name) => {
        const b = buffers.get(name);
        if (b === undefined) throw new Error(`internal: the head reads ${name}, which was not computed`);
        return b;
      },
      own: (name, t) => (scoped ? (taps.get(name) ?? { data: ops.copy(t.data), shape: t.shape }) : t),
      wants: (name) => wanted.has(name),
      keepOwned: (name, t) => {
        if (wanted.has(name)) taps.set(name, t);
      },
    };
    let features = ctx.keep('input', input.data, [...input.shape]);
    for (const b of backbone.blocks) {
      arithmetic.block(b, features.data, n, (name, t) => {
        features = ctx.keep(name, t.data, t.shape);
      }, ctx.wants);
    }
    return { output: head.run(ctx, plan, features), taps };
  });
}
