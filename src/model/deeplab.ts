// SPDX-License-Identifier: Apache-2.0
/**
 * Mobile DeepLabv3 (paper §6.3, Table 7): semantic segmentation with DeepLabv3 heads on the
 * MobileNetV2 feature extractor. Paper: "it is more efficient to build DeepLabv3 heads on top of
 * the second last feature map of MobileNetV2 … since the second to last feature map contains 320
 * channels instead of 1280", and "removing the ASPP module significantly reduces the MAdds with
 * only a slight performance degradation" — the bold on-device row (OS 16, no ASPP, 2.11M params,
 * 2.75B MAdds at 513×513) is the default here.
 *
 * Structure (TF DeepLab model.py, paper-facts §4.1–4.2):
 *
 *   features   MobileNetV2 up to features.17 (TF-slim layer_18, 320·α channels), with TF-slim's
 *              output_stride rule: at OS 16 the last stride-2 layer keeps stride 1 and the
 *              depthwise convs after it are atrous (dilation 2); at OS 8 two strides go and the
 *              rates are 2 then 4. DeepLab rounds channels to multiples of 8 only at α = 1.
 *   head       image pooling: global average pool → 1×1 conv + BN + ReLU → bilinear upsample to
 *                the feature size (from 1×1 that is a broadcast)
 *              aspp0: 1×1 conv + BN + ReLU
 *              ASPP (optional, not in the paper's mobile model): one 3×3 atrous branch per rate,
 *                plain (conv + BN + ReLU) or separable (depthwise + BN + ReLU, pointwise + BN + ReLU)
 *              concat (DeepLab order: image pooling first) → concat_projection 1×1 + BN + ReLU
 *              logits: 1×1 conv with bias, no BN, linear
 *   output     bilinear upsampling of the logits to the input size (TF DeepLab: align_corners=True)
 *
 * The head uses ReLU, not ReLU6, and its BN ε is 1e-5 (TF DeepLab's batch_norm_params); the
 * backbone BN ε is TF-slim's 1e-3 (1e-5 for a PyTorch-trained backbone). ε only matters when
 * loading unfolded weights, which is why the plan carries it as data (`bnEps`).
 *
 * Counting conventions are the classifier's (plan.ts): params = conv weights + BN γ/β + logits
 * bias; MAdds = conv multiply-accumulates, with the image-pooling conv counted on its 1×1 map and
 * nothing for pooling, resizes, ReLU or concat.
 */
import type { Backend, ResizeMode } from '../backend/backend.js';
import { buildPlan, checkPadding, convPlan, resolveTapName, type ConvKind, type ConvPlan, type ConvRole, type MobileNetV2Plan, type PaddingConvention } from './plan.js';
import { runHead, type Head, type RunContext, type Tap } from './runner.js';
import { checkWeights, convWeightShape, type MobileNetV2Weights } from './weights.js';
import { fmtShape, shapeError, usageError, weightsError } from '../errors.js';

export type DeeplabAspp = 'none' | 'plain' | 'separable';
export type DeeplabUpsampling = 'align-corners' | 'half-pixel';
/** DeepLab's bilinear grids (its plans, and segmentation's score upsampling back to the image), the one list they check against. */
export const UPSAMPLING_MODES: readonly DeeplabUpsampling[] = Object.freeze(['align-corners', 'half-pixel']);

/** `value` as an upsampling grid, or a USAGE error listing the choices (`what` names the option). */
export function checkUpsampling(value: unknown, what = 'upsampling'): DeeplabUpsampling {
  if (typeof value === 'string' && (UPSAMPLING_MODES as readonly string[]).includes(value)) return value as DeeplabUpsampling;
  throw usageError(`${what} must be ${UPSAMPLING_MODES.map((m) => `'${m}'`).join(' or ')}, got '${String(value)}'`);
}
export type DeeplabConcatOrder = 'pooling-first' | 'aspp0-first';

