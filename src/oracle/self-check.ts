// SPDX-License-Identifier: Apache-2.0
/**
 * Self-check (user-needs §2 item 4): run the network on the active (fast) backend, then rerun a
 * sample of its layers on the scalar oracle with exactly the fast backend's inputs, and measure each
 * layer's divergence against the derived kernel bound K·u·A + 2⁻¹⁴⁹ (bounds.ts). A ratio above 1
 * means the fast kernel is wrong for this layer — not rounding — e.g. a SIMD miscompile, a wrong
 * edge case in a tile remainder, or a NaN-dropping clamp. With `threshold` set, exceeding it is an
 * error (MobileNetV2Error 'VALUE'). Every head is covered: the classifier's FC, and every conv of the
 * DeepLab and SSDLite heads alongside the backbone's.
 */
import type { Backend } from '../backend/backend.js';
import { createScalarBackend } from '../backend/scalar.js';
import { runConv } from '../model/runner.js';
import { isDeeplabPlan, isSsdlitePlan, runNetwork, type NetworkPlan } from '../model/network.js';
import { unravel } from '../model/layout.js';
import type { ConvPlan, MobileNetV2Plan } from '../model/plan.js';
import type { MobileNetV2Weights } from '../model/weights.js';
import { usageError, valueError } from '../errors.js';
import { convLayerBound } from './bounds.js';
import { TINY, U32 } from './tolerance.js';

export interface SelfCheckOptions {
  /** How many layers to rerun (spread evenly, always the stem and the classifier), or 'all'. Default 6. */
  sampleLayers?: number | 'all';
  /** Largest acceptable divergence / bound; exceeding it throws. Unset: report only. */
  threshold?: number;
}

export interface SelfCheckLayer {
  readonly name: string;
  readonly kind: string;
  readonly maxAbs: number;
  /** max over elements of |fast − scalar| / bound. */
  readonly ratio: number;
  readonly at: readonly number[];
  readonly fast: number;
  readonly scalar: number;
  readonly bound: number;
}

export interface SelfCheckReport {
  readonly backend: string;
  readonly layers: readonly SelfCheckLayer[];
  readonly worst: SelfCheckLayer | null;
  readonly threshold: number | null;
  readonly ok: boolean;
  readonly summary: string;
}

function pick<T>(items: readonly T[], k: number): T[] {
  if (k >= items.length) return [...items];
  const out = new Set<number>();
  for (let i = 0; i < k; i++) out.add(k === 1 ? 0 : Math.round((i * (items.length - 1)) / (k - 1)));
  return [...out].sort((a, b) => a - b).map((i) => items[i]!);
}

function compare(name: string, kind: string, fast: Float32Array, ref: Float32Array, bound: Float32Array, shape: readonly number[]): SelfCheckLayer {
  let ratio = 0, at = 0, maxAbs = 0;
  for (let i = 0; i < ref.length; i++) {
    const f = fast[i]!, r = ref[i]!;
    let q: number;
    if (Number.isNaN(f) || Number.isNaN(r)) q = Number.isNaN(f) && Number.isNaN(r) ? 0 : Infinity;
    else if (f === r) q = 0;
    else q = Math.abs(f - r) / bound[i]!;
    const d = Math.abs(f - r);
    if (d > maxAbs) maxAbs = d;
    if (!(q <= ratio)) { ratio = q; at = i; }
  }
  return { name, kind, maxAbs, ratio, at: unravel(at, shape), fast: fast[at]!, scalar: ref[at]!, bound: bound[at]! };
}

interface SampledConv { readonly conv: ConvPlan; readonly input: string; readonly output: string }

