// SPDX-License-Identifier: Apache-2.0
/**
 * Tap directories: `.npy` files named after layers, from our `run --taps` or from anyone's dump
 * (PyTorch forward hooks, TF-slim end points, Keras layer outputs). File names are matched to our
 * canonical tap names (torchvision module paths) through `resolveTapName`, which also takes the
 * TF-slim and Keras aliases; sub-folders and a few spellings that cannot be file names are
 * accepted (`layer_15/expansion_output.npy`, `layer_15_expansion_output.npy`, `taps/features.3.npy`).
 *
 * Layout: 4-D taps are NCHW or NHWC. A directory has one layout, decided in this order: the
 * caller's choice, the input tap ([N, 3, H, W] vs [N, H, W, 3]), the `conventions.json` our `run`
 * writes, and finally the spatial sizes the plan predicts for each tap (majority vote). Everything
 * is converted to NHWC here; [N, C, 1, 1] pooled features are squeezed to [N, C].
 *
 * Integer taps (the uint8/int8/int32 tensors of a quantized model, e.g. `run --model X.tflite
 * --taps DIR` or an interpreter dump): a directory holding any integer `.npy` is an INTEGER tap
 * directory. Then every `.npy` is a tap (TFLite tensor names such as
 * `MobilenetV2/Conv/Relu6.npy` need not be MobileNetV2 tap names), nothing is transposed (shapes
 * are compared as stored), and the optional `conventions.json` may carry the tap list in execution
 * order with each tap's quantization — the sidecar `compare` reads to order the taps and to print
 * differences in real units (real = scale·(q − zeroPoint)):
 *
 *   { "arithmetic": "integer", "requantization": "tflite-wasm",
 *     "taps": [ { "name": "MobilenetV2/Conv/Relu6", "file": "MobilenetV2/Conv/Relu6.npy",
 *                 "scale": 0.0235, "zeroPoint": 0 },
 *               { "name": "w", "scale": [0.01, 0.02], "zeroPoint": [0, 0], "axis": 0 }, … ] }
 *
 * `file` defaults to `<name>.npy`; per-channel parameters are arrays along `axis` (TFLite's
 * quantized_dimension); every field but `name` is optional. `tapRecords` / `writeTapMetadata`
 * write it.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { readNpyTypedFile, type NpyDType } from '../io/npy.js';
import { buildPlan, resolveTapName, type MobileNetV2Plan } from '../model/plan.js';
import { nchwToNhwc, type ActivationLayout } from '../model/layout.js';
import { fmtShape, formatError, notFoundError, usageError } from '../errors.js';

/** The exact values of an integer tap (int64 as numbers: exact up to 2⁵³). */
export type IntegerValues = Uint8Array | Int8Array | Int32Array | Float64Array;

/** Affine quantization of a tap: real = scale·(q − zeroPoint); arrays are per channel along `axis`. */
export interface TapQuantization {
  readonly scale: number | readonly number[];
  readonly zeroPoint: number | readonly number[];
  readonly axis?: number;
}

/** One entry of the `taps` list in conventions.json (execution order). */
export interface TapRecord {
  readonly name: string;
  /** Path relative to the tap directory; default `<name>.npy`. */
  readonly file?: string;
  readonly dtype?: NpyDType;
  readonly shape?: readonly number[];
  readonly scale?: number | readonly number[];
  readonly zeroPoint?: number | readonly number[];
  readonly axis?: number;
}

/** One tap as stored in the file. */
export interface StoredTap {
  readonly file: string;
  /** float32 values; EMPTY for an integer tap (see `integer`). */
  readonly data: Float32Array;
  readonly shape: readonly number[];
  readonly dtype: NpyDType;
  /** The exact values of a uint8/int8/int32/int64 tap; null for float32. */
  readonly integer: IntegerValues | null;
  /** From conventions.json `taps`, when given there. */
  readonly quantization: TapQuantization | null;
}

