// SPDX-License-Identifier: Apache-2.0
/**
 * The wasm-simd backend: AssemblyScript SIMD kernels (kernels/wasm/) on one JS-owned shared
 * WebAssembly.Memory, optionally with worker_threads (wasm-pool.ts).
 *
 * Memory: the bump arena of wasm-arena.ts (packed weights copied in once per weight buffer and
 * cached by identity; zero-copy tensors inside beginScope()/endScope(); per-call scratch above).
 *
 * Zero-copy (an extension of the Backend interface, proposed to the lead): a caller that allocates
 * its activations with scratch() inside a scope gets views into the wasm memory; ops recognise them
 * and run in place, with no copy in or out. Plain Float32Arrays work as before (copied per call).
 *
 * Weights must not be mutated in place after their first use (their packed copy is cached).
 *
 * Precision: float32 accumulation (SIMD lanes), so results differ from the float64 scalar oracle by
 * at most the derived dot-product bound (spec/helpers/close.ts: K·2⁻²⁴·Σ|xᵢwᵢ|). The clamp has
 * the oracle's exact semantics (NaN and −0 pass through; kernels/wasm/common.ts).
 */
import type { Backend, ConvDims, DepthwiseDims, InvertedResidualScratchDims, PointwiseDims, PoolDims, StemBottleneckDims, StemBottleneckWeights } from './backend.js';
import type { Conv2dGeometry } from '../../kernels/geometry.js';
import type { Clamp } from '../../kernels/clamp.js';
import { checkConvIo, checkDepthwiseArgs, checkDims, checkLength, checkMatmulArgs, KernelArgumentError } from '../../kernels/check.js';
import { f32DwConv2dNhwc } from '../../kernels/f32-dwconv2d-nhwc.js';
import { bilinearRowPlan, fastConcatChannelsNhwc, fastResizeBilinearNhwc } from './fast-resize-concat.js';
import { resizeSourceCoord } from '../../kernels/f32-resize-nhwc.js';
import { MobileNetV2Error, usageError } from '../errors.js';
import { compileKernelModule, instantiateKernels, KERNEL_NAMES, WASM_MAX_PAGES, wasmApi, wasmSharedMemorySupported, type KernelExports, type KernelName } from './wasm-module.js';
import { ARENA_ALIGN as ALIGN, arenaSpan, WasmArena } from './wasm-arena.js';
import { packConv8, packDepthwise3x3c4, packPointwise8 } from './wasm-pack.js';
import { WorkerPool } from './wasm-pool.js';
import {
  checkInvertedResidualArgs, f32InvertedResidualNhwc, invertedResidualBandRows, invertedResidualScratchLength,
  type InvertedResidualDims, type InvertedResidualOps, type InvertedResidualWeights,
} from '../../kernels/f32-inverted-residual-nhwc.js';
import { RELU6 } from '../../kernels/clamp.js';

const INITIAL_PAGES = 256; // 16 MiB
const WEIGHT_BUDGET_BYTES = 512 * 1024 * 1024;
/** A fused block's scratch slot per thread (expanded band + depthwise tile + 1×1 staging) may grow to this, for speed (L2: 1 MiB here). */
const FUSED_SLOT_BYTES = 256 * 1024;
/** Largest im2col staging slot of conv2d (bytes per thread); wider rows × taps run unstaged. */
const CONV_STAGE_LIMIT_BYTES = 256 * 1024;
/**
 * …and the slots of all threads together up to this plus FUSED_SLOT_BYTES per thread after the
 * first, when that lets each thread's whole part be ONE tile, so that no halo row is expanded twice
 * and the 1×1 weights pass once: the 7×7 blocks of 1.0/224 in 4-row tiles recomputed 29 % of
 * their expansion and ran slower than layer by layer (bench/fused.ts: 1.10–1.13×; one tile:
 * 0.86–0.89×); the 14×14×576 blocks ran 1-row tiles (the 1×1 staging buffer takes 147 KB of the
 * slot) at 1.43 ms, one tile 1.29 ms (1 thread, in the network; 2 threads 0.95 → 0.82 ms). Only
 * where the maps are small, so 1.0/224's arena peak (at the 112² blocks, 2.65 MB; 1.58 MB with the stem trick) does not grow;
 * a small network's may (0.35/96: the slots exceed its whole plan, 0.79 MB measured against the
 * plan's 0.29 MB).
 */
const WHOLE_PART_BYTES = 1152 * 1024;

export interface WasmSimdOptions {
  /** Threads including the main thread (default 1 = no workers). */
  threads?: number;
  /** Worker spin iterations before Atomics.wait (default ~100 µs worth). */
  spin?: number;
  /**
   * Run layers on the main thread alone while other processes leave no free core for the workers,
   * or while workers keep stalling layers (default true; results are identical either way).
   */
  adaptive?: boolean;
}

interface PackedWeights {
  readonly key: string;
  readonly bias: Float32Array | null;
  readonly offset: number;
  readonly epoch: number;
}

const RESIZE_MODES: readonly string[] = ['align-corners', 'half-pixel', 'asymmetric'];

const OP = Object.fromEntries(KERNEL_NAMES.map((n, i) => [n, i])) as Record<KernelName, number>;

export class WasmSimdBackend implements Backend {
  readonly name = 'wasm-simd';
  readonly threads: number;
  private readonly spin: number | undefined;
  private readonly adaptive: boolean;
  private arena: WasmArena | null = null;
  private k: KernelExports | null = null;
  private pool: WorkerPool | null = null;
  private cache = new WeakMap<Float32Array, PackedWeights>();
  private disposed = false;

  constructor(options: WasmSimdOptions = {}) {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw usageError(`threads must be a positive integer, got ${String(options.threads)}`);
    this.threads = threads;
    this.spin = options.spin;
    this.adaptive = options.adaptive ?? true;
  }

