// SPDX-License-Identifier: Apache-2.0
/**
 * `info --memory`: per layer, the activation bytes live under layer-by-layer and memory-efficient
 * execution (memory-plan.ts), the peak and Eq. (2)'s M(G) of each, and for the classifier the
 * paper's Table 3 (both published variants) beside our per-resolution figures.
 */
import {
  classifierMemoryPlan, materializedPerResolution, memoryPlanOf,
  PAPER_TABLE3_MAX, PAPER_TABLE3_MOBILENETV2, type MemoryNetwork,
} from './memory-plan.js';
import { buildPlan } from './plan.js';
import { buildDeeplabPlan } from './deeplab.js';
import { buildSsdlitePlan } from './ssdlite.js';

/** The layer an op belongs to: features.N for backbone ops, the op's own name in the heads. */
function layerOf(op: string): string {
  const m = /^(features\.\d+)/.exec(op);
  return m ? m[1]! : op;
}

export interface MemoryLayerRow {
  layer: string;
  /** Largest live set (bytes) of the layer's ops, layer by layer. */
  layerwise: number;
  /** The same under memory-efficient execution (fused bottlenecks). */
  efficient: number;
  /** Eq. (2) of the layer's largest op, memory-efficient. */
  eq2: number;
  /** Tile rows · scratch bytes of a fused bottleneck (0 otherwise). */
  tileRows: number;
  scratch: number;
}

export interface MemoryReport {
  bytesPerElement: number;
  layers: MemoryLayerRow[];
  layerwise: { peakLive: number; eq2: number; eq2Op: string; arena: number };
  efficient: { peakLive: number; eq2: number; eq2Op: string; arena: number; footprint: number };
  stemTrick: { peakLive: number; eq2: number; eq2Op: string };
  table3?: { size: number; ours: string; oursTensor: string; v4: string; variant: string }[];
}

export function memoryReport(net: MemoryNetwork, bytesPerElement = 4): MemoryReport {
  const lw = memoryPlanOf(net, { execution: 'layerwise', bytesPerElement });
  const ef = memoryPlanOf(net, { execution: 'efficient', bytesPerElement });
  const st = memoryPlanOf(net, { execution: 'efficient', bytesPerElement, stemTrick: true });
  const rows = new Map<string, MemoryLayerRow>();
  const row = (layer: string): MemoryLayerRow => {
    let r = rows.get(layer);
    if (!r) rows.set(layer, (r = { layer, layerwise: 0, efficient: 0, eq2: 0, tileRows: 0, scratch: 0 }));
    return r;
  };
  for (const op of lw.ops) { const r = row(layerOf(op.name)); r.layerwise = Math.max(r.layerwise, op.liveBytes); }
  for (const op of ef.ops) {
    const r = row(layerOf(op.name));
    r.efficient = Math.max(r.efficient, op.liveBytes);
    r.eq2 = Math.max(r.eq2, op.eq2Bytes);
    if (op.tileRows > 0) { r.tileRows = op.tileRows; r.scratch = op.scratchBytes; }
  }
  const report: MemoryReport = {
    bytesPerElement,
    layers: [...rows.values()],
    layerwise: { peakLive: lw.peakLiveBytes, eq2: lw.eq2Bytes, eq2Op: lw.eq2Op, arena: lw.arenaBytes },
    efficient: { peakLive: ef.peakLiveBytes, eq2: ef.eq2Bytes, eq2Op: ef.eq2Op, arena: ef.arenaBytes, footprint: ef.footprintBytes },
    stemTrick: { peakLive: st.peakLiveBytes, eq2: st.eq2Bytes, eq2Op: st.eq2Op },
  };
  if (net.head === 'classifier') {
    // Table 3 is stated for 16-bit activations with the stem trick.
    const ours = materializedPerResolution(classifierMemoryPlan(net.plan, { execution: 'efficient', bytesPerElement: 2, stemTrick: true }));
    report.table3 = ours.map((r) => {
      const paper = PAPER_TABLE3_MOBILENETV2.find((p) => p.size === r.size);
      return { size: r.size, ours: `${r.channels}/${(r.bytes / 1000).toFixed(1)}`, oursTensor: r.tensor, v4: paper?.v4 ?? '–', variant: paper?.variant ?? '–' };
    });
  }
  return report;
}

