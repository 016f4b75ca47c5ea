// SPDX-License-Identifier: Apache-2.0
/**
 * Exports our float networks to TensorFlow Lite, so that the real TFLite interpreter can run
 * exactly our weights (BN already folded: every conv is weight + bias, copied bit for bit).
 *
 *   exportClassifierTflite(plan, weights)   input → backbone → AVERAGE_POOL_2D → CONV_2D 1×1 (or
 *                                           FULLY_CONNECTED) → RESHAPE [1, K] → SOFTMAX (optional)
 *   exportDeeplabTflite(plan, weights)      input → backbone to features.17 → [AVERAGE_POOL_2D →
 *                                           CONV_2D 1×1 → RESIZE_BILINEAR] ‖ [CONV_2D 1×1 (aspp0)]
 *                                           (‖ ASPP branches) → CONCATENATION → CONV_2D 1×1 →
 *                                           CONV_2D 1×1 (logits) → RESIZE_BILINEAR to the input size
 *   exportSsdliteTflite(plan, weights, o)   the layout of the TF Object Detection API's
 *                                           export_tflite_ssd_graph + tflite_convert (see below)
 *
 * Layouts: our conv weights are OHWI = TFLite CONV_2D [OC, KH, KW, IC]; depthwise [KH, KW, C] =
 * TFLite DEPTHWISE_CONV_2D [1, KH, KW, C]; pointwise [OC, IC] = CONV_2D [OC, 1, 1, IC]: the bytes are
 * the same, only the shapes are written.
 *
 * Padding: TFLite knows SAME (TF's rule: the odd pixel at the bottom/right) and VALID. For each conv
 * the plan's explicit pads (`geometry.pad`) decide: equal to TF SAME's pads → SAME; all zero →
 * VALID; anything else (PyTorch's symmetric padding of a stride-2 conv on an even input, e.g.
 * torchvision weights) → an explicit PAD operator followed by a VALID conv. So the file computes
 * our convention exactly, whichever it is.
 *
 * SSDLite, as TF OD API exports lay it out (export_tflite_ssd_graph_lib.py; paper-facts §3):
 *   'normalized_input_image_tensor' [1, H, W, 3] (already x·2/255 − 1) → backbone (features.0 …
 *   features.18) → the four extra layers → per feature map i: BoxPredictor_i box depthwise + 1×1 →
 *   RESHAPE [1, H·W·a, 1, 4], class depthwise + 1×1 → RESHAPE [1, H·W·a, K]; the six box tensors →
 *   CONCATENATION axis 1 ('concat') → SQUEEZE axis 2 = 'raw_outputs/box_encodings' [1, A, 4]; the
 *   six class tensors → CONCATENATION axis 1 ('concat_1', the logits) → LOGISTIC =
 *   'raw_outputs/class_predictions' (TF applies the SIGMOID score converter *before* the custom op,
 *   whose kernel uses its input scores as they are) → TFLite_Detection_PostProcess with the
 *   constant 'anchors' [A, 4] (ycenter, xcenter, h, w) → detection_boxes [1, M, 4],
 *   detection_classes [1, M], detection_scores [1, M], num_detections [1] (M = max_detections ·
 *   max_classes_per_detection). Without the custom op the graph outputs are the two raw tensors,
 *   like TF's add_postprocessing_op=false. `rawOutputs` additionally exposes the box encodings,
 *   the logits and the sigmoid scores as graph outputs (the interpreter only lets callers read
 *   graph outputs), for comparisons.
 *
 * `taps: true` (every exporter) names each layer output by our tap name (features.3.conv.1,
 * features.3, extra.0.2, head.box.2.1, pool, classifier, head.concat, …) and appends it to the graph
 * outputs, so a single layer of the file can be compared with ours on the interpreter's own input.
 */
import { tfSamePads, type Pad4 } from '../../../kernels/geometry.js';
import type { Activation as PlanActivation, ConvPlan, MobileNetV2Plan } from '../../model/plan.js';
import { checkWeights, convWeightShape, type ConvWeights, type MobileNetV2Weights } from '../../model/weights.js';
import { checkDeeplabWeights, DEEPLAB_OUTPUT_TAP, type DeeplabPlan } from '../../model/deeplab.js';
import { checkSsdliteWeights, SSD_OUTPUT_TAPS, ssdliteAnchors, type SsdliteConv, type SsdlitePlan } from '../../model/ssdlite.js';
import type { SsdAnchors } from '../../model/ssd/anchors.js';
import { SSD_BOX_CODER_SCALES } from '../../model/ssd/box-coder.js';
import { usageError, weightsError } from '../../errors.js';
import type { DetectionPostProcessOptions } from './model.js';
import type { Activation } from './schema.js';
import { encodeFlexBufferMap, options as opt, TfliteGraphBuilder, type TensorQuantization } from './writer.js';
import { int32Bias, int8ActivationQuantization, INT8_LOGISTIC_OUTPUT, INT8_SOFTMAX_OUTPUT, perChannelInt8Weights, type ActivationRanges } from './ptq.js';
import { seededUniform } from '../../model/random.js';