  async init(): Promise<void> {
    if (this.k !== null) return;
    // Shared memory wherever it exists (always in Node); a browser page without cross-origin
    // isolation gets the plain-memory build of the same kernels (same instructions, same bits).
    const shared = wasmSharedMemorySupported();
    if (!shared && this.threads > 1) throw new MobileNetV2Error('UNSUPPORTED', `wasm-simd: ${this.threads} threads need shared memory, which this host does not offer (browsers: serve the page crossOriginIsolated)`);
    const module = await compileKernelModule(shared);
    const memory = new wasmApi!.Memory({ initial: INITIAL_PAGES, maximum: WASM_MAX_PAGES, shared });
    this.k = instantiateKernels(module, memory);
    this.arena = new WasmArena({ label: 'wasm-simd', memory, shared, weightBudgetBytes: WEIGHT_BUDGET_BYTES, weightReserveBytes: 32 * 1024 * 1024 });
    if (this.threads > 1) {
      this.pool = await WorkerPool.start({ module, memory, workers: this.threads - 1, adaptive: this.adaptive, ...(this.spin === undefined ? {} : { spin: this.spin }) });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Arena

  private kernels(): KernelExports {
    if (this.k === null) throw new MobileNetV2Error('USAGE', this.disposed ? 'wasm-simd: the backend was disposed' : 'wasm-simd: call and await init() first');
    return this.k;
  }

  /** The arena (kernels() first: it says whether the backend is ready). */
  private get a(): WasmArena {
    this.kernels();
    return this.arena!;
  }

  private heap(): Float32Array {
    return this.a.f32();
  }

  /** Offset of the packed copy of (w, bias) for this kernel, packing and copying it in on first use. */
  private weights(w: Float32Array, bias: Float32Array | null, key: string, pack: () => Float32Array): number {
    const arena = this.a;
    const hit = this.cache.get(w);
    if (hit !== undefined && hit.key === key && hit.bias === bias && hit.epoch === arena.epoch) return hit.offset;
    const { offset, cached } = arena.place(pack());
    if (cached) this.cache.set(w, { key, bias, offset, epoch: arena.epoch });
    return offset;
  }

  private alloc(floats: number): number {
    return this.a.alloc(floats * 4);
  }

  private allocZeros(floats: number): number {
    return this.a.allocZeros(floats * 4);
  }

  /** A placed block of zeros (epoch-checked), grown to the largest size asked for. */
  private zeroBlock: { offset: number; bytes: number; epoch: number } | null = null;

  /**
   * Offset of at least `floats` zero floats that no kernel writes: the depthwise kernels' zero row
   * (an input row outside the image). Placed once like the weights instead of cleared per call:
   * clearing the rows of every depthwise layer cost ~0.1 ms of main-thread time per 1.0/224 image.
   * Like weights(), call it before the call's first per-call alloc (placing may take that memory).
   */
  private zeros(floats: number): number {
    const arena = this.a;
    const z = this.zeroBlock;
    if (z !== null && z.epoch === arena.epoch && z.bytes >= floats * 4) return z.offset;
    const bytes = Math.max(floats * 4, 2 * (z?.bytes ?? 0));
    const { offset, cached } = arena.place(new Uint8Array(bytes));
    if (cached) this.zeroBlock = { offset, bytes, epoch: arena.epoch };
    return offset;
  }

  // ---------------------------------------------------------------------------------------------
  // Zero-copy scopes (Backend extension)

  /**
   * Opens a scope: tensors from scratch() stay valid until the matching endScope(). Scopes nest.
   * Typical use (the proposed forward()): beginScope(); allocate every intermediate with
   * scratch(); copy the results you keep into ordinary arrays; endScope().
   */
  beginScope(): void {
    this.a.beginScope();
  }

  /** A [length] float32 tensor in wasm memory (contents undefined), valid until this scope ends. */
  scratch(length: number): Float32Array {
    const arena = this.a;
    arena.checkScopeOpen();
    if (!Number.isInteger(length) || length < 1) throw usageError(`wasm-simd: scratch length must be a positive integer, got ${length}`);
    const offset = arena.scopeAlloc(length * 4);
    // On plain memory a later grow would detach the view: an ordinary array (copied per op).
    return offset === null ? new Float32Array(length) : new Float32Array(arena.buffer(), offset, length);
  }

  /** Closes the innermost scope; its scratch() tensors must not be used afterwards. */
  endScope(): void {
    if (this.arena === null) throw usageError('wasm-simd: endScope() without beginScope()');
    this.arena.endScope();
  }

  /** Runs kernel `name` over [0, total) on the main thread and the workers; args follow the range. */
  private parallel(name: KernelName, total: number, align: number, args: readonly number[], what: string): void {
    const fn = this.kernels()[name] as (...a: number[]) => void;
    if (this.pool === null) {
      fn(0, total, ...args);
      return;
    }
    this.pool.run(OP[name], total, align, args, (s, e) => fn(s, e, ...args), what);
  }

  // ---------------------------------------------------------------------------------------------
  // Ops

  conv2d(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, dims: ConvDims, g: Conv2dGeometry, clamp: Clamp | null): void {
    this.kernels();
    checkConvIo('conv2d', out, x, bias, dims, g, clamp);
    const { n, inC, outC } = dims;
    checkLength(w, { OC: outC, KH: g.kH, KW: g.kW, IC: inC }, 'conv2d: w');
    this.a.beginCall();
    const wp = this.weights(w, bias, `conv8:${outC}x${g.kH}x${g.kW}x${inC}`, () => packConv8(w, bias, outC, g.kH, g.kW, inC));
    const xp = this.a.input(x);
    const yp = this.a.target(out);
    const [lo, hi] = bounds(clamp);
    // The kernel's im2col staging (one group of 4 pixels × K taps per 16·K bytes, a row's worth per thread).
    const stageBytes = g.dilationW === 1 ? convStageBytes(g, inC) : 0;
    const staged = stageBytes > 0 && stageBytes <= CONV_STAGE_LIMIT_BYTES;
    const scratch = staged ? this.a.alloc(this.threads * stageBytes) : 0;
    const flags = staged ? this.allocZeros(this.threads) : 0;
    const params = this.alloc(24);
    const heap = this.heap();
    const I = new Int32Array(heap.buffer, params, 24);
    const F = new Float32Array(heap.buffer, params, 24);
    I.set([yp, xp, wp, g.inH, g.inW, inC, outC, g.kH, g.kW, g.outH, g.outW, g.strideH, g.strideW, g.dilationH, g.dilationW, g.pad.top, g.pad.left]);
    F[17] = lo;
    F[18] = hi;
    I.set([scratch, stageBytes, flags, this.threads], 19);
    this.parallel('f32_conv2d_nhwc_c8', n * g.outH, 1, [params], 'conv2d');
    this.a.output(out, yp);
  }

  depthwiseConv2d(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, dims: DepthwiseDims, g: Conv2dGeometry, clamp: Clamp | null): void {
    this.kernels();
    if (g.kH !== 3 || g.kW !== 3) {
      // Only 3×3 is vectorised (MobileNetV2 has no other depthwise size); the oracle handles the rest.
      f32DwConv2dNhwc(out, x, w, bias, dims, g, clamp);
      return;
    }
    checkDepthwiseArgs('dwconv2d', out, x, w, bias, dims, g, clamp);
    const { n, channels: c } = dims;
    this.a.beginCall();
    const wp = this.weights(w, bias, `dw3x3c4:${c}`, () => packDepthwise3x3c4(w, bias, c));
    // A zero input row (plus the slack a last channel vector may read) for kernel rows in the padding.
    const zp = this.zeros(g.inW * c + 4);
    const xp = this.a.input(x);
    const yp = this.a.target(out);
    const [lo, hi] = bounds(clamp);
    this.parallel('f32_dwconv2d_nhwc_k3c4', n * g.outH, 1, [
      yp, xp, wp, zp, g.inH, g.inW, c, g.outH, g.outW,
      g.strideH, g.strideW, g.dilationH, g.dilationW, g.pad.top, g.pad.left, lo, hi,
    ], 'depthwiseConv2d');
    this.a.output(out, yp);
  }

  /**
   * Per-call staging scratch of the 1×1 kernels: one slot per thread (claimed by the kernel through
   * a flag word each) → the kernel's trailing arguments [scratch, slotBytes, flags, slots].
   */
  private stageSlots(inC: number): [number, number, number, number] {
    const slotBytes = pointwiseStageBytes(inC);
    const scratch = this.a.alloc(this.threads * slotBytes);
    return [scratch, slotBytes, this.allocZeros(this.threads), this.threads];
  }

  pointwiseConv(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, dims: PointwiseDims, clamp: Clamp | null): void {
    this.kernels();
    const { pixels, inC, outC } = dims;
    checkMatmulArgs('pwconv', out, x, w, bias, { name: 'P', count: pixels }, inC, outC, clamp);
    this.a.beginCall();
    const wp = this.weights(w, bias, `pw8:${outC}x${inC}`, () => packPointwise8(w, bias, outC, inC));
    const xp = this.a.input(x);
    const yp = this.a.target(out);
    const [lo, hi] = bounds(clamp);
    const stage = this.stageSlots(inC);
    if (this.pool !== null && pixels <= POINTWISE_PIXEL_BLOCK) {
      // One pixel block (the 7×7 maps of 1.0/224): split the 8-channel blocks instead, so each
      // thread reads half of the weights (split by pixels, both streamed all of them; 1.0/224's
      // last 1×1 ran at 0.78 of its 1-thread time). Same arithmetic per element (f32_fc_4x8).
      this.parallel('f32_fc_4x8', Math.ceil(outC / 8), 1, [yp, xp, wp, pixels, inC, outC, lo, hi, ...stage], 'pointwiseConv');
    } else {
      // Split pixels in multiples of the 4-pixel tile.
      this.parallel('f32_pwconv_nhwc_4x8', pixels, 4, [yp, xp, wp, inC, outC, lo, hi, ...stage], 'pointwiseConv');
    }
    this.a.output(out, yp);
  }

  fullyConnected(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, dims: ConvDims, clamp: Clamp | null): void {
    this.kernels();
    const { n, inC, outC } = dims;
    checkMatmulArgs('fully-connected', out, x, w, bias, { name: 'N', count: n }, inC, outC, clamp);
    this.a.beginCall();
    const wp = this.weights(w, bias, `pw8:${outC}x${inC}`, () => packPointwise8(w, bias, outC, inC));
    const xp = this.a.input(x);
    const yp = this.a.target(out);
    const [lo, hi] = bounds(clamp);
    const stage = this.stageSlots(inC);
    // Batch 1 has a single row: split the 8-channel blocks between threads instead.
    this.parallel('f32_fc_4x8', Math.ceil(outC / 8), 1, [yp, xp, wp, n, inC, outC, lo, hi, ...stage], 'fullyConnected');
    this.a.output(out, yp);
  }

  add(out: Float32Array, a: Float32Array, b: Float32Array, length: number): void {
    const k = this.kernels();
    checkDims('add', { length });
    checkLength(a, { L: length }, 'add: a');
    checkLength(b, { L: length }, 'add: b');
    checkLength(out, { L: length }, 'add: out');
    this.a.beginCall();
    const ap = this.a.input(a);
    const bp = this.a.input(b);
    const yp = this.a.target(out); // may equal ap or bp: the kernel reads each element before writing it
    k.f32_add(0, length, yp, ap, bp);
    this.a.output(out, yp);
  }

  globalAvgPool(out: Float32Array, x: Float32Array, dims: PoolDims): void {
    const k = this.kernels();
    checkDims('gavgpool', { n: dims.n, h: dims.h, w: dims.w, c: dims.c });
    checkLength(x, { N: dims.n, H: dims.h, W: dims.w, C: dims.c }, 'gavgpool: x');
    checkLength(out, { N: dims.n, C: dims.c }, 'gavgpool: out');
    this.a.beginCall();
    const xp = this.a.input(x);
    const yp = this.a.target(out);
    k.f32_gavgpool_nhwc(0, Math.ceil(dims.c / 4), yp, xp, dims.n, dims.h * dims.w, dims.c);
    this.a.output(out, yp);
  }

  /**
   * Bilinear resize in the module's float64 two-pass kernels (kernels/wasm/f64-resize-bilinear.ts):
   * bit-identical to the scalar kernel; rows split between threads. Coordinate tables are computed
   * here with the scalar kernel's own resizeSourceCoord. Arguments the scalar kernel would reject
   * go to it (its errors).
   */
  resizeBilinear(out: Float32Array, x: Float32Array, dims: Parameters<Backend['resizeBilinear']>[2], mode: Parameters<Backend['resizeBilinear']>[3]): void {
    this.kernels();
    const { n, inH, inW, c: C, outH, outW } = dims;
    const ok = (v: number): boolean => Number.isInteger(v) && v >= 1;
    if (
      !ok(n) || !ok(inH) || !ok(inW) || !ok(C) || !ok(outH) || !ok(outW) || !RESIZE_MODES.includes(mode) ||
      x.length !== n * inH * inW * C || out.length !== n * outH * outW * C ||
      (out.buffer === x.buffer && out.byteOffset < x.byteOffset + x.byteLength && x.byteOffset < out.byteOffset + out.byteLength)
    ) {
      fastResizeBilinearNhwc(out, x, dims, mode); // throws the scalar kernel's error
      return;
    }
    this.a.beginCall();
    const xp = this.a.input(x);
    const yp = this.a.target(out);
    // Column taps (byte offsets within a row, weights), shared by every row.
    const x0s = this.alloc(outW), x1s = this.alloc(outW), fxs = this.alloc(2 * outW), gxs = this.alloc(2 * outW);
    let heap = this.heap();
    const i32 = new Int32Array(heap.buffer);
    const f64 = new Float64Array(heap.buffer);
    for (let ox = 0; ox < outW; ox++) {
      const sx = resizeSourceCoord(ox, inW, outW, mode);
      const x0 = Math.floor(sx);
      i32[(x0s >> 2) + ox] = x0 * C * 4;
      i32[(x1s >> 2) + ox] = (x0 + 1 < inW ? x0 + 1 : inW - 1) * C * 4;
      f64[(fxs >> 3) + ox] = sx - x0;
      f64[(gxs >> 3) + ox] = 1 - (sx - x0);
    }
    // Which input rows are read, and each output row's two of them (per image).
    const { y0s, y1s, fys, slot, used } = bilinearRowPlan(inH, outH, mode);
    const rowLen = outW * C;
    const rows = n * used;
    const rowSrc = this.alloc(rows), tops = this.alloc(n * outH), bottoms = this.alloc(n * outH);
    const fyp = this.alloc(2 * n * outH), gyp = this.alloc(2 * n * outH);
    const hp = this.alloc(2 * rows * rowLen);
    heap = this.heap(); // the memory may have grown
    const I = new Int32Array(heap.buffer);
    const F = new Float64Array(heap.buffer);
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < inH; y++) if (slot[y]! >= 0) I[(rowSrc >> 2) + b * used + slot[y]!] = xp + (b * inH + y) * inW * C * 4;
      for (let oy = 0; oy < outH; oy++) {
        const q = b * outH + oy;
        I[(tops >> 2) + q] = hp + (b * used + slot[y0s[oy]!]!) * rowLen * 8;
        I[(bottoms >> 2) + q] = hp + (b * used + slot[y1s[oy]!]!) * rowLen * 8;
        F[(fyp >> 3) + q] = fys[oy]!;
        F[(gyp >> 3) + q] = 1 - fys[oy]!;
      }
    }
    this.parallel('f64_resize_rows', rows, 1, [hp, rowSrc, x0s, x1s, fxs, gxs, outW, C], 'resizeBilinear');
    this.parallel('f64_resize_blend', n * outH, 1, [yp, tops, bottoms, fyp, gyp, rowLen], 'resizeBilinear');
    this.a.output(out, yp);
  }

