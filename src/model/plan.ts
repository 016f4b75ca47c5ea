// SPDX-License-Identifier: Apache-2.0
/**
 * The MobileNetV2 plan: the paper's Table 2 turned into a flat, fully resolved list of layers with
 * their shapes, padding, strides, dilations, parameter counts and multiply-adds. The plan is pure
 * data: `forward.ts` runs it on a Backend, `info` prints it, importers check foreign graphs
 * against it.
 *
 * Vocabulary (paper §3–4): a *bottleneck* (inverted residual block) is
 *   expansion 1×1 conv (t·k channels, ReLU6) → depthwise 3×3 (stride s, ReLU6) → linear 1×1 projection
 * with a *shortcut* between the thin bottleneck tensors exactly when stride = 1 and in = out channels.
 * The projection has no non-linearity: the *linear bottleneck*.
 *
 * Names are torchvision's module paths (`features.0` … `features.18`, `classifier`), so torchvision
 * state dicts map 1:1; TF-slim and Keras names are accepted as aliases (see `tapAliases`).
 */
import { conv2dGeometry, type Conv2dGeometry } from '../../kernels/geometry.js';
import { usageError } from '../errors.js';

/** Table 2 of the paper: expansion t, output channels c, repeats n, first stride s. */
export const INVERTED_RESIDUAL_SETTING: ReadonlyArray<{ t: number; c: number; n: number; s: number }> = [
  { t: 1, c: 16, n: 1, s: 1 },
  { t: 6, c: 24, n: 2, s: 2 },
  { t: 6, c: 32, n: 3, s: 2 },
  { t: 6, c: 64, n: 4, s: 2 },
  { t: 6, c: 96, n: 3, s: 1 },
  { t: 6, c: 160, n: 3, s: 2 },
  { t: 6, c: 320, n: 1, s: 1 },
];
export const STEM_CHANNELS = 32;
export const LAST_CHANNELS = 1280;

/**
 * Channel rounding shared by TF-slim, torchvision and Keras: round to the nearest multiple of
 * `divisor` (at least `minValue`), but never lose more than 10 % of the requested channels.
 */
export function makeDivisible(v: number, divisor = 8, minValue?: number): number {
  const min = minValue ?? divisor;
  let rounded = Math.max(min, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * v) rounded += divisor;
  return rounded;
}

export type PaddingConvention = 'tf-same' | 'symmetric';
/** The padding conventions, the one list the plans, the convention profiles and the CLI choices check against. */
export const PADDING_CONVENTIONS: readonly PaddingConvention[] = Object.freeze(['tf-same', 'symmetric']);

/** `value` as a padding convention, or a USAGE error listing the choices. */
export function checkPadding(value: unknown): PaddingConvention {
  if (typeof value === 'string' && (PADDING_CONVENTIONS as readonly string[]).includes(value)) return value as PaddingConvention;
  throw usageError(`padding must be ${PADDING_CONVENTIONS.map((p) => `'${p}'`).join(' or ')}, got '${String(value)}'`);
}
export type Activation = 'relu6' | 'relu' | 'linear';
export type ConvKind = 'conv' | 'depthwise' | 'pointwise';
/** The role of a conv inside the network, in the paper's words. */
export type ConvRole =
  | 'stem' | 'expansion' | 'depthwise' | 'projection' | 'last'
  // Mobile DeepLabv3 head (src/model/deeplab.ts)
  | 'image-pooling' | 'aspp0' | 'aspp' | 'aspp-depthwise' | 'aspp-pointwise' | 'concat-projection' | 'logits';

export interface MobileNetV2Options {
  /** Width multiplier α (paper §4: 0.35 … 1.4). Default 1. */
  width?: number;
  /** Input size, square (≥ 32) or [H, W]. Default 224. */
  resolution?: number | readonly [number, number];
  /** Classifier outputs: 1000 (torchvision/Keras), 1001 (TF-slim/TFLite, index 0 = background), any k ≥ 1, or 0 for features only. Default 1000. */
  classes?: number;
  /** 'symmetric' = PyTorch (k−1)/2 on every side; 'tf-same' = TensorFlow SAME (extra pixel bottom/right). Default 'symmetric'. */
  padding?: PaddingConvention;
  /** Channel rounding divisor for the width multiplier (8 in every classifier; DeepLab uses 1 for α ≠ 1). */
  divisor?: number;
  /** Smallest channel count the width multiplier may produce (defaults to the divisor). */
  minDepth?: number;
  /** Dense prediction (TF-slim `output_stride`): 8, 16 or 32; later strides become depthwise dilation. Default 32. */
  outputStride?: 8 | 16 | 32;
  /** Last layer to build: a tap name or alias (`features.17`, `layer_18`, …); everything after it is dropped. */
  stopAt?: string;
}

