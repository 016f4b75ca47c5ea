// SPDX-License-Identifier: Apache-2.0
/**
 * Runs a MobileNetV2 plan on a Backend. Activations are NHWC [N, H, W, C] Float32Arrays; pooled
 * features and logits are [N, C]. Every intermediate result can be kept as a named tap.
 */
import type { Backend } from '../backend/backend.js';
import { RELU, RELU6, type Clamp } from '../../kernels/clamp.js';
import type { Activation, BlockPlan, ConvPlan, MobileNetV2Plan } from './plan.js';
import { resolveTapName } from './plan.js';
import { checkWeights, type MobileNetV2Weights } from './weights.js';
import { fmtShape, shapeError, usageError } from '../errors.js';

/** A named intermediate result. Shapes are NHWC for feature maps, [N, C] after pooling. */
export interface Tap {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export interface ForwardOptions {
  /** Which taps to keep: 'all', a list of names/aliases, or none (default). */
  taps?: 'all' | readonly string[];
}

export interface ForwardResult {
  /** The plan's output (logits, or the last feature map when the network is cut). */
  readonly output: Tap;
  readonly taps: ReadonlyMap<string, Tap>;
}

export function activationClamp(a: Activation): Clamp | null {
  return a === 'relu6' ? RELU6 : a === 'relu' ? RELU : null;
}

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

/** Runs one conv (BN folded) of the plan: x [N, H, W, inC] → [N, OH, OW, outC]. */
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

/**
 * Runs a whole block instead of the layer-by-layer path, or returns null to decline it. Registered
 * per backend (memory-efficient execution, src/model/memory-efficient.ts, fuses bottlenecks).
 */
export type BlockRunner = (b: BlockPlan, x: Float32Array, n: number, weights: MobileNetV2Weights, keep: (name: string, t: Tap) => void) => Float32Array | null;
const blockRunners = new WeakMap<Backend, BlockRunner>();

export function registerBlockRunner(backend: Backend, runner: BlockRunner): void {
  blockRunners.set(backend, runner);
}

/** One block: a registered block runner's result, else the layer-by-layer path. */
export function runBlock(backend: Backend, b: BlockPlan, x: Float32Array, n: number, weights: MobileNetV2Weights, keep: (name: string, t: Tap) => void): Float32Array {
  return blockRunners.get(backend)?.(b, x, n, weights, keep) ?? runBlockLayerwise(backend, b, x, n, weights, keep);
}

/** One block layer by layer: its convs in order, then the shortcut add when the block has one. */
export function runBlockLayerwise(backend: Backend, b: BlockPlan, x: Float32Array, n: number, weights: MobileNetV2Weights, keep: (name: string, t: Tap) => void): Float32Array {
  let y = x;
  for (const c of b.convs) {
    y = runConv(backend, c, y, n, weights);
    if (c.name !== b.name) keep(c.name, { data: y, shape: [n, c.geometry.outH, c.geometry.outW, c.outC] });
  }
  if (b.residual) {
    // Inverted residual: the shortcut joins the two thin (bottleneck) tensors. A fresh buffer keeps
    // the projection's own tap intact.
    const sum = allocate(backend, y.length);
    backend.add(sum, y, x, y.length);
    y = sum;
  }
  if (b.complete) keep(b.name, { data: y, shape: [n, ...b.outShape] });
  return y;
}

/** Validates that `input` is NHWC [N, H, W, 3] for this plan and returns N. */
export function checkInput(plan: MobileNetV2Plan, input: Float32Array, shape: readonly number[]): number {
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

/** Which tap names to keep, canonicalised; unknown names are a usage error listing what exists. */
export function selectTaps(plan: MobileNetV2Plan, taps: ForwardOptions['taps']): Set<string> {
  if (taps === undefined) return new Set();
  if (taps === 'all') return new Set(plan.taps);
  const chosen = new Set<string>();
  for (const t of taps) {
    const name = resolveTapName(t);
    if (!plan.taps.includes(name)) {
      throw usageError(`unknown tap '${t}'; this network has ${plan.taps.length} taps: ${plan.taps[0]}, ${plan.taps[1]}, … ${plan.taps[plan.taps.length - 1]}`);
    }
    chosen.add(name);
  }
  return chosen;
}

/**
 * Runs the whole plan on a batch.
 * @param input NHWC [N, H, W, 3], already preprocessed.
 */
export function forward(
  backend: Backend, plan: MobileNetV2Plan, weights: MobileNetV2Weights,
  input: Float32Array, shape: readonly number[], options: ForwardOptions = {},
): ForwardResult {
  checkWeights(plan, weights);
  const n = checkInput(plan, input, shape);
  const wanted = selectTaps(plan, options.taps);
  return withScope(backend, () => {
    const scoped = inScope(backend);
    const taps = new Map<string, Tap>();
    let output: Tap = { data: input, shape: [...shape] };
    // Inside a zero-copy scope intermediate buffers are backend memory: copy what is kept.
    const keep = (name: string, t: Tap): void => {
      if (wanted.has(name)) taps.set(name, scoped ? { data: t.data.slice(), shape: t.shape } : t);
      output = t;
    };
    keep('input', output);

    let x = input;
    for (const b of plan.blocks) x = runBlock(backend, b, x, n, weights, keep);

    if (plan.taps.includes('pool')) {
      const last = plan.blocks[plan.blocks.length - 1]!;
      const [h, w, c] = last.outShape;
      const pooled = allocate(backend, n * c);
      backend.globalAvgPool(pooled, x, { n, h, w, c });
      keep('pool', { data: pooled, shape: [n, c] });
      const cls = plan.classifier;
      if (cls) {
        const logits = allocate(backend, n * cls.classes);
        const cw = weights.classifier!;
        backend.fullyConnected(logits, pooled, cw.weight, cw.bias, { n, inC: cls.inC, outC: cls.classes }, null);
        keep('classifier', { data: logits, shape: [n, cls.classes] });
      }
    }
    const final: Tap = output;
    return { output: scoped ? { data: taps.get(plan.output)?.data ?? final.data.slice(), shape: final.shape } : final, taps };
  });
}
