// SPDX-License-Identifier: Apache-2.0
/** Markdown tables and the SVG bar chart of a bench run. */
import type { MachineInfo } from './machine.js';
import { CONTENDED_CORES } from './machine.js';
import type { KernelBackendSpec, KernelRow } from './kernels.js';
import type { ModelConfig } from './models.js';
import type { NetResult, Runtime } from './net-runner.js';

export interface NetRow {
  readonly model: ModelConfig;
  /** 2 × MAdds per image (conv + FC, TF-slim convention). */
  readonly flops: number;
  readonly runtime: Runtime;
  readonly threads: number;
  /** One result per round. */
  readonly rounds: readonly NetResult[];
}

const fmt = (v: number, digits = 3): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(digits));
const ours = (r: Runtime): boolean => r === 'scalar' || r === 'ts-fast' || r === 'wasm-simd' || r === 'ts-fast-fused' || r === 'wasm-simd-fused';

/** Pooled view of a row's rounds: the median of the round medians, the extreme min/max. */
export function summary(row: NetRow): { ok: true; median: number; min: number; max: number; r: NetResult; contended: boolean } | { ok: false; error: string } {
  const good = row.rounds.filter((r) => r.ok);
  if (good.length === 0) return { ok: false, error: row.rounds[0]?.error ?? 'not run' };
  const medians = good.map((r) => r.medianMs!).sort((a, b) => a - b);
  const median = medians[Math.floor((medians.length - 1) / 2)]!;
  const r = good.find((x) => x.medianMs === median)!;
  return {
    ok: true,
    median,
    min: Math.min(...good.map((x) => x.minMs!)),
    max: Math.max(...good.map((x) => x.maxMs!)),
    r,
    contended: good.every((x) => (x.otherCores ?? 0) > CONTENDED_CORES),
  };
}

export function rowLabel(row: NetRow): string {
  switch (row.runtime) {
    case 'scalar': return 'ours: scalar (oracle)';
    case 'ts-fast': return 'ours: ts-fast';
    case 'wasm-simd': return 'ours: wasm-simd';
    case 'ts-fast-fused': return 'ours: ts-fast, fused blocks (--memory efficient)';
    case 'wasm-simd-fused': return 'ours: wasm-simd, fused blocks (--memory efficient)';
    case 'tflite': return 'TFLite interpreter (WASM SIMD, XNNPACK)';
    case 'tfjs-wasm': return 'TF.js WASM (XNNPACK, SIMD)';
    case 'tfjs-cpu': return 'TF.js CPU (pure JS)';
    case 'ort-web': return 'ONNX Runtime Web (WASM SIMD)';
    case 'ort-node': return 'onnxruntime-node (native)';
  }
}

const PEERS: ReadonlyArray<{ runtime: Runtime; threads: number; head: string }> = [
  { runtime: 'tflite', threads: 1, head: '÷ TFLite' },
  { runtime: 'tfjs-wasm', threads: 1, head: '÷ TF.js WASM' },
  { runtime: 'tfjs-cpu', threads: 1, head: '÷ TF.js CPU' },
  { runtime: 'ort-web', threads: 1, head: '÷ ORT Web 1T' },
  { runtime: 'ort-web', threads: 2, head: '÷ ORT Web 2T' },
  { runtime: 'ort-node', threads: 1, head: '÷ ORT native 1T' },
];

function find(rows: readonly NetRow[], model: ModelConfig, runtime: Runtime, threads: number): NetRow | undefined {
  return rows.find((r) => r.model === model && r.runtime === runtime && r.threads === threads);
}

/** Notes on threaded rows of ours that ran part of the layers single-threaded (adaptive backoff). */
export function soloNotes(rows: readonly NetRow[]): string[] {
  const notes: string[] = [];
  for (const row of rows) {
    const s = summary(row);
    if (!s.ok || s.r.soloShare === undefined || s.r.soloShare < 0.01) continue;
    notes.push(`${rowLabel(row)} ${row.threads}T, ${row.model.name}: ${(100 * s.r.soloShare).toFixed(0)} % of the layers ran on the main thread alone (other processes left no free core; see src/backend/wasm-pool.ts).`);
  }
  return notes;
}