export const DETECTION_POSTPROCESS_CODE = 'TFLite_Detection_PostProcess';

const FUSED: Record<PlanActivation, Activation> = { relu6: 'RELU6', relu: 'RELU', linear: 'NONE' };

/** How a conv's padding is written: SAME, VALID, or an explicit PAD operator + VALID. */
export type ExportPadding = { kind: 'SAME' } | { kind: 'VALID' } | { kind: 'PAD'; pad: Pad4 };

/** The TFLite padding that computes exactly the plan's pads for this conv (see the file comment). */
/** What a random-weight export's description ends with; load() warns when it sees it. */
export const RANDOM_WEIGHTS_MARK = 'RANDOM weights';
const randomMark = (seed: number | undefined): string => (seed === undefined ? '' : `; ${RANDOM_WEIGHTS_MARK} (seed ${seed}) — for testing kernels and pipelines only`);

export function exportPadding(c: ConvPlan): ExportPadding {
  const g = c.geometry;
  const [top, bottom] = tfSamePads(g.inH, g.kH, g.strideH, g.dilationH);
  const [left, right] = tfSamePads(g.inW, g.kW, g.strideW, g.dilationW);
  const p = g.pad;
  if (p.top === top && p.bottom === bottom && p.left === left && p.right === right) return { kind: 'SAME' };
  if (p.top === 0 && p.bottom === 0 && p.left === 0 && p.right === 0) return { kind: 'VALID' };
  return { kind: 'PAD', pad: p };
}

/** TF-slim scope of a backbone conv, for readable tensor names (layer_1 = Conv, layer_2 = expanded_conv, …). */
function slimName(c: ConvPlan): string {
  const m = /^features\.(\d+)/.exec(c.name);
  const block = m ? Number(m[1]) : -1;
  if (block === 0) return 'Conv';
  if (block === 18) return 'Conv_1';
  const scope = block === 1 ? 'expanded_conv' : `expanded_conv_${block - 1}`;
  const part = c.role === 'expansion' ? 'expand' : c.role === 'depthwise' ? 'depthwise' : 'project';
  return `${scope}/${part}`;
}

interface Emitted {
  /** Output tensor of every conv and of every block, by tap name. */
  readonly byName: Map<string, number>;
  readonly last: number;
}

class NetworkWriter {
  readonly b = new TfliteGraphBuilder();
  readonly padOps: string[] = [];
  /** Layer outputs exposed as graph outputs (tap mode), in execution order. */
  readonly taps: number[] = [];

  /**
   * `tapMode`: name every layer output by its tap name and make it a graph output. `ranges`: write
   * an int8 model (src/io/tflite/ptq.ts), every activation quantized from its calibrated range.
   */
  constructor(readonly source: string, readonly tapMode = false, readonly ranges: ActivationRanges | null = null) {}

  /** The int8 parameters of the activation `tap` from its calibrated range (null for a float model). */
  quantizationOf(tap: string): TensorQuantization | null {
    if (!this.ranges) return null;
    const r = this.ranges.get(tap);
    if (!r) throw usageError(`${this.source}: no calibrated range for '${tap}' (calibrate with every tap of the plan)`);
    return int8ActivationQuantization(r);
  }

  /** An activation tensor of the model's type: float32, or int8 with `q`. */
  activation(name: string, shape: readonly number[], q: TensorQuantization | null): number {
    return q ? this.b.activation(name, shape, 'INT8', q) : this.b.activation(name, shape);
  }

  /**
   * A layer output: TF-style `name`, or in tap mode the tap name (recorded as a graph output);
   * quantized from the tap's calibrated range unless `sameAs` names a tensor whose parameters it keeps.
   */
  layer(tfName: string, tap: string, shape: readonly number[], sameAs?: number): number {
    const q = sameAs !== undefined ? this.quantization(sameAs) : this.quantizationOf(tap);
    const t = this.activation(this.tapMode ? tap : tfName, shape, q);
    if (this.tapMode) this.taps.push(t);
    return t;
  }

  shape(t: number): readonly number[] { return this.b.tensor(t).shape; }

  quantization(t: number): TensorQuantization | null { return this.b.tensor(t).quantization ?? null; }

  /**
   * A conv's weight and bias constants: float32 as they are, or int8 per output channel with the
   * int32 bias at the input's scale times each channel's weight scale.
   */
  weightsAndBias(name: string, input: number, wShape: readonly number[], weight: Float32Array, bias: Float32Array, axis: 'outer' | 'inner' | 'tensor'): [number, number] {
    const inQ = this.quantization(input);
    if (!inQ) return [this.b.constantF32(`${name}/weights`, wShape, weight), this.b.constantF32(`${name}/biases`, [bias.length], bias)];
    const qw = perChannelInt8Weights(weight, axis === 'tensor' ? 1 : bias.length, axis === 'inner' ? 'inner' : 'outer');
    const qb = int32Bias(bias, inQ.scale[0]!, qw.quantization.scale);
    return [this.b.constantQuantized(`${name}/weights`, wShape, qw.data, qw.quantization), this.b.constantQuantized(`${name}/biases`, [bias.length], qb.data, qb.quantization)];
  }

