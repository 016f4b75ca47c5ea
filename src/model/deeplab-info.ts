// SPDX-License-Identifier: Apache-2.0
/**
 * `mobilenetv2 info --head deeplab`: the classifier's info report (same JSON shape) for Mobile
 * DeepLabv3, plus `head`, `outputStride`, `aspp` and the head's own totals. The backbone rows are
 * the classifier's rows for features.0 … features.17 (atrous layers show `d2`/`d4`); the head rows
 * follow in execution order, then the final upsampling (0 params, 0 MAdds: resizes are not counted).
 */
import { formatInfo, planInfo, type InfoLayer, type InfoReport } from './info.js';
import { buildDeeplabPlan, DEEPLAB_OUTPUT_TAP, type DeeplabAspp, type DeeplabOptions, type DeeplabPlan } from './deeplab.js';

export interface DeeplabInfoReport extends InfoReport {
  head: 'deeplab';
  outputStride: 8 | 16;
  aspp: DeeplabAspp;
  atrousRates: number[];
  depth: number;
  featureShape: [number, number, number];
  headParams: number;
  headMadds: number;
}

export function deeplabInfo(plan: DeeplabPlan): DeeplabInfoReport {
  const base = planInfo(plan.backbone);
  const layers: InfoLayer[] = base.layers.filter((l) => l.name !== 'pool' && l.name !== 'classifier');
  const [h, w, c] = plan.featureShape;
  const o = plan.options;
  const row = (name: string, op: string, inShape: number[], outShape: number[], params: number, madds: number): InfoLayer =>
    ({ name, op, t: null, c: outShape[outShape.length - 1]!, n: null, s: null, in: inShape, out: outShape, params, madds });
  const convRow = (cv: DeeplabPlan['headConvs'][number]): InfoLayer => {
    const g = cv.geometry;
    const k = `${cv.kernel}x${cv.kernel}`;
    const op = cv.kind === 'depthwise' ? `dwconv ${k} d${cv.dilation} +relu`
      : cv.kind === 'conv' ? `conv2d ${k} d${cv.dilation} +relu`
      : cv.activation === 'linear' ? 'conv2d 1x1 +bias linear' : 'conv2d 1x1 +relu';
    return row(cv.name, op, [g.inH, g.inW, cv.inC], [g.outH, g.outW, cv.outC], cv.params, cv.madds);
  };
  layers.push(row('head.image_pooling.pool', `avgpool ${h}x${w}`, [h, w, c], [1, 1, c], 0, 0));
  layers.push(convRow(plan.imagePooling));
  layers.push(row('head.image_pooling.upsampled', `resize 1x1→${h}x${w} ${o.upsampling}`, [1, 1, o.depth], [h, w, o.depth], 0, 0));
  layers.push(convRow(plan.aspp0));
  for (const branch of plan.asppBranches) for (const cv of branch) layers.push(convRow(cv));
  layers.push(row('head.concat', `concat ${plan.concatBranches.length} branches (${o.concatOrder})`, [h, w, o.depth], [h, w, plan.projection.inC], 0, 0));
  layers.push(convRow(plan.projection));
  layers.push(convRow(plan.logits));
  layers.push(row(DEEPLAB_OUTPUT_TAP, `resize ${h}x${w}→${o.inputH}x${o.inputW} ${o.upsampling}`, [h, w, o.classes], [o.inputH, o.inputW, o.classes], 0, 0));
  const headParams = plan.headConvs.reduce((s, cv) => s + cv.params, 0);
  const headMadds = plan.headConvs.reduce((s, cv) => s + cv.madds, 0);
  return {
    ...base,
    classes: o.classes,
    params: plan.params,
    madds: plan.madds,
    layers,
    head: 'deeplab',
    outputStride: o.outputStride,
    aspp: o.aspp,
    atrousRates: [...o.atrousRates],
    depth: o.depth,
    featureShape: [h, w, c],
    headParams,
    headMadds,
  };
}

const num = (v: number): string => v.toLocaleString('en-US');

export function formatDeeplabInfo(r: DeeplabInfoReport): string {
  const res = Array.isArray(r.resolution) ? r.resolution.join('x') : `${r.resolution}x${r.resolution}`;
  const aspp = r.aspp === 'none' ? 'no ASPP' : `${r.aspp} ASPP rates ${r.atrousRates.join('/')}`;
  const title = `Mobile DeepLabv3 (MobileNetV2 width ${r.width}), ${res}, output stride ${r.outputStride}, ${aspp}, ${r.classes} classes`;
  const lines = [formatInfo(r, title).replace(' + classifier,', ' (backbone and head) + logits bias,').replace('conv + FC multiply-accumulates', 'conv multiply-accumulates'), ''];
  lines.push(`head: params ${num(r.headParams)} (${(r.headParams / 1e6).toFixed(3)} M), MAdds ${num(r.headMadds)} (${(r.headMadds / 1e9).toFixed(3)} B); total MAdds ${(r.madds / 1e9).toFixed(3)} B`);
  return lines.join('\n');
}

/** The whole `info --head deeplab` output: JSON or the table. */
export function deeplabInfoText(options: DeeplabOptions, json: boolean): string {
  const report = deeplabInfo(buildDeeplabPlan(options));
  return json ? JSON.stringify(report, null, 2) : formatDeeplabInfo(report);
}
