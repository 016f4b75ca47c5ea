// SPDX-License-Identifier: Apache-2.0
/**
 * One whole-network configuration in its own process (so peak RSS, JIT state and thread pools are
 * per runtime, as in docs/peer-benchmarks.md): build the model, check the runtime's outputs
 * against our oracle, warm up, time with tinybench, print one JSON line.
 *
 *   node dist/bench/net-runner.js '{"runtime":"wasm-simd","threads":2,"model":0,"timeMs":3000}'
 *
 * The oracle outputs come from the ts-fast backend, which is bit-identical to the scalar backend
 * (spec/backend/network.spec.ts and heads.spec.ts) and several times faster.
 */
import { Bench } from 'tinybench';
import { createBackend } from '../src/backend/create.js';
import type { Backend } from '../src/backend/backend.js';
import { buildModel, MODEL_CONFIGS, type BuiltModel } from './models.js';
import { startLoadProbe } from './machine.js';
import { computeOracle, readOracle } from './oracle.js';
import { createTfjsRunner, type PeerRunner } from './peers/tfjs.js';
import { createOrtRunner } from './peers/onnx.js';
import { createTfliteRunner } from './peers/tflite.js';
import { WasmSimdBackend } from '../src/backend/wasm-simd.js';
import { memoryExecutionFor } from '../src/model/memory-efficient.js';

export type Runtime = 'scalar' | 'ts-fast' | 'wasm-simd' | 'ts-fast-fused' | 'wasm-simd-fused' | 'tflite' | 'tfjs-wasm' | 'tfjs-cpu' | 'ort-web' | 'ort-node';

export interface NetJob {
  readonly runtime: Runtime;
  readonly threads: number;
  /** Index into MODEL_CONFIGS. */
  readonly model: number;
  readonly timeMs: number;
  readonly onnxPath?: string;
  /** The oracle's outputs, concatenated float32 (written by run.ts with writeOracle), so this process's RSS has no oracle run in it. */
  readonly oraclePath?: string;
}

export interface NetResult {
  readonly ok: boolean;
  readonly error?: string;
  readonly label?: string;
  readonly medianMs?: number;
  readonly minMs?: number;
  readonly maxMs?: number;
  readonly runs?: number;
  readonly cpuMsPerImg?: number;
  readonly ownCores?: number;
  readonly otherCores?: number | null;
  readonly rssMB?: number;
  /** Largest |output − oracle| over every compared output. */
  readonly maxAbsDiff?: number;
  /** max |oracle output|, the scale of maxAbsDiff. */
  readonly scale?: number;
  /** Share of score rows (classifier: 1 row; DeepLab: pixels; SSDLite: anchors) whose argmax equals the oracle's. */
  readonly argmaxAgreement?: number;
  /** wasm-simd with threads: share of parallel-capable layers run on the main thread alone (adaptive backoff) during the timed loop. */
  readonly soloShare?: number;
}

interface Runner extends PeerRunner {
  threadStats?(): { parallel: number; solo: number };
}

async function makeRunner(job: NetJob, m: BuiltModel): Promise<Runner> {
  switch (job.runtime) {
    case 'scalar':
    case 'ts-fast':
    case 'wasm-simd': {
      const backend: Backend = await createBackend(job.runtime, { threads: job.threads });
      return {
        label: `${job.runtime}${job.runtime === 'wasm-simd' ? ` (${job.threads} thread${job.threads > 1 ? 's' : ''})` : ''}`,
        run: () => m.forward(backend),
        dispose: () => backend.dispose(),
        ...(backend instanceof WasmSimdBackend ? { threadStats: () => backend.threadStats() } : {}),
      };
    }
    case 'ts-fast-fused':
    case 'wasm-simd-fused': {
      // Memory-efficient execution (src/model/memory-efficient.ts): fused bottlenecks on the same kernels.
      const kind = job.runtime === 'ts-fast-fused' ? 'ts-fast' : 'wasm-simd';
      const inner: Backend = await createBackend(kind, { threads: job.threads });
      const net = m.net.kind === 'classifier' ? { head: 'classifier' as const, plan: m.net.plan }
        : m.net.kind === 'deeplab' ? { head: 'deeplab' as const, plan: m.net.plan } : { head: 'ssdlite' as const, plan: m.net.plan };
      const { backend } = memoryExecutionFor(inner, net);
      return {
        label: `${kind} fused${kind === 'wasm-simd' ? ` (${job.threads} thread${job.threads > 1 ? 's' : ''})` : ''}`,
        run: () => m.forward(backend),
        dispose: () => inner.dispose(),
        ...(inner instanceof WasmSimdBackend ? { threadStats: () => inner.threadStats() } : {}),
      };
    }
    case 'tflite':
      return createTfliteRunner(m);
    case 'tfjs-wasm':
      return createTfjsRunner('wasm', m);
    case 'tfjs-cpu':
      return createTfjsRunner('cpu', m);
    case 'ort-web':
    case 'ort-node':
      if (job.onnxPath === undefined) throw new Error('no ONNX file');
      return createOrtRunner(job.runtime === 'ort-web' ? 'web' : 'node', job.threads, m, job.onnxPath);
  }
}

