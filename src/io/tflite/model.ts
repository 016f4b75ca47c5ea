// SPDX-License-Identifier: Apache-2.0
/**
 * Reads the subset of the TensorFlow Lite schema this project needs into plain typed objects.
 *
 * Field ids below are declaration positions in schema.fbs (deprecated fields keep their slot; a
 * union takes two: `<name>_type` then `<name>`):
 *   Model:        version 0, operator_codes 1, subgraphs 2, description 3, buffers 4
 *   OperatorCode: deprecated_builtin_code 0 (int8), custom_code 1, version 2 (default 1), builtin_code 3 (int32)
 *   SubGraph:     tensors 0, inputs 1, outputs 2, operators 3, name 4
 *   Tensor:       shape 0, type 1, buffer 2, name 3, quantization 4, is_variable 5, sparsity 6, shape_signature 7
 *   QuantizationParameters: min 0, max 1, scale 2, zero_point 3 (int64), details_type 4, details 5, quantized_dimension 6
 *   Operator:     opcode_index 0, inputs 1, outputs 2, builtin_options_type 3, builtin_options 4,
 *                 custom_options 5, custom_options_format 6, mutating_variable_inputs 7, intermediates 8,
 *                 large_custom_options_offset 9, large_custom_options_size 10
 *   Buffer:       data 0, offset 1, size 2 (offset/size are used by files larger than 2 GB)
 *
 * Everything read is validated (see flatbuffer.ts); on top of that the cross-references are checked:
 * operator opcode indices, tensor indices (−1 allowed for optional operator inputs), tensor buffer
 * indices, non-negative shapes, enum values within the schema. Errors are MobileNetV2Error FORMAT.
 */
import { formatError, fmtShape, unsupportedError, usageError } from '../../errors.js';
import { FbTable, FlatBufferReader, type FlatBufferLimits } from './flatbuffer.js';
import { readFlexBuffer, type FlexValue } from './flexbuffer.js';
import {
  ACTIVATIONS, BuiltinOperator, BuiltinOptionsType, FC_WEIGHTS_FORMATS, PADDINGS, TENSOR_TYPES,
  builtinOperatorName,
  type Activation, type FullyConnectedWeightsFormat, type Padding, type TensorType,
} from './schema.js';

export type { Activation, FullyConnectedWeightsFormat, Padding, TensorType } from './schema.js';
export { BuiltinOperator, BuiltinOptionsType, TENSOR_TYPES, builtinOperatorName } from './schema.js';

export const TFLITE_FILE_IDENTIFIER = 'TFL3';

export interface TfliteOperatorCode {
  /** max(deprecated_builtin_code, builtin_code), as the schema prescribes. */
  builtinCode: number;
  /** 'CONV_2D', …; for CUSTOM ops the custom code (e.g. 'TFLite_Detection_PostProcess'). */
  name: string;
  customCode: string | null;
  version: number;
}

export interface TfliteQuantization {
  scale: number[];
  /** int64 in the file; every value checked to be a safe integer. */
  zeroPoint: number[];
  quantizedDimension: number;
  min: number[] | null;
  max: number[] | null;
  /** QuantizationDetails union type (1 = CustomQuantization); 0 = none. */
  detailsType: number;
}

export interface TfliteTensor {
  index: number;
  name: string;
  type: TensorType;
  shape: number[];
  /** −1 marks unknown dimensions; null when the file has no signature. */
  shapeSignature: number[] | null;
  /** Index into model.buffers; 0 (the empty sentinel) for activations. */
  buffer: number;
  /** null when absent or when it carries no scale (float tensors). */
  quantization: TfliteQuantization | null;
  isVariable: boolean;
  isSparse: boolean;
}

