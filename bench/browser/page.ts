// SPDX-License-Identifier: Apache-2.0
/**
 * The in-browser bench (bundled by demo/serve.mjs as /bench/browser/page.bundle.js, driven by
 * bench/browser/runner.ts): in ONE page, on the same weights,
 *
 *   ours   the library's wasm-simd backend, 1 and 2 threads (Web Workers on SharedArrayBuffer),
 *   TF.js  @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD; its threaded build when the page is
 *          crossOriginIsolated) running bench/peers/tfjs-graph.ts — the graph Node's bench runs,
 *   ORT    onnxruntime-web (WASM SIMD) on the ONNX export of the same state dict (when Node could
 *          export it: bench/peers/onnx.ts),
 *
 * the network built by bench/classifier.ts from the state dict Node wrote (writeStateDict), so
 * every runtime — and Node's bench — runs the same numbers. A peer's thread count is fixed when
 * its WASM module starts (one per page), so the runner opens one page per peer thread count.
 *
 * Every runtime's first outputs are checked against the oracle Node computed (our ts-fast
 * backend, bit-identical to the scalar one): max |Δ| and top-1. Then warm-up, then `rounds`
 * rounds in which each runtime runs `runsPerRound` timed inferences, the order alternating
 * between rounds so drifts in machine load spread over all runtimes; ms/inference = the median
 * of all timed runs. Nothing is fetched from another host: the peers' .wasm files come from
 * the loopback server's /peers/ mounts.
 */
import * as lib from '../../src/browser/index.js';
import { WasmSimdBackend } from '../../src/backend/wasm-simd.js';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { classifierModel, readStateDict, type StateDictManifest } from '../classifier.js';
import type { BuiltModel, ModelConfig } from '../models.js';
import { tfjsGraphRunner, type PeerRunner } from '../peers/tfjs-graph.js';
import { ortRunner, type Ort } from '../peers/ort-session.js';

// The project compiles without the DOM lib; the few page APIs used here, typed locally.
declare const fetch: (url: string) => Promise<{ ok: boolean; status: number; json(): Promise<unknown>; arrayBuffer(): Promise<ArrayBuffer> }>;
declare const performance: { now(): number };
declare const navigator: { userAgent: string; hardwareConcurrency: number };
declare const crossOriginIsolated: boolean;

// This page lives at /bench/browser/: the kernels and the worker by explicit URL (as the test page does).
lib.setKernelModuleSource({ shared: '/kernels/wasm/build/mobilenetv2-simd.wasm', single: '/kernels/wasm/build/mobilenetv2-simd-st.wasm' });
lib.setWorkerUrl('/kernels/wasm/build/wasm-worker-web.mjs');

export type PageRuntime = 'wasm-simd' | 'tfjs-wasm' | 'ort-web';

export interface PageJob {
  readonly config: ModelConfig;
  /** URLs of the state dict's manifest and float32 blob, the oracle's logits, the ONNX file (null: no ORT). */
  readonly manifestUrl: string;
  readonly blobUrl: string;
  readonly oracleUrl: string;
  readonly onnxUrl: string | null;
  /** Where the peers' files are served: TF.js's dist/ (its .wasm), ORT's dist/ (ort.wasm.min.mjs, its .mjs/.wasm). */
  readonly tfjsWasmPrefix: string;
  readonly ortPrefix: string;
  /** Threads of TF.js WASM and ORT Web in this page (fixed per page). */
  readonly peerThreads: number;
  /** Timed runs = rounds × runsPerRound per runtime; 0 rounds = correctness only (the smoke spec). */
  readonly rounds: number;
  readonly runsPerRound: number;
  /** Warm-up per runtime: ≥ 2 runs and ≥ this many ms. */
  readonly warmupMs: number;
}

