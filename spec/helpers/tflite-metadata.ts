// SPDX-License-Identifier: Apache-2.0
/**
 * Test tooling: give an existing .tflite file Model Metadata, the way tflite-support's
 * MetadataPopulator does (a ModelMetadata flatbuffer in a new buffer, named "TFLITE_METADATA" in
 * Model.metadata, field 6; the associated files appended as a zip archive).
 *
 * The model is not re-serialized: a new root table is inserted right after the 8-byte header
 * (uoffsets are relative and only point forward, so everything after the insertion still resolves
 * once the new references are computed against the shifted positions). The insertion is a multiple
 * of 16 bytes, so the tensor buffers keep their alignment. The new root copies the old root's
 * fields and points `buffers` and `metadata` at extended copies of the old vectors.
 *
 * ModelMetadata field ids are written here from tflite-support's metadata_schema.fbs (not from
 * src/io/tflite/metadata.ts), so a wrong id on either side makes the tests fail.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFlatBuffer, fb, type FbTable, type FbValue } from '../../src/io/tflite/writer.js';

class Sink {
  readonly bytes: number[] = [];
  constructor(readonly base: number) {}
  get abs(): number { return this.base + this.bytes.length; }
  u16(v: number): void { this.bytes.push(v & 0xff, (v >>> 8) & 0xff); }
  u32(v: number): void { this.bytes.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff); }
  align(n: number): void { while (this.abs % n !== 0) this.bytes.push(0); }
  patchU32(abs: number, v: number): void {
    const i = abs - this.base;
    this.bytes[i] = v & 0xff; this.bytes[i + 1] = (v >>> 8) & 0xff; this.bytes[i + 2] = (v >>> 16) & 0xff; this.bytes[i + 3] = (v >>> 24) & 0xff;
  }
}

/** Inserts Model.metadata entries ({name, data} → new buffers) into a .tflite file. */
export function addModelMetadataEntries(model: Uint8Array, entries: ReadonlyArray<{ name: string; data: Uint8Array }>): Uint8Array {
  const view = new DataView(model.buffer, model.byteOffset, model.byteLength);
  const u32 = (p: number): number => view.getUint32(p, true);
  const root = u32(0);
  const vt = root - view.getInt32(root, true);
  const vtSize = view.getUint16(vt, true);
  const field = (id: number): number => {
    const slot = 4 + 2 * id;
    if (slot + 2 > vtSize) return -1;
    const off = view.getUint16(vt + slot, true);
    return off === 0 ? -1 : root + off;
  };
  const target = (p: number): number => p + u32(p);
  const oldVector = (id: number): number[] => {
    const p = field(id);
    if (p < 0) return [];
    const v = target(p);
    return Array.from({ length: u32(v) }, (_, i) => target(v + 4 + 4 * i));
  };
  const oldBuffers = oldVector(4);
  const oldMetadata = oldVector(6);

  const build = (shift: number): number[] => {
    const s = new Sink(8);
    const patches: Array<{ at: number; to: number }> = [];
    // vtable for ids 0..7 (version, operator_codes, subgraphs, description, buffers, metadata_buffer, metadata, signature_defs)
    const vtAbs = s.abs;
    s.u16(20); s.u16(36);
    const present = [0, 1, 2, 3, 4, 5, 6, 7].map((id) => id === 4 || id === 6 || field(id) >= 0);
    for (let id = 0; id < 8; id++) s.u16(present[id] ? 4 + 4 * id : 0);
    const t = s.abs;
    s.u32(t - vtAbs);
    s.u32(field(0) >= 0 ? u32(field(0)) : 0);
    for (let id = 1; id < 8; id++) {
      const at = s.abs;
      s.u32(0);
      if (!present[id] || id === 4 || id === 6) continue;
      patches.push({ at, to: target(field(id)) + shift });
    }
    const refVector = (olds: number[], extra: number): { at: number; slots: number[] } => {
      s.align(4);
      const at = s.abs;
      s.u32(olds.length + extra);
      const slots: number[] = [];
      for (const o of olds) { patches.push({ at: s.abs, to: o + shift }); s.u32(0); }
      for (let i = 0; i < extra; i++) { slots.push(s.abs); s.u32(0); }
      return { at, slots };
    };
    const buffers = refVector(oldBuffers, entries.length);
    patches.push({ at: t + 4 + 4 * 4, to: buffers.at });
    const metadata = refVector(oldMetadata, entries.length);
    patches.push({ at: t + 4 + 4 * 6, to: metadata.at });
    entries.forEach((e, j) => {
      // Metadata { name: string, buffer: uint }
      s.align(4);
      const mv = s.abs;
      s.u16(8); s.u16(12); s.u16(4); s.u16(8);
      const mt = s.abs;
      s.u32(mt - mv);
      const nameSlot = s.abs; s.u32(0);
      s.u32(oldBuffers.length + j);
      patches.push({ at: metadata.slots[j]!, to: mt });
      s.align(4);
      patches.push({ at: nameSlot, to: s.abs });
      const name = new TextEncoder().encode(e.name);
      s.u32(name.length); s.bytes.push(...name, 0);
      // Buffer { data: [ubyte] }
      s.align(4);
      const bv = s.abs;
      s.u16(6); s.u16(8); s.u16(4); s.u16(0);
      const bt = s.abs;
      s.u32(bt - bv);
      const dataSlot = s.abs; s.u32(0);
      patches.push({ at: buffers.slots[j]!, to: bt });
      s.align(16);
      patches.push({ at: dataSlot, to: s.abs });
      s.u32(e.data.length);
      for (const b of e.data) s.bytes.push(b);
    });
    s.align(16);
    for (const p of patches) s.patchU32(p.at, p.to - p.at);
    return s.bytes;
  };
  const probe = build(0).length;
  const shift = Math.ceil(probe / 16) * 16;
  const prefix = build(shift);
  while (prefix.length < shift) prefix.push(0);
  const out = new Uint8Array(model.length + shift);
  out.set(model.subarray(0, 8), 0);
  out.set(prefix, 8);
  out.set(model.subarray(8), 8 + shift);
  new DataView(out.buffer).setUint32(0, 8 + 20, true); // the new root table follows the 20-byte vtable
  return out;
}