  /** One conv of the plan with its (folded) weights; returns the output tensor. */
  conv(c: ConvPlan, input: number, w: ConvWeights | undefined, name: string): number {
    if (!w) throw weightsError(`${this.source}: missing weights for ${c.name}`);
    const g = c.geometry;
    const inShape = this.shape(input);
    if (inShape[1] !== g.inH || inShape[2] !== g.inW || inShape[3] !== c.inC) {
      throw new Error(`internal: ${c.name} expects [1, ${g.inH}, ${g.inW}, ${c.inC}], its input is [${inShape.join(', ')}]`);
    }
    const expected = convWeightShape(c).reduce((a, d) => a * d, 1);
    if (w.weight.length !== expected || w.bias.length !== c.outC) throw weightsError(`${this.source}: ${c.name} weights have the wrong size`);
    const wShape = c.kind === 'conv' ? [c.outC, c.kernel, c.kernel, c.inC] : c.kind === 'depthwise' ? [1, c.kernel, c.kernel, c.outC] : [c.outC, 1, 1, c.inC];
    const [weight, bias] = this.weightsAndBias(name, input, wShape, w.weight, w.bias, c.kind === 'depthwise' ? 'inner' : 'outer');
    let x = input;
    const padding = exportPadding(c);
    if (padding.kind === 'PAD') {
      const p = padding.pad;
      const paddings = this.b.constantI32(`${name}/Pad/paddings`, [4, 2], [0, 0, p.top, p.bottom, p.left, p.right, 0, 0]);
      // Quantized PAD fills with the zero point and keeps its input's parameters.
      const padded = this.activation(`${name}/Pad`, [1, g.inH + p.top + p.bottom, g.inW + p.left + p.right, c.inC], this.quantization(x));
      this.b.op('PAD', [x, paddings], [padded], opt.pad());
      this.padOps.push(c.name);
      x = padded;
    }
    const out = this.layer(name, c.name, [1, g.outH, g.outW, c.outC]);
    const o = { padding: padding.kind === 'SAME' ? 'SAME' as const : 'VALID' as const, stride: c.stride, dilation: c.dilation, activation: FUSED[c.activation] };
    if (c.kind === 'depthwise') this.b.op('DEPTHWISE_CONV_2D', [x, weight, bias], [out], opt.depthwiseConv2d(o));
    else this.b.op('CONV_2D', [x, weight, bias], [out], opt.conv2d(o));
    return out;
  }

  /** The backbone blocks with their shortcut ADDs. */
  backbone(plan: MobileNetV2Plan, input: number, weights: MobileNetV2Weights, prefix: string): Emitted {
    const byName = new Map<string, number>([['input', input]]);
    let x = input;
    for (const blk of plan.blocks) {
      const blockIn = x;
      for (const c of blk.convs) {
        x = this.conv(c, x, weights.convs.get(c.name), `${prefix}${slimName(c)}`);
        byName.set(c.name, x);
      }
      if (blk.residual) {
        const sum = this.layer(`${prefix}${slimName(blk.convs[0]!).split('/')[0]}/add`, blk.name, this.shape(x));
        this.b.op('ADD', [x, blockIn], [sum], opt.add('NONE'));
        x = sum;
      }
      byName.set(blk.name, x);
    }
    return { byName, last: x };
  }

  reshape(input: number, shape: readonly number[], name: string): number {
    const shapeT = this.b.constantI32(`${name}/shape`, [shape.length], shape);
    const out = this.activation(name, shape, this.quantization(input));
    this.b.op('RESHAPE', [input, shapeT], [out], opt.reshape(shape));
    return out;
  }

  /** int8: a QUANTIZE op requantizing `input` to `q` (nothing when the parameters already agree, or for a float model). */
  requantize(input: number, q: TensorQuantization | null): number {
    const from = this.quantization(input);
    if (!q || !from || (from.scale[0] === q.scale[0] && from.zeroPoint[0] === q.zeroPoint[0])) return input;
    const out = this.activation(`${this.b.tensor(input).name}/requantized`, this.shape(input), q);
    this.b.op('QUANTIZE', [input], [out]);
    return out;
  }

  /** A DEQUANTIZE op to float32 in front of an op that only runs in float (nothing for a float tensor). */
  dequantize(input: number): number {
    if (!this.quantization(input)) return input;
    const out = this.b.activation(`${this.b.tensor(input).name}/dequantized`, this.shape(input));
    this.b.op('DEQUANTIZE', [input], [out]);
    return out;
  }

