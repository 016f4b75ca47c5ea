// SPDX-License-Identifier: Apache-2.0
/**
 * Seeded, structure-aware mutations of parser inputs.
 *
 * A mutation is recorded as a short list of byte edits (set, flip, copy, splice, truncate) plus
 * format fix-ups (PNG CRCs), so every case — and every regression kept in regressions.ts — is
 * (base input, seed, edit list) and replays exactly from the base file without storing any of its
 * bytes. The edits are *chosen* with knowledge of the format (a flatbuffer's vector lengths,
 * tensor shapes, operator indices and quantization scales; a JPEG's frame header and Huffman
 * tables; a PNG's IHDR and its inflated scanlines, re-deflated and with CRCs recomputed so the
 * decoder itself is reached; a BMP's header fields; the JSON and Python-literal headers of
 * safetensors and .npy) and mixed with blind bit flips, region copies and truncations.
 *
 * Randomness comes only from the project's seeded generator (seededUniform, mulberry32).
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { seededUniform } from '../../src/io/tflite/export.js';
import { FbTable, FlatBufferReader, type FbVector } from '../../src/io/tflite/flatbuffer.js';

export type Edit =
  | { op: 'set'; at: number; bytes: number[] }
  | { op: 'flip'; at: number; mask: number }
  | { op: 'copy'; from: number; to: number; length: number }
  | { op: 'splice'; at: number; remove: number; insert: number[] }
  | { op: 'truncate'; length: number }
  /** Recompute every PNG chunk CRC (so a decoder that checks them reaches the data). */
  | { op: 'png-crc' };

/** Applies edits in order to a copy of `base`; positions past the end are clamped (edits stay valid on shorter files). */
export function applyEdits(base: Uint8Array, edits: readonly Edit[]): Uint8Array {
  let b = base.slice();
  for (const e of edits) {
    const clamp = (i: number) => Math.max(0, Math.min(i, b.length));
    switch (e.op) {
      case 'set': for (let i = 0; i < e.bytes.length && e.at + i < b.length; i++) b[e.at + i] = e.bytes[i]!; break;
      case 'flip': if (e.at < b.length) b[e.at]! ^= e.mask; break;
      case 'copy': {
        const from = clamp(e.from), to = clamp(e.to);
        const n = Math.min(e.length, b.length - from, b.length - to);
        b.copyWithin(to, from, from + n);
        break;
      }
      case 'splice': {
        const at = clamp(e.at);
        const out = new Uint8Array(b.length - Math.min(e.remove, b.length - at) + e.insert.length);
        out.set(b.subarray(0, at), 0);
        out.set(e.insert, at);
        out.set(b.subarray(at + Math.min(e.remove, b.length - at)), at + e.insert.length);
        b = out;
        break;
      }
      case 'truncate': b = b.slice(0, clamp(e.length)); break;
      case 'png-crc': fixPngCrcs(b); break;
    }
  }
  return b;
}

// ---------------------------------------------------------------------------------------------
// Random choices

