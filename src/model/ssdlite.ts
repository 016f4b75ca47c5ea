// SPDX-License-Identifier: Apache-2.0
/**
 * SSDLite on MobileNetV2 (paper §6.2, Tables 5–6), with the topology of the TF Object Detection API's
 * `ssdlite_mobilenet_v2_coco` (paper-facts §3.1–3.3).
 *
 * "SSDLite: … We replace all the regular convolutions with separable convolutions (depthwise
 * followed by 1 × 1 projection) in SSD prediction layers." The first feature map is the expansion
 * output of layer 15 (output stride 16), the second the last layer (output stride 32); four extra
 * layers halve the map each time:
 *
 *   map  source                               channels (α = 1)   300×300   320×320   anchors/cell
 *   0    features.14.conv.0  (layer_15/expansion_output)    576     19×19     20×20     3
 *   1    features.18         (layer_19)                    1280     10×10     10×10     6
 *   2    extra.0: 1×1 256 → dw 3×3 s2 → 1×1 512             512      5×5       5×5      6
 *   3    extra.1: 1×1 128 → dw 3×3 s2 → 1×1 256             256      3×3       3×3      6
 *   4    extra.2: 1×1 128 → dw 3×3 s2 → 1×1 256             256      2×2       2×2      6
 *   5    extra.3: 1×1  64 → dw 3×3 s2 → 1×1 128             128      1×1       1×1      6
 *
 * Every extra conv has BN + ReLU6. Extra depths are TF's depth_fn(d) = max(int(d·α), min_depth), the
 * 1×1 first to depth_fn(d/2). On each map two predictors, each a depthwise 3×3 (BN, ReLU6) followed
 * by a 1×1 conv with a bias and no activation (the SSDLite "separable" predictor):
 *   box:   anchors·4 channels, read as [ty, tx, th, tw] per anchor;
 *   class: anchors·classes channels (classes = slots incl. background at slot 0: 91 for COCO's 90
 *          ids, 81 for the paper's "80 classes").
 *
 * Outputs are concatenated like TF: the NHWC output [N, H, W, anchors·4] of each map is reshaped to
 * [N, H·W·anchors, 4] (cells row-major, anchor fastest) and the maps are joined in order, which is
 * exactly the anchor order of ssd/anchors.ts.
 *
 * Names: extras `extra.{k}.{0,1,2}` (k = 0…3 → maps 2…5), predictors `head.box.{i}.{0,1}` and
 * `head.class.{i}.{0,1}` (i = map). Each carries its TF OD API scope in `tf` (e.g.
 * `FeatureExtractor/MobilenetV2/layer_19_1_Conv2d_2_1x1_256`, `BoxPredictor_0/BoxEncodingPredictor_depthwise`)
 * and torchvision's `ssdlite.py` module path in `torch` (`backbone.extra.0.0`, `head.regression_head.module_list.0.0`).
 * Both work as tap aliases. All convs are ConvPlans, so `runConv` executes them; `convs` lists every
 * conv with weights (backbone, then extras, then predictors map by map) for importers and exporters.
 *
 * Counts: params = conv weights + BN γ/β + predictor biases (torchvision's count), MAdds = conv
 * multiply-accumulates. 81 slots at 320×320: 4,337 k params, 0.789 B MAdds (paper Table 6: 4.3M, 0.8B;
 * paper-facts §3.6).
 */
import type { Backend } from '../backend/backend.js';
import { fmtShape, shapeError, usageError, weightsError } from '../errors.js';
import { runHead, type Head, type RunContext, type Tap } from './runner.js';
import {
  buildPlan, checkPadding, convPlan, LAST_CHANNELS, makeDivisible, resolveTapName,
  type Activation, type BlockPlan, type ConvKind, type ConvPlan, type ConvRole, type MobileNetV2Plan, type PaddingConvention,
} from './plan.js';
import { convWeightShape, type MobileNetV2Weights } from './weights.js';
import { anchorsPerCell, generateSsdAnchors, SSDLITE_MOBILENET_V2_ANCHORS, type SsdAnchorConfig, type SsdAnchors } from './ssd/anchors.js';

/** `feature_map_layout.layer_depth` of the four extra layers (maps 2…5). */
export const SSDLITE_EXTRA_DEPTHS: readonly number[] = Object.freeze([512, 256, 256, 128]);

