// SPDX-License-Identifier: Apache-2.0
/**
 * The real TensorFlow Lite interpreter as a test oracle under Node, from the WebAssembly build that
 * ships in `@tensorflow/tfjs-tflite` (devDependency, 0.0.1-alpha.10). Nothing of ours sits between
 * the interpreter and the model file: the file's bytes are copied verbatim into the WebAssembly heap
 * and handed to the interpreter's own `TFLiteWebModelRunner::CreateFromBufferAndOptions`.
 *
 * What was found necessary (Node 20, no browser, no global shims):
 *  - `wasm/tflite_web_api_cc.js` (non-SIMD, non-threaded) is an Emscripten (MODULARIZE) factory
 *    exported with `module.exports`, so it loads with `createRequire`. Its Node code path is empty
 *    (it was built for web/worker only), so the `.wasm` bytes must be passed as `wasmBinary`; then
 *    no fetch, XMLHttpRequest, window or document is touched. No global shims are needed.
 *  - `wasm/tflite_web_api_cc_simd.js` works the same way (and gives the same classifier output);
 *    the `*_threaded` builds fail under Node with "ReferenceError: Worker is not defined".
 *  - The factory's module exposes embind classes: `TFLiteWebModelRunner.CreateFromBufferAndOptions(
 *    ptr, length, {numThreads, enableProfiling, maxProfilingBufferEntries})` returns a StatusOr
 *    (`ok()`, `errorMessage()`, `value()`); the runner has `GetInputs()`, `GetOutputs()` (embind
 *    vectors: `size()`, `get(i)`), `Infer()`, `GetProfilingResults()`, `delete()`. Tensor infos
 *    have `id`, `name`, `shape` ("1,224,224,3"), `dataType` and `data()` — a typed-array view
 *    straight into the WebAssembly heap. This is exactly what the library's own
 *    `tflite_web_api_client.js` does (the model bytes must stay allocated while the runner lives).
 *  - The heap can grow (e.g. during the first Infer()), which detaches every earlier `data()` view:
 *    views are therefore fetched afresh right before each write and each read, never cached.
 *  - `dataType` is 'unknown' and `data()` returns the number 0 for INT64 tensors (the embind memory
 *    view only covers Int8..Float64), e.g. the ArgMax output of deeplabv3_mnv2_pascal_quant. For
 *    those we locate the interpreter's own TfLiteTensor struct in the heap (wasm32 layout from
 *    tensorflow/lite/core/c/common.h: type@0, data@4, dims@8, params@12, allocation_type@20,
 *    bytes@24, allocation@28, name@32) by requiring type == kTfLiteInt64 (4), bytes == count × 8,
 *    name pointer → the tensor's name and dims → its shape, exactly one match; then read the data
 *    pointer. The match is re-validated before every read. (Checked: the pascal model's output on
 *    bird_segmentation.bmp agrees ≈ 97.9 % with the ground-truth mask, as the shared README says.)
 *  - The interpreter always applies its default XNNPACK delegate ("Created TensorFlow Lite XNNPACK
 *    delegate for CPU"); the options have no switch to turn it off. With profiling on, the
 *    classifier runs as TfLiteXNNPackDelegate×2 + AVERAGE_POOL_2D + RESHAPE + SOFTMAX, the float
 *    DeepLab entirely in one XNNPACK node, the quantized DeepLab as XNNPACK×2 + AVERAGE_POOL_2D +
 *    ARG_MAX. So the oracle's arithmetic is XNNPACK's wherever it delegates; for uint8 that may
 *    differ by ±1 LSB from TFLite's reference integer kernels (different requantization), so
 *    compare quantized tensors with a ±1 tolerance.
 *  - Only subgraph inputs and outputs are reachable. Intermediate activations are not: delegated
 *    ones never exist as TFLite tensors, and the arena reuses memory. To check one layer, build a
 *    one-operator model with the real layer's weights and quantization (see
 *    spec/io/tflite/fb-builder.ts, tinyConvModel) and run that.
 *  - The build includes the TFLite_Detection_PostProcess custom op (spec/io/tflite/oracle.spec.ts
 *    runs it on a hand-built model).
 *  - The non-threaded build ignores numThreads; we pass 1 anyway.
 *  - One Emscripten module per variant is shared by all interpreters in a worker; dispose() frees
 *    the runner and the model copy.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export type OracleDType = 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'int32' | 'uint32' | 'bool' | 'int64';
export type OracleArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array | BigInt64Array;

export interface OracleTensorInfo {
  /** Tensor index in the model's subgraph 0. */
  id: number;
  name: string;
  shape: number[];
  dtype: OracleDType;
}