export class Rand {
  private readonly next: () => number;
  constructor(seed: number) { this.next = seededUniform(seed); }
  float(): number { return this.next(); }
  /** Integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]!; }
  chance(p: number): boolean { return this.next() < p; }
  bytes(n: number): number[] { return Array.from({ length: n }, () => this.int(256)); }
}

const u32le = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
const u16le = (v: number): number[] => [v & 255, (v >>> 8) & 255];
const u16be = (v: number): number[] => [(v >>> 8) & 255, v & 255];
const u32be = (v: number): number[] => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const f32le = (v: number): number[] => Array.from(new Uint8Array(new Float32Array([v]).buffer));

/** Integers that break size arithmetic: boundaries, off-by-ones, products that overflow. */
function hostileInt(r: Rand, original: number, indexRange = 0): number {
  const choices = [
    0, 1, -1, 2, 3, 4, 7, 8, 16, 255, 256, 1023, 65535, 65536, 0x7fffffff, -0x80000000, 0x40000000, 0x10001,
    original + 1, original - 1, original * 2, original * 1000, -original, r.int(0x100000000) | 0,
  ];
  if (indexRange > 0) choices.push(r.int(indexRange), indexRange, indexRange - 1);
  return r.pick(choices) | 0;
}

const HOSTILE_FLOATS = [NaN, Infinity, -Infinity, -1, 0, -0, 1e30, -1e30, 1e-30, 3.4e38, 1.17e-38, 1e-45, 0.5, 2];

// ---------------------------------------------------------------------------------------------
// Blind mutations (any format)

function blind(r: Rand, b: Uint8Array, protect = 0): Edit[] {
  const n = b.length;
  const at = (): number => protect + r.int(Math.max(1, n - protect));
  switch (r.int(6)) {
    case 0: return Array.from({ length: 1 + r.int(8) }, () => ({ op: 'flip' as const, at: at(), mask: 1 << r.int(8) }));
    case 1: return [{ op: 'set', at: at(), bytes: r.bytes(1 + r.int(4)) }];
    case 2: { const length = 1 + r.int(64); return [{ op: 'copy', from: r.int(n), to: at(), length }]; }
    case 3: return [{ op: 'truncate', length: r.int(n) }];
    case 4: return [{ op: 'splice', at: at(), remove: r.int(16), insert: r.bytes(r.int(16)) }];
    default: return [{ op: 'set', at: at(), bytes: r.pick([[0xff], [0x00], [0x7f], [0x80], [0xff, 0xff, 0xff, 0x7f], [0, 0, 0, 0x80]]) }];
  }
}

// ---------------------------------------------------------------------------------------------
// TFLite (flatbuffer) spots: where the numbers the importer trusts live

type SpotKind = 'length' | 'offset' | 'dim' | 'index' | 'scale' | 'zero-point' | 'scalar' | 'blob';
interface Spot { readonly at: number; readonly size: number; readonly kind: SpotKind; readonly range: number }

const tfliteSpotCache = new WeakMap<Uint8Array, Spot[]>();

/** Walks a TFLite file once with our reader and records the positions of every field worth lying about. */
export function tfliteSpots(bytes: Uint8Array): Spot[] {
  const cached = tfliteSpotCache.get(bytes);
  if (cached) return cached;
  const spots: Spot[] = [];
  const fb = new FlatBufferReader(bytes, 'base', { budget: Number.MAX_SAFE_INTEGER });
  const field = (t: FbTable, id: number, size: number, kind: SpotKind, range = 0) => {
    const p = t.field(id, size, `f${id}`);
    if (p >= 0) spots.push({ at: p, size, kind, range });
  };
  const vec = (v: FbVector | null, kind: SpotKind, range = 0) => {
    if (!v) return;
    spots.push({ at: v.pos - 4, size: 4, kind: 'length', range: 0 });
    for (let i = 0; i < Math.min(v.length, 64); i++) spots.push({ at: v.pos + i * v.elemSize, size: v.elemSize, kind, range });
  };
  const ref = (t: FbTable, id: number) => field(t, id, 4, 'offset');
  const root = fb.root();
  const codes = root.vector(1, 'operator_codes', 4);
  ref(root, 1); ref(root, 2); ref(root, 4);
  for (let i = 0; i < (codes?.length ?? 0); i++) { const c = codes!.table(i); field(c, 0, 1, 'scalar'); field(c, 3, 4, 'scalar'); }
  const buffers = root.vector(4, 'buffers', 4);
  const nBuffers = buffers?.length ?? 0;
  for (let i = 0; i < nBuffers; i++) { const bt = buffers!.table(i); ref(bt, 0); const d = bt.vector(0, 'data', 1); if (d) spots.push({ at: d.pos - 4, size: 4, kind: 'length', range: 0 }); }
  const sg = root.vector(2, 'subgraphs', 4)!.table(0);
  const tensors = sg.vector(0, 'tensors', 4);
  const nTensors = tensors?.length ?? 0;
  vec(sg.vector(1, 'inputs', 4), 'index', nTensors);
  vec(sg.vector(2, 'outputs', 4), 'index', nTensors);
  for (let i = 0; i < nTensors; i++) {
    const t = tensors!.table(i);
    ref(t, 0); ref(t, 4);
    vec(t.vector(0, 'shape', 4), 'dim');
    field(t, 1, 1, 'scalar'); field(t, 2, 4, 'index', nBuffers);
    const q = t.table(4, 'quantization');
    if (q) { vec(q.vector(2, 'scale', 4), 'scale'); vec(q.vector(3, 'zero_point', 8), 'zero-point'); field(q, 6, 4, 'scalar'); }
  }
  const ops = sg.vector(3, 'operators', 4);
  for (let i = 0; i < (ops?.length ?? 0); i++) {
    const op = ops!.table(i);
    field(op, 0, 4, 'index', codes?.length ?? 0);
    ref(op, 1); ref(op, 2); ref(op, 4);
    vec(op.vector(1, 'inputs', 4), 'index', nTensors);
    vec(op.vector(2, 'outputs', 4), 'index', nTensors);
    const opt = op.union(3, 'builtin_options').table;
    if (opt) for (let id = 0; id < 8; id++) field(opt, id, 1, 'scalar');
    const custom = op.vector(5, 'custom_options', 1);
    if (custom) { spots.push({ at: custom.pos - 4, size: 4, kind: 'length', range: 0 }); spots.push({ at: custom.pos, size: custom.length, kind: 'blob', range: 0 }); }
  }
  tfliteSpotCache.set(bytes, spots);
  return spots;
}

function readLe(b: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = Math.min(size, 4) - 1; i >= 0; i--) v = v * 256 + (b[at + i] ?? 0);
  return v | 0;
}

