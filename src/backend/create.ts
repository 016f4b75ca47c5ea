// SPDX-License-Identifier: Apache-2.0
/**
 * Choosing a backend. `createBackend(kind, {threads})` returns an initialised Backend:
 *
 *   'scalar'     the oracle kernels (kernels/*.ts): slow, float64 accumulation, the definition.
 *   'ts-fast'    optimised plain TypeScript (src/backend/ts-fast.ts), bit-identical to 'scalar'.
 *   'wasm-simd'  WASM SIMD kernels on shared memory, `threads` ≥ 1 (main thread + threads − 1
 *                workers); float32 accumulation; bit-identical for every thread count.
 *   'auto'       'wasm-simd' when this engine validates a SIMD module AND our module passes a
 *                correctness probe against the scalar kernels, else 'ts-fast' (threads then run
 *                as 1 — the fallback has no workers; a warning says so).
 *
 * `capabilities()` reports what this runtime offers, so a caller can see why 'auto' chose what it did.
 */
import { host } from '#host';
import type { Backend } from './backend.js';
import { createScalarBackend } from './scalar.js';
import { createTsFastBackend } from './ts-fast.js';
import { WasmSimdBackend } from './wasm-simd.js';
import { wasmSharedMemorySupported, wasmSimdSupported } from './wasm-module.js';
import { conv2dGeometry } from '../../kernels/geometry.js';
import { RELU6 } from '../../kernels/clamp.js';
import { f32PwConvNhwc } from '../../kernels/f32-pwconv-nhwc.js';
import { f32DwConv2dNhwc } from '../../kernels/f32-dwconv2d-nhwc.js';
import { usageError } from '../errors.js';

export type BackendKind = 'scalar' | 'ts-fast' | 'wasm-simd' | 'auto';
/** Every BackendKind, for option checks and CLI choices. */
export const BACKEND_KINDS: readonly BackendKind[] = Object.freeze(['scalar', 'ts-fast', 'wasm-simd', 'auto']);

export interface CreateBackendOptions {
  /** Threads including the calling thread; wasm-simd only. Default 1. */
  threads?: number;
  /** Where 'auto' reports a downgrade (default: process.emitWarning). */
  warn?: (message: string) => void;
}

export interface Capabilities {
  /** WebAssembly fixed-width SIMD validates. */
  readonly simd: boolean;
  /** Worker threads with shared WebAssembly memory (SharedArrayBuffer + Atomics) are available (browsers: only when crossOriginIsolated). */
  readonly threads: boolean;
  /** Logical CPUs this process may use (os.availableParallelism(), navigator.hardwareConcurrency). */
  readonly hardwareConcurrency: number;
}

export function capabilities(): Capabilities {
  return {
    simd: wasmSimdSupported(),
    threads: host.threadsAvailable() && wasmSharedMemorySupported() && typeof Atomics === 'object',
    hardwareConcurrency: host.hardwareConcurrency(),
  };
}

function checkThreads(threads: number | undefined): number {
  const t = threads ?? 1;
  if (!Number.isInteger(t) || t < 1) throw usageError(`threads must be a positive integer, got ${String(threads)}`);
  return t;
}

