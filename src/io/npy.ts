// SPDX-License-Identifier: Apache-2.0
/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0; NEP 1 / numpy.lib.format): float32 through
 * parseNpy/encodeNpy, and float32, uint8, int8, int32, int64 through parseNpyTyped/encodeNpyTyped.
 *
 * Layout: the magic "\x93NUMPY", a major and a minor version byte, the header length (uint16 LE in
 * 1.0, uint32 LE in 2.0 and 3.0), then the header: a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 224, 224), }
 * padded with spaces and a newline (latin-1 in 1.0/2.0, UTF-8 in 3.0), then the raw array data.
 *
 * The header is parsed by a small literal parser below, never evaluated. Every number in it is
 * checked against the file before use, so a hostile or damaged file produces a MobileNetV2Error
 * and never an allocation larger than the file itself.
 *
 * Big-endian data ('>f4') is byte-swapped while copying. The data is always copied into a fresh,
 * aligned Float32Array: NumPy aligns data to 64 bytes but older writers and hand-made files do not,
 * and a Float32Array view needs a multiple of 4.
 */
import { dtypeError, fmtShape, formatError, shapeError, usageError } from '../errors.js';
import { decodeFloat32, encodeFloat32LE } from './float16.js';
import { readFileBytes, writeFileBytes, type ReadFileOptions } from './files.js';
import { typedArrayDtype, type TypedDType } from './dtype.js';

export interface NpyArray {
  /** Elements in C (row-major) order, copied out of the file. */
  data: Float32Array<ArrayBuffer>;
  shape: number[];
  /** Always false: Fortran-ordered files are rejected (or are identical to C order, see parseNpy). */
  fortranOrder: false;
}

/** The dtypes read and written here: float32 activations and the integer tensors of quantized models. */
export type NpyDType = TypedDType;
export type NpyData = Float32Array<ArrayBuffer> | Uint8Array<ArrayBuffer> | Int8Array<ArrayBuffer> | Int32Array<ArrayBuffer> | BigInt64Array<ArrayBuffer>;
/** What encodeNpyTyped accepts (any backing buffer). */
export type NpyInput = Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

/** A `.npy` array of any supported dtype (parseNpyTyped / encodeNpyTyped). */
export interface NpyTypedArray {
  dtype: NpyDType;
  /** Elements in C order, copied out of the file; the typed array matches `dtype`. */
  data: NpyData;
  shape: number[];
  fortranOrder: false;
}

/** descr → dtype, byte order ('<' little, '>' big, '|' not applicable) and element size. */
const DESCRS: Readonly<Record<string, { dtype: NpyDType; littleEndian: boolean; size: number }>> = {
  '<f4': { dtype: 'float32', littleEndian: true, size: 4 }, '=f4': { dtype: 'float32', littleEndian: true, size: 4 },
  '|f4': { dtype: 'float32', littleEndian: true, size: 4 }, 'f4': { dtype: 'float32', littleEndian: true, size: 4 },
  '>f4': { dtype: 'float32', littleEndian: false, size: 4 },
  '|u1': { dtype: 'uint8', littleEndian: true, size: 1 }, '<u1': { dtype: 'uint8', littleEndian: true, size: 1 },
  '>u1': { dtype: 'uint8', littleEndian: true, size: 1 }, '=u1': { dtype: 'uint8', littleEndian: true, size: 1 }, 'u1': { dtype: 'uint8', littleEndian: true, size: 1 },
  '|i1': { dtype: 'int8', littleEndian: true, size: 1 }, '<i1': { dtype: 'int8', littleEndian: true, size: 1 },
  '>i1': { dtype: 'int8', littleEndian: true, size: 1 }, '=i1': { dtype: 'int8', littleEndian: true, size: 1 }, 'i1': { dtype: 'int8', littleEndian: true, size: 1 },
  '<i4': { dtype: 'int32', littleEndian: true, size: 4 }, '=i4': { dtype: 'int32', littleEndian: true, size: 4 }, 'i4': { dtype: 'int32', littleEndian: true, size: 4 },
  '>i4': { dtype: 'int32', littleEndian: false, size: 4 },
  '<i8': { dtype: 'int64', littleEndian: true, size: 8 }, '=i8': { dtype: 'int64', littleEndian: true, size: 8 }, 'i8': { dtype: 'int64', littleEndian: true, size: 8 },
  '>i8': { dtype: 'int64', littleEndian: false, size: 8 },
};
/** The descr NumPy writes for each dtype (little-endian host). */
const WRITE_DESCR: Readonly<Record<NpyDType, string>> = { float32: '<f4', uint8: '|u1', int8: '|i1', int32: '<i4', int64: '<i8' };

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** NumPy aligns the start of the data to this many bytes (numpy.lib.format.ARRAY_ALIGN). */
const ARRAY_ALIGN = 64;
/** NumPy ≥ 1.23 leaves room for the first axis to grow to this many digits without rewriting the file. */
const GROWTH_AXIS_MAX_DIGITS = 21;
/** NumPy itself refuses headers above 10000 bytes by default; 1 MiB leaves hand-written files plenty of room while bounding parse work. */
const MAX_HEADER_BYTES = 1 << 20;

