// SPDX-License-Identifier: Apache-2.0
/**
 * Writes TensorFlow Lite files: a small FlatBuffers serializer, a FlexBuffers map encoder (for custom
 * operator options such as TFLite_Detection_PostProcess's) and a graph builder for the subset of the
 * TFLite schema our exporters use. Written from the format descriptions (google/flatbuffers
 * docs/source/Internals.md, tensorflow/lite schema.fbs), no FlatBuffers library involved.
 *
 * FlatBuffers layout produced here (little-endian):
 *   u32 root offset, 4-byte file identifier "TFL3", then every table as [vtable][padding][table],
 *   parents before children. A table starts with an soffset (table − vtable, positive because the
 *   vtable sits just before the table); its reference fields are uoffsets to children written later,
 *   so every uoffset points forward, as the format requires. Scalars are aligned to their size inside
 *   an 8-aligned table; vectors are a u32 count followed by the elements, with the elements aligned
 *   to max(4, element size) (tensor data: 16 bytes, so the interpreter can use the constant buffers
 *   in place); strings are a u32 length, the UTF-8 bytes and a 0 terminator.
 *
 * Field ids follow schema.fbs declaration order (see model.ts for the table of ids). Every field is
 * written explicitly, even when it equals the schema default: readers treat both the same way, and
 * explicit values make the files easier to inspect byte by byte.
 */
import { usageError } from '../../errors.js';
import {
  ACTIVATIONS, BuiltinOperator, BuiltinOptionsType, PADDINGS, TENSOR_TYPES,
  type Activation, type Padding, type TensorType,
} from './schema.js';

// ---------------------------------------------------------------------------------------------
// FlatBuffers values

export type FbScalarType = 'bool' | 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'f32' | 'i64' | 'u64' | 'f64';

const SCALAR_SIZE: Record<FbScalarType, number> = { bool: 1, i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, f32: 4, i64: 8, u64: 8, f64: 8 };

export interface FbScalar { readonly kind: 'scalar'; readonly type: FbScalarType; readonly value: number | bigint | boolean }
export interface FbTable { readonly kind: 'table'; readonly fields: ReadonlyArray<readonly [number, FbValue]> }
export interface FbString { readonly kind: 'string'; readonly text: string }
export interface FbScalarVector { readonly kind: 'scalars'; readonly type: FbScalarType; readonly values: ArrayLike<number | bigint> }
export interface FbBytes { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly align: number }
export interface FbRefVector { readonly kind: 'refs'; readonly items: ReadonlyArray<FbTable | FbString> }
export type FbValue = FbScalar | FbTable | FbString | FbScalarVector | FbBytes | FbRefVector;

export const fb = {
  scalar: (type: FbScalarType, value: number | bigint | boolean): FbScalar => ({ kind: 'scalar', type, value }),
  /** A table; `undefined`/`null` fields are left out (absent = schema default). */
  table: (fields: ReadonlyArray<readonly [number, FbValue | null | undefined]>): FbTable => ({
    kind: 'table',
    fields: fields.filter((f): f is readonly [number, FbValue] => f[1] !== null && f[1] !== undefined),
  }),
  string: (text: string): FbString => ({ kind: 'string', text }),
  scalars: (type: FbScalarType, values: ArrayLike<number | bigint>): FbScalarVector => ({ kind: 'scalars', type, values }),
  /** A [ubyte] vector whose payload starts at a multiple of `align`. */
  bytes: (bytes: Uint8Array, align = 16): FbBytes => ({ kind: 'bytes', bytes, align }),
  refs: (items: ReadonlyArray<FbTable | FbString>): FbRefVector => ({ kind: 'refs', items }),
};

