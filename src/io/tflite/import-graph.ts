// SPDX-License-Identifier: Apache-2.0
/**
 * What every TFLite importer shares (import.ts for the classifier/DeepLab/features graphs,
 * import-ssd.ts for SSD detectors): the imported-model record, the graph view with its dataflow
 * queries, exact dequantization (real = scale·(q − zero_point)), the conv matcher and the backbone
 * walk. Both importers import this file and neither imports the other's internals, so the arrows
 * point one way (import.ts → import-ssd.ts → import-graph.ts).
 */
import { BuiltinOperator, tensorData, type DetectionPostProcessOptions, type TfliteModel, type TfliteOperator, type TfliteTensor } from './model.js';
import { decodeFloat16LE } from '../float16.js';
import type { ConvPlan, MobileNetV2Plan } from '../../model/plan.js';
import type { Pad4 } from '../../../kernels/geometry.js';
import { tfSamePads } from '../../../kernels/geometry.js';
import type { MobileNetV2Weights } from '../../model/weights.js';
import type { DeeplabPlan } from '../../model/deeplab.js';
import type { SsdlitePlan } from '../../model/ssdlite.js';
import type { SsdAnchors } from '../../model/ssd/anchors.js';
import type { IntegerNetwork } from '../../model/integer.js';
import { fmtShape, formatError, unsupportedError, valueError } from '../../errors.js';

export type ImportedHead = 'classifier' | 'features' | 'deeplab' | 'ssdlite';

export interface ImportedInput {
  readonly name: string;
  /** [1, H, W, 3] */
  readonly shape: readonly number[];
  readonly type: 'FLOAT32' | 'UINT8' | 'INT8';
  /** real = scale·(q − zeroPoint) for quantized inputs; null for float inputs. */
  readonly quantization: { readonly scale: number; readonly zeroPoint: number } | null;
}

export interface ImportedModel {
  readonly source: string;
  readonly head: ImportedHead;
  /** The backbone (and classifier, for head 'classifier'). */
  readonly plan: MobileNetV2Plan;
  /** Present for head 'deeplab'. */
  readonly deeplab: DeeplabPlan | null;
  /** Present for head 'ssdlite' (import-ssd.ts): the SSDLite plan, anchors and post-process options. */
  readonly ssdlite: ImportedSsdlite | null;
  readonly weights: MobileNetV2Weights;
  readonly input: ImportedInput;
  /** Weights were stored quantized (uint8/int8) and dequantized on import. */
  readonly quantized: boolean;
  /**
   * The file's integer network (8-bit weights, int32 biases, every tensor's quantization by step
   * name) for the integer arithmetic; null for float files (and files loaded with allowNonFinite).
   */
  readonly integer: IntegerNetwork | null;
  /** What the file's graph ends with after the logits (the float path always returns logits). */
  readonly outputs: { readonly softmax: boolean; readonly argmax: boolean };
  /** How the graph was recognised, for `info`-like printing. */
  readonly summary: string;
  /** The file's own description string (TFLite Model.description), e.g. our exporter's RANDOM-weights mark. */
  readonly description: string | null;
}

// ---------------------------------------------------------------------------------------------
// Graph access

/**
 * The interpreter runs operators in file order, so a runnable graph writes every tensor at most
 * once, never writes a constant or a graph input, and reads only constants, graph inputs, variable
 * tensors and outputs of earlier operators. Checking this once makes the graph acyclic: every walk
 * from a tensor to its readers moves to a later operator, so no walk takes more steps than there
 * are operators (a file whose operator reads its own output once made a walk grow without end).
 */
function checkExecutionOrder(model: TfliteModel, ops: readonly TfliteOperator[], tensors: readonly TfliteTensor[], graphInputs: readonly number[]): void {
  const available = new Set<number>(graphInputs);
  for (const t of tensors) {
    if (t.isVariable || (model.buffers[t.buffer]?.byteLength ?? 0) > 0) available.add(t.index);
  }
  const writer = new Map<number, number>();
  const name = (i: number): string => `tensor #${i}${tensors[i]?.name ? ` '${tensors[i]!.name}'` : ''}`;
  for (const op of ops) {
    for (const i of op.inputs) {
      if (i < 0 || available.has(i) || writer.has(i)) continue;
      throw formatError(`${model.source}: operator #${op.index} (${op.opName}) reads ${name(i)}, which no earlier operator writes and which is neither a constant nor a graph input (operators must be in execution order)`);
    }
    for (const o of op.outputs) {
      const previous = writer.get(o);
      if (previous !== undefined) throw formatError(`${model.source}: operator #${op.index} (${op.opName}) writes ${name(o)}, already written by operator #${previous}`);
      if (available.has(o) && !tensors[o]?.isVariable) throw formatError(`${model.source}: operator #${op.index} (${op.opName}) writes ${name(o)}, which is a constant or a graph input`);
      writer.set(o, op.index);
    }
  }
}

