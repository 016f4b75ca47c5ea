// SPDX-License-Identifier: Apache-2.0
/**
 * Maps an SSDLite-MobileNetV2 TFLite graph — as the TF Object Detection API's
 * export_tflite_ssd_graph + tflite_convert produce it, or as exportSsdliteTflite writes it — onto
 * our SSDLite plan (model/ssdlite.ts), weights, anchors and post-processing options.
 *
 * The graph is matched from its outputs backwards, then the backbone forwards:
 *  1. The detection outputs: the TFLite_Detection_PostProcess custom op (inputs: box encodings,
 *     class scores, the anchors constant; options in its flexbuffer map), or — for graphs exported
 *     without it — the two graph outputs [1, A, 4] (box encodings) and [1, A, K] (class scores).
 *  2. Backwards through RESHAPE/SQUEEZE (and a LOGISTIC on the class side: TF's SIGMOID score
 *     converter, which the exporter applies before the op) to the two CONCATENATIONs along the
 *     anchor axis; their six inputs, in order, lead back (through RESHAPE) to the six box and class
 *     predictors: a 1×1 CONV_2D fed by a 3×3 DEPTHWISE_CONV_2D fed by feature map i.
 *  3. The backbone is walked forwards from the input with the plan (import.ts walkBackbone), never
 *     taking a predictor for a backbone layer: feature map 0 is the expansion output of
 *     features.14 (TF-slim layer_15/expansion_output), which features.14's own depthwise AND the
 *     two BoxPredictor_0 depthwise convs read; feature map 1 is the output of features.18.
 *  4. Maps 2…5 come from the four extra layers (1×1 → 3×3 depthwise stride 2 → 1×1, all ReLU6),
 *     each checked against the plan like every backbone conv (kernel, stride, padding SAME, fused
 *     activation, weight shapes).
 * Width multiplier, feature-extractor min_depth (16 in the TF config, 8 tried too), anchors per
 * cell and class slots are inferred from the weight shapes. Every operator must be explained.
 *
 * Anchors and options: when the file has the op, its anchors constant and its options are used as
 * they are (so post-processing reproduces the op); otherwise our anchor generator
 * (ssd/anchors.ts, the TF config's ssd_anchor_generator) and the TF config's post-processing
 * values (score 1e-8, IoU 0.6, 100 per class / 100 total, scales 10, 10, 5, 5).
 */
import { BuiltinOperator, readDetectionPostProcessOptions, type DetectionPostProcessOptions, type TfliteOperator } from './model.js';
import { checkConvOp, dequantizeTensor, Graph, Mismatch, walkBackbone, weightAndBias, type BackboneMatch, type ImportedInput, type ImportedModel } from './import-graph.js';
import { integerNetwork } from './import-integer.js';
import type { IntegerNetwork } from '../../model/integer.js';
export type { ImportedSsdlite } from './import-graph.js';
import { buildSsdlitePlan, SSD_OUTPUT_TAPS, ssdliteAnchors, type SsdliteConv, type SsdlitePlan } from '../../model/ssdlite.js';
import { makeDivisible, type ConvPlan } from '../../model/plan.js';
import type { ConvWeights } from '../../model/weights.js';
import { SSDLITE_MOBILENET_V2_ANCHORS, type SsdAnchorConfig, type SsdAnchors } from '../../model/ssd/anchors.js';
import { SSDLITE_COCO_POSTPROCESS } from '../../model/ssd/postprocess.js';
import { SSD_BOX_CODER_SCALES } from '../../model/ssd/box-coder.js';
import { shortestF32 } from '../../model/ssd/tflite-postprocess.js';
import { fmtShape, formatError, unsupportedError } from '../../errors.js';

export const DETECTION_POSTPROCESS_OP = 'TFLite_Detection_PostProcess';


/** TF-config post-processing in the op's terms (used when a graph has no post-process op). */
export function configPostprocessOptions(slots: number): DetectionPostProcessOptions {
  return {
    maxDetections: SSDLITE_COCO_POSTPROCESS.maxDetections,
    maxClassesPerDetection: 1,
    detectionsPerClass: SSDLITE_COCO_POSTPROCESS.maxPerClass,
    useRegularNms: false,
    nmsScoreThreshold: SSDLITE_COCO_POSTPROCESS.scoreThreshold,
    nmsIouThreshold: SSDLITE_COCO_POSTPROCESS.iouThreshold,
    numClasses: slots - 1,
    yScale: SSD_BOX_CODER_SCALES.y,
    xScale: SSD_BOX_CODER_SCALES.x,
    hScale: SSD_BOX_CODER_SCALES.h,
    wScale: SSD_BOX_CODER_SCALES.w,
  };
}

