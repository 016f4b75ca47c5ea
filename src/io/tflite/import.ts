// SPDX-License-Identifier: Apache-2.0
/**
 * Maps a TensorFlow Lite MobileNetV2-family graph onto our model plan.
 *
 * The graph is matched by *dataflow*, not by operator order: starting at the input tensor, each conv
 * of the plan must be the operator that consumes the previous output, with the plan's kernel,
 * stride, dilation, padding (TFLite files are TF 'SAME') and fused activation (ReLU6, or none on the
 * linear projection); each shortcut must be an ADD of the projection output and the block input.
 * Width, divisor (8 for classifiers, 1 for DeepLab at α ≠ 1) and output stride are inferred by
 * trying the plans whose stem width fits and keeping the one that explains the most operators.
 * After the backbone comes a head: the classifier (average pool → 1×1 conv or FC → reshape →
 * softmax), Mobile DeepLabv3 (image pooling + 1×1 branch → concat → projection → logits → resize),
 * or nothing (features only). SSD detectors (TF OD API exports, with or without the
 * TFLite_Detection_PostProcess op) are recognised first and matched by import-ssd.ts. Every operator
 * of the graph must be explained; the first one that is not is named in the error.
 *
 * Quantized weights are dequantized exactly as TFLite defines them, real = scale·(q − zero_point):
 * uint8 per-tensor asymmetric, int8 per-channel symmetric (scale[c] along quantized_dimension),
 * int32 biases likewise. QUANTIZE / DEQUANTIZE operators are identities on the float path. The
 * network then runs on our float kernels — the interpreter's integer arithmetic is not reproduced.
 */
import { BuiltinOperator, readTfliteModel, type TfliteOperator } from './model.js';
import { buildPlan, makeDivisible, type ConvPlan, type MobileNetV2Plan } from '../../model/plan.js';
import type { ConvWeights } from '../../model/weights.js';
import { buildDeeplabPlan, type DeeplabPlan } from '../../model/deeplab.js';
import { fmtShape, formatError, unsupportedError } from '../../errors.js';
import { importSsdlite, isSsdGraph } from './import-ssd.js';
import { integerNetwork, type IntegerParts } from './import-integer.js';
import { DEEPLAB_OUTPUT_TAP } from '../../model/deeplab.js';
import {
  Graph, Mismatch, checkQuantization, walkBackbone, weightAndBias,
  type BackboneMatch, type ImportOptions, type ImportedHead, type ImportedInput, type ImportedModel,
} from './import-graph.js';

// The shared record and helpers live in import-graph.ts; re-exported here, where callers look for them.
export { checkQuantization, dequantizeTensor, type ImportOptions, type ImportedHead, type ImportedInput, type ImportedModel, type ImportedSsdlite } from './import-graph.js';

const WIDTHS = [1.0, 0.35, 0.5, 0.75, 1.3, 1.4, 0.25];

function matchBackbone(g: Graph, h: number, w: number, input: number): BackboneMatch {
  // The stem reads the input directly, or through an explicit PAD (symmetric-padding exports).
  const firstConv = g.readers(input).flatMap((op) => (op.builtinCode === BuiltinOperator.PAD ? g.readers(op.outputs[0]!) : [op]))
    .find((op) => op.builtinCode === BuiltinOperator.CONV_2D);
  if (!firstConv) {
    const first = g.readers(input)[0] ?? g.ops[0];
    throw unsupportedError(`${g.model.source}: not a MobileNetV2 graph: ${first ? g.describe(first) : 'no operator'} reads the input, expected the 3×3 stride-2 stem CONV_2D`);
  }
  const stemOut = g.tensor(firstConv.inputs[1]!).shape[0] ?? 0;
  const widths = [...WIDTHS];
  for (let i = 10; i <= 400; i++) widths.push(i / 100);
  let best: Mismatch | null = null;
  for (const divisor of [8, 1]) {
    for (const width of widths) {
      if (makeDivisible(32 * width, divisor, divisor) !== stemOut) continue;
      // TFLite files are TF 'SAME' unless they were exported with explicit PAD ops (e.g. our export of torchvision weights).
      for (const padding of ['tf-same', 'symmetric'] as const) {
        for (const outputStride of [32, 16, 8] as const) {
          let plan: MobileNetV2Plan;
          try {
            plan = buildPlan({ width, resolution: [h, w], classes: 0, padding, divisor, minDepth: divisor, outputStride });
          } catch {
            continue;
          }
          const r = walkBackbone(g, plan, input);
          if (!(r instanceof Mismatch)) return r;
          if (!best || r.matchedConvs > best.matchedConvs) best = r;
        }
      }
    }
  }
  throw unsupportedError(`${g.model.source}: not a MobileNetV2 graph we can map: ${best?.message ?? `stem with ${stemOut} channels matches no width multiplier`}`);
}