export class Graph {
  readonly consumers = new Map<number, TfliteOperator[]>();
  readonly used = new Set<number>();
  /** Output tensor of an identity op (QUANTIZE/DEQUANTIZE) → its input. */
  private readonly alias = new Map<number, number>();

  constructor(
    readonly model: TfliteModel, readonly ops: readonly TfliteOperator[], readonly tensors: readonly TfliteTensor[],
    graphInputs: readonly number[] = [], readonly options: ImportOptions = {},
  ) {
    checkExecutionOrder(model, ops, tensors, graphInputs);
    for (const op of ops) {
      if (op.builtinCode === BuiltinOperator.QUANTIZE || op.builtinCode === BuiltinOperator.DEQUANTIZE) {
        this.alias.set(op.outputs[0]!, op.inputs[0]!);
      }
      for (const t of op.inputs) {
        if (t < 0) continue;
        const list = this.consumers.get(t) ?? [];
        list.push(op);
        this.consumers.set(t, list);
      }
    }
  }

  resolve(t: number): number {
    let r = t;
    for (let guard = 0; this.alias.has(r) && guard < 64; guard++) r = this.alias.get(r)!;
    return r;
  }

  /** Ops reading tensor t, looking through identity ops; each tensor is visited once, so a walk costs O(operators). */
  readers(t: number): TfliteOperator[] {
    const out: TfliteOperator[] = [];
    const seen = new Set<number>();
    const visit = (tensor: number, depth: number): void => {
      if (seen.has(tensor)) return;
      seen.add(tensor);
      for (const op of this.consumers.get(tensor) ?? []) {
        if ((op.builtinCode === BuiltinOperator.QUANTIZE || op.builtinCode === BuiltinOperator.DEQUANTIZE) && depth < 8) {
          visit(op.outputs[0]!, depth + 1);
        } else out.push(op);
      }
    };
    visit(t, 0);
    return out;
  }

  markIdentityPath(from: number, to: number): void {
    // Mark the QUANTIZE/DEQUANTIZE ops between two tensors as explained.
    let t = to;
    for (let guard = 0; t !== from && this.alias.has(t) && guard < 64; guard++) {
      const op = this.ops.find((o) => o.outputs[0] === t)!;
      this.used.add(op.index);
      t = this.alias.get(t)!;
    }
  }

  describe(op: TfliteOperator): string {
    const out = this.tensors[op.outputs[0]!];
    return `operator #${op.index} (${op.opName}${out ? ` → '${out.name}' ${fmtShape(out.shape)}` : ''})`;
  }

  tensor(i: number): TfliteTensor {
    const t = this.tensors[i];
    if (!t) throw formatError(`${this.model.source}: tensor index ${i} out of range`);
    return t;
  }
}

/** A mismatch while trying one plan: which operator, what was expected and found. */
export class Mismatch {
  constructor(readonly message: string, readonly matchedConvs: number) {}
}

// ---------------------------------------------------------------------------------------------
// Dequantization

export interface ImportOptions {
  /**
   * Load weights, biases and quantization scales that are NaN or ±Inf instead of refusing the file
   * (for studying broken files; results computed from them are still refused). Default false.
   */
  readonly allowNonFinite?: boolean;
}

const QUANTIZED_RANGE: Partial<Record<TfliteTensor['type'], readonly [number, number]>> = {
  UINT8: [0, 255], INT8: [-128, 127], INT16: [-32768, 32767], INT32: [-(2 ** 31), 2 ** 31 - 1],
};

/**
 * The quantization of a quantized tensor, checked before any value is used: scales > 0 (and
 * finite unless allowNonFinite), zero points integers within the tensor type, one zero point or
 * one per scale, and per-channel scales matching the channels along quantized_dimension.
 */