const num = (v: number): string => v.toLocaleString('en-US');

export function formatMemoryReport(r: MemoryReport, title: string): string {
  const head = ['layer', 'layerwise live', 'efficient live', 'efficient Eq.(2)', 'tile rows', 'tile scratch'];
  const body = r.layers.map((l) => [l.layer, num(l.layerwise), num(l.efficient), num(l.eq2), l.tileRows ? String(l.tileRows) : '-', l.scratch ? num(l.scratch) : '-']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const lines = [
    `${title}: activation bytes (${r.bytesPerElement}-byte values, batch 1) live while each layer runs`,
    '',
    fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt), '',
    `layer by layer:  peak ${num(r.layerwise.peakLive)} B; Eq. (2) M(G) ${num(r.layerwise.eq2)} B at ${r.layerwise.eq2Op}; first-fit arena ${num(r.layerwise.arena)} B`,
    `memory-efficient: peak ${num(r.efficient.peakLive)} B; Eq. (2) M(G) ${num(r.efficient.eq2)} B at ${r.efficient.eq2Op} (|op| = tile scratch); arena ${num(r.efficient.arena)} B + input = ${num(r.efficient.footprint)} B`,
    `  + stem trick (Table 3 footnote: the stem conv is the first bottleneck's expansion): peak ${num(r.stemTrick.peakLive)} B; M(G) ${num(r.stemTrick.eq2)} B at ${r.stemTrick.eq2Op}`,
    `    (the runner does it where it applies — a t = 1 bottleneck right after the stem, as in every MobileNetV2 — by default on wasm-simd, whose fused kernel runs the stem as that expansion in one call, elsewhere with memoryExecutionFor(…, { stemTrick: true }); the stem's output is then not offered as a tap, and asking for it as one turns the fold off)`,
  ];
  if (r.table3) {
    lines.push('', 'Table 3 (MobileNetV2 column: max channels / kB materialised per resolution, 16-bit floats, stem trick):', '');
    const t = [['size', 'ours', 'tensor', 'paper arXiv v4', 'paper variant'], ...r.table3.map((x) => [`${x.size}x${x.size}`, x.ours, x.oursTensor, x.v4, x.variant])];
    const w = t[0]!.map((_, i) => Math.max(...t.map((row) => row[i]!.length)));
    for (const row of t) lines.push(row.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd());
    lines.push(`max (paper): v4 ${PAPER_TABLE3_MAX.v4}, variant ${PAPER_TABLE3_MAX.variant}. The paper's 56/28/14 cells carry the next Table 2 row's c;`);
    lines.push('its 7x7 cell assumes the 1280 conv is fused with the pool (not done here); the variant\'s 1/O(1) at 112 streams features.1 into features.2 too.');
  }
  return lines.join('\n');
}

export interface MemoryInfoOptions {
  head: 'classifier' | 'deeplab' | 'ssdlite';
  width?: number;
  resolution?: number;
  classes?: number;
  padding?: 'symmetric' | 'tf-same';
  outputStride?: 8 | 16;
  aspp?: 'none' | 'plain' | 'separable';
}

/** The network `info --memory` describes, built from the same options as `info`. */
export function memoryNetwork(o: MemoryInfoOptions): MemoryNetwork {
  const common = { width: o.width, resolution: o.resolution, classes: o.classes, padding: o.padding };
  if (o.head === 'deeplab') return { head: 'deeplab', plan: buildDeeplabPlan({ ...common, outputStride: o.outputStride, aspp: o.aspp }) };
  if (o.head === 'ssdlite') return { head: 'ssdlite', plan: buildSsdlitePlan(common) };
  return { head: 'classifier', plan: buildPlan(common) };
}

export function memoryInfoText(o: MemoryInfoOptions, json: boolean): string {
  const net = memoryNetwork(o);
  const r = memoryReport(net);
  if (json) return JSON.stringify(r, null, 2);
  const p = net.head === 'classifier' ? net.plan.options : net.plan.backbone.options;
  return formatMemoryReport(r, `${net.head === 'classifier' ? 'MobileNetV2' : net.head === 'deeplab' ? 'Mobile DeepLabv3' : 'SSDLite'} width ${p.width}, ${p.inputH}x${p.inputW}`);
}
