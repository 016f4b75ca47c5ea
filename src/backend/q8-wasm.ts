// SPDX-License-Identifier: Apache-2.0
/**
 * The fast integer path: Q8Backend on the WASM SIMD integer kernels (kernels/wasm/q8-*.ts, in the
 * same module as the float kernels) and, with `threads` > 1, the same worker pool as the float
 * wasm-simd backend (wasm-pool.ts). Bit-identical to createScalarQ8Backend (the scalar kernels in
 * kernels/q8-*.ts) for every requantization convention and every thread count: the int32
 * accumulators are sums modulo 2³², whose value does not depend on order or tiling, and the
 * requantization is the scalar arithmetic done exactly (64-bit products, IEEE float32).
 *
 * Per call: the 8-bit input is staged as int16 x − zx (padding as explicit zeros; im2col rows for
 * the general conv), the kernel runs over output rows / pixels split between threads, and the
 * output is copied back. Weights (w − zw as int16, bias folded in) are packed once per weight
 * array and cached in wasm memory; they must not be mutated in place after their first use.
 * The requantization parameters (a few bytes per channel) are laid out per call.
 *
 * Arguments are checked exactly as the scalar kernels check them (same errors). Requantizers no
 * factory in kernels/q-requantize.ts produces — a multiplier of INT32_MIN (the one saturating
 * case of SaturatingRoundingDoublingHighMul), a shift outside [−31, 30], a non-finite float scale —
 * and ADD parameters other than one fixed-point convention with a left shift in [0, 22] run the
 * scalar kernel itself, so the answer is still the definition's.
 *
 * Memory: [1 KiB, weightTop) packed weights; above it, per-call scratch (inputs, staged int16
 * rows, parameter blocks, outputs), reused by the next call. Every buffer is 64-byte aligned
 * with ≥ 16 bytes of slack (the kernels' last vector may read past a row).
 *
 * @example
 *   const b = await createQ8Backend('wasm-simd', { threads: 2 });
 *   b.pointwiseConv(out, x, w, bias, { pixels, inC, outC }, q); // = q8PwConvNhwc(out, x, w, bias, …, q)
 *   b.dispose();
 */
import { host } from '#host';
import { checkConvIo, checkDepthwiseArgs, checkLength, checkMatmulArgs } from '../../kernels/check.js';
import type { ConvDims, DepthwiseDims, PointwiseDims } from '../../kernels/dims.js';
import type { Conv2dGeometry } from '../../kernels/geometry.js';
import { INT32_MIN, type Requantization, type Requantizer } from '../../kernels/q-requantize.js';
import { q8TypeOf, type Q8Array } from '../../kernels/q8-check.js';
import { checkQ8ConvParams, q8Conv2dNhwc, type Q8ConvParams } from '../../kernels/q8-conv2d-nhwc.js';
import { q8DwConv2dNhwc } from '../../kernels/q8-dwconv2d-nhwc.js';
import { q8PwConvNhwc } from '../../kernels/q8-fully-connected.js';
import { checkQ8AddArgs, q8Add, type Q8AddParams } from '../../kernels/q8-add.js';
import { MobileNetV2Error, usageError } from '../errors.js';
import { createScalarQ8Backend, type Q8Backend } from './q8-backend.js';
import { compileKernelModule, growMemoryTo, WASM_MAX_PAGES, wasmApi, wasmSharedMemorySupported, type WasmMemory } from './wasm-module.js';
import { WorkerPool } from './wasm-pool.js';

/** The integer kernels' exports (kernels/wasm/q8-*.ts): (start, end, descriptor pointer). */
export const Q8_KERNEL_NAMES = ['q8_gemm_4x8', 'q8_dwconv_c8', 'q8_widen', 'q8_pad_widen', 'q8_im2col', 'q8_add'] as const;
type Q8KernelName = (typeof Q8_KERNEL_NAMES)[number];
type Q8Exports = Record<Q8KernelName, (start: number, end: number, desc: number) => void>;

/** Integer backends a caller can choose. */
export const Q8_BACKEND_KINDS = ['scalar', 'wasm-simd'] as const;
export type Q8BackendKind = (typeof Q8_BACKEND_KINDS)[number];

export interface Q8WasmOptions {
  /** Threads including the calling thread (default 1 = no workers). */
  threads?: number;
  /** Run layers on the main thread alone while other processes leave no free core (default true; same bits). */
  adaptive?: boolean;
}

