// SPDX-License-Identifier: Apache-2.0
/** The case catalogue: every conformance case built in memory (kernels, padding, resize, NMS, whole networks) with its expected output and derived bound. (Conformance vectors: see ../vectors.ts.) */
import { createScalarBackend } from '../../backend/scalar.js';
import { conv2dGeometry, symmetricPads, tfSamePads, type Conv2dGeometry, type Pad4 } from '../../../kernels/geometry.js';
import { RELU6, type Clamp } from '../../../kernels/clamp.js';
import { f32Conv2dNhwc } from '../../../kernels/f32-conv2d-nhwc.js';
import { f32DwConv2dNhwc } from '../../../kernels/f32-dwconv2d-nhwc.js';
import { f32PwConvNhwc } from '../../../kernels/f32-pwconv-nhwc.js';
import { f32ResizeBilinearNhwc, f32ResizeNearestNhwc, type ResizeCoordinateMode } from '../../../kernels/f32-resize-nhwc.js';
import { nonMaxSuppression } from '../../model/ssd/nms.js';
import { buildPlan, type ConvPlan, type MobileNetV2Plan, type PaddingConvention } from '../../model/plan.js';
import { buildDeeplabPlan, deeplabForward, type DeeplabPlan } from '../../model/deeplab.js';
import { forward, activationClamp } from '../../model/forward.js';
import { convWeightShape, type ConvWeights, type MobileNetV2Weights } from '../../model/weights.js';
import { TINY, U32 } from '../tolerance.js';
import { deeplabErrorBound, networkErrorBound } from '../bounds.js';
import { buildQ8Cases } from './catalogue-q8.js';
import { abs, clampJson, f32Up, geomJson, prod, uniform, type BuiltCase, type Tensor } from './format.js';

const DOT_DERIVATION = 'bound[i] = K·2⁻²⁴·A[i] + 2⁻¹⁴⁹ with K the number of terms (taps × input channels, + 1 for the bias) and A[i] = |b| + Σ|x·w| for output i: the worst case of float32 summation in any order against the float64-accumulated, once-rounded reference';

function padTags(g: Conv2dGeometry): string[] {
  const t: string[] = [];
  if (g.pad.top !== g.pad.bottom || g.pad.left !== g.pad.right) t.push('asymmetric-pad');
  if (g.strideH > 1 || g.strideW > 1) t.push('stride-2');
  if (g.dilationH > 1 || g.dilationW > 1) t.push('dilation');
  if (g.inH % 2 === 0 || g.inW % 2 === 0) t.push('even-size');
  else t.push('odd-size');
  return t;
}

interface ConvSpec {
  name: string; description: string;
  n: number; h: number; w: number; ic: number; oc: number; k: [number, number];
  stride?: [number, number]; dilation?: [number, number]; padding: PaddingConvention | Pad4 | 'valid';
  clamp: Clamp | null; bias?: boolean; seed: number; tags?: string[];
  /** Overwrite some inputs (NaN/Inf cases, clamp edges). */
  edit?: (x: Float32Array, w: Float32Array, b: Float32Array) => void;
}

function convGeometry(s: ConvSpec): Conv2dGeometry {
  return conv2dGeometry({ inH: s.h, inW: s.w, kH: s.k[0], kW: s.k[1], stride: s.stride ?? [1, 1], dilation: s.dilation ?? [1, 1], padding: s.padding });
}

function paddingJson(p: ConvSpec['padding']): unknown {
  return typeof p === 'string' ? p : { ...p };
}

function convCase(s: ConvSpec): BuiltCase {
  const g = convGeometry(s);
  const x = uniform(s.n * s.h * s.w * s.ic, s.seed);
  const w = uniform(s.oc * s.k[0] * s.k[1] * s.ic, s.seed + 1, -1, 1);
  const b = uniform(s.oc, s.seed + 2, -0.5, 0.5);
  s.edit?.(x, w, b);
  const bias = s.bias === false ? null : b;
  const out = new Float32Array(s.n * g.outH * g.outW * s.oc);
  const A = new Float32Array(out.length);
  const dims = { n: s.n, inC: s.ic, outC: s.oc };
  f32Conv2dNhwc(out, x, w, bias, dims, g, s.clamp);
  f32Conv2dNhwc(A, abs(x), abs(w), bias ? abs(bias) : null, dims, g, null);
  const K = s.k[0] * s.k[1] * s.ic + (bias ? 1 : 0);
  const inputs: Record<string, Tensor> = {
    x: { data: x, shape: [s.n, s.h, s.w, s.ic], layout: 'NHWC' },
    w: { data: w, shape: [s.oc, s.k[0], s.k[1], s.ic], layout: 'OHWI [OC, KH, KW, IC]' },
  };
  if (bias) inputs.b = { data: bias, shape: [s.oc], layout: '[OC]' };
  return {
    name: s.name, kernel: 'conv2d', description: s.description, tags: [...padTags(g), ...(s.tags ?? [])],
    params: { padding: paddingJson(s.padding), geometry: geomJson(g), clamp: clampJson(s.clamp), bias: !!bias, K },
    inputs, expected: { data: out, shape: [s.n, g.outH, g.outW, s.oc], layout: 'NHWC' },
    bound: A.map((a) => f32Up(K * U32 * a + TINY)), ulp: 2, derivation: DOT_DERIVATION,
  };
}

