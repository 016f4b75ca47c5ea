// SPDX-License-Identifier: Apache-2.0
/**
 * `node dist/bench/fused.js [--threads 1,2] [--reps R] [--adaptive 0|1]`: MobileNetV2 1.0/224 on
 * wasm-simd, layer by layer (expansion, depthwise, projection, add as separate ops) vs the fused
 * memory-efficient block (src/model/memory-efficient.ts → WasmSimdBackend.invertedResidual, one
 * kernel call per block): per bottleneck and for the whole network (forward(), classifier head),
 * for each thread count; the GFLOP/s per layer type (1 thread); and the machine's f32x4 peak
 * measured by a tight FMA-free mul+add loop (kernels/wasm/f32-peak.ts), so the gap to the limit
 * is visible.
 *
 * Layer by layer and fused are timed INTERLEAVED (one run of each, R times) so that changes in the
 * machine's load hit both alike; the report gives the median and the minimum of each. Numbers
 * taken while other processes use the cores are contended: the report prints the load average
 * and, for 2 threads, how many layers actually ran with the worker (the pool runs layers on the
 * main thread alone while the machine has no free core, unless --adaptive 0).
 */
import { availableParallelism, loadavg } from 'node:os';
import { compileKernelModule, instantiateKernels, wasmApi } from '../src/backend/wasm-module.js';
import { WasmSimdBackend } from '../src/backend/wasm-simd.js';
import { runBlockLayerwise, runConv, runBlock, type Tap } from '../src/model/runner.js';
import { buildPlan, type BlockPlan } from '../src/model/plan.js';
import { forward } from '../src/model/forward.js';
import { memoryExecutionFor } from '../src/model/memory-efficient.js';
import { DEFAULT_TILE_BUDGET_BYTES, fusedBlockTiling } from '../src/model/memory-plan.js';
import { randomClassifierWeights } from '../src/io/tflite/export.js';
import type { Backend } from '../src/backend/backend.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1]! : fallback);
const threadCounts = opt('--threads', '1,2').split(',').map(Number);
const reps = Number(opt('--reps', '9'));
const adaptive = opt('--adaptive', '1') !== '0';

interface Timing { median: number; min: number }

function stats(t: number[]): Timing {
  const s = [...t].sort((a, b) => a - b);
  return { median: s[s.length >> 1]!, min: s[0]! };
}

/** Times `fns` interleaved: warm-up, then `reps` rounds of one run each. */
function interleaved(fns: ReadonlyArray<() => void>): Timing[] {
  for (let i = 0; i < 2; i++) for (const f of fns) f();
  const t = fns.map(() => [] as number[]);
  for (let r = 0; r < reps; r++) {
    fns.forEach((f, i) => {
      const s = performance.now();
      f();
      t[i]!.push(performance.now() - s);
    });
  }
  return t.map(stats);
}

async function peakGflops(): Promise<number> {
  const module = await compileKernelModule();
  const memory = new (wasmApi as unknown as { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => unknown }).Memory({ initial: 1, maximum: 16, shared: true });
  const k = instantiateKernels(module, memory as never) as unknown as { f32x4_peak(n: number, seed: number): number };
  const iterations = 20_000_000;
  const [t] = interleaved([() => void k.f32x4_peak(iterations, 1.0001)]);
  return (64 * iterations) / (t!.min * 1e6);
}

/**
 * The 2-thread split of each fused block, computed (not timed, so contention cannot blur it): the
 * parts and tiles WasmSimdBackend.invertedResidual cuts for 2 threads (fusedTilingFor), the chunks
 * the pool hands out (WorkerPool.run: max(1, ⌊units / 12⌋)·align, align = one part), each chunk
 * expanding its first band whole (the halo rows recomputed), and the two threads claiming chunks
 * in order as each becomes free; blocks it splits by channels (7×7 maps), the two phases' shares of
 * channel blocks. Work in FLOPs (expansion per band row,
 * depthwise + projection per output row); bound = the busier thread's work ÷ the block's 1-thread
 * work, the best 2T ÷ 1T the block can reach with no synchronisation cost at all.
 */