export interface ProfileItem { nodeType: string; nodeName: string; nodeExecMs: number }

export interface TfliteInterpreter {
  readonly inputs: readonly OracleTensorInfo[];
  readonly outputs: readonly OracleTensorInfo[];
  /** Copies `inputs` in, runs the model, returns copies of all outputs. */
  run(inputs: readonly OracleArray[]): OracleArray[];
  /** Per-node profile of the last run (only when loaded with { profile: true }). */
  profile(): ProfileItem[];
  /** Messages the interpreter printed while this model was loaded (the XNNPACK notice is printed once per process). */
  readonly log: readonly string[];
  dispose(): void;
}

export type WasmVariant = 'tflite_web_api_cc' | 'tflite_web_api_cc_simd';

// ---- minimal typings of the Emscripten/embind surface we use ----
interface EmVector<T> { size(): number; get(i: number): T; delete(): void }
interface EmTensorInfo { id: number; name: string; shape: string; dataType: string; data(): unknown; delete?(): void }
interface EmRunner {
  GetInputs(): EmVector<EmTensorInfo>;
  GetOutputs(): EmVector<EmTensorInfo>;
  Infer(): boolean;
  GetProfilingResults(): EmVector<ProfileItem>;
  delete(): void;
}
interface EmStatusOr { ok(): boolean; errorMessage(): string; value(): EmRunner; delete(): void }
interface EmModule {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(ptr: number, len: number, opts: { numThreads: number; enableProfiling: boolean; maxProfilingBufferEntries: number }): EmStatusOr;
  };
}
type EmFactory = (opts: { wasmBinary: Uint8Array; print: (s: string) => void; printErr: (s: string) => void }) => Promise<EmModule>;

const require = createRequire(import.meta.url);
const modules = new Map<WasmVariant, Promise<EmModule>>();
const printed: string[] = [];

function loadModule(variant: WasmVariant): Promise<EmModule> {
  let p = modules.get(variant);
  if (p === undefined) {
    const jsPath = require.resolve(`@tensorflow/tfjs-tflite/wasm/${variant}.js`);
    const wasmPath = require.resolve(`@tensorflow/tfjs-tflite/wasm/${variant}.wasm`);
    const factory = require(jsPath) as EmFactory;
    p = factory({
      wasmBinary: readFileSync(wasmPath),
      print: (s) => printed.push(s),
      printErr: (s) => printed.push(s),
    });
    modules.set(variant, p);
  }
  return p;
}

const DTYPES: Record<string, { dtype: OracleDType; ctor: new (n: number) => OracleArray } | undefined> = {
  float32: { dtype: 'float32', ctor: Float32Array },
  float64: { dtype: 'float64', ctor: Float64Array },
  int8: { dtype: 'int8', ctor: Int8Array },
  uint8: { dtype: 'uint8', ctor: Uint8Array },
  int16: { dtype: 'int16', ctor: Int16Array },
  int32: { dtype: 'int32', ctor: Int32Array },
  uint32: { dtype: 'uint32', ctor: Uint32Array },
  bool: { dtype: 'bool', ctor: Uint8Array },
};

function cString(heap: Uint8Array, p: number, max: number): string | null {
  if (p <= 0 || p >= heap.length) return null;
  let s = '';
  for (let i = 0; i < max && p + i < heap.length; i++) {
    const c = heap[p + i]!;
    if (c === 0) return s;
    s += String.fromCharCode(c);
  }
  return null;
}

const K_TFLITE_INT64 = 4; // TfLiteType kTfLiteInt64