  globalAvgPool(input: number, name: string, tap: string): number {
    const [, h, w, c] = this.shape(input) as [number, number, number, number];
    // Quantized AVERAGE_POOL_2D cannot rescale: its output keeps the input's parameters.
    const out = this.layer(name, tap, [1, 1, 1, c], this.ranges ? input : undefined);
    this.b.op('AVERAGE_POOL_2D', [input], [out], opt.pool2d({ padding: 'VALID', stride: 1, filterH: h, filterW: w }));
    return out;
  }

  resizeBilinear(input: number, h: number, w: number, mode: 'align-corners' | 'half-pixel', name: string, tap: string): number {
    const c = this.shape(input)[3]!;
    const size = this.b.constantI32(`${name}/size`, [2], [h, w]);
    const out = this.layer(name, tap, [1, h, w, c]);
    this.b.op('RESIZE_BILINEAR', [input, size], [out], opt.resizeBilinear(mode === 'align-corners', mode === 'half-pixel'));
    return out;
  }
}

function inputTensor(w: NetworkWriter, name: string, h: number, width: number): number {
  return w.activation(name, [1, h, width, 3], w.quantizationOf('input'));
}

// ---------------------------------------------------------------------------------------------
// Classifier

export interface ClassifierExportOptions {
  /** Append SOFTMAX (as TF-slim's files do). Default true. */
  softmax?: boolean;
  /** The classifier as a 1×1 CONV_2D (TF-slim, default) or a FULLY_CONNECTED (Keras/torchvision). */
  classifierOp?: 'conv' | 'fully-connected';
  description?: string;
  /** The weights are seeded random ones: the description says so (RANDOM_WEIGHTS_MARK), so loaders can warn. */
  randomSeed?: number;
  /**
   * Also make every layer output a graph output named by its tap name (features.3.conv.1,
   * features.3, pool, classifier, …), after the regular output: the interpreter only returns graph
   * outputs, so this is how single layers of the file can be compared.
   */
  taps?: boolean;
  /**
   * Write a full-integer int8 model (post-training quantization as TFLite's converter does it, see
   * src/io/tflite/ptq.ts) from these calibrated activation ranges (`calibrateClassifier`): int8
   * input and output, per-channel int8 conv weights, a per-tensor int8 FULLY_CONNECTED, int32 biases.
   */
  int8?: { ranges: ActivationRanges; calibrationRuns?: number };
}

/**
 * A MobileNetV2 classifier (or a features-only plan: the last feature map becomes the output) as a
 * float32 .tflite file, or an int8 one with `int8`.
 *
 * @example
 * ```ts
 * const ranges = calibrateClassifier(backend, plan, weights, representativeInputs);
 * const bytes = exportClassifierTflite(plan, weights, { int8: { ranges } });
 * ```
 */
export function exportClassifierTflite(plan: MobileNetV2Plan, weights: MobileNetV2Weights, options: ClassifierExportOptions = {}): Uint8Array {
  checkWeights(plan, weights, 'export');
  const w = new NetworkWriter('export', options.taps ?? false, options.int8?.ranges ?? null);
  const { inputH, inputW } = plan.options;
  const input = inputTensor(w, 'input', inputH, inputW);
  const { last } = w.backbone(plan, input, weights, 'MobilenetV2/');
  let out = last;
  const cls = plan.classifier;
  if (cls) {
    if (!plan.taps.includes('pool')) throw usageError('export: the plan has a classifier but no global pool');
    const pooled = w.globalAvgPool(last, 'MobilenetV2/Logits/AvgPool', 'pool');
    const cw = weights.classifier!;
    let logits: number;
    if ((options.classifierOp ?? 'conv') === 'conv') {
      const [weight, bias] = w.weightsAndBias('MobilenetV2/Logits/Conv2d_1c_1x1', pooled, [cls.classes, 1, 1, cls.inC], cw.weight, cw.bias, 'outer');
      const conv = w.layer('MobilenetV2/Logits/Conv2d_1c_1x1/BiasAdd', 'classifier', [1, 1, 1, cls.classes]);
      w.b.op('CONV_2D', [pooled, weight, bias], [conv], opt.conv2d({ padding: 'VALID', stride: 1, activation: 'NONE' }));
      logits = w.reshape(conv, [1, cls.classes], 'MobilenetV2/Logits/output');
    } else {
      const flat = w.reshape(pooled, [1, cls.inC], 'MobilenetV2/Logits/flatten');
      // Per-tensor int8 weights: what TFLite's converter writes for FULLY_CONNECTED by default.
      const [weight, bias] = w.weightsAndBias('MobilenetV2/Logits/Dense', flat, [cls.classes, cls.inC], cw.weight, cw.bias, 'tensor');
      logits = w.layer('MobilenetV2/Logits/output', 'classifier', [1, cls.classes]);
      w.b.op('FULLY_CONNECTED', [flat, weight, bias], [logits], opt.fullyConnected('NONE'));
    }
    out = logits;
    if (options.softmax ?? true) {
      out = w.activation('MobilenetV2/Predictions/Softmax', [1, cls.classes], options.int8 ? INT8_SOFTMAX_OUTPUT : null);
      w.b.op('SOFTMAX', [logits], [out], opt.softmax(1));
    }
  }
  const o = plan.options;
  const description = options.description ??
    `mobilenetv2 export: MobileNetV2 width ${o.width}, ${o.inputH}x${o.inputW}, ${cls ? `${cls.classes} classes` : 'features only'}, padding ${o.padding}${w.padOps.length ? ` (${w.padOps.length} explicit PAD ops)` : ''}, ${options.int8 ? `int8 post-training quantization (per-channel weights${options.int8.calibrationRuns ? `, calibrated on ${options.int8.calibrationRuns} inputs` : ''})` : 'float32'}`;
  return w.b.finish({ inputs: [input], outputs: [out, ...w.taps.filter((t) => t !== out)], description: description + randomMark(options.randomSeed) });
}