export function checkQuantization(model: TfliteModel, t: TfliteTensor, options: ImportOptions = {}): void {
  const q = t.quantization;
  const at = `${model.source}: tensor '${t.name}' (#${t.index})`;
  if (!q || q.scale.length === 0) throw formatError(`${at}: ${t.type} tensor has no quantization scale`);
  const allow = options.allowNonFinite === true;
  const bad = q.scale.findIndex((s) => (Number.isNaN(s) ? !allow : !(s > 0) || (!allow && s === Infinity)));
  if (bad >= 0) {
    throw valueError(`${at}: quantization scale ${q.scale.length > 1 ? `[${bad}] ` : ''}is ${q.scale[bad]}; scales must be finite and > 0`);
  }
  if (q.zeroPoint.length !== 0 && q.zeroPoint.length !== 1 && q.zeroPoint.length !== q.scale.length) {
    throw formatError(`${at}: ${q.zeroPoint.length} zero points for ${q.scale.length} scales`);
  }
  const range = QUANTIZED_RANGE[t.type];
  const zpBad = range ? q.zeroPoint.findIndex((z) => !Number.isInteger(z) || z < range[0] || z > range[1]) : -1;
  if (range && zpBad >= 0) {
    throw valueError(`${at}: zero point ${q.zeroPoint.length > 1 ? `[${zpBad}] ` : ''}is ${q.zeroPoint[zpBad]}, outside ${t.type}'s [${range[0]}, ${range[1]}]`);
  }
  if (q.scale.length > 1) {
    const axis = q.quantizedDimension;
    const dims = t.shape;
    if (axis < 0 || axis >= dims.length || dims[axis] !== q.scale.length) {
      throw formatError(`${model.source}: tensor '${t.name}' ${fmtShape(dims)} has ${q.scale.length} per-channel scales along dimension ${axis}`);
    }
  }
}

/**
 * real = scale·(q − zero_point), per tensor or per channel along quantized_dimension; float tensors
 * are copied. Every value must come out finite (VALUE error naming the tensor and the first bad
 * index) unless options.allowNonFinite.
 */
export function dequantizeTensor(model: TfliteModel, t: TfliteTensor, options: ImportOptions = {}): Float32Array {
  const out = dequantizeValues(model, t, options);
  if (!options.allowNonFinite) {
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i]!)) {
        throw valueError(`${model.source}: tensor '${t.name}' (#${t.index}, ${t.type} ${fmtShape(t.shape)}) has ${out[i]} at index ${i}${t.quantization && t.type !== 'FLOAT32' && t.type !== 'FLOAT16' ? ' after dequantization' : ''}; weights must be finite (ImportOptions.allowNonFinite loads such files anyway)`);
      }
    }
  }
  return out;
}

function dequantizeValues(model: TfliteModel, t: TfliteTensor, options: ImportOptions): Float32Array {
  const data = tensorData(model, t.index);
  if (data === null) throw formatError(`${model.source}: constant tensor '${t.name}' has no data`);
  if (t.type === 'FLOAT32') return data as Float32Array;
  if (t.type === 'FLOAT16') {
    const bits = data as Uint16Array;
    return decodeFloat16LE(new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength), 0, bits.length);
  }
  if (t.type !== 'UINT8' && t.type !== 'INT8' && t.type !== 'INT32') {
    throw unsupportedError(`${model.source}: tensor '${t.name}' has type ${t.type}; weights must be FLOAT32, FLOAT16, UINT8, INT8 or INT32`);
  }
  checkQuantization(model, t, options);
  const q = t.quantization!;
  const values = data as Uint8Array | Int8Array | Int32Array;
  const out = new Float32Array(values.length);
  if (q.scale.length === 1) {
    const scale = q.scale[0]!;
    const zp = q.zeroPoint[0] ?? 0;
    for (let i = 0; i < values.length; i++) out[i] = scale * (values[i]! - zp);
    return out;
  }
  const dims = t.shape;
  const axis = q.quantizedDimension;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channels = dims[axis]!;
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    out[i] = q.scale[c]! * (values[i]! - (q.zeroPoint[c] ?? 0));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Backbone matching