/** Prefix of the backbone and extra-layer scopes in TF OD API graphs. */
export const TF_FEATURE_EXTRACTOR_SCOPE = 'FeatureExtractor/MobilenetV2';

export interface SsdliteOptions {
  /** Width (depth) multiplier α. Default 1. */
  width?: number;
  /** Input size, square or [H, W]. Default 300 (the config's fixed_shape_resizer; the paper uses 320). */
  resolution?: number | readonly [number, number];
  /** Class slots per anchor INCLUDING background at slot 0. Default 91 (COCO config); the paper's Tables 5–6 count 81. */
  classes?: number;
  /** Default 'tf-same' (the checkpoints were trained with TF SAME). */
  padding?: PaddingConvention;
  /** TF OD API feature extractor min_depth (backbone and extra layers). Default 16. */
  minDepth?: number;
  /** Anchor generator; its box specs fix the anchors per cell. Default SSDLITE_MOBILENET_V2_ANCHORS. */
  anchors?: SsdAnchorConfig;
}

export interface ResolvedSsdliteOptions {
  readonly width: number;
  readonly inputH: number;
  readonly inputW: number;
  readonly classes: number;
  readonly padding: PaddingConvention;
  readonly minDepth: number;
  readonly anchors: SsdAnchorConfig;
}

/** What an SSDLite conv does in the head. */
export type SsdlitePart =
  | 'extra-reduce'      // 1×1 to depth_fn(d/2), BN, ReLU6           (layer_19_1_Conv2d_{i}_1x1_{d/2})
  | 'extra-depthwise'   // depthwise 3×3 stride 2, BN, ReLU6          (layer_19_2_Conv2d_{i}_3x3_s2_{d}_depthwise)
  | 'extra-expand'      // 1×1 to depth_fn(d), BN, ReLU6             (layer_19_2_Conv2d_{i}_3x3_s2_{d})
  | 'box-depthwise'     // depthwise 3×3, BN, ReLU6                   (BoxPredictor_{i}/BoxEncodingPredictor_depthwise)
  | 'box'               // 1×1 to anchors·4, bias, linear             (BoxPredictor_{i}/BoxEncodingPredictor)
  | 'class-depthwise'   // depthwise 3×3, BN, ReLU6                   (BoxPredictor_{i}/ClassPredictor_depthwise)
  | 'class';            // 1×1 to anchors·classes, bias, linear       (BoxPredictor_{i}/ClassPredictor)

/**
 * A head conv. `role` reuses the backbone vocabulary for the op's form (1×1 + ReLU6 = 'expansion',
 * 'depthwise', linear 1×1 = 'projection'); `part` says what it does in SSDLite.
 */
export interface SsdliteConv extends ConvPlan {
  readonly part: SsdlitePart;
  /** Tap name of the tensor this conv reads. */
  readonly input: string;
  /** The feature map this conv produces (extras) or predicts from (predictors). */
  readonly featureMap: number;
  /** TF OD API scope (alias). */
  readonly tf: string;
  /** false for the predictors' final 1×1: its bias is a real conv bias, not a folded BN. */
  readonly batchNorm: boolean;
}

export interface SsdliteFeatureMap {
  readonly index: number;
  /** Tap name: features.14.conv.0, features.18, extra.0.2 … extra.3.2. */
  readonly name: string;
  /** TF OD API name: layer_15/expansion_output, layer_19, layer_19_2_Conv2d_2_3x3_s2_512, … */
  readonly tf: string;
  readonly size: readonly [number, number];
  readonly channels: number;
  readonly anchorsPerCell: number;
  /** Index of the map's first anchor in the concatenated outputs. */
  readonly anchorOffset: number;
  readonly anchorCount: number;
}

export interface SsdlitePlan {
  readonly options: ResolvedSsdliteOptions;
  /** features.0 … features.18 (TF `mobilenet_base` to layer_19, min_depth applied; no pool, no classifier). */
  readonly backbone: MobileNetV2Plan;
  /** Extra layers, then per map: box depthwise, box 1×1, class depthwise, class 1×1. Execution order. */
  readonly head: readonly SsdliteConv[];
  /** Every conv with weights, in execution order: backbone then head (the weights/export order). */
  readonly convs: readonly ConvPlan[];
  readonly featureMaps: readonly SsdliteFeatureMap[];
  /** Total anchors A (1917 at 300×300, 2034 at 320×320). */
  readonly anchors: number;
  readonly classes: number;
  readonly params: number;
  readonly madds: number;
  readonly headParams: number;
  readonly headMadds: number;
  /** Tap names in execution order (`input` first; no pool). */
  readonly taps: readonly string[];
  /** TF OD API and torchvision names → tap names. */
  readonly aliases: ReadonlyMap<string, string>;
}