function tfliteStructured(r: Rand, b: Uint8Array): Edit[] {
  const spots = tfliteSpots(b);
  const s = r.pick(spots);
  const orig = readLe(b, s.at, s.size);
  switch (s.kind) {
    case 'scale': return [{ op: 'set', at: s.at, bytes: f32le(r.pick(HOSTILE_FLOATS)) }];
    case 'zero-point': return [{ op: 'set', at: s.at, bytes: [...u32le(hostileInt(r, orig)), ...(r.chance(0.5) ? [0, 0, 0, 0] : [0xff, 0xff, 0xff, 0xff])] }];
    case 'blob': return [{ op: 'set', at: s.at + r.int(Math.max(1, s.size)), bytes: r.bytes(1 + r.int(4)) }];
    case 'offset': return r.chance(0.5)
      ? [{ op: 'set', at: s.at, bytes: u32le(orig + r.pick([-8, -4, 4, 8, 12, 16, -orig, 0x7fffffff])) }]
      : [{ op: 'copy', from: r.pick(spots.filter((x) => x.kind === 'offset')).at, to: s.at, length: 4 }];
    case 'scalar': return s.size === 1 ? [{ op: 'set', at: s.at, bytes: [r.pick([0, 1, 2, 3, 5, 6, 7, 0x7f, 0x80, 0xff, r.int(256)])] }] : [{ op: 'set', at: s.at, bytes: u32le(hostileInt(r, orig)) }];
    default: return [{ op: 'set', at: s.at, bytes: u32le(hostileInt(r, orig, s.range)) }];
  }
}

// ---------------------------------------------------------------------------------------------
// safetensors: the JSON header

