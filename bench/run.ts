// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run bench` (= build, then node dist/bench/run.js [flags]):
 *
 *  1. kernels: every MobileNetV2 1.0/224 layer (data/shapes/mobilenet_v2_1.0_224.tsv) on scalar,
 *     ts-fast and wasm-simd 1/2 threads → GFLOP/s (bench/kernels.ts);
 *  1b. integer kernels: the same layers quantized on the integer backends (bench/q8-kernels.ts; --no-q8 skips);
 *  2. networks: each model of bench/models.ts (classifiers, DeepLab, SSDLite) on our backends and
 *     the peers, all on the same weights — the TFLite interpreter (WASM SIMD, XNNPACK) on the real
 *     .tflite file or our export of the weights, TF.js WASM and CPU graphs built from our weights,
 *     and for the classifiers ONNX Runtime Web (1, 2 threads) and onnxruntime-node (1, 2 threads)
 *     on an ONNX export — each configuration in its own process (bench/net-runner.ts), `--rounds N`
 *     times in alternating order; every runtime's outputs are checked against our oracle;
 *  2b. quantized files: the integer path on the shared uint8 classifier and DeepLab, and on int8
 *     files our exporter writes (classifier, SSDLite), beside the TFLite interpreter on the same
 *     file, one process per runtime (bench/integer.ts, its table copied here; --no-integer skips);
 *  3. in the browser (bench/browser/): classifier 1.0/224 in Debian's Chromium, ours wasm-simd 1T/2T
 *     vs TF.js WASM and ONNX Runtime Web in the same page on the same weights, one page per peer
 *     thread count (1, 2); skipped with a line in the report when /usr/bin/chromium is absent;
 *  4. prints the markdown report and writes bench/results/<date>.md and .svg.
 *
 * Flags: --kernels-only, --network-only, --no-peers, --quick (short time budgets, for a smoke
 * run), --rounds N (default 1), --time MS (timed budget per network configuration, default 3000),
 * --models a,b (only the MODEL_CONFIGS whose name contains one of these, e.g. --models DeepLab,SSD),
 * --runtimes a,b (only these runtimes, e.g. --runtimes wasm-simd,tflite), --no-browser (no in-browser
 * row), --browser-only (only the in-browser row), --no-integer (no quantized-file rows).
 * Benches never gate anything: targets are reported, not asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machineInfo, type MachineInfo } from './machine.js';
import { readShapes } from './shapes.js';
import { runKernelBench, type KernelBackendSpec, type KernelRow } from './kernels.js';
import { runQ8KernelBench } from './q8-kernels.js';
import { buildModel, MODEL_CONFIGS, unavailable, type ModelKind } from './models.js';
import { writeOracle } from './oracle.js';
import type { NetJob, NetResult, Runtime } from './net-runner.js';
import { CACHE_DIR, ensureOnnx, peerPackageMissing } from './peers/onnx.js';
import { kernelTable, machineLines, networkTable, soloNotes, svgChart, targetLines, type NetRow } from './report.js';
import { repoPath } from './paths.js';
import { BROWSER_MODEL, runBrowserBench, type BrowserBench } from './browser/runner.js';
import { browserSection } from './browser/report.js';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback;
};
const quick = flag('--quick');
const rounds = option('--rounds', 1);
const list = (name: string): string[] | null => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]!.split(',').map((x) => x.trim()).filter(Boolean) : null;
};
const onlyModels = list('--models');
const onlyRuntimes = list('--runtimes');
const netTimeMs = option('--time', quick ? 500 : 3000);
const log = (s: string): void => {
  process.stderr.write(`[bench] ${s}\n`);
};

const KERNEL_BACKENDS: KernelBackendSpec[] = [
  { label: 'scalar', kind: 'scalar', threads: 1 },
  { label: 'ts-fast', kind: 'ts-fast', threads: 1 },
  { label: 'wasm 1T', kind: 'wasm-simd', threads: 1 },
  { label: 'wasm 2T', kind: 'wasm-simd', threads: 2 },
];

/** `kinds`: the networks a runtime can run (ORT: only the classifier has an ONNX export). */
const NET_RUNTIMES: ReadonlyArray<{ runtime: Runtime; threads: number; peer: boolean; kinds?: readonly ModelKind[] }> = [
  { runtime: 'scalar', threads: 1, peer: false },
  { runtime: 'ts-fast', threads: 1, peer: false },
  { runtime: 'wasm-simd', threads: 1, peer: false },
  { runtime: 'wasm-simd', threads: 2, peer: false },
  { runtime: 'ts-fast-fused', threads: 1, peer: false },
  { runtime: 'wasm-simd-fused', threads: 1, peer: false },
  { runtime: 'wasm-simd-fused', threads: 2, peer: false },
  { runtime: 'tflite', threads: 1, peer: true },
  { runtime: 'tfjs-wasm', threads: 1, peer: true },
  { runtime: 'tfjs-cpu', threads: 1, peer: true },
  { runtime: 'ort-web', threads: 1, peer: true, kinds: ['classifier'] },
  { runtime: 'ort-web', threads: 2, peer: true, kinds: ['classifier'] },
  { runtime: 'ort-node', threads: 1, peer: true, kinds: ['classifier'] },
  { runtime: 'ort-node', threads: 2, peer: true, kinds: ['classifier'] },
];