function dwCase(s: Omit<ConvSpec, 'ic' | 'oc'> & { c: number }): BuiltCase {
  const g = convGeometry({ ...s, ic: s.c, oc: s.c });
  const x = uniform(s.n * s.h * s.w * s.c, s.seed);
  const w = uniform(s.k[0] * s.k[1] * s.c, s.seed + 1, -1, 1);
  const b = uniform(s.c, s.seed + 2, -0.5, 0.5);
  s.edit?.(x, w, b);
  const bias = s.bias === false ? null : b;
  const out = new Float32Array(s.n * g.outH * g.outW * s.c);
  const A = new Float32Array(out.length);
  f32DwConv2dNhwc(out, x, w, bias, { n: s.n, channels: s.c }, g, s.clamp);
  f32DwConv2dNhwc(A, abs(x), abs(w), bias ? abs(bias) : null, { n: s.n, channels: s.c }, g, null);
  const K = s.k[0] * s.k[1] + (bias ? 1 : 0);
  const inputs: Record<string, Tensor> = {
    x: { data: x, shape: [s.n, s.h, s.w, s.c], layout: 'NHWC' },
    w: { data: w, shape: [s.k[0], s.k[1], s.c], layout: '[KH, KW, C] (channel multiplier 1)' },
  };
  if (bias) inputs.b = { data: bias, shape: [s.c], layout: '[C]' };
  return {
    name: s.name, kernel: 'depthwise', description: s.description, tags: [...padTags(g), ...(s.k[0] !== s.k[1] ? ['1xN'] : []), ...(s.tags ?? [])],
    params: { padding: paddingJson(s.padding), geometry: geomJson(g), clamp: clampJson(s.clamp), bias: !!bias, K },
    inputs, expected: { data: out, shape: [s.n, g.outH, g.outW, s.c], layout: 'NHWC' },
    bound: A.map((a) => f32Up(K * U32 * a + TINY)), ulp: 2, derivation: DOT_DERIVATION,
  };
}

function pwCase(s: { name: string; description: string; pixels: number; ic: number; oc: number; clamp: Clamp | null; bias?: boolean; seed: number; tags?: string[]; edit?: ConvSpec['edit'] }): BuiltCase {
  const x = uniform(s.pixels * s.ic, s.seed);
  const w = uniform(s.oc * s.ic, s.seed + 1, -1, 1);
  const b = uniform(s.oc, s.seed + 2, -0.5, 0.5);
  s.edit?.(x, w, b);
  const bias = s.bias === false ? null : b;
  const out = new Float32Array(s.pixels * s.oc);
  const A = new Float32Array(out.length);
  f32PwConvNhwc(out, x, w, bias, { pixels: s.pixels, inC: s.ic, outC: s.oc }, s.clamp);
  f32PwConvNhwc(A, abs(x), abs(w), bias ? abs(bias) : null, { pixels: s.pixels, inC: s.ic, outC: s.oc }, null);
  const K = s.ic + (bias ? 1 : 0);
  const inputs: Record<string, Tensor> = {
    x: { data: x, shape: [s.pixels, s.ic], layout: '[P, IC] (P = N·H·W pixels of an NHWC tensor)' },
    w: { data: w, shape: [s.oc, s.ic], layout: '[OC, IC]' },
  };
  if (bias) inputs.b = { data: bias, shape: [s.oc], layout: '[OC]' };
  return {
    name: s.name, kernel: 'pointwise', description: s.description, tags: s.tags ?? [],
    params: { clamp: clampJson(s.clamp), bias: !!bias, K },
    inputs, expected: { data: out, shape: [s.pixels, s.oc], layout: '[P, OC]' },
    bound: A.map((a) => f32Up(K * U32 * a + TINY)), ulp: 2, derivation: DOT_DERIVATION,
  };
}

/** Sets x and w so that some outputs land exactly on 0 and 6 and others beyond them. */
function clampEdges(x: Float32Array, w: Float32Array, b: Float32Array): void {
  // Powers of two keep every product and sum exact, so "exactly 6" is exactly 6 in any order.
  for (let i = 0; i < x.length; i++) x[i] = [0.5, 1, 2, -1, 0.25, 4][i % 6]!;
  for (let i = 0; i < w.length; i++) w[i] = [1, 0.5, -0.25, 2, 0, -1, 0.125][i % 7]!;
  for (let i = 0; i < b.length; i++) b[i] = [0, 6, -6, 3, 7, -0.5][i % 6]!;
}

function nanInf(x: Float32Array): void {
  x[1] = NaN;
  x[Math.floor(x.length / 2)] = Infinity;
  x[x.length - 2] = -Infinity;
}

function padCase(name: string, h: number, w: number, c: number, pad: Pad4, seed: number): BuiltCase {
  const x = uniform(h * w * c, seed);
  const H = h + pad.top + pad.bottom, W = w + pad.left + pad.right;
  const out = new Float32Array(H * W * c);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let k = 0; k < c; k++) out[((i + pad.top) * W + j + pad.left) * c + k] = x[(i * w + j) * c + k]!;
  return {
    name, kernel: 'pad', description: `zero padding ${JSON.stringify(pad)} of a ${h}×${w}×${c} map (Keras ZeroPadding2D / explicit Pad4)`,
    tags: pad.top !== pad.bottom || pad.left !== pad.right ? ['asymmetric-pad'] : [],
    params: { pad }, inputs: { x: { data: x, shape: [1, h, w, c], layout: 'NHWC' } },
    expected: { data: out, shape: [1, H, W, c], layout: 'NHWC' }, bound: null, ulp: 0, derivation: 'exact: a copy plus zeros',
  };
}