// ---------------------------------------------------------------------------------------------
// Heads

interface HeadMatch {
  head: ImportedHead;
  /** The head's operators under their step names, for the integer view (import-integer.ts). */
  steps: Pick<IntegerParts, 'convs' | 'pools' | 'others' | 'softmax'>;
  classes: number;
  extraConvs: Map<string, ConvWeights>;
  classifier: { weight: Float32Array; bias: Float32Array } | null;
  deeplab: DeeplabPlan | null;
  softmax: boolean;
  argmax: boolean;
}

const isReshapeLike = (op: TfliteOperator): boolean => op.builtinCode === BuiltinOperator.RESHAPE || op.builtinCode === BuiltinOperator.SQUEEZE;

/** average pool (or MEAN) → 1×1 conv / FC → reshape → softmax */
function matchClassifier(g: Graph, features: number, channels: number): HeadMatch | string {
  const pool = g.readers(features).find((op) => !g.used.has(op.index));
  if (!pool) return 'nothing reads the last feature map';
  const t = g.tensor(g.resolve(features));
  const isPool = pool.builtinCode === BuiltinOperator.AVERAGE_POOL_2D && pool.options?.kind === 'Pool2D'
    && pool.options.filterHeight === t.shape[1] && pool.options.filterWidth === t.shape[2];
  const isMean = pool.builtinCode === BuiltinOperator.MEAN;
  if (!isPool && !isMean) return `${g.describe(pool)}: expected the global average pool of the classifier`;
  g.used.add(pool.index);
  let cur = pool.outputs[0]!;
  let next = g.readers(cur)[0];
  while (next && isReshapeLike(next)) { g.used.add(next.index); cur = next.outputs[0]!; next = g.readers(cur)[0]; }
  if (!next || (next.builtinCode !== BuiltinOperator.CONV_2D && next.builtinCode !== BuiltinOperator.FULLY_CONNECTED)) {
    return `${next ? g.describe(next) : 'end of graph'}: expected the classifier's 1×1 CONV_2D or FULLY_CONNECTED`;
  }
  const w = g.tensor(next.inputs[1]!);
  const classes = w.shape[0]!;
  const fcShapeOk = next.builtinCode === BuiltinOperator.CONV_2D
    ? w.shape.length === 4 && w.shape[1] === 1 && w.shape[2] === 1 && w.shape[3] === channels
    : w.shape.length === 2 && w.shape[1] === channels;
  if (!fcShapeOk) return `${g.describe(next)}: classifier weights ${fmtShape(w.shape)} do not read ${channels} channels`;
  const act = next.options && 'fusedActivation' in next.options ? next.options.fusedActivation : 'NONE';
  if (act !== 'NONE') return `${g.describe(next)}: fused activation ${act} on the logits, expected NONE`;
  g.used.add(next.index);
  const classifier = weightAndBias(g, next, classes);
  cur = next.outputs[0]!;
  const fc = next;
  let softmax: TfliteOperator | null = null;
  for (let op = g.readers(cur)[0]; op; op = g.readers(cur)[0]) {
    if (isReshapeLike(op)) { g.used.add(op.index); cur = op.outputs[0]!; continue; }
    if (op.builtinCode === BuiltinOperator.SOFTMAX && !softmax) {
      const beta = op.options?.kind === 'Softmax' ? op.options.beta : 1;
      if (beta !== 1) return `${g.describe(op)}: softmax β = ${beta}, expected 1`;
      g.used.add(op.index); softmax = op; cur = op.outputs[0]!; continue;
    }
    return `${g.describe(op)}: unexpected after the classifier`;
  }
  const steps = { convs: [{ name: 'classifier', op: fc }], pools: [{ name: 'pool', op: pool }], others: [], softmax };
  return { head: 'classifier', steps, classes, extraConvs: new Map(), classifier, deeplab: null, softmax: softmax !== null, argmax: false };
}