function safetensorsStructured(r: Rand, b: Uint8Array): Edit[] {
  const len = Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + len))) as Record<string, any>;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const name = r.pick(names);
  const e = header[name];
  const hostileDim = () => r.pick<unknown>([0, 1, -1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e300, 1.5, '3', null, [2], 65536, 3 * 2 ** 30]);
  switch (r.int(9)) {
    case 0: e.shape = [...e.shape, hostileDim()]; break;
    case 1: if (e.shape.length) e.shape[r.int(e.shape.length)] = hostileDim(); else e.shape = [hostileDim()]; break;
    case 2: e.shape = Array.from({ length: r.pick([64, 1000, 4096]) }, () => r.pick([0, 1, 2])); break;
    case 3: e.data_offsets = [hostileDim(), e.data_offsets[1]]; break;
    case 4: e.data_offsets = [e.data_offsets[0], hostileDim()]; break;
    case 5: e.dtype = r.pick(['F32', 'F16', 'BF16', 'F64', 'I64', 'I32', 'U8', 'BOOL', 'F8_E4M3', 'f32', '', 7]); break;
    case 6: delete e[r.pick(['dtype', 'shape', 'data_offsets'])]; break;
    case 7: header['__metadata__'] = r.pick<unknown>([{ a: 1 }, [], null, { x: 'y'.repeat(1000) }, 'str']); break;
    default: header[`${name}.copy`] = { ...e }; break;
  }
  let text = JSON.stringify(header);
  if (r.chance(0.15)) text = '['.repeat(10000) + ']'.repeat(10000);
  const bytes = Array.from(new TextEncoder().encode(text));
  const edits: Edit[] = [{ op: 'splice', at: 8, remove: len, insert: bytes }];
  const newLen = r.chance(0.85) ? bytes.length : hostileInt(r, bytes.length) >>> 0;
  edits.push({ op: 'set', at: 0, bytes: [...u32le(newLen), 0, 0, 0, 0] });
  return edits;
}

// ---------------------------------------------------------------------------------------------
// .npy: the Python-literal header

function npyStructured(r: Rand, b: Uint8Array): Edit[] {
  const hlen = b[8]! | (b[9]! << 8);
  const header = String.fromCharCode(...b.subarray(10, 10 + hlen));
  const dims = () => r.pick(['0', '1', '-1', '2147483648', '4294967296', '9007199254740993', '99999999999999999999', '3.0', 'True', "'2'", '()', '(1,)']);
  let text: string;
  switch (r.int(6)) {
    case 0: text = header.replace(/'shape': \(([^)]*)\)/, (_m, s: string) => `'shape': (${s}${s.trim().length && !s.trim().endsWith(',') ? ', ' : ''}${dims()},)`); break;
    case 1: text = header.replace(/'shape': \(([^)]*)\)/, () => `'shape': (${Array.from({ length: 1 + r.int(40) }, dims).join(', ')},)`); break;
    case 2: text = header.replace(/'descr': '[^']*'/, `'descr': '${r.pick(['<f8', '>f4', '|u1', '<i8', '<f2', 'O', '<U10', "V", '<f4\\x00', ''])}'`); break;
    case 3: text = header.replace(/'fortran_order': \w+/, `'fortran_order': ${r.pick(['True', '1', 'None', "'yes'"])}`); break;
    case 4: text = header.replace(/\{/, '{' + '('.repeat(r.pick([40, 1000])) + ' '); break;
    default: text = header.replace(/'shape'/, r.pick(["'shape', 'shape'", "'shap'", "'descr'", "'extra': 1, 'shape'"])); break;
  }
  const bytes = Array.from(text, (c) => c.charCodeAt(0) & 255);
  const newLen = r.chance(0.8) ? bytes.length : hostileInt(r, bytes.length) & 0xffff;
  return [{ op: 'splice', at: 10, remove: hlen, insert: bytes }, { op: 'set', at: 8, bytes: u16le(newLen) }];
}

// ---------------------------------------------------------------------------------------------
// JPEG: marker segments

interface JpegSegment { readonly marker: number; readonly at: number; readonly length: number }

function jpegSegments(b: Uint8Array): JpegSegment[] {
  const out: JpegSegment[] = [];
  let off = 2;
  while (off + 4 <= b.length) {
    if (b[off] !== 0xff) break;
    const m = b[off + 1]!;
    if (m === 0xd9) break;
    const len = (b[off + 2]! << 8) | b[off + 3]!;
    out.push({ marker: m, at: off, length: len });
    off += 2 + len;
    if (m === 0xda) { // skip entropy-coded data
      while (off + 1 < b.length && !(b[off] === 0xff && b[off + 1] !== 0 && !(b[off + 1]! >= 0xd0 && b[off + 1]! <= 0xd7))) off++;
    }
  }
  return out;
}