// ---------------------------------------------------------------------------------------------
// Mobile DeepLabv3

export interface DeeplabExportOptions {
  description?: string;
  randomSeed?: number;
  /** Also expose every layer output as a graph output named by its tap name (see ClassifierExportOptions.taps). */
  taps?: boolean;
}

/** Mobile DeepLabv3 as a float32 .tflite file whose output is the logits [1, H, W, classes] at the input size. */
export function exportDeeplabTflite(plan: DeeplabPlan, weights: MobileNetV2Weights, options: DeeplabExportOptions = {}): Uint8Array {
  checkWeights(plan.backbone, weights, 'export');
  checkDeeplabWeights(plan, weights, 'export');
  const w = new NetworkWriter('export', options.taps ?? false);
  const o = plan.options;
  const input = inputTensor(w, 'input', o.inputH, o.inputW);
  const { last: features } = w.backbone(plan.backbone, input, weights, 'MobilenetV2/');
  const [h, fw] = plan.featureShape;
  const mode = o.upsampling;

  const pooled = w.globalAvgPool(features, 'image_pooling/AvgPool', 'head.image_pooling.pool');
  const poolConv = w.conv(plan.imagePooling, pooled, weights.convs.get(plan.imagePooling.name), 'image_pooling');
  const branches = new Map<string, number>();
  branches.set('head.image_pooling.upsampled', w.resizeBilinear(poolConv, h, fw, mode, 'image_pooling/ResizeBilinear', 'head.image_pooling.upsampled'));
  branches.set(plan.aspp0.name, w.conv(plan.aspp0, features, weights.convs.get(plan.aspp0.name), 'aspp0'));
  plan.asppBranches.forEach((branch, i) => {
    let x = features;
    for (const c of branch) x = w.conv(c, x, weights.convs.get(c.name), `aspp${i + 1}${c.kind === 'depthwise' ? '_depthwise' : c.kind === 'pointwise' && branch.length > 1 ? '_pointwise' : ''}`);
    branches.set(branch[branch.length - 1]!.name, x);
  });
  const parts = plan.concatBranches.map((name) => {
    const t = branches.get(name);
    if (t === undefined) throw new Error(`internal: DeepLab branch ${name} was not emitted`);
    return t;
  });
  const concat = w.layer('concat', 'head.concat', [1, h, fw, o.depth * parts.length]);
  w.b.op('CONCATENATION', parts, [concat], opt.concatenation(3));
  const projected = w.conv(plan.projection, concat, weights.convs.get(plan.projection.name), 'concat_projection');
  const logits = w.conv(plan.logits, projected, weights.convs.get(plan.logits.name), 'logits/semantic');
  const out = w.resizeBilinear(logits, o.inputH, o.inputW, mode, 'ResizeBilinear', DEEPLAB_OUTPUT_TAP);
  const description = options.description ??
    `mobilenetv2 export: Mobile DeepLabv3, MobileNetV2 width ${o.width}, ${o.inputH}x${o.inputW}, output stride ${o.outputStride}, aspp ${o.aspp}, ${o.classes} classes, ${o.upsampling} upsampling, padding ${o.padding}, float32 logits`;
  return w.b.finish({ inputs: [input], outputs: [out, ...w.taps.filter((t) => t !== out)], description: description + randomMark(options.randomSeed) });
}

// ---------------------------------------------------------------------------------------------
// SSDLite

/**
 * The custom op's options as `export_tflite_ssd_graph.py` writes them for ssdlite_mobilenet_v2_coco:
 * its flags' defaults (max_detections 10, max_classes_per_detection 1, detections_per_class 100,
 * use_regular_nms false) and the config's post_processing / box_coder blocks (score 1e-8, IoU 0.6,
 * scales 10, 10, 5, 5). `slots` counts the background slot: num_classes = slots − 1.
 */