/** Every conv of the network with the taps it reads and writes, in execution order. */
function convsWithTaps(plan: NetworkPlan, taps: ReadonlyMap<string, unknown>): SampledConv[] {
  const backbone: MobileNetV2Plan = isDeeplabPlan(plan) || isSsdlitePlan(plan) ? plan.backbone : plan;
  const convs: SampledConv[] = [];
  let blockIn = 'input';
  for (const b of backbone.blocks) {
    let x = blockIn;
    for (const c of b.convs) {
      const out = c.name === b.name || !taps.has(c.name) ? b.name : c.name;
      convs.push({ conv: c, input: x, output: out });
      x = c.name;
    }
    blockIn = b.name;
  }
  if (isSsdlitePlan(plan)) {
    for (const c of plan.head) convs.push({ conv: c, input: c.input, output: c.name });
  } else if (isDeeplabPlan(plan)) {
    convs.push({ conv: plan.imagePooling, input: 'head.image_pooling.pool', output: plan.imagePooling.name });
    convs.push({ conv: plan.aspp0, input: blockIn, output: plan.aspp0.name });
    for (const branch of plan.asppBranches) {
      let x = blockIn;
      for (const c of branch) {
        convs.push({ conv: c, input: x, output: c.name });
        x = c.name;
      }
    }
    convs.push({ conv: plan.projection, input: 'head.concat', output: plan.projection.name });
    convs.push({ conv: plan.logits, input: plan.projection.name, output: plan.logits.name });
  }
  return convs;
}

/**
 * Reruns sampled layers of `backend`'s forward pass on the scalar oracle: any plan (classifier,
 * backbone, DeepLab, SSDLite).
 * @param input NHWC [N, H, W, 3], preprocessed.
 */
export function selfCheck(
  backend: Backend, plan: NetworkPlan, weights: MobileNetV2Weights,
  input: { readonly data: Float32Array; readonly shape: readonly number[] }, options: SelfCheckOptions = {},
): SelfCheckReport {
  const n = input.shape[0]!;
  const run = runNetwork(backend, plan, weights, input, { taps: 'all' });
  const scalar = createScalarBackend();
  const convs = convsWithTaps(plan, run.taps);
  const classifier = isDeeplabPlan(plan) || isSsdlitePlan(plan) ? null : plan.classifier;
  const k = options.sampleLayers === 'all' ? Infinity : options.sampleLayers ?? 6;
  if (k !== Infinity && !(Number.isInteger(k) && k >= 1)) throw usageError(`self-check: sampleLayers must be a positive integer or 'all', got ${String(options.sampleLayers)}`);
  const layers: SelfCheckLayer[] = [];
  for (const s of pick(convs, Math.max(1, k === Infinity ? convs.length : k - (classifier ? 1 : 0)))) {
    const x = run.taps.get(s.input)!;
    const y = run.taps.get(s.output)!;
    const ref = runConv(scalar, s.conv, x.data, n, weights);
    layers.push(compare(s.conv.name, s.conv.kind, y.data, ref, convLayerBound(s.conv, x.data, n, weights, scalar), y.shape));
  }
  const cls = classifier;
  if (cls && weights.classifier) {
    const pooled = run.taps.get('pool')!.data;
    const ref = new Float32Array(n * cls.classes);
    scalar.fullyConnected(ref, pooled, weights.classifier.weight, weights.classifier.bias, { n, inC: cls.inC, outC: cls.classes }, null);
    const A = new Float32Array(ref.length);
    scalar.fullyConnected(A, pooled.map(Math.abs), weights.classifier.weight.map(Math.abs), weights.classifier.bias.map(Math.abs), { n, inC: cls.inC, outC: cls.classes }, null);
    const bound = A.map((a) => (cls.inC + 1) * U32 * a + TINY);
    layers.push(compare('classifier', 'fully-connected', run.taps.get('classifier')!.data, ref, bound, [n, cls.classes]));
  }
  const worst = layers.reduce<SelfCheckLayer | null>((w, l) => (!w || !(l.ratio <= w.ratio) ? l : w), null);
  const threshold = options.threshold ?? null;
  const ok = worst === null || threshold === null || worst.ratio <= threshold;
  const summary = worst === null ? `self-check (${backend.name}): no layer sampled`
    : `self-check (${backend.name} vs scalar oracle, ${layers.length} layers): largest divergence at ${worst.name}, |Δ| ${worst.maxAbs.toExponential(2)} = ${worst.ratio === Infinity ? '∞' : worst.ratio.toFixed(3)} × the derived bound${threshold === null ? '' : ok ? ` (≤ ${threshold}: ok)` : ` (> ${threshold})`}`;
  if (!ok) {
    throw valueError(`${summary}: at ${worst!.name}[${worst!.at.join(', ')}] the ${backend.name} backend gives ${worst!.fast}, the scalar oracle ${worst!.scalar} (bound ${worst!.bound.toExponential(2)})`);
  }
  return { backend: backend.name, layers, worst, threshold, ok, summary };
}