// ---------------------------------------------------------------------------------------------
// Python literal parsing (the subset ast.literal_eval accepts that can appear in .npy headers).

type PyValue =
  | { kind: 'str'; value: string; text: string }
  | { kind: 'int'; value: bigint; text: string }
  | { kind: 'float'; text: string }
  | { kind: 'bool'; value: boolean; text: string }
  | { kind: 'none'; text: string }
  | { kind: 'tuple'; items: PyValue[]; text: string }
  | { kind: 'list'; items: PyValue[]; text: string }
  | { kind: 'dict'; entries: Map<string, PyValue>; text: string };

/** Thrown inside the literal parser; turned into one FORMAT error naming the file. */
class LiteralSyntaxError extends Error {}

/** Deep nesting can only come from a hostile header; the limit keeps recursion off the stack limit. */
const MAX_DEPTH = 32;

class LiteralParser {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    throw new LiteralSyntaxError(`${what} at character ${this.pos}`);
  }

  skipSpace(): void {
    while (this.pos < this.s.length) {
      const c = this.s[this.pos]!;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') this.pos++;
      else break;
    }
  }

  parseTop(): PyValue {
    this.skipSpace();
    const v = this.parseValue(0);
    this.skipSpace();
    // NUL padding is not NumPy's, but some writers pad with it; anything else is junk.
    while (this.pos < this.s.length && this.s[this.pos] === '\0') this.pos++;
    if (this.pos !== this.s.length) this.fail('unexpected text after the dict');
    return v;
  }

  parseValue(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    this.skipSpace();
    const start = this.pos;
    const c = this.s[this.pos];
    if (c === undefined) this.fail('unexpected end of header');
    if (c === '{') return this.parseDict(depth, start);
    if (c === '(') return this.parseSequence(depth, start, ')');
    if (c === '[') return this.parseSequence(depth, start, ']');
    if (c === "'" || c === '"') return this.parseString(start);
    if (c === '-' || c === '+' || c === '.' || (c >= '0' && c <= '9')) return this.parseNumber(start);
    for (const [word, v] of [['True', true], ['False', false], ['None', null]] as const) {
      if (this.s.startsWith(word, this.pos) && !/[A-Za-z0-9_]/.test(this.s[this.pos + word.length] ?? '')) {
        this.pos += word.length;
        return v === null ? { kind: 'none', text: word } : { kind: 'bool', value: v, text: word };
      }
    }
    this.fail(`unexpected ${JSON.stringify(c)}`);
  }

  parseDict(depth: number, start: number): PyValue {
    this.pos++; // {
    const entries = new Map<string, PyValue>();
    for (;;) {
      this.skipSpace();
      if (this.s[this.pos] === '}') break;
      const key = this.parseValue(depth + 1);
      if (key.kind !== 'str') this.fail(`dict key ${key.text} is not a string`);
      this.skipSpace();
      if (this.s[this.pos] !== ':') this.fail("expected ':'");
      this.pos++;
      const value = this.parseValue(depth + 1);
      if (entries.has(key.value)) this.fail(`duplicate key ${key.text}`);
      entries.set(key.value, value);
      this.skipSpace();
      if (this.s[this.pos] === ',') { this.pos++; continue; }
      if (this.s[this.pos] === '}') break;
      this.fail("expected ',' or '}'");
    }
    this.pos++; // }
    return { kind: 'dict', entries, text: this.s.slice(start, this.pos) };
  }

  /** Tuples and lists; "(x)" without a comma is just a parenthesised x, as in Python. */
  parseSequence(depth: number, start: number, close: ')' | ']'): PyValue {
    this.pos++;
    const items: PyValue[] = [];
    let sawComma = false;
    for (;;) {
      this.skipSpace();
      if (this.s[this.pos] === close) break;
      items.push(this.parseValue(depth + 1));
      this.skipSpace();
      if (this.s[this.pos] === ',') { this.pos++; sawComma = true; continue; }
      if (this.s[this.pos] === close) break;
      this.fail(`expected ',' or '${close}'`);
    }
    this.pos++;
    const text = this.s.slice(start, this.pos);
    if (close === ']') return { kind: 'list', items, text };
    if (items.length === 1 && !sawComma) return items[0]!;
    return { kind: 'tuple', items, text };
  }

  parseString(start: number): PyValue {
    const quote = this.s[this.pos]!;
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      this.pos++;
      if (c === quote) break;
      if (c !== '\\') { out += c; continue; }
      const e = this.s[this.pos];
      if (e === undefined) this.fail('unterminated string');
      this.pos++;
      const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '0': '\0' };
      if (e in simple) { out += simple[e]; continue; }
      const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : 0;
      if (hexLen === 0) this.fail(`unsupported escape \\${e}`);
      const hex = this.s.slice(this.pos, this.pos + hexLen);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(hex)) this.fail(`bad \\${e} escape`);
      out += String.fromCharCode(parseInt(hex, 16));
      this.pos += hexLen;
    }
    return { kind: 'str', value: out, text: this.s.slice(start, this.pos) };
  }

  parseNumber(start: number): PyValue {
    const m = /^[-+]?(?:(\d+)[lL]?(?![\d.eEjJ])|\d*\.?\d*(?:[eE][-+]?\d+)?[jJ]?)/.exec(this.s.slice(this.pos, this.pos + 400));
    const text = m?.[0] ?? '';
    if (text === '' || text === '-' || text === '+' || !/\d/.test(text)) this.fail('bad number');
    this.pos += text.length;
    if (m![1] !== undefined) {
      // Python 2 NumPy wrote shapes like (3L, 4L); the L is harmless.
      const digits = text.replace(/[lL]$/, '');
      return { kind: 'int', value: BigInt(digits.replace(/^\+/, '')), text };
    }
    return { kind: 'float', text };
  }
}