export function defaultDetectionPostProcessOptions(slots: number): DetectionPostProcessOptions {
  return {
    maxDetections: 10,
    maxClassesPerDetection: 1,
    detectionsPerClass: 100,
    useRegularNms: false,
    nmsScoreThreshold: 1e-8,
    nmsIouThreshold: 0.6,
    numClasses: slots - 1,
    yScale: SSD_BOX_CODER_SCALES.y,
    xScale: SSD_BOX_CODER_SCALES.x,
    hScale: SSD_BOX_CODER_SCALES.h,
    wScale: SSD_BOX_CODER_SCALES.w,
  };
}

/** The FlexBuffers custom options of TFLite_Detection_PostProcess (keys as the TF converter writes them). */
export function encodeDetectionPostProcessOptions(o: DetectionPostProcessOptions): Uint8Array {
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number' && !Number.isFinite(v)) throw usageError(`post-process option ${k} must be finite, got ${v}`);
  }
  for (const k of ['maxDetections', 'maxClassesPerDetection', 'detectionsPerClass', 'numClasses'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw usageError(`post-process option ${k} must be a positive integer, got ${o[k]}`);
  }
  return encodeFlexBufferMap({
    // Written by TF's converter for this op; the kernel ignores them.
    _output_quantized: { type: 'bool', value: true },
    _support_output_type_float_in_quantized_op: { type: 'bool', value: true },
    max_detections: { type: 'int', value: o.maxDetections },
    max_classes_per_detection: { type: 'int', value: o.maxClassesPerDetection },
    detections_per_class: { type: 'int', value: o.detectionsPerClass },
    use_regular_nms: { type: 'bool', value: o.useRegularNms },
    nms_score_threshold: { type: 'float', value: o.nmsScoreThreshold },
    nms_iou_threshold: { type: 'float', value: o.nmsIouThreshold },
    num_classes: { type: 'int', value: o.numClasses },
    y_scale: { type: 'float', value: o.yScale },
    x_scale: { type: 'float', value: o.xScale },
    h_scale: { type: 'float', value: o.hScale },
    w_scale: { type: 'float', value: o.wScale },
  });
}

export interface SsdliteExportOptions {
  /** The custom op's options; null = no post-process op (graph ends at the raw outputs). */
  postprocess: DetectionPostProcessOptions | null;
  /** Anchors written as the op's constant; default ssdliteAnchors(plan). */
  anchors?: SsdAnchors;
  /** Also make the box encodings, class logits and sigmoid scores graph outputs (after the op's four). */
  rawOutputs?: boolean;
  /** Also expose every conv/ADD output as a graph output named by its tap name, after all others. */
  taps?: boolean;
  description?: string;
  randomSeed?: number;
  /**
   * Write a full-integer int8 model (src/io/tflite/ptq.ts) from these calibrated ranges
   * (`calibrateSsdlite`): int8 input, per-channel int8 convs, int32 biases, each predictor's output
   * requantized (QUANTIZE) to its CONCATENATION's parameters, an int8 LOGISTIC (scale 1/256, zero
   * point −128), and DEQUANTIZE ops in front of the post-process op (see the function comment).
   */
  int8?: { ranges: ActivationRanges; calibrationRuns?: number };
}

/** Names of the graph outputs, in order, of an SSDLite export. */
export function ssdliteExportOutputNames(options: Pick<SsdliteExportOptions, 'postprocess' | 'rawOutputs'>): string[] {
  const raw = ['raw_outputs/box_encodings', 'concat_1', 'raw_outputs/class_predictions'];
  if (options.postprocess === null) return options.rawOutputs ? raw : [raw[0]!, raw[2]!];
  const op = [DETECTION_POSTPROCESS_CODE, `${DETECTION_POSTPROCESS_CODE}:1`, `${DETECTION_POSTPROCESS_CODE}:2`, `${DETECTION_POSTPROCESS_CODE}:3`];
  return options.rawOutputs ? [...op, ...raw] : op;
}

/**
 * SSDLite-MobileNetV2 as a .tflite file laid out like the TF OD API's exports (file comment): float32,
 * or with `int8` full-integer int8 as TFLite's converter quantizes it:
 *  - CONCATENATION: TFLite's int8 kernel refuses inputs whose scale or zero point differ from the
 *    output's (concatenation.cc Prepare: "no re-scaling needed for Int8 quantized kernel"), so, as
 *    the converter does for an op that must keep one scale, each predictor's RESHAPE output (which
 *    keeps the conv's parameters) is requantized by a QUANTIZE op to the concatenation's parameters,
 *    calibrated on the concatenated tensor ('head.box_encodings', 'head.class_logits'); SQUEEZE keeps them.
 *  - LOGISTIC: int8 output fixed at scale 1/256, zero point −128 (the kernel requires it).
 *  - TFLite_Detection_PostProcess: there is no quantized version of the op in TF2's converter ("The
 *    final post-processing op needs to run in float", TF team, tensorflow/models#9371), so the two
 *    int8 tensors reach it through DEQUANTIZE ops and the anchors stay float32. (TF1's uint8 files fed
 *    it uint8 directly; the kernel dequantizes those itself — the importer reads both layouts.)
 *  - the graph input is int8 (the converter's `inference_input_type=tf.int8`), as for the int8
 *    classifier: calibrated on [−1, 1] it has scale ≈ 2/255 and zero point −1, so a raw pixel p goes
 *    in as the byte p − 128 and the first layer reads exactly what the caller gave. (uint8 with a
 *    QUANTIZE op would add an int8 requantization — one more rounding — in front of the stem.)
 */