function paddingTableCase(convention: 'tf-same' | 'symmetric'): BuiltCase {
  const rows: number[][] = [];
  for (const inSize of [1, 2, 3, 4, 5, 7, 8, 14, 15, 16, 17, 32, 33, 112, 224, 257, 300, 513]) {
    for (const k of [1, 3, 5]) for (const s of [1, 2]) for (const d of [1, 2]) rows.push([inSize, k, s, d]);
  }
  const table = new Float32Array(rows.length * 4);
  const out = new Float32Array(rows.length * 3);
  rows.forEach((r, i) => {
    const [n, k, s, d] = r as [number, number, number, number];
    const [before, after] = convention === 'tf-same' ? tfSamePads(n, k, s, d) : symmetricPads(k, d);
    const kEff = (k - 1) * d + 1;
    const o = Math.floor((n + before + after - kEff) / s) + 1;
    table.set(r, i * 4);
    out.set([o, before, after], i * 3);
  });
  return {
    name: `padding-${convention}`, kernel: 'padding',
    description: convention === 'tf-same'
      ? "TF SAME along one axis: out = ceil(in/s), total = max((out−1)·s + (k−1)·d + 1 − in, 0), before = floor(total/2), after = total − before (the odd pixel goes after: bottom/right)"
      : 'PyTorch symmetric padding (k−1)/2·d on both sides, out = floor((in + 2p − (k−1)·d − 1)/s) + 1',
    tags: ['asymmetric-pad'], params: { convention, columns: { input: ['in', 'k', 'stride', 'dilation'], output: ['out', 'before', 'after'] } },
    inputs: { table: { data: table, shape: [rows.length, 4], layout: '[R, (in, k, stride, dilation)]' } },
    expected: { data: out, shape: [rows.length, 3], layout: '[R, (out, before, after)]' }, bound: null, ulp: 0, derivation: 'exact: integers',
  };
}

function resizeCase(name: string, kind: 'bilinear' | 'nearest', mode: ResizeCoordinateMode, inH: number, inW: number, outH: number, outW: number, c: number, seed: number, withNaN = false): BuiltCase {
  const x = uniform(inH * inW * c, seed);
  if (withNaN) x[c * (inW + 1)] = NaN;
  const out = new Float32Array(outH * outW * c);
  const dims = { n: 1, inH, inW, c, outH, outW };
  if (kind === 'bilinear') f32ResizeBilinearNhwc(out, x, dims, mode);
  else f32ResizeNearestNhwc(out, x, dims, mode);
  let M = 0;
  for (const v of x) if (Number.isFinite(v)) M = Math.max(M, Math.abs(v));
  const bound = kind === 'bilinear' ? f32Up(U32 * M * (6 * (inH + inW) + 8)) : 0;
  const formula = mode === 'align-corners' ? 's = d·(in−1)/(out−1) (0 when out = 1)' : mode === 'half-pixel' ? 's = (d + 0.5)·in/out − 0.5' : 's = d·in/out (TF1 legacy)';
  return {
    name, kernel: 'resize',
    description: `${kind} ${mode} ${inH}×${inW} → ${outH}×${outW}: ${formula}${kind === 'bilinear' ? ', s clamped to ≥ 0, neighbour i1 = min(i0 + 1, in − 1) (edge repeat)' : ' with the float32 index arithmetic of TF/TFLite/PyTorch (see kernels/f32-resize-nhwc.ts)'}${withNaN ? '; one NaN input pixel must make every output that reads it NaN' : ''}`,
    tags: [mode, ...(withNaN ? ['nan'] : []), outH > inH ? 'upsample' : 'downsample'],
    params: { kind, mode, inH, inW, outH, outW },
    inputs: { x: { data: x, shape: [1, inH, inW, c], layout: 'NHWC' } },
    expected: { data: out, shape: [1, outH, outW, c], layout: 'NHWC' },
    bound: kind === 'bilinear' ? new Float32Array(out.length).fill(bound) : null, ulp: kind === 'bilinear' ? 4 : 0,
    derivation: kind === 'bilinear' ? 'bound = 2⁻²⁴·M·(6·(inH + inW) + 8), M = max|x|: float32 source coordinates and weights (a few ulps of in) times the Lipschitz constant of bilinear interpolation, plus the roundings of the 4-term blend' : 'exact: a copy of the chosen pixel',
  };
}

function nmsCase(name: string, description: string, boxes: number[][], scores: number[], iouThreshold: number, scoreThreshold: number, maxOutput: number | null, tags: string[]): BuiltCase {
  const b = Float32Array.from(boxes.flat());
  const s = Float32Array.from(scores);
  const keep = nonMaxSuppression(b, s, { iouThreshold, scoreThreshold, maxOutput: maxOutput ?? Infinity });
  return {
    name, kernel: 'nms', description, tags,
    params: {
      iouThreshold, scoreThreshold, maxOutput,
      rules: 'candidates: score > scoreThreshold (strict; NaN never); order: score descending, equal scores lower index first; suppress when IoU(candidate, kept) > iouThreshold (strict: IoU equal to the threshold is kept); IoU of boxes with zero area is 0; corners are sorted per axis first; output = kept indices in selection order',
    },
    inputs: { boxes: { data: b, shape: [scores.length, 4], layout: '[K, (ymin, xmin, ymax, xmax)]' }, scores: { data: s, shape: [scores.length], layout: '[K]' } },
    expected: { data: Float32Array.from(keep), shape: [keep.length], layout: '[kept] box indices (as float32)' },
    bound: null, ulp: 0, derivation: 'exact: indices in order',
  };
}