function jpegStructured(r: Rand, b: Uint8Array): Edit[] {
  const segs = jpegSegments(b);
  const sof = segs.find((s) => s.marker >= 0xc0 && s.marker <= 0xc2);
  const s = r.pick(segs);
  const data = s.at + 4;
  switch (r.int(7)) {
    case 0: if (sof) return [{ op: 'set', at: sof.at + 5 + 2 * r.int(2), bytes: u16be(r.pick([0, 1, 7, 8, 9, 4096, 65535, 16384, r.int(65536)])) }]; break;
    case 1: if (sof) return [{ op: 'set', at: sof.at + 9, bytes: [r.pick([0, 1, 2, 3, 4, 5, 255])] }]; break;
    case 2: if (sof) return [{ op: 'set', at: sof.at + 11 + 3 * r.int(3), bytes: [r.pick([0x11, 0x22, 0x44, 0x41, 0x14, 0x00, 0xff, 0x12, 0x21, 0x33])] }]; break;
    case 3: return [{ op: 'set', at: s.at + 2, bytes: u16be(r.pick([0, 1, 2, s.length - 1, s.length + 1, 65535])) }];
    case 4: return [{ op: 'set', at: data + r.int(Math.max(1, s.length - 2)), bytes: r.bytes(1 + r.int(3)) }];
    case 5: return [{ op: 'splice', at: s.at, remove: 0, insert: [0xff, r.pick([0xd8, 0xd9, 0xd0, 0xdd, 0xc0, 0xc4, 0xdb, 0xda, 0xfe]), 0, 4, r.int(256), r.int(256)] }];
    default: { // entropy-coded data after the last SOS
      const sos = [...segs].reverse().find((x) => x.marker === 0xda);
      if (sos) { const start = sos.at + 2 + sos.length; return [{ op: 'set', at: start + r.int(Math.max(1, b.length - start - 2)), bytes: r.bytes(1 + r.int(8)) }]; }
    }
  }
  return blind(r, b, 2);
}

// ---------------------------------------------------------------------------------------------
// PNG: chunks, IHDR fields, the inflated scanlines; CRCs fixed afterwards

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(b: Uint8Array, from: number, to: number): number {
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ b[i]!) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface PngChunk { readonly type: string; readonly at: number; readonly length: number }

function pngChunks(b: Uint8Array): PngChunk[] {
  const out: PngChunk[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let off = 8; off + 12 <= b.length;) {
    const length = dv.getUint32(off);
    if (off + 12 + length > b.length) break;
    out.push({ type: String.fromCharCode(...b.subarray(off + 4, off + 8)), at: off, length });
    off += 12 + length;
  }
  return out;
}

function fixPngCrcs(b: Uint8Array): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (const c of pngChunks(b)) dv.setUint32(c.at + 8 + c.length, crc32(b, c.at + 4, c.at + 8 + c.length));
}