export function exportSsdliteTflite(plan: SsdlitePlan, weights: MobileNetV2Weights, options: SsdliteExportOptions): Uint8Array {
  checkSsdliteWeights(plan, weights, 'export');
  const anchors = options.anchors ?? ssdliteAnchors(plan);
  if (anchors.count !== plan.anchors) throw usageError(`export: ${anchors.count} anchors given, the plan predicts ${plan.anchors}`);
  const pp = options.postprocess;
  const K = plan.classes;
  if (pp && pp.numClasses !== K - 1 && pp.numClasses !== K) {
    throw usageError(`export: post-process num_classes ${pp.numClasses} does not fit ${K} class slots (expected ${K - 1} with a background slot, or ${K})`);
  }
  const w = new NetworkWriter('export', options.taps ?? false, options.int8?.ranges ?? null);
  const o = plan.options;
  const input = inputTensor(w, 'normalized_input_image_tensor', o.inputH, o.inputW);
  // int8: the concatenations' parameters, which every predictor part is requantized to.
  const boxQ = w.quantizationOf(SSD_OUTPUT_TAPS.boxEncodings);
  const classQ = w.quantizationOf(SSD_OUTPUT_TAPS.classLogits);
  const { byName } = w.backbone(plan.backbone, input, weights, 'FeatureExtractor/MobilenetV2/');

  const boxParts: number[] = [];
  const classParts: number[] = [];
  for (const c of plan.head as readonly SsdliteConv[]) {
    const src = byName.get(c.input);
    if (src === undefined) throw new Error(`internal: ${c.name} reads ${c.input}, which was not emitted`);
    const y = w.conv(c, src, weights.convs.get(c.name), c.tf);
    byName.set(c.name, y);
    if (c.part === 'box' || c.part === 'class') {
      const map = plan.featureMaps[c.featureMap]!;
      const n = map.anchorCount;
      const scope = `BoxPredictor_${c.featureMap}`;
      if (c.part === 'box') boxParts.push(w.requantize(w.reshape(y, [1, n, 1, 4], `${scope}/Reshape`), boxQ));
      else classParts.push(w.requantize(w.reshape(y, [1, n, K], `${scope}/Reshape_1`), classQ));
    }
  }
  const A = plan.anchors;
  const boxConcat = w.activation('concat', [1, A, 1, 4], boxQ);
  w.b.op('CONCATENATION', boxParts, [boxConcat], opt.concatenation(1));
  const boxEncodings = w.activation('raw_outputs/box_encodings', [1, A, 4], boxQ);
  w.b.op('SQUEEZE', [boxConcat], [boxEncodings], opt.squeeze([2]));
  const logits = w.activation('concat_1', [1, A, K], classQ);
  w.b.op('CONCATENATION', classParts, [logits], opt.concatenation(1));
  const scores = w.activation('raw_outputs/class_predictions', [1, A, K], options.int8 ? INT8_LOGISTIC_OUTPUT : null);
  w.b.op('LOGISTIC', [logits], [scores]);

  const raw = [boxEncodings, logits, scores];
  let outputs: number[];
  if (pp) {
    const anchorT = w.b.constantF32('anchors', [A, 4], anchors.centerSize);
    const M = pp.maxDetections * pp.maxClassesPerDetection;
    const outs = [
      w.b.activation(DETECTION_POSTPROCESS_CODE, [1, M, 4]),
      w.b.activation(`${DETECTION_POSTPROCESS_CODE}:1`, [1, M]),
      w.b.activation(`${DETECTION_POSTPROCESS_CODE}:2`, [1, M]),
      w.b.activation(`${DETECTION_POSTPROCESS_CODE}:3`, [1]),
    ];
    w.b.customOp(DETECTION_POSTPROCESS_CODE, [w.dequantize(boxEncodings), w.dequantize(scores), anchorT], outs, encodeDetectionPostProcessOptions(pp));
    outputs = options.rawOutputs ? [...outs, ...raw] : outs;
  } else {
    outputs = options.rawOutputs ? raw : [boxEncodings, scores];
  }
  const description = options.description ??
    `mobilenetv2 export: SSDLite-MobileNetV2 width ${o.width}, ${o.inputH}x${o.inputW}, ${K} class slots, ${A} anchors, padding ${o.padding}, ${options.int8 ? `int8 post-training quantization (per-channel weights${options.int8.calibrationRuns ? `, calibrated on ${options.int8.calibrationRuns} inputs` : ''})` : 'float32'}${pp ? `, ${DETECTION_POSTPROCESS_CODE} (${pp.useRegularNms ? 'regular' : 'fast'} NMS)` : ', raw outputs'}`;
  return w.b.finish({ inputs: [input], outputs: [...outputs, ...w.taps], description: description + randomMark(options.randomSeed) });
}

