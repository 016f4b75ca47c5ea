// SPDX-License-Identifier: Apache-2.0
/**
 * `node dist/bench/memory.js [--backend ts-fast|wasm-simd|scalar] [--no-rss]`: measured peak
 * activation bytes of memory-efficient execution (paper §5.1) beside Eq. (2), for MobileNetV2
 * 1.0/224 and 0.35/96, DeepLab 1.0/513 (OS 16) and SSDLite 1.0/300, float32, batch 1; and the
 * peak RSS of a `classify` process (the shared uint8 classifier, cat.bmp) under each --memory.
 *
 * Measured = what the runner's arena handed out at its high point (layer outputs, head tensors and
 * the fused blocks' tile scratch, counted by the allocator itself; src/model/memory-efficient.ts)
 * plus the caller's input while the first block reads it. Eq. (2) = M(G) of the memory plan of the
 * same execution (src/model/memory-plan.ts); "thin" = M(G) with |op| = 0, the paper's
 * |s²k| + |s′²k′| for a fused block. Byte counts do not depend on machine load; RSS does a little.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createBackend } from '../src/backend/create.js';
import type { Backend } from '../src/backend/backend.js';
import { forward } from '../src/model/forward.js';
import { buildPlan } from '../src/model/plan.js';
import { buildDeeplabPlan, deeplabForward } from '../src/model/deeplab.js';
import { buildSsdlitePlan, ssdliteForward } from '../src/model/ssdlite.js';
import { randomClassifierWeights, randomDeeplabWeights, randomSsdliteWeights } from '../src/io/tflite/export.js';
import { memoryExecutionFor } from '../src/model/memory-efficient.js';
import { memoryPlanOf, type MemoryExecution, type MemoryNetwork } from '../src/model/memory-plan.js';
import type { MobileNetV2Weights } from '../src/model/weights.js';
import { repoPath } from './paths.js';

const args = process.argv.slice(2);
const backendKind = (args.includes('--backend') ? args[args.indexOf('--backend') + 1]! : 'ts-fast') as 'ts-fast' | 'wasm-simd' | 'scalar';

interface Case { name: string; net: MemoryNetwork; weights: MobileNetV2Weights; run(b: Backend, x: Float32Array): void; inputLength: number }

function cases(): Case[] {
  const c224 = buildPlan({ width: 1, resolution: 224, classes: 1001 });
  const c96 = buildPlan({ width: 0.35, resolution: 96, classes: 1001 });
  const dl = buildDeeplabPlan({ width: 1, resolution: 513, outputStride: 16 });
  const ss = buildSsdlitePlan({ width: 1, resolution: 300 });
  const classifier = (name: string, plan: typeof c224, seed: number): Case => {
    const weights = randomClassifierWeights(plan, seed);
    const r = plan.options.inputH;
    return { name, net: { head: 'classifier', plan }, weights, inputLength: r * r * 3, run: (b, x) => void forward(b, plan, weights, x, [1, r, r, 3]) };
  };
  const dw = randomDeeplabWeights(dl, 3);
  const sw = randomSsdliteWeights(ss, 4);
  return [
    classifier('MobileNetV2 1.0/224', c224, 1),
    classifier('MobileNetV2 0.35/96', c96, 2),
    { name: 'DeepLab 1.0/513 OS16', net: { head: 'deeplab', plan: dl }, weights: dw, inputLength: 513 * 513 * 3, run: (b, x) => void deeplabForward(b, dl, dw, x, [1, 513, 513, 3]) },
    { name: 'SSDLite 1.0/300', net: { head: 'ssdlite', plan: ss }, weights: sw, inputLength: 300 * 300 * 3, run: (b, x) => void ssdliteForward(b, ss, sw, x, [1, 300, 300, 3]) },
  ];
}

const mb = (b: number): string => (b / 1e6).toFixed(3);

/** Peak RSS (MB) of `mobilenetv2 classify` in its own process. */
function classifyRss(memory: MemoryExecution, backend: string): string {
  const model = '../shared/models/mobilenet_v2_1.0_224_quant.tflite';
  if (!existsSync(repoPath(model))) return 'n/a (../shared missing)';
  const hook = "data:text/javascript,process.on('exit',()=>process.stderr.write('maxRSS '+process.resourceUsage().maxRSS+'\\n'))";
  const r = spawnSync(process.execPath, ['--import', hook, repoPath('bin', 'mobilenetv2.js'), 'classify', repoPath('../shared/images/cat.bmp'), '--model', repoPath(model), '--backend', backend, '--memory', memory],
    { encoding: 'utf8', cwd: repoPath() });
  const m = /maxRSS (\d+)/.exec(r.stderr ?? '');
  const peak = /peak activations ([\d,]+) B/.exec(r.stderr ?? '');
  return m ? `${(Number(m[1]) / 1024).toFixed(1)} MB${peak ? ` (arena peak ${peak[1]} B)` : ''}` : `failed: ${(r.stderr ?? '').trim().split('\n').pop()}`;
}