export interface DeeplabOptions {
  /** Width multiplier α of the feature extractor. Default 1. */
  width?: number;
  /** Model input size, square or [H, W]. Default 513 (PASCAL crop size). */
  resolution?: number | readonly [number, number];
  /** Ratio of input to feature-map size. Default 16 (the paper's single-scale rows). */
  outputStride?: 8 | 16;
  /** Default 'none': the paper's mobile head (image pooling + 1×1 only). */
  aspp?: DeeplabAspp;
  /** Atrous rates of the ASPP branches; default [6, 12, 18] at OS 16, [12, 24, 36] at OS 8. Ignored (resolved to []) when aspp = 'none'. */
  atrousRates?: readonly number[];
  /** Output classes; default 21 (PASCAL VOC, 0 = background). */
  classes?: number;
  /** Channel rounding of the width multiplier; default 8 if width = 1 else 1 (DeepLab's feature_extractor.py). minDepth follows it. */
  divisor?: number;
  /** Default 'tf-same' (the released models are TensorFlow). */
  padding?: PaddingConvention;
  /** Bilinear grid of the image-pooling and the final upsampling. Default 'align-corners' (TF DeepLab). */
  upsampling?: DeeplabUpsampling;
  /** Head width (channels of every branch and of the projection). Default 256. */
  depth?: number;
  /** Branch order in the concat: DeepLab's [pooling, aspp0, aspp1…] or torchvision's [aspp0, aspp1…, pooling]. Default 'pooling-first'. */
  concatOrder?: DeeplabConcatOrder;
}

export interface ResolvedDeeplabOptions {
  readonly width: number;
  readonly inputH: number;
  readonly inputW: number;
  readonly outputStride: 8 | 16;
  readonly aspp: DeeplabAspp;
  /** The rates actually used: [] when aspp = 'none'. */
  readonly atrousRates: readonly number[];
  readonly classes: number;
  readonly divisor: number;
  /** = divisor (DeepLab passes the same value as min_depth). */
  readonly minDepth: number;
  readonly padding: PaddingConvention;
  readonly upsampling: DeeplabUpsampling;
  readonly depth: number;
  readonly concatOrder: DeeplabConcatOrder;
}

/** The roles of the head's convs (a subset of ConvRole). */
export type DeeplabConvRole = Extract<ConvRole, 'image-pooling' | 'aspp0' | 'aspp' | 'aspp-depthwise' | 'aspp-pointwise' | 'concat-projection' | 'logits'>;

/** BatchNorm ε per part of the network (needed only to fold unfolded weights). */
export interface DeeplabBnEps {
  /** TF DeepLab head batch_norm_params epsilon. */
  readonly head: number;
  /** TF-slim training_scope (the released DeepLab checkpoints). */
  readonly backboneTf: number;
  /** torch BatchNorm2d default (a PyTorch-trained backbone, our goldens). */
  readonly backboneTorch: number;
}

export const DEEPLAB_BN_EPS: DeeplabBnEps = Object.freeze({ head: 1e-5, backboneTf: 1e-3, backboneTorch: 1e-5 });

/** DeepLab's ASPP rates (model zoo, Xception/ResNet configs): they double when the output stride halves. */
export const DEEPLAB_DEFAULT_RATES: Readonly<Record<8 | 16, readonly number[]>> = Object.freeze({ 16: [6, 12, 18], 8: [12, 24, 36] });

/** Name of the final tap: the logits bilinearly upsampled to the model input size. */
export const DEEPLAB_OUTPUT_TAP = 'upsampled_logits';

export interface DeeplabPlan {
  readonly options: ResolvedDeeplabOptions;
  /** MobileNetV2 cut at features.17, classes 0, with the atrous rule for `outputStride`. */
  readonly backbone: MobileNetV2Plan;
  /** [h, w, c] of features.17. */
  readonly featureShape: readonly [number, number, number];
  /** 'head.image_pooling': 1×1, c → depth, ReLU, on the pooled 1×1 map. */
  readonly imagePooling: ConvPlan;
  /** 'head.aspp0': 1×1, c → depth, ReLU. */
  readonly aspp0: ConvPlan;
  /** One entry per atrous rate: plain [head.asppK] or separable [head.asppK.depthwise, head.asppK.pointwise]. */
  readonly asppBranches: readonly (readonly ConvPlan[])[];
  /** 'head.concat_projection': 1×1, branches·depth → depth, ReLU. */
  readonly projection: ConvPlan;
  /** 'head.logits': 1×1, depth → classes, linear, conv bias and no BN. */
  readonly logits: ConvPlan;
  /** Every head conv in execution order (image pooling, aspp0, ASPP branches, projection, logits). */
  readonly headConvs: readonly ConvPlan[];
  /** Output tap of each concatenated branch, in concat order. */
  readonly concatBranches: readonly string[];
  readonly bnEps: DeeplabBnEps;
  /** Backbone params + head conv weights, head BN γ/β and the logits bias. */
  readonly params: number;
  /** Conv multiply-accumulates for one image: backbone + head (image pooling on its 1×1 map). */
  readonly madds: number;
  /** Every tap in execution order: the backbone's ('input', 'features.0', …), then the head's, then 'upsampled_logits'. */
  readonly taps: readonly string[];
}