/** Mobile DeepLabv3 (paper-facts §4.2): [image pooling → 1×1 → upsample] ‖ [1×1] → concat → 1×1 → logits → resize. */
function matchDeeplab(g: Graph, bb: BackboneMatch, h: number, w: number): HeadMatch | string {
  const features = bb.output;
  const fT = g.tensor(g.resolve(features));
  const readers = g.readers(features).filter((op) => !g.used.has(op.index));
  const pool = readers.find((op) => op.builtinCode === BuiltinOperator.AVERAGE_POOL_2D || op.builtinCode === BuiltinOperator.MEAN);
  const aspp0 = readers.find((op) => op.builtinCode === BuiltinOperator.CONV_2D);
  if (!pool || !aspp0) return `${readers[0] ? g.describe(readers[0]) : 'end of graph'}: expected DeepLab's image pooling and 1×1 branches on the last feature map`;
  if (readers.length !== 2) return `${g.describe(readers.find((op) => op !== pool && op !== aspp0)!)}: a third branch on the feature map (ASPP import is not supported yet)`;
  if (pool.options?.kind === 'Pool2D' && (pool.options.filterHeight !== fT.shape[1] || pool.options.filterWidth !== fT.shape[2])) {
    return `${g.describe(pool)}: image pooling window ${pool.options.filterHeight}×${pool.options.filterWidth}, expected the whole ${fT.shape[1]}×${fT.shape[2]} map`;
  }
  const poolConv = g.readers(pool.outputs[0]!)[0];
  if (!poolConv || poolConv.builtinCode !== BuiltinOperator.CONV_2D) return `${poolConv ? g.describe(poolConv) : 'end of graph'}: expected the image-pooling 1×1 conv`;
  const upsample = g.readers(poolConv.outputs[0]!)[0];
  if (!upsample || upsample.builtinCode !== BuiltinOperator.RESIZE_BILINEAR) return `${upsample ? g.describe(upsample) : 'end of graph'}: expected the image-pooling upsampling`;
  const concat = g.readers(upsample.outputs[0]!)[0];
  if (!concat || concat.builtinCode !== BuiltinOperator.CONCATENATION) return `${concat ? g.describe(concat) : 'end of graph'}: expected the branch concatenation`;
  const cin = concat.inputs.map((t) => g.resolve(t));
  const poolFirst = cin[0] === g.resolve(upsample.outputs[0]!) && cin[1] === g.resolve(aspp0.outputs[0]!);
  const asppFirst = cin[1] === g.resolve(upsample.outputs[0]!) && cin[0] === g.resolve(aspp0.outputs[0]!);
  if (cin.length !== 2 || (!poolFirst && !asppFirst)) return `${g.describe(concat)}: does not join the image-pooling and 1×1 branches`;
  const projection = g.readers(concat.outputs[0]!)[0];
  if (!projection || projection.builtinCode !== BuiltinOperator.CONV_2D) return `${projection ? g.describe(projection) : 'end of graph'}: expected the concat projection 1×1 conv`;
  const logits = g.readers(projection.outputs[0]!)[0];
  if (!logits || logits.builtinCode !== BuiltinOperator.CONV_2D) return `${logits ? g.describe(logits) : 'end of graph'}: expected the logits 1×1 conv`;
  const classes = g.tensor(logits.inputs[1]!).shape[0]!;
  const depth = g.tensor(aspp0.inputs[1]!).shape[0]!;

  // Resizes after the logits: the final one brings them to the input size; DeepLab's exporter adds
  // a same-size one first (an identity). align_corners must be consistent.
  let cur = logits.outputs[0]!;
  let upsampling: 'align-corners' | 'half-pixel' = 'align-corners';
  let argmax = false;
  const pending: TfliteOperator[] = [];
  for (let op = g.readers(cur)[0]; op; op = g.readers(cur)[0]) {
    if (op.builtinCode === BuiltinOperator.RESIZE_BILINEAR && op.options?.kind === 'ResizeBilinear') {
      // The sampling grid of the resize that reaches the input size decides (a same-size resize is an identity in every mode).
      if (op.options.alignCorners) upsampling = 'align-corners';
      else if (op.options.halfPixelCenters) upsampling = 'half-pixel';
      else return `${g.describe(op)}: legacy TF resize (align_corners and half_pixel_centers both false) is not supported for DeepLab's upsampling`;
    } else if (op.builtinCode === BuiltinOperator.ARG_MAX) {
      argmax = true;
    } else return `${g.describe(op)}: unexpected after the DeepLab logits`;
    pending.push(op);
    cur = op.outputs[0]!;
  }
  const out = g.tensor(g.resolve(cur));
  if (out.shape[1] !== h || out.shape[2] !== w) return `the DeepLab output is ${fmtShape(out.shape)}, expected ${h}×${w} (upsampled to the input size)`;

  const o = bb.plan.options;
  const deeplab = buildDeeplabPlan({
    width: o.width, resolution: [h, w], outputStride: o.outputStride === 32 ? 16 : o.outputStride, classes, divisor: o.divisor,
    padding: o.padding, upsampling, depth,
    concatOrder: poolFirst ? 'pooling-first' : 'aspp0-first',
  });
  // The backbone walk found the dilations the file uses; the DeepLab plan must agree.
  const dlConvs = deeplab.backbone.blocks.flatMap((b) => b.convs);
  for (const [i, m] of bb.convs.entries()) {
    const c = dlConvs[i];
    if (!c || c.name !== m.plan.name || c.dilation !== m.plan.dilation || c.stride !== m.plan.stride) {
      return `${g.describe(m.op)}: backbone strides/dilations do not follow DeepLab's output-stride rule`;
    }
  }
  const extraConvs = new Map<string, ConvWeights>();
  const headOps: Array<[ConvPlan, TfliteOperator, string]> = [
    [deeplab.imagePooling, poolConv, 'RELU'], [deeplab.aspp0, aspp0, 'RELU'], [deeplab.projection, projection, 'RELU'], [deeplab.logits, logits, 'NONE'],
  ];
  for (const [c, op, act] of headOps) {
    const wT = g.tensor(op.inputs[1]!);
    const shape = [c.outC, 1, 1, c.inC];
    if (wT.shape.some((d, i) => d !== shape[i])) return `${g.describe(op)}: weights ${fmtShape(wT.shape)}, expected ${fmtShape(shape)} for ${c.name}`;
    const fa = op.options && 'fusedActivation' in op.options ? op.options.fusedActivation : 'NONE';
    if (fa !== act) return `${g.describe(op)}: fused activation ${fa}, expected ${act} for ${c.name}`;
    extraConvs.set(c.name, weightAndBias(g, op, c.outC));
  }
  for (const op of [pool, poolConv, upsample, concat, aspp0, projection, logits, ...pending]) g.used.add(op.index);
  const lastResize = [...pending].reverse().find((op) => op.builtinCode === BuiltinOperator.RESIZE_BILINEAR);
  const steps = {
    convs: headOps.map(([c, op]) => ({ name: c.name, op })),
    pools: [{ name: 'head.image_pooling.pool', op: pool }],
    others: [{ name: 'head.image_pooling.upsampled', op: upsample }, { name: 'head.concat', op: concat }, ...(lastResize ? [{ name: DEEPLAB_OUTPUT_TAP, op: lastResize }] : [])],
    softmax: null,
  };
  return { head: 'deeplab', steps, classes, extraConvs, classifier: null, deeplab, softmax: false, argmax };
}