export interface ResolvedOptions {
  width: number;
  inputH: number;
  inputW: number;
  classes: number;
  padding: PaddingConvention;
  divisor: number;
  minDepth: number;
  outputStride: 8 | 16 | 32;
  stopAt: string | null;
}

/** One convolution (BN folded into it) with its resolved geometry. */
export interface ConvPlan {
  /** Tap name = torchvision module path whose output this conv (after BN and activation) produces. */
  readonly name: string;
  readonly kind: ConvKind;
  readonly role: ConvRole;
  readonly inC: number;
  readonly outC: number;
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
  readonly geometry: Conv2dGeometry;
  readonly activation: Activation;
  /** torchvision state-dict prefix of the conv weight and of its BatchNorm. */
  readonly torch: { readonly conv: string; readonly bn: string };
  readonly params: number;
  readonly madds: number;
}

export type BlockKind = 'stem' | 'bottleneck' | 'conv1x1';

export interface BlockPlan {
  /** `features.i` */
  readonly name: string;
  readonly index: number;
  readonly kind: BlockKind;
  /** Table 2 row of this block (t = 0 for the plain convs). */
  readonly t: number;
  readonly c: number;
  readonly n: number;
  readonly s: number;
  /** [H, W, C] */
  readonly inShape: readonly [number, number, number];
  readonly outShape: readonly [number, number, number];
  /** The inverted-residual shortcut: present iff stride 1 and in channels = out channels. */
  readonly residual: boolean;
  readonly convs: readonly ConvPlan[];
  /** false when the network was cut (stopAt) inside this block: its last conv is the output, not `name`. */
  readonly complete: boolean;
  readonly params: number;
  readonly madds: number;
}

export interface ClassifierPlan {
  readonly name: 'classifier';
  readonly inC: number;
  readonly classes: number;
  readonly params: number;
  readonly madds: number;
}

export interface MobileNetV2Plan {
  readonly options: ResolvedOptions;
  readonly blocks: readonly BlockPlan[];
  /** null when the network stops before the classifier (features only). */
  readonly classifier: ClassifierPlan | null;
  /** torchvision count: conv weights + BN γ/β + classifier weight and bias. */
  readonly params: number;
  /** Conv and FC multiply-accumulates for one image (TF-slim convention: no BN, ReLU, add or pool). */
  readonly madds: number;
  /** Every tap name in execution order (`input` first). */
  readonly taps: readonly string[];
  /** The name of the last tap (the network's output). */
  readonly output: string;
}

function resolveOptions(o: MobileNetV2Options): ResolvedOptions {
  const width = o.width ?? 1;
  if (!(width > 0) || !Number.isFinite(width)) throw usageError(`width multiplier must be a positive number, got ${o.width}`);
  const res = o.resolution ?? 224;
  const [inputH, inputW] = typeof res === 'number' ? [res, res] : [res[0], res[1]];
  for (const v of [inputH, inputW]) {
    if (!Number.isInteger(v) || v < 32) throw usageError(`input resolution must be an integer ≥ 32, got ${String(res)}`);
  }
  const classes = o.classes ?? 1000;
  if (!Number.isInteger(classes) || classes < 0) throw usageError(`classes must be a non-negative integer, got ${o.classes}`);
  const padding = checkPadding(o.padding ?? 'symmetric');
  const divisor = o.divisor ?? 8;
  if (!Number.isInteger(divisor) || divisor < 1) throw usageError(`channel divisor must be a positive integer, got ${o.divisor}`);
  const minDepth = o.minDepth ?? divisor;
  const outputStride = o.outputStride ?? 32;
  if (outputStride !== 8 && outputStride !== 16 && outputStride !== 32) throw usageError(`output stride must be 8, 16 or 32, got ${String(o.outputStride)}`);
  return { width, inputH, inputW, classes, padding, divisor, minDepth, outputStride, stopAt: o.stopAt ?? null };
}