const isReshapeLike = (op: TfliteOperator): boolean => op.builtinCode === BuiltinOperator.RESHAPE || op.builtinCode === BuiltinOperator.SQUEEZE;
const isIdentity = (op: TfliteOperator): boolean => op.builtinCode === BuiltinOperator.QUANTIZE || op.builtinCode === BuiltinOperator.DEQUANTIZE;
const isPostprocess = (op: TfliteOperator): boolean => op.builtinCode === BuiltinOperator.CUSTOM && op.opName === DETECTION_POSTPROCESS_OP;

/** A CONCATENATION along the anchor axis (1 of [1, A, 4] or [1, A, 1, 4]), the mark of an SSD box head. */
function isAnchorConcat(g: Graph, op: TfliteOperator): boolean {
  if (op.builtinCode !== BuiltinOperator.CONCATENATION || op.options?.kind !== 'Concatenation') return false;
  const out = g.tensor(op.outputs[0]!);
  const rank = out.shape.length;
  const axis = op.options.axis < 0 ? op.options.axis + rank : op.options.axis;
  return (rank === 3 || rank === 4) && axis === 1;
}

/** Does this graph look like an SSD detector? (the post-process op, or concatenations along the anchor axis) */
export function isSsdGraph(g: Graph): boolean {
  return g.ops.some((op) => isPostprocess(op) || isAnchorConcat(g, op));
}

class SsdMatcher {
  readonly producer = new Map<number, TfliteOperator>();
  readonly used = new Set<number>();

  constructor(readonly g: Graph, readonly source: string) {
    for (const op of g.ops) for (const t of op.outputs) this.producer.set(t, op);
  }

  fail(msg: string): never {
    throw unsupportedError(`${this.source}: ${msg}`);
  }

  /** The op producing t, looking through QUANTIZE/DEQUANTIZE (marked used). */
  producerOf(t: number): TfliteOperator | null {
    let cur = t;
    for (let guard = 0; guard < 16; guard++) {
      const op = this.producer.get(cur);
      if (!op) return null;
      if (!isIdentity(op)) return op;
      this.used.add(op.index);
      cur = op.inputs[0]!;
    }
    return null;
  }

  /** Walks back from tensor t over reshape-like (and identity) ops; returns the first other op. */
  backOverReshapes(t: number): TfliteOperator | null {
    let op = this.producerOf(t);
    for (let guard = 0; op && isReshapeLike(op) && guard < 8; guard++) {
      this.used.add(op.index);
      op = this.producerOf(op.inputs[0]!);
    }
    return op;
  }

  describe(op: TfliteOperator | null): string {
    return op ? this.g.describe(op) : 'a graph input or constant';
  }

  /** box/class path: (reshape…) ← CONCATENATION along the anchor axis. */
  concatBehind(t: number, what: string): TfliteOperator {
    const op = this.backOverReshapes(t);
    if (!op || !isAnchorConcat(this.g, op)) this.fail(`the ${what} come from ${this.describe(op)}, expected a CONCATENATION of the six SSD predictors along the anchor axis`);
    this.used.add(op.index);
    return op;
  }
}

interface Predictor {
  readonly depthwise: TfliteOperator;
  readonly conv: TfliteOperator;
  /** The feature-map tensor the depthwise reads (resolved through identity ops). */
  readonly map: number;
}

function predictorsBehind(m: SsdMatcher, concat: TfliteOperator, what: 'box' | 'class'): Predictor[] {
  const g = m.g;
  return concat.inputs.map((t, i) => {
    const conv = m.backOverReshapes(t);
    if (!conv || conv.builtinCode !== BuiltinOperator.CONV_2D) m.fail(`${what} predictor ${i}: ${m.describe(conv)}, expected the predictor's 1×1 CONV_2D`);
    const dw = m.producerOf(conv.inputs[0]!);
    if (!dw || dw.builtinCode !== BuiltinOperator.DEPTHWISE_CONV_2D) m.fail(`${what} predictor ${i}: ${m.describe(dw)} feeds ${g.describe(conv)}, expected the predictor's 3×3 DEPTHWISE_CONV_2D (SSDLite's separable predictor)`);
    return { depthwise: dw, conv, map: g.resolve(dw.inputs[0]!) };
  });
}