export function networkTable(rows: readonly NetRow[]): string {
  const head = ['runtime', 'model', 'threads', 'median ms/img', 'min–max ms', 'GFLOP/s', ...PEERS.map((p) => p.head), 'CPU ms/img', 'other cores', 'peak RSS MB', 'max |Δ| vs oracle', '÷ max |oracle|', 'argmax = oracle'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const row of rows) {
    const s = summary(row);
    const cells = [rowLabel(row), row.model.name, String(row.threads)];
    if (!s.ok) {
      cells.push(`FAILED: ${s.error.replace(/\|/g, '/')}`, ...new Array<string>(head.length - 4).fill(''));
    } else {
      cells.push(`${ours(row.runtime) ? '**' : ''}${fmt(s.median)}${ours(row.runtime) ? '**' : ''}${s.contended ? ' (c)' : ''}`);
      cells.push(`${fmt(s.min)}–${fmt(s.max)}`);
      cells.push(fmt(row.flops / (s.median * 1e6)));
      for (const p of PEERS) {
        const peer = find(rows, row.model, p.runtime, p.threads);
        const ps = peer ? summary(peer) : null;
        cells.push(ps && ps.ok && !(peer === row) ? `${(s.median / ps.median).toFixed(2)}×` : '');
      }
      cells.push(fmt(s.r.cpuMsPerImg!));
      cells.push(s.r.otherCores === null || s.r.otherCores === undefined ? 'n/a' : s.r.otherCores.toFixed(2));
      cells.push(s.r.rssMB!.toFixed(0));
      cells.push(s.r.maxAbsDiff!.toExponential(1));
      cells.push(s.r.scale ? (s.r.maxAbsDiff! / s.r.scale).toExponential(1) : '');
      // Classifier: the top-1 class; heads: the share of pixels (DeepLab) or anchors (SSDLite).
      const agree = s.r.argmaxAgreement!;
      cells.push(row.model.kind === 'classifier' ? (agree === 1 ? 'yes' : 'NO') : agree === 1 ? '100 %' : `${(100 * agree).toFixed(4)} %`);
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The issue's targets, computed (reported, never asserted). */
export function targetLines(rows: readonly NetRow[], models: readonly ModelConfig[]): string {
  const out: string[] = [];
  const med = (m: ModelConfig, rt: Runtime, t: number): number | null => {
    const row = find(rows, m, rt, t);
    const s = row ? summary(row) : null;
    return s && s.ok ? s.median : null;
  };
  const check = (what: string, value: number | null, op: '≤' | '≥', target: number, stretch?: number): void => {
    if (value === null) {
      out.push(`- ${what}: not measured`);
      return;
    }
    const met = op === '≤' ? value <= target : value >= target;
    const st = stretch === undefined ? '' : ` (stretch ${op} ${stretch}: ${(op === '≤' ? value <= stretch : value >= stretch) ? 'met' : 'not met'})`;
    out.push(`- ${what}: **${value.toFixed(2)}** (target ${op} ${target}: ${met ? 'met' : 'NOT met'})${st}`);
  };
  const ratio = (a: number | null, b: number | null): number | null => (a !== null && b !== null ? a / b : null);
  const info = (what: string, value: number | null): void => {
    if (value !== null) out.push(`- ${what}: ${value.toFixed(2)} (no target)`);
  };
  for (const m of models) {
    if (!rows.some((r) => r.model === m)) continue;
    out.push(`${m.name}:`);
    check('wasm-simd 1T ÷ TF.js WASM', ratio(med(m, 'wasm-simd', 1), med(m, 'tfjs-wasm', 1)), '≤', 0.8, 0.6);
    check('wasm-simd 2T ÷ wasm-simd 1T', ratio(med(m, 'wasm-simd', 2), med(m, 'wasm-simd', 1)), '≤', 0.55);
    if (m.kind === 'classifier') check('wasm-simd 2T ÷ ORT Web 2T', ratio(med(m, 'wasm-simd', 2), med(m, 'ort-web', 2)), '≤', 0.7);
    else out.push('- wasm-simd 2T ÷ ORT Web 2T: not measured (no ONNX export of this head; ORT runs the classifiers only)');
    check('TF.js CPU ÷ ts-fast (speed-up)', ratio(med(m, 'tfjs-cpu', 1), med(m, 'ts-fast', 1)), '≥', 6);
    info('wasm-simd 1T ÷ TFLite interpreter (XNNPACK, 1 thread)', ratio(med(m, 'wasm-simd', 1), med(m, 'tflite', 1)));
    // issue 13: the memory-efficient (fused) path
    check('wasm-simd fused 1T ÷ TFLite interpreter', ratio(med(m, 'wasm-simd-fused', 1), med(m, 'tflite', 1)), '≤', 0.8);
    check('wasm-simd fused 1T ÷ TF.js WASM', ratio(med(m, 'wasm-simd-fused', 1), med(m, 'tfjs-wasm', 1)), '≤', 0.75);
    check('wasm-simd fused 2T ÷ wasm-simd fused 1T', ratio(med(m, 'wasm-simd-fused', 2), med(m, 'wasm-simd-fused', 1)), '≤', 0.55);
    info('wasm-simd fused 1T ÷ wasm-simd layer by layer 1T', ratio(med(m, 'wasm-simd-fused', 1), med(m, 'wasm-simd', 1)));
    info('ts-fast fused ÷ ts-fast layer by layer', ratio(med(m, 'ts-fast-fused', 1), med(m, 'ts-fast', 1)));
  }
  return out.join('\n');
}

export function kernelTable(rows: readonly KernelRow[], specs: readonly KernelBackendSpec[]): string {
  const head = ['layer', 'kind', 'shape', 'MFLOP', ...specs.map((s) => `${s.label} GFLOP/s`), ...specs.map((s) => `${s.label} ms`), 'other cores'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 3 ? '---' : '---:')).join('|')}|`];
  const totals = new Map<string, number>();
  let flops = 0;
  for (const row of rows) {
    const sh = row.shape;
    const g = sh.geometry;
    const shape = sh.kind === 'fc'
      ? `${sh.inC}→${sh.outC}`
      : `${g.inH}×${g.inW}×${sh.inC}→${sh.outC} k${g.kH} s${g.strideH}${g.dilationH > 1 ? ` d${g.dilationH}` : ''}`;
    const mflop = (2 * sh.madds) / 1e6;
    flops += 2 * sh.madds;
    const gf: string[] = [];
    const ms: string[] = [];
    for (const s of specs) {
      const c = row.cells.get(s.label);
      if (c === undefined || typeof c === 'string') {
        gf.push(c ?? '');
        ms.push('');
        continue;
      }
      totals.set(s.label, (totals.get(s.label) ?? 0) + c.medianMs);
      gf.push(fmt(c.gflops));
      ms.push(c.medianMs.toFixed(3));
    }
    lines.push(`| ${[sh.layer, sh.kind, shape, mflop.toFixed(1), ...gf, ...ms, row.otherCores === null ? 'n/a' : row.otherCores.toFixed(2)].join(' | ')} |`);
  }
  const tg = specs.map((s) => (totals.has(s.label) ? `**${fmt(flops / (totals.get(s.label)! * 1e6))}**` : ''));
  const tm = specs.map((s) => (totals.has(s.label) ? `**${totals.get(s.label)!.toFixed(2)}**` : ''));
  lines.push(`| **all layers (sum of medians)** | | | ${(flops / 1e6).toFixed(0)} | ${tg.join(' | ')} | ${tm.join(' | ')} | |`);
  return lines.join('\n');
}

export function machineLines(info: MachineInfo, end: MachineInfo | null): string {
  return [
    `- Node ${info.node} (V8 ${info.v8}), ${info.cpu}, ${info.cores} logical CPUs`,
    `- Load average at start: ${info.loadavg.join(', ')}${end ? `; at end: ${end.loadavg.join(', ')}` : ''}`,
    `- "other cores" = cores the rest of the machine used during that timed loop (/proc/stat minus this process); ` +
      `a median marked (c) was timed while others used > ${CONTENDED_CORES} cores (contended: single-thread rows move little, 2-thread rows collapse).`,
  ].join('\n');
}

/** Horizontal bars, one panel per model, log-scaled ms (ours blue, peers grey). */
export function svgChart(rows: readonly NetRow[], models: readonly ModelConfig[], title: string): string {
  const barH = 18, gap = 4, labelW = 300, plotW = 520, valueW = 90, panelGap = 36, top = 40;
  const parts: string[] = [];
  let y = top;
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  for (const m of models) {
    const entries = rows
      .filter((r) => r.model === m)
      .map((r) => ({ r, s: summary(r) }))
      .filter((e): e is { r: NetRow; s: Extract<ReturnType<typeof summary>, { ok: true }> } => e.s.ok)
      .sort((a, b) => a.s.median - b.s.median);
    if (entries.length === 0) continue;
    const lo = Math.floor(Math.log10(Math.min(...entries.map((e) => e.s.median))));
    const hi = Math.ceil(Math.log10(Math.max(...entries.map((e) => e.s.median))));
    const span = Math.max(1, hi - lo);
    const xOf = (ms: number): number => labelW + ((Math.log10(ms) - lo) / span) * plotW;
    parts.push(`<text x="10" y="${y}" font-weight="bold">${esc(m.name)} — median ms per image (log scale, shorter is faster)</text>`);
    y += 10;
    const panelTop = y;
    const gridAt = parts.length;
    for (const e of entries) {
      const label = `${rowLabel(e.r)}${e.r.threads > 1 ? ` ${e.r.threads}T` : e.r.runtime.startsWith('wasm-simd') || e.r.runtime.startsWith('ort') ? ' 1T' : ''}`;
      const colour = ours(e.r.runtime) ? '#2b6cb0' : '#a0aec0';
      parts.push(`<text x="${labelW - 8}" y="${y + barH - 5}" text-anchor="end">${esc(label)}</text>`);
      parts.push(`<rect x="${labelW}" y="${y}" width="${Math.max(1, xOf(e.s.median) - labelW).toFixed(1)}" height="${barH}" fill="${colour}"/>`);
      parts.push(`<text x="${(xOf(e.s.median) + 6).toFixed(1)}" y="${y + barH - 5}">${fmt(e.s.median)} ms${e.s.contended ? ' (c)' : ''}</text>`);
      y += barH + gap;
    }
    const grid: string[] = [];
    for (let d = lo; d <= hi; d++) {
      const x = labelW + ((d - lo) / span) * plotW;
      grid.push(`<line x1="${x}" y1="${panelTop}" x2="${x}" y2="${y}" stroke="#e2e8f0"/>`);
      grid.push(`<text x="${x}" y="${y + 14}" text-anchor="middle" fill="#718096">${10 ** d >= 1 ? 10 ** d : (10 ** d).toPrecision(1)}</text>`);
    }
    parts.splice(gridAt, 0, ...grid); // behind the bars
    y += panelGap;
  }
  const width = labelW + plotW + valueW + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