function pngStructured(r: Rand, b: Uint8Array): Edit[] {
  const chunks = pngChunks(b);
  const ihdr = chunks[0]!;
  const d = ihdr.at + 8;
  const idats = chunks.filter((c) => c.type === 'IDAT');
  let edits: Edit[];
  switch (r.int(6)) {
    case 0: edits = [{ op: 'set', at: d + 4 * r.int(2), bytes: u32be(r.pick([0, 1, 2, 3, 7, 8, 65535, 0x7fffffff, 0x80000000, 100000, r.int(4096)])) }]; break;
    case 1: edits = [{ op: 'set', at: d + 8 + r.int(5), bytes: [r.pick([0, 1, 2, 3, 4, 6, 8, 16, 255])] }]; break;
    case 2: edits = [{ op: 'set', at: r.pick(chunks).at, bytes: u32be(r.pick([0, 1, 13, 0x7fffffff, 0xffffffff])) }]; break;
    case 3: { // mutate the inflated scanlines and re-deflate, so the decoder's own filtering is reached
      const first = idats[0]!;
      const z = Buffer.concat(idats.map((c) => b.subarray(c.at + 8, c.at + 8 + c.length)));
      const raw = new Uint8Array(inflateSync(z));
      const kind = r.int(4);
      if (kind === 0) for (let k = 0; k < 1 + r.int(4); k++) raw[r.int(raw.length)] = r.pick([5, 6, 255, 4]); // filter types
      else if (kind === 1) for (let k = 0; k < 1 + r.int(16); k++) raw[r.int(raw.length)] = r.int(256);
      const data = kind === 2 ? raw.subarray(0, r.int(raw.length)) : kind === 3 ? Buffer.concat([raw, new Uint8Array(1 + r.int(4096))]) : raw;
      let deflated = new Uint8Array(deflateSync(data));
      if (r.chance(0.1)) deflated = deflated.subarray(0, r.int(deflated.length));
      const lastIdat = idats[idats.length - 1]!;
      const end = lastIdat.at + 12 + lastIdat.length;
      edits = [{ op: 'splice', at: first.at, remove: end - first.at, insert: [...u32be(deflated.length), 0x49, 0x44, 0x41, 0x54, ...deflated, 0, 0, 0, 0] }];
      break;
    }
    case 4: edits = [{ op: 'splice', at: r.pick(chunks).at, remove: 0, insert: [...u32be(3), ...Array.from(r.pick(['PLTE', 'IDAT', 'IHDR', 'tRNS', 'IEND']), (c) => c.charCodeAt(0)), 1, 2, 3, 0, 0, 0, 0] }]; break;
    default: edits = blind(r, b, 8); break;
  }
  return r.chance(0.9) ? [...edits, { op: 'png-crc' }] : edits;
}

// ---------------------------------------------------------------------------------------------
// BMP: header fields

function bmpStructured(r: Rand, b: Uint8Array): Edit[] {
  const fields: Array<[number, number]> = [[2, 4], [10, 4], [14, 4], [18, 4], [22, 4], [26, 2], [28, 2], [30, 4], [34, 4], [46, 4], [54, 4], [58, 4], [62, 4]];
  const [at, size] = r.pick(fields);
  const orig = readLe(b, at, size);
  if (r.chance(0.2) && b.length > 60) return [{ op: 'set', at: 54 + r.int(Math.min(1024, b.length - 54)), bytes: r.bytes(1 + r.int(4)) }];
  const v = r.chance(0.3) ? r.pick([1, 4, 8, 16, 24, 32, 0, 2, 3, 5, 6, 12, 40, 52, 56, 64, 108, 124]) : hostileInt(r, orig);
  return [{ op: 'set', at, bytes: size === 2 ? u16le(v) : u32le(v) }];
}

// ---------------------------------------------------------------------------------------------

export type Parser = 'tflite' | 'flexbuffer' | 'safetensors' | 'npy' | 'jpeg' | 'png' | 'bmp';

const STRUCTURED: Record<Parser, ((r: Rand, b: Uint8Array) => Edit[]) | null> = {
  tflite: tfliteStructured,
  flexbuffer: null,
  safetensors: safetensorsStructured,
  npy: npyStructured,
  jpeg: jpegStructured,
  png: pngStructured,
  bmp: bmpStructured,
};

/**
 * The edits of case `seed` for an input of `parser`: one to three mutations, mostly structure-aware
 * (blind ones too; flexbuffers are small enough for blind edits alone).
 */
export function mutate(parser: Parser, base: Uint8Array, seed: number): Edit[] {
  const r = new Rand(seed);
  const edits: Edit[] = [];
  const rounds = 1 + r.int(3);
  for (let i = 0; i < rounds; i++) {
    const structured = STRUCTURED[parser];
    // Structure-aware edits look at the base file (its layout is known); later rounds pile on.
    edits.push(...(structured && r.chance(0.75) ? structured(r, base) : blind(r, base, parser === 'png' ? 8 : 0)));
  }
  // The PNG CRC fix-up goes last, after every edit.
  if (edits.some((e) => e.op === 'png-crc')) return [...edits.filter((e) => e.op !== 'png-crc'), { op: 'png-crc' }];
  return edits;
}
