// SPDX-License-Identifier: Apache-2.0
/**
 * The fast integer path: Q8Backend on the WASM SIMD integer kernels (kernels/wasm/q8-*.ts, in the
 * same module as the float kernels) and, with `threads` > 1, the same worker pool as the float
 * wasm-simd backend (wasm-pool.ts). Bit-identical to createScalarQ8Backend (the scalar kernels in
 * kernels/q8-*.ts) for every requantization convention and every thread count: the int32
 * accumulators are sums modulo 2³², whose value does not depend on order or tiling, and the
 * requantization is the scalar arithmetic done exactly (64-bit products, IEEE float32).
 *
 * Per call: the pointwise / general conv stage their 8-bit input as int16 x − zx in a 4-pixel
 * interleaved layout (im2col rows for the general conv), the depthwise conv reads it in place, and
 * the kernel runs over output rows / pixels split between threads. Tensors handed out by scratch()
 * inside beginScope()/endScope() live in wasm memory and are read and written in place (the
 * integer runner keeps every activation there); ordinary arrays are copied in and out per call.
 * Weights (w − zw as int16, bias folded in; for the depthwise conv also − zx·Σw) are packed once
 * per weight array and the requantization blocks once per Requantizer (ADD parameters once per
 * Q8AddParams), cached by identity in wasm memory; they must not be mutated in place afterwards.
 *
 * Arguments are checked exactly as the scalar kernels check them (same errors). Requantizers no
 * factory in kernels/q-requantize.ts produces — a multiplier of INT32_MIN (the one saturating
 * case of SaturatingRoundingDoublingHighMul), a shift outside [−31, 30], a non-finite float scale —
 * and ADD parameters other than one fixed-point convention with a left shift in [0, 22] or
 * XNNPACK's integer ADD within its int32-exact range (multipliers ≤ 2²¹, shift in [1, 30];
 * kernels/wasm/q8-add.ts) run the scalar kernel itself, so the answer is still the definition's.
 *
 * Memory: the bump arena of wasm-arena.ts, as WasmSimdBackend's — packed weights and
 * requantization blocks placed once; the open scopes' scratch() tensors; per-call scratch above
 * (inputs copied in, staged int16 rows, descriptors, outputs), reused by the next call. Every
 * buffer is 64-byte aligned with ≥ 16 bytes of slack (the kernels' last vector may read past a row).
 *
 * @example
 *   const b = await createQ8Backend('wasm-simd', { threads: 2 });
 *   b.pointwiseConv(out, x, w, bias, { pixels, inC, outC }, q); // = q8PwConvNhwc(out, x, w, bias, …, q)
 *   b.dispose();
 */
import { host } from '#host';
import { checkConvIo, checkDepthwiseArgs, checkDims, checkLength, checkMatmulArgs } from '../../kernels/check.js';
import type { ConvDims, DepthwiseDims, PointwiseDims } from '../../kernels/dims.js';
import type { Conv2dGeometry } from '../../kernels/geometry.js';
import { INT32_MIN, type Requantization, type Requantizer } from '../../kernels/q-requantize.js';
import { q8TypeOf, type Q8Array } from '../../kernels/q8-check.js';
import { checkQ8ConvParams, q8Conv2dNhwc, type Q8ConvParams } from '../../kernels/q8-conv2d-nhwc.js';
import { q8DwConv2dNhwc } from '../../kernels/q8-dwconv2d-nhwc.js';
import { q8PwConvNhwc } from '../../kernels/q8-fully-connected.js';
import { checkQ8AddArgs, q8Add, type Q8AddParams } from '../../kernels/q8-add.js';
import { q8ResizeBilinearNhwc } from '../../kernels/q8-resize-bilinear-nhwc.js';
import { RESIZE_COORDINATE_MODES, type ResizeCoordinateMode, type ResizeDims } from '../../kernels/f32-resize-nhwc.js';
import { MobileNetV2Error, usageError } from '../errors.js';
import { createScalarQ8Backend, type Q8Backend } from './q8-backend.js';
import { compileKernelModule, WASM_MAX_PAGES, wasmApi, wasmSharedMemorySupported } from './wasm-module.js';
import { WasmArena } from './wasm-arena.js';
import { WorkerPool } from './wasm-pool.js';

