// SPDX-License-Identifier: Apache-2.0
/**
 * `mobilenetv2 info --head ssdlite`: the classifier's info report (same JSON shape) for the SSDLite
 * network, plus `anchors` (count), `featureMaps` and the head's own totals. The backbone rows are
 * the classifier's rows without pool and classifier; the head rows follow in execution order.
 */
import { formatInfo, planInfo, type InfoLayer, type InfoReport } from '../info.js';
import { buildSsdlitePlan, type SsdliteOptions, type SsdlitePlan } from '../ssdlite.js';

export interface SsdliteInfoReport extends InfoReport {
  head: 'ssdlite';
  anchors: number;
  featureMaps: Array<{ name: string; tf: string; size: [number, number]; channels: number; anchorsPerCell: number }>;
  headParams: number;
  headMadds: number;
}

export function ssdliteInfo(plan: SsdlitePlan): SsdliteInfoReport {
  const base = planInfo(plan.backbone);
  const layers: InfoLayer[] = base.layers.filter((l) => l.name !== 'pool' && l.name !== 'classifier');
  for (const c of plan.head) {
    const g = c.geometry;
    const op = c.kind === 'depthwise' ? `dwconv ${c.kernel}x${c.kernel}${c.stride > 1 ? ` s${c.stride}` : ''}` : `conv2d 1x1${c.batchNorm ? '' : ' +bias linear'}`;
    layers.push({
      name: c.name, op, t: null, c: c.outC, n: null, s: c.stride,
      in: [g.inH, g.inW, c.inC], out: [g.outH, g.outW, c.outC], params: c.params, madds: c.madds,
    });
  }
  const o = plan.options;
  return {
    ...base,
    classes: plan.classes,
    params: plan.params,
    madds: plan.madds,
    layers,
    head: 'ssdlite',
    anchors: plan.anchors,
    featureMaps: plan.featureMaps.map((m) => ({ name: m.name, tf: m.tf, size: [m.size[0], m.size[1]], channels: m.channels, anchorsPerCell: m.anchorsPerCell })),
    headParams: plan.headParams,
    headMadds: plan.headMadds,
    resolution: o.inputH === o.inputW ? o.inputH : [o.inputH, o.inputW],
  };
}

const num = (v: number): string => v.toLocaleString('en-US');

export function formatSsdliteInfo(r: SsdliteInfoReport): string {
  const res = Array.isArray(r.resolution) ? r.resolution.join('x') : `${r.resolution}x${r.resolution}`;
  const title = `SSDLite-MobileNetV2 width ${r.width}, ${res}, ${r.classes} class slots (incl. background), ${r.anchors} anchors`;
  const lines = [formatInfo(r, title).replace(' + classifier,', ' + predictor biases,'), ''];
  lines.push(`head (extra layers + predictors): params ${num(r.headParams)} (${(r.headParams / 1e6).toFixed(3)} M), MAdds ${num(r.headMadds)} (${(r.headMadds / 1e6).toFixed(2)} M)`);
  lines.push('', 'feature maps:');
  for (const m of r.featureMaps) {
    lines.push(`  ${m.name.padEnd(18)} ${m.tf.padEnd(34)} ${`${m.size[0]}x${m.size[1]}x${m.channels}`.padStart(11)}  ${m.anchorsPerCell} anchors/cell`);
  }
  return lines.join('\n');
}

/** The whole `info --head ssdlite` output: JSON or the table. */
export function ssdliteInfoText(options: SsdliteOptions, json: boolean): string {
  const report = ssdliteInfo(buildSsdlitePlan(options));
  return json ? JSON.stringify(report, null, 2) : formatSsdliteInfo(report);
}
