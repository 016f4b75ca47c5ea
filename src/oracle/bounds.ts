// SPDX-License-Identifier: Apache-2.0
/**
 * Derived error bounds for one layer and for the whole network.
 *
 * Layer: a float32 implementation of a dot-product layer (conv, depthwise, pointwise, FC) computes
 * each output within K·u·A + 2⁻¹⁴⁹ of our oracle on the same input (tolerance.ts), A = |b| + Σ|xᵢwᵢ|.
 * A itself is one more pass of the same kernel on |x|, |w|, |b| without the clamp.
 *
 * Network: a statistical tolerance (networkErrorBound below) — the rigorous worst case compounds
 * Σ|w| per layer and is astronomically loose after 50 layers. Every head has one: the classifier
 * (networkErrorBound), Mobile DeepLabv3 (deeplabErrorBound) and SSDLite (ssdliteErrorBound).
 */
import type { Backend } from '../backend/backend.js';
import { createScalarBackend } from '../backend/scalar.js';
import type { ConvPlan, MobileNetV2Plan } from '../model/plan.js';
import type { MobileNetV2Weights } from '../model/weights.js';
import { forward, runConv } from '../model/forward.js';
import { deeplabForward, type DeeplabPlan } from '../model/deeplab.js';
import { ssdliteForward, type SsdlitePlan } from '../model/ssdlite.js';
import { TINY, U32 } from './tolerance.js';

const abs = (x: Float32Array): Float32Array => x.map(Math.abs);

/** Number of terms of one output of a conv (taps × input channels per group, + 1 for the bias). */
export function convTerms(c: ConvPlan): number {
  return (c.kind === 'depthwise' ? c.kernel * c.kernel : c.kind === 'conv' ? c.kernel * c.kernel * c.inC : c.inC) + 1;
}

/** Runs `c` with f(w), f(b) (or no bias) and no clamp on `x`. */
function mappedConv(backend: Backend, c: ConvPlan, x: Float32Array, n: number, weights: MobileNetV2Weights, f: (w: Float32Array) => Float32Array, withBias = false): Float32Array {
  const w = weights.convs.get(c.name)!;
  const shadow: MobileNetV2Weights = {
    convs: new Map([[c.name, { weight: f(w.weight), bias: withBias ? f(w.bias) : new Float32Array(w.bias.length) }]]),
    classifier: null,
  };
  return runConv(backend, { ...c, activation: 'linear' }, x, n, shadow);
}

/** Runs `c` with |w|, |b| and no clamp on `x`: the "A" of the bound when x = |input|. */
function absConv(backend: Backend, c: ConvPlan, x: Float32Array, n: number, weights: MobileNetV2Weights, withBias: boolean): Float32Array {
  return mappedConv(backend, c, x, n, weights, abs, withBias);
}

/** Per-element bound K·u·A + 2⁻¹⁴⁹ for conv `c` on input `x` (NHWC, batch n). */
export function convLayerBound(c: ConvPlan, x: Float32Array, n: number, weights: MobileNetV2Weights, backend: Backend = createScalarBackend()): Float32Array {
  const A = absConv(backend, c, abs(x), n, weights, true);
  const K = convTerms(c);
  return A.map((a) => K * U32 * a + TINY);
}

/** How many standard deviations the statistical network tolerance allows. */
export const NETWORK_SIGMAS = 10;

/**
 * Statistical per-logit tolerance for a float32 implementation of the whole plan on this input
 * ([N, K] logits, plus every tap): NETWORK_SIGMAS standard deviations of the accumulated rounding
 * error. Each dot product of K terms whose partial sums stay below A contributes a variance of at
 * most K·u²·A²/3 (K roundings, each uniform within ±u·A); an error already in the input reaches
 * the output with variance Σw²·σ²ᵢₙ (the layer applied to σ² with squared weights); outputs the
 * clamp holds at 0 or 6 carry none; a residual add sums the variances; pooling averages them.
 *
 * Why not the worst case: the worst-case bound multiplies by Σ|w| per layer (≈ √fan-in with usual
 * weights) and reaches 10³⁰ after 50 layers; rounding errors are independent enough that they grow
 * like √K, which is what this estimates. The kernel level keeps the rigorous bound.
 */