/** Share of rows of `classes` scores whose argmax agrees. */
function argmaxAgreement(a: Float32Array, b: Float32Array, classes: number): number {
  const rows = a.length / classes;
  let same = 0;
  for (let r = 0; r < rows; r++) {
    let ia = 0;
    let ib = 0;
    for (let k = 1; k < classes; k++) {
      if (a[r * classes + k]! > a[r * classes + ia]!) ia = k;
      if (b[r * classes + k]! > b[r * classes + ib]!) ib = k;
    }
    if (ia === ib) same++;
  }
  return same / rows;
}

/** Timed iterations for runtimes slower than 300 ms per image: ~20 s of runs, 3 to 8. */
function slowIterations(firstMs: number): number {
  return Math.max(3, Math.min(8, Math.floor(20_000 / firstMs)));
}

async function main(): Promise<NetResult> {
  const job = JSON.parse(process.argv[2]!) as NetJob;
  const m = buildModel(MODEL_CONFIGS[job.model]!);
  const oracle = job.oraclePath !== undefined ? readOracle(job.oraclePath) : await computeOracle(m);

  const runner = await makeRunner(job, m);
  // First call: correctness, and a duration estimate for the warm-up and run counts.
  let t = performance.now();
  const outputs = await runner.run();
  const first = performance.now() - t;
  let maxAbsDiff = 0;
  let scale = 0;
  const total = outputs.reduce((s, o) => s + o.length, 0);
  if (total !== oracle.length) throw new Error(`${runner.label}: its outputs have ${total} values, the oracle's ${oracle.length}`);
  let at = 0;
  let agreement = 0;
  outputs.forEach((got, k) => {
    const ref = oracle.subarray(at, at + got.length);
    at += got.length;
    for (let i = 0; i < ref.length; i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(got[i]! - ref[i]!));
      scale = Math.max(scale, Math.abs(ref[i]!));
    }
    if (k === m.scores.output) agreement = argmaxAgreement(got, ref, m.scores.classes);
  });
  if (Number.isNaN(maxAbsDiff)) throw new Error(`${runner.label}: NaN in the outputs`);

  // Warm up (V8 / wasm tier-up, thread pools): ≥ 2 calls and ≥ 1.5 s, at most 10 s.
  t = performance.now();
  for (let i = 0; i < 2 || (performance.now() - t < 1500 && performance.now() - t < 10_000 - first); i++) await runner.run();

  const slow = first > 300;
  const bench = new Bench({ time: slow ? 0 : job.timeMs, iterations: slow ? slowIterations(first) : MODEL_CONFIGS[job.model]!.minRuns, warmup: false, retainSamples: true, throws: true });
  bench.add(runner.label, async () => {
    await runner.run();
  });
  const stats0 = runner.threadStats?.();
  const probe = startLoadProbe();
  await bench.run();
  const load = probe.stop();
  const stats1 = runner.threadStats?.();
  const layers = stats0 && stats1 ? stats1.parallel + stats1.solo - stats0.parallel - stats0.solo : 0;
  const soloShare = stats0 && stats1 && layers > 0 && job.threads > 1 ? (stats1.solo - stats0.solo) / layers : undefined;
  const r = bench.tasks[0]!.result;
  if (r.state !== 'completed') throw new Error(`${runner.label}: tinybench state ${r.state}`);
  const runs = r.latency.samplesCount;
  await runner.dispose();
  return {
    ok: true,
    label: runner.label,
    medianMs: r.latency.p50,
    minMs: r.latency.min,
    maxMs: r.latency.max,
    runs,
    cpuMsPerImg: load.cpuMs / runs,
    ownCores: load.ownCores,
    otherCores: load.otherCores,
    rssMB: process.resourceUsage().maxRSS / 1024,
    maxAbsDiff,
    scale,
    argmaxAgreement: agreement,
    ...(soloShare === undefined ? {} : { soloShare }),
  };
}

main().then(
  (r) => {
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(0);
  },
  (e: unknown) => {
    process.stdout.write(JSON.stringify({ ok: false, error: e instanceof Error ? e.message.split('\n')[0] : String(e) } satisfies NetResult) + '\n');
    process.exit(0);
  },
);