// ---------------------------------------------------------------------------------------------
// Whole-network cases: the classifier and Mobile DeepLabv3, under both padding conventions.

const NET_WIDTH = 0.35;
const NET_RES = 32;
const NET_CLASSES = 10;
const SEG_CLASSES = 5;
const SEG_DEPTH = 16;

/** Seeded weights for a list of convs (BN folded: every conv has a bias). */
function convWeightsFor(convs: readonly ConvPlan[], seed: number): Map<string, ConvWeights> {
  const out = new Map<string, ConvWeights>();
  convs.forEach((c, k) => {
    const shape = convWeightShape(c);
    const fanIn = c.kind === 'depthwise' ? c.kernel * c.kernel : c.kind === 'conv' ? c.kernel * c.kernel * c.inC : c.inC;
    // Large enough that ReLU6 clips in most layers, as it does in trained networks.
    const lim = Math.sqrt(3 / fanIn) * 2;
    out.set(c.name, { weight: uniform(prod(shape), seed + 2 * k, -lim, lim), bias: uniform(c.outC, seed + 2 * k + 1, -0.3, 0.3) });
  });
  return out;
}

const backboneConvs = (plan: MobileNetV2Plan): ConvPlan[] => plan.blocks.flatMap((b) => b.convs);

function convNode(c: ConvPlan, input: string, weightsDir: string): Record<string, unknown> {
  const wLayout = c.kind === 'conv' ? 'OHWI [OC, KH, KW, IC]' : c.kind === 'depthwise' ? '[KH, KW, C]' : '[OC, IC]';
  return {
    op: c.kind === 'conv' ? 'conv2d' : c.kind, name: c.name, role: c.role, input,
    weight: { file: `${weightsDir}/${c.name}.weight.npy`, shape: convWeightShape(c), layout: wLayout },
    bias: { file: `${weightsDir}/${c.name}.bias.npy`, shape: [c.outC], layout: '[OC]' },
    ...(c.kind === 'pointwise' ? {} : { geometry: geomJson(c.geometry) }),
    clamp: clampJson(activationClamp(c.activation)),
  };
}

/** The backbone's layer graph in explicit terms; returns the nodes and the name of the last output. */
function backboneGraph(plan: MobileNetV2Plan, weightsDir: string): { graph: Array<Record<string, unknown>>; last: string } {
  const graph: Array<Record<string, unknown>> = [];
  let blockInput = 'input';
  for (const b of plan.blocks) {
    let x = blockInput;
    for (const c of b.convs) {
      graph.push(convNode(c, x, weightsDir));
      x = c.name;
    }
    if (b.residual) graph.push({ op: 'add', name: b.name, inputs: [x, blockInput], note: 'inverted residual shortcut' });
    else if (x !== b.name) graph.push({ op: 'identity', name: b.name, input: x });
    blockInput = b.name;
  }
  return { graph, last: blockInput };
}

/** The classifier's layer graph (op, tensors, geometry with Pad4, clamp). */
export function networkGraph(plan: MobileNetV2Plan, weightsDir: string): Array<Record<string, unknown>> {
  const { graph, last } = backboneGraph(plan, weightsDir);
  graph.push({ op: 'global_avg_pool', name: 'pool', input: last, note: 'mean over H and W → [N, C]' });
  const cls = plan.classifier!;
  graph.push({
    op: 'fully_connected', name: 'classifier', input: 'pool',
    weight: { file: `${weightsDir}/classifier.weight.npy`, shape: [cls.classes, cls.inC], layout: '[K, C]' },
    bias: { file: `${weightsDir}/classifier.bias.npy`, shape: [cls.classes], layout: '[K]' }, clamp: null,
  });
  return graph;
}

/** Mobile DeepLabv3's layer graph: backbone, image pooling + 1×1 branch, concat, projection, logits, upsampling. */
export function deeplabGraph(plan: DeeplabPlan, weightsDir: string): Array<Record<string, unknown>> {
  const { graph, last } = backboneGraph(plan.backbone, weightsDir);
  const [h, w] = plan.featureShape;
  const mode = plan.options.upsampling;
  graph.push({ op: 'global_avg_pool', name: 'head.image_pooling.pool', input: last, keepdims: true, note: 'mean over H and W → [N, 1, 1, C]' });
  graph.push(convNode(plan.imagePooling, 'head.image_pooling.pool', weightsDir));
  graph.push({ op: 'resize_bilinear', name: 'head.image_pooling.upsampled', input: plan.imagePooling.name, mode, outH: h, outW: w, note: 'from 1×1: a broadcast' });
  graph.push(convNode(plan.aspp0, last, weightsDir));
  for (const branch of plan.asppBranches) {
    let x = last;
    for (const cv of branch) { graph.push(convNode(cv, x, weightsDir)); x = cv.name; }
  }
  graph.push({ op: 'concat', name: 'head.concat', inputs: plan.concatBranches, axis: 'C', note: 'channel concatenation in this order' });
  graph.push(convNode(plan.projection, 'head.concat', weightsDir));
  graph.push(convNode(plan.logits, plan.projection.name, weightsDir));
  graph.push({ op: 'resize_bilinear', name: 'upsampled_logits', input: plan.logits.name, mode, outH: plan.options.inputH, outW: plan.options.inputW });
  return graph;
}