// ---------------------------------------------------------------------------------------------

/** Readable name of a NumPy dtype string for messages: '<f8' → 'float64'. */
function describeDescr(descr: string): string {
  const m = /^([<>=|]?)([a-zA-Z])(\d*)$/.exec(descr);
  if (m === null) return 'unknown dtype';
  const [, , kind, sizeText] = m;
  const size = sizeText === '' ? NaN : Number(sizeText);
  const bits = size * 8;
  switch (kind) {
    case 'f': return `float${bits}`;
    case 'i': return `int${bits}`;
    case 'u': return `uint${bits}`;
    case 'c': return `complex${bits}`;
    case 'b': return 'bool';
    case 'O': return 'Python objects';
    case 'U': return 'unicode string';
    case 'S': return 'bytes';
    case 'V': return 'raw void';
    case 'M': return 'datetime64';
    case 'm': return 'timedelta64';
    default: return 'unknown dtype';
  }
}

/** Header text for a one-line message: whitespace runs become one space and other control characters (from a hostile file) are escaped. */
function clip(text: string, max = 120): string {
  const oneLine = text
    .replace(/\s+/g, ' ')
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/**
 * Parses a float32 `.npy` file. `source` names the file in error messages.
 *
 * Accepts: versions 1.0/2.0/3.0; descr '<f4' (what NumPy writes for float32 on every common
 * platform) or '>f4' (big-endian, byte-swapped here); also '=f4', '|f4' and 'f4', which NumPy never
 * writes but reads as native order, taken as little-endian because that is what every platform
 * NumPy and PyTorch run on uses. fortran_order True is accepted only when Fortran and C order are
 * the same bytes (at most one axis longer than 1, or no elements); otherwise it is rejected.
 *
 * Errors (MobileNetV2Error): FORMAT for a bad magic, unsupported version, truncated header, header
 * that is not a dict literal with exactly the keys descr/fortran_order/shape, or data whose length
 * is not product(shape)·4; DTYPE for any dtype other than float32; SHAPE for shape entries that are
 * negative or not integers, and for Fortran-ordered data.
 */
export function parseNpy(bytes: Uint8Array, source: string): NpyArray {
  const { data, shape } = parseNpyWith(bytes, source, ['float32']);
  return { data: data as Float32Array<ArrayBuffer>, shape, fortranOrder: false };
}

/**
 * Parses a `.npy` file of dtype float32, uint8, int8, int32 or int64 (little- or big-endian), e.g.
 * the raw input and the integer taps of a quantized model. Same checks and errors as parseNpy;
 * DTYPE for any other dtype.
 */
export function parseNpyTyped(bytes: Uint8Array, source: string): NpyTypedArray {
  return parseNpyWith(bytes, source, ['float32', 'uint8', 'int8', 'int32', 'int64']);
}

function parseNpyWith(bytes: Uint8Array, source: string, accepted: readonly NpyDType[]): NpyTypedArray {
  if (bytes.length < 6 || MAGIC.some((b, i) => bytes[i] !== b)) {
    const found = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw formatError(`${source}: not a .npy file: expected the magic bytes 93 4e 55 4d 50 59 ("\\x93NUMPY"), found ${found === '' ? 'an empty file' : found}`);
  }
  if (bytes.length < 8) {
    throw formatError(`${source}: truncated .npy header: the file ends after ${bytes.length} bytes, before the format version`);
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw formatError(`${source}: .npy format version ${major}.${minor} is not supported; expected 1.0, 2.0 or 3.0`);
  }
  const lenBytes = major === 1 ? 2 : 4;
  const headerStart = 8 + lenBytes;
  if (bytes.length < headerStart) {
    throw formatError(`${source}: truncated .npy header: the file ends after ${bytes.length} bytes, before the ${lenBytes}-byte header length`);
  }
  const headerLen = major === 1
    ? bytes[8]! | (bytes[9]! << 8)
    : (bytes[8]! | (bytes[9]! << 8) | (bytes[10]! << 16)) + bytes[11]! * 2 ** 24;
  if (headerLen > MAX_HEADER_BYTES) {
    throw formatError(`${source}: .npy header length ${headerLen} bytes is implausible; expected at most ${MAX_HEADER_BYTES} (NumPy's own headers are under 10000 bytes)`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    throw formatError(`${source}: truncated .npy header: it declares ${headerLen} header bytes but the file has only ${bytes.length - headerStart} after the header length`);
  }

  const headerBytes = bytes.subarray(headerStart, dataStart);
  let header: string;
  if (major === 3) {
    try {
      header = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      throw formatError(`${source}: .npy 3.0 header is not valid UTF-8`);
    }
  } else {
    // Latin-1 maps each byte to the code point of the same value. (TextDecoder's 'latin1' is
    // really windows-1252, which remaps 0x80–0x9f, so decode by hand in chunks.)
    header = '';
    for (let i = 0; i < headerBytes.length; i += 8192) {
      header += String.fromCharCode(...headerBytes.subarray(i, i + 8192));
    }
  }

  let dict: PyValue;
  try {
    dict = new LiteralParser(header).parseTop();
  } catch (err) {
    if (!(err instanceof LiteralSyntaxError)) throw err;
    throw formatError(`${source}: .npy header is not a valid Python dict literal (${clip(err.message, 80)}): ${clip(header)}`);
  }
  if (dict.kind !== 'dict') {
    throw formatError(`${source}: .npy header is not a dict: ${clip(header)}`);
  }
  const keys = [...dict.entries.keys()];
  const expectedKeys = ['descr', 'fortran_order', 'shape'];
  if (keys.length !== 3 || !expectedKeys.every((k) => dict.entries.has(k))) {
    throw formatError(`${source}: .npy header has keys ${clip(JSON.stringify(keys.sort()))}; expected exactly ["descr", "fortran_order", "shape"]`);
  }
  const descr = dict.entries.get('descr')!;
  const fortran = dict.entries.get('fortran_order')!;
  const shapeValue = dict.entries.get('shape')!;

  // dtype
  if (descr.kind !== 'str') {
    throw dtypeError(`${source}: dtype ${clip(descr.text)} (a structured or non-string descr) is not supported; expected float32 ('<f4') — convert with arr.astype(np.float32)`);
  }
  const known = Object.hasOwn(DESCRS, descr.value) ? DESCRS[descr.value]! : null;
  if (known === null || !accepted.includes(known.dtype)) {
    const expected = accepted.length === 1
      ? "expected float32 ('<f4') — convert with arr.astype(np.float32)"
      : `expected one of ${accepted.join(', ')}`;
    throw dtypeError(`${source}: dtype '${clip(descr.value, 40)}' (${describeDescr(descr.value)}) is not supported; ${expected}`);
  }
  const { dtype, littleEndian, size } = known;

  // fortran_order
  if (fortran.kind !== 'bool') {
    throw formatError(`${source}: .npy header has fortran_order ${clip(fortran.text, 40)}; expected True or False`);
  }

  // shape
  if (shapeValue.kind !== 'tuple') {
    throw formatError(`${source}: .npy header has shape ${clip(shapeValue.text, 60)}; expected a tuple of integers such as (2, 3) or (5,) or ()`);
  }
  const shape: number[] = [];
  let count = 1n;
  for (const item of shapeValue.items) {
    if (item.kind !== 'int' || item.value < 0n || item.value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw shapeError(`${source}: shape ${clip(shapeValue.text, 60)} has entry ${clip(item.text, 30)}; expected non-negative integers`);
    }
    shape.push(Number(item.value));
    count *= item.value;
  }

  if (fortran.value) {
    const longAxes = shape.filter((d) => d > 1).length;
    if (longAxes > 1 && count !== 0n) {
      throw shapeError(`${source}: array of shape ${fmtShape(shape)} is stored with fortran_order=True; expected C order — save np.ascontiguousarray(arr)`);
    }
  }

  const needed = count * BigInt(size);
  const available = bytes.length - dataStart;
  if (needed !== BigInt(available)) {
    const what = needed > BigInt(available) ? 'the data is truncated' : 'the file has trailing bytes';
    throw formatError(`${source}: ${what}: shape ${fmtShape(shape)} of ${dtype} needs ${needed} data bytes but the file has ${available} after the ${dataStart}-byte header`);
  }

  // Only now is the element count known to be backed by bytes in the file.
  return { dtype, data: decodeData(bytes, dataStart, Number(count), dtype, littleEndian), shape, fortranOrder: false };
}

/** A fresh, aligned copy of `count` elements of `dtype` at `offset`. */
function decodeData(bytes: Uint8Array, offset: number, count: number, dtype: NpyDType, littleEndian: boolean): NpyData {
  switch (dtype) {
    case 'float32': return decodeFloat32(bytes, offset, count, littleEndian);
    case 'uint8': return bytes.slice(offset, offset + count);
    case 'int8': return new Int8Array(bytes.slice(offset, offset + count).buffer);
    case 'int32': {
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 4);
      return Int32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, littleEndian));
    }
    case 'int64': {
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 8);
      const out = new BigInt64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getBigInt64(i * 8, littleEndian);
      return out;
    }
  }
}