export function networkErrorBound(plan: MobileNetV2Plan, weights: MobileNetV2Weights, input: Float32Array, shape: readonly number[]): { logits: Float32Array; taps: Map<string, Float32Array> } {
  const backend = createScalarBackend();
  const n = shape[0]!;
  const ref = forward(backend, plan, weights, input, shape, { taps: 'all' });
  const variances = backboneVariances(backend, plan, weights, ref.taps, n);
  const last = plan.blocks[plan.blocks.length - 1]!;
  const [h, w, ch] = last.outShape;
  const pooled = ref.taps.get('pool')!.data;
  const vPool64 = poolVariance(backend, variances.get(last.name)!, pooled, n, h, w, ch);
  variances.set('pool', vPool64);
  const cls = plan.classifier!;
  const cw = weights.classifier!;
  const sq = (x: Float32Array): Float32Array => x.map((v) => v * v);
  const A = new Float32Array(n * cls.classes);
  const P = new Float32Array(n * cls.classes);
  backend.fullyConnected(A, abs(pooled), abs(cw.weight), abs(cw.bias), { n, inC: cls.inC, outC: cls.classes }, null);
  backend.fullyConnected(P, Float32Array.from(vPool64), sq(cw.weight), null, { n, inC: cls.inC, outC: cls.classes }, null);
  const vLogits = new Float64Array(A.length);
  for (let i = 0; i < A.length; i++) vLogits[i] = P[i]! + ((cls.inC + 1) * U32 * U32 * A[i]! * A[i]!) / 3;
  variances.set('classifier', vLogits);
  const taps = toBounds(variances);
  return { logits: taps.get('classifier')!, taps };
}

const toBounds = (variances: Map<string, Float64Array>): Map<string, Float32Array> => {
  const taps = new Map<string, Float32Array>();
  for (const [k, v] of variances) taps.set(k, Float32Array.from(v, (x) => NETWORK_SIGMAS * Math.sqrt(x) + TINY));
  return taps;
};

/** Variance of one conv's output: input variance through w², plus K·u²·A²/3; none where the clamp holds the output. */
function convVariance(backend: Backend, c: ConvPlan, x: Float32Array, vIn: Float64Array, y: Float32Array, n: number, weights: MobileNetV2Weights): Float64Array {
  const sq = (t: Float32Array): Float32Array => t.map((v) => v * v);
  const A = absConv(backend, c, abs(x), n, weights, true);
  const prop = mappedConv(backend, c, Float32Array.from(vIn), n, weights, sq);
  const K = convTerms(c);
  const out = new Float64Array(A.length);
  for (let i = 0; i < A.length; i++) {
    const held = (c.activation === 'relu6' && (y[i] === 0 || y[i] === 6)) || (c.activation === 'relu' && y[i] === 0);
    out[i] = held ? 0 : prop[i]! + (K * U32 * U32 * A[i]! * A[i]!) / 3;
  }
  return out;
}

/** Variances of every backbone tap (see networkErrorBound). */
function backboneVariances(backend: Backend, plan: MobileNetV2Plan, weights: MobileNetV2Weights, taps: ReadonlyMap<string, { data: Float32Array }>, n: number): Map<string, Float64Array> {
  const variances = new Map<string, Float64Array>();
  let blockIn = 'input';
  let vBlockIn: Float64Array = new Float64Array(taps.get('input')!.data.length);
  for (const b of plan.blocks) {
    let x = taps.get(blockIn)!.data;
    let v: Float64Array = vBlockIn;
    for (const c of b.convs) {
      const y = taps.get(c.name)?.data ?? taps.get(b.name)!.data;
      v = convVariance(backend, c, x, v, y, n, weights);
      x = y;
      if (c.name !== b.name) variances.set(c.name, v);
    }
    if (b.residual) {
      const y = taps.get(b.name)!.data;
      const sum = new Float64Array(v.length);
      for (let i = 0; i < v.length; i++) sum[i] = v[i]! + vBlockIn[i]! + (U32 * U32 * y[i]! * y[i]!) / 3;
      v = sum;
    }
    variances.set(b.name, v);
    blockIn = b.name;
    vBlockIn = v;
  }
  return variances;
}

/** Mean of independent errors: variance mean(σ²)/(h·w), plus the h·w roundings of the sum. */
function poolVariance(backend: Backend, v: Float64Array, pooled: Float32Array, n: number, h: number, w: number, c: number): Float64Array {
  const vPool = new Float32Array(n * c);
  backend.globalAvgPool(vPool, Float32Array.from(v), { n, h, w, c });
  const out = new Float64Array(vPool.length);
  for (let i = 0; i < vPool.length; i++) out[i] = vPool[i]! / (h * w) + ((h * w + 1) * U32 * U32 * pooled[i]! * pooled[i]!) / 3;
  return out;
}

/** Bilinear resize of a variance map: Σwᵢ²σᵢ² ≤ Σwᵢσᵢ² since the weights are in [0, 1] and sum to 1; plus the blend's roundings. */
function resizeVariance(backend: Backend, v: Float64Array, y: Float32Array, dims: { n: number; inH: number; inW: number; c: number; outH: number; outW: number }, mode: 'align-corners' | 'half-pixel'): Float64Array {
  const out = new Float32Array(dims.n * dims.outH * dims.outW * dims.c);
  backend.resizeBilinear(out, Float32Array.from(v), dims, mode);
  return Float64Array.from(out, (x, i) => x + (8 * U32 * U32 * y[i]! * y[i]!) / 3);
}