class ByteSink {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(64, capacity));
    this.view = new DataView(this.buf.buffer);
  }

  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let len = this.buf.length;
    while (len < this.pos + n) len *= 2;
    const next = new Uint8Array(len);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  pad(to: number): void {
    const n = (to - (this.pos % to)) % to;
    this.reserve(n);
    this.pos += n; // the buffer is zero-initialised
  }

  /** Pads so that `pos + offset` is a multiple of `to` (a vector's payload follows its u32 count). */
  padFor(to: number, offset: number): void {
    while ((this.pos + offset) % to !== 0) {
      this.reserve(1);
      this.pos++;
    }
  }

  u16(v: number): void { this.reserve(2); this.view.setUint16(this.pos, v, true); this.pos += 2; }
  u32(v: number): void { this.reserve(4); this.view.setUint32(this.pos, v, true); this.pos += 4; }
  i32(v: number): void { this.reserve(4); this.view.setInt32(this.pos, v, true); this.pos += 4; }

  scalarAt(at: number, type: FbScalarType, v: number | bigint | boolean): void {
    const d = this.view;
    switch (type) {
      case 'bool': d.setUint8(at, v ? 1 : 0); break;
      case 'i8': d.setInt8(at, Number(v)); break;
      case 'u8': d.setUint8(at, Number(v)); break;
      case 'i16': d.setInt16(at, Number(v), true); break;
      case 'u16': d.setUint16(at, Number(v), true); break;
      case 'i32': d.setInt32(at, Number(v), true); break;
      case 'u32': d.setUint32(at, Number(v), true); break;
      case 'f32': d.setFloat32(at, Number(v), true); break;
      case 'f64': d.setFloat64(at, Number(v), true); break;
      case 'i64': d.setBigInt64(at, BigInt(v), true); break;
      case 'u64': d.setBigUint64(at, BigInt(v), true); break;
    }
  }

  /** Stores a forward uoffset at `at` pointing to `target`. */
  patchOffset(at: number, target: number): void {
    this.view.setUint32(at, target - at, true);
  }
}

function checkScalar(type: FbScalarType, v: number | bigint | boolean, where: string): void {
  if (type === 'bool') return;
  if (type === 'f32' || type === 'f64') {
    if (typeof v !== 'number') throw usageError(`flatbuffer writer: ${where}: ${type} needs a number`);
    return;
  }
  const big = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
  if (typeof v === 'number' && !Number.isInteger(v)) throw usageError(`flatbuffer writer: ${where}: ${type} value ${v} is not an integer`);
  const bits = BigInt(SCALAR_SIZE[type] * 8);
  const signed = type.startsWith('i');
  const lo = signed ? -(1n << (bits - 1n)) : 0n;
  const hi = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (big < lo || big > hi) throw usageError(`flatbuffer writer: ${where}: ${v} does not fit ${type}`);
}