/** The anchors-per-cell list as an anchor generator config (our default ratios). */
function anchorConfigFor(perCell: readonly number[], source: string): SsdAnchorConfig {
  const d = SSDLITE_MOBILENET_V2_ANCHORS;
  const upper = perCell.slice(1);
  const uniform = upper.every((a) => a === upper[0]);
  const ratios = d.aspectRatios.length;
  if (perCell.length === 6 && uniform && (upper[0] === ratios + 1 || upper[0] === ratios)) {
    const interpolated = upper[0] === ratios + 1 ? d.interpolatedScaleAspectRatio : 0;
    if (perCell[0] === 3) return { ...d, interpolatedScaleAspectRatio: interpolated, reduceBoxesInLowestLayer: true };
    if (perCell[0] === upper[0]) return { ...d, interpolatedScaleAspectRatio: interpolated, reduceBoxesInLowestLayer: false };
  }
  throw unsupportedError(`${source}: anchors per cell [${perCell.join(', ')}] do not fit the SSD anchor generator we build (3 or 6 on the first map, 5 or 6 on the others)`);
}

/** An SsdAnchors for the file's [A, 4] constant, with the plan's layer layout. */
function anchorsFromFile(plan: SsdlitePlan, centerSize: Float32Array): SsdAnchors {
  const generated = ssdliteAnchors(plan); // only for the layer bookkeeping
  const corners = new Float32Array(centerSize.length);
  for (let a = 0; a < centerSize.length / 4; a++) {
    const o = 4 * a;
    const yc = centerSize[o]!, xc = centerSize[o + 1]!, h = centerSize[o + 2]!, w = centerSize[o + 3]!;
    corners[o] = yc - h / 2;
    corners[o + 1] = xc - w / 2;
    corners[o + 2] = yc + h / 2;
    corners[o + 3] = xc + w / 2;
  }
  return { count: centerSize.length / 4, centerSize, corners, layers: generated.layers, imageSize: generated.imageSize };
}

/**
 * The integer path assembles each CONCATENATION of predictor outputs by copying a part whose
 * parameters equal the output's, or by requantizing it as the QUANTIZE op between them does. TFLite's
 * int8 kernel refuses inputs with other parameters than its output, and a uint8 one would rescale
 * them in float32 itself, which the integer path does not reproduce: both are refused here.
 */
function checkConcatParts(g: Graph, concat: TfliteOperator, convs: readonly TfliteOperator[], source: string): void {
  const sameQuant = (a: number, b: number): boolean => {
    const [p, q] = [g.tensor(a).quantization, g.tensor(b).quantization];
    return !!p && !!q && p.scale[0] === q.scale[0] && (p.zeroPoint[0] ?? 0) === (q.zeroPoint[0] ?? 0);
  };
  const out = concat.outputs[0]!;
  concat.inputs.forEach((t, i) => {
    const conv = convs[i]!.outputs[0]!;
    if (sameQuant(t, out)) {
      // The conv itself has the output's parameters (RESHAPE keeps them), or a QUANTIZE converts
      // the conv's values (what the integer path requantizes from) to them.
      const producer = g.ops.find((op) => op.outputs.includes(t));
      if (sameQuant(conv, out) || (producer?.builtinCode === BuiltinOperator.QUANTIZE && sameQuant(producer.inputs[0]!, conv))) return;
    }
    throw unsupportedError(`${source}: ${g.describe(concat)}: input ${i} '${g.tensor(t).name}' is not the predictor's output at the concatenation's parameters, nor its QUANTIZE to them (the integer path requantizes predictor outputs only as QUANTIZE does)`);
  });
}