async function main(): Promise<void> {
  const inner = await createBackend(backendKind, { threads: 1 });
  const lines = [
    `# Activation memory, float32, batch 1 (backend ${backendKind}; byte counts are exact and load-independent)`,
    '',
    '| network | layer-by-layer M(G) | layer-by-layer measured | efficient M(G) thin (\\|x\\|+\\|y\\|) | efficient M(G) with tile | efficient measured | measured ÷ thin | tile scratch | + stem trick M(G) | + stem trick measured |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of cases()) {
    const x = new Float32Array(c.inputLength).map((_, i) => Math.sin(i * 0.37));
    const lwPlan = memoryPlanOf(c.net, { execution: 'layerwise' });
    const efPlan = memoryPlanOf(c.net, { execution: 'efficient', materialize: c.net.head === 'ssdlite' ? c.net.plan.featureMaps.map((m) => m.name) : [] });
    const stPlan = memoryPlanOf(c.net, { execution: 'efficient', stemTrick: true });
    const measured = (memory: MemoryExecution, stemTrick = false) => {
      const e = memoryExecutionFor(inner, c.net, { memory, stemTrick });
      c.run(e.backend, x);
      return e.stats();
    };
    const lw = measured('layerwise');
    const ef = measured('efficient');
    const st = measured('efficient', true);
    lines.push(`| ${c.name} | ${mb(lwPlan.eq2Bytes)} MB (${lwPlan.eq2Op}) | ${mb(lw.peakBytes)} MB | ${mb(efPlan.eq2ThinBytes)} MB | ${mb(efPlan.eq2Bytes)} MB (${efPlan.eq2Op}) | ${mb(ef.peakBytes)} MB | ${(ef.peakBytes / efPlan.eq2ThinBytes).toFixed(3)} | ${mb(ef.tileScratchBytes)} MB | ${mb(stPlan.eq2Bytes)} MB (${stPlan.eq2Op}) | ${st.stemFolded ? `${mb(st.peakBytes)} MB` : 'n/a'} |`);
    if (c.net.head === 'deeplab') {
      const before = efPlan.ops.filter((o) => o.name !== 'upsampled_logits');
      const thin = Math.max(...before.map((o) => o.eq2Bytes - o.scratchBytes));
      lines.push(`| ↳ DeepLab without the final upsampling (its 513²·21 output is an ordinary array, outside the arena) | | | ${mb(thin)} MB | | ${mb(ef.peakBytes)} MB | ${(ef.peakBytes / thin).toFixed(3)} | | | |`);
    }
  }
  inner.dispose();
  lines.push('', 'Measured = arena high-water mark (layer outputs, head tensors, tile scratch) + the input while the first block reads it. Layer-by-layer measured runs in the same arena with every layer materialised (a block\'s intermediates are freed when the block ends, heads never free: hence above its M(G)).');
  if (!args.includes('--no-rss')) {
    lines.push('', '## Peak RSS of `mobilenetv2 classify cat.bmp` (shared uint8 1.0/224 classifier, whole process: Node, weights, WASM memory)', '');
    for (const backend of ['wasm-simd', 'ts-fast']) {
      for (const memory of ['layerwise', 'efficient'] as const) lines.push(`- ${backend}, --memory ${memory}: ${classifyRss(memory, backend)}`);
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