/** Writes `v` (not a scalar) and returns its position: where a uoffset to it must point. */
function writeValue(s: ByteSink, v: FbValue, where: string): number {
  switch (v.kind) {
    case 'scalar':
      throw new Error(`internal: flatbuffer writer: scalar at ${where} must be stored inline`);
    case 'string': {
      const b = new TextEncoder().encode(v.text);
      s.pad(4);
      const p = s.pos;
      s.u32(b.length);
      s.reserve(b.length + 1);
      s.buf.set(b, s.pos);
      s.pos += b.length + 1; // 0 terminator (buffer is zeroed)
      return p;
    }
    case 'bytes': {
      s.padFor(Math.max(4, v.align), 4);
      const p = s.pos;
      s.u32(v.bytes.length);
      s.reserve(v.bytes.length);
      s.buf.set(v.bytes, s.pos);
      s.pos += v.bytes.length;
      return p;
    }
    case 'scalars': {
      const size = SCALAR_SIZE[v.type];
      s.padFor(Math.max(4, size), 4);
      const p = s.pos;
      s.u32(v.values.length);
      s.reserve(size * v.values.length);
      for (let i = 0; i < v.values.length; i++) {
        const x = v.values[i]!;
        checkScalar(v.type, x, `${where}[${i}]`);
        s.scalarAt(s.pos, v.type, x);
        s.pos += size;
      }
      return p;
    }
    case 'refs': {
      s.pad(4);
      const p = s.pos;
      s.u32(v.items.length);
      const slots: number[] = [];
      for (let i = 0; i < v.items.length; i++) { slots.push(s.pos); s.u32(0); }
      v.items.forEach((item, i) => s.patchOffset(slots[i]!, writeValue(s, item, `${where}[${i}]`)));
      return p;
    }
    case 'table': {
      const fields = [...v.fields].sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < fields.length; i++) {
        if (fields[i]![0] === fields[i - 1]![0]) throw new Error(`internal: flatbuffer writer: field ${fields[i]![0]} twice in ${where}`);
      }
      // Inline layout: soffset at 0, then fields in id order, each aligned to its size.
      let off = 4;
      const layout = fields.map(([id, value]) => {
        const size = value.kind === 'scalar' ? SCALAR_SIZE[value.type] : 4;
        off = Math.ceil(off / size) * size;
        const at = off;
        off += size;
        return { id, value, at };
      });
      const tableSize = Math.ceil(off / 4) * 4;
      const maxId = fields.length ? fields[fields.length - 1]![0] : -1;
      s.pad(2);
      const vt = s.pos;
      s.u16(4 + 2 * (maxId + 1));
      s.u16(tableSize);
      for (let id = 0; id <= maxId; id++) s.u16(layout.find((f) => f.id === id)?.at ?? 0);
      s.pad(8);
      const tp = s.pos;
      s.i32(tp - vt);
      s.reserve(tableSize - 4);
      s.pos = tp + tableSize;
      const refs: Array<{ at: number; value: FbValue; id: number }> = [];
      for (const f of layout) {
        if (f.value.kind === 'scalar') {
          checkScalar(f.value.type, f.value.value, `${where}.${f.id}`);
          s.scalarAt(tp + f.at, f.value.type, f.value.value);
        } else refs.push({ at: tp + f.at, value: f.value, id: f.id });
      }
      for (const r of refs) s.patchOffset(r.at, writeValue(s, r.value, `${where}.${r.id}`));
      return tp;
    }
  }
}

/** Serializes a root table with a 4-character file identifier. `sizeHint` pre-sizes the output. */
export function buildFlatBuffer(root: FbTable, fileIdentifier: string, sizeHint = 1024): Uint8Array {
  if (fileIdentifier.length !== 4) throw usageError(`flatbuffer file identifier must have 4 characters, got '${fileIdentifier}'`);
  const s = new ByteSink(sizeHint);
  s.u32(0);
  for (let i = 0; i < 4; i++) s.buf[s.pos++] = fileIdentifier.charCodeAt(i);
  const rootPos = writeValue(s, root, 'root');
  s.patchOffset(0, rootPos);
  return s.buf.slice(0, s.pos);
}

// ---------------------------------------------------------------------------------------------
// FlexBuffers: a map of scalars (all TFLite custom options we write need)

export type FlexScalarValue =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'uint'; readonly value: number }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean };

const FLEX_INT = 1, FLEX_UINT = 2, FLEX_FLOAT = 3, FLEX_MAP = 9, FLEX_BOOL = 26;

/**
 * Encodes {key: scalar} as a FlexBuffers map. Every slot (keys-vector entries, map header, values,
 * root) has one byte width W: 4 when all integers fit 32 bits (floats are then stored as float32,
 * which is what TFLite's own converter does for float attributes), else 8 (floats as float64).
 * Layout, front to back: the keys as 0-terminated strings, the keys vector [count][backward offsets
 * to each key], the map header [backward offset to the keys vector][its byte width][count], the
 * values, one packed type byte per value, and the root [backward offset to the values][packed root
 * type][root byte width]. Keys are sorted by byte value, as FlexBuffers lookups binary-search them.
 */
