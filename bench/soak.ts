// SPDX-License-Identifier: Apache-2.0
/**
 * Soak and faults (npm run soak; never part of npm test):
 *   1. SOAK_N (default 2000) inferences on one model with 1 and 2 threads: RSS and heap sampled
 *      every 50 calls after a 10 % warm-up; the least-squares slope (bytes per inference) is reported;
 *   2. SOAK_CYCLES (default 20) load → infer → dispose cycles: RSS slope per cycle;
 *   3. a worker killed mid-call: the call rejects with a WORKER error, the next call is bit-identical
 *      to a healthy one, and the pool is back to 2 threads;
 *   4. 8 concurrent infer() calls on one model: every result bit-identical to a lone call.
 * Model: the shared uint8 classifier (../shared) when present, else a seeded random 0.35/96 export.
 * Prints a markdown summary; exits 1 if a fault check fails. Run on a quiet machine for slopes that
 * mean something (a contended machine adds noise, not growth).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load, type MobileNetV2Model } from '../src/api.js';
import { decodeImage } from '../src/io/image/decode.js';
import type { RgbImage } from '../src/io/image/image.js';
import { buildPlan } from '../src/model/plan.js';
import { exportClassifierTflite, randomClassifierWeights } from '../src/io/tflite/export.js';
import { injectWorkerFault } from '../src/backend/testing.js';
import type { WasmSimdBackend } from '../src/backend/wasm-simd.js';
import { MobileNetV2Error } from '../src/errors.js';

const N = Number(process.env.SOAK_N ?? 2000);
const CYCLES = Number(process.env.SOAK_CYCLES ?? 20);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const shared = resolve(process.env.MOBILENETV2_SHARED ?? join(process.cwd(), '..', 'shared'));

function modelAndImage(): { model: string; image: RgbImage } {
  const m = join(shared, 'models', 'mobilenet_v2_1.0_224_quant.tflite');
  const img = join(shared, 'images', 'cat.bmp');
  if (existsSync(m) && existsSync(img)) return { model: m, image: decodeImage(new Uint8Array(readFileSync(img)), img) };
  const plan = buildPlan({ width: 0.35, resolution: 96, classes: 11, padding: 'tf-same' });
  const path = join(mkdtempSync(join(tmpdir(), 'mnv2-soak-')), 'random-0.35-96.tflite');
  writeFileSync(path, exportClassifierTflite(plan, randomClassifierWeights(plan, 1)));
  const data = new Uint8Array(120 * 90 * 3).map((_, i) => (i * 7) & 255);
  return { model: path, image: { data, width: 120, height: 90, channels: 3, format: 'raw' } };
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i]! - mx) * (ys[i]! - my); den += (xs[i]! - mx) ** 2; }
  return den === 0 ? 0 : num / den;
}

const kb = (b: number): string => (b / 1024).toFixed(2);
const mb = (b: number): string => (b / 2 ** 20).toFixed(1);
const same = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

async function inferences(path: string, image: RgbImage, threads: number): Promise<string> {
  const model = await load({ model: path, backend: 'wasm-simd', threads });
  const reference = (await model.infer(image)).logits;
  const xs: number[] = [], rss: number[] = [], heap: number[] = [];
  const warm = Math.floor(N / 10);
  const t0 = performance.now();
  let mismatches = 0;
  for (let i = 1; i <= N; i++) {
    const r = await model.infer(image);
    if (i % 100 === 0 && !same(r.logits, reference)) mismatches++;
    if (i >= warm && i % 50 === 0) {
      gc(); // sample live memory, not the garbage of the last few calls
      const u = process.memoryUsage();
      xs.push(i); rss.push(u.rss); heap.push(u.heapUsed);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  return `| ${threads} | ${N} | ${(seconds * 1000 / N).toFixed(1)} | ${mb(rss[0]!)} → ${mb(rss[rss.length - 1]!)} | ${kb(slope(xs, rss))} | ${kb(slope(xs, heap))} | ${mismatches} |`;
}

async function cycles(path: string, image: RgbImage): Promise<string> {
  const xs: number[] = [], rss: number[] = [];
  for (let c = 1; c <= CYCLES; c++) {
    const model = await load({ model: path, backend: 'wasm-simd', threads: 2 });
    await model.infer(image);
    model.dispose();
    await new Promise((r) => setTimeout(r, 20)); // let the worker threads exit
    gc();
    xs.push(c); rss.push(process.memoryUsage().rss);
  }
  return `load/dispose ×${CYCLES} (2 threads): RSS ${mb(rss[0]!)} → ${mb(rss[rss.length - 1]!)} MB, slope ${kb(slope(xs, rss))} KB per cycle`;
}

async function faults(path: string, image: RgbImage): Promise<string[]> {
  const out: string[] = [];
  const model: MobileNetV2Model = await load({ model: path, backend: 'wasm-simd', threads: 2 });
  const backend = (model as unknown as { backend: WasmSimdBackend }).backend;
  try {
    await backend.whenWorkersReady();
    const healthy = (await model.infer(image)).logits;
    injectWorkerFault(backend, 0, 'terminate');
    const err = await model.infer(image).then(() => null, (e: unknown) => e);
    const rejected = err instanceof MobileNetV2Error && err.code === 'WORKER';
    const next = (await model.infer(image)).logits;
    await backend.whenWorkersReady();
    const recovered = backend.workersReady() === 1 && same((await model.infer(image)).logits, healthy);
    out.push(`killed worker mid-call: call rejected with WORKER error: ${rejected ? 'yes' : `NO (${String(err)})`}; next call bit-identical: ${same(next, healthy) ? 'yes' : 'NO'}; pool back to 2 threads and correct: ${recovered ? 'yes' : 'NO'}`);
    if (!rejected || !same(next, healthy) || !recovered) process.exitCode = 1;

    const results = await Promise.all(Array.from({ length: 8 }, () => model.infer(image)));
    const allSame = results.every((r) => same(r.logits, healthy));
    out.push(`8 concurrent infer() calls on one model: all bit-identical to a lone call: ${allSame ? 'yes' : 'NO'}`);
    if (!allSame) process.exitCode = 1;
  } finally {
    model.dispose();
  }
  return out;
}

async function main(): Promise<void> {
  const { model, image } = modelAndImage();
  console.log(`soak: ${model}, image ${image.width}×${image.height}, node ${process.version}, gc ${(globalThis as { gc?: unknown }).gc ? 'exposed' : 'not exposed'}`);
  const rows = ['| threads | inferences | ms / inference | RSS (MB, after warm-up → end) | RSS slope (KB / inference) | heap slope (KB / inference) | logits ≠ first call |', '|---:|---:|---:|---|---:|---:|---:|'];
  for (const threads of [1, 2]) {
    rows.push(await inferences(model, image, threads));
    console.log(rows[rows.length - 1]);
  }
  console.log(['', ...rows, '', await cycles(model, image), ...(await faults(model, image))].join('\n'));
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