export interface PageRow {
  readonly runtime: PageRuntime;
  readonly label: string;
  /** Threads the runtime really used (what it reports after start-up), or the requested count when it cannot say. */
  readonly threads: number;
  readonly error?: string;
  readonly medianMs?: number;
  readonly minMs?: number;
  readonly maxMs?: number;
  readonly runs?: number;
  /** Largest |logit − oracle logit| on the first run, and max |oracle logit|. */
  readonly maxAbsDiff?: number;
  readonly scale?: number;
  readonly top1?: number;
  readonly oracleTop1?: number;
  /** Ours with 2 threads: share of parallel-capable layers run on the main thread alone (adaptive backoff) while timed. */
  readonly soloShare?: number;
}

export interface PageResult {
  readonly userAgent: string;
  readonly crossOriginIsolated: boolean;
  readonly hardwareConcurrency: number;
  readonly peerThreads: number;
  readonly rows: PageRow[];
}

interface Entry {
  readonly runtime: PageRuntime;
  threads: number;
  runner: PeerRunner | null;
  error?: string;
  stats?: () => { parallel: number; solo: number };
  samples: number[];
  first?: Float32Array;
}

async function getBytes(url: string): Promise<ArrayBuffer> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.arrayBuffer();
}

async function loadModel(job: PageJob): Promise<BuiltModel> {
  const r = await fetch(job.manifestUrl);
  if (!r.ok) throw new Error(`${job.manifestUrl}: HTTP ${r.status}`);
  const manifest = (await r.json()) as StateDictManifest;
  return classifierModel(job.config, readStateDict(manifest, new Float32Array(await getBytes(job.blobUrl))));
}

async function ours(m: BuiltModel, threads: number): Promise<Entry> {
  // As Node's bench (bench/net-runner.ts): createBackend's defaults, adaptive backoff included.
  const backend = await lib.createBackend('wasm-simd', { threads });
  const used = backend instanceof WasmSimdBackend ? backend.threads : 1;
  return {
    runtime: 'wasm-simd', threads: used, samples: [],
    runner: { label: `ours: wasm-simd (${used} thread${used > 1 ? 's' : ''})`, run: () => m.forward(backend), dispose: () => backend.dispose() },
    ...(backend instanceof WasmSimdBackend ? { stats: () => backend.threadStats() } : {}),
  };
}

async function tfjsWasm(m: BuiltModel, job: PageJob): Promise<Entry> {
  setWasmPaths(job.tfjsWasmPrefix);
  setThreadsCount(job.peerThreads);
  if (!(await tf.setBackend('wasm'))) throw new Error("tf.setBackend('wasm') failed");
  await tf.ready();
  const runner = tfjsGraphRunner(tf, 'wasm', m);
  // The threaded build only when the page is isolated; the count XNNPACK's pool really has, which
  // can be less than asked (tfjs-backend-wasm 4.9 reports 1 after setThreadsCount(2) here:
  // tensorflow/tfjs issues 6081, 8513), so the row says both.
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? getThreadsCount() : 1;
  const asked = threads === job.peerThreads ? '' : `; ${job.peerThreads} requested`;
  return { runtime: 'tfjs-wasm', threads, samples: [], runner: { ...runner, label: `TF.js WASM (XNNPACK, ${threads} thread${threads > 1 ? 's' : ''}${asked})` } };
}

async function ortWeb(m: BuiltModel, job: PageJob, onnxUrl: string): Promise<Entry> {
  // The ESM build that loads its WASM glue and binary from wasmPaths (not the self-contained
  // bundle, whose worker URL would be this page's bundle); a URL unknown to esbuild, so it stays
  // a runtime import.
  const ortUrl = `${job.ortPrefix}ort.wasm.min.mjs`;
  const ort = (await import(ortUrl)) as Ort;
  ort.env.wasm.wasmPaths = job.ortPrefix;
  const bytes = new Uint8Array(await getBytes(onnxUrl));
  const runner = await ortRunner(ort, 'web', job.peerThreads, m, bytes);
  const threads = ort.env.wasm.numThreads ?? job.peerThreads; // ORT drops to 1 (with a warning) without isolation
  return { runtime: 'ort-web', threads, samples: [], runner: { ...runner, label: `ONNX Runtime Web (WASM SIMD, ${threads} thread${threads > 1 ? 's' : ''})` } };
}