  concatChannels(out: Float32Array, parts: Parameters<Backend['concatChannels']>[1], pixels: number): void {
    fastConcatChannelsNhwc(out, parts, pixels);
  }

  /**
   * The fused inverted residual block in ONE kernel call (kernels/wasm/f32-inverted-residual-nhwc.ts):
   * tiles of `rows` output rows split between threads, each thread with its own scratch slot (band
   * of expanded rows + depthwise tile). Bit-identical to pointwiseConv → depthwiseConv2d →
   * pointwiseConv (→ add) on this backend, for any `rows` and thread count. Non-3×3 depthwise
   * blocks run the scalar tiling with this backend's layer kernels (same bits, slower).
   */
  invertedResidual(out: Float32Array, x: Float32Array, weights: InvertedResidualWeights, dims: InvertedResidualDims, g: Conv2dGeometry, rows: number, scratch: Float32Array): void {
    this.kernels();
    checkInvertedResidualArgs(out, x, weights, dims, g, rows);
    const { inC, hidden, outC } = dims;
    const expand = weights.expand;
    const scratchDims = { inC, hidden, expand: expand !== null };
    checkLength(scratch, this.invertedResidualScratchLength(scratchDims, g, rows), 'inverted-residual: scratch');
    if (g.kH !== 3 || g.kW !== 3) {
      const need = invertedResidualScratchLength(scratchDims, g, rows);
      f32InvertedResidualNhwc(out, x, weights, dims, g, rows, scratch.subarray(0, need), this.layerOps());
      return;
    }
    this.a.beginCall();
    const wE = expand === null ? 0 : this.weights(expand.w, expand.bias, `pw8:${hidden}x${inC}`, () => packPointwise8(expand.w, expand.bias, hidden, inC));
    const { wD, wP, zp, xp, yp, sp, flags } = this.blockOperands(weights, hidden, outC, g, x, out, scratch);
    // With workers, each image's rows are cut into one contiguous PART per thread (only the part's
    // first halo is expanded twice), each part into tiles; when the pool will run this layer on the
    // main thread alone (other processes hold the cores), one part and the one slot may take the
    // whole scratch: taller tiles, no halo recomputed and fewer passes of the 1×1 weights, so 2
    // threads under contention cost what 1 thread costs. Same bits either way.
    const solo = this.pool === null || this.pool.claimSolo();
    if (!solo && channelSplits(g)) {
      this.invertedResidualByChannels({ xp, yp, wE, wD, wP, zp, sp, flags }, dims, g);
      this.a.output(out, yp);
      return;
    }
    this.launchRowTiles({ xp, yp, wE, wD, wP, zp, sp, flags, solo, scratchBytes: scratch.length * 4 - ALIGN }, scratchDims, dims, g, rows, null);
    this.a.output(out, yp);
  }

