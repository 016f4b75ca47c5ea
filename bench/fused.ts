// SPDX-License-Identifier: Apache-2.0
/**
 * `node dist/bench/fused.js [--threads N] [--reps R]`: every bottleneck of MobileNetV2 1.0/224 on
 * wasm-simd, layer by layer (expansion, depthwise, projection, add as separate ops) vs the fused
 * memory-efficient block (src/model/memory-efficient.ts), median ms and GFLOP/s (2·MAdds / time);
 * the GFLOP/s per layer type over the whole network; and the machine's f32x4 peak measured by a
 * tight FMA-free mul+add loop (kernels/wasm/f32-peak.ts), so the gap to the limit is visible.
 * Numbers taken while other processes use the cores are contended: the report prints the load.
 */
import { availableParallelism, loadavg } from 'node:os';
import { createBackend } from '../src/backend/create.js';
import { compileKernelModule, instantiateKernels, wasmApi } from '../src/backend/wasm-module.js';
import { runBlockLayerwise, runConv, runBlock, type Tap } from '../src/model/runner.js';
import { buildPlan, type BlockPlan } from '../src/model/plan.js';
import { memoryExecutionFor } from '../src/model/memory-efficient.js';
import { randomClassifierWeights } from '../src/io/tflite/export.js';
import type { Backend } from '../src/backend/backend.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const threads = opt('--threads', 1);
const reps = opt('--reps', 9);

function median(fn: () => void): number {
  for (let i = 0; i < 3; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    fn();
    t.push(performance.now() - s);
  }
  return t.sort((a, b) => a - b)[reps >> 1]!;
}

async function peakGflops(): Promise<number> {
  const module = await compileKernelModule();
  const memory = new (wasmApi as unknown as { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => unknown }).Memory({ initial: 1, maximum: 16, shared: true });
  const k = instantiateKernels(module, memory as never) as unknown as { f32x4_peak(n: number, seed: number): number };
  const iterations = 20_000_000;
  const ms = median(() => void k.f32x4_peak(iterations, 1.0001));
  return (64 * iterations) / (ms * 1e6);
}

async function main(): Promise<void> {
  const load0 = loadavg()[0]!;
  const plan = buildPlan({ width: 1, resolution: 224, classes: 1001 });
  const weights = randomClassifierWeights(plan, 1);
  const inner: Backend = await createBackend('wasm-simd', { threads });
  const fused = memoryExecutionFor(inner, { head: 'classifier', plan }).backend;
  const keep = (_: string, __: Tap): void => {};
  const scoped = (b: Backend, fn: () => void): void => {
    b.beginScope!();
    try { fn(); } finally { b.endScope!(); }
  };

  // Block inputs: one layer-by-layer pass keeps each block's input.
  const inputs = new Map<string, Float32Array>();
  let x = new Float32Array(224 * 224 * 3).map((_, i) => Math.sin(i * 0.37));
  for (const b of plan.blocks) {
    inputs.set(b.name, x);
    x = runBlockLayerwise(inner, b, x, 1, weights, keep).slice();
  }

  const rows: string[] = [];
  const byType = new Map<string, { flops: number; ms: number }>();
  const add = (type: string, flops: number, ms: number): void => {
    const e = byType.get(type) ?? { flops: 0, ms: 0 };
    byType.set(type, { flops: e.flops + flops, ms: e.ms + ms });
  };
  let totalLw = 0;
  let totalFused = 0;
  for (const b of plan.blocks.filter((bb: BlockPlan) => bb.kind === 'bottleneck')) {
    const xin = inputs.get(b.name)!;
    const lw = median(() => scoped(inner, () => void runBlockLayerwise(inner, b, xin, 1, weights, keep)));
    const fu = median(() => scoped(fused, () => void runBlock(fused, b, xin, 1, weights, keep)));
    // per conv, layer by layer (each on its own input, inside the zero-copy scope)
    let y = xin;
    for (const c of b.convs) {
      const src = y;
      const ms = median(() => scoped(inner, () => void runConv(inner, c, src, 1, weights)));
      add(c.role, 2 * c.madds, ms);
      y = runConv(inner, c, src, 1, weights).slice();
    }
    add('fused block', 2 * b.madds, fu);
    totalLw += lw;
    totalFused += fu;
    const g = (ms: number): string => ((2 * b.madds) / (ms * 1e6)).toFixed(1);
    rows.push(`| ${b.name} | ${b.inShape.join('×')} → ${b.outShape.join('×')}${b.residual ? ' +res' : ''} | ${((2 * b.madds) / 1e6).toFixed(1)} | ${lw.toFixed(3)} | ${fu.toFixed(3)} | ${(fu / lw).toFixed(2)} | ${g(lw)} | ${g(fu)} |`);
  }
  inner.dispose();
  const peak = await peakGflops();
  const load1 = loadavg()[0]!;
  const out = [
    `# Fused vs layer-by-layer bottlenecks, MobileNetV2 1.0/224, wasm-simd ${threads} thread(s)`,
    '',
    `Load average ${load0.toFixed(2)} → ${load1.toFixed(2)} on ${availableParallelism()} cores${load0 > 1.5 ? ' — CONTENDED: other processes held the cores' : ''}. Median of ${reps} runs after 3 warm-up runs.`,
    '',
    '| block | shape | MFLOP | layer by layer ms | fused ms | fused ÷ layerwise | GFLOP/s layerwise | GFLOP/s fused |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    `| all 17 | | | ${totalLw.toFixed(3)} | ${totalFused.toFixed(3)} | ${(totalFused / totalLw).toFixed(2)} | | |`,
    '',
    `f32x4 peak (one thread, 8 independent mul+add chains, no FMA): **${peak.toFixed(1)} GFLOP/s**`,
    '',
    '| layer type | GFLOP | ms | GFLOP/s | % of peak (one thread) |',
    '|---|---:|---:|---:|---:|',
    ...[...byType].map(([t, e]) => `| ${t} | ${(e.flops / 1e9).toFixed(3)} | ${e.ms.toFixed(2)} | ${(e.flops / (e.ms * 1e6)).toFixed(1)} | ${((100 * e.flops) / (e.ms * 1e6) / peak).toFixed(0)} % |`),
  ];
  process.stdout.write(out.join('\n') + '\n');
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