/** The integer kernels' exports (kernels/wasm/q8-*.ts): (start, end, descriptor pointer). */
export const Q8_KERNEL_NAMES = ['q8_gemm_4x8', 'q8_dwconv_c8', 'q8_add', 'q8_add_xnnpack', 'q8_resize_bilinear_u8', 'q8_resize_columns'] as const;
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

const INITIAL_PAGES = 256; // 16 MiB
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

/**
 * Depthwise weights: bias' [CP] int32 = bias − zx·Σₜ w', then the taps in pairs, each pair [CP/8
 * groups][two vectors of 8 int16, the pair's two taps interleaved per channel], w' = w − zw (see
 * kernels/wasm/q8-dwconv-c8.ts; int32 arithmetic wraps, as the accumulator does).
 */
function packDepthwise(w: Q8Array, bias: Int32Array | null, zw: number, zx: number, channels: number, kh: number, kw: number, cp: number): Uint8Array {
  const taps = kh * kw;
  const pairs = Math.ceil(taps / 2);
  // Slot s of the pair sequence holds tap order[s]: 3×3 kernels pair the taps vertically
  // (t00 t10)(t01 t11)(t02 t12)(t20 t21)(t22 –) so that a sliding row kernel reuses a column's
  // interleaved rows 0 and 1 for three output pixels; other kernels pair in row-major order.
  const order = kh === 3 && kw === 3 ? DW3X3_TAP_ORDER : Array.from({ length: taps }, (_, t) => t);
  const buf = new ArrayBuffer(4 * cp + 4 * cp * pairs);
  const i32 = new Int32Array(buf);
  const i16 = new Int16Array(buf);
  for (let c = 0; c < channels; c++) {
    const lane = 16 * (c >> 3) + 8 * ((c & 7) >> 2) + 2 * (c & 3); // int16 index inside a pair
    let sum = 0;
    for (let s = 0; s < taps; s++) {
      const wq = w[order[s]! * channels + c]! - zw;
      i16[2 * cp + 2 * cp * (s >> 1) + lane + (s & 1)] = wq;
      sum += wq;
    }
    i32[c] = ((bias === null ? 0 : bias[c]!) - Math.imul(zx, sum)) | 0;
  }
  return new Uint8Array(buf);
}

/** The 3×3 pair order of kernels/wasm/q8-dwconv-c8.ts (tap t = 3·row + column). */
const DW3X3_TAP_ORDER: readonly number[] = [0, 3, 1, 4, 2, 5, 6, 7, 8];

interface PackedWeights {
  readonly key: string;
  readonly bias: Int32Array | null;
  readonly offset: number;
  readonly epoch: number;
}

/** A requantization block in wasm memory (null: the parameters need the scalar kernel). */
interface PlacedRequant {
  readonly key: string;
  readonly epoch: number;
  readonly block: { readonly offset: number; readonly mode: number; readonly uniform: number } | null;
}

/** The ADD's three blocks in wasm memory (fixed-point), XNNPACK's integer parameters, or null (scalar kernel). */
type PlacedAdd =
  | { readonly kind: 'fixed'; readonly epoch: number; readonly a: RqPlaced; readonly b: RqPlaced; readonly out: RqPlaced }
  | { readonly kind: 'xnnpack'; readonly epoch: number }
  | { readonly kind: 'scalar'; readonly epoch: number };
interface RqPlaced { readonly offset: number; readonly mode: number; readonly uniform: number }