function resolveOptions(o: SsdliteOptions): ResolvedSsdliteOptions {
  const width = o.width ?? 1;
  if (!(width > 0) || !Number.isFinite(width)) throw usageError(`width multiplier must be a positive number, got ${o.width}`);
  const res = o.resolution ?? 300;
  const [inputH, inputW] = typeof res === 'number' ? [res, res] : [res[0], res[1]];
  for (const v of [inputH, inputW]) {
    if (!Number.isInteger(v) || v < 32) throw usageError(`input resolution must be an integer ≥ 32, got ${String(res)}`);
  }
  const classes = o.classes ?? 91;
  if (!Number.isInteger(classes) || classes < 1) throw usageError(`SSDLite class slots must be a positive integer (91 = 90 COCO ids + background), got ${o.classes}`);
  const padding = checkPadding(o.padding ?? 'tf-same');
  const minDepth = o.minDepth ?? 16;
  if (!Number.isInteger(minDepth) || minDepth < 1) throw usageError(`minDepth must be a positive integer, got ${o.minDepth}`);
  return { width, inputH, inputW, classes, padding, minDepth, anchors: o.anchors ?? SSDLITE_MOBILENET_V2_ANCHORS };
}

/**
 * The backbone as the TF OD API builds it: `mobilenet_base(final_endpoint='layer_19')` with the
 * feature extractor's min_depth. `mobilenet_base` scales layer_19 by α like every other layer
 * (1280·α for α < 1, e.g. 640 at α = 0.5); only the classifier wrapper `mobilenet()` keeps 1280
 * (finegrain mode), which buildPlan follows. So for α < 1 features.18 is rebuilt here.
 */
function tfOdApiBackbone(o: ResolvedSsdliteOptions): MobileNetV2Plan {
  const plan = buildPlan({ width: o.width, resolution: [o.inputH, o.inputW], classes: 0, padding: o.padding, minDepth: o.minDepth });
  const lastC = makeDivisible(LAST_CHANNELS * o.width, 8, o.minDepth);
  const last = plan.blocks[plan.blocks.length - 1]!;
  const conv = last.convs[0]!;
  if (last.name !== 'features.18' || conv.outC === lastC) return plan;
  const g = conv.geometry;
  const params = conv.inC * lastC + 2 * lastC;
  const madds = conv.inC * lastC * g.outH * g.outW;
  const patched: BlockPlan = {
    ...last, convs: [{ ...conv, outC: lastC, params, madds }],
    outShape: [last.outShape[0], last.outShape[1], lastC], params, madds,
  };
  const blocks = [...plan.blocks.slice(0, -1), patched];
  return {
    ...plan, blocks,
    params: blocks.reduce((s, b) => s + b.params, 0),
    madds: blocks.reduce((s, b) => s + b.madds, 0),
  };
}