function resolveOptions(o: DeeplabOptions): ResolvedDeeplabOptions {
  const width = o.width ?? 1;
  if (typeof width !== 'number' || !(width > 0) || !Number.isFinite(width)) throw usageError(`width multiplier must be a positive number, got ${String(o.width)}`);
  const res = o.resolution ?? 513;
  const [inputH, inputW] = typeof res === 'number' ? [res, res] : [res[0], res[1]];
  const outputStride = o.outputStride ?? 16;
  if (outputStride !== 8 && outputStride !== 16) throw usageError(`DeepLab output stride must be 8 or 16, got ${String(o.outputStride)}`);
  const aspp = o.aspp ?? 'none';
  if (aspp !== 'none' && aspp !== 'plain' && aspp !== 'separable') throw usageError(`aspp must be 'none', 'plain' or 'separable', got '${String(o.aspp)}'`);
  let atrousRates: readonly number[] = [];
  if (aspp !== 'none') {
    atrousRates = [...(o.atrousRates ?? DEEPLAB_DEFAULT_RATES[outputStride])];
    if (atrousRates.length === 0 || !atrousRates.every((r) => Number.isInteger(r) && r >= 1)) {
      throw usageError(`atrous rates must be a non-empty list of positive integers, got [${atrousRates.join(', ')}]`);
    }
  }
  const classes = o.classes ?? 21;
  if (!Number.isInteger(classes) || classes < 1) throw usageError(`classes must be a positive integer, got ${String(o.classes)}`);
  // DeepLab's feature_extractor.py: divisible_by = min_depth = 8 if depth_multiplier == 1.0 else 1.
  const divisor = o.divisor ?? (width === 1 ? 8 : 1);
  if (!Number.isInteger(divisor) || divisor < 1) throw usageError(`channel divisor must be a positive integer, got ${String(o.divisor)}`);
  const padding = checkPadding(o.padding ?? 'tf-same');
  const upsampling = checkUpsampling(o.upsampling ?? 'align-corners');
  const depth = o.depth ?? 256;
  if (!Number.isInteger(depth) || depth < 1) throw usageError(`head depth must be a positive integer, got ${String(o.depth)}`);
  const concatOrder = o.concatOrder ?? 'pooling-first';
  if (concatOrder !== 'pooling-first' && concatOrder !== 'aspp0-first') throw usageError(`concatOrder must be 'pooling-first' or 'aspp0-first', got '${String(o.concatOrder)}'`);
  return { width, inputH, inputW, outputStride, aspp, atrousRates, classes, divisor, minDepth: divisor, padding, upsampling, depth, concatOrder };
}

/**
 * PyTorch state-dict prefixes of a head conv and its BN, as laid out by our golden generator
 * (data/golden/gen/make_deeplab_golden.py: each branch an nn.Sequential(conv, bn, relu)). There is
 * no canonical PyTorch Mobile DeepLabv3; torchvision's DeepLabV3 head has a different structure
 * (paper-facts §4.6).
 */
function torchNames(name: string, hasBn: boolean): { conv: string; bn: string } {
  return hasBn ? { conv: `${name}.0`, bn: `${name}.1` } : { conv: name, bn: '' };
}