function sharedWeights(weightsDir: string, convs: readonly ConvPlan[], weights: MobileNetV2Weights): Map<string, Tensor> {
  const shared = new Map<string, Tensor>();
  for (const c of convs) {
    const w = weights.convs.get(c.name)!;
    shared.set(`${weightsDir}/${c.name}.weight.npy`, { data: w.weight, shape: convWeightShape(c), layout: '' });
    shared.set(`${weightsDir}/${c.name}.bias.npy`, { data: w.bias, shape: [c.outC], layout: '' });
  }
  return shared;
}

const NETWORK_DERIVATION = 'statistical: 10 standard deviations of the float32 rounding error accumulated through the network — each K-term dot product adds variance K·u²·A²/3, input errors propagate with the squared weights, clamped outputs carry none, residual adds sum variances, pooling and bilinear resizing average them (src/oracle/bounds.ts). The worst case compounds Σ|w| per layer and is useless after 50 layers.';
const padWords = (padding: PaddingConvention): string => padding === 'tf-same' ? 'TF SAME padding (0/1 at every stride-2 layer: all inputs are even)' : 'symmetric (PyTorch) padding';

function networkCases(seed: number): BuiltCase[] {
  const cases: BuiltCase[] = [];
  const x = uniform(2 * NET_RES * NET_RES * 3, seed + 5, -2, 2);
  {
    const weightsDir = 'networks/classifier-w035-r32';
    const base = buildPlan({ width: NET_WIDTH, resolution: NET_RES, classes: NET_CLASSES });
    const lim = Math.sqrt(3 / base.classifier!.inC);
    const weights: MobileNetV2Weights = {
      convs: convWeightsFor(backboneConvs(base), seed),
      classifier: { weight: uniform(NET_CLASSES * base.classifier!.inC, seed + 999, -lim, lim), bias: uniform(NET_CLASSES, seed + 1000, -0.1, 0.1) },
    };
    const shared = sharedWeights(weightsDir, backboneConvs(base), weights);
    shared.set(`${weightsDir}/classifier.weight.npy`, { data: weights.classifier!.weight, shape: [NET_CLASSES, base.classifier!.inC], layout: '' });
    shared.set(`${weightsDir}/classifier.bias.npy`, { data: weights.classifier!.bias, shape: [NET_CLASSES], layout: '' });
    for (const padding of ['tf-same', 'symmetric'] as const) {
      const plan = buildPlan({ width: NET_WIDTH, resolution: NET_RES, classes: NET_CLASSES, padding });
      const r = forward(createScalarBackend(), plan, weights, x, [2, NET_RES, NET_RES, 3]);
      cases.push({
        name: `network-classifier-${padding}`, kernel: 'network',
        description: `whole MobileNetV2 classifier, width ${NET_WIDTH}, ${NET_RES}×${NET_RES}, ${NET_CLASSES} classes, batch 2, BN folded, ${padWords(padding)}; run params.graph in order, output = logits`,
        tags: padding === 'tf-same' ? ['asymmetric-pad', 'tf-same', 'classifier'] : ['symmetric', 'classifier'],
        params: { head: 'classifier', width: NET_WIDTH, resolution: [NET_RES, NET_RES], classes: NET_CLASSES, padding, graph: networkGraph(plan, weightsDir) },
        inputs: { x: { data: x, shape: [2, NET_RES, NET_RES, 3], layout: 'NHWC' } },
        expected: { data: r.output.data, shape: [...r.output.shape], layout: '[N, K] logits' },
        bound: networkErrorBound(plan, weights, x, [2, NET_RES, NET_RES, 3]).logits.map(f32Up), ulp: 0, derivation: NETWORK_DERIVATION, shared,
      });
    }
  }
  {
    const weightsDir = 'networks/deeplab-w035-r32';
    const opts = { width: NET_WIDTH, resolution: NET_RES, outputStride: 16 as const, aspp: 'none' as const, classes: SEG_CLASSES, depth: SEG_DEPTH };
    const base = buildDeeplabPlan(opts);
    const all = [...backboneConvs(base.backbone), ...base.headConvs];
    const weights: MobileNetV2Weights = { convs: convWeightsFor(all, seed + 3000), classifier: null };
    const shared = sharedWeights(weightsDir, all, weights);
    for (const padding of ['tf-same', 'symmetric'] as const) {
      const plan = buildDeeplabPlan({ ...opts, padding });
      const r = deeplabForward(createScalarBackend(), plan, weights, x, [2, NET_RES, NET_RES, 3]);
      cases.push({
        name: `network-deeplab-${padding}`, kernel: 'network',
        description: `Mobile DeepLabv3 (paper Table 7 mobile head: image pooling + 1×1 branch, no ASPP), width ${NET_WIDTH}, ${NET_RES}×${NET_RES}, output stride 16 (the last stride-2 layer becomes dilation 2), head depth ${SEG_DEPTH}, ${SEG_CLASSES} classes, ReLU in the head (clamp [0, null]), align-corners upsampling, ${padWords(padding)}; output = upsampled logits`,
        tags: padding === 'tf-same' ? ['asymmetric-pad', 'tf-same', 'deeplab', 'dilation'] : ['symmetric', 'deeplab', 'dilation'],
        params: { head: 'deeplab', ...opts, resolution: [NET_RES, NET_RES], padding, upsampling: plan.options.upsampling, concatOrder: plan.options.concatOrder, graph: deeplabGraph(plan, weightsDir) },
        inputs: { x: { data: x, shape: [2, NET_RES, NET_RES, 3], layout: 'NHWC' } },
        expected: { data: r.logits.data, shape: [...r.logits.shape], layout: 'NHWC [N, H, W, classes] logits' },
        bound: deeplabErrorBound(plan, weights, x, [2, NET_RES, NET_RES, 3]).logits.map(f32Up), ulp: 0, derivation: NETWORK_DERIVATION, shared,
      });
    }
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------

export function buildCases(): BuiltCase[] {
  const cases: BuiltCase[] = [];
  // conv2d (the stem): 3×3 stride 2 on even and odd maps, both conventions, odd channel counts.
  cases.push(convCase({ name: 'conv-3x3-s2-tfsame-even-8x8x3-oc8', description: 'stem-like 3×3 stride-2 conv, TF SAME on an even input: pad (top 0, bottom 1, left 0, right 1)', n: 1, h: 8, w: 8, ic: 3, oc: 8, k: [3, 3], stride: [2, 2], padding: 'tf-same', clamp: RELU6, seed: 11 }));
  cases.push(convCase({ name: 'conv-3x3-s2-symmetric-even-8x8x3-oc8', description: 'the same conv with PyTorch symmetric padding (1 on every side)', n: 1, h: 8, w: 8, ic: 3, oc: 8, k: [3, 3], stride: [2, 2], padding: 'symmetric', clamp: RELU6, seed: 11 }));
  cases.push(convCase({ name: 'conv-3x3-s2-tfsame-odd-9x9x3-oc5', description: '3×3 stride 2 TF SAME on an odd input: pads (1, 1), same as symmetric', n: 1, h: 9, w: 9, ic: 3, oc: 5, k: [3, 3], stride: [2, 2], padding: 'tf-same', clamp: RELU6, seed: 12 }));
  cases.push(convCase({ name: 'conv-3x3-s2-tfsame-7x10x4-oc9', description: 'non-square map, odd height (pads 1/1) and even width (pads 0/1)', n: 1, h: 7, w: 10, ic: 4, oc: 9, k: [3, 3], stride: [2, 2], padding: 'tf-same', clamp: RELU6, seed: 13 }));
  cases.push(convCase({ name: 'conv-3x3-s1-ic5-oc7-linear', description: 'stride 1, 5 → 7 channels (not multiples of 4), no activation', n: 1, h: 6, w: 7, ic: 5, oc: 7, k: [3, 3], padding: 'tf-same', clamp: null, seed: 14 }));
  cases.push(convCase({ name: 'conv-3x3-d2-9x9x3-oc4', description: 'dilation 2, stride 1, TF SAME (pads 2/2)', n: 1, h: 9, w: 9, ic: 3, oc: 4, k: [3, 3], dilation: [2, 2], padding: 'tf-same', clamp: RELU6, seed: 15 }));
  cases.push(convCase({ name: 'conv-3x3-pad-onesided-6x6x3-oc4', description: 'explicit one-sided padding {top 0, bottom 1, left 1, right 0}, stride 2', n: 1, h: 6, w: 6, ic: 3, oc: 4, k: [3, 3], stride: [2, 2], padding: { top: 0, bottom: 1, left: 1, right: 0 }, clamp: null, seed: 16 }));
  cases.push(convCase({ name: 'conv-3x3-batch2-ic9-oc17', description: 'batch 2, 9 → 17 channels (past multiples of 8 and 16)', n: 2, h: 5, w: 5, ic: 9, oc: 17, k: [3, 3], padding: 'symmetric', clamp: RELU6, seed: 17 }));
  cases.push(convCase({ name: 'conv-3x3-nobias-4x4x2-oc3', description: 'no bias (null), stride 1', n: 1, h: 4, w: 4, ic: 2, oc: 3, k: [3, 3], padding: 'tf-same', clamp: null, bias: false, seed: 18 }));
  cases.push(convCase({ name: 'conv-3x3-clamp-edges', description: 'exactly representable data: outputs exactly 0, exactly 6, below 0 and above 6 under ReLU6', n: 1, h: 5, w: 5, ic: 3, oc: 6, k: [3, 3], padding: 'tf-same', clamp: RELU6, seed: 19, edit: clampEdges, tags: ['clamp'] }));
  cases.push(convCase({ name: 'conv-3x3-nan-inf', description: 'NaN, +Inf and −Inf inputs: NaN propagates through ReLU6 (NaN stays NaN), +Inf clamps to 6, Inf − Inf = NaN', n: 1, h: 5, w: 5, ic: 2, oc: 3, k: [3, 3], padding: 'tf-same', clamp: RELU6, seed: 20, edit: (x) => nanInf(x), tags: ['nan', 'inf'] }));

  // depthwise: the MobileNetV2 workhorse, every edge.
  for (const c of [1, 3, 4, 8, 16, 17, 33]) {
    cases.push(dwCase({ name: `dw-3x3-s2-tfsame-even-8x8-c${c}`, description: `3×3 stride-2 depthwise, TF SAME on an even map (pads 0/1), ${c} channels`, n: 1, h: 8, w: 8, c, k: [3, 3], stride: [2, 2], padding: 'tf-same', clamp: RELU6, seed: 100 + c }));
  }
  cases.push(dwCase({ name: 'dw-3x3-s2-symmetric-even-8x8-c17', description: '3×3 stride 2 with symmetric padding (1/1) on an even map', n: 1, h: 8, w: 8, c: 17, k: [3, 3], stride: [2, 2], padding: 'symmetric', clamp: RELU6, seed: 140 }));
  cases.push(dwCase({ name: 'dw-3x3-s2-tfsame-odd-9x9-c9', description: '3×3 stride 2 TF SAME on an odd map (pads 1/1)', n: 1, h: 9, w: 9, c: 9, k: [3, 3], stride: [2, 2], padding: 'tf-same', clamp: RELU6, seed: 141 }));
  cases.push(dwCase({ name: 'dw-3x3-s1-batch2-6x7-c24-linear', description: 'stride 1, batch 2, no activation', n: 2, h: 6, w: 7, c: 24, k: [3, 3], padding: 'tf-same', clamp: null, seed: 142 }));
  for (const [kh, kw, h, w] of [[1, 3, 7, 8], [3, 1, 8, 7], [1, 5, 6, 9], [5, 1, 9, 6]] as const) {
    cases.push(dwCase({ name: `dw-${kh}x${kw}-s2-tfsame-${h}x${w}-c5`, description: `${kh}×${kw} depthwise, stride 2, TF SAME (tfjs#6629: wrong in WASM with 1×N/N×1 kernels, stride 2, SAME)`, n: 1, h, w, c: 5, k: [kh, kw], stride: [2, 2], padding: 'tf-same', clamp: null, seed: 150 + kh * 10 + kw }));
  }
  cases.push(dwCase({ name: 'dw-3x3-d2-9x9-c8', description: 'dilation 2 (Mobile DeepLabv3 at output stride 16), stride 1, pads 2/2', n: 1, h: 9, w: 9, c: 8, k: [3, 3], dilation: [2, 2], padding: 'tf-same', clamp: RELU6, seed: 160 }));
  cases.push(dwCase({ name: 'dw-3x3-d4-12x12-c3', description: 'dilation 4 (output stride 8), pads 4/4 on a 12×12 map', n: 1, h: 12, w: 12, c: 3, k: [3, 3], dilation: [4, 4], padding: 'tf-same', clamp: RELU6, seed: 161 }));
  cases.push(dwCase({ name: 'dw-3x3-s2-tfsame-7x1-c4', description: 'a map one pixel wide, stride 2', n: 1, h: 7, w: 1, c: 4, k: [3, 3], stride: [2, 2], padding: 'tf-same', clamp: null, seed: 162 }));
  cases.push(dwCase({ name: 'dw-3x3-stride2x1-8x8-c6', description: 'different strides per axis (2 along H, 1 along W)', n: 1, h: 8, w: 8, c: 6, k: [3, 3], stride: [2, 1], padding: 'tf-same', clamp: null, seed: 163 }));
  cases.push(dwCase({ name: 'dw-3x3-pad-onesided-8x8-c5', description: 'explicit padding {top 0, bottom 1, left 0, right 1} = Keras ZeroPadding2D(correct_pad) + valid conv, stride 2', n: 1, h: 8, w: 8, c: 5, k: [3, 3], stride: [2, 2], padding: { top: 0, bottom: 1, left: 0, right: 1 }, clamp: RELU6, seed: 164 }));
  cases.push(dwCase({ name: 'dw-3x3-clamp-edges', description: 'exactly representable data: outputs exactly 0 and 6 and beyond under ReLU6', n: 1, h: 5, w: 5, c: 6, k: [3, 3], padding: 'tf-same', clamp: RELU6, seed: 165, edit: clampEdges, tags: ['clamp'] }));
  cases.push(dwCase({ name: 'dw-3x3-nan-inf', description: 'NaN / ±Inf inputs under ReLU6: NaN propagates (pmin/pmax-style clamps that drop NaN fail this case)', n: 1, h: 5, w: 5, c: 3, k: [3, 3], padding: 'tf-same', clamp: RELU6, seed: 166, edit: (x) => nanInf(x), tags: ['nan', 'inf'] }));

  // pointwise (1×1 conv as a GEMM).
  cases.push(pwCase({ name: 'pw-p7-ic3-oc5', description: '7 pixels, 3 → 5 channels', pixels: 7, ic: 3, oc: 5, clamp: RELU6, seed: 200 }));
  cases.push(pwCase({ name: 'pw-p9-ic17-oc33', description: '17 → 33 channels (one past multiples of 16 and 32)', pixels: 9, ic: 17, oc: 33, clamp: RELU6, seed: 201 }));
  cases.push(pwCase({ name: 'pw-p16-ic16-oc24-linear', description: 'projection-like (linear bottleneck, no activation)', pixels: 16, ic: 16, oc: 24, clamp: null, seed: 202 }));
  cases.push(pwCase({ name: 'pw-p4-ic960-oc20', description: 'a long reduction (K = 961, as the 960 → 160/320 projections)', pixels: 4, ic: 960, oc: 20, clamp: null, seed: 203 }));
  cases.push(pwCase({ name: 'pw-p5-ic6-oc7-nobias', description: 'no bias', pixels: 5, ic: 6, oc: 7, clamp: RELU6, bias: false, seed: 204 }));
  cases.push(pwCase({ name: 'pw-clamp-edges', description: 'outputs exactly 0 and 6 and beyond under ReLU6', pixels: 6, ic: 7, oc: 6, clamp: RELU6, seed: 205, edit: clampEdges, tags: ['clamp'] }));
  cases.push(pwCase({ name: 'pw-nan-inf', description: 'NaN / ±Inf inputs: NaN propagates through ReLU6', pixels: 5, ic: 4, oc: 3, clamp: RELU6, seed: 206, edit: (x) => nanInf(x), tags: ['nan', 'inf'] }));

  // zero padding and the padding arithmetic.
  cases.push(padCase('pad-0-1-0-1-8x8x3', 8, 8, 3, { top: 0, bottom: 1, left: 0, right: 1 }, 300));
  cases.push(padCase('pad-1-1-1-1-7x7x2', 7, 7, 2, { top: 1, bottom: 1, left: 1, right: 1 }, 301));
  cases.push(padCase('pad-2-0-0-3-5x4x3', 5, 4, 3, { top: 2, bottom: 0, left: 0, right: 3 }, 302));
  cases.push(paddingTableCase('tf-same'));
  cases.push(paddingTableCase('symmetric'));

  // resize.
  const modes: ResizeCoordinateMode[] = ['half-pixel', 'align-corners', 'asymmetric'];
  for (const m of modes) {
    cases.push(resizeCase(`resize-bilinear-${m}-up-3x4-7x9`, 'bilinear', m, 3, 4, 7, 9, 3, 400));
    cases.push(resizeCase(`resize-bilinear-${m}-down-9x7-4x3`, 'bilinear', m, 9, 7, 4, 3, 2, 401));
    cases.push(resizeCase(`resize-bilinear-${m}-1x1-5x5`, 'bilinear', m, 1, 1, 5, 5, 3, 402));
    cases.push(resizeCase(`resize-bilinear-${m}-5x5-1x1`, 'bilinear', m, 5, 5, 1, 1, 3, 403));
    cases.push(resizeCase(`resize-nearest-${m}-up-3x5-8x7`, 'nearest', m, 3, 5, 8, 7, 2, 404));
    cases.push(resizeCase(`resize-nearest-${m}-down-10x9-4x3`, 'nearest', m, 10, 9, 4, 3, 2, 405));
  }
  cases.push(resizeCase('resize-bilinear-align-corners-5x5-17x17', 'bilinear', 'align-corners', 5, 5, 17, 17, 2, 406));
  cases.push(resizeCase('resize-bilinear-half-pixel-nan', 'bilinear', 'half-pixel', 4, 4, 7, 7, 2, 407, true));

  // NMS.
  cases.push(nmsCase('nms-basic', 'six boxes, distinct scores, two clusters', [[0, 0, 1, 1], [0, 0.1, 1, 1.1], [2, 2, 3, 3], [2.05, 2, 3.05, 3], [5, 5, 6, 6], [0, 0, 0.5, 0.5]], [0.9, 0.8, 0.7, 0.95, 0.3, 0.6], 0.5, 0, null, []));
  cases.push(nmsCase('nms-iou-equal-threshold', 'IoU exactly 0.5 (kept: suppression needs IoU > threshold) and IoU 0.5 + 2⁻²⁰ above it (suppressed)', [[0, 0, 2, 1], [0, 0, 1, 1], [10, 0, 12, 1], [10, 0, 11 + 2 ** -19, 1]], [0.9, 0.8, 0.7, 0.6], 0.5, 0, null, ['iou-tie']));
  cases.push(nmsCase('nms-equal-scores', 'equal scores: the lower index is selected first (identical boxes: only index 1 survives of 1, 3)', [[0, 0, 1, 1], [5, 5, 6, 6], [9, 9, 10, 10], [5, 5, 6, 6]], [0.5, 0.7, 0.5, 0.7], 0.3, 0, null, ['score-tie']));
  cases.push(nmsCase('nms-score-threshold-strict', 'a score equal to the score threshold is not a candidate; NaN scores never are', [[0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 5, 5], [6, 6, 7, 7]], [0.5, 0.25, NaN, 0.26], 0.5, 0.25, null, ['score-tie', 'nan']));
  cases.push(nmsCase('nms-zero-area-and-flipped', 'a zero-area box (IoU 0 with everything) and a box given with flipped corners (sorted first)', [[0, 0, 1, 1], [0, 0, 0, 1], [1, 1, 0, 0], [0, 0.5, 1, 0.5]], [0.9, 0.95, 0.8, 0.85], 0.5, 0, null, ['degenerate']));
  cases.push(nmsCase('nms-max-output', 'at most 2 boxes kept', [[0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 5, 5], [6, 6, 7, 7]], [0.1, 0.4, 0.3, 0.2], 0.5, 0, 2, []));

  cases.push(...networkCases(500));
  cases.push(...buildQ8Cases());
  return cases;
}