/** Builds the SSDLite plan for a configuration. */
export function buildSsdlitePlan(options: SsdliteOptions = {}): SsdlitePlan {
  const o = resolveOptions(options);
  const backbone = tfOdApiBackbone(o);
  const perCell = anchorsPerCell(o.anchors);
  if (perCell.length !== 6) throw usageError(`SSDLite has 6 feature maps; the anchor config has ${perCell.length} layers`);
  const depthFn = (d: number): number => Math.max(Math.trunc(d * o.width), o.minDepth);

  const head: SsdliteConv[] = [];
  const makeConv = (
    spec: { name: string; tf: string; torch: { conv: string; bn: string }; part: SsdlitePart; kind: ConvKind; role: ConvRole;
      input: string; featureMap: number; inH: number; inW: number; inC: number; outC: number; kernel: number; stride: number;
      activation: Activation; batchNorm: boolean },
  ): SsdliteConv => {
    const c: SsdliteConv = {
      ...convPlan({ ...spec, padding: o.padding }),
      part: spec.part, input: spec.input, featureMap: spec.featureMap, tf: spec.tf, batchNorm: spec.batchNorm,
    };
    head.push(c);
    return c;
  };

  // Maps 0 and 1 come from the backbone.
  const expansion = backbone.blocks[14]!.convs.find((c) => c.role === 'expansion')!;
  const lastBlock = backbone.blocks[18]!;
  type MapSource = { name: string; tf: string; h: number; w: number; c: number };
  const sources: MapSource[] = [
    { name: expansion.name, tf: 'layer_15/expansion_output', h: expansion.geometry.outH, w: expansion.geometry.outW, c: expansion.outC },
    { name: lastBlock.name, tf: 'layer_19', h: lastBlock.outShape[0], w: lastBlock.outShape[1], c: lastBlock.outShape[2] },
  ];

  // Maps 2…5: the extra layers (feature_map_generators.multi_resolution_feature_maps, insert_1x1_conv, use_depthwise).
  SSDLITE_EXTRA_DEPTHS.forEach((d, k) => {
    const i = k + 2; // TF names the layer by its feature-map index
    const prev = sources[sources.length - 1]!;
    const half = depthFn(d / 2);
    const full = depthFn(d);
    const tfReduce = `${TF_FEATURE_EXTRACTOR_SCOPE}/layer_19_1_Conv2d_${i}_1x1_${half}`;
    const tfOut = `${TF_FEATURE_EXTRACTOR_SCOPE}/layer_19_2_Conv2d_${i}_3x3_s2_${full}`;
    const reduce = makeConv({
      name: `extra.${k}.0`, tf: tfReduce, torch: { conv: `backbone.extra.${k}.0.0`, bn: `backbone.extra.${k}.0.1` },
      part: 'extra-reduce', kind: 'pointwise', role: 'expansion', input: prev.name, featureMap: i,
      inH: prev.h, inW: prev.w, inC: prev.c, outC: half, kernel: 1, stride: 1, activation: 'relu6', batchNorm: true,
    });
    const dw = makeConv({
      name: `extra.${k}.1`, tf: `${tfOut}_depthwise`, torch: { conv: `backbone.extra.${k}.1.0`, bn: `backbone.extra.${k}.1.1` },
      part: 'extra-depthwise', kind: 'depthwise', role: 'depthwise', input: reduce.name, featureMap: i,
      inH: prev.h, inW: prev.w, inC: half, outC: half, kernel: 3, stride: 2, activation: 'relu6', batchNorm: true,
    });
    const h = dw.geometry.outH, w = dw.geometry.outW;
    const out = makeConv({
      name: `extra.${k}.2`, tf: tfOut, torch: { conv: `backbone.extra.${k}.2.0`, bn: `backbone.extra.${k}.2.1` },
      part: 'extra-expand', kind: 'pointwise', role: 'expansion', input: dw.name, featureMap: i,
      inH: h, inW: w, inC: half, outC: full, kernel: 1, stride: 1, activation: 'relu6', batchNorm: true,
    });
    sources.push({ name: out.name, tf: tfOut.slice(TF_FEATURE_EXTRACTOR_SCOPE.length + 1), h, w, c: full });
  });

  // Predictors (convolutional_box_predictor, use_depthwise, num_layers_before_predictor 0), map by map.
  const featureMaps: SsdliteFeatureMap[] = [];
  let anchors = 0;
  sources.forEach((src, i) => {
    const a = perCell[i]!;
    featureMaps.push({
      index: i, name: src.name, tf: src.tf, size: [src.h, src.w], channels: src.c,
      anchorsPerCell: a, anchorOffset: anchors, anchorCount: src.h * src.w * a,
    });
    anchors += src.h * src.w * a;
    const heads = [
      { kind: 'box' as const, tfName: 'BoxEncodingPredictor', torchName: 'regression_head', outC: a * 4 },
      { kind: 'class' as const, tfName: 'ClassPredictor', torchName: 'classification_head', outC: a * o.classes },
    ];
    for (const hd of heads) {
      const dw = makeConv({
        name: `head.${hd.kind}.${i}.0`, tf: `BoxPredictor_${i}/${hd.tfName}_depthwise`,
        torch: { conv: `head.${hd.torchName}.module_list.${i}.0.0`, bn: `head.${hd.torchName}.module_list.${i}.0.1` },
        part: `${hd.kind}-depthwise`, kind: 'depthwise', role: 'depthwise', input: src.name, featureMap: i,
        inH: src.h, inW: src.w, inC: src.c, outC: src.c, kernel: 3, stride: 1, activation: 'relu6', batchNorm: true,
      });
      makeConv({
        name: `head.${hd.kind}.${i}.1`, tf: `BoxPredictor_${i}/${hd.tfName}`,
        torch: { conv: `head.${hd.torchName}.module_list.${i}.1`, bn: '' },
        part: hd.kind, kind: 'pointwise', role: 'projection', input: dw.name, featureMap: i,
        inH: src.h, inW: src.w, inC: src.c, outC: hd.outC, kernel: 1, stride: 1, activation: 'linear', batchNorm: false,
      });
    }
  });

  // Head execution order: all extras first (they produce the maps), then the predictors map by map.
  const convs: ConvPlan[] = [...backbone.blocks.flatMap((b) => b.convs), ...head];
  const taps = backbone.taps.filter((t) => t !== 'pool');
  for (const c of head) taps.push(c.name);

  const aliases = new Map<string, string>();
  for (const c of head) {
    aliases.set(c.tf, c.name);
    aliases.set(c.torch.conv, c.name);
    if (c.tf.startsWith(`${TF_FEATURE_EXTRACTOR_SCOPE}/`)) aliases.set(c.tf.slice(TF_FEATURE_EXTRACTOR_SCOPE.length + 1), c.name);
  }
  for (const m of featureMaps) aliases.set(`${TF_FEATURE_EXTRACTOR_SCOPE}/${m.tf}`, m.name);

  const headParams = head.reduce((s, c) => s + c.params, 0);
  const headMadds = head.reduce((s, c) => s + c.madds, 0);
  return {
    options: o, backbone, head, convs, featureMaps, anchors, classes: o.classes,
    params: backbone.params + headParams, madds: backbone.madds + headMadds, headParams, headMadds,
    taps, aliases,
  };
}