export class Q8WasmBackend implements Q8Backend {
  readonly name = 'wasm-simd';
  readonly threads: number;
  private readonly adaptive: boolean;
  private arena: WasmArena | null = null;
  private k: Q8Exports | null = null;
  private pool: WorkerPool | null = null;
  private cache = new WeakMap<Q8Array, PackedWeights>();
  private requants = new WeakMap<Requantizer, PlacedRequant>();
  private addParams = new WeakMap<Q8AddParams, PlacedAdd>();
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
    this.arena = new WasmArena({ label: 'wasm-simd (integer)', memory, shared, weightBudgetBytes: WEIGHT_BUDGET_BYTES, weightReserveBytes: 16 * 1024 * 1024 });
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

  /** The arena (kernels() first: it says whether the backend is ready). */
  private get a(): WasmArena {
    this.kernels();
    return this.arena!;
  }

  /** A descriptor of i32 words in scratch. */
  private descriptor(words: readonly number[]): number {
    const offset = this.a.alloc(4 * words.length);
    this.a.i32().set(words, offset >> 2);
    return offset;
  }

  /** Offset of the packed weights for `w` (packed and copied in on first use; cached by identity). */
  private weights(w: Q8Array, bias: Int32Array | null, key: string, pack: () => Uint8Array): number {
    const hit = this.cache.get(w);
    if (hit !== undefined && hit.key === key && hit.bias === bias && hit.epoch === this.a.epoch) return hit.offset;
    const { offset, cached } = this.a.place(pack());
    if (cached) this.cache.set(w, { key, bias, offset, epoch: this.a.epoch });
    return offset;
  }

  /** The requantization block of `rq` for `channels` (padded to `cp`) in wasm memory, cached by identity; null = scalar kernel. */
  private requant(rq: Requantizer, rounding: Requantization, channels: number, cp: number): RqPlaced | null {
    const key = `${rounding}:${channels}:${cp}`;
    const hit = this.requants.get(rq);
    if (hit !== undefined && hit.key === key && hit.epoch === this.a.epoch) return hit.block;
    const block = requantBlock(rq, rounding, channels, cp);
    let placed: RqPlaced | null = null;
    let cached = true;
    if (block !== null) {
      const p = this.a.place(block.bytes);
      placed = { offset: p.offset, mode: block.mode, uniform: block.uniform };
      cached = p.cached;
    }
    if (cached) this.requants.set(rq, { key, epoch: this.a.epoch, block: placed });
    return placed;
  }

  private run(name: Q8KernelName, total: number, align: number, desc: number, what: string): void {
    const fn = this.kernels()[name];
    if (this.pool === null) {
      fn(0, total, desc);
      return;
    }
    this.pool.run(Q8_KERNEL_NAMES.indexOf(name), total, align, [desc], (s, e) => fn(s, e, desc), what);
  }

  // ---------------------------------------------------------------------------------------------
  // Zero-copy scopes (as WasmSimdBackend's: activations stay in wasm memory between ops)

  /**
   * Opens a scope: tensors from scratch() stay valid until the matching endScope(); ops given such
   * tensors read and write them in place (no copy in or out). Scopes nest.
   */
  beginScope(): void {
    this.a.beginScope();
  }

  /** A [length] uint8 or int8 tensor in wasm memory (contents undefined), valid until this scope ends. */
  scratch(type: 'uint8' | 'int8', length: number): Q8Array {
    const arena = this.a;
    arena.checkScopeOpen();
    if (!Number.isInteger(length) || length < 1) throw usageError(`wasm-simd (integer): scratch length must be a positive integer, got ${length}`);
    if (type !== 'uint8' && type !== 'int8') throw usageError(`wasm-simd (integer): scratch type must be 'uint8' or 'int8', got ${String(type)}`);
    const offset = arena.scopeAlloc(length);
    // On plain memory a later grow would detach the view: an ordinary array (copied per op).
    if (offset === null) return type === 'uint8' ? new Uint8Array(length) : new Int8Array(length);
    return type === 'uint8' ? new Uint8Array(arena.buffer(), offset, length) : new Int8Array(arena.buffer(), offset, length);
  }