const ALIGN = 64;
const SLACK = 16;
const WEIGHTS_BASE = 1024;
const INITIAL_PAGES = 64; // 4 MiB
const WEIGHT_BUDGET_BYTES = 256 * 1024 * 1024;
/** Requantization modes of kernels/wasm/q8-requantize.ts. */
const MODE: Record<Requantization, number> = { 'tflite-reference': 0, 'single-rounding': 1, 'xnnpack-fp32': 2 };

/** A requantization block ready to copy into wasm memory, with the kernel's mode and uniform shift. */
interface RqBlock {
  readonly bytes: Uint8Array;
  readonly mode: number;
  readonly uniform: number;
}

/**
 * The block of kernels/wasm/q8-requantize.ts for `cp` lanes: lane c < channels takes entry c of a
 * per-channel requantizer (entry 0 of a per-tensor one); lanes ≥ channels are zero padding. null
 * when a parameter lies outside what the SIMD pipeline reproduces exactly (the caller then runs
 * the scalar kernel).
 */
function requantBlock(rq: Requantizer, rounding: Requantization, channels: number, cp: number): RqBlock | null {
  const buf = new ArrayBuffer(32 * cp);
  const i32 = new Int32Array(buf);
  const f32 = new Float32Array(buf);
  const i64 = new BigInt64Array(buf);
  const MUL = 0, LEFT = cp, SHIFT = 2 * cp, SCALE = 3 * cp, ROUND = 2 * cp, NEG = 3 * cp; // ROUND/NEG index i64
  const perTensor = rq.multiplier.length === 1;
  let uniform: number | null = null;
  for (let c = 0; c < cp; c++) {
    i32[LEFT + c] = 1;
    if (c >= channels) continue;
    const i = perTensor ? 0 : c;
    let shift = 0;
    if (rounding === 'xnnpack-fp32') {
      const s = rq.scale[i]!;
      if (!Number.isFinite(s)) return null;
      f32[SCALE + c] = s;
    } else {
      const m = rq.multiplier[i]!;
      const s = rq.shift[i]!;
      if (m === INT32_MIN || !Number.isInteger(s) || s < -31 || s > 30) return null;
      i32[MUL + c] = m;
      if (rounding === 'tflite-reference') {
        const e = s > 0 ? 0 : -s;
        i32[LEFT + c] = (2 ** (s > 0 ? s : 0)) | 0;
        shift = e;
        if (e >= 1) {
          i64[ROUND + c] = 1n << BigInt(e - 1);
          i64[NEG + c] = 1n;
        }
      } else {
        shift = 31 - s;
        i64[ROUND + c] = 1n << BigInt(shift - 1);
      }
      i32[SHIFT + c] = shift;
    }
    uniform = uniform === null || uniform === shift ? shift : -1;
  }
  return { bytes: new Uint8Array(buf), mode: MODE[rounding], uniform: uniform ?? 0 };
}

/** Pointwise / im2col weights: one block per 8 output channels (see kernels/wasm/q8-gemm-4x8.ts). */
function packGemm(w: Q8Array, bias: Int32Array | null, zw: number, outC: number, k: number, kp: number): Uint8Array {
  const blocks = Math.ceil(outC / 8);
  const blockBytes = 32 + 16 * kp;
  const buf = new ArrayBuffer(blocks * blockBytes);
  const i32 = new Int32Array(buf);
  const i16 = new Int16Array(buf);
  for (let oc = 0; oc < outC; oc++) {
    const base = (oc >> 3) * blockBytes;
    const lane = oc & 7;
    i32[(base >> 2) + lane] = bias === null ? 0 : bias[oc]!;
    const laneAt = (base + 32 + (lane >> 2) * 16 + (lane & 3) * 4) >> 1;
    for (let j = 0; j < k; j++) i16[laneAt + (j >> 1) * 16 + (j & 1)] = w[oc * k + j]! - zw;
  }
  return new Uint8Array(buf);
}

/** Depthwise weights: bias [CP] int32, then [taps, CP] int16 w − zw (see kernels/wasm/q8-dwconv-c8.ts). */
function packDepthwise(w: Q8Array, bias: Int32Array | null, zw: number, channels: number, taps: number, cp: number): Uint8Array {
  const buf = new ArrayBuffer(4 * cp + 2 * taps * cp);
  const i32 = new Int32Array(buf);
  const i16 = new Int16Array(buf);
  for (let c = 0; c < channels; c++) {
    i32[c] = bias === null ? 0 : bias[c]!;
    for (let t = 0; t < taps; t++) i16[2 * cp + t * cp + c] = w[t * channels + c]! - zw;
  }
  return new Uint8Array(buf);
}