/**
 * Canonical tap name for a name or alias: our names, TF OD API scopes (with or without the
 * `FeatureExtractor/MobilenetV2/` prefix), torchvision ssdlite module paths, and the backbone's
 * TF-slim/Keras aliases (`layer_15/expansion_output`, …). Unknown names come back unchanged.
 */
export function resolveSsdliteTapName(plan: SsdlitePlan, name: string): string {
  const n = name.trim();
  if (plan.taps.includes(n)) return n;
  const alias = plan.aliases.get(n);
  if (alias !== undefined) return alias;
  const bare = n.startsWith(`${TF_FEATURE_EXTRACTOR_SCOPE}/`) ? n.slice(TF_FEATURE_EXTRACTOR_SCOPE.length + 1) : n;
  return resolveTapName(bare);
}

/** Anchors for the plan's feature maps and input size, in output order (see ssd/anchors.ts). */
export function ssdliteAnchors(plan: SsdlitePlan): SsdAnchors {
  const a = generateSsdAnchors(plan.featureMaps.map((m) => m.size), [plan.options.inputH, plan.options.inputW], plan.options.anchors);
  if (a.count !== plan.anchors) throw new Error(`internal: ${a.count} anchors generated, plan predicts ${plan.anchors}`);
  return a;
}

/** SSDLite weights: one folded (weight, bias) per conv of `plan.convs`, keyed by name; no classifier. */
export type SsdliteWeights = MobileNetV2Weights;

/** Checks that `weights` holds every conv of the plan with the right sizes; throws a WEIGHTS error naming the first problem. */
export function checkSsdliteWeights(plan: SsdlitePlan, weights: SsdliteWeights, source = 'weights'): void {
  for (const c of plan.convs) {
    const w = weights.convs.get(c.name);
    const tf = 'tf' in c ? ` = ${(c as SsdliteConv).tf}` : '';
    const shape = convWeightShape(c);
    const expected = shape.reduce((p, d) => p * d, 1);
    if (!w) throw weightsError(`${source}: missing weights for ${c.name}${tf} (expected weight ${fmtShape(shape)} and bias [${c.outC}])`);
    if (w.weight.length !== expected) throw weightsError(`${source}: ${c.name}${tf} weight has ${w.weight.length} elements, expected ${fmtShape(shape)} = ${expected}`);
    if (w.bias.length !== c.outC) throw weightsError(`${source}: ${c.name}${tf} bias has ${w.bias.length} elements, expected [${c.outC}]`);
  }
}

export interface SsdliteForwardOptions {
  /** Extra taps to keep: 'all', or names/aliases. The six feature maps are always kept. */
  taps?: 'all' | readonly string[];
}