async function start(runtime: PageRuntime, threads: number, make: () => Promise<Entry>): Promise<Entry> {
  try {
    return await make();
  } catch (e) {
    return { runtime, threads, runner: null, samples: [], error: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const argmax = (x: Float32Array): number => {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
};

export async function run(job: PageJob): Promise<PageResult> {
  const m = await loadModel(job);
  const oracle = new Float32Array(await getBytes(job.oracleUrl));
  const entries: Entry[] = [];
  entries.push(await start('wasm-simd', 1, () => ours(m, 1)));
  entries.push(await start('wasm-simd', 2, () => ours(m, 2)));
  entries.push(await start('tfjs-wasm', job.peerThreads, () => tfjsWasm(m, job)));
  const onnxUrl = job.onnxUrl;
  entries.push(onnxUrl === null
    ? { runtime: 'ort-web', threads: job.peerThreads, runner: null, samples: [], error: 'no ONNX file (see the bench notes)' }
    : await start('ort-web', job.peerThreads, () => ortWeb(m, job, onnxUrl)));

  const live = (): Entry[] => entries.filter((e) => e.runner !== null && e.error === undefined);
  const call = async (e: Entry): Promise<Float32Array> => (await e.runner!.run())[0]!;
  const guarded = async (e: Entry, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (err) {
      e.error = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    }
  };
  // Correctness first, then warm-up (wasm tier-up, thread pools).
  for (const e of live()) {
    await guarded(e, async () => {
      const out = await call(e);
      if (out.length !== oracle.length) throw new Error(`${out.length} logits, the oracle has ${oracle.length}`);
      e.first = Float32Array.from(out);
      if (job.rounds > 0) {
        const t0 = performance.now();
        for (let i = 0; i < 2 || performance.now() - t0 < job.warmupMs; i++) await call(e);
      }
    });
  }
  const stats0 = new Map(live().map((e) => [e, e.stats?.()]));
  for (let round = 0; round < job.rounds; round++) {
    const order = round % 2 === 0 ? live() : live().reverse();
    for (const e of order) {
      await guarded(e, async () => {
        for (let i = 0; i < job.runsPerRound; i++) {
          const t = performance.now();
          await call(e);
          e.samples.push(performance.now() - t);
        }
      });
    }
  }

  const rows: PageRow[] = [];
  for (const e of entries) {
    const base = { runtime: e.runtime, label: e.runner?.label ?? e.runtime, threads: e.threads };
    const s0 = stats0.get(e);
    const s1 = e.stats?.();
    const layers = s0 && s1 ? s1.parallel + s1.solo - s0.parallel - s0.solo : 0;
    let maxAbsDiff = 0;
    let scale = 0;
    if (e.first) {
      for (let i = 0; i < oracle.length; i++) {
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(e.first[i]! - oracle[i]!));
        scale = Math.max(scale, Math.abs(oracle[i]!));
      }
    }
    rows.push({
      ...base,
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.first ? { maxAbsDiff, scale, top1: argmax(e.first), oracleTop1: argmax(oracle) } : {}),
      ...(e.samples.length > 0 && e.error === undefined
        ? { medianMs: median(e.samples), minMs: Math.min(...e.samples), maxMs: Math.max(...e.samples), runs: e.samples.length }
        : {}),
      ...(s0 && s1 && layers > 0 && e.threads > 1 ? { soloShare: (s1.solo - s0.solo) / layers } : {}),
    });
    await e.runner?.dispose();
  }
  return { userAgent: navigator.userAgent, crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency, peerThreads: job.peerThreads, rows };
}