// ---------------------------------------------------------------------------------------------
// Seeded random weights (testing kernels and pipelines only — they detect/classify nothing)

/** The seeded PRNG of random weights (src/model/random.ts), where callers found it. */
export { seededUniform };

export interface RandomWeightOptions {
  /** Per-conv adjustment of the weight scale (multiplies the fan-in scale) and the bias range. */
  adjust?: (c: ConvPlan) => { weightGain?: number; biasCenter?: number; biasSpread?: number } | undefined;
}

/**
 * Seeded random folded weights for a list of convs: weights uniform with variance gain²/fan_in
 * (gain √2 before ReLU/ReLU6, 1 for linear convs), biases uniform in ±0.1. The scale keeps
 * activations of order 1 through the network, so numerical comparisons are meaningful. These
 * weights are for testing kernels, exporters and pipelines; they recognise nothing.
 */
export function randomConvWeights(convs: readonly ConvPlan[], seed: number, options: RandomWeightOptions = {}): Map<string, ConvWeights> {
  const rand = seededUniform(seed);
  const out = new Map<string, ConvWeights>();
  for (const c of convs) {
    const fanIn = c.kind === 'depthwise' ? c.kernel * c.kernel : c.inC * c.kernel * c.kernel;
    const adj = options.adjust?.(c) ?? {};
    const gain = (c.activation === 'linear' ? 1 : Math.SQRT2) * (adj.weightGain ?? 1);
    const a = gain * Math.sqrt(3 / fanIn);
    const weight = new Float32Array(convWeightShape(c).reduce((p, d) => p * d, 1));
    for (let i = 0; i < weight.length; i++) weight[i] = (2 * rand() - 1) * a;
    const bias = new Float32Array(c.outC);
    const center = adj.biasCenter ?? 0;
    const spread = adj.biasSpread ?? 0.1;
    for (let i = 0; i < bias.length; i++) bias[i] = center + (2 * rand() - 1) * spread;
    out.set(c.name, { weight, bias });
  }
  return out;
}

/**
 * Seeded random SSDLite weights that produce a handful of confident detections on most inputs:
 * box codes of order 0.5 (boxes near their anchors), class logits centred at −4 with a spread that
 * lets some anchors pass 0.5 after the sigmoid. For testing only.
 */
export function randomSsdliteWeights(plan: SsdlitePlan, seed: number): MobileNetV2Weights {
  const convs = randomConvWeights(plan.convs, seed, {
    adjust: (c) => {
      const part = (c as Partial<SsdliteConv>).part;
      if (part === 'box') return { weightGain: 0.5, biasSpread: 0.2 };
      if (part === 'class') return { weightGain: 0.5, biasCenter: -3, biasSpread: 1.5 };
      return undefined;
    },
  });
  // The class 1×1 reads ReLU6 outputs (all ≥ 0), so a row of weights with a positive sum would lift
  // that class on every anchor; zero-mean rows let the winning class vary from anchor to anchor.
  for (const c of plan.head) {
    if (c.part !== 'class') continue;
    const w = convs.get(c.name)!.weight;
    for (let o = 0; o < c.outC; o++) {
      const row = w.subarray(o * c.inC, (o + 1) * c.inC);
      const mean = row.reduce((s, v) => s + v, 0) / c.inC;
      for (let i = 0; i < row.length; i++) row[i] = row[i]! - mean;
    }
  }
  return { convs, classifier: null };
}

/** Seeded random classifier weights (backbone convs + classifier), for testing only. */
export function randomClassifierWeights(plan: MobileNetV2Plan, seed: number): MobileNetV2Weights {
  const convs = randomConvWeights(plan.blocks.flatMap((b) => b.convs), seed);
  const cls = plan.classifier;
  if (!cls) return { convs, classifier: null };
  const rand = seededUniform(seed ^ 0x5eed);
  const a = Math.sqrt(3 / cls.inC);
  const weight = Float32Array.from({ length: cls.classes * cls.inC }, () => (2 * rand() - 1) * a);
  const bias = Float32Array.from({ length: cls.classes }, () => (2 * rand() - 1) * 0.1);
  return { convs, classifier: { weight, bias } };
}

/** Seeded random Mobile DeepLabv3 weights (backbone to features.17 + head), for testing only. */
export function randomDeeplabWeights(plan: DeeplabPlan, seed: number): MobileNetV2Weights {
  const convs = randomConvWeights([...plan.backbone.blocks.flatMap((b) => b.convs), ...plan.headConvs], seed);
  return { convs, classifier: null };
}