export interface TapDir {
  readonly dir: string;
  /** Canonical name → stored tap. */
  readonly taps: ReadonlyMap<string, StoredTap>;
  /** Files whose names matched no tap of MobileNetV2. */
  readonly unmatched: readonly string[];
  /** The `conventions.json` of our `run --taps`, when present. */
  readonly meta: { width?: number; resolution?: [number, number]; conventions?: { activationLayout?: string; padding?: string; bnEps?: number | null; [k: string]: unknown }; arithmetic?: string; requantization?: string; taps?: TapRecord[] } | null;
  /** True when any tap is an integer tensor (see the file comment: every .npy is then a tap). */
  readonly integer: boolean;
  /** Tap names in execution order from conventions.json `taps`, or null. */
  readonly order: readonly string[] | null;
}

/** A tap converted to NHWC (feature maps) or [N, K] (pool, logits). */
export interface Tap {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

const INPUT_ALIASES = new Set(['input', 'image', 'images', 'x', 'inputs', 'input_1', 'data']);
const SLIM_SUFFIXES = ['expansion_output', 'depthwise_output', 'projection_output', 'output'];

/** The canonical tap names MobileNetV2 can have (independent of resolution). */
const KNOWN = new Set(buildPlan({ resolution: 224, classes: 1000 }).taps);

/** Canonical tap name for a file path relative to the tap directory (without `.npy`), or null. */
export function canonicalTapName(rel: string): string | null {
  const base = rel.split('/').pop()!;
  const candidates = [rel, rel.replace(/^taps\//, ''), base, rel.replace(/__/g, '/')];
  for (const c of [...candidates]) {
    for (const s of SLIM_SUFFIXES) {
      for (const joiner of ['_', '.']) {
        if (c.endsWith(joiner + s)) candidates.push(`${c.slice(0, -(s.length + 1))}/${s}`);
      }
    }
  }
  for (const c of candidates) {
    if (INPUT_ALIASES.has(c)) return 'input';
    const r = resolveTapName(c);
    if (KNOWN.has(r)) return r;
  }
  return null;
}

function listNpy(dir: string, depth = 0): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    const st = statSync(p);
    if (st.isDirectory() && depth < 6) out.push(...listNpy(p, depth + 1));
    else if (st.isFile() && e.endsWith('.npy')) out.push(p);
  }
  return out.sort();
}

const isNumberOrList = (v: unknown, ok: (x: number) => boolean): boolean =>
  (typeof v === 'number' && ok(v)) || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number' && ok(x)));

/** Checks the `taps` list of a conventions.json; a malformed entry is a FORMAT error naming it. */
function checkTapRecords(path: string, taps: unknown): TapRecord[] {
  if (!Array.isArray(taps)) throw formatError(`${path}: "taps" must be a list of {name, file?, scale?, zeroPoint?, axis?} in execution order, found ${typeof taps}`);
  return taps.map((t: unknown, i) => {
    const r = t as Record<string, unknown> | null;
    const where = `${path}: taps[${i}]`;
    if (r === null || typeof r !== 'object' || typeof r.name !== 'string' || r.name === '') throw formatError(`${where}: expected an object with a non-empty "name", found ${JSON.stringify(t)}`);
    if (r.file !== undefined && (typeof r.file !== 'string' || !r.file.endsWith('.npy'))) throw formatError(`${where} ('${r.name}'): "file" must be a path ending in .npy, found ${JSON.stringify(r.file)}`);
    if (r.scale !== undefined && !isNumberOrList(r.scale, (x) => x > 0 && Number.isFinite(x))) throw formatError(`${where} ('${r.name}'): "scale" must be a finite number > 0 (or a list of them, per channel), found ${JSON.stringify(r.scale)}`);
    if (r.zeroPoint !== undefined && !isNumberOrList(r.zeroPoint, Number.isSafeInteger)) throw formatError(`${where} ('${r.name}'): "zeroPoint" must be an integer (or a list of them), found ${JSON.stringify(r.zeroPoint)}`);
    if (r.axis !== undefined && !(Number.isInteger(r.axis) && (r.axis as number) >= 0)) throw formatError(`${where} ('${r.name}'): "axis" must be a non-negative integer, found ${JSON.stringify(r.axis)}`);
    if ((Array.isArray(r.scale) || Array.isArray(r.zeroPoint)) && r.axis === undefined) throw formatError(`${where} ('${r.name}'): per-channel scale/zeroPoint lists need "axis"`);
    return r as unknown as TapRecord;
  });
}

function quantizationOf(r: TapRecord | undefined): TapQuantization | null {
  if (!r || r.scale === undefined) return null;
  return { scale: r.scale, zeroPoint: r.zeroPoint ?? 0, ...(r.axis === undefined ? {} : { axis: r.axis }) };
}

/** Exact values of an integer .npy (int64 → numbers, exact to 2⁵³). */
function integerValues(data: ArrayLike<number> | BigInt64Array): IntegerValues {
  if (data instanceof Uint8Array || data instanceof Int8Array || data instanceof Int32Array) return data;
  return Float64Array.from(data as BigInt64Array, (v) => Number(v));
}

/** Reads every `.npy` under `dir` (6 levels deep) whose name is a MobileNetV2 tap (integer directories: every `.npy`). */
export function readTapDir(dir: string): TapDir {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw notFoundError(`${dir}: tap directory does not exist`);
  let meta: TapDir['meta'] = null;
  const metaPath = join(dir, 'conventions.json');
  if (existsSync(metaPath)) {
    try { meta = JSON.parse(readFileSync(metaPath, 'utf8')) as TapDir['meta']; } catch { meta = null; }
  }
  const records = meta?.taps === undefined ? null : checkTapRecords(metaPath, meta.taps);
  const byFile = new Map<string, TapRecord>();
  for (const r of records ?? []) byFile.set((r.file ?? `${r.name}.npy`).replace(/\.npy$/, ''), r);

  const unmatched: string[] = [];
  const files: Array<{ file: string; rel: string; npy: ReturnType<typeof readNpyTypedFile> }> = [];
  for (const file of listNpy(dir)) {
    const rel = relative(dir, file).split(sep).join('/').replace(/\.npy$/, '');
    try {
      files.push({ file, rel, npy: readNpyTypedFile(file) });
    } catch (e) {
      // A file that is no tap by name (e.g. float64 weights beside the taps) is skipped, as before.
      if (canonicalTapName(rel) === null && !byFile.has(rel)) { unmatched.push(rel); continue; }
      throw e;
    }
  }
  const integer = files.some((f) => f.npy.dtype !== 'float32');
  const taps = new Map<string, StoredTap>();
  for (const { file, rel, npy } of files) {
    const record = byFile.get(rel);
    const name = integer ? record?.name ?? canonicalTapName(rel) ?? rel : canonicalTapName(rel);
    if (name === null) { unmatched.push(rel); continue; }
    if (taps.has(name)) {
      throw usageError(`${dir}: both '${taps.get(name)!.file}' and '${file}' are tap '${name}'; keep one`);
    }
    const isFloat = npy.dtype === 'float32';
    taps.set(name, {
      file, shape: npy.shape, dtype: npy.dtype,
      data: isFloat ? (npy.data as Float32Array) : new Float32Array(0),
      integer: isFloat ? null : integerValues(npy.data as ArrayLike<number>),
      quantization: quantizationOf(record),
    });
  }
  if (taps.size === 0) {
    throw usageError(`${dir}: no .npy file named after a MobileNetV2 tap (e.g. features.3.npy, layer_4.npy, block_2_add.npy, classifier.npy)`);
  }
  const order = records === null ? null : records.map((r) => r.name);
  return { dir, taps, unmatched, meta, integer, order };
}

function channelStride(shape: readonly number[], axis: number): number {
  let s = 1;
  for (let i = axis + 1; i < shape.length; i++) s *= shape[i]!;
  return s;
}

/** Per-element dequantization of one side: a function of (flat index, q). */
export function tapDequantizer(q: TapQuantization, name: string, t: StoredTap): (i: number, v: number) => number {
  const perChannel = Array.isArray(q.scale) || Array.isArray(q.zeroPoint);
  if (!perChannel) return (_i, v) => (q.scale as number) * (v - (q.zeroPoint as number));
  const axis = q.axis ?? t.shape.length - 1;
  const channels = t.shape[axis];
  const scales = Array.isArray(q.scale) ? q.scale : null;
  const zps = Array.isArray(q.zeroPoint) ? q.zeroPoint : null;
  for (const [what, list] of [['scales', scales], ['zero points', zps]] as const) {
    if (list && list.length !== channels) {
      throw formatError(`${t.file}: tap '${name}' has ${list.length} per-channel ${what} in conventions.json but ${channels ?? 'no'} channels along axis ${axis} of ${fmtShape(t.shape)}`);
    }
  }
  const stride = channelStride(t.shape, axis);
  return (i, v) => {
    const c = Math.floor(i / stride) % channels!;
    return (scales ? scales[c]! : (q.scale as number)) * (v - (zps ? zps[c]! : (q.zeroPoint as number)));
  };
}

/**
 * An integer tap directory as real numbers, real = scale·(q − zeroPoint) from its conventions.json
 * (per tensor, or per channel along `axis`): what `compare --dequantize` measures quantization drift
 * with, against a float run of the same network. Taps without a scale (e.g. an int32 class map) or
 * not named after a MobileNetV2 tap are left out (listed in `unmatched`). `steps` holds each tap's
 * quantization step (its largest scale), the natural unit of the differences.
 */
export function dequantizeTapDir(d: TapDir): { dir: TapDir; steps: ReadonlyMap<string, number> } {
  const taps = new Map<string, StoredTap>();
  const steps = new Map<string, number>();
  const unmatched = [...d.unmatched];
  for (const [name, t] of d.taps) {
    const canonical = canonicalTapName(name);
    if (t.integer === null) {
      if (canonical !== null) taps.set(canonical, t);
      else unmatched.push(name);
      continue;
    }
    const q = t.quantization;
    if (q === null || canonical === null) { unmatched.push(name); continue; }
    const real = tapDequantizer(q, name, t);
    const data = new Float32Array(t.integer.length);
    for (let i = 0; i < data.length; i++) data[i] = real(i, t.integer[i]!);
    const scales = typeof q.scale === 'number' ? [q.scale] : q.scale;
    taps.set(canonical, { ...t, data, dtype: 'float32', integer: null });
    steps.set(canonical, Math.max(...scales));
  }
  if (taps.size === 0) throw usageError(`${d.dir}: no integer tap has a scale and zero point in conventions.json to dequantize with`);
  const order = d.order?.map((n) => canonicalTapName(n)).filter((n): n is string => n !== null && taps.has(n)) ?? null;
  return { dir: { ...d, taps, unmatched, integer: false, order }, steps };
}

/** The `taps` list of conventions.json for the given taps, in the order given (execution order). */
export function tapRecords(taps: Iterable<{ readonly name: string; readonly file?: string; readonly dtype?: NpyDType; readonly shape?: readonly number[]; readonly quantization?: TapQuantization | null }>): TapRecord[] {
  const out: TapRecord[] = [];
  for (const t of taps) {
    const q = t.quantization ?? null;
    out.push({
      name: t.name, file: t.file ?? `${t.name}.npy`, ...(t.dtype ? { dtype: t.dtype } : {}), ...(t.shape ? { shape: [...t.shape] } : {}),
      ...(q ? { scale: q.scale, zeroPoint: q.zeroPoint, ...(q.axis === undefined ? {} : { axis: q.axis }) } : {}),
    });
  }
  return out;
}

/**
 * Writes (or merges into) DIR/conventions.json: `fields` at the top level (e.g. arithmetic,
 * requantization profile) and the `taps` list. Existing keys not given are kept.
 */
export function writeTapMetadata(dir: string, taps: readonly TapRecord[], fields: Readonly<Record<string, unknown>> = {}): void {
  const path = join(dir, 'conventions.json');
  let current: Record<string, unknown> = {};
  if (existsSync(path)) {
    try { current = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>; } catch { current = {}; }
  }
  writeFileSync(path, JSON.stringify({ ...current, ...fields, taps }, null, 1) + '\n');
}

/** Spatial size [H, W] of every 4-D tap of the plan (null for pool / classifier). */
export function tapSpatialSizes(plan: MobileNetV2Plan): Map<string, [number, number] | null> {
  const m = new Map<string, [number, number] | null>();
  m.set('input', [plan.options.inputH, plan.options.inputW]);
  for (const b of plan.blocks) {
    for (const c of b.convs) m.set(c.name, [c.geometry.outH, c.geometry.outW]);
    m.set(b.name, [b.outShape[0], b.outShape[1]]);
  }
  m.set('pool', null);
  m.set('classifier', null);
  return m;
}

/** Input resolution implied by the taps: the input tap, else our metadata, else twice the stem's output (a guess). */
export function inferResolution(t: TapDir, explicit?: [number, number]): { resolution: [number, number]; how: string } {
  if (explicit) return { resolution: explicit, how: 'given' };
  const input = t.taps.get('input');
  if (input && input.shape.length === 4) {
    const s = input.shape;
    if (s[1] === 3 && s[3] !== 3) return { resolution: [s[2]!, s[3]!], how: 'input tap (NCHW)' };
    if (s[3] === 3) return { resolution: [s[1]!, s[2]!], how: 'input tap (NHWC)' };
  }
  if (t.meta?.resolution) return { resolution: t.meta.resolution, how: 'conventions.json' };
  const stem = t.taps.get('features.0') ?? t.taps.get('features.1');
  if (stem && stem.shape.length === 4) {
    const s = stem.shape;
    // [N, C, h, w] with C ≥ 8 > h typically; take the two equal-ish smaller dims as spatial.
    const [h, w] = s[1]! > s[3]! ? [s[2]!, s[3]!] : [s[1]!, s[2]!];
    return { resolution: [Math.max(32, 2 * h), Math.max(32, 2 * w)], how: 'guessed from the stem output (parity unknown)' };
  }
  throw usageError(`${t.dir}: cannot tell the input resolution (no input tap, no conventions.json); pass --resolution`);
}

/** Decides the directory's layout; see the file comment for the order. */
export function detectLayout(t: TapDir, plan: MobileNetV2Plan, explicit?: ActivationLayout): { layout: ActivationLayout; how: string } {
  if (explicit) return { layout: explicit, how: 'given' };
  const input = t.taps.get('input');
  if (input && input.shape.length === 4) {
    if (input.shape[1] === 3 && input.shape[3] !== 3) return { layout: 'nchw', how: 'input tap shape' };
    if (input.shape[3] === 3 && input.shape[1] !== 3) return { layout: 'nhwc', how: 'input tap shape' };
  }
  const al = t.meta?.conventions?.activationLayout;
  if (al === 'NCHW' || al === 'NHWC') return { layout: al === 'NCHW' ? 'nchw' : 'nhwc', how: 'conventions.json' };
  const sizes = tapSpatialSizes(plan);
  let nchw = 0, nhwc = 0;
  for (const [name, tap] of t.taps) {
    const hw = sizes.get(name);
    if (!hw || tap.shape.length !== 4) continue;
    const s = tap.shape;
    const isNchw = s[2] === hw[0] && s[3] === hw[1];
    const isNhwc = s[1] === hw[0] && s[2] === hw[1];
    if (isNchw && !isNhwc) nchw++;
    if (isNhwc && !isNchw) nhwc++;
  }
  if (nchw === 0 && nhwc === 0) return { layout: 'nhwc', how: 'undecidable from the shapes; assumed' };
  return nchw >= nhwc ? { layout: 'nchw', how: `tap shapes (${nchw} NCHW vs ${nhwc} NHWC)` } : { layout: 'nhwc', how: `tap shapes (${nhwc} NHWC vs ${nchw} NCHW)` };
}

/** A stored tap in NHWC ([N, K] for pool/classifier). */
export function toNhwc(name: string, t: StoredTap | Tap, layout: ActivationLayout): Tap {
  const s = t.shape;
  if ((name === 'pool' || name === 'classifier') && s.length === 4 && (layout === 'nchw' ? s[2] === 1 && s[3] === 1 : s[1] === 1 && s[2] === 1)) {
    return { data: t.data, shape: [s[0]!, layout === 'nchw' ? s[1]! : s[3]!] };
  }
  if (s.length === 4 && layout === 'nchw') {
    const [n, c, h, w] = s as [number, number, number, number];
    return { data: nchwToNhwc(t.data, n, c, h, w), shape: [n, h, w, c] };
  }
  return { data: t.data, shape: [...s] };
}