  /**
   * The fused kernel's operands after its expansion (or stem) weights: the depthwise and projection
   * weights and the zero row placed first, then the call's own memory — input, output, the scratch
   * slots and their flags — since placing may take the memory per-call scratch starts at.
   */
  private blockOperands(
    weights: { depthwise: { w: Float32Array; bias: Float32Array | null }; project: { w: Float32Array; bias: Float32Array | null } },
    hidden: number, outC: number, g: Conv2dGeometry, x: Float32Array, out: Float32Array, scratch: Float32Array,
  ): { wD: number; wP: number; zp: number; xp: number; yp: number; sp: number; flags: number } {
    const { depthwise: d, project: p } = weights;
    const wD = this.weights(d.w, d.bias, `dw3x3c4:${hidden}`, () => packDepthwise3x3c4(d.w, d.bias, hidden));
    const wP = this.weights(p.w, p.bias, `pw8:${outC}x${hidden}`, () => packPointwise8(p.w, p.bias, outC, hidden));
    const zp = this.zeros(g.inW * Math.max(hidden, 4) + 4);
    const xp = this.a.input(x);
    const yp = this.a.target(out);
    const sp = Math.ceil((this.a.viewOffset(scratch) ?? this.alloc(scratch.length)) / ALIGN) * ALIGN;
    return { wD, wP, zp, xp, yp, sp, flags: this.allocZeros(this.threads) };
  }