const FUSED: Record<string, string> = { relu6: 'RELU6', relu: 'RELU', linear: 'NONE' };

export interface MatchedConv {
  readonly plan: ConvPlan;
  readonly op: TfliteOperator;
  /** An explicit PAD operator feeding the conv (exports of symmetric padding: PAD + VALID conv). */
  readonly pad: TfliteOperator | null;
}

export interface BackboneMatch {
  plan: MobileNetV2Plan;
  convs: MatchedConv[];
  /** The shortcut ADD of each residual block, by block name. */
  adds: Array<{ name: string; op: TfliteOperator }>;
  /** The tensor that ends each block (its ADD, or its projection). */
  blockOutputs: Map<string, number>;
  usedOps: Set<number>;
  output: number;
  complete: boolean; // reached features.18
}

/**
 * The four-sided zero padding an operator applies: an optional explicit PAD (its [4, 2] int32
 * paddings; batch and channel pads must be 0) plus the conv's own SAME (TF's asymmetric rule on the
 * tensor it reads) or VALID. Returns a message instead when the PAD is not a spatial zero pad.
 */
function effectivePads(g: Graph, op: TfliteOperator, pad: TfliteOperator | null, kernel: number, stride: number, dilation: number): Pad4 | string {
  let top = 0, bottom = 0, left = 0, right = 0;
  if (pad) {
    const p = g.tensor(pad.inputs[1]!);
    const v = tensorData(g.model, p.index);
    if (!v || (p.type !== 'INT32' && p.type !== 'INT64') || p.shape.join() !== '4,2') return `${g.describe(pad)}: paddings must be a constant [4, 2] tensor`;
    const n = Array.from(v as ArrayLike<number | bigint>, (x) => Number(x));
    if (n[0] !== 0 || n[1] !== 0 || n[6] !== 0 || n[7] !== 0) return `${g.describe(pad)}: pads the batch or channel axis`;
    [top, bottom, left, right] = [n[2]!, n[3]!, n[4]!, n[5]!];
  }
  const o = op.options;
  if (o && (o.kind === 'Conv2D' || o.kind === 'DepthwiseConv2D') && o.padding === 'SAME') {
    const inT = g.tensor(op.inputs[0]!);
    const [h, w] = [inT.shape[1]!, inT.shape[2]!];
    const [t, b] = tfSamePads(h, kernel, stride, dilation);
    const [l, r] = tfSamePads(w, kernel, stride, dilation);
    top += t; bottom += b; left += l; right += r;
  }
  return { top, bottom, left, right };
}

const fmtPad = (p: Pad4): string => `(top ${p.top}, bottom ${p.bottom}, left ${p.left}, right ${p.right})`;

export function checkConvOp(g: Graph, op: TfliteOperator, c: ConvPlan, expectedInput: number, pad: TfliteOperator | null = null): string | null {
  const want = c.kind === 'depthwise' ? BuiltinOperator.DEPTHWISE_CONV_2D : BuiltinOperator.CONV_2D;
  const what = `${c.name} (${c.role} ${c.kind} ${c.kernel}×${c.kernel}, ${c.inC}→${c.outC}, stride ${c.stride}, dilation ${c.dilation}, ${c.activation})`;
  if (op.builtinCode !== want) return `${g.describe(op)}: expected ${what}`;
  const reads = pad ? (g.resolve(pad.inputs[0]!) === g.resolve(expectedInput) && g.resolve(op.inputs[0]!) === g.resolve(pad.outputs[0]!)) : g.resolve(op.inputs[0]!) === g.resolve(expectedInput);
  if (!reads) return `${g.describe(op)}: does not read the output of the previous layer (expected ${what})`;
  const o = op.options;
  if (!o || (o.kind !== 'Conv2D' && o.kind !== 'DepthwiseConv2D')) return `${g.describe(op)}: has no conv options`;
  const w = g.tensor(op.inputs[1]!);
  const shape = c.kind === 'depthwise' ? [1, c.kernel, c.kernel, c.outC] : [c.outC, c.kernel, c.kernel, c.inC];
  if (w.shape.length !== 4 || w.shape.some((d, i) => d !== shape[i])) return `${g.describe(op)}: weights ${fmtShape(w.shape)}, expected ${fmtShape(shape)} for ${what}`;
  if (o.strideH !== c.stride || o.strideW !== c.stride) return `${g.describe(op)}: stride ${o.strideH}×${o.strideW}, expected ${c.stride} for ${what}`;
  if (o.dilationHFactor !== c.dilation || o.dilationWFactor !== c.dilation) return `${g.describe(op)}: dilation ${o.dilationHFactor}×${o.dilationWFactor}, expected ${c.dilation} for ${what}`;
  const pads = effectivePads(g, op, pad, c.kernel, c.stride, c.dilation);
  if (typeof pads === 'string') return pads;
  const p = c.geometry.pad;
  if (pads.top !== p.top || pads.bottom !== p.bottom || pads.left !== p.left || pads.right !== p.right) {
    return `${g.describe(op)}: pads ${fmtPad(pads)}, expected ${fmtPad(p)} for ${what} with ${c.geometry.inH}×${c.geometry.inW} input`;
  }
  if (o.fusedActivation !== FUSED[c.activation]) return `${g.describe(op)}: fused activation ${o.fusedActivation}, expected ${FUSED[c.activation]} for ${what}`;
  if (o.kind === 'DepthwiseConv2D' && o.depthMultiplier !== 1 && o.depthMultiplier !== 0) return `${g.describe(op)}: depth multiplier ${o.depthMultiplier}, expected 1`;
  return null;
}