/** Build the full plan of a Mobile DeepLabv3 configuration. */
export function buildDeeplabPlan(options: DeeplabOptions = {}): DeeplabPlan {
  const o = resolveOptions(options);
  const backbone = buildPlan({
    width: o.width, resolution: [o.inputH, o.inputW], classes: 0, padding: o.padding,
    divisor: o.divisor, minDepth: o.minDepth, outputStride: o.outputStride, stopAt: 'features.17',
  });
  const last = backbone.blocks[backbone.blocks.length - 1]!;
  const [h, w, c] = last.outShape;
  const D = o.depth;

  // Every head conv has stride 1, reads the feature map (the image-pooling conv its 1×1 pooled map),
  // and has BN + ReLU except the logits (a real bias, linear).
  const makeConv = (cv: { name: string; kind: ConvKind; role: DeeplabConvRole; inC: number; outC: number; kernel?: number; dilation?: number; onMap?: [number, number] }): ConvPlan => {
    const batchNorm = cv.role !== 'logits';
    const [inH, inW] = cv.onMap ?? [h, w];
    return convPlan({
      name: cv.name, kind: cv.kind, role: cv.role, inC: cv.inC, outC: cv.outC, kernel: cv.kernel ?? 1, dilation: cv.dilation ?? 1,
      inH, inW, padding: o.padding, activation: batchNorm ? 'relu' : 'linear', torch: torchNames(cv.name, batchNorm), batchNorm,
    });
  };

  const imagePooling = makeConv({ name: 'head.image_pooling', kind: 'pointwise', role: 'image-pooling', inC: c, outC: D, onMap: [1, 1] });
  const aspp0 = makeConv({ name: 'head.aspp0', kind: 'pointwise', role: 'aspp0', inC: c, outC: D });
  const asppBranches = o.atrousRates.map((rate, i) => {
    const name = `head.aspp${i + 1}`;
    if (o.aspp === 'plain') return [makeConv({ name, kind: 'conv', role: 'aspp', inC: c, outC: D, kernel: 3, dilation: rate })];
    return [
      makeConv({ name: `${name}.depthwise`, kind: 'depthwise', role: 'aspp-depthwise', inC: c, outC: c, kernel: 3, dilation: rate }),
      makeConv({ name: `${name}.pointwise`, kind: 'pointwise', role: 'aspp-pointwise', inC: c, outC: D }),
    ];
  });
  const branchOutputs = [aspp0.name, ...asppBranches.map((b) => b[b.length - 1]!.name)];
  const poolingOut = 'head.image_pooling.upsampled';
  const concatBranches = o.concatOrder === 'pooling-first' ? [poolingOut, ...branchOutputs] : [...branchOutputs, poolingOut];
  const projection = makeConv({ name: 'head.concat_projection', kind: 'pointwise', role: 'concat-projection', inC: concatBranches.length * D, outC: D });
  const logits = makeConv({ name: 'head.logits', kind: 'pointwise', role: 'logits', inC: D, outC: o.classes });
  const headConvs = [imagePooling, aspp0, ...asppBranches.flat(), projection, logits];

  const taps = [
    ...backbone.taps,
    'head.image_pooling.pool', 'head.image_pooling', poolingOut,
    'head.aspp0', ...asppBranches.flat().map((cv) => cv.name),
    'head.concat', 'head.concat_projection', 'head.logits', DEEPLAB_OUTPUT_TAP,
  ];
  return {
    options: o, backbone, featureShape: [h, w, c], imagePooling, aspp0, asppBranches, projection, logits,
    headConvs, concatBranches, bnEps: DEEPLAB_BN_EPS,
    params: backbone.params + headConvs.reduce((s, cv) => s + cv.params, 0),
    madds: backbone.madds + headConvs.reduce((s, cv) => s + cv.madds, 0),
    taps,
  };
}

/** Checks that `weights` holds every head conv with the right sizes (deeplabForward checks the backbone with `checkWeights`). */
export function checkDeeplabWeights(plan: DeeplabPlan, weights: MobileNetV2Weights, source = 'weights'): void {
  for (const c of plan.headConvs) {
    const w = weights.convs.get(c.name);
    if (!w) throw weightsError(`${source}: missing weights for ${c.name} (DeepLab ${String(c.role)} conv, expected weight ${fmtShape(convWeightShape(c))})`);
    const expected = convWeightShape(c).reduce((a, d) => a * d, 1);
    if (w.weight.length !== expected) {
      throw weightsError(`${source}: ${c.name} weight has ${w.weight.length} elements, expected ${fmtShape(convWeightShape(c))} = ${expected}`);
    }
    if (w.bias.length !== c.outC) throw weightsError(`${source}: ${c.name} bias has ${w.bias.length} elements, expected [${c.outC}]`);
  }
}

export interface DeeplabForwardOptions {
  /** Which taps to keep: 'all', or a list of names (backbone names and TF-slim/Keras aliases, or head names from plan.taps). */
  taps?: 'all' | readonly string[];
}

export interface DeeplabForwardResult {
  /** [N, H, W, classes] at the model input resolution: per-pixel class scores (logits, not probabilities). */
  readonly logits: Tap;
  /** [N, h, w, classes] at the feature resolution (input / output stride). */
  readonly featureLogits: Tap;
  readonly taps: ReadonlyMap<string, Tap>;
}

/** Canonical tap name: head names as they are, backbone names and TF-slim/Keras aliases resolved. */
function resolveDeeplabTap(plan: DeeplabPlan, t: string): string {
  return plan.taps.includes(t) ? t : resolveTapName(t);
}

/** What the DeepLab head step returns, on any arithmetic. */
export interface DeeplabOutput<T = Float32Array> {
  readonly logits: Tap<T>;
  readonly featureLogits: Tap<T>;
}