export type OperatorOptions =
  | { kind: 'Conv2D'; padding: Padding; strideW: number; strideH: number; dilationWFactor: number; dilationHFactor: number; fusedActivation: Activation }
  | { kind: 'DepthwiseConv2D'; padding: Padding; strideW: number; strideH: number; depthMultiplier: number; dilationWFactor: number; dilationHFactor: number; fusedActivation: Activation }
  | { kind: 'Pool2D'; padding: Padding; strideW: number; strideH: number; filterWidth: number; filterHeight: number; fusedActivation: Activation }
  | { kind: 'FullyConnected'; fusedActivation: Activation; weightsFormat: FullyConnectedWeightsFormat; keepNumDims: boolean; asymmetricQuantizeInputs: boolean }
  | { kind: 'Softmax'; beta: number }
  | { kind: 'Concatenation'; axis: number; fusedActivation: Activation }
  | { kind: 'Add'; fusedActivation: Activation; potScaleInt16: boolean }
  | { kind: 'Mul'; fusedActivation: Activation }
  | { kind: 'Sub'; fusedActivation: Activation; potScaleInt16: boolean }
  | { kind: 'ResizeBilinear'; alignCorners: boolean; halfPixelCenters: boolean }
  | { kind: 'ResizeNearestNeighbor'; alignCorners: boolean; halfPixelCenters: boolean }
  | { kind: 'Reshape'; newShape: number[] | null }
  | { kind: 'Reducer'; keepDims: boolean }
  | { kind: 'Squeeze'; squeezeDims: number[] }
  | { kind: 'ArgMax'; outputType: TensorType }
  | { kind: 'Pad' }
  | { kind: 'Quantize' }
  | { kind: 'Dequantize' }
  /** A union member we do not decode; `unionType` is the BuiltinOptions type value. */
  | { kind: 'Other'; unionType: number };

export interface TfliteOperator {
  index: number;
  opcodeIndex: number;
  /** Same as operatorCodes[opcodeIndex].builtinCode. */
  builtinCode: number;
  /** 'CONV_2D', … or the custom code for custom ops. */
  opName: string;
  /** Tensor indices; −1 = optional input absent. */
  inputs: number[];
  outputs: number[];
  intermediates: number[];
  /** Decoded builtin options, or null when the operator has none. */
  options: OperatorOptions | null;
  /** Raw custom_options bytes (a view of the input), or null. */
  customOptions: Uint8Array | null;
  /** 0 = FLEXBUFFERS. */
  customOptionsFormat: number;
}

export interface TfliteSubgraph {
  name: string | null;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
}

export interface TfliteModel {
  source: string;
  byteLength: number;
  version: number;
  description: string | null;
  operatorCodes: TfliteOperatorCode[];
  /** Buffer contents as views of the input bytes (length 0 = no data); validated to lie inside it. */
  buffers: Uint8Array[];
  subgraphs: TfliteSubgraph[];
}

function enumName<T extends string>(names: readonly T[], value: number, what: string, fb: FlatBufferReader, where: string): T {
  const n = names[value];
  if (n === undefined) throw fb.error('corrupt', `${what} ${value} is not in the TFLite schema`, where);
  return n;
}

function u64ToNumber(v: bigint, fb: FlatBufferReader, what: string, where: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fb.error('corrupt', `${what} ${v} is too large`, where);
  return Number(v);
}

function readOperatorCode(t: FbTable): TfliteOperatorCode {
  const deprecated = t.i8(0, 'deprecated_builtin_code', 0);
  const extended = t.i32(3, 'builtin_code', 0);
  const builtinCode = Math.max(deprecated, extended);
  const customCode = t.string(1, 'custom_code');
  const version = t.i32(2, 'version', 1);
  const name = builtinCode === BuiltinOperator.CUSTOM && customCode !== null ? customCode : builtinOperatorName(builtinCode);
  return { builtinCode, name, customCode, version };
}

function readQuantization(t: FbTable): TfliteQuantization | null {
  const fb = t.fb;
  const scale = t.vector(2, 'scale', 4)?.f32s() ?? [];
  const zp64 = t.vector(3, 'zero_point', 8)?.i64s() ?? [];
  const detailsType = t.u8(4, 'details_type', 0);
  if (scale.length === 0 && zp64.length === 0 && detailsType === 0) return null;
  const zeroPoint = zp64.map((v) => {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw fb.error('corrupt', `zero point ${v} is out of range`, `${t.where}.zero_point`);
    }
    return Number(v);
  });
  return {
    scale,
    zeroPoint,
    quantizedDimension: t.i32(6, 'quantized_dimension', 0),
    min: t.vector(0, 'min', 4)?.f32s() ?? null,
    max: t.vector(1, 'max', 4)?.f32s() ?? null,
    detailsType,
  };
}