  /** Closes the innermost scope; its scratch() tensors must not be used afterwards. */
  endScope(): void {
    if (this.arena === null) throw usageError('wasm-simd (integer): endScope() without beginScope()');
    this.arena.endScope();
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
    this.a.beginCall();
    const rq = this.requant(q.requantizer, q.requantizer.rounding, outC, cp);
    if (rq === null) {
      q8Conv2dNhwc(out, x, w, bias, dims, g, q);
      return;
    }
    const signed = q8TypeOf(x) === 'int8' ? 1 : 0;
    const k = g.kH * g.kW * inC;
    const kp = k + (k & 1);
    const zw = q.filterZeroPoint;
    const wp = this.weights(w, bias, `gemm:${zw}:${outC}x${k}`, () => packGemm(w, bias, zw, outC, k, kp));
    const xp = this.a.input(x);
    const pixels = n * g.outH * g.outW;
    // im2col rows in the 4-pixel interleaved layout the gemm reads (kernels/wasm/q8-layout.ts).
    const groups = Math.ceil(pixels / 4);
    const rows = this.a.alloc(8 * groups * kp);
    const plain = this.a.alloc(2 * pixels * kp);
    const im2col = this.descriptor([
      rows, xp, g.inH, g.inW, inC, g.kH, g.kW, g.strideH, g.strideW, g.dilationH, g.dilationW,
      g.pad.top, g.pad.left, g.outH, g.outW, kp, q.inputZeroPoint, signed, plain, pixels,
    ]);
    this.gemm(out, rows, wp, rq, pixels, kp, outC, q, signed, { im2col }, 'q8 conv2d');
  }

  pointwiseConv(out: Q8Array, x: Q8Array, w: Q8Array, bias: Int32Array | null, dims: PointwiseDims, q: Q8ConvParams): void {
    this.kernels();
    const { pixels, inC, outC } = dims;
    checkMatmulArgs('q8-pwconv', out, x, w, bias, { name: 'P', count: pixels }, inC, outC, null);
    checkQ8ConvParams('q8-pwconv', { out, x, w }, bias, outC, q);
    const cp = 8 * Math.ceil(outC / 8);
    this.a.beginCall();
    const rq = this.requant(q.requantizer, q.requantizer.rounding, outC, cp);
    if (rq === null) {
      q8PwConvNhwc(out, x, w, bias, dims, q);
      return;
    }
    const signed = q8TypeOf(x) === 'int8' ? 1 : 0;
    const kp = inC + (inC & 1);
    const zw = q.filterZeroPoint;
    const wp = this.weights(w, bias, `gemm:${zw}:${outC}x${inC}`, () => packGemm(w, bias, zw, outC, inC, kp));
    const xp = this.a.input(x);
    // Room for int16 x − zx in the 4-pixel interleaved layout the gemm reads (kernels/wasm/q8-layout.ts),
    // which the gemm fills block by block from x itself.
    const rows = this.a.alloc(8 * Math.ceil(pixels / 4) * kp);
    this.gemm(out, rows, wp, rq, pixels, kp, outC, q, signed, { src: xp, inC }, 'q8 pointwiseConv');
  }