function twoThreadSplit(be: WasmSimdBackend, blocks: readonly BlockPlan[]): string[] {
  const rows: string[] = [];
  let sum1 = 0;
  let sum2 = 0;
  for (const b of blocks) {
    const tiling = fusedBlockTiling(b, DEFAULT_TILE_BUDGET_BYTES);
    const dwConv = b.convs.find((c) => c.kind === 'depthwise');
    if (tiling === null || dwConv === undefined) continue;
    const g = dwConv.geometry;
    const expand = b.convs[0]!.role === 'expansion';
    const [, W, IC] = b.inShape;
    const OC = b.outShape[2];
    const hid = dwConv.outC;
    const eRow = expand ? 2 * W * IC * hid : 0;
    const oRow = 2 * g.outW * hid * (9 + OC);
    const work1 = g.inH * eRow + g.outH * oRow;
    const t1 = be.fusedTilingFor({ inC: IC, hidden: hid, expand }, g, tiling.rows, 1);
    if (be.fusedSplitFor(g, 2) === 'channels') {
      // Split by channels (WasmSimdBackend.invertedResidualByChannels): expansion + depthwise in
      // chunks of ⌈blocks / 4⌉ 8-channel blocks, then the projection by output blocks, half each.
      const hidBlocks = Math.ceil(hid / 8);
      const outBlocks = Math.ceil(OC / 8);
      const pass = Math.ceil(hidBlocks / 4);
      const share1 = Math.min(hidBlocks, Math.ceil(Math.ceil(hidBlocks / pass) / 2) * pass) / hidBlocks;
      const share2 = Math.ceil(outBlocks / 2) / outBlocks;
      const busier = share1 * (g.inH * eRow + g.outH * 2 * g.outW * hid * 9) + share2 * g.outH * 2 * g.outW * hid * OC;
      sum1 += work1;
      sum2 += busier;
      rows.push(`| ${b.name} | ${g.inH}×${W}×${IC} → ${g.outH}×${g.outW}×${OC} | ${t1.tileRows} | by channels: ${Math.round(share1 * hidBlocks * 8)} of ${hidBlocks * 8} expanded, ${Math.ceil(outBlocks / 2) * 8} of ${outBlocks * 8} out | ${expand ? `${g.inH} / ${g.inH} (+0 %)` : '–'} | ${(busier / work1).toFixed(3)} |`);
      continue;
    }
    const t2 = be.fusedTilingFor({ inC: IC, hidden: hid, expand }, g, tiling.rows, 2);
    // The pool's chunk with 2 participants: max(1, ⌊units / 12⌋) · align, align = tilesPerPart.
    const units = Math.ceil(t2.tilesPerImage / t2.tilesPerPart);
    const chunk = Math.max(1, Math.floor(units / 12)) * t2.tilesPerPart;
    const free = [0, 0];
    let expanded = 0;
    for (let c0 = 0; c0 < t2.tilesPerImage; c0 += chunk) {
      // Output rows of the chunk's tiles (a part's last tiles may be empty).
      let oh0 = Infinity;
      let oh1 = -1;
      for (let t = c0; t < Math.min(t2.tilesPerImage, c0 + chunk); t++) {
        const part = Math.floor(t / t2.tilesPerPart);
        const lo0 = part * t2.share + (t % t2.tilesPerPart) * t2.tileRows;
        const end = Math.min(g.outH, (part + 1) * t2.share, lo0 + t2.tileRows);
        if (lo0 >= end) continue;
        oh0 = Math.min(oh0, lo0);
        oh1 = Math.max(oh1, end - 1);
      }
      if (oh1 < 0) continue;
      const lo = Math.max(0, oh0 * g.strideH - g.pad.top);
      const hi = Math.min(g.inH - 1, oh1 * g.strideH - g.pad.top + (g.kH - 1) * g.dilationH);
      expanded += hi - lo + 1;
      const w = (hi - lo + 1) * eRow + (oh1 - oh0 + 1) * oRow;
      const k = free[0]! <= free[1]! ? 0 : 1;
      free[k] = free[k]! + w;
    }
    const busier = Math.max(free[0]!, free[1]!);
    sum1 += work1;
    sum2 += busier;
    rows.push(`| ${b.name} | ${g.inH}×${W}×${IC} → ${g.outH}×${g.outW}×${OC} | ${t1.tileRows} | ${t2.share} rows: ${t2.tilesPerPart} × ${t2.tileRows} | ${expand ? `${expanded} / ${g.inH} (+${((100 * (expanded - g.inH)) / g.inH).toFixed(0)} %)` : '–'} | ${(busier / work1).toFixed(3)} |`);
  }
  return [
    '## Two threads: how each fused block splits (computed, not timed)', '',
    '| block | shape | tile rows, 1 thread | 2 threads: rows per thread: tiles × rows | expanded rows computed / input rows | busier thread ÷ 1-thread work |',
    '|---|---|---:|---:|---:|---:|',
    ...rows,
    `| all fused blocks (FLOP-weighted) | | | | | **${(sum2 / sum1).toFixed(3)}** |`, '',
  ];
}

const scoped = (b: Backend, fn: () => void): void => {
  b.beginScope!();
  try { fn(); } finally { b.endScope!(); }
};
const f = (ms: number): string => ms.toFixed(3);