function readTensor(t: FbTable, index: number, nBuffers: number): TfliteTensor {
  const fb = t.fb;
  const shape = t.vector(0, 'shape', 4)?.i32s() ?? [];
  for (const d of shape) {
    if (d < 0) throw fb.error('corrupt', `tensor shape ${fmtShape(shape)} has a negative dimension`, `${t.where}.shape`);
  }
  const type = enumName(TENSOR_TYPES, t.i8(1, 'type', 0), 'tensor type', fb, `${t.where}.type`);
  const buffer = t.u32(2, 'buffer', 0);
  if (buffer !== 0 && buffer >= nBuffers) {
    throw fb.error('corrupt', `tensor refers to buffer ${buffer} but the model has ${nBuffers}`, `${t.where}.buffer`);
  }
  const q = t.table(4, 'quantization');
  return {
    index,
    name: t.string(3, 'name') ?? '',
    type,
    shape,
    shapeSignature: t.vector(7, 'shape_signature', 4)?.i32s() ?? null,
    buffer,
    quantization: q ? readQuantization(q) : null,
    isVariable: t.bool(5, 'is_variable', false),
    isSparse: t.has(6),
  };
}

function readOptions(type: number, t: FbTable | null): OperatorOptions | null {
  if (type === BuiltinOptionsType.NONE) return null;
  if (t === null) return { kind: 'Other', unionType: type };
  const fb = t.fb;
  const pad = (id: number) => enumName(PADDINGS, t.i8(id, 'padding', 0), 'padding', fb, `${t.where}.padding`);
  const act = (id: number) => enumName(ACTIVATIONS, t.i8(id, 'fused_activation_function', 0), 'fused activation', fb, `${t.where}.fused_activation_function`);
  switch (type) {
    case BuiltinOptionsType.Conv2DOptions:
      return {
        kind: 'Conv2D', padding: pad(0), strideW: t.i32(1, 'stride_w'), strideH: t.i32(2, 'stride_h'),
        fusedActivation: act(3), dilationWFactor: t.i32(4, 'dilation_w_factor', 1), dilationHFactor: t.i32(5, 'dilation_h_factor', 1),
      };
    case BuiltinOptionsType.DepthwiseConv2DOptions:
      return {
        kind: 'DepthwiseConv2D', padding: pad(0), strideW: t.i32(1, 'stride_w'), strideH: t.i32(2, 'stride_h'),
        depthMultiplier: t.i32(3, 'depth_multiplier'), fusedActivation: act(4),
        dilationWFactor: t.i32(5, 'dilation_w_factor', 1), dilationHFactor: t.i32(6, 'dilation_h_factor', 1),
      };
    case BuiltinOptionsType.Pool2DOptions:
      return {
        kind: 'Pool2D', padding: pad(0), strideW: t.i32(1, 'stride_w'), strideH: t.i32(2, 'stride_h'),
        filterWidth: t.i32(3, 'filter_width'), filterHeight: t.i32(4, 'filter_height'), fusedActivation: act(5),
      };
    case BuiltinOptionsType.FullyConnectedOptions:
      return {
        kind: 'FullyConnected', fusedActivation: act(0),
        weightsFormat: enumName(FC_WEIGHTS_FORMATS, t.i8(1, 'weights_format', 0), 'weights format', fb, `${t.where}.weights_format`),
        keepNumDims: t.bool(2, 'keep_num_dims'), asymmetricQuantizeInputs: t.bool(3, 'asymmetric_quantize_inputs'),
      };
    case BuiltinOptionsType.SoftmaxOptions:
      return { kind: 'Softmax', beta: t.f32(0, 'beta', 0) };
    case BuiltinOptionsType.ConcatenationOptions:
      return { kind: 'Concatenation', axis: t.i32(0, 'axis'), fusedActivation: act(1) };
    case BuiltinOptionsType.AddOptions:
      return { kind: 'Add', fusedActivation: act(0), potScaleInt16: t.bool(1, 'pot_scale_int16', true) };
    case BuiltinOptionsType.MulOptions:
      return { kind: 'Mul', fusedActivation: act(0) };
    case BuiltinOptionsType.SubOptions:
      return { kind: 'Sub', fusedActivation: act(0), potScaleInt16: t.bool(1, 'pot_scale_int16', true) };
    case BuiltinOptionsType.ResizeBilinearOptions:
      // new_height (0) and new_width (1) are deprecated.
      return { kind: 'ResizeBilinear', alignCorners: t.bool(2, 'align_corners'), halfPixelCenters: t.bool(3, 'half_pixel_centers') };
    case BuiltinOptionsType.ResizeNearestNeighborOptions:
      return { kind: 'ResizeNearestNeighbor', alignCorners: t.bool(0, 'align_corners'), halfPixelCenters: t.bool(1, 'half_pixel_centers') };
    case BuiltinOptionsType.ReshapeOptions:
      return { kind: 'Reshape', newShape: t.vector(0, 'new_shape', 4)?.i32s() ?? null };
    case BuiltinOptionsType.ReducerOptions:
      return { kind: 'Reducer', keepDims: t.bool(0, 'keep_dims') };
    case BuiltinOptionsType.SqueezeOptions:
      return { kind: 'Squeeze', squeezeDims: t.vector(0, 'squeeze_dims', 4)?.i32s() ?? [] };
    case BuiltinOptionsType.ArgMaxOptions:
      return { kind: 'ArgMax', outputType: enumName(TENSOR_TYPES, t.i8(0, 'output_type', 0), 'tensor type', fb, `${t.where}.output_type`) };
    case BuiltinOptionsType.PadOptions: return { kind: 'Pad' };
    case BuiltinOptionsType.QuantizeOptions: return { kind: 'Quantize' };
    case BuiltinOptionsType.DequantizeOptions: return { kind: 'Dequantize' };
    default: return { kind: 'Other', unionType: type };
  }
}