  /** Writes the fused kernel's parameter block (P_* in kernels/wasm/f32-inverted-residual-nhwc.ts) into per-call scratch. */
  private fusedParams(f: {
    y: number; x: number; wE: number; wD: number; wP: number; zero: number; slots: number; slotBytes: number; bandBytes: number; flags: number;
    dims: InvertedResidualDims; g: Conv2dGeometry; rows: number; residual: boolean; tilesPerImage: number; share: number; tilesPerPart: number;
    stageOffset: number; planeBytes: number; stem: { g: Conv2dGeometry; imageC: number } | null; split: boolean;
  }): number {
    const { g, dims } = f;
    const params = this.alloc(48);
    const heap = this.heap();
    const I = new Int32Array(heap.buffer, params, 48);
    const F = new Float32Array(heap.buffer, params, 48);
    I.set([
      f.y, f.x, f.wE, f.wD, f.wP, f.zero, f.slots, f.slotBytes, f.bandBytes, f.flags, this.threads,
      g.inH, g.inW, dims.inC, dims.hidden, dims.outC, g.outH, g.outW, g.strideH, g.strideW, g.dilationH, g.dilationW, g.pad.top, g.pad.left,
      f.rows, f.residual ? 1 : 0, f.tilesPerImage,
    ]);
    F[27] = RELU6.min;
    F[28] = RELU6.max;
    I.set([f.share, f.tilesPerPart, f.stageOffset, f.planeBytes], 29);
    const sg = f.stem?.g;
    I.set(sg === undefined ? new Array<number>(12).fill(0) : [
      1, sg.inH, sg.inW, f.stem!.imageC, sg.kH, sg.kW, sg.strideH, sg.strideW, sg.dilationH, sg.dilationW, sg.pad.top, sg.pad.left,
    ], 33);
    I[45] = f.split ? 1 : 0;
    return params;
  }