  /**
   * `staging`: how the gemm fills `rows` block by block itself — from the 8-bit input (pointwise:
   * src, inC) or by im2col (general conv: the descriptor of im2colGroups, kernels/wasm/q8-layout.ts).
   */
  private gemm(
    out: Q8Array, rows: number, wp: number, rq: RqPlaced, pixels: number, kp: number, outC: number, q: Q8ConvParams, signed: number,
    staging: { src: number; inC: number } | { im2col: number }, what: string,
  ): void {
    const yp = this.a.target(out);
    const { zeroPoint, min, max } = q.output;
    // Split pixels in multiples of the 4-pixel tile.
    this.run('q8_gemm_4x8', pixels, 4, this.descriptor([
      yp, rows, wp, rq.offset, kp, outC, rq.mode, rq.uniform, zeroPoint, min, max, signed,
      'src' in staging ? staging.src : 0, 'src' in staging ? staging.inC : 0, q.inputZeroPoint, pixels, 'im2col' in staging ? staging.im2col : 0,
    ]), what);
    this.a.output(out, yp);
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
    this.a.beginCall();
    const rq = this.requant(q.requantizer, rounding, channels, cp);
    if (rq === null) {
      q8DwConv2dNhwc(out, x, w, bias, dims, g, q);
      return;
    }
    const signed = type === 'int8' ? 1 : 0;
    const zw = q.filterZeroPoint;
    const zx = q.inputZeroPoint;
    const wp = this.weights(w, bias, `dw:${zw}:${zx}:${g.kH}x${g.kW}x${channels}`, () => packDepthwise(w, bias, zw, zx, channels, g.kH, g.kW, cp));
    const xp = this.a.input(x);
    // What a tap in the padding reads: zx (kernel rows in the padding read it at any column).
    const zrBytes = g.inW * channels + cp;
    const zr = this.a.alloc(zrBytes);
    this.a.u8().fill(zx & 255, zr, zr + zrBytes);
    const yp = this.a.target(out);
    const { zeroPoint, min, max } = q.output;
    this.run('q8_dwconv_c8', n * g.outH, 1, this.descriptor([
      yp, xp, wp, rq.offset, zr, g.inH, g.inW, channels, cp, g.outH, g.outW, g.strideH, g.strideW, g.dilationH, g.dilationW,
      g.kH, g.kW, g.pad.top, g.pad.left, rq.mode, rq.uniform, zeroPoint, min, max, signed,
    ]), 'q8 depthwiseConv2d');
    this.a.output(out, yp);
  }

  /** How the WASM kernels run these ADD parameters (placed once per parameter object). */
  private placeAdd(p: Q8AddParams): PlacedAdd {
    const hit = this.addParams.get(p);
    if (hit !== undefined && hit.epoch === this.a.epoch) return hit;
    let placed: PlacedAdd;
    const rounding = p.a.rounding;
    const x = p.xnnpack;
    if (x) {
      // Bounds under which the int32 kernel is exact (see kernels/wasm/q8-add.ts); else the scalar kernel.
      const ok = [x.aMultiplier, x.bMultiplier].every((m) => Number.isInteger(m) && m >= 0 && m <= 2 ** 21) && Number.isInteger(x.shift) && x.shift >= 1 && x.shift <= 30;
      placed = { kind: ok ? 'xnnpack' : 'scalar', epoch: this.a.epoch };
    } else if (rounding === 'xnnpack-fp32' || p.b.rounding !== rounding || p.out.rounding !== rounding || !Number.isInteger(p.leftShift) || p.leftShift < 0 || p.leftShift > 22) {
      placed = { kind: 'scalar', epoch: this.a.epoch };
    } else {
      // The scalar ADD applies entry 0 of each requantizer to every element: broadcast it to the 4 lanes.
      const first = (rq: Requantizer): Requantizer | null => rq.multiplier.length < 1 || rq.shift.length < 1 || rq.scale.length < 1
        ? null
        : { rounding, multiplier: rq.multiplier.subarray(0, 1), shift: rq.shift.subarray(0, 1), scale: rq.scale.subarray(0, 1) };
      const blocks = [first(p.a), first(p.b), first(p.out)].map((rq) => (rq === null ? null : requantBlock(rq, rounding, 4, 4)));
      if (blocks.some((r) => r === null)) placed = { kind: 'scalar', epoch: this.a.epoch };
      else {
        const [a, b, o] = blocks.map((r) => ({ offset: this.a.place(r!.bytes).offset, mode: r!.mode, uniform: r!.uniform }));
        placed = { kind: 'fixed', epoch: this.a.epoch, a: a!, b: b!, out: o! };
      }
    }
    // A block placed in per-call scratch (no room below a scope) is not cached.
    if (placed.kind !== 'fixed' || [placed.a, placed.b, placed.out].every((r) => this.a.isPlaced(r.offset))) this.addParams.set(p, placed);
    return placed;
  }