function checkTensorIndices(list: number[], nTensors: number, allowAbsent: boolean, fb: FlatBufferReader, where: string): void {
  for (const i of list) {
    if (allowAbsent && i === -1) continue;
    if (!(i >= 0 && i < nTensors)) {
      throw fb.error('corrupt', `tensor index ${i} is out of range (the subgraph has ${nTensors} tensors)`, where);
    }
  }
}

function readOperator(t: FbTable, index: number, codes: TfliteOperatorCode[], nTensors: number): TfliteOperator {
  const fb = t.fb;
  const opcodeIndex = t.u32(0, 'opcode_index', 0);
  const code = codes[opcodeIndex];
  if (code === undefined) {
    throw fb.error('corrupt', `opcode index ${opcodeIndex} is out of range (the model has ${codes.length} operator codes)`, `${t.where}.opcode_index`);
  }
  const inputs = t.vector(1, 'inputs', 4)?.i32s() ?? [];
  const outputs = t.vector(2, 'outputs', 4)?.i32s() ?? [];
  const intermediates = t.vector(8, 'intermediates', 4)?.i32s() ?? [];
  checkTensorIndices(inputs, nTensors, true, fb, `${t.where}.inputs`);
  checkTensorIndices(outputs, nTensors, false, fb, `${t.where}.outputs`);
  checkTensorIndices(intermediates, nTensors, false, fb, `${t.where}.intermediates`);
  const { type, table } = t.union(3, 'builtin_options');
  let customOptions = t.vector(5, 'custom_options', 1)?.bytes() ?? null;
  const largeOffset = u64ToNumber(t.u64(9, 'large_custom_options_offset'), fb, 'large custom options offset', t.where);
  if (customOptions === null && largeOffset > 1) {
    const size = u64ToNumber(t.u64(10, 'large_custom_options_size'), fb, 'large custom options size', t.where);
    fb.need(largeOffset, size, 'large custom options', `${t.where}.large_custom_options_offset`);
    customOptions = fb.bytes.subarray(largeOffset, largeOffset + size);
  }
  return {
    index,
    opcodeIndex,
    builtinCode: code.builtinCode,
    opName: code.name,
    inputs,
    outputs,
    intermediates,
    options: readOptions(type, table),
    customOptions,
    customOptionsFormat: t.i8(6, 'custom_options_format', 0),
  };
}

function readBuffer(t: FbTable): Uint8Array {
  const fb = t.fb;
  const data = t.vector(0, 'data', 1);
  if (data !== null && data.length > 0) return data.bytes();
  const offset = u64ToNumber(t.u64(1, 'offset'), fb, 'buffer offset', t.where);
  if (offset > 1) {
    const size = u64ToNumber(t.u64(2, 'size'), fb, 'buffer size', t.where);
    fb.need(offset, size, 'buffer data', `${t.where}.offset`);
    return fb.bytes.subarray(offset, offset + size);
  }
  return fb.bytes.subarray(0, 0);
}