  /**
   * The row-tiled fused kernel (f32_inverted_residual_nhwc) on placed weights and copied-in tensors:
   * its tiling, parameter block and dispatch. `stem`: x is the image and the expansion the stem conv
   * (stemInvertedResidual).
   */
  private launchRowTiles(
    p: { xp: number; yp: number; wE: number; wD: number; wP: number; zp: number; sp: number; flags: number; solo: boolean; scratchBytes: number },
    scratchDims: InvertedResidualScratchDims, dims: InvertedResidualDims, g: Conv2dGeometry, rows: number,
    stem: { g: Conv2dGeometry; imageC: number } | null,
  ): void {
    const { n, residual } = dims;
    const convStage = stem === null ? 0 : convStageBytes(stem.g, stem.imageC);
    const tiling = this.fusedTiling(scratchDims, g, rows, p.solo ? 1 : this.threads, p.scratchBytes, convStage);
    const { bandBytes, planeBytes, stageOffset, slotBytes } = fusedSlot(scratchDims, g, tiling.tileRows, convStage);
    const params = this.fusedParams({
      y: p.yp, x: p.xp, wE: p.wE, wD: p.wD, wP: p.wP, zero: p.zp, slots: p.sp, slotBytes, bandBytes, flags: p.flags,
      dims, g, rows: tiling.tileRows, residual, tilesPerImage: tiling.tilesPerImage, share: tiling.share,
      tilesPerPart: tiling.tilesPerPart, stageOffset, planeBytes, stem, split: false,
    });
    // Chunks of whole parts: a thread runs its part's tiles in order, reusing each band's overlap.
    const tiles = n * tiling.tilesPerImage;
    if (p.solo) this.kernels().f32_inverted_residual_nhwc(0, tiles, params);
    else this.parallel('f32_inverted_residual_nhwc', tiles, tiling.tilesPerPart, [params], 'invertedResidual');
  }

  /**
   * The stem trick (paper Table 3 footnote) in one call: the stem conv (ReLU6) runs as the
   * expansion of the t = 1 bottleneck after it, its output rows written straight into the fused
   * kernel's band (f32_inverted_residual_nhwc with P_STEM; convRow, the stem kernel's own row code),
   * so the stem's output is never materialised. Bit-identical to conv2d → invertedResidual on this
   * backend: every stem value is the same convRow computation, every later one the same kernel.
   */
  stemInvertedResidual(out: Float32Array, image: Float32Array, weights: StemBottleneckWeights, dims: StemBottleneckDims, sg: Conv2dGeometry, g: Conv2dGeometry, rows: number, scratch: Float32Array): void {
    this.kernels();
    const { n, imageC, hidden, outC } = dims;
    checkDims('stem-bottleneck', { n, imageC, hidden, outC, rows });
    if (g.kH !== 3 || g.kW !== 3 || g.inH !== sg.outH || g.inW !== sg.outW) {
      throw new KernelArgumentError(`stem-bottleneck: the block's depthwise must be 3×3 on the stem's ${sg.outH}x${sg.outW} output, got ${g.kH}x${g.kW} on ${g.inH}x${g.inW}`);
    }
    checkLength(image, { N: n, H: sg.inH, W: sg.inW, C: imageC }, 'stem-bottleneck: image');
    checkLength(weights.stem.w, { HID: hidden, KH: sg.kH, KW: sg.kW, C: imageC }, 'stem-bottleneck: stem w');
    if (weights.stem.bias !== null) checkLength(weights.stem.bias, { HID: hidden }, 'stem-bottleneck: stem bias');
    checkLength(out, { N: n, OH: g.outH, OW: g.outW, OC: outC }, 'stem-bottleneck: out');
    checkLength(weights.depthwise.w, { KH: 3, KW: 3, HID: hidden }, 'stem-bottleneck: depthwise w');
    if (weights.depthwise.bias !== null) checkLength(weights.depthwise.bias, { HID: hidden }, 'stem-bottleneck: depthwise bias');
    checkLength(weights.project.w, { OC: outC, HID: hidden }, 'stem-bottleneck: projection w');
    if (weights.project.bias !== null) checkLength(weights.project.bias, { OC: outC }, 'stem-bottleneck: projection bias');
    if (rows > g.outH) throw new KernelArgumentError(`stem-bottleneck: ${rows} rows per tile, but the output has only ${g.outH}`);
    if (out.buffer === image.buffer && out.byteOffset < image.byteOffset + image.byteLength && image.byteOffset < out.byteOffset + out.byteLength) {
      throw new KernelArgumentError('stem-bottleneck: out must not alias the image');
    }
    const blockDims = { n, inC: hidden, hidden, outC, residual: false };
    const scratchDims = { inC: hidden, hidden, expand: true };
    checkLength(scratch, this.stemInvertedResidualScratchLength(dims, sg, g, rows), 'stem-bottleneck: scratch');
    this.a.beginCall();
    const s = weights.stem;
    const wS = this.weights(s.w, s.bias, `conv8:${hidden}x${sg.kH}x${sg.kW}x${imageC}`, () => packConv8(s.w, s.bias, hidden, sg.kH, sg.kW, imageC));
    const { wD, wP, zp, xp, yp, sp, flags } = this.blockOperands(weights, hidden, outC, g, image, out, scratch);
    const solo = this.pool === null || this.pool.claimSolo();
    this.launchRowTiles({ xp, yp, wE: wS, wD, wP, zp, sp, flags, solo, scratchBytes: scratch.length * 4 - ALIGN }, scratchDims, blockDims, g, rows, { g: sg, imageC });
    this.a.output(out, yp);
  }

  /** Floats of scratch stemInvertedResidual needs: one slot per thread (band, tile, 1×1 and stem staging), plus alignment. */
  stemInvertedResidualScratchLength(dims: StemBottleneckDims, sg: Conv2dGeometry, g: Conv2dGeometry, rows: number): number {
    const scratchDims = { inC: dims.hidden, hidden: dims.hidden, expand: true };
    const convStage = convStageBytes(sg, dims.imageC);
    const tiling = this.fusedTiling(scratchDims, g, rows, this.threads, Infinity, convStage);
    return (this.threads * fusedSlot(scratchDims, g, tiling.tileRows, convStage).slotBytes + ALIGN) / 4;
  }