/** What one conv of any plan (backbone, DeepLab head, SSDLite extras and predictors) is built from. */
export interface ConvPlanOptions extends Pick<ConvPlan, 'name' | 'kind' | 'role' | 'inC' | 'outC' | 'activation'> {
  /** Square kernel size; 1×1 convs are 'valid', larger ones use `padding`. */
  readonly kernel: number;
  /** Default 1. */
  readonly stride?: number;
  /** Default 1. */
  readonly dilation?: number;
  /** Size of the map the conv reads. */
  readonly inH: number;
  readonly inW: number;
  readonly padding: PaddingConvention;
  /** torchvision state-dict prefixes of the conv and its BatchNorm ('' without BN). */
  readonly torch: ConvPlan['torch'];
  /** Default true: BN γ/β are parameters; without BN the conv has its own bias (one per output channel). */
  readonly batchNorm?: boolean;
}

/**
 * One conv with its resolved geometry and its counts: params = weights + BN γ/β (torchvision count;
 * μ, σ² are buffers) or weights + bias without BN; MAdds = weights × output pixels.
 */
export function convPlan(o: ConvPlanOptions): ConvPlan {
  const stride = o.stride ?? 1;
  const dilation = o.dilation ?? 1;
  const geometry = conv2dGeometry({
    inH: o.inH, inW: o.inW, kH: o.kernel, kW: o.kernel, stride, dilation, padding: o.kernel === 1 ? 'valid' : o.padding,
  });
  const weights = o.kind === 'depthwise' ? o.outC * o.kernel * o.kernel : o.outC * o.inC * o.kernel * o.kernel;
  return {
    name: o.name, kind: o.kind, role: o.role, inC: o.inC, outC: o.outC, kernel: o.kernel, stride, dilation, geometry,
    activation: o.activation, torch: o.torch,
    params: weights + ((o.batchNorm ?? true) ? 2 * o.outC : o.outC),
    madds: weights * geometry.outH * geometry.outW,
  };
}