export interface SsdliteOutput {
  /** [N, A, 4] (ty, tx, th, tw) per anchor, for the box coder. */
  readonly boxEncodings: Float32Array;
  /** [N, A, classes] logits, slot 0 = background (before the sigmoid). */
  readonly classLogits: Float32Array;
  readonly batch: number;
  readonly anchors: number;
  readonly classes: number;
  /** The six feature maps plus any requested taps, NHWC. */
  readonly taps: ReadonlyMap<string, Tap>;
}

/**
 * Step names of the two assembled outputs (the TF graph's 'concat' and 'concat_1'): an integer
 * arithmetic finds their quantization by these names; calibration records their ranges under them.
 */
export const SSD_OUTPUT_TAPS = { boxEncodings: 'head.box_encodings', classLogits: 'head.class_logits' } as const;

/** What the SSDLite head step returns, on any arithmetic: the predictors of every map, in anchor order. */
export interface SsdlitePredictions<T = Float32Array> {
  /** [N, A, 4] (ty, tx, th, tw) per anchor. */
  readonly boxEncodings: T;
  /** [N, A, classes] logits, slot 0 = background. */
  readonly classLogits: T;
}

/**
 * The SSDLite head step on any arithmetic: the extra layers, then the box and class predictors map
 * by map, each predictor's [N, H, W, anchors·D] output placed at its map's anchor offset.
 */
export function ssdliteStep<T>(ctx: RunContext<T>, plan: SsdlitePlan): SsdlitePredictions<T> {
  const { ops, n } = ctx;
  const A = plan.anchors;
  const K = plan.classes;
  const boxEncodings = ops.output(n * A * 4, SSD_OUTPUT_TAPS.boxEncodings);
  const classLogits = ops.output(n * A * K, SSD_OUTPUT_TAPS.classLogits);
  for (const c of plan.head) {
    const y = ops.conv(c, ctx.read(c.input));
    ctx.keep(c.name, y, [n, c.geometry.outH, c.geometry.outW, c.outC]);
    if (c.part === 'box' || c.part === 'class') {
      // [N, H, W, anchors·D] is already [N, H·W·anchors, D] in memory; place each image's block at
      // the map's offset (an integer arithmetic requantizes it to the output's parameters there).
      const map = plan.featureMaps[c.featureMap]!;
      const d = c.part === 'box' ? 4 : K;
      const dst = c.part === 'box' ? boxEncodings : classLogits;
      const per = map.anchorCount * d;
      if (ops.length(y) !== n * per) throw shapeError(`internal: ${c.name} produced ${ops.length(y)} values, expected ${n * per}`);
      for (let b = 0; b < n; b++) ops.copyInto(dst, (b * A + map.anchorOffset) * d, ops.slice(y, b * per, (b + 1) * per));
    }
  }
  return { boxEncodings, classLogits };
}

/** SSDLite as a head of the runner on arithmetic T; its six feature maps are always kept. */
export function ssdliteHead<T>(): Head<SsdlitePlan, SsdlitePredictions<T>, T> {
  return {
    backbone: (plan) => plan.backbone,
    taps: (plan) => plan.taps,
    resolveTap: resolveSsdliteTapName,
    unknownTap: (_plan, t) =>
      `unknown tap '${t}'; SSDLite taps are backbone taps (features.0 … features.18, layer_15/expansion_output, …), extra.K.J, head.box.I.J, head.class.I.J, or their TF OD API scopes`,
    checkWeights: (plan, weights) => checkSsdliteWeights(plan, weights),
    alwaysKeep: (plan) => plan.featureMaps.map((m) => m.name),
    reads: (plan) => plan.head.map((c) => c.input),
    run: (ctx, plan) => ssdliteStep(ctx, plan),
  };
}

/** SSDLite on the float arithmetic. */
export const SSDLITE_HEAD: Head<SsdlitePlan, SsdlitePredictions> = ssdliteHead<Float32Array>();

/**
 * Runs backbone, extra layers and predictors on a batch.
 * @param input NHWC [N, H, W, 3], preprocessed to [−1, 1] (x·2/255 − 1, paper-facts §3.2).
 */
export function ssdliteForward(
  backend: Backend, plan: SsdlitePlan, weights: SsdliteWeights,
  input: Float32Array, shape: readonly number[], options: SsdliteForwardOptions = {},
): SsdliteOutput {
  const { output, taps } = runHead(backend, SSDLITE_HEAD, plan, weights, { data: input, shape }, options);
  return { ...output, batch: shape[0]!, anchors: plan.anchors, classes: plan.classes, taps };
}