/**
 * Follows the plan through the graph; returns how far it got. Operators in `exclude` are never
 * taken as backbone layers (the SSD importer passes its predictors, which read a backbone tensor).
 */
export function walkBackbone(g: Graph, plan: MobileNetV2Plan, input: number, exclude: ReadonlySet<number> = new Set()): BackboneMatch | Mismatch {
  let cur = input;
  const convs: MatchedConv[] = [];
  const adds: Array<{ name: string; op: TfliteOperator }> = [];
  const blockOutputs = new Map<string, number>();
  const usedOps = new Set<number>();
  let blocksDone = 0;
  for (const b of plan.blocks) {
    const blockIn = cur;
    for (const c of b.convs) {
      const readers = g.readers(cur).filter((op) => !usedOps.has(op.index) && !exclude.has(op.index));
      // A conv reads the tensor directly, or through an explicit PAD (symmetric padding exported as PAD + VALID).
      const isConv = (op: TfliteOperator) => op.builtinCode === BuiltinOperator.CONV_2D || op.builtinCode === BuiltinOperator.DEPTHWISE_CONV_2D;
      const candidates: Array<{ op: TfliteOperator; pad: TfliteOperator | null }> = [];
      for (const op of readers) {
        if (isConv(op)) candidates.push({ op, pad: null });
        else if (op.builtinCode === BuiltinOperator.PAD) {
          for (const next of g.readers(op.outputs[0]!)) if (isConv(next) && !exclude.has(next.index)) candidates.push({ op: next, pad: op });
        }
      }
      let problem: string | null = readers.length === 0 ? `nothing reads the output of ${convs[convs.length - 1]?.plan.name ?? 'the input'} (expected ${c.name})` : null;
      let matched: { op: TfliteOperator; pad: TfliteOperator | null } | null = null;
      for (const cand of candidates.length ? candidates : readers.map((op) => ({ op, pad: null }))) {
        const p = checkConvOp(g, cand.op, c, cur, cand.pad);
        if (p === null) { matched = cand; break; }
        problem ??= p;
      }
      if (!matched) {
        // The backbone may legitimately end after features.17 (DeepLab's "V2*" feature map).
        if (b.index === 18 && blocksDone === 18) return { plan, convs, adds, blockOutputs, usedOps, output: cur, complete: false };
        return new Mismatch(problem ?? `${c.name}: no matching operator`, convs.length);
      }
      usedOps.add(matched.op.index);
      if (matched.pad) usedOps.add(matched.pad.index);
      convs.push({ plan: c, op: matched.op, pad: matched.pad });
      cur = matched.op.outputs[0]!;
    }
    if (b.residual) {
      const add = g.readers(cur).find((op) => op.builtinCode === BuiltinOperator.ADD && !usedOps.has(op.index));
      const ins = add ? add.inputs.map((t) => g.resolve(t)) : [];
      if (!add || ins.length !== 2 || !ins.includes(g.resolve(cur)) || !ins.includes(g.resolve(blockIn))) {
        return new Mismatch(`${b.name}: expected the shortcut ADD of the projection output and the block input${add ? `, found ${g.describe(add)} with other inputs` : ''}`, convs.length);
      }
      const o = add.options;
      if (o && o.kind === 'Add' && o.fusedActivation !== 'NONE') return new Mismatch(`${g.describe(add)}: fused activation ${o.fusedActivation} on the shortcut, expected NONE (linear bottleneck)`, convs.length);
      usedOps.add(add.index);
      adds.push({ name: b.name, op: add });
      cur = add.outputs[0]!;
    }
    blockOutputs.set(b.name, cur);
    blocksDone++;
  }
  return { plan, convs, adds, blockOutputs, usedOps, output: cur, complete: true };
}