/** Build the complete plan for a configuration. */
export function buildPlan(options: MobileNetV2Options = {}): MobileNetV2Plan {
  const o = resolveOptions(options);
  const depth = (c: number): number => makeDivisible(c * o.width, o.divisor, o.minDepth);
  const blocks: BlockPlan[] = [];
  let h = o.inputH;
  let w = o.inputW;

  // TF-slim's output_stride rule (paper-facts §2.5): once the running stride reaches the target,
  // a layer keeps stride 1 and the current rate, and the rate grows for the layers after it.
  let currentStride = 1;
  let rate = 1;
  const atrous = (stride: number): { stride: number; dilation: number } => {
    if (currentStride === o.outputStride) {
      const dilation = rate;
      rate *= stride;
      return { stride: 1, dilation };
    }
    currentStride *= stride;
    return { stride, dilation: 1 };
  };

  // Every conv of the backbone: torchvision names `<module>.0` (conv) and `<module>.1` (BN), on the current map.
  const makeConv = (c: Omit<ConvPlanOptions, 'inH' | 'inW' | 'padding' | 'torch'> & { torch: string; bn: string }): ConvPlan =>
    convPlan({ ...c, inH: h, inW: w, padding: o.padding, torch: { conv: c.torch, bn: c.bn } });

  const pushBlock = (b: Omit<BlockPlan, 'params' | 'madds' | 'complete'>): void => {
    blocks.push({ ...b, complete: true, params: b.convs.reduce((s, c) => s + c.params, 0), madds: b.convs.reduce((s, c) => s + c.madds, 0) });
  };

  // features.0 — the stem: full 3×3 conv, 32·α channels, stride 2, ReLU6.
  {
    const outC = depth(STEM_CHANNELS);
    const { stride, dilation } = atrous(2);
    const conv = makeConv({ name: 'features.0', torch: 'features.0.0', bn: 'features.0.1', kind: 'conv', role: 'stem', inC: 3, outC, kernel: 3, stride, dilation, activation: 'relu6' });
    pushBlock({
      name: 'features.0', index: 0, kind: 'stem', t: 0, c: STEM_CHANNELS, n: 1, s: 2,
      inShape: [h, w, 3], outShape: [conv.geometry.outH, conv.geometry.outW, outC], residual: false, convs: [conv],
    });
    h = conv.geometry.outH;
    w = conv.geometry.outW;
  }

  // features.1 … features.17 — the 17 bottlenecks of Table 2.
  let inC = blocks[0]!.outShape[2];
  let index = 1;
  for (const row of INVERTED_RESIDUAL_SETTING) {
    const outC = depth(row.c);
    for (let i = 0; i < row.n; i++, index++) {
      const name = `features.${index}`;
      const { stride, dilation } = atrous(i === 0 ? row.s : 1);
      const inShape: [number, number, number] = [h, w, inC];
      const convs: ConvPlan[] = [];
      // Expansion width is computed from the (already multiplied) input depth; t = 1 has no expansion conv.
      const hidden = row.t === 1 ? inC : makeDivisible(inC * row.t, 8);
      let sub = 0;
      if (row.t !== 1) {
        convs.push(makeConv({ name: `${name}.conv.0`, torch: `${name}.conv.0.0`, bn: `${name}.conv.0.1`, kind: 'pointwise', role: 'expansion', inC, outC: hidden, kernel: 1, activation: 'relu6' }));
        sub = 1;
      }
      const dw = makeConv({
        name: `${name}.conv.${sub}`, torch: `${name}.conv.${sub}.0`, bn: `${name}.conv.${sub}.1`,
        kind: 'depthwise', role: 'depthwise', inC: hidden, outC: hidden, kernel: 3, stride, dilation, activation: 'relu6',
      });
      convs.push(dw);
      h = dw.geometry.outH;
      w = dw.geometry.outW;
      // The linear bottleneck: projection conv then its BN, no activation. Its tap is the BN module.
      convs.push(makeConv({
        name: `${name}.conv.${sub + 2}`, torch: `${name}.conv.${sub + 1}`, bn: `${name}.conv.${sub + 2}`,
        kind: 'pointwise', role: 'projection', inC: hidden, outC, kernel: 1, activation: 'linear',
      }));
      pushBlock({
        name, index, kind: 'bottleneck', t: row.t, c: row.c, n: row.n, s: row.s,
        inShape, outShape: [h, w, outC], residual: stride === 1 && inC === outC,
        convs,
      });
      inC = outC;
    }
  }

  // features.18 — the last 1×1 conv: 1280 for α ≤ 1 (paper §4: not scaled down), scaled above 1.
  {
    const outC = o.width > 1 ? makeDivisible(LAST_CHANNELS * o.width, o.divisor, o.minDepth) : LAST_CHANNELS;
    atrous(1);
    const conv = makeConv({ name: 'features.18', torch: 'features.18.0', bn: 'features.18.1', kind: 'pointwise', role: 'last', inC, outC, kernel: 1, activation: 'relu6' });
    pushBlock({
      name: 'features.18', index: 18, kind: 'conv1x1', t: 0, c: LAST_CHANNELS, n: 1, s: 1,
      inShape: [h, w, inC], outShape: [h, w, outC], residual: false, convs: [conv],
    });
    inC = outC;
  }

  let classifier: ClassifierPlan | null =
    o.classes > 0 ? { name: 'classifier', inC, classes: o.classes, params: inC * o.classes + o.classes, madds: inC * o.classes } : null;

  // Cut the network at stopAt (features only).
  let kept = blocks;
  if (o.stopAt !== null) {
    const stop = resolveTapName(o.stopAt);
    const cut = cutAt(blocks, stop);
    if (cut === null) {
      if (stop !== 'pool' && stop !== 'classifier') {
        throw usageError(`unknown layer '${o.stopAt}'; expected one of ${listTapsSummary()}`);
      }
      if (stop === 'pool') classifier = null;
    } else {
      kept = cut;
      classifier = null;
    }
  }

  const taps = ['input'];
  for (const b of kept) {
    for (const c of b.convs) if (c.name !== b.name) taps.push(c.name);
    if (b.complete) taps.push(b.name);
  }
  const reachesPool = kept.length === blocks.length && kept[kept.length - 1]!.complete;
  if (reachesPool) taps.push('pool');
  if (classifier) taps.push('classifier');
  const params = kept.reduce((s, b) => s + b.params, 0) + (classifier?.params ?? 0);
  const madds = kept.reduce((s, b) => s + b.madds, 0) + (classifier?.madds ?? 0);
  return { options: o, blocks: kept, classifier, params, madds, taps, output: taps[taps.length - 1]! };
}