/** Finds the TfLiteTensor struct of an INT64 tensor (see module doc); returns its byte address. */
function findInt64Struct(mod: EmModule, name: string, shape: number[]): number {
  const H = mod.HEAP32;
  const U8 = mod.HEAPU8;
  const bytes = shape.reduce((a, b) => a * b, 1) * 8;
  const found: number[] = [];
  for (let i = 0; i + 10 < H.length; i++) {
    if (H[i + 6] !== bytes || H[i] !== K_TFLITE_INT64) continue;
    if (cString(U8, H[i + 8]! >>> 0, name.length + 1) !== name) continue;
    const dims = H[i + 2]! >>> 2;
    if (dims <= 0 || dims + shape.length >= H.length || H[dims] !== shape.length) continue;
    if (!shape.every((d, k) => H[dims + 1 + k] === d)) continue;
    found.push(i * 4);
  }
  if (found.length !== 1) {
    throw new Error(`tflite-oracle: found ${found.length} TfLiteTensor structs for int64 tensor '${name}' ${JSON.stringify(shape)} (need exactly 1)`);
  }
  return found[0]!;
}

function int64StructValid(mod: EmModule, addr: number, name: string, count: number): boolean {
  const H = mod.HEAP32;
  const i = addr >>> 2;
  return H[i] === K_TFLITE_INT64 && H[i + 6] === count * 8 && cString(mod.HEAPU8, H[i + 8]! >>> 0, name.length + 1) === name;
}

/**
 * Loads a .tflite file into the real TFLite interpreter (one thread). The bytes are passed
 * unchanged. Reject if the interpreter refuses the model.
 */
export async function loadTfliteInterpreter(
  modelBytes: Uint8Array,
  options: { variant?: WasmVariant; profile?: boolean } = {},
): Promise<TfliteInterpreter> {
  const mod = await loadModule(options.variant ?? 'tflite_web_api_cc');
  const logStart = printed.length;
  const ptr = mod._malloc(modelBytes.byteLength);
  if (!ptr) throw new Error(`tflite-oracle: cannot allocate ${modelBytes.byteLength} bytes in the WebAssembly heap`);
  mod.HEAPU8.set(modelBytes, ptr);
  const status = mod.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, modelBytes.byteLength, {
    numThreads: 1,
    enableProfiling: options.profile ?? false,
    maxProfilingBufferEntries: 1024,
  });
  if (!status.ok()) {
    const msg = status.errorMessage();
    status.delete();
    mod._free(ptr);
    throw new Error(`tflite-oracle: the interpreter rejected the model: ${msg}`);
  }
  const runner = status.value();
  const toArray = (v: EmVector<EmTensorInfo>): EmTensorInfo[] => {
    const out: EmTensorInfo[] = [];
    for (let i = 0; i < v.size(); i++) out.push(v.get(i));
    v.delete();
    return out;
  };
  const ins = toArray(runner.GetInputs());
  const outs = toArray(runner.GetOutputs());
  // INT64 tensors ('unknown' to the web runner) are located in the heap once, here.
  const int64Addr = new Map<EmTensorInfo, number>();
  const describe = (t: EmTensorInfo): OracleTensorInfo => {
    const shape = t.shape === '' ? [] : t.shape.split(',').map(Number);
    const known = DTYPES[t.dataType];
    if (!known) int64Addr.set(t, findInt64Struct(mod, t.name, shape)); // throws if it is not INT64
    return { id: t.id, name: t.name, shape, dtype: known ? known.dtype : 'int64' };
  };
  let inputs: OracleTensorInfo[];
  let outputs: OracleTensorInfo[];
  try {
    inputs = ins.map(describe);
    outputs = outs.map(describe);
  } catch (e) {
    for (const t of [...ins, ...outs]) t.delete?.();
    runner.delete();
    status.delete();
    mod._free(ptr);
    throw e;
  }
  let disposed = false;

  /** A fresh view of an INT64 tensor's data, through its (re-validated) TfLiteTensor struct. */
  const int64View = (t: EmTensorInfo, info: OracleTensorInfo): BigInt64Array => {
    const count = info.shape.reduce((a, b) => a * b, 1);
    let addr = int64Addr.get(t)!;
    if (!int64StructValid(mod, addr, info.name, count)) {
      addr = findInt64Struct(mod, info.name, info.shape);
      int64Addr.set(t, addr);
    }
    const dataPtr = mod.HEAP32[(addr >>> 2) + 1]! >>> 0;
    if (dataPtr === 0 || dataPtr % 8 !== 0 || dataPtr + count * 8 > mod.HEAPU8.length) {
      throw new Error(`tflite-oracle: int64 tensor '${info.name}' has an unusable data pointer ${dataPtr}`);
    }
    return new BigInt64Array(mod.HEAPU8.buffer, dataPtr, count);
  };
  /** A fresh view of any tensor's data (the heap may have grown since the last one). */
  const viewOf = (t: EmTensorInfo, info: OracleTensorInfo): OracleArray =>
    info.dtype === 'int64' ? int64View(t, info) : (t.data() as OracleArray);

  return {
    inputs,
    outputs,
    log: printed.slice(logStart),
    run(values) {
      if (disposed) throw new Error('tflite-oracle: interpreter already disposed');
      if (values.length !== ins.length) throw new Error(`tflite-oracle: the model has ${ins.length} inputs, got ${values.length}`);
      values.forEach((v, k) => {
        const info = inputs[k]!;
        const view = viewOf(ins[k]!, info);
        if (v.constructor !== view.constructor || v.length !== view.length) {
          throw new Error(`tflite-oracle: input '${info.name}' needs ${view.constructor.name}(${view.length}) [${info.shape}], got ${v.constructor.name}(${v.length})`);
        }
        (view as Uint8Array).set(v as Uint8Array);
      });
      if (!runner.Infer()) throw new Error('tflite-oracle: Infer() failed');
      return outs.map((t, k) => viewOf(t, outputs[k]!).slice());
    },
    profile() {
      const v = runner.GetProfilingResults();
      const out: ProfileItem[] = [];
      for (let i = 0; i < v.size(); i++) {
        const it = v.get(i);
        out.push({ nodeType: it.nodeType, nodeName: it.nodeName, nodeExecMs: it.nodeExecMs });
      }
      v.delete();
      return out;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const t of [...ins, ...outs]) t.delete?.();
      runner.delete();
      status.delete();
      mod._free(ptr);
    },
  };
}

