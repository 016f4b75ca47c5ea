// SPDX-License-Identifier: Apache-2.0
/** The markdown of the in-browser row (bench/browser/runner.ts). */
import type { BrowserBench } from './runner.js';
import type { PageResult, PageRow } from './page.js';

const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(3));

function peer(page: PageResult, runtime: PageRow['runtime']): PageRow | undefined {
  return page.rows.find((r) => r.runtime === runtime && r.medianMs !== undefined);
}

/** One table: a line per runtime per page, ratios against the peers timed in that same page. */
export function browserTable(result: Extract<BrowserBench, { ok: true }>): string {
  const head = ['page: peers at', 'runtime', 'threads used', 'median ms/img', 'min–max ms', 'timed runs', '÷ TF.js WASM (same page)', '÷ ORT Web (same page)', 'max \\|Δ\\| vs oracle', '÷ max \\|oracle\\|', 'top-1 = oracle']; // pipes escaped: inside a table cell
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const page of result.pages) {
    const tfjs = peer(page, 'tfjs-wasm');
    const ort = peer(page, 'ort-web');
    for (const r of page.rows) {
      const ratio = (p: PageRow | undefined): string => (p && p !== r && r.medianMs !== undefined ? `${(r.medianMs / p.medianMs!).toFixed(2)}×` : '');
      const cells = [`${page.peerThreads}T`, r.label, String(r.threads)];
      if (r.error !== undefined && r.medianMs === undefined) {
        cells.push(`FAILED: ${r.error.replace(/\|/g, '/')}`, '', '', '', '');
      } else {
        const bold = r.runtime === 'wasm-simd' ? '**' : '';
        cells.push(r.medianMs !== undefined ? `${bold}${fmt(r.medianMs)}${bold}` : 'not timed', r.medianMs !== undefined ? `${fmt(r.minMs!)}–${fmt(r.maxMs!)}` : '', String(r.runs ?? 0), ratio(tfjs), ratio(ort));
      }
      cells.push(r.maxAbsDiff !== undefined ? r.maxAbsDiff.toExponential(1) : '', r.maxAbsDiff !== undefined && r.scale ? (r.maxAbsDiff / r.scale).toExponential(1) : '');
      cells.push(r.top1 === undefined ? '' : r.top1 === r.oracleTop1 ? 'yes' : `NO (${r.top1} vs ${r.oracleTop1})`);
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** The section of the bench report: the table and what it measured, or the skip line. */
export function browserSection(result: BrowserBench, loadavg: { start: readonly number[]; end: readonly number[] }): string[] {
  if (!result.ok) return [`In-browser row skipped: ${result.skipped}.`, ''];
  const ua = result.pages[0]?.userAgent.match(/(?:Headless)?Chrome\/[\d.]+/)?.[0] ?? 'Chromium';
  const isolated = result.pages.every((p) => p.crossOriginIsolated);
  const md = [
    `${result.model.name} (same golden-recipe weights as the Node rows) in ${result.chromium} (${ua}), headless, driven by playwright-core; ` +
      `pages served from 127.0.0.1 with COOP/COEP (crossOriginIsolated: ${isolated ? 'yes' : 'NO — threads unavailable'}); navigator.hardwareConcurrency ${result.pages[0]?.hardwareConcurrency ?? '?'}.`,
    '',
    browserTable(result),
    '',
    'One page per peer thread count (TF.js and ORT fix their thread pools when their WASM module starts); each page times all four runtimes in alternating order. ' +
      'Ratio = this row\'s median ÷ the peer\'s median in the same page (< 1 = faster than the peer). Oracle = our ts-fast logits computed in Node (bit-identical to the scalar backend).',
  ];
  for (const page of result.pages) {
    for (const r of page.rows) {
      if (r.soloShare !== undefined && r.soloShare >= 0.01) md.push(`- ${r.label}, page with peers at ${page.peerThreads}T: ${(100 * r.soloShare).toFixed(0)} % of the layers ran on the main thread alone (adaptive backoff: no free core).`);
    }
  }
  // Chromium's processes are not this process, so the Node rows' "other cores" probe cannot separate them: the load average says how busy the machine was.
  md.push(`- Load average at the start of the browser row: ${loadavg.start.join(', ')}; at its end: ${loadavg.end.join(', ')} (on ${result.pages[0]?.hardwareConcurrency ?? '?'} logical CPUs: above ~0.5 per CPU the 2-thread figures are contended).`);
  md.push(...result.notes.map((n) => `- ${n}`), '');
  return md;
}
