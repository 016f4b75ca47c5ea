// SPDX-License-Identifier: Apache-2.0
/**
 * `node dist/bench/fused-ab.js DIST_A[:THREADS] DIST_B[:THREADS] [--reps R] [--adaptive 0|1]`:
 * MobileNetV2 1.0/224 (classifier, wasm-simd, memory-efficient = fused blocks) from two builds of
 * this project in ONE process, passes alternated A, B, B, A, …, so that whatever other processes do
 * to the machine hits both alike. DIST is a built `dist/` directory (e.g. this one and a checkout of
 * main built elsewhere); `:THREADS` per side (default 1), so `dist:1 dist:2` compares 1 and 2
 * threads of the same build. Prints the median and minimum wall time and the median CPU time
 * (process.cpuUsage, all threads) per pass of each side, their ratios, and each side's thread
 * statistics (layers with the worker / alone). A measuring tool for changes; numbers taken while
 * other processes hold the cores are contended (the load average is printed).
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const sides = args.filter((a, i) => !a.startsWith('--') && (i === 0 || !args[i - 1]!.startsWith('--')));
if (sides.length !== 2) throw new Error('usage: fused-ab.js DIST_A[:THREADS] DIST_B[:THREADS] [--reps R] [--adaptive 0|1]');
const reps = Number(opt('--reps', '30'));
const adaptive = opt('--adaptive', '1') !== '0';

interface Side { label: string; run: () => void; stats: () => unknown; dispose: () => Promise<void> }

/** Loads one build's modules (its own module graph, its own wasm file) and sets up a fused forward pass. */
async function setup(spec: string): Promise<Side> {
  const [dir, t] = spec.split(':') as [string, string | undefined];
  const threads = Number(t ?? 1);
  const at = (p: string): string => pathToFileURL(resolve(dir, p)).href;
  // Another build's modules: typed by that build, so `any` here.
  const { WasmSimdBackend } = (await import(at('src/backend/wasm-simd.js'))) as any;
  const { buildPlan } = (await import(at('src/model/plan.js'))) as any;
  const { forward } = (await import(at('src/model/forward.js'))) as any;
  const { memoryExecutionFor } = (await import(at('src/model/memory-efficient.js'))) as any;
  const { randomClassifierWeights } = (await import(at('src/io/tflite/export.js'))) as any;
  const plan = buildPlan({ width: 1, resolution: 224, classes: 1001 });
  const weights = randomClassifierWeights(plan, 1);
  const image = new Float32Array(224 * 224 * 3).map((_, i) => Math.sin(i * 0.37));
  const inner = new WasmSimdBackend({ threads, adaptive });
  await inner.init();
  const be = memoryExecutionFor(inner, { head: 'classifier', plan }).backend;
  return {
    label: `${dir} (${threads} thread${threads > 1 ? 's' : ''})`,
    run: () => void forward(be, plan, weights, image, [1, 224, 224, 3]),
    stats: () => inner.threadStats(),
    dispose: () => inner.disposeAsync(),
  };
}

const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;

async function main(): Promise<void> {
  const load0 = loadavg()[0]!;
  const [a, b] = [await setup(sides[0]!), await setup(sides[1]!)];
  for (let i = 0; i < 8; i++) { a.run(); b.run(); } // past V8's tier-up
  const wall: [number[], number[]] = [[], []];
  const cpu: [number[], number[]] = [[], []];
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const k of order) {
      const s = performance.now();
      const c = cpuMs();
      [a, b][k]!.run();
      wall[k]!.push(performance.now() - s);
      cpu[k]!.push(cpuMs() - c);
    }
  }
  const load1 = loadavg()[0]!;
  const row = (k: 0 | 1, s: Side): string => `| ${k === 0 ? 'A' : 'B'}: ${s.label} | ${median(wall[k]).toFixed(2)} | ${Math.min(...wall[k]).toFixed(2)} | ${median(cpu[k]).toFixed(2)} | \`${JSON.stringify(s.stats())}\` |`;
  process.stdout.write([
    `# Fused MobileNetV2 1.0/224, A/B in one process (${reps} alternated passes each; load average ${load0.toFixed(2)} → ${load1.toFixed(2)}${Math.max(load0, load1) > 1.5 ? ', CONTENDED' : ''}; adaptive threading ${adaptive ? 'on' : 'off'})`, '',
    '| side | wall ms median | wall ms min | CPU ms median | thread stats |', '|---|---:|---:|---:|---|',
    row(0, a), row(1, b), '',
    `B ÷ A: wall median **${(median(wall[1]) / median(wall[0])).toFixed(3)}**, wall min **${(Math.min(...wall[1]) / Math.min(...wall[0])).toFixed(3)}**, CPU median ${(median(cpu[1]) / median(cpu[0])).toFixed(3)}`, '',
  ].join('\n'));
  await a.dispose();
  await b.dispose();
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