  /**
   * A small map's fused block on the workers, split by CHANNELS (f32_inverted_residual_nhwc with P_SPLIT, then
   * the projection by output channels, then the shortcut), one image at a time: the row split
   * recomputes the halo's expansion (7×7 maps: 9 expanded rows for 7) and makes every thread
   * stream all of the block's weights; split by channels no thread recomputes anything and each
   * reads its share of the weights. Same bits (same kernels per element). Scratch: the image's
   * depthwise output, then one slot per thread (channelSplitLayout).
   */
  private invertedResidualByChannels(
    p: { xp: number; yp: number; wE: number; wD: number; wP: number; zp: number; sp: number; flags: number },
    dims: InvertedResidualDims, g: Conv2dGeometry,
  ): void {
    const { n, inC, hidden, outC, residual } = dims;
    const { xp, yp } = p;
    const L = channelSplitLayout({ inC, hidden, expand: p.wE !== 0 }, g, this.threads);
    const dwOut = p.sp;
    const slots = p.sp + L.dwBytes;
    const k = this.kernels();
    const inImage = g.inH * g.inW * inC * 4;
    const outImage = g.outH * g.outW * outC * 4;
    for (let i = 0; i < n; i++) {
      const params = this.fusedParams({
        y: dwOut, x: xp + i * inImage, wE: p.wE, wD: p.wD, wP: 0, zero: p.zp, slots, slotBytes: L.slotBytes, bandBytes: 0, flags: p.flags,
        dims, g, rows: L.passBlocks, residual: false, tilesPerImage: 0, share: 0, tilesPerPart: 0,
        stageOffset: L.stageOffset, planeBytes: g.inH * g.inW * 16, stem: null, split: true,
      });
      this.parallel('f32_inverted_residual_nhwc', Math.ceil(hidden / 8), L.passBlocks, [params], 'invertedResidual');
      const y = yp + i * outImage;
      const outBlocks = Math.ceil(outC / 8);
      this.parallel('f32_fc_4x8', outBlocks, Math.ceil(outBlocks / this.threads), [
        y, dwOut, p.wP, g.outH * g.outW, hidden, outC, -Infinity, Infinity, slots, L.slotBytes, p.flags, this.threads,
      ], 'invertedResidual');
      if (residual) k.f32_add(0, g.outH * g.outW * outC, y, y, xp + i * inImage);
    }
  }

  /** Floats of scratch invertedResidual needs: one slot per thread (row split), or the channel split's layout; plus alignment. */
  invertedResidualScratchLength(dims: InvertedResidualScratchDims, g: Conv2dGeometry, rows: number): number {
    if (g.kH !== 3 || g.kW !== 3) return invertedResidualScratchLength(dims, g, rows);
    const rowSplit = this.threads * fusedSlot(dims, g, this.fusedTiling(dims, g, rows, this.threads, Infinity).tileRows).slotBytes;
    const channelSplit = this.threads > 1 && channelSplits(g) ? channelSplitLayout(dims, g, this.threads).totalBytes : 0;
    return (Math.max(rowSplit, channelSplit) + ALIGN) / 4;
  }

  /**
   * How the fused kernel cuts a block for `threads` threads. Tile height: at least the caller's
   * `rows`, grown while a thread's slot stays within FUSED_SLOT_BYTES (a 1-row tile of a 14×14 map
   * streams the 1×1 weights past 14 pixels only, instead of the layer kernel's 32: measured +19 %
   * instructions and +36 % L1 misses with the memory plan's 1-row tiles) and within `slotLimit`
   * bytes, or to the whole part when `threads` such slots fit WHOLE_PART_BYTES + (threads − 1) ·
   * FUSED_SLOT_BYTES (and one fits `slotLimit`). With `threads` > 1, each image's rows are cut
   * into `threads` contiguous parts of `share` rows and each part into equal tiles, so the threads get equal rows (±1 per part) and each
   * expands one extra halo only; one thread: one part of all the rows. Any tiling gives the same bits.
   */
  private fusedTiling(dims: InvertedResidualScratchDims, g: Conv2dGeometry, rows: number, threads: number, slotLimit: number, convStage = 0): FusedTiling {
    const limit = Math.min(FUSED_SLOT_BYTES, slotLimit);
    let r = Math.min(rows, g.outH);
    while (r < g.outH && fusedSlot(dims, g, r + 1, convStage).slotBytes <= limit) r++;
    const share = Math.ceil(g.outH / Math.max(1, threads));
    const whole = fusedSlot(dims, g, share, convStage).slotBytes;
    const parts = Math.max(1, threads);
    if (r < share && whole * parts <= WHOLE_PART_BYTES + (parts - 1) * FUSED_SLOT_BYTES && whole <= slotLimit) r = share;
    const tilesPerPart = Math.ceil(share / Math.min(r, share));
    const tileRows = Math.ceil(share / tilesPerPart);
    return { tileRows, share, tilesPerPart, tilesPerImage: Math.ceil(g.outH / share) * tilesPerPart };
  }

  /**
   * The fused block's tiling when `threads` threads share it (1: one thread), as invertedResidual
   * uses it. For reports (bench/fused.ts: the 2-thread split).
   */
  fusedTilingFor(dims: InvertedResidualScratchDims, g: Conv2dGeometry, rows: number, threads: number): FusedTiling {
    return this.fusedTiling(dims, g, rows, threads, Infinity);
  }

  /** How invertedResidual splits a block with depthwise geometry `g` between `threads` threads: by output rows, or by channels (small maps). For reports. */
  fusedSplitFor(g: Conv2dGeometry, threads: number): 'rows' | 'channels' {
    return threads > 1 && channelSplits(g) ? 'channels' : 'rows';
  }

  /** This backend's layer kernels as the scalar tiling's per-tile ops. */
  private layerOps(): InvertedResidualOps {
    return {
      pointwise: (o, a, w, b, d, c) => this.pointwiseConv(o, a, w, b, d, c),
      depthwise: (o, a, w, b, d, gg, c) => this.depthwiseConv2d(o, a, w, b, d, gg, c),
      add: (o, a, b, l) => this.add(o, a, b, l),
    };
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
    this.zeroBlock = null;
    const pool = this.pool;
    this.pool = null;
    if (pool !== null) await pool.dispose();
  }