export function encodeFlexBufferMap(entries: Readonly<Record<string, FlexScalarValue>>): Uint8Array {
  const enc = new TextEncoder();
  const keys = Object.keys(entries).sort((a, b) => {
    const x = enc.encode(a), y = enc.encode(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  });
  for (const k of keys) if (k.includes('\0')) throw usageError(`flexbuffer key '${k}' contains a NUL character`);
  let wide = false;
  for (const k of keys) {
    const e = entries[k]!;
    if (e.type === 'int' && (!Number.isInteger(e.value) || e.value < -(2 ** 31) || e.value >= 2 ** 31)) wide = true;
    if (e.type === 'uint' && (!Number.isInteger(e.value) || e.value < 0 || e.value >= 2 ** 32)) wide = true;
    if ((e.type === 'int' || e.type === 'uint') && !Number.isSafeInteger(e.value)) throw usageError(`flexbuffer value '${k}' = ${e.value} is not a safe integer`);
  }
  const W = wide ? 8 : 4;
  const widthCode = wide ? 3 : 2;
  const out: number[] = [];
  const scratch = new DataView(new ArrayBuffer(8));
  const put = (kind: 'u' | 'i' | 'f', v: number): void => {
    if (kind === 'f') {
      if (W === 4) scratch.setFloat32(0, v, true); else scratch.setFloat64(0, v, true);
    } else if (kind === 'i') scratch.setBigInt64(0, BigInt(v), true);
    else scratch.setBigUint64(0, BigInt(v), true);
    for (let i = 0; i < W; i++) out.push(scratch.getUint8(i));
  };
  const align = (): void => { while (out.length % W !== 0) out.push(0); };

  const keyAt: number[] = [];
  for (const k of keys) {
    keyAt.push(out.length);
    out.push(...enc.encode(k), 0);
  }
  align();
  put('u', keys.length);
  const keysVector = out.length;
  keys.forEach((_, i) => put('u', out.length - keyAt[i]!));
  put('u', out.length - keysVector); // map header: backward offset to the keys vector
  put('u', W); // the keys vector's byte width
  put('u', keys.length);
  const values = out.length;
  const types: number[] = [];
  for (const k of keys) {
    const e = entries[k]!;
    switch (e.type) {
      case 'int': put('i', e.value); types.push((FLEX_INT << 2) | widthCode); break;
      case 'uint': put('u', e.value); types.push((FLEX_UINT << 2) | widthCode); break;
      case 'float': put('f', e.value); types.push((FLEX_FLOAT << 2) | widthCode); break;
      case 'bool': put('u', e.value ? 1 : 0); types.push((FLEX_BOOL << 2) | widthCode); break;
    }
  }
  out.push(...types);
  align();
  put('u', out.length - values); // root: backward offset to the map's values
  out.push((FLEX_MAP << 2) | widthCode, W);
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------
// TFLite builtin options (union members; field ids = schema.fbs declaration order)

export interface BuiltinOptions {
  /** BuiltinOptions union type value. */
  readonly type: number;
  readonly table: FbTable;
}

const i8 = (v: number) => fb.scalar('i8', v);
const i32 = (v: number) => fb.scalar('i32', v);
const bool = (v: boolean) => fb.scalar('bool', v);
const padCode = (p: Padding) => i8(PADDINGS.indexOf(p));
const actCode = (a: Activation) => i8(ACTIVATIONS.indexOf(a));

export const options = {
  conv2d(o: { padding: Padding; stride: number; dilation?: number; activation: Activation }): BuiltinOptions {
    const d = o.dilation ?? 1;
    return {
      type: BuiltinOptionsType.Conv2DOptions,
      table: fb.table([[0, padCode(o.padding)], [1, i32(o.stride)], [2, i32(o.stride)], [3, actCode(o.activation)], [4, i32(d)], [5, i32(d)]]),
    };
  },
  depthwiseConv2d(o: { padding: Padding; stride: number; dilation?: number; activation: Activation }): BuiltinOptions {
    const d = o.dilation ?? 1;
    return {
      type: BuiltinOptionsType.DepthwiseConv2DOptions,
      table: fb.table([[0, padCode(o.padding)], [1, i32(o.stride)], [2, i32(o.stride)], [3, i32(1)], [4, actCode(o.activation)], [5, i32(d)], [6, i32(d)]]),
    };
  },
  pool2d(o: { padding: Padding; stride: number; filterH: number; filterW: number; activation?: Activation }): BuiltinOptions {
    return {
      type: BuiltinOptionsType.Pool2DOptions,
      table: fb.table([[0, padCode(o.padding)], [1, i32(o.stride)], [2, i32(o.stride)], [3, i32(o.filterW)], [4, i32(o.filterH)], [5, actCode(o.activation ?? 'NONE')]]),
    };
  },
  fullyConnected(activation: Activation): BuiltinOptions {
    return { type: BuiltinOptionsType.FullyConnectedOptions, table: fb.table([[0, actCode(activation)], [1, i8(0)], [2, bool(false)]]) };
  },
  softmax(beta = 1): BuiltinOptions {
    return { type: BuiltinOptionsType.SoftmaxOptions, table: fb.table([[0, fb.scalar('f32', beta)]]) };
  },
  concatenation(axis: number, activation: Activation = 'NONE'): BuiltinOptions {
    return { type: BuiltinOptionsType.ConcatenationOptions, table: fb.table([[0, i32(axis)], [1, actCode(activation)]]) };
  },
  add(activation: Activation = 'NONE'): BuiltinOptions {
    return { type: BuiltinOptionsType.AddOptions, table: fb.table([[0, actCode(activation)]]) };
  },
  resizeBilinear(alignCorners: boolean, halfPixelCenters: boolean): BuiltinOptions {
    // new_height (0) and new_width (1) are deprecated: the size comes from the second input.
    return { type: BuiltinOptionsType.ResizeBilinearOptions, table: fb.table([[2, bool(alignCorners)], [3, bool(halfPixelCenters)]]) };
  },
  reshape(newShape: readonly number[]): BuiltinOptions {
    return { type: BuiltinOptionsType.ReshapeOptions, table: fb.table([[0, fb.scalars('i32', newShape)]]) };
  },
  squeeze(dims: readonly number[]): BuiltinOptions {
    return { type: BuiltinOptionsType.SqueezeOptions, table: fb.table([[0, fb.scalars('i32', dims)]]) };
  },
  reducer(keepDims: boolean): BuiltinOptions {
    return { type: BuiltinOptionsType.ReducerOptions, table: fb.table([[0, bool(keepDims)]]) };
  },
  pad(): BuiltinOptions {
    return { type: BuiltinOptionsType.PadOptions, table: fb.table([]) };
  },
};

// ---------------------------------------------------------------------------------------------
// TFLite graph builder

/** QuantizationParameters: min 0, max 1, scale 2, zero_point 3 (int64), quantized_dimension 6. */
function quantizationTable(q: TensorQuantization): FbTable {
  return fb.table([
    [0, q.min !== undefined ? fb.scalars('f32', [q.min]) : null],
    [1, q.max !== undefined ? fb.scalars('f32', [q.max]) : null],
    [2, fb.scalars('f32', q.scale)],
    [3, fb.scalars('i64', q.zeroPoint.map((z) => BigInt(z)))],
    [6, q.quantizedDimension ? i32(q.quantizedDimension) : null],
  ]);
}

function checkQuantization(name: string, shape: readonly number[], q: TensorQuantization): void {
  const axis = q.quantizedDimension ?? 0;
  const channels = q.scale.length === 1 ? 1 : shape[axis];
  if (q.scale.length !== q.zeroPoint.length || q.scale.length !== channels) {
    throw usageError(`tensor '${name}': ${q.scale.length} scales and ${q.zeroPoint.length} zero points for shape [${shape.join(', ')}] along axis ${axis}`);
  }
  for (const s of q.scale) if (!(Number.isFinite(s) && s > 0)) throw usageError(`tensor '${name}': quantization scale ${s} (expected a finite number > 0)`);
  for (const z of q.zeroPoint) if (!Number.isInteger(z)) throw usageError(`tensor '${name}': zero point ${z} is not an integer`);
}

/**
 * A tensor's quantization as the schema stores it: real = scale·(q − zero_point), one scale per
 * tensor, or one per channel along `quantizedDimension` (int8 weights and int32 biases).
 */
export interface TensorQuantization {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  /** Axis of the per-channel scales (default 0). */
  readonly quantizedDimension?: number;
  /** The calibrated float range the parameters were derived from (informational, as converters write it). */
  readonly min?: number;
  readonly max?: number;
}

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly type: TensorType;
  /** Index into the model's buffers; 0 = the empty sentinel (activations). */
  readonly buffer: number;
  readonly quantization?: TensorQuantization;
}

interface OperatorSpec {
  readonly opcode: number;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly builtin: BuiltinOptions | null;
  readonly custom: Uint8Array | null;
}

interface OpcodeSpec {
  readonly builtin: number;
  readonly custom: string | null;
  readonly version: number;
}

export type OpName = keyof typeof BuiltinOperator;

/**
 * Accumulates one subgraph (tensors, constant buffers, operators) and writes a TFLite model
 * (schema version 3). Operators must be added in execution order (the interpreter runs them in
 * file order).
 */
export class TfliteGraphBuilder {
  private readonly tensors: TensorSpec[] = [];
  /** Buffer 0 is the empty sentinel every activation points to. */
  private readonly buffers: Uint8Array[] = [new Uint8Array(0)];
  private readonly ops: OperatorSpec[] = [];
  private readonly opcodes: OpcodeSpec[] = [];
  private readonly opcodeIndex = new Map<string, number>();
  private readonly names = new Set<string>();

  /** Number of tensors so far. */
  get tensorCount(): number { return this.tensors.length; }

  tensor(i: number): TensorSpec {
    const t = this.tensors[i];
    if (!t) throw new Error(`internal: no tensor ${i}`);
    return t;
  }

  private uniqueName(name: string): string {
    let n = name;
    for (let k = 1; this.names.has(n); k++) n = `${name}_${k}`;
    this.names.add(n);
    return n;
  }

  private addTensor(name: string, shape: readonly number[], type: TensorType, buffer: number, quantization?: TensorQuantization): number {
    for (const d of shape) if (!Number.isInteger(d) || d < 0) throw usageError(`tensor '${name}': bad dimension ${d} in [${shape.join(', ')}]`);
    if (quantization) checkQuantization(name, shape, quantization);
    this.tensors.push({ name: this.uniqueName(name), shape: [...shape], type, buffer, ...(quantization ? { quantization } : {}) });
    return this.tensors.length - 1;
  }

  /** A tensor computed by an operator (or fed as a graph input); quantized when `quantization` is given. */
  activation(name: string, shape: readonly number[], type: TensorType = 'FLOAT32', quantization?: TensorQuantization): number {
    return this.addTensor(name, shape, type, 0, quantization);
  }

  /** A constant quantized tensor (INT8 weights, INT32 biases): `data`'s bytes are copied into their own buffer. */
  constantQuantized(name: string, shape: readonly number[], data: Int8Array | Int32Array, quantization: TensorQuantization): number {
    const count = shape.reduce((a, b) => a * b, 1);
    if (data.length !== count) throw usageError(`constant '${name}': ${data.length} values for shape [${shape.join(', ')}] (${count})`);
    this.buffers.push(new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
    return this.addTensor(name, shape, data instanceof Int8Array ? 'INT8' : 'INT32', this.buffers.length - 1, quantization);
  }

  /** A constant FLOAT32 tensor; the data is copied into its own buffer. */
  constantF32(name: string, shape: readonly number[], data: Float32Array): number {
    const count = shape.reduce((a, b) => a * b, 1);
    if (data.length !== count) throw usageError(`constant '${name}': ${data.length} values for shape [${shape.join(', ')}] (${count})`);
    this.buffers.push(new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
    return this.addTensor(name, shape, 'FLOAT32', this.buffers.length - 1);
  }

  /** A constant INT32 tensor (shapes, paddings, sizes). */
  constantI32(name: string, shape: readonly number[], data: readonly number[]): number {
    const arr = Int32Array.from(data);
    const count = shape.reduce((a, b) => a * b, 1);
    if (arr.length !== count) throw usageError(`constant '${name}': ${arr.length} values for shape [${shape.join(', ')}] (${count})`);
    this.buffers.push(new Uint8Array(arr.buffer));
    return this.addTensor(name, shape, 'INT32', this.buffers.length - 1);
  }

  private opcode(builtin: number, custom: string | null, version: number): number {
    const key = `${builtin}/${custom ?? ''}/${version}`;
    let i = this.opcodeIndex.get(key);
    if (i === undefined) {
      i = this.opcodes.length;
      this.opcodes.push({ builtin, custom, version });
      this.opcodeIndex.set(key, i);
    }
    return i;
  }

  /** Appends a builtin operator. */
  op(name: OpName, inputs: readonly number[], outputs: readonly number[], builtin: BuiltinOptions | null = null, version = 1): void {
    this.checkIndices(inputs, outputs);
    this.ops.push({ opcode: this.opcode(BuiltinOperator[name], null, version), inputs: [...inputs], outputs: [...outputs], builtin, custom: null });
  }

  /** Appends a CUSTOM operator with FlexBuffers options. */
  customOp(code: string, inputs: readonly number[], outputs: readonly number[], customOptions: Uint8Array, version = 1): void {
    this.checkIndices(inputs, outputs);
    this.ops.push({ opcode: this.opcode(BuiltinOperator.CUSTOM, code, version), inputs: [...inputs], outputs: [...outputs], builtin: null, custom: customOptions });
  }

  private checkIndices(inputs: readonly number[], outputs: readonly number[]): void {
    for (const t of [...inputs, ...outputs]) {
      if (!(t === -1 || (Number.isInteger(t) && t >= 0 && t < this.tensors.length))) throw new Error(`internal: operator refers to tensor ${t} of ${this.tensors.length}`);
    }
  }

  /** Serializes the model: schema version 3, one subgraph ('main'). */
  finish(graph: { inputs: readonly number[]; outputs: readonly number[]; description: string }): Uint8Array {
    this.checkIndices(graph.inputs, graph.outputs);
    const tensorTable = (t: TensorSpec): FbTable => fb.table([
      [0, fb.scalars('i32', t.shape)],
      [1, i8(TENSOR_TYPES.indexOf(t.type))],
      [2, fb.scalar('u32', t.buffer)],
      [3, fb.string(t.name)],
      [4, t.quantization ? quantizationTable(t.quantization) : null],
    ]);
    const opTable = (o: OperatorSpec): FbTable => fb.table([
      [0, fb.scalar('u32', o.opcode)],
      [1, fb.scalars('i32', o.inputs)],
      [2, fb.scalars('i32', o.outputs)],
      [3, o.builtin ? fb.scalar('u8', o.builtin.type) : null],
      [4, o.builtin ? o.builtin.table : null],
      [5, o.custom ? fb.bytes(o.custom, 4) : null],
      [6, o.custom ? i8(0) : null], // custom_options_format FLEXBUFFERS
    ]);
    const codeTable = (c: OpcodeSpec): FbTable => fb.table([
      // The int8 field predates builtin codes above 127; newer readers take max(deprecated, builtin_code).
      [0, i8(Math.min(c.builtin, BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES))],
      [1, c.custom !== null ? fb.string(c.custom) : null],
      [2, i32(c.version)],
      [3, i32(c.builtin)],
    ]);
    const model = fb.table([
      [0, fb.scalar('u32', 3)],
      [1, fb.refs(this.opcodes.map(codeTable))],
      [2, fb.refs([fb.table([
        [0, fb.refs(this.tensors.map(tensorTable))],
        [1, fb.scalars('i32', graph.inputs)],
        [2, fb.scalars('i32', graph.outputs)],
        [3, fb.refs(this.ops.map(opTable))],
        [4, fb.string('main')],
      ])])],
      [3, fb.string(graph.description)],
      [4, fb.refs(this.buffers.map((b) => (b.length === 0 ? fb.table([]) : fb.table([[0, fb.bytes(b, 16)]]))))],
    ]);
    const hint = this.buffers.reduce((s, b) => s + b.length + 32, 0) + this.tensors.length * 96 + this.ops.length * 128 + 4096;
    return buildFlatBuffer(model, 'TFL3', hint);
  }
}