/**
 * Parses a .tflite file. `source` names the file in error messages. The returned buffers and
 * custom options are views of `bytes` (do not mutate `bytes` while the model is in use).
 */
export function readTfliteModel(bytes: Uint8Array, source: string, limits: FlatBufferLimits = {}): TfliteModel {
  if (!(bytes instanceof Uint8Array)) throw usageError(`${source}: readTfliteModel needs a Uint8Array`);
  if (bytes.byteLength < 8) {
    throw formatError(`${source}: not a TFLite file (${bytes.byteLength} bytes; a TFLite file has at least 8)`);
  }
  const fb = new FlatBufferReader(bytes, source, limits);
  const ident = fb.fileIdentifier();
  if (ident !== TFLITE_FILE_IDENTIFIER) {
    throw formatError(`${source}: not a TFLite file (file identifier '${ident}', expected '${TFLITE_FILE_IDENTIFIER}')`);
  }
  const root = fb.root('model');
  const version = root.u32(0, 'version', 0);
  const description = root.string(3, 'description');

  const codesVec = root.vector(1, 'operator_codes', 4);
  const operatorCodes: TfliteOperatorCode[] = [];
  for (let i = 0; i < (codesVec?.length ?? 0); i++) operatorCodes.push(readOperatorCode(codesVec!.table(i)));

  const buffersVec = root.vector(4, 'buffers', 4);
  const buffers: Uint8Array[] = [];
  for (let i = 0; i < (buffersVec?.length ?? 0); i++) buffers.push(readBuffer(buffersVec!.table(i)));

  const sgVec = root.vector(2, 'subgraphs', 4);
  if (sgVec === null || sgVec.length === 0) throw fb.error('corrupt', 'the model has no subgraphs', 'model.subgraphs');
  const subgraphs: TfliteSubgraph[] = [];
  for (let s = 0; s < sgVec.length; s++) {
    const sg = sgVec.table(s);
    const tVec = sg.vector(0, 'tensors', 4);
    const tensors: TfliteTensor[] = [];
    for (let i = 0; i < (tVec?.length ?? 0); i++) tensors.push(readTensor(tVec!.table(i), i, buffers.length));
    const inputs = sg.vector(1, 'inputs', 4)?.i32s() ?? [];
    const outputs = sg.vector(2, 'outputs', 4)?.i32s() ?? [];
    checkTensorIndices(inputs, tensors.length, false, fb, `${sg.where}.inputs`);
    checkTensorIndices(outputs, tensors.length, false, fb, `${sg.where}.outputs`);
    const oVec = sg.vector(3, 'operators', 4);
    const operators: TfliteOperator[] = [];
    for (let i = 0; i < (oVec?.length ?? 0); i++) operators.push(readOperator(oVec!.table(i), i, operatorCodes, tensors.length));
    subgraphs.push({ name: sg.string(4, 'name'), tensors, inputs, outputs, operators });
  }
  return { source, byteLength: bytes.byteLength, version, description, operatorCodes, buffers, subgraphs };
}

// ---------------------------------------------------------------------------------------------
// Constant tensor data

export type TensorData =
  | Float32Array | Float64Array | Uint8Array | Int8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