export interface ImportedSsdlite {
  readonly plan: SsdlitePlan;
  /** The anchors post-processing uses: the file's constant when present, else generated. */
  readonly anchors: SsdAnchors;
  readonly anchorsSource: 'file' | 'generated';
  /** The file's TFLite_Detection_PostProcess options; null when the graph ends at the raw outputs. */
  readonly postprocess: DetectionPostProcessOptions | null;
  /**
   * Options for TFLite-style post-processing of this model: the file's, or, without the op, the TF
   * config's values in the op's form (fast NMS, 100 detections, score 1e-8, IoU 0.6, 10/10/5/5).
   */
  readonly postprocessDefaults: DetectionPostProcessOptions;
  /** What turns the predictor logits into the scores the op (or the raw output) carries. */
  readonly scoreConverter: 'sigmoid' | 'identity';
}

/**
 * TFLite's own consistency rule for a quantized conv / fully connected layer (kernel_util.cc,
 * GetQuantizedConvolutionMultipler): per channel, |input scale · weight scale − bias scale| ≤ 0.02 ·
 * output scale, since the int32 bias is added to the int32 products at the bias scale. A weight
 * scale that is finite and positive but wrong (1e30) breaks it, where it would otherwise only
 * saturate every ReLU6 and answer quietly wrong.
 */
function checkConvScales(g: Graph, op: TfliteOperator): void {
  const [inT, wT, bT, outT] = [op.inputs[0], op.inputs[1], op.inputs[2], op.outputs[0]].map((i) => (i !== undefined && i >= 0 ? g.tensors[i] : undefined));
  const [iq, wq, bq, oq] = [inT, wT, bT, outT].map((t) => (t && t.type !== 'FLOAT32' && t.type !== 'FLOAT16' ? t.quantization : null));
  if (!iq || !wq || !bq || !oq || iq.scale.length !== 1 || oq.scale.length !== 1) return;
  for (const t of [inT!, wT!, bT!, outT!]) checkQuantization(g.model, t, g.options); // each scale on its own first
  for (let c = 0; c < Math.max(wq.scale.length, bq.scale.length); c++) {
    const product = iq.scale[0]! * (wq.scale[c] ?? wq.scale[0]!);
    const biasScale = bq.scale[c] ?? bq.scale[0]!;
    if (g.options.allowNonFinite && !(Number.isFinite(product) && Number.isFinite(biasScale))) continue;
    if (!(Math.abs(product - biasScale) <= 0.02 * oq.scale[0]!)) {
      throw valueError(`${g.model.source}: ${g.describe(op)}: input scale × weight scale${wq.scale.length > 1 ? `[${c}]` : ''} of '${wT!.name}' is ${product} but the bias '${bT!.name}' has scale ${biasScale}; TFLite requires them to agree within 0.02 × the output scale ${oq.scale[0]}`);
    }
  }
}

export function weightAndBias(g: Graph, op: TfliteOperator, outC: number): { weight: Float32Array; bias: Float32Array } {
  checkConvScales(g, op);
  const weight = dequantizeTensor(g.model, g.tensor(op.inputs[1]!), g.options);
  const biasIndex = op.inputs[2] ?? -1;
  const bias = biasIndex >= 0 ? dequantizeTensor(g.model, g.tensor(biasIndex), g.options) : new Float32Array(outC);
  if (bias.length !== outC) throw formatError(`${g.model.source}: ${g.describe(op)}: bias has ${bias.length} values, expected ${outC}`);
  return { weight, bias };
}
