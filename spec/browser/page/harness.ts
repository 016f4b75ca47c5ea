// SPDX-License-Identifier: Apache-2.0
/**
 * What the Chromium tests run inside the page (bundled by demo/serve.mjs as
 * /spec/browser/page/harness.bundle.js): the library's browser entry, the backend conformance
 * cases of spec/backend/cases.ts with the same oracle checks (spec/backend/support.ts), and a
 * whole classifier. Results go back to Node as plain data (hashes of the output bits, predictions,
 * error codes and messages) for comparison with Node's own run.
 */
import * as lib from '../../../src/browser/index.js';
import { allCases } from '../../backend/cases.js';
import { expectMatchesOracle } from '../../backend/support.js';
import { WasmSimdBackend } from '../../../src/backend/wasm-simd.js';
import type { Backend } from '../../../src/backend/backend.js';
import { bitsHash } from './hash.js';

export { lib };

// The project compiles without the DOM lib; the few page APIs used here, typed locally.
interface Drawable { readonly width: number; readonly height: number }
interface Ctx2D { drawImage(i: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): unknown }
declare const createImageBitmap: (b: unknown) => Promise<Drawable>;
declare const OffscreenCanvas: new (w: number, h: number) => Drawable & { getContext(k: '2d'): Ctx2D | null };
declare const Image: new () => { src: string; decode(): Promise<void> };
declare const URL: { createObjectURL(b: unknown): string };
declare const fetch: (url: string) => Promise<{ blob(): Promise<unknown> }>;
declare const performance: { now(): number };

// This page lives at /spec/browser/page/, where the library's default `new URL('../../kernels/…',
// import.meta.url)` does not point at the kernels: the explicit overrides are exercised here (the
// demo page test covers the default location).
lib.setKernelModuleSource({ shared: '/kernels/wasm/build/mobilenetv2-simd.wasm', single: '/kernels/wasm/build/mobilenetv2-simd-st.wasm' });
lib.setWorkerUrl('/kernels/wasm/build/wasm-worker-web.mjs');

export interface PageBackend {
  readonly kind: 'scalar' | 'ts-fast' | 'wasm-simd';
  readonly threads: number;
}

const warnings: string[] = [];
lib.onWarning((m) => warnings.push(m));
export function takeWarnings(): string[] {
  return warnings.splice(0);
}

export async function makeBackend(b: PageBackend): Promise<Backend> {
  if (b.kind === 'wasm-simd') {
    // adaptive: false as in spec/backend/support.ts, so 2 threads really use the worker.
    const w = new WasmSimdBackend({ threads: b.threads, adaptive: false });
    await w.init();
    return w;
  }
  return lib.createBackend(b.kind, { threads: b.threads });
}

export interface CaseResult {
  readonly backend: string;
  readonly name: string;
  readonly hash: string;
  readonly failure: string | null;
}

/**
 * Every conformance case on every listed backend, checked against this page's scalar oracle
 * exactly as spec/backend/conformance.spec.ts does in Node (bit for bit for scalar/ts-fast, the
 * derived dot-product bound for wasm-simd); also the hash of each output for comparison with Node.
 * `every` = k runs every k-th case of each group (all of them with 1).
 */
export async function runConformance(backends: PageBackend[], every = 1): Promise<{ results: CaseResult[]; workerChunks: Record<string, number> }> {
  const scalar = await lib.createBackend('scalar');
  // The scalar backend under test is the oracle instance itself (its outputs are `expected`):
  // running the slowest backend twice would only double the page's time.
  const made = await Promise.all(backends.map((b) => (b.kind === 'scalar' ? Promise.resolve(scalar) : makeBackend(b))));
  const results: CaseResult[] = [];
  try {
    for (const { cases } of allCases()) {
      for (const c of cases.filter((_, i) => i % every === 0)) {
        const expected = c.run(scalar);
        const magnitude = c.magnitude(scalar);
        backends.forEach((b, i) => {
          const label = `${b.kind} ${b.threads}T`;
          let failure: string | null = null;
          let hash = '';
          try {
            const got = made[i] === scalar ? expected : c.run(made[i]!);
            hash = bitsHash(got);
            expectMatchesOracle(got, expected, magnitude ?? new Float32Array(got.length), c.K, b.kind !== 'wasm-simd' || magnitude === null, `${label} ${c.name}`);
          } catch (e) {
            failure = e instanceof Error ? e.message : String(e);
          }
          results.push({ backend: label, name: c.name, hash, failure });
        });
      }
    }
    const workerChunks: Record<string, number> = {};
    backends.forEach((b, i) => {
      const pool = (made[i] as unknown as { pool?: { workerChunks(): number } | null }).pool;
      workerChunks[`${b.kind} ${b.threads}T`] = pool ? pool.workerChunks() : 0;
    });
    return { results, workerChunks };
  } finally {
    for (const b of made) if (b !== scalar) b.dispose();
    scalar.dispose();
  }
}

export interface ClassifyRun {
  readonly top5: Array<{ index: number; label: string; probability: number }>;
  readonly logitsHash: string;
  readonly backend: string;
  readonly threads: number;
  readonly ms: number;
}

/** Loads a model from `modelUrl` and classifies `image` (a URL, or 'img' / 'bitmap' / 'imagedata' / 'blob' built from the URL here). */
export async function classify(modelUrl: string, imageUrl: string, options: { backend: 'scalar' | 'ts-fast' | 'wasm-simd' | 'auto'; threads: number; via?: 'url' | 'img' | 'bitmap' | 'imagedata' | 'canvas' | 'blob' }): Promise<ClassifyRun> {
  const model = await lib.load({ model: modelUrl, backend: options.backend, threads: options.threads, cache: false });
  try {
    const image = await imageVia(imageUrl, options.via ?? 'url');
    const t0 = performance.now();
    const r = await model.infer(image as lib.ImageInput);
    const ms = performance.now() - t0;
    return {
      top5: r.predictions.slice(0, 5).map((p) => ({ index: p.index, label: p.label, probability: p.probability })),
      logitsHash: bitsHash(r.logits),
      backend: model.execution.backend,
      threads: model.execution.threads,
      ms,
    };
  } finally {
    model.dispose();
  }
}

async function imageVia(url: string, via: string): Promise<unknown> {
  if (via === 'url') return url;
  const blob = await (await fetch(url)).blob();
  if (via === 'blob') return blob;
  const bitmap = await createImageBitmap(blob);
  if (via === 'bitmap') return bitmap;
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  if (via === 'canvas') return canvas;
  if (via === 'imagedata') return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  const img = new Image();
  img.src = URL.createObjectURL(blob);
  await img.decode();
  return img;
}

/** Runs `fn` and returns the error's code and message (or null when it did not throw). */
export async function errorOf(fn: () => Promise<unknown>): Promise<{ code: string; name: string; message: string } | null> {
  try {
    await fn();
    return null;
  } catch (e) {
    const err = e as { code?: string; name?: string; message?: string };
    return { code: err.code ?? '', name: err.name ?? '', message: err.message ?? String(e) };
  }
}