/** The statistical tolerance of networkErrorBound for Mobile DeepLabv3 (per upsampled logit, NHWC). */
export function deeplabErrorBound(plan: DeeplabPlan, weights: MobileNetV2Weights, input: Float32Array, shape: readonly number[]): { logits: Float32Array; taps: Map<string, Float32Array> } {
  const backend = createScalarBackend();
  const n = shape[0]!;
  const ref = deeplabForward(backend, plan, weights, input, shape, { taps: 'all' });
  const t = (name: string): Float32Array => ref.taps.get(name)!.data;
  const variances = backboneVariances(backend, plan.backbone, weights, ref.taps, n);
  const [h, w, c] = plan.featureShape;
  const { depth: D, upsampling, inputH: H, inputW: W, classes: K } = plan.options;
  const feat = plan.backbone.blocks[plan.backbone.blocks.length - 1]!.name;
  const vFeat = variances.get(feat)!;
  const vPool = poolVariance(backend, vFeat, t('head.image_pooling.pool'), n, h, w, c);
  const vIp = convVariance(backend, plan.imagePooling, t('head.image_pooling.pool'), vPool, t('head.image_pooling'), n, weights);
  variances.set('head.image_pooling', vIp);
  variances.set('head.image_pooling.upsampled', resizeVariance(backend, vIp, t('head.image_pooling.upsampled'), { n, inH: 1, inW: 1, c: D, outH: h, outW: w }, upsampling));
  variances.set(plan.aspp0.name, convVariance(backend, plan.aspp0, t(feat), vFeat, t(plan.aspp0.name), n, weights));
  for (const branch of plan.asppBranches) {
    let x = t(feat), v = vFeat;
    for (const cv of branch) { v = convVariance(backend, cv, x, v, t(cv.name), n, weights); x = t(cv.name); variances.set(cv.name, v); }
  }
  // Concat: the branches' variances side by side, channel-last.
  const parts = plan.concatBranches.map((b) => variances.get(b)!);
  const P = n * h * w;
  const vCat = new Float64Array(P * D * parts.length);
  for (let p = 0; p < P; p++) parts.forEach((v, k) => { for (let d = 0; d < D; d++) vCat[p * D * parts.length + k * D + d] = v[p * D + d]!; });
  const vProj = convVariance(backend, plan.projection, t('head.concat'), vCat, t(plan.projection.name), n, weights);
  const vLog = convVariance(backend, plan.logits, t(plan.projection.name), vProj, t(plan.logits.name), n, weights);
  variances.set(plan.logits.name, vLog);
  variances.set('upsampled_logits', resizeVariance(backend, vLog, t('upsampled_logits'), { n, inH: h, inW: w, c: K, outH: H, outW: W }, upsampling));
  const taps = toBounds(variances);
  return { logits: taps.get('upsampled_logits')!, taps };
}

/**
 * The statistical tolerance of networkErrorBound for SSDLite: per box encoding [N, A, 4] and class
 * logit [N, A, classes], in anchor order. The feature maps carry the backbone's variances (the first
 * one is block 14's expansion output); each extra layer and predictor is a conv on its input map,
 * so the variance goes through the same convVariance step; the predictors' outputs are placed at
 * their maps' anchor offsets exactly as ssdliteStep places the values.
 */
export function ssdliteErrorBound(plan: SsdlitePlan, weights: MobileNetV2Weights, input: Float32Array, shape: readonly number[]): {
  boxEncodings: Float32Array; classLogits: Float32Array; taps: Map<string, Float32Array>;
} {
  const backend = createScalarBackend();
  const n = shape[0]!;
  const ref = ssdliteForward(backend, plan, weights, input, shape, { taps: 'all' });
  const t = (name: string): Float32Array => ref.taps.get(name)!.data;
  const variances = backboneVariances(backend, plan.backbone, weights, ref.taps, n);
  const A = plan.anchors;
  const K = plan.classes;
  const vBox = new Float64Array(n * A * 4);
  const vClass = new Float64Array(n * A * K);
  for (const c of plan.head) {
    const v = convVariance(backend, c, t(c.input), variances.get(c.input)!, t(c.name), n, weights);
    variances.set(c.name, v);
    if (c.part === 'box' || c.part === 'class') {
      const map = plan.featureMaps[c.featureMap]!;
      const d = c.part === 'box' ? 4 : K;
      const per = map.anchorCount * d;
      for (let b = 0; b < n; b++) (c.part === 'box' ? vBox : vClass).set(v.subarray(b * per, (b + 1) * per), (b * A + map.anchorOffset) * d);
    }
  }
  const taps = toBounds(variances);
  const bound = (v: Float64Array): Float32Array => Float32Array.from(v, (x) => NETWORK_SIGMAS * Math.sqrt(x) + TINY);
  return { boxEncodings: bound(vBox), classLogits: bound(vClass), taps };
}