/** Imports an SSD graph (see the file comment). */
export function importSsdlite(g: Graph, source: string, input: ImportedInput): ImportedModel {
  const m: SsdMatcher = new SsdMatcher(g, source);
  const sg = g.model.subgraphs[0]!;
  const [, h, w] = input.shape as [number, number, number, number];

  // 1. Outputs.
  const ppOps = g.ops.filter(isPostprocess);
  if (ppOps.length > 1) m.fail(`${ppOps.length} ${DETECTION_POSTPROCESS_OP} operators; expected one`);
  const pp = ppOps[0] ?? null;
  let boxOut: number;
  let scoreOut: number;
  let anchorsTensor: number | null = null;
  let options: DetectionPostProcessOptions | null = null;
  if (pp) {
    if (pp.inputs.length !== 3 || pp.outputs.length !== 4) m.fail(`${g.describe(pp)} has ${pp.inputs.length} inputs and ${pp.outputs.length} outputs, expected 3 and 4`);
    if (pp.customOptions === null) m.fail(`${g.describe(pp)} has no custom options`);
    if (pp.customOptionsFormat !== 0) m.fail(`${g.describe(pp)}: custom options format ${pp.customOptionsFormat}, expected FLEXBUFFERS (0)`);
    options = readDetectionPostProcessOptions(pp.customOptions, source);
    [boxOut, scoreOut, anchorsTensor] = pp.inputs as [number, number, number];
    m.used.add(pp.index);
  } else {
    const outs = sg.outputs.map((t) => g.tensor(t));
    const box = outs.filter((t) => t.shape.length === 3 && t.shape[2] === 4);
    const other = outs.filter((t) => !box.includes(t) && t.shape.length === 3);
    if (box.length !== 1 || other.length !== 1 || outs.length !== 2) {
      m.fail(`an SSD graph without ${DETECTION_POSTPROCESS_OP} must output box encodings [1, A, 4] and class scores [1, A, K]; its outputs are ${outs.map((t) => `'${t.name}' ${fmtShape(t.shape)}`).join(', ')}`);
    }
    boxOut = box[0]!.index;
    scoreOut = other[0]!.index;
  }

  // 2. Predictors, from the concatenations back.
  const boxConcat = m.concatBehind(boxOut, 'box encodings');
  let scoreConverter: 'sigmoid' | 'identity' = 'identity';
  let sigmoidOp = m.producerOf(scoreOut);
  if (sigmoidOp && sigmoidOp.builtinCode === BuiltinOperator.LOGISTIC) {
    scoreConverter = 'sigmoid';
    m.used.add(sigmoidOp.index);
    scoreOut = sigmoidOp.inputs[0]!;
  } else sigmoidOp = null;
  const classConcat = m.concatBehind(scoreOut, 'class scores');
  if (boxConcat === classConcat) m.fail(`${g.describe(boxConcat)} feeds both box encodings and class scores`);
  const boxes = predictorsBehind(m, boxConcat, 'box');
  const classes = predictorsBehind(m, classConcat, 'class');
  if (boxes.length !== 6 || classes.length !== 6) m.fail(`${boxes.length} box and ${classes.length} class predictors; SSDLite-MobileNetV2 has 6 feature maps`);
  const perCell: number[] = [];
  let slots = -1;
  for (let i = 0; i < 6; i++) {
    if (boxes[i]!.map !== classes[i]!.map) m.fail(`box and class predictors ${i} read different tensors`);
    const boxC = g.tensor(boxes[i]!.conv.inputs[1]!).shape[0]!;
    const clsC = g.tensor(classes[i]!.conv.inputs[1]!).shape[0]!;
    if (boxC % 4 !== 0) m.fail(`${g.describe(boxes[i]!.conv)}: ${boxC} outputs is not anchors·4`);
    const a = boxC / 4;
    if (clsC % a !== 0) m.fail(`${g.describe(classes[i]!.conv)}: ${clsC} outputs is not ${a} anchors × class slots`);
    if (slots >= 0 && clsC / a !== slots) m.fail(`${g.describe(classes[i]!.conv)}: ${clsC / a} class slots, predictor 0 has ${slots}`);
    slots = clsC / a;
    perCell.push(a);
  }
  const anchorConfig = anchorConfigFor(perCell, source);
  if (options && options.numClasses !== slots - 1 && options.numClasses !== slots) {
    m.fail(`${DETECTION_POSTPROCESS_OP} num_classes ${options.numClasses} does not fit ${slots} class slots per anchor`);
  }
  const predictorOps = new Set<number>();
  for (const p of [...boxes, ...classes]) { predictorOps.add(p.depthwise.index); predictorOps.add(p.conv.index); }

  // 3. The backbone: try the widths whose stem fits, with the config's min_depth 16, then 8.
  const inputT = sg.inputs[0]!;
  const stem = g.readers(inputT).find((op) => op.builtinCode === BuiltinOperator.CONV_2D);
  if (!stem) m.fail(`${m.describe(g.readers(inputT)[0] ?? null)} reads the input, expected the 3×3 stride-2 stem CONV_2D`);
  const stemOut = g.tensor(stem.inputs[1]!).shape[0]!;
  const widths = [1.0, 0.35, 0.5, 0.75, 1.3, 1.4, 0.25];
  for (let i = 10; i <= 400; i++) widths.push(i / 100);
  let best: Mismatch | null = null;
  let found: { plan: SsdlitePlan; convs: Map<string, TfliteOperator>; usedOps: Set<number>; adds: BackboneMatch['adds']; blockOutputs: Map<string, number> } | null = null;
  search: for (const minDepth of [16, 8]) {
    for (const width of widths) {
      if (makeDivisible(32 * width, 8, minDepth) !== stemOut) continue;
      let plan: SsdlitePlan;
      try {
        plan = buildSsdlitePlan({ width, resolution: [h, w], classes: slots, padding: 'tf-same', minDepth, anchors: anchorConfig });
      } catch {
        continue;
      }
      const bb = walkBackbone(g, plan.backbone, inputT, predictorOps);
      if (bb instanceof Mismatch) {
        if (!best || bb.matchedConvs > best.matchedConvs) best = bb;
        continue;
      }
      if (!bb.complete) {
        const miss = new Mismatch(`features.18 of SSDLite width ${width} not found after features.17`, bb.convs.length);
        if (!best || miss.matchedConvs > best.matchedConvs) best = miss;
        continue;
      }
      const convs = new Map<string, TfliteOperator>(bb.convs.map((c) => [c.plan.name, c.op]));
      const byName = new Map<string, number>(bb.convs.map((c) => [c.plan.name, g.resolve(c.op.outputs[0]!)]));
      byName.set('features.18', g.resolve(bb.output));
      if (boxes[0]!.map !== byName.get(plan.featureMaps[0]!.name) || boxes[1]!.map !== byName.get(plan.featureMaps[1]!.name)) {
        const miss = new Mismatch(`predictors 0 and 1 do not read layer_15/expansion_output and layer_19 of SSDLite width ${width}`, bb.convs.length);
        if (!best || miss.matchedConvs > best.matchedConvs) best = miss;
        continue;
      }
      found = { plan, convs, usedOps: bb.usedOps, adds: bb.adds, blockOutputs: bb.blockOutputs };
      break search;
    }
  }
  if (!found) m.fail(`not an SSDLite-MobileNetV2 graph we can map: ${best?.message ?? `stem with ${stemOut} channels matches no width multiplier`}`);
  const { plan } = found;
  for (const i of found.usedOps) m.used.add(i);

  // 4. Extra layers (maps 2…5), from each map tensor back to the previous map.
  const head = plan.head as readonly SsdliteConv[];
  const mapTensor = (i: number): number => boxes[i]!.map;
  for (let k = 0; k < 4; k++) {
    const [c0, c1, c2] = [0, 1, 2].map((j) => head.find((c) => c.name === `extra.${k}.${j}`)!) as [SsdliteConv, SsdliteConv, SsdliteConv];
    const out = m.producerOf(mapTensor(k + 2));
    const dw = out ? m.producerOf(out.inputs[0]!) : null;
    const reduce = dw ? m.producerOf(dw.inputs[0]!) : null;
    if (!out || !dw || !reduce) m.fail(`feature map ${k + 2} is not produced by the extra layer ${c0.tf.split('/').pop()} → ${c2.tf.split('/').pop()}`);
    for (const [c, op, expectedIn] of [[c0, reduce, mapTensor(k + 1)], [c1, dw, reduce.outputs[0]!], [c2, out, dw.outputs[0]!]] as const) {
      const problem = checkConvOp(g, op, c, expectedIn);
      if (problem) m.fail(problem);
      found.convs.set(c.name, op);
    }
  }
  // Predictors against the plan.
  for (let i = 0; i < 6; i++) {
    for (const [kind, p] of [['box', boxes[i]!], ['class', classes[i]!]] as const) {
      const dwPlan = head.find((c) => c.name === `head.${kind}.${i}.0`)!;
      const convPlan = head.find((c) => c.name === `head.${kind}.${i}.1`)!;
      const problem = checkConvOp(g, p.depthwise, dwPlan, mapTensor(i)) ?? checkConvOp(g, p.conv, convPlan, p.depthwise.outputs[0]!);
      if (problem) m.fail(problem);
      found.convs.set(dwPlan.name, p.depthwise);
      found.convs.set(convPlan.name, p.conv);
    }
  }

  // 5. Weights, anchors, leftovers.
  const weights = new Map<string, ConvWeights>();
  for (const c of plan.convs as readonly ConvPlan[]) {
    const op = found.convs.get(c.name);
    if (!op) throw new Error(`internal: ${c.name} was not matched`);
    m.used.add(op.index);
    weights.set(c.name, weightAndBias(g, op, c.outC));
  }
  let anchors: SsdAnchors;
  let anchorsSource: 'file' | 'generated' = 'generated';
  if (anchorsTensor !== null) {
    const t = g.tensor(anchorsTensor);
    if (t.shape.length !== 2 || t.shape[0] !== plan.anchors || t.shape[1] !== 4) {
      m.fail(`${DETECTION_POSTPROCESS_OP} anchors '${t.name}' ${fmtShape(t.shape)}, expected [${plan.anchors}, 4] (the predictors' anchor count)`);
    }
    if (g.model.buffers[t.buffer]?.byteLength === 0) throw formatError(`${source}: anchors '${t.name}' is not a constant`);
    anchors = anchorsFromFile(plan, dequantizeTensor(g.model, t, g.options));
    anchorsSource = 'file';
  } else anchors = ssdliteAnchors(plan);
  const boxShape = g.tensor(g.resolve(boxOut)).shape;
  if (boxShape[boxShape.length - 2] !== plan.anchors && boxShape[1] !== plan.anchors) {
    m.fail(`box encodings ${fmtShape(boxShape)} do not hold ${plan.anchors} anchors`);
  }
  const stray = g.ops.find((op) => !m.used.has(op.index) && !isIdentity(op));
  if (stray) m.fail(`${g.describe(stray)} does not fit the SSDLite graph we recognised`);

  const weightTypes = new Set([...found.convs.values()].map((op) => g.tensor(op.inputs[1]!).type));
  const quantized = weightTypes.has('UINT8') || weightTypes.has('INT8');
  // The integer view (import-integer.ts): every conv and shortcut ADD as stored, the two
  // concatenations' parameters (the assembled outputs), the LOGISTIC's output.
  let integer: IntegerNetwork | null = null;
  if (quantized && !g.options.allowNonFinite) {
    integer = integerNetwork(g, inputT, {
      convs: (plan.convs as readonly ConvPlan[]).map((c) => ({ name: c.name, op: found.convs.get(c.name)! })),
      adds: found.adds, pools: [], softmax: null, blockOutputs: found.blockOutputs, logistic: sigmoidOp,
      others: [{ name: SSD_OUTPUT_TAPS.boxEncodings, op: boxConcat }, { name: SSD_OUTPUT_TAPS.classLogits, op: classConcat }],
    });
    if (integer) for (const [concat, parts] of [[boxConcat, boxes], [classConcat, classes]] as const) checkConcatParts(g, concat, parts.map((p) => p.conv), source);
  }
  const o = plan.options;
  const ppText = options
    ? `${DETECTION_POSTPROCESS_OP} (${options.useRegularNms ? 'regular' : 'fast'} NMS, ${options.maxDetections} detections, score ≥ ${shortestF32(options.nmsScoreThreshold)}, IoU ${shortestF32(options.nmsIouThreshold)})`
    : 'raw outputs (no post-process op)';
  const summary = `SSDLite-MobileNetV2 width ${o.width}${o.minDepth !== 16 ? ` (min depth ${o.minDepth})` : ''}, ${h}×${w}, ${slots} class slots, ${plan.anchors} anchors (${anchorsSource === 'file' ? 'from the file' : 'generated'}), ` +
    `${scoreConverter === 'sigmoid' ? 'sigmoid scores, ' : ''}${ppText}, ${quantized ? `${[...weightTypes].join('/')} weights dequantized` : 'float weights'}, TF SAME padding`;
  return {
    source, head: 'ssdlite', plan: plan.backbone, deeplab: null,
    ssdlite: { plan, anchors, anchorsSource, postprocess: options, postprocessDefaults: options ?? configPostprocessOptions(slots), scoreConverter },
    weights: { convs: weights, classifier: null },
    input,
    quantized,
    integer,
    outputs: { softmax: false, argmax: false },
    summary,
    description: g.model.description,
  };
}