/**
 * The Mobile DeepLabv3 head step on any arithmetic: image pooling and the ASPP branches on the
 * features, concat, projection, logits, and the bilinear upsampling to the input size.
 */
export function deeplabStep<T>(ctx: RunContext<T>, plan: DeeplabPlan, features: Tap<T>): DeeplabOutput<T> {
  const { ops, n } = ctx;
  const x = features.data;
  const [h, w, c] = plan.featureShape;
  const { depth: D, upsampling, inputH: H, inputW: W, classes: K } = plan.options;
  if (ops.length(x) !== n * h * w * c) throw shapeError(`DeepLab features have ${ops.length(x)} values, expected ${fmtShape([n, h, w, c])}`);
  const mode: ResizeMode = upsampling;

  // Image-level features: global context, broadcast back over the map.
  const pooled = ctx.keep('head.image_pooling.pool', ops.globalAvgPool(x, { n, h, w, c }, 'head.image_pooling.pool'), [n, 1, 1, c]);
  const pooledFeatures = ctx.keep('head.image_pooling', ops.conv(plan.imagePooling, pooled.data), [n, 1, 1, D]);
  const poolingUp = ops.resizeBilinear(pooledFeatures.data, { n, inH: 1, inW: 1, c: D, outH: h, outW: w }, mode, 'head.image_pooling.upsampled');
  const branchOut = new Map<string, T>([['head.image_pooling.upsampled', poolingUp]]);
  ctx.keep('head.image_pooling.upsampled', poolingUp, [n, h, w, D]);

  const a0 = ops.conv(plan.aspp0, x);
  branchOut.set(plan.aspp0.name, a0);
  ctx.keep(plan.aspp0.name, a0, [n, h, w, D]);
  for (const branch of plan.asppBranches) {
    let y = x;
    for (const cv of branch) {
      y = ops.conv(cv, y);
      ctx.keep(cv.name, y, [n, cv.geometry.outH, cv.geometry.outW, cv.outC]);
    }
    branchOut.set(branch[branch.length - 1]!.name, y);
  }

  const parts = plan.concatBranches.map((name) => ({ data: branchOut.get(name)!, channels: D }));
  const concat = ctx.keep('head.concat', ops.concatChannels(parts, n * h * w, 'head.concat'), [n, h, w, D * parts.length]);
  const projected = ctx.keep(plan.projection.name, ops.conv(plan.projection, concat.data), [n, h, w, D]);
  const featureLogits = ctx.keep(plan.logits.name, ops.conv(plan.logits, projected.data), [n, h, w, K]);

  // The final (largest) tensor is written straight into ordinary memory: it is returned.
  const logits: Tap<T> = { data: ops.resizeBilinear(featureLogits.data, { n, inH: h, inW: w, c: K, outH: H, outW: W }, mode, DEEPLAB_OUTPUT_TAP, true), shape: [n, H, W, K] };
  ctx.keepOwned(DEEPLAB_OUTPUT_TAP, logits);
  return { logits, featureLogits: ctx.own(plan.logits.name, featureLogits) };
}

/** Mobile DeepLabv3 as a head of the runner, on arithmetic T. */
export function deeplabHead<T>(): Head<DeeplabPlan, DeeplabOutput<T>, T> {
  return {
    backbone: (plan) => plan.backbone,
    taps: (plan) => plan.taps,
    resolveTap: resolveDeeplabTap,
    unknownTap: (plan, t) =>
      `unknown tap '${t}'; this DeepLab network has ${plan.taps.length} taps: input, features.0 … features.17, ${plan.taps.slice(plan.backbone.taps.length).join(', ')}`,
    checkWeights: (plan, weights) => {
      checkDeeplabWeights(plan, weights);
      checkWeights(plan.backbone, weights);
    },
    run: deeplabStep,
  };
}

/** Mobile DeepLabv3 on the float arithmetic. */
export const DEEPLAB_HEAD: Head<DeeplabPlan, DeeplabOutput> = deeplabHead<Float32Array>();

/**
 * Runs Mobile DeepLabv3 on a batch. Every op goes through the Backend.
 * @param input NHWC [N, H, W, 3] at the model resolution, already preprocessed (DeepLab: x/127.5 − 1).
 */
export function deeplabForward(
  backend: Backend, plan: DeeplabPlan, weights: MobileNetV2Weights,
  input: Float32Array, shape: readonly number[], options: DeeplabForwardOptions = {},
): DeeplabForwardResult {
  const { output, taps } = runHead(backend, DEEPLAB_HEAD, plan, weights, { data: input, shape }, options);
  return { logits: output.logits, featureLogits: output.featureLogits, taps };
}