  add(out: Q8Array, a: Q8Array, b: Q8Array, length: number, p: Q8AddParams): void {
    this.kernels();
    const type = checkQ8AddArgs(out, a, b, length, p);
    this.a.beginCall();
    const placed = this.placeAdd(p);
    if (placed.kind === 'scalar' || length === 0) {
      q8Add(out, a, b, length, p);
      return;
    }
    const ap = this.a.input(a);
    const bp = this.a.input(b);
    const yp = this.a.target(out);
    const { zeroPoint, min, max } = p.output;
    const signed = type === 'int8' ? 1 : 0;
    if (placed.kind === 'xnnpack') {
      const x = p.xnnpack!;
      this.run('q8_add_xnnpack', length, 16, this.descriptor([
        yp, ap, bp, x.aMultiplier, x.bMultiplier, x.shift, p.aZeroPoint, p.bZeroPoint, zeroPoint, min, max, signed,
      ]), 'q8 add');
    } else {
      const { a: ra, b: rb, out: ro } = placed;
      this.run('q8_add', length, 4, this.descriptor([
        yp, ap, bp, ra.offset, rb.offset, ro.offset, ra.mode, ra.uniform, rb.uniform, ro.uniform,
        p.aZeroPoint, p.bZeroPoint, zeroPoint, min, max, signed, p.leftShift,
      ]), 'q8 add');
    }
    this.a.output(out, yp);
  }

  /**
   * uint8: kernels/wasm/q8-resize-bilinear.ts (TFLite's float32 ResizeBilinear<uint8_t>, bit for
   * bit); int8 (its 10-bit integer definition) and anything the scalar kernel rejects: the scalar kernel.
   */
  resizeBilinear(out: Q8Array, x: Q8Array, dims: ResizeDims, mode: ResizeCoordinateMode, rounding: Requantization): void {
    this.kernels();
    const sizes = [dims.n, dims.inH, dims.inW, dims.c, dims.outH, dims.outW];
    if (q8TypeOf(x) !== 'uint8' || q8TypeOf(out) !== 'uint8' || !RESIZE_COORDINATE_MODES.includes(mode) || !sizes.every((v) => Number.isInteger(v) && v > 0)) {
      q8ResizeBilinearNhwc(out, x, dims, mode, rounding);
      return;
    }
    checkDims('q8-resize-bilinear', { n: dims.n, inH: dims.inH, inW: dims.inW, c: dims.c, outH: dims.outH, outW: dims.outW });
    checkLength(x, { N: dims.n, H: dims.inH, W: dims.inW, C: dims.c }, 'q8-resize-bilinear: x');
    checkLength(out, { N: dims.n, OH: dims.outH, OW: dims.outW, C: dims.c }, 'q8-resize-bilinear: out');
    // The scalar kernel's float32 scales (its floatScale): (in − 1)/(out − 1) for align-corners, else in/out.
    const scale = (i: number, o: number): number => Math.fround(mode === 'align-corners' && o > 1 ? (i - 1) / (o - 1) : i / o);
    this.a.beginCall();
    const xp = this.a.input(x);
    const yp = this.a.target(out);
    const tab = this.a.alloc(16 * dims.outW);
    const d = this.descriptor([yp, xp, dims.inH, dims.inW, dims.c, dims.outH, dims.outW, 0, 0, mode === 'half-pixel' ? 1 : 0, tab]);
    const f32 = new Float32Array(this.a.buffer(), d + 28, 2);
    f32[0] = scale(dims.inH, dims.outH);
    f32[1] = scale(dims.inW, dims.outW);
    this.kernels().q8_resize_columns(0, dims.outW, d);
    this.run('q8_resize_bilinear_u8', dims.n * dims.outH, 1, d, 'q8 resizeBilinear');
    this.a.output(out, yp);
  }

  dispose(): void {
    void this.disposeAsync();
  }

  /** dispose() that resolves once every worker thread has exited. */
  async disposeAsync(): Promise<void> {
    this.disposed = true;
    this.k = null;
    this.arena?.dispose();
    this.cache = new WeakMap();
    this.requants = new WeakMap();
    this.addParams = new WeakMap();
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