export interface AssociatedFileSpec { name: string; description?: string; type: number; locale?: string }

const assoc = (f: AssociatedFileSpec): FbTable => fb.table([
  [0, fb.string(f.name)], [1, f.description ? fb.string(f.description) : null], [2, fb.scalar('i8', f.type)], [3, f.locale ? fb.string(f.locale) : null],
]);

/** A ModelMetadata flatbuffer (identifier "M001"), ids from metadata_schema.fbs. */
export function buildModelMetadata(o: {
  name?: string; description?: string; version?: string; author?: string; license?: string;
  input?: { name?: string; mean?: number[]; std?: number[]; min?: number[]; max?: number[]; colorSpaceRgb?: boolean };
  outputFiles?: AssociatedFileSpec[]; modelFiles?: AssociatedFileSpec[];
}): Uint8Array {
  const str = (v: string | undefined): FbValue | null => (v === undefined ? null : fb.string(v));
  const i = o.input ?? {};
  const inputTensor = fb.table([
    [0, str(i.name)],
    // content: content_properties_type 0 (2 = ImageProperties), content_properties 1 { color_space 0 (1 = RGB) }
    [3, i.colorSpaceRgb ? fb.table([[0, fb.scalar('u8', 2)], [1, fb.table([[0, fb.scalar('i8', 1)]])]]) : null],
    // process_units 4: [ProcessUnit { options_type 0 (1 = NormalizationOptions), options 1 { mean 0, std 1 } }]
    [4, i.mean ? fb.refs([fb.table([[0, fb.scalar('u8', 1)], [1, fb.table([[0, fb.scalars('f32', i.mean)], [1, fb.scalars('f32', i.std ?? [])]])]])]) : null],
    // stats 5 { max 0, min 1 }
    [5, i.min ? fb.table([[0, fb.scalars('f32', i.max ?? [])], [1, fb.scalars('f32', i.min)]]) : null],
  ]);
  const outputTensor = fb.table([[0, fb.string('probability')], [6, o.outputFiles ? fb.refs(o.outputFiles.map(assoc)) : null]]);
  // SubGraphMetadata: input_tensor_metadata 2, output_tensor_metadata 3
  const subgraph = fb.table([[0, fb.string('main')], [2, fb.refs([inputTensor])], [3, fb.refs([outputTensor])]]);
  return buildFlatBuffer(fb.table([
    [0, str(o.name)], [1, str(o.description)], [2, str(o.version)], [3, fb.refs([subgraph])],
    [4, str(o.author)], [5, str(o.license)], [6, o.modelFiles ? fb.refs(o.modelFiles.map(assoc)) : null], [7, fb.string('1.0.1')],
  ]), 'M001');
}

/**
 * Appends files to `bytes` as a zip archive with Python's zipfile in append mode — what
 * tflite-support's populator uses — so the archive comes from a writer we did not write.
 * Returns null when python3 is not available.
 */
export function appendZipWithPython(bytes: Uint8Array, files: Record<string, string>, compress: boolean): Uint8Array | null {
  const dir = mkdtempSync(join(tmpdir(), 'mnv2-zip-'));
  const path = join(dir, 'model.tflite');
  writeFileSync(path, bytes);
  const script = [
    'import json, sys, zipfile',
    'files = json.loads(sys.argv[2])',
    `with zipfile.ZipFile(sys.argv[1], "a", compression=zipfile.${compress ? 'ZIP_DEFLATED' : 'ZIP_STORED'}) as z:`,
    '    for name, text in files.items():',
    '        z.writestr(name, text)',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, path, JSON.stringify(files)], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return new Uint8Array(readFileSync(path));
}