function runJob(job: NetJob): NetResult {
  const runner = fileURLToPath(new URL('./net-runner.js', import.meta.url));
  const r = spawnSync(process.execPath, [runner, JSON.stringify(job)], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 15 * 60_000 });
  const line = (r.stdout ?? '').split('\n').reverse().find((l) => l.startsWith('{'));
  if (!line) return { ok: false, error: `runner produced no result (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}): ${(r.stderr ?? '').trim().split('\n').slice(-1)[0] ?? ''}` };
  return JSON.parse(line) as NetResult;
}

async function main(): Promise<void> {
  const start = machineInfo();
  const date = new Date().toISOString();
  log(`${start.cpu}, Node ${start.node}, load ${start.loadavg.join(' ')}`);

  let kernelRows: KernelRow[] = [];
  if (!flag('--network-only') && !flag('--browser-only')) {
    const shapes = readShapes(repoPath('data', 'shapes', 'mobilenet_v2_1.0_224.tsv'));
    kernelRows = await runKernelBench(quick ? shapes.filter((_, i) => i % 6 === 0) : shapes, KERNEL_BACKENDS, { timeMs: quick ? 30 : 250, log });
  }
  const q8Section = flag('--network-only') || flag('--no-q8') ? null : await runQ8KernelBench({ quick, timeMs: quick ? 30 : 250, log });

  const netRows: NetRow[] = [];
  const notes: string[] = [];
  if (!flag('--kernels-only') && !flag('--browser-only')) {
    for (const [mi, config] of MODEL_CONFIGS.entries()) {
      if (onlyModels && !onlyModels.some((n) => config.name.includes(n))) continue;
      const missing = unavailable(config);
      if (missing !== null) {
        notes.push(`${config.name}: skipped: ${missing}`);
        log(`${config.name}: skipped (${missing})`);
        continue;
      }
      const m = buildModel(config);
      mkdirSync(CACHE_DIR, { recursive: true });
      const oraclePath = `${CACHE_DIR}/oracle-${mi}.f32`;
      await writeOracle(m, oraclePath);
      const wanted = NET_RUNTIMES.filter((r) => (!r.peer || !flag('--no-peers')) && (!r.kinds || r.kinds.includes(config.kind)) && (!onlyRuntimes || onlyRuntimes.includes(r.runtime)));
      const runtimes = wanted.filter((r) => {
        if (r.runtime !== 'ort-web' && r.runtime !== 'ort-node') return true;
        const missing = peerPackageMissing(r.runtime);
        if (missing !== null && r.threads === 1) notes.push(`${config.name}: ${r.runtime} rows skipped: ${missing}`);
        return missing === null;
      });
      let onnxPath: string | undefined;
      if (runtimes.some((r) => r.runtime.startsWith('ort'))) {
        try {
          onnxPath = ensureOnnx(m);
        } catch (e) {
          notes.push(`${config.name}: ORT rows skipped: ${(e as Error).message}`);
        }
      }
      const rows = runtimes.map((r) => ({ model: config, flops: 2 * m.madds, runtime: r.runtime, threads: r.threads, rounds: [] as NetResult[] }));
      for (let round = 0; round < rounds; round++) {
        // Alternate the order between rounds so slow drifts in machine load spread over all rows.
        const order = round % 2 === 0 ? rows : [...rows].reverse();
        for (const row of order) {
          if (row.runtime.startsWith('ort') && onnxPath === undefined) {
            row.rounds.push({ ok: false, error: 'no ONNX file (see notes)' });
            continue;
          }
          log(`${config.name}: ${row.runtime} ${row.threads}T (round ${round + 1}/${rounds})`);
          const job: NetJob = { runtime: row.runtime, threads: row.threads, model: mi, timeMs: netTimeMs, oraclePath, ...(onnxPath ? { onnxPath } : {}) };
          const result = runJob(job);
          if (!result.ok) log(`  failed: ${result.error}`);
          else log(`  ${result.medianMs!.toFixed(3)} ms (other cores ${result.otherCores?.toFixed(2) ?? 'n/a'})`);
          row.rounds.push(result);
        }
      }
      netRows.push(...rows);
    }
  }

  // Quantized files on the integer path (bench/integer.ts in its own process; it spawns one per runtime).
  let integerSection: string | null = null;
  if (!flag('--kernels-only') && !flag('--browser-only') && !flag('--no-integer')) {
    const all = ['classifier', 'deeplab', 'int8-ptq', 'ssd-int8'];
    const models = onlyModels ? all.filter((m) => onlyModels.some((n) => m.includes(n.toLowerCase()) || n.toLowerCase().includes(m))) : all;
    if (models.length > 0) {
      log(`quantized files on the integer path: ${models.join(', ')}`);
      const r = spawnSync(process.execPath, [fileURLToPath(new URL('./integer.js', import.meta.url)), '--models', models.join(','), '--reps', String(quick ? 5 : 20), '--rounds', String(rounds)], { encoding: 'utf8', maxBuffer: 1 << 24 });
      const table = (r.stdout ?? '').trim();
      if (r.status === 0 && table.startsWith('|')) integerSection = table;
      else notes.push(`quantized files (bench/integer.ts): skipped: ${(r.stderr ?? '').trim().split('\n').pop() ?? `exit ${r.status}`}`);
    }
  }

  let browser: BrowserBench | null = null;
  const browserLoad = { start: machineInfo().loadavg, end: [] as readonly number[] };
  if (!flag('--kernels-only') && !flag('--network-only') && !flag('--no-browser') && (!onlyModels || onlyModels.some((n) => BROWSER_MODEL.includes(n)))) {
    try {
      browser = await runBrowserBench({ log, ...(quick ? { rounds: 2, runsPerRound: 3, warmupMs: 500 } : {}) });
    } catch (e) {
      browser = { ok: false, skipped: `failed: ${(e as Error).message.split('\n')[0]}` };
    }
    if (!browser.ok) log(`browser row skipped: ${browser.skipped}`);
    browserLoad.end = machineInfo().loadavg;
  }

  const end: MachineInfo = machineInfo();
  const title = `mobilenetv2 bench ${date}`;
  const md: string[] = [`# ${title}`, '', machineLines(start, end), `- Rounds: ${rounds}; network timed budget ${netTimeMs} ms per configuration (each in its own process, after ≥ 1.5 s of warm-up)`, ''];
  if (netRows.length > 0) {
    md.push('## Whole network (batch 1)', '', networkTable(netRows), '');
    md.push('Ratios are this row\'s median ÷ the peer\'s median (< 1 = faster than the peer). GFLOP/s = 2 × MAdds (conv + FC) / median.');
    md.push('Oracle = our scalar backend\'s outputs (computed with ts-fast, bit-identical to it): classifier logits; DeepLab logits upsampled to the input size; SSDLite box encodings and class logits.');
    md.push('"argmax = oracle": the classifier\'s top-1 class, or the share of DeepLab pixels / SSDLite anchors whose highest-scoring class equals the oracle\'s.');
    md.push('Peers per network: classifiers — TFLite interpreter, TF.js WASM and CPU, ONNX Runtime Web 1/2 threads, onnxruntime-node 1/2 threads; DeepLab and SSDLite — TFLite interpreter, TF.js WASM and CPU (no ONNX export of the heads, so no ORT rows).');
    md.push('Same weights everywhere: the TFLite interpreter runs the real .tflite file (DeepLab 257) or our float32 export of the bench weights; TF.js builds its graph from our folded weights; ORT runs an ONNX export of the same state dict.', '');
    const solo = soloNotes(netRows);
    if (solo.length > 0) md.push(...solo.map((n) => `- ${n}`), '');
    md.push('### Targets (reported, not asserted)', '', targetLines(netRows, MODEL_CONFIGS), '');
    if (rounds > 1) {
      md.push('### Per-round medians ms [other cores]', '');
      for (const r of netRows) {
        md.push(`- ${r.model.name} ${r.runtime} ${r.threads}T: ${r.rounds.map((x) => (x.ok ? `${x.medianMs!.toFixed(3)} [${x.otherCores?.toFixed(2) ?? 'n/a'}]` : 'failed')).join(', ')}`);
      }
      md.push('');
    }
  }
  if (integerSection !== null) {
    md.push('## Quantized files: our integer path vs the TFLite interpreter (batch 1)', '');
    md.push('Same .tflite file and input for both, one process per runtime; each of our runs is first checked against the interpreter\'s outputs byte for byte (identical / WRONG). classifier, deeplab: the shared uint8 files; int8-ptq: the classifier re-quantized per channel by our exporter; ssd-int8: an int8 SSDLite 1.0/300 from our exporter (random weights, raw outputs). Target: ours 1 thread ≤ 0.8× the interpreter on the uint8 classifier.', '');
    md.push(integerSection, '');
  }
  if (browser !== null) md.push('## In the browser (batch 1)', '', ...browserSection(browser, browserLoad));
  if (kernelRows.length > 0) {
    md.push('## Kernels: MobileNetV2 1.0/224 layers (data/shapes/mobilenet_v2_1.0_224.tsv)', '', 'Timed call = the Backend op as forward() uses it (wasm-simd: copy in, kernel, copy out). Median of tinybench samples.', '', kernelTable(kernelRows, KERNEL_BACKENDS), '');
  }
  if (q8Section !== null) md.push(q8Section, '');
  if (notes.length > 0) md.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  const report = md.join('\n');
  process.stdout.write(report + '\n');

  const dir = repoPath('bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = date.replace(/[:]/g, '-').replace(/\..*/, '');
  writeFileSync(`${dir}/${stamp}.md`, report);
  if (netRows.length > 0) writeFileSync(`${dir}/${stamp}.svg`, svgChart(netRows, MODEL_CONFIGS, title));
  log(`wrote bench/results/${stamp}.md${netRows.length > 0 ? ' and .svg' : ''}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
