// SPDX-License-Identifier: Apache-2.0
/**
 * runNetwork: one runner for every plan. The references are the scalar kernels run op by op here,
 * by hand, without the runner (the backbone's last feature map → pool → FC), and the wrappers the
 * rest of the suite checks against PyTorch and the TFLite interpreter (forward, deeplabForward,
 * ssdliteForward): runNetwork must give the same bits and the same taps.
 */
import { describe, expect, it } from 'vitest';
import { createScalarBackend } from '../../src/backend/scalar.js';
import { buildPlan, type ConvPlan } from '../../src/model/plan.js';
import { buildDeeplabPlan, deeplabForward } from '../../src/model/deeplab.js';
import { buildSsdlitePlan, ssdliteForward } from '../../src/model/ssdlite.js';
import { forward } from '../../src/model/forward.js';
import { headOf, runNetwork } from '../../src/model/network.js';
import { runHead, type Head } from '../../src/model/runner.js';
import { convWeightShape, type ConvWeights, type MobileNetV2Weights } from '../../src/model/weights.js';
import { f32FullyConnected } from '../../kernels/f32-fully-connected.js';
import { f32GlobalAvgPoolNhwc } from '../../kernels/f32-gavgpool-nhwc.js';
import { seededF32 } from '../helpers/arbitraries.js';

function randomWeights(convs: readonly ConvPlan[], classifier: { inC: number; classes: number } | null, seed: number): MobileNetV2Weights {
  const map = new Map<string, ConvWeights>();
  convs.forEach((c, i) => {
    const size = convWeightShape(c).reduce((a, d) => a * d, 1);
    const fanIn = c.kind === 'depthwise' ? c.kernel * c.kernel : c.inC * c.kernel * c.kernel;
    const r = Math.sqrt(3 / fanIn);
    map.set(c.name, { weight: seededF32(size, seed + 2 * i, -r, r), bias: seededF32(c.outC, seed + 2 * i + 1, -0.2, 0.2) });
  });
  const cls = classifier && {
    weight: seededF32(classifier.inC * classifier.classes, seed - 1, -0.1, 0.1), bias: seededF32(classifier.classes, seed - 2, -0.1, 0.1),
  };
  return { convs: map, classifier: cls };
}

const backend = createScalarBackend();