const ELEMENT: Partial<Record<TensorType, { size: number; make: (b: ArrayBuffer, n: number) => TensorData }>> = {
  FLOAT32: { size: 4, make: (b, n) => new Float32Array(b, 0, n) },
  FLOAT16: { size: 2, make: (b, n) => new Uint16Array(b, 0, n) }, // raw IEEE half bits
  FLOAT64: { size: 8, make: (b, n) => new Float64Array(b, 0, n) },
  INT32: { size: 4, make: (b, n) => new Int32Array(b, 0, n) },
  UINT32: { size: 4, make: (b, n) => new Uint32Array(b, 0, n) },
  UINT8: { size: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  INT8: { size: 1, make: (b, n) => new Int8Array(b, 0, n) },
  BOOL: { size: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  INT16: { size: 2, make: (b, n) => new Int16Array(b, 0, n) },
  UINT16: { size: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  INT64: { size: 8, make: (b, n) => new BigInt64Array(b, 0, n) },
  UINT64: { size: 8, make: (b, n) => new BigUint64Array(b, 0, n) },
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes per element of a tensor type, or null for types without a fixed element size (STRING, INT4, …). */
export function tensorTypeSize(type: TensorType): number | null {
  return ELEMENT[type]?.size ?? null;
}

/**
 * A copy of a constant tensor's data, typed by the tensor type (FLOAT32 → Float32Array, UINT8 →
 * Uint8Array, INT8 → Int8Array, INT32 → Int32Array, INT64 → BigInt64Array, BOOL → Uint8Array,
 * FLOAT16 → Uint16Array of raw half-precision bits, …), or null when the tensor has no data
 * (activations). The byte length must equal product(shape) × element size.
 */
export function tensorData(model: TfliteModel, tensorIndex: number, subgraphIndex = 0): TensorData | null {
  const sg = model.subgraphs[subgraphIndex];
  if (sg === undefined) throw usageError(`${model.source}: no subgraph ${subgraphIndex} (the model has ${model.subgraphs.length})`);
  const t = sg.tensors[tensorIndex];
  if (t === undefined) throw usageError(`${model.source}: no tensor ${tensorIndex} in subgraph ${subgraphIndex} (it has ${sg.tensors.length})`);
  const data = model.buffers[t.buffer];
  if (data === undefined || data.byteLength === 0) return null;
  const el = ELEMENT[t.type];
  if (el === undefined) throw unsupportedError(`${model.source}: tensor '${t.name}' (#${t.index}) has type ${t.type}, whose data we do not read`);
  if (!LITTLE_ENDIAN) throw unsupportedError('reading TFLite tensor data needs a little-endian machine');
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (count * el.size !== data.byteLength) {
    throw formatError(`${model.source}: tensor '${t.name}' (#${t.index}) has ${data.byteLength} bytes of data but shape ${fmtShape(t.shape)} × ${t.type} needs ${count * el.size}`);
  }
  // A fresh, aligned ArrayBuffer. Not data.slice(): when the caller passed a Node Buffer, data is a
  // Buffer too and Buffer#slice is a view, whose .buffer starts at the file (or pool), not the tensor.
  const copy = Uint8Array.prototype.slice.call(data);
  return el.make(copy.buffer, count);
}

// ---------------------------------------------------------------------------------------------
// TFLite_Detection_PostProcess custom options

export interface DetectionPostProcessOptions {
  maxDetections: number;
  maxClassesPerDetection: number;
  /** Default 100 (the TFLite kernel's kNumDetectionsPerClass). */
  detectionsPerClass: number;
  /** Default false. */
  useRegularNms: boolean;
  nmsScoreThreshold: number;
  nmsIouThreshold: number;
  numClasses: number;
  yScale: number;
  xScale: number;
  hScale: number;
  wScale: number;
}

/**
 * Decodes the flexbuffer map in a TFLite_Detection_PostProcess operator's custom_options. Required
 * keys: max_detections, max_classes_per_detection, nms_score_threshold, nms_iou_threshold,
 * num_classes, y_scale, x_scale, h_scale, w_scale; optional: detections_per_class (100),
 * use_regular_nms (false). Numbers may be stored as int, uint or float (the kernel converts).
 */
export function readDetectionPostProcessOptions(customOptions: Uint8Array, source: string): DetectionPostProcessOptions {
  const root = readFlexBuffer(customOptions, source);
  if (!(root instanceof Map)) throw formatError(`${source}: TFLite_Detection_PostProcess custom options are not a flexbuffer map`);
  const num = (key: string, def?: number): number => {
    const v: FlexValue | undefined = root.get(key);
    if (v === undefined || v === null) {
      if (def !== undefined) return def;
      throw formatError(`${source}: TFLite_Detection_PostProcess custom options lack '${key}'`);
    }
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'bigint') return Number(v);
    throw formatError(`${source}: TFLite_Detection_PostProcess custom option '${key}' is not a number`);
  };
  const int = (key: string, def?: number): number => {
    const v = num(key, def);
    if (!Number.isInteger(v)) throw formatError(`${source}: TFLite_Detection_PostProcess custom option '${key}' = ${v} is not an integer`);
    return v;
  };
  return {
    maxDetections: int('max_detections'),
    maxClassesPerDetection: int('max_classes_per_detection'),
    detectionsPerClass: int('detections_per_class', 100),
    useRegularNms: num('use_regular_nms', 0) !== 0,
    nmsScoreThreshold: num('nms_score_threshold'),
    nmsIouThreshold: num('nms_iou_threshold'),
    numClasses: int('num_classes'),
    yScale: num('y_scale'),
    xScale: num('x_scale'),
    hScale: num('h_scale'),
    wScale: num('w_scale'),
  };
}

// ---------------------------------------------------------------------------------------------
// Summary for humans

function describeOp(sg: TfliteSubgraph, op: TfliteOperator): string {
  const o = op.options;
  const act = (a: Activation) => (a === 'NONE' ? '' : `,${a}`);
  let attrs = '';
  if (o?.kind === 'Conv2D' || o?.kind === 'DepthwiseConv2D') {
    // weights are OHWI (CONV_2D) or 1HWC (DEPTHWISE_CONV_2D): kernel size at dims 1, 2
    const w = sg.tensors[op.inputs[1] ?? -1];
    const k = w && w.shape.length === 4 ? `${w.shape[1]}x${w.shape[2]}` : '?';
    const dil = o.dilationHFactor !== 1 || o.dilationWFactor !== 1 ? `,d${o.dilationHFactor}` : '';
    attrs = `${k}/s${o.strideH}${dil},${o.padding}${act(o.fusedActivation)}`;
  } else if (o?.kind === 'Pool2D') {
    attrs = `${o.filterHeight}x${o.filterWidth}/s${o.strideH},${o.padding}${act(o.fusedActivation)}`;
  } else if (o?.kind === 'Add' || o?.kind === 'Mul' || o?.kind === 'Sub') {
    attrs = o.fusedActivation === 'NONE' ? '' : o.fusedActivation;
  } else if (o?.kind === 'Concatenation') {
    attrs = `axis${o.axis}${act(o.fusedActivation)}`;
  } else if (o?.kind === 'ResizeBilinear') {
    attrs = `align_corners=${o.alignCorners},half_pixel=${o.halfPixelCenters}`;
  } else if (o?.kind === 'Reducer') {
    attrs = `keep_dims=${o.keepDims}`;
  }
  const out = sg.tensors[op.outputs[0] ?? -1];
  const shape = out ? fmtShape(out.shape).replace(/ /g, '') : '';
  return `${op.opName}${attrs ? `(${attrs})` : ''}${shape ? `→${shape}` : ''}`;
}

/**
 * A compact multi-line summary of a model: inputs/outputs, op counts, and the op sequence with the
 * attributes that matter for MobileNetV2 (kernel, stride, dilation, padding, fused activation).
 */
export function summarizeModel(model: TfliteModel, subgraphIndex = 0): string {
  const sg = model.subgraphs[subgraphIndex];
  if (sg === undefined) throw usageError(`${model.source}: no subgraph ${subgraphIndex}`);
  const tdesc = (i: number) => {
    const t = sg.tensors[i]!;
    const q = t.quantization && t.quantization.scale.length === 1 ? ` q(${t.quantization.scale[0]!.toPrecision(6)},${t.quantization.zeroPoint[0] ?? 0})` : '';
    return `'${t.name}' ${t.type} ${fmtShape(t.shape)}${q}`;
  };
  const counts = new Map<string, number>();
  for (const op of sg.operators) counts.set(op.opName, (counts.get(op.opName) ?? 0) + 1);
  const lines = [
    `${model.source}: schema v${model.version}, ${sg.operators.length} ops, ${sg.tensors.length} tensors, ${model.buffers.length} buffers`,
    `  inputs:  ${sg.inputs.map(tdesc).join('; ')}`,
    `  outputs: ${sg.outputs.map(tdesc).join('; ')}`,
    `  counts:  ${[...counts].map(([k, v]) => `${k}×${v}`).join(', ')}`,
    '  sequence:',
  ];
  sg.operators.forEach((op, i) => lines.push(`    ${String(i).padStart(3)} ${describeOp(sg, op)}`));
  return lines.join('\n');
}