export async function createBackend(kind: BackendKind, options: CreateBackendOptions = {}): Promise<Backend> {
  const threads = checkThreads(options.threads);
  const warn = options.warn ?? ((m: string) => host.warn(m));
  switch (kind) {
    case 'scalar':
    case 'ts-fast': {
      if (threads > 1) throw usageError(`backend '${kind}' is single-threaded; threads > 1 needs 'wasm-simd' (or 'auto')`);
      const b = kind === 'scalar' ? createScalarBackend() : createTsFastBackend();
      await b.init();
      return b;
    }
    case 'wasm-simd': {
      // Without shared memory (a browser page that is not cross-origin isolated) threads cannot
      // share the weights: one thread, said out loud rather than a silent slowdown or a crash.
      const t = threads > 1 && !capabilities().threads ? 1 : threads;
      if (t < threads) warn(`backend 'wasm-simd': ${threads} threads requested but shared memory is unavailable (${host.name === 'browser' ? 'the page is not crossOriginIsolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp' : 'no SharedArrayBuffer'}); running 1`);
      const b = new WasmSimdBackend({ threads: t });
      await b.init();
      return b;
    }
    case 'auto': {
      const why = await wasmSimdUsable();
      if (why === null) {
        const caps = capabilities();
        const t = caps.threads ? threads : 1;
        if (t < threads) warn(`backend 'auto': ${threads} threads requested but shared memory / worker threads are unavailable${host.name === 'browser' ? ' (the page is not crossOriginIsolated: serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)' : ''}; running 1`);
        const b = new WasmSimdBackend({ threads: t });
        await b.init();
        return b;
      }
      if (threads > 1) warn(`backend 'auto': using 'ts-fast' on 1 thread (${why}); ${threads} threads need wasm-simd`);
      const b = createTsFastBackend();
      await b.init();
      return b;
    }
    default:
      throw usageError(`unknown backend '${String(kind)}'; expected 'scalar', 'ts-fast', 'wasm-simd' or 'auto'`);
  }
}

let probe: Promise<string | null> | null = null;

/**
 * null when wasm-simd can be used here, else the reason. Beyond validation, it runs our real
 * module on a small pointwise and depthwise case (channel and pixel remainders, padding, stride 2)
 * and compares with the scalar kernels: a miscompiling or half-implemented engine falls back
 * instead of returning wrong numbers. Runs once per process.
 */
export function wasmSimdUsable(): Promise<string | null> {
  probe ??= (async () => {
    if (!wasmSimdSupported()) return 'WebAssembly SIMD is not available';
    if (!wasmSharedMemorySupported() && host.name === 'node') return 'shared WebAssembly memory is not available';
    const b = new WasmSimdBackend({ threads: 1 });
    try {
      await b.init();
      return probeAgainstScalar(b);
    } catch (e) {
      return `the wasm-simd module failed to load: ${(e as Error).message}`;
    } finally {
      b.dispose();
    }
  })();
  return probe;
}

function probeAgainstScalar(b: Backend): string | null {
  // Deterministic small values; sums of ≤ 13 products of |v| < 2 stay far from rounding trouble,
  // so a relative 1e-5 separates "float32 instead of float64" from a wrong kernel.
  const fill = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 12.9898 + seed) * 1.5));
  const close = (a: Float32Array, e: Float32Array): boolean =>
    a.every((v, i) => Math.abs(v - e[i]!) <= 1e-5 * (1 + Math.abs(e[i]!)));

  const pixels = 7, inC = 5, outC = 11;
  const x = fill(pixels * inC, 1), w = fill(outC * inC, 2), bias = fill(outC, 3);
  const got = new Float32Array(pixels * outC), want = new Float32Array(pixels * outC);
  b.pointwiseConv(got, x, w, bias, { pixels, inC, outC }, RELU6);
  f32PwConvNhwc(want, x, w, bias, { pixels, inC, outC }, RELU6);
  if (!close(got, want)) return 'the wasm-simd pointwise kernel failed its correctness probe';

  const g = conv2dGeometry({ inH: 5, inW: 6, kH: 3, kW: 3, stride: 2, padding: 'tf-same' });
  const c = 6;
  const dx = fill(5 * 6 * c, 4), dwt = fill(9 * c, 5), db = fill(c, 6);
  const dGot = new Float32Array(g.outH * g.outW * c), dWant = new Float32Array(g.outH * g.outW * c);
  b.depthwiseConv2d(dGot, dx, dwt, db, { n: 1, channels: c }, g, null);
  f32DwConv2dNhwc(dWant, dx, dwt, db, { n: 1, channels: c }, g, null);
  if (!close(dGot, dWant)) return 'the wasm-simd depthwise kernel failed its correctness probe';
  return null;
}