/** Little-endian bytes of `data` (a copy). */
function encodeDataLE(data: NpyInput, dtype: NpyDType): Uint8Array<ArrayBuffer> {
  switch (dtype) {
    case 'float32': return encodeFloat32LE(data as Float32Array);
    case 'uint8': case 'int8': return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    case 'int32': {
      const out = new Uint8Array(data.length * 4);
      const view = new DataView(out.buffer);
      (data as Int32Array).forEach((v, i) => view.setInt32(i * 4, v, true));
      return out;
    }
    case 'int64': {
      const out = new Uint8Array(data.length * 8);
      const view = new DataView(out.buffer);
      (data as BigInt64Array).forEach((v, i) => view.setBigInt64(i * 8, v, true));
      return out;
    }
  }
}

/** Python repr of a shape tuple: (), (5,), (2, 3). */
function shapeRepr(shape: readonly number[]): string {
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/**
 * A float32 `.npy` file holding `data` with `shape`, byte for byte what NumPy ≥ 1.23 `np.save`
 * writes for a little-endian float32 C-ordered array: version 1.0 (2.0 only if the header needs
 * more than 65535 bytes), descr '<f4', header padded with spaces and a final newline so the data
 * starts at a multiple of 64 bytes.
 */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array<ArrayBuffer> {
  return encodeNpyTyped(data, shape);
}

/**
 * A `.npy` file of `data`'s own dtype (Float32Array → '<f4', Uint8Array → '|u1', Int8Array → '|i1',
 * Int32Array → '<i4', BigInt64Array → '<i8'), laid out exactly as encodeNpy lays out float32.
 */
export function encodeNpyTyped(data: NpyInput, shape: readonly number[]): Uint8Array<ArrayBuffer> {
  const dtype = typedArrayDtype(data);
  if (dtype === null) throw usageError('encodeNpy: data must be a Float32Array, Uint8Array, Int8Array, Int32Array or BigInt64Array');
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw shapeError(`encodeNpy: shape ${fmtShape(shape)} has entry ${d}; expected non-negative integers`);
    }
    count *= d;
  }
  if (count !== data.length) {
    throw shapeError(`encodeNpy: shape ${fmtShape(shape)} needs ${count} values but data has ${data.length}`);
  }
  let dict = `{'descr': '${WRITE_DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));

  // Header text is ASCII, so its length in characters is its length in bytes.
  const hlen = dict.length + 1; // + newline
  let version = 1;
  let prefixLen = 10;
  let padLen = ARRAY_ALIGN - ((prefixLen + hlen) % ARRAY_ALIGN);
  if (hlen + padLen > 0xffff) {
    version = 2;
    prefixLen = 12;
    padLen = ARRAY_ALIGN - ((prefixLen + hlen) % ARRAY_ALIGN);
  }
  // NumPy pads even when already aligned (a full ARRAY_ALIGN of spaces); `% ARRAY_ALIGN` above reproduces that.
  const headerLen = hlen + padLen;
  const dataStart = prefixLen + headerLen;
  if (dataStart % ARRAY_ALIGN !== 0) throw usageError('encodeNpy: internal error: misaligned header');
  const payload = encodeDataLE(data, dtype);
  const out = new Uint8Array(dataStart + payload.length);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  if (version === 1) {
    out[8] = headerLen & 0xff;
    out[9] = headerLen >>> 8;
  } else {
    new DataView(out.buffer).setUint32(8, headerLen, true);
  }
  for (let i = 0; i < dict.length; i++) out[prefixLen + i] = dict.charCodeAt(i);
  out.fill(0x20, prefixLen + dict.length, dataStart - 1);
  out[dataStart - 1] = 0x0a;
  out.set(payload, dataStart);
  return out;
}

/** Reads a float32 `.npy` file; errors name `path`. */
export function readNpyFile(path: string, options: ReadFileOptions = {}): NpyArray {
  return parseNpy(readFileBytes(path, 'npy file', options), path);
}

/** Writes `data` with `shape` as a float32 `.npy` file (see encodeNpy). */
export function writeNpyFile(path: string, data: Float32Array, shape: readonly number[]): void {
  writeFileBytes(path, encodeNpy(data, shape), 'npy file');
}

/** Reads a `.npy` file of any supported dtype (see parseNpyTyped); errors name `path`. */
export function readNpyTypedFile(path: string, options: ReadFileOptions = {}): NpyTypedArray {
  return parseNpyTyped(readFileBytes(path, 'npy file', options), path);
}

/** Writes `data` in its own dtype (see encodeNpyTyped). */
export function writeNpyTypedFile(path: string, data: NpyInput, shape: readonly number[]): void {
  writeFileBytes(path, encodeNpyTyped(data, shape), 'npy file');
}
