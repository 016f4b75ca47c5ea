// SPDX-License-Identifier: Apache-2.0
/** The `info` report (used by `mobilenetv2 info`): the layer table of a configuration, with parameters and multiply-adds. */
import type { MobileNetV2Plan } from './plan.js';

export interface InfoLayer {
  name: string;
  op: string;
  t: number | null;
  c: number | null;
  n: number | null;
  s: number | null;
  in: number[];
  out: number[];
  params: number;
  madds: number;
  residual?: boolean;
}

export interface InfoReport {
  width: number;
  resolution: number | [number, number];
  classes: number;
  params: number;
  madds: number;
  layers: InfoLayer[];
  [extra: string]: unknown;
}

/** The JSON form of `info`: `{ width, resolution, classes, params, madds, layers: [{ name, op, in, out, params, madds }] }`. */
export function planInfo(plan: MobileNetV2Plan): InfoReport {
  const o = plan.options;
  const layers: InfoLayer[] = plan.blocks.map((b) => {
    const first = b.convs[0]!;
    const dw = b.convs.find((c) => c.kind === 'depthwise');
    const dil = dw && dw.dilation > 1 ? ` d${dw.dilation}` : '';
    const op = b.kind === 'stem' ? `conv2d 3x3 s${first.stride}`
      : b.kind === 'conv1x1' ? 'conv2d 1x1'
      : `bottleneck s${dw?.stride ?? 1}${dil}${b.residual ? ' +residual' : ''}`;
    const row = b.kind === 'bottleneck' ? { t: b.t, c: b.c, n: b.n, s: b.s } : { t: null, c: b.c, n: 1, s: b.s };
    return { name: b.name, op, ...row, in: [...b.inShape], out: [...b.outShape], params: b.params, madds: b.madds, residual: b.residual };
  });
  if (plan.taps.includes('pool')) {
    const last = plan.blocks[plan.blocks.length - 1]!;
    const [h, w, c] = last.outShape;
    layers.push({ name: 'pool', op: `avgpool ${h}x${w}`, t: null, c: null, n: null, s: null, in: [h, w, c], out: [1, 1, c], params: 0, madds: 0 });
  }
  if (plan.classifier) {
    const k = plan.classifier;
    layers.push({ name: 'classifier', op: 'fc', t: null, c: k.classes, n: null, s: null, in: [1, 1, k.inC], out: [k.classes], params: k.params, madds: k.madds });
  }
  return {
    width: o.width,
    resolution: o.inputH === o.inputW ? o.inputH : [o.inputH, o.inputW],
    classes: plan.classifier?.classes ?? 0,
    params: plan.params,
    madds: plan.madds,
    layers,
  };
}

const num = (v: number): string => v.toLocaleString('en-US');

/** Human-readable table. */
export function formatInfo(r: InfoReport, title: string): string {
  const rows = r.layers.map((l) => [
    l.name, l.op, l.t ?? '-', l.c ?? '-', l.n ?? '-', l.s ?? '-', l.in.join('x'), l.out.join('x'), num(l.params), num(l.madds),
  ].map(String));
  const head = ['name', 'operator', 't', 'c', 'n', 's', 'input', 'output', 'params', 'madds'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const right = new Set([2, 3, 4, 5, 8, 9]);
  const fmt = (row: string[]): string => row.map((v, i) => (right.has(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  const lines = [title, '', fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt), ''];
  lines.push(`total params ${num(r.params)} (${(r.params / 1e6).toFixed(3)} M; conv weights + BN γ/β + classifier, the torchvision count)`);
  lines.push(`total MAdds  ${num(r.madds)} (${(r.madds / 1e6).toFixed(2)} M; conv + FC multiply-accumulates per image, the TF-slim count)`);
  return lines.join('\n');
}