// ---------------------------------------------------------------------------------------------

/** Largest input (H·W) an imported model may declare. */
export const MAX_INPUT_PIXELS = 4096 * 4096;

/** Reads a .tflite file's bytes and maps it onto our plan and float weights. */
export function importTflite(bytes: Uint8Array, source: string, options: ImportOptions = {}): ImportedModel {
  const model = readTfliteModel(bytes, source);
  const sg = model.subgraphs[0];
  if (!sg) throw formatError(`${source}: the model has no subgraph`);
  if (model.subgraphs.length > 1) throw unsupportedError(`${source}: ${model.subgraphs.length} subgraphs; only single-subgraph models are supported`);
  const g = new Graph(model, sg.operators, sg.tensors, sg.inputs, options);
  if (sg.inputs.length !== 1) throw unsupportedError(`${source}: ${sg.inputs.length} graph inputs, expected one image`);
  const inT = g.tensor(sg.inputs[0]!);
  if (inT.shape.length !== 4 || inT.shape[0] !== 1 || inT.shape[3] !== 3) {
    throw unsupportedError(`${source}: input '${inT.name}' has shape ${fmtShape(inT.shape)}, expected [1, H, W, 3]`);
  }
  if (inT.type !== 'FLOAT32' && inT.type !== 'UINT8' && inT.type !== 'INT8') {
    throw unsupportedError(`${source}: input '${inT.name}' has type ${inT.type}, expected FLOAT32, UINT8 or INT8`);
  }
  const [, h, w] = inT.shape as [number, number, number, number];
  if (h < 32 || w < 32) throw unsupportedError(`${source}: input ${h}×${w} is below MobileNetV2's 32×32 minimum`);
  // Plans, anchors and activations are sized by the input, which the file only declares: bound it
  // before anything is built (4096² is 16× the area of DeepLab's 1025² evaluation input).
  if (h * w > MAX_INPUT_PIXELS) throw unsupportedError(`${source}: input ${h}×${w} exceeds the ${MAX_INPUT_PIXELS} pixels (4096×4096) we run`);
  if (inT.type !== 'FLOAT32') checkQuantization(model, inT); // the input's scale is always needed finite
  const inputQ = inT.type === 'FLOAT32' ? null : { scale: inT.quantization!.scale[0]!, zeroPoint: inT.quantization!.zeroPoint[0] ?? 0 };
  const input: ImportedInput = { name: inT.name, shape: inT.shape, type: inT.type, quantization: inputQ };
  // SSD detectors (TF OD API exports) have their own matcher: the backbone is walked there.
  if (isSsdGraph(g)) return importSsdlite(g, source, input);

  const bb = matchBackbone(g, h, w, sg.inputs[0]!);
  for (const i of bb.usedOps) g.used.add(i);

  // The head: try the classifier, then DeepLab; a graph output right at the features means "features only".
  const lastC = bb.convs[bb.convs.length - 1]!.plan.outC;
  let head: HeadMatch | string;
  if (sg.outputs.map((t) => g.resolve(t)).includes(g.resolve(bb.output)) && g.readers(bb.output).length === 0) {
    head = { head: 'features', steps: { convs: [], pools: [], others: [], softmax: null }, classes: 0, extraConvs: new Map(), classifier: null, deeplab: null, softmax: false, argmax: false };
  } else if (bb.complete) {
    head = matchClassifier(g, bb.output, lastC);
  } else {
    head = matchDeeplab(g, bb, h, w);
  }
  if (typeof head === 'string') throw unsupportedError(`${source}: ${head}`);
  const stray = sg.operators.find((op) => !g.used.has(op.index) && op.builtinCode !== BuiltinOperator.QUANTIZE && op.builtinCode !== BuiltinOperator.DEQUANTIZE);
  if (stray) throw unsupportedError(`${source}: ${g.describe(stray)} does not fit the MobileNetV2 graph we recognised`);

  const o = bb.plan.options;
  const plan = buildPlan({
    width: o.width, resolution: [h, w], classes: head.head === 'classifier' ? head.classes : 0, padding: o.padding,
    divisor: o.divisor, minDepth: o.minDepth, outputStride: o.outputStride, stopAt: bb.complete ? undefined : 'features.17',
  });
  const convs = new Map<string, ConvWeights>();
  for (const m of bb.convs) convs.set(m.plan.name, weightAndBias(g, m.op, m.plan.outC));
  for (const [k, v] of head.extraConvs) convs.set(k, v);
  const weightTypes = new Set(bb.convs.map((m) => g.tensor(m.op.inputs[1]!).type));
  const quantized = weightTypes.has('UINT8') || weightTypes.has('INT8');

  // The integer view needs every scale valid: a file loaded with allowNonFinite runs in float only.
  const integer = quantized && !options.allowNonFinite ? integerNetwork(g, sg.inputs[0]!, {
    convs: [...bb.convs.map((m) => ({ name: m.plan.name, op: m.op })), ...head.steps.convs],
    adds: bb.adds, pools: head.steps.pools, others: head.steps.others, softmax: head.steps.softmax, blockOutputs: bb.blockOutputs,
  }) : null;

  const summary = `MobileNetV2 width ${o.width}${o.divisor !== 8 ? ` (channel divisor ${o.divisor})` : ''}, ${h}×${w}, output stride ${o.outputStride}, ` +
    `${head.head === 'classifier' ? `classifier with ${head.classes} classes` : head.head === 'deeplab' ? `Mobile DeepLabv3 head, ${head.classes} classes` : 'features only'}, ` +
    `${quantized ? `${[...weightTypes].join('/')} weights dequantized` : 'float weights'}, ${o.padding === 'tf-same' ? 'TF SAME padding' : 'symmetric padding (explicit PAD operators)'}`;
  return {
    source, head: head.head, plan, deeplab: head.deeplab, ssdlite: null,
    weights: { convs, classifier: head.classifier },
    input,
    quantized,
    integer,
    outputs: { softmax: head.softmax, argmax: head.argmax },
    summary,
    description: model.description,
  };
}