  // ---------------------------------------------------------------------------------------------
  // Introspection and test hooks

  /** Worker threads currently ready to take rows (threads − 1 when healthy). */
  workersReady(): number {
    return this.pool?.readyCount() ?? 0;
  }

  /** Thread statistics: layers run with workers / alone (contention backoff) / stalled, and chunks run by workers. */
  threadStats(): { parallel: number; solo: number; stalled: number; workerChunks: number } {
    const p = this.pool;
    return p === null ? { parallel: 0, solo: 0, stalled: 0, workerChunks: 0 } : { ...p.stats, workerChunks: p.workerChunks() };
  }

  /** Resolves when every worker is running again (after a crash the supervisor respawns it). */
  async whenWorkersReady(timeoutMs = 30_000): Promise<void> {
    await this.pool?.whenReady(timeoutMs);
  }

  /** Bytes of wasm memory in use by packed weights (for reports). */
  weightBytes(): number {
    return this.arena?.placedBytes() ?? 0;
  }

  private requirePool(): WorkerPool {
    if (this.pool === null) throw usageError('wasm-simd: this backend has no worker threads (threads = 1)');
    return this.pool;
  }
}

/** The clamp as f32 bounds; no clamp is [−∞, +∞] (the identity for every value, NaN included). */
function bounds(clamp: Clamp | null): [number, number] {
  return clamp === null ? [-Infinity, Infinity] : [clamp.min, clamp.max];
}

/** The fused block's cut of an image (kernels/wasm/f32-inverted-residual-nhwc.ts): parts of `share` rows, `tilesPerPart` tiles of `tileRows` rows each. */
export interface FusedTiling {
  readonly tileRows: number;
  readonly share: number;
  readonly tilesPerPart: number;
  readonly tilesPerImage: number;
}

/**
 * One thread's scratch slot of the fused block: the expanded band (with an expansion conv; one
 * plane of band rows × W × 4 floats per channel vector, for every vector of the 8-channel blocks
 * the expansion writes), the depthwise tile, then the 1×1 kernels' staging buffer for the wider
 * of their two inputs.
 */
function fusedSlot(dims: InvertedResidualScratchDims, g: Conv2dGeometry, rows: number, convStage = 0): { bandBytes: number; planeBytes: number; stageOffset: number; slotBytes: number } {
  const span = (floats: number): number => arenaSpan(floats * 4);
  const planeBytes = invertedResidualBandRows(g, rows) * g.inW * 16;
  const bandBytes = dims.expand ? arenaSpan(planeBytes * 2 * Math.ceil(dims.hidden / 8)) : 0;
  const stageOffset = bandBytes + span(rows * g.outW * dims.hidden);
  const stageBytes = Math.max(pointwiseStageBytes(Math.max(dims.hidden, dims.expand ? dims.inC : 0)), convStage);
  return { bandBytes, planeBytes, stageOffset, slotBytes: stageOffset + stageBytes };
}

/** Bytes of a conv row's im2col staging (convRow's `stage` in kernels/wasm/f32-conv2d-nhwc-c8.ts: ⌈OW / 4⌉ groups × K taps × 4 pixels), arena-aligned. */
function convStageBytes(g: Conv2dGeometry, inC: number): number {
  return arenaSpan(Math.ceil(g.outW / 4) * g.kH * g.kW * inC * 16);
}

/**
 * With workers, blocks whose output map is at most this tall run split by channels
 * (invertedResidualByChannels): the 7×7 blocks of 1.0/224, 0.98 of the network's 2-thread time
 * (bench/fused-ab.js, 80 alternated passes); adding the 14×14 blocks: no further gain (0.996).
 */
const CHANNEL_SPLIT_MAX_ROWS = 7;

function channelSplits(g: Conv2dGeometry): boolean {
  return g.outH <= CHANNEL_SPLIT_MAX_ROWS;
}

/**
 * The channel split's scratch: the image's depthwise output [OH, OW, HID], then per thread a slot
 * of the expansion's planar band for `passBlocks` 8-channel blocks (all H rows) and the 1×1
 * staging buffer (of the expansion's input, then — after the expansion — of the projection's).
 * `passBlocks`: the expanded blocks cut into two chunks per thread.
 */
function channelSplitLayout(dims: InvertedResidualScratchDims, g: Conv2dGeometry, threads: number): { dwBytes: number; passBlocks: number; stageOffset: number; slotBytes: number; totalBytes: number } {
  const dwBytes = arenaSpan(g.outH * g.outW * dims.hidden * 4);
  const passBlocks = Math.ceil(Math.ceil(dims.hidden / 8) / (2 * threads));
  const bandBytes = dims.expand ? arenaSpan(passBlocks * 2 * g.inH * g.inW * 16) : 0;
  const slotBytes = bandBytes + pointwiseStageBytes(Math.max(dims.hidden, dims.expand ? dims.inC : 0));
  return { dwBytes, passBlocks, stageOffset: bandBytes, slotBytes, totalBytes: dwBytes + threads * slotBytes };
}

/** Pixels per block of the 1×1 kernels (PIXEL_BLOCK in kernels/wasm/f32-pwconv-nhwc-4x8.ts). */
const POINTWISE_PIXEL_BLOCK = 64;

/** Bytes of one thread's 1×1 staging buffer for `inC` input channels (PIXEL_BLOCK · IC floats), arena-aligned. */
function pointwiseStageBytes(inC: number): number {
  return arenaSpan(POINTWISE_PIXEL_BLOCK * inC * 4);
}

export function createWasmSimdBackend(options: WasmSimdOptions = {}): WasmSimdBackend {
  return new WasmSimdBackend(options);
}