/** Blocks up to and including tap `stop`; a sub-layer tap truncates its block's convs. null if `stop` is not a block tap. */
function cutAt(blocks: BlockPlan[], stop: string): BlockPlan[] | null {
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (b.name === stop) return blocks.slice(0, i + 1);
    const j = b.convs.findIndex((c) => c.name === stop);
    if (j >= 0) {
      const convs = b.convs.slice(0, j + 1);
      const last = convs[convs.length - 1]!;
      const partial: BlockPlan = {
        ...b, convs, residual: false, complete: false,
        outShape: [last.geometry.outH, last.geometry.outW, last.outC],
        params: convs.reduce((s, c) => s + c.params, 0),
        madds: convs.reduce((s, c) => s + c.madds, 0),
      };
      return [...blocks.slice(0, i), partial];
    }
  }
  return null;
}

function listTapsSummary(): string {
  return "'input', 'features.0' … 'features.18' (and sub-layers such as 'features.3.conv.1'), 'pool', 'classifier', or TF-slim/Keras aliases such as 'layer_15/expansion_output'";
}

// ---------------------------------------------------------------------------------------------
// Tap names and aliases

/** Index of the sub-layer tap (torchvision path suffix) for each role, for blocks with / without expansion. */
function subTap(block: number, part: 'expansion' | 'depthwise' | 'projection'): string | null {
  if (block === 1) {
    if (part === 'expansion') return null;
    return `features.1.conv.${part === 'depthwise' ? 0 : 2}`;
  }
  return `features.${block}.conv.${part === 'expansion' ? 0 : part === 'depthwise' ? 1 : 3}`;
}

/**
 * Map a tap name or alias to our canonical name (torchvision module path).
 * Accepted aliases:
 *  - TF-slim end points: `layer_1` … `layer_19` (= features.0 … features.18), `layer_N/output`,
 *    `layer_N/expansion_output`, `layer_N/depthwise_output`, `layer_N/projection_output`;
 *    scopes `Conv` (= layer_1), `expanded_conv` (= layer_2), `expanded_conv_K` (= layer_{K+2}), `Conv_1` (= layer_19),
 *    `global_pool`, `Logits`;
 *  - Keras layer names: `Conv1_relu`, `expanded_conv_depthwise_relu`, `expanded_conv_project_BN`,
 *    `block_K_expand_relu`, `block_K_depthwise_relu`, `block_K_project_BN`, `block_K_add`, `out_relu`,
 *    `global_average_pooling2d`, `predictions` (pre-softmax logits here).
 * Unknown names are returned unchanged (the caller decides whether that is an error).
 */
export function resolveTapName(name: string): string {
  const n = name.trim();
  const simple: Record<string, string> = {
    Conv: 'features.0', Conv_1: 'features.18', Conv1_relu: 'features.0', out_relu: 'features.18',
    global_pool: 'pool', global_average_pooling2d: 'pool', avgpool: 'pool',
    Logits: 'classifier', logits: 'classifier', predictions: 'classifier',
    expanded_conv_depthwise_relu: 'features.1.conv.0', expanded_conv_project_BN: 'features.1.conv.2',
  };
  if (simple[n] !== undefined) return simple[n]!;

  const slimPart = (block: number, part: string | undefined): string | null => {
    if (block < 0 || block > 18) return null;
    if (part === undefined || part === 'output') return `features.${block}`;
    if (block === 0 || block === 18) return null;
    const role = part === 'expansion_output' ? 'expansion' : part === 'depthwise_output' ? 'depthwise' : part === 'projection_output' ? 'projection' : null;
    return role === null ? null : subTap(block, role);
  };

  let m = /^layer_(\d+)(?:\/(\w+))?$/.exec(n);
  if (m) {
    const r = slimPart(Number(m[1]) - 1, m[2]);
    if (r) return r;
  }
  m = /^expanded_conv(?:_(\d+))?(?:\/(\w+))?$/.exec(n);
  if (m) {
    const r = slimPart(m[1] === undefined ? 1 : Number(m[1]) + 1, m[2]);
    if (r) return r;
  }
  m = /^block_(\d+)_(expand_relu|depthwise_relu|project_BN|add)$/.exec(n);
  if (m) {
    const block = Number(m[1]) + 1;
    if (block >= 2 && block <= 17) {
      const part = m[2];
      if (part === 'add') return `features.${block}`;
      const r = subTap(block, part === 'expand_relu' ? 'expansion' : part === 'depthwise_relu' ? 'depthwise' : 'projection');
      if (r) return r;
    }
  }
  return n;
}