describe('runNetwork', () => {
  it('classifier: pool and FC after the backbone, bit for bit the kernels run by hand; the same as forward()', () => {
    const plan = buildPlan({ width: 0.35, resolution: 40, classes: 7 });
    const weights = randomWeights(plan.blocks.flatMap((b) => b.convs), plan.classifier, 11);
    const x = seededF32(2 * 40 * 40 * 3, 3, -1, 1);
    const r = runNetwork(backend, plan, weights, { data: x, shape: [2, 40, 40, 3] }, { taps: ['features.18', 'pool'] });
    expect(r.output.shape).toEqual([2, 7]);
    const [h, w, c] = plan.blocks[18]!.outShape;
    const pooled = new Float32Array(2 * c);
    f32GlobalAvgPoolNhwc(pooled, r.taps.get('features.18')!.data, { n: 2, h, w, c });
    expect(r.taps.get('pool')!.data).toEqual(pooled);
    const logits = new Float32Array(2 * 7);
    f32FullyConnected(logits, pooled, weights.classifier!.weight, weights.classifier!.bias, { n: 2, inC: c, outC: 7 }, null);
    expect(r.output.data).toEqual(logits);
    expect(forward(backend, plan, weights, x, [2, 40, 40, 3]).output.data).toEqual(r.output.data);
  });

  it('a plan cut at a sub-layer returns that layer', () => {
    const plan = buildPlan({ width: 0.35, resolution: 40, stopAt: 'features.3.conv.1' });
    const weights = randomWeights(plan.blocks.flatMap((b) => b.convs), null, 5);
    const r = runNetwork(backend, plan, weights, { data: seededF32(40 * 40 * 3, 9, -1, 1), shape: [1, 40, 40, 3] }, { taps: 'all' });
    expect(r.output.shape).toEqual([1, ...plan.blocks[3]!.outShape]);
    expect(r.output.data).toEqual(r.taps.get('features.3.conv.1')!.data);
  });

  it('DeepLab and SSDLite plans pick their heads and give what their wrappers give, taps included', () => {
    const dl = buildDeeplabPlan({ width: 0.35, resolution: 49, classes: 3, depth: 8, aspp: 'separable', atrousRates: [1, 2] });
    const dlWeights = randomWeights([...dl.backbone.blocks.flatMap((b) => b.convs), ...dl.headConvs], null, 21);
    const x = seededF32(49 * 49 * 3, 4, -1, 1);
    const a = runNetwork(backend, dl, dlWeights, { data: x, shape: [1, 49, 49, 3] }, { taps: 'all' });
    const b = deeplabForward(backend, dl, dlWeights, x, [1, 49, 49, 3], { taps: 'all' });
    expect(a.output.logits).toEqual(b.logits);
    expect(a.output.featureLogits).toEqual(b.featureLogits);
    expect([...a.taps.keys()]).toEqual(dl.taps);

    const ssd = buildSsdlitePlan({ width: 0.35, resolution: 64, classes: 4 });
    const ssdWeights = randomWeights(ssd.convs, null, 31);
    const y = seededF32(64 * 64 * 3, 6, -1, 1);
    const s = runNetwork(backend, ssd, ssdWeights, { data: y, shape: [1, 64, 64, 3] });
    const t = ssdliteForward(backend, ssd, ssdWeights, y, [1, 64, 64, 3]);
    expect(s.output.boxEncodings).toEqual(t.boxEncodings);
    expect(s.output.classLogits).toEqual(t.classLogits);
    expect([...s.taps.keys()].sort()).toEqual(ssd.featureMaps.map((m) => m.name).sort());
    expect(headOf(ssd).taps(ssd)).toBe(ssd.taps);
  });

  it('checks weights, input and tap names before running, whatever the head', () => {
    const plan = buildPlan({ width: 0.35, resolution: 40, classes: 7 });
    const weights = randomWeights(plan.blocks.flatMap((b) => b.convs), plan.classifier, 11);
    const x = new Float32Array(40 * 40 * 3);
    expect(() => runNetwork(backend, plan, weights, { data: x, shape: [1, 40, 41, 3] })).toThrow(/expected NHWC \[N, 40, 40, 3\]/);
    expect(() => runNetwork(backend, plan, weights, { data: x, shape: [1, 40, 40, 3] }, { taps: ['nope'] })).toThrow(/unknown tap 'nope'/);
    const partial = { convs: new Map([...weights.convs].slice(1)), classifier: weights.classifier };
    expect(() => runNetwork(backend, plan, partial, { data: x, shape: [1, 40, 40, 3] })).toThrow(/features\.0/);
  });

  it('a new head needs only its step: a head that returns the features’ channel sums runs on the runner', () => {
    const plan = buildPlan({ width: 0.35, resolution: 40, classes: 0 });
    const weights = randomWeights(plan.blocks.flatMap((b) => b.convs), null, 2);
    const sums: Head<typeof plan, number> = {
      ...headOf(plan),
      run: (ctx, _p, features) => {
        ctx.keep('extra', features.data, features.shape);
        return features.data.reduce((s, v) => s + v, 0);
      },
    } as Head<typeof plan, number>;
    const x = seededF32(40 * 40 * 3, 8, -1, 1);
    const r = runHead(backend, sums, plan, weights, { data: x, shape: [1, 40, 40, 3] }, { taps: ['features.18'] });
    expect(r.output).toBe(r.taps.get('features.18')!.data.reduce((s, v) => s + v, 0));
  });
});