/** How a set of the interpreter's outputs compared with ours, by name (compareOutputsByName). */
export interface OutputComparison {
  /** One line per output that is missing on our side, has another length, or differs. */
  readonly report: string[];
  /** Outputs compared (present on both sides, same length). */
  readonly matched: number;
  /** Values compared. */
  readonly values: number;
}

/**
 * Every graph output of the interpreter (`theirs`, in `outputs` order) whose info passes `include`
 * against our tensor of the same name, value for value (integers exactly; the report gives the
 * count and largest difference in LSB).
 */
export function compareOutputsByName(
  outputs: readonly OracleTensorInfo[], theirs: readonly OracleArray[], ours: ReadonlyMap<string, ArrayLike<number | bigint>>,
  include: (info: OracleTensorInfo) => boolean = () => true,
): OutputComparison {
  const report: string[] = [];
  let matched = 0;
  let values = 0;
  outputs.forEach((info, i) => {
    if (!include(info)) return;
    const mine = ours.get(info.name);
    if (!mine) { report.push(`${info.name}: no tensor of ours`); return; }
    const t = theirs[i]!;
    if (t.length !== mine.length) { report.push(`${info.name}: ${t.length} values vs our ${mine.length}`); return; }
    let diffs = 0, maxd = 0;
    for (let k = 0; k < t.length; k++) { const d = Math.abs(Number(t[k]) - Number(mine[k])); if (d) { diffs++; maxd = Math.max(maxd, d); } }
    matched++;
    values += t.length;
    if (diffs) report.push(`${info.name}: ${diffs}/${t.length} differ (max ${maxd} LSB)`);
  });
  return { report, matched, values };
}