interface PackedWeights {
  readonly key: string;
  readonly bias: Int32Array | null;
  readonly offset: number;
  readonly epoch: number;
}

export class Q8WasmBackend implements Q8Backend {
  readonly name = 'wasm-simd';
  readonly threads: number;
  private readonly adaptive: boolean;
  private memory: WasmMemory | null = null;
  private k: Q8Exports | null = null;
  private pool: WorkerPool | null = null;
  private heapBuffer: ArrayBufferLike | null = null;
  private heapU8: Uint8Array = new Uint8Array(0);
  private weightTop = WEIGHTS_BASE;
  private scratchTop = WEIGHTS_BASE;
  private epoch = 0;
  private cache = new WeakMap<Q8Array, PackedWeights>();
  private disposed = false;

  constructor(options: Q8WasmOptions = {}) {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw usageError(`threads must be a positive integer, got ${String(options.threads)}`);
    this.threads = threads;
    this.adaptive = options.adaptive ?? true;
  }

  async init(): Promise<void> {
    if (this.k !== null) return;
    if (this.disposed) throw usageError('wasm-simd (integer): the backend was disposed');
    const shared = wasmSharedMemorySupported();
    if (!shared && this.threads > 1) throw new MobileNetV2Error('UNSUPPORTED', `wasm-simd (integer): ${this.threads} threads need shared memory, which this host does not offer (browsers: serve the page crossOriginIsolated)`);
    const module = await compileKernelModule(shared);
    const memory = new wasmApi!.Memory({ initial: INITIAL_PAGES, maximum: WASM_MAX_PAGES, shared });
    const exports = new wasmApi!.Instance(module, { env: { memory } }).exports;
    for (const name of Q8_KERNEL_NAMES) {
      if (typeof exports[name] !== 'function') throw new MobileNetV2Error('UNSUPPORTED', `wasm-simd (integer): the kernel module has no ${name} export (rebuild it: npm run build:wasm)`);
    }
    this.k = exports as unknown as Q8Exports;
    this.memory = memory;
    if (this.threads > 1) {
      this.pool = await WorkerPool.start({ module, memory, workers: this.threads - 1, adaptive: this.adaptive, exportNames: Q8_KERNEL_NAMES });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Arena

  private kernels(): Q8Exports {
    if (this.k === null) throw new MobileNetV2Error('USAGE', this.disposed ? 'wasm-simd (integer): the backend was disposed' : 'wasm-simd (integer): call and await init() first');
    return this.k;
  }

  private heap(): Uint8Array {
    const buf = this.memory!.buffer;
    if (buf !== this.heapBuffer || this.heapU8.byteLength !== buf.byteLength) {
      this.heapBuffer = buf;
      this.heapU8 = new Uint8Array(buf);
    }
    return this.heapU8;
  }

  private ensure(bytes: number): void {
    growMemoryTo(this.memory!, bytes, 'wasm-simd (integer)');
  }

  private static span(bytes: number): number {
    return Math.ceil((bytes + SLACK) / ALIGN) * ALIGN;
  }

  /** Per-call scratch of `bytes` bytes (contents undefined), above the weights. */
  private alloc(bytes: number): number {
    const offset = this.scratchTop;
    this.scratchTop = offset + Q8WasmBackend.span(bytes);
    this.ensure(this.scratchTop);
    return offset;
  }

  /** Copies bytes (any typed array viewed as bytes) into fresh scratch; returns the offset. */
  private put(a: Q8Array | Uint8Array): number {
    const offset = this.alloc(a.byteLength);
    this.heap().set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    return offset;
  }

  /** A descriptor of i32 words in scratch. */
  private descriptor(words: readonly number[]): number {
    const offset = this.alloc(4 * words.length);
    new Int32Array(this.heap().buffer, offset, words.length).set(words);
    return offset;
  }

  /** Offset of the packed weights for `w` (packed and copied in on first use; cached by identity). */
  private weights(w: Q8Array, bias: Int32Array | null, key: string, pack: () => Uint8Array): number {
    const hit = this.cache.get(w);
    if (hit !== undefined && hit.key === key && hit.bias === bias && hit.epoch === this.epoch) return hit.offset;
    const packed = pack();
    const bytes = Q8WasmBackend.span(packed.length);
    if (this.weightTop + bytes > WEIGHT_BUDGET_BYTES) {
      // Drop every cached weight (re-packed on next use) rather than grow forever.
      this.epoch++;
      this.cache = new WeakMap();
      this.weightTop = WEIGHTS_BASE;
    }
    const offset = this.weightTop;
    this.ensure(offset + bytes);
    this.heap().set(packed, offset);
    this.weightTop = offset + bytes;
    this.scratchTop = this.weightTop;
    this.cache.set(w, { key, bias, offset, epoch: this.epoch });
    return offset;
  }

  private run(name: Q8KernelName, total: number, align: number, desc: number, what: string): void {
    const fn = this.kernels()[name];
    if (this.pool === null) {
      fn(0, total, desc);
      return;
    }
    this.pool.run(Q8_KERNEL_NAMES.indexOf(name), total, align, [desc], (s, e) => fn(s, e, desc), what);
  }

  private output(out: Q8Array, offset: number): void {
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(this.heap().subarray(offset, offset + out.byteLength));
  }

  // ---------------------------------------------------------------------------------------------
  // Ops

  conv2d(out: Q8Array, x: Q8Array, w: Q8Array, bias: Int32Array | null, dims: ConvDims, g: Conv2dGeometry, q: Q8ConvParams): void {
    this.kernels();
    checkConvIo('q8-conv2d', out, x, bias, dims, g, null);
    const { n, inC, outC } = dims;
    checkLength(w, { OC: outC, KH: g.kH, KW: g.kW, IC: inC }, 'q8-conv2d: w');
    checkQ8ConvParams('q8-conv2d', { out, x, w }, bias, outC, q);
    const cp = 8 * Math.ceil(outC / 8);
    const rq = requantBlock(q.requantizer, q.requantizer.rounding, outC, cp);
    if (rq === null) {
      q8Conv2dNhwc(out, x, w, bias, dims, g, q);
      return;
    }
    const signed = q8TypeOf(x) === 'int8' ? 1 : 0;
    const k = g.kH * g.kW * inC;
    const kp = k + (k & 1);
    const zw = q.filterZeroPoint;
    this.scratchTop = this.weightTop;
    const wp = this.weights(w, bias, `gemm:${zw}:${outC}x${k}`, () => packGemm(w, bias, zw, outC, k, kp));
    const xp = this.put(x);
    const pixels = n * g.outH * g.outW;
    const cols = this.alloc(2 * pixels * kp);
    this.run('q8_im2col', n * g.outH, 1, this.descriptor([
      cols, xp, g.inH, g.inW, inC, g.kH, g.kW, g.strideH, g.strideW, g.dilationH, g.dilationW,
      g.pad.top, g.pad.left, g.outH, g.outW, kp, q.inputZeroPoint, signed,
    ]), 'q8 conv2d');
    this.gemm(out, cols, wp, rq, pixels, kp, outC, q, signed, 'q8 conv2d');
  }

  pointwiseConv(out: Q8Array, x: Q8Array, w: Q8Array, bias: Int32Array | null, dims: PointwiseDims, q: Q8ConvParams): void {
    this.kernels();
    const { pixels, inC, outC } = dims;
    checkMatmulArgs('q8-pwconv', out, x, w, bias, { name: 'P', count: pixels }, inC, outC, null);
    checkQ8ConvParams('q8-pwconv', { out, x, w }, bias, outC, q);
    const cp = 8 * Math.ceil(outC / 8);
    const rq = requantBlock(q.requantizer, q.requantizer.rounding, outC, cp);
    if (rq === null) {
      q8PwConvNhwc(out, x, w, bias, dims, q);
      return;
    }
    const signed = q8TypeOf(x) === 'int8' ? 1 : 0;
    const kp = inC + (inC & 1);
    const zw = q.filterZeroPoint;
    this.scratchTop = this.weightTop;
    const wp = this.weights(w, bias, `gemm:${zw}:${outC}x${inC}`, () => packGemm(w, bias, zw, outC, inC, kp));
    const xp = this.put(x);
    const rows = this.alloc(2 * pixels * kp);
    this.run('q8_widen', pixels, 1, this.descriptor([rows, xp, inC, kp, q.inputZeroPoint, signed]), 'q8 pointwiseConv');
    this.gemm(out, rows, wp, rq, pixels, kp, outC, q, signed, 'q8 pointwiseConv');
  }

  private gemm(out: Q8Array, rows: number, wp: number, rq: RqBlock, pixels: number, kp: number, outC: number, q: Q8ConvParams, signed: number, what: string): void {
    const rqp = this.put(rq.bytes);
    const yp = this.alloc(pixels * outC);
    const { zeroPoint, min, max } = q.output;
    // Split pixels in multiples of the 4-pixel tile.
    this.run('q8_gemm_4x8', pixels, 4, this.descriptor([yp, rows, wp, rqp, kp, outC, rq.mode, rq.uniform, zeroPoint, min, max, signed]), what);
    this.output(out, yp);
  }

  depthwiseConv2d(out: Q8Array, x: Q8Array, w: Q8Array, bias: Int32Array | null, dims: DepthwiseDims, g: Conv2dGeometry, q: Q8ConvParams): void {
    this.kernels();
    checkDepthwiseArgs('q8-dwconv2d', out, x, w, bias, dims, g, null);
    const { n, channels } = dims;
    checkQ8ConvParams('q8-dwconv2d', { out, x, w }, bias, channels, q);
    const type = q8TypeOf(x);
    // As the scalar kernel: TFLite's single-rounding build still rounds a uint8 depthwise conv twice.
    const rounding: Requantization = q.requantizer.rounding === 'single-rounding' && type === 'uint8' ? 'tflite-reference' : q.requantizer.rounding;
    const cp = 8 * Math.ceil(channels / 8);
    const rq = requantBlock(q.requantizer, rounding, channels, cp);
    if (rq === null) {
      q8DwConv2dNhwc(out, x, w, bias, dims, g, q);
      return;
    }
    const signed = type === 'int8' ? 1 : 0;
    const taps = g.kH * g.kW;
    const zw = q.filterZeroPoint;
    this.scratchTop = this.weightTop;
    const wp = this.weights(w, bias, `dw:${zw}:${taps}x${channels}`, () => packDepthwise(w, bias, zw, channels, taps, cp));
    const xp = this.put(x);
    // The padded int16 input holds exactly the rows and columns the outputs read.
    const hp = (g.outH - 1) * g.strideH + (g.kH - 1) * g.dilationH + 1;
    const wpad = (g.outW - 1) * g.strideW + (g.kW - 1) * g.dilationW + 1;
    const padded = this.alloc(2 * n * hp * wpad * cp);
    this.run('q8_pad_widen', n * hp, 1, this.descriptor([
      padded, xp, g.inH, g.inW, channels, cp, hp, wpad, g.pad.top, g.pad.left, q.inputZeroPoint, signed,
    ]), 'q8 depthwiseConv2d');
    const rqp = this.put(rq.bytes);
    const yp = this.alloc(out.byteLength);
    const { zeroPoint, min, max } = q.output;
    this.run('q8_dwconv_c8', n * g.outH, 1, this.descriptor([
      yp, padded, wp, rqp, hp, wpad, cp, channels, g.outH, g.outW, g.strideH, g.strideW, g.dilationH, g.dilationW,
      g.kH, g.kW, rq.mode, rq.uniform, zeroPoint, min, max, signed,
    ]), 'q8 depthwiseConv2d');
    this.output(out, yp);
  }

  add(out: Q8Array, a: Q8Array, b: Q8Array, length: number, p: Q8AddParams): void {
    this.kernels();
    const type = checkQ8AddArgs(out, a, b, length, p);
    const rounding = p.a.rounding;
    // The scalar ADD applies entry 0 of each requantizer to every element: broadcast it to the 4 lanes.
    const first = (rq: Requantizer): Requantizer | null => rq.multiplier.length < 1 || rq.shift.length < 1 || rq.scale.length < 1
      ? null
      : { rounding, multiplier: rq.multiplier.subarray(0, 1), shift: rq.shift.subarray(0, 1), scale: rq.scale.subarray(0, 1) };
    const parts = [first(p.a), first(p.b), first(p.out)];
    const blocks = rounding === 'xnnpack-fp32' || p.b.rounding !== rounding || p.out.rounding !== rounding || !Number.isInteger(p.leftShift) || p.leftShift < 0 || p.leftShift > 22
      ? null
      : parts.map((rq) => (rq === null ? null : requantBlock(rq, rounding, 4, 4)));
    if (blocks === null || blocks.some((r) => r === null) || length === 0) {
      q8Add(out, a, b, length, p);
      return;
    }
    const [ra, rb, ro] = blocks as RqBlock[];
    this.scratchTop = this.weightTop;
    const ap = this.put(a);
    const bp = this.put(b);
    const rqa = this.put(ra!.bytes), rqb = this.put(rb!.bytes), rqo = this.put(ro!.bytes);
    const yp = this.alloc(length);
    const { zeroPoint, min, max } = p.output;
    this.run('q8_add', length, 4, this.descriptor([
      yp, ap, bp, rqa, rqb, rqo, ra!.mode, ra!.uniform, rb!.uniform, ro!.uniform,
      p.aZeroPoint, p.bZeroPoint, zeroPoint, min, max, type === 'int8' ? 1 : 0, p.leftShift,
    ]), 'q8 add');
    this.output(out, yp);
  }

  dispose(): void {
    void this.disposeAsync();
  }

  /** dispose() that resolves once every worker thread has exited. */
  async disposeAsync(): Promise<void> {
    this.disposed = true;
    this.k = null;
    this.memory = null;
    this.heapBuffer = null;
    this.heapU8 = new Uint8Array(0);
    this.cache = new WeakMap();
    const pool = this.pool;
    this.pool = null;
    if (pool !== null) await pool.dispose();
  }

  /** Thread statistics: layers run with workers / alone (contention backoff) / stalled, and chunks run by workers. */
  threadStats(): { parallel: number; solo: number; stalled: number; workerChunks: number } {
    const p = this.pool;
    return p === null ? { parallel: 0, solo: 0, stalled: 0, workerChunks: 0 } : { ...p.stats, workerChunks: p.workerChunks() };
  }
}

export function createWasmQ8Backend(options: Q8WasmOptions = {}): Q8WasmBackend {
  return new Q8WasmBackend(options);
}

/**
 * An initialised integer backend: 'scalar' (the definition, one thread) or 'wasm-simd' (this file;
 * `threads` ≥ 1, bit-identical). Without shared memory (a browser page that is not cross-origin
 * isolated) 'wasm-simd' runs 1 thread and says so through the host's warning.
 *
 * @example
 *   import { convRequantizer, quantizedActivationRange } from '../../kernels/q-requantize.js';
 *   const q = {
 *     inputZeroPoint: 128, filterZeroPoint: 120, output: quantizedActivationRange('uint8', 0.05, 0, 'relu6'),
 *     requantizer: convRequantizer({ type: 'uint8', input: 0.02, output: 0.05, filter: [0.004] }, 'xnnpack-fp32'),
 *   };
 *   const b = await createQ8Backend('wasm-simd', { threads: 2 });
 *   const out = new Uint8Array(4 * 8);
 *   b.pointwiseConv(out, new Uint8Array(4 * 16).fill(200), new Uint8Array(8 * 16).fill(180), null, { pixels: 4, inC: 16, outC: 8 }, q);
 *   b.dispose(); // out is 111 everywhere (72·60·16·0.0016 = 110.6), as createScalarQ8Backend() gives
 */
export async function createQ8Backend(kind: Q8BackendKind, options: Q8WasmOptions & { warn?: (message: string) => void } = {}): Promise<Q8Backend> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw usageError(`threads must be a positive integer, got ${String(options.threads)}`);
  switch (kind) {
    case 'scalar': {
      if (threads > 1) throw usageError(`integer backend 'scalar' is single-threaded; threads > 1 needs 'wasm-simd'`);
      return createScalarQ8Backend();
    }
    case 'wasm-simd': {
      const canThread = host.threadsAvailable() && wasmSharedMemorySupported();
      const t = threads > 1 && !canThread ? 1 : threads;
      if (t < threads) (options.warn ?? ((m: string) => host.warn(m)))(`integer backend 'wasm-simd': ${threads} threads requested but shared memory / worker threads are unavailable; running 1`);
      const b = new Q8WasmBackend({ ...(options.adaptive === undefined ? {} : { adaptive: options.adaptive }), threads: t });
      await b.init();
      return b;
    }
    default:
      throw usageError(`unknown integer backend '${String(kind)}'; expected ${Q8_BACKEND_KINDS.map((k) => `'${k}'`).join(' or ')}`);
  }
}