async function main(): Promise<void> {
  const load0 = loadavg()[0]!;
  const plan = buildPlan({ width: 1, resolution: 224, classes: 1001 });
  const weights = randomClassifierWeights(plan, 1);
  const image = new Float32Array(224 * 224 * 3).map((_, i) => Math.sin(i * 0.37));
  const keep = (_: string, __: Tap): void => {};
  const out: string[] = [];
  const byType = new Map<string, { flops: number; ms: number }>();
  const addType = (type: string, flops: number, ms: number): void => {
    const e = byType.get(type) ?? { flops: 0, ms: 0 };
    byType.set(type, { flops: e.flops + flops, ms: e.ms + ms });
  };
  const network: string[] = [];

  let split: string[] = [];
  for (const threads of threadCounts) {
    const inner = new WasmSimdBackend({ threads, adaptive });
    await inner.init();
    if (split.length === 0) split = twoThreadSplit(inner, plan.blocks);
    const fused = memoryExecutionFor(inner, { head: 'classifier', plan }).backend;

    // Block inputs: one layer-by-layer pass keeps each block's input.
    const inputs = new Map<string, Float32Array>();
    let x = image;
    for (const b of plan.blocks) {
      inputs.set(b.name, x);
      x = runBlockLayerwise(inner, b, x, 1, weights, keep).slice();
    }

    const rows: string[] = [];
    let lwSum = 0;
    let fuSum = 0;
    for (const b of plan.blocks.filter((bb: BlockPlan) => bb.kind === 'bottleneck')) {
      const xin = inputs.get(b.name)!;
      const [lw, fu] = interleaved([
        () => scoped(inner, () => void runBlockLayerwise(inner, b, xin, 1, weights, keep)),
        () => scoped(fused, () => void runBlock(fused, b, xin, 1, weights, keep)),
      ]) as [Timing, Timing];
      if (threads === 1) {
        // per conv, layer by layer (each on its own input, inside the zero-copy scope)
        let y = xin;
        for (const c of b.convs) {
          const src = y;
          const [t] = interleaved([() => scoped(inner, () => void runConv(inner, c, src, 1, weights))]);
          addType(c.role, 2 * c.madds, t!.min);
          y = runConv(inner, c, src, 1, weights).slice();
        }
        addType('fused block', 2 * b.madds, fu.min);
      }
      lwSum += lw.min;
      fuSum += fu.min;
      const g = (ms: number): string => ((2 * b.madds) / (ms * 1e6)).toFixed(1);
      rows.push(`| ${b.name} | ${b.inShape.join('×')} → ${b.outShape.join('×')}${b.residual ? ' +res' : ''} | ${((2 * b.madds) / 1e6).toFixed(1)} | ${f(lw.median)} / ${f(lw.min)} | ${f(fu.median)} / ${f(fu.min)} | ${(fu.min / lw.min).toFixed(2)} | ${g(lw.min)} | ${g(fu.min)} |`);
    }
    const before = inner.threadStats();
    const [netLw, netFu] = interleaved([
      () => void forward(inner, plan, weights, image, [1, 224, 224, 3]),
      () => void forward(fused, plan, weights, image, [1, 224, 224, 3]),
    ]) as [Timing, Timing];
    const after = inner.threadStats();
    const ts = threads > 1 ? `; layers with the worker ${after.parallel - before.parallel}, main thread alone ${after.solo - before.solo}` : '';
    network.push(`| ${threads} | ${f(netLw.median)} / ${f(netLw.min)} | ${f(netFu.median)} / ${f(netFu.min)} | ${(netFu.min / netLw.min).toFixed(2)} | ${(netFu.median / netLw.median).toFixed(2)} |${ts ? ` ${ts.slice(2)}` : ''}`);

    out.push(
      `## Bottlenecks, ${threads} thread(s)`, '',
      '| block | shape | MFLOP | layer by layer ms (median / min) | fused ms (median / min) | fused ÷ layerwise (min) | GFLOP/s layerwise | GFLOP/s fused |',
      '|---|---|---:|---:|---:|---:|---:|---:|',
      ...rows,
      `| all 17 (sum of minima) | | | ${f(lwSum)} | ${f(fuSum)} | ${(fuSum / lwSum).toFixed(2)} | | |`, '',
    );
    await inner.disposeAsync();
  }
  const peak = await peakGflops();
  const load1 = loadavg()[0]!;
  const report = [
    '# Fused vs layer-by-layer bottlenecks, MobileNetV2 1.0/224, wasm-simd',
    '',
    `Load average ${load0.toFixed(2)} → ${load1.toFixed(2)} on ${availableParallelism()} cores${Math.max(load0, load1) > 1.5 ? ' — CONTENDED: other processes held the cores' : ''}. ${reps} interleaved runs after 2 warm-up runs; adaptive threading ${adaptive ? 'on' : 'off'}.`,
    '',
    '## Whole network (forward(), classifier head)', '',
    '| threads | layer by layer ms (median / min) | fused ms (median / min) | fused ÷ layerwise (min) | (median) | |',
    '|---:|---:|---:|---:|---:|---|',
    ...network, '',
    ...split,
    ...out,
    `f32x4 peak (one thread, 8 independent mul+add chains, no FMA; fastest of ${reps}): **${peak.toFixed(1)} GFLOP/s**`,
    '',
    '| layer type (1 thread, minima) | GFLOP | ms | GFLOP/s | % of peak (one thread) |',
    '|---|---:|---:|---:|---:|',
    ...[...byType].map(([t, e]) => `| ${t} | ${(e.flops / 1e9).toFixed(3)} | ${e.ms.toFixed(2)} | ${(e.flops / (e.ms * 1e6)).toFixed(1)} | ${((100 * e.flops) / (e.ms * 1e6) / peak).toFixed(0)} % |`),
  ];
  process.stdout.write(report.join('\n') + '\n');
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
