// SPDX-License-Identifier: Apache-2.0
/**
 * Self-check: the fast backends rerun layer by layer on the scalar oracle stay within the derived
 * kernel bound; a broken fast kernel is caught, named, and — with a threshold — an error.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.js';
import { createBackend } from '../../src/backend/create.js';
import { conv2dGeometry } from '../../kernels/geometry.js';
import { loadTorchvision, type StateDict } from '../../src/io/torchvision.js';
import { readNpyFile } from '../../src/io/npy.js';
import { nchwToNhwc } from '../../src/model/layout.js';
import { selfCheck } from '../../src/oracle/self-check.js';
import { MobileNetV2Error } from '../../src/errors.js';
import { goldenPath, goldenStateDict } from '../helpers/golden-weights.js';
import { HAVE_SHARED, sharedPath } from '../helpers/shared.js';
import { cli } from './helpers.js';
import { buildDeeplabPlan } from '../../src/model/deeplab.js';
import { buildSsdlitePlan } from '../../src/model/ssdlite.js';
import { convWeightShape, type ConvWeights } from '../../src/model/weights.js';
import type { ConvPlan } from '../../src/model/plan.js';
import { seededF32 } from '../helpers/arbitraries.js';

function goldenA() {
  const sd = goldenStateDict({ width: 1, numClasses: 1000, seed: 1 });
  const state: StateDict = new Map([...sd].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, read: () => t.data }]));
  // TF SAME: the stride-2 layers on even maps pad (0, 1), so a swapped side is a real bug.
  const { plan, weights } = loadTorchvision(state, { resolution: 32, padding: 'tf-same' });
  const x = readNpyFile(goldenPath('a-w100-r32', 'input.npy'));
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return { plan, weights, input: { data: nchwToNhwc(x.data, n, c, h, w), shape: [n, h, w, c] } };
}

describe('selfCheck', () => {
  const { plan, weights, input } = goldenA();

  it.each(['ts-fast', 'wasm-simd'] as const)('%s stays within the derived bound on every layer', async (kind) => {
    const b = await createBackend(kind);
    try {
      const r = selfCheck(b, plan, weights, input, { sampleLayers: 'all', threshold: 1 });
      expect(r.ok).toBe(true);
      expect(r.layers.length).toBe(53); // 52 convs + the classifier
      expect(r.worst!.ratio).toBeLessThanOrEqual(1);
      if (kind === 'ts-fast') expect(r.worst!.ratio).toBe(0); // bit-identical by design
      expect(r.summary).toMatch(/largest divergence at/);
    } finally {
      b.dispose();
    }
  });

  it('catches a fast depthwise kernel with one wrong padding side, names the layer, and throws past the threshold', async () => {
    const fast = await createBackend('ts-fast');
    const brokenBackend: Backend = {
      ...fast, name: 'broken',
      depthwiseConv2d: (o, x, w, b, d, g, c) => fast.depthwiseConv2d(o, x, w, b, d, conv2dGeometry({
        inH: g.inH, inW: g.inW, kH: g.kH, kW: g.kW, stride: [g.strideH, g.strideW], dilation: [g.dilationH, g.dilationW],
        padding: { top: g.pad.bottom, bottom: g.pad.top, left: g.pad.right, right: g.pad.left },
      }), c),
    };
    const report = selfCheck(brokenBackend, plan, weights, input, { sampleLayers: 'all' });
    expect(report.ok).toBe(true); // no threshold: report only
    expect(report.worst!.ratio).toBeGreaterThan(1e3);
    // Only stride-2 depthwise layers on even maps have asymmetric pads.
    expect(['features.2.conv.1', 'features.4.conv.1', 'features.7.conv.1', 'features.14.conv.1']).toContain(report.worst!.name);
    expect(() => selfCheck(brokenBackend, plan, weights, input, { sampleLayers: 'all', threshold: 1 })).toThrow(MobileNetV2Error);
    expect(() => selfCheck(brokenBackend, plan, weights, input, { sampleLayers: 'all', threshold: 1 })).toThrow(/broken backend gives/);
    fast.dispose();
  });

  it('samples the requested number of layers, always the stem and the classifier', async () => {
    const b = await createBackend('ts-fast');
    const r = selfCheck(b, plan, weights, input, { sampleLayers: 4 });
    expect(r.layers.map((l) => l.name)[0]).toBe('features.0');
    expect(r.layers.map((l) => l.name).at(-1)).toBe('classifier');
    expect(r.layers.length).toBe(4);
    b.dispose();
  });
});

function randomConvWeights(convs: readonly ConvPlan[], seed: number): { convs: Map<string, ConvWeights>; classifier: null } {
  const map = new Map<string, ConvWeights>();
  convs.forEach((c, i) => {
    const fanIn = c.kind === 'depthwise' ? c.kernel * c.kernel : c.inC * c.kernel * c.kernel;
    const r = Math.sqrt(3 / fanIn);
    map.set(c.name, { weight: seededF32(convWeightShape(c).reduce((a, d) => a * d, 1), seed + 2 * i, -r, r), bias: seededF32(c.outC, seed + 2 * i + 1, -0.2, 0.2) });
  });
  return { convs: map, classifier: null };
}

describe('selfCheck covers the heads', () => {
  const dwSwap = (fast: Backend): Backend => ({
    ...fast, name: 'broken',
    depthwiseConv2d: (o, x, w, b, d, g, c) => fast.depthwiseConv2d(o, x, w, b, d, conv2dGeometry({
      inH: g.inH, inW: g.inW, kH: g.kH, kW: g.kW, stride: [g.strideH, g.strideW], dilation: [g.dilationH, g.dilationW],
      padding: { top: g.pad.bottom, bottom: g.pad.top, left: g.pad.right, right: g.pad.left },
    }), c),
  });

  it('DeepLab: every head conv (image pooling, ASPP, projection, logits) is rerun within the bound', async () => {
    const plan = buildDeeplabPlan({ width: 0.35, resolution: 49, classes: 3, depth: 8, aspp: 'separable', atrousRates: [1, 2] });
    const weights = randomConvWeights([...plan.backbone.blocks.flatMap((b) => b.convs), ...plan.headConvs], 3);
    const input = { data: seededF32(49 * 49 * 3, 1, -1, 1), shape: [1, 49, 49, 3] };
    const b = await createBackend('wasm-simd');
    try {
      const r = selfCheck(b, plan, weights, input, { sampleLayers: 'all', threshold: 1 });
      const names = r.layers.map((l) => l.name);
      for (const c of plan.headConvs) expect(names).toContain(c.name);
      expect(names.length).toBe(plan.backbone.blocks.flatMap((bl) => bl.convs).length + plan.headConvs.length);
      expect(r.worst!.ratio).toBeLessThanOrEqual(1);
    } finally {
      b.dispose();
    }
  });

  it('SSDLite: extras and predictors are rerun; a wrong depthwise in the head is caught there', async () => {
    // 64×64 with TF SAME: the extra layers' stride-2 depthwise convs on even maps pad (0, 1).
    const plan = buildSsdlitePlan({ width: 0.35, resolution: 64, classes: 4 });
    const weights = randomConvWeights(plan.convs, 5);
    const input = { data: seededF32(64 * 64 * 3, 2, -1, 1), shape: [1, 64, 64, 3] };
    const fast = await createBackend('ts-fast');
    try {
      const good = selfCheck(fast, plan, weights, input, { sampleLayers: 'all', threshold: 1 });
      expect(good.layers.map((l) => l.name)).toEqual(plan.convs.map((c) => c.name));
      expect(good.worst!.ratio).toBe(0); // ts-fast is bit-identical by design
      const bad = selfCheck(dwSwap(fast), plan, weights, input, { sampleLayers: 'all' });
      const broken = bad.layers.filter((l) => l.ratio > 1e3).map((l) => l.name);
      expect(broken.some((n) => n.startsWith('extra.'))).toBe(true);
    } finally {
      fast.dispose();
    }
  });
});

describe.skipIf(!HAVE_SHARED)('model.selfCheck and classify --self-check (real TFLite classifier)', () => {
  it('ts-fast passes with a threshold; the CLI prints the report', async () => {
    const { load } = await import('../../src/api.js');
    const model = await load({ model: sharedPath('models', 'mobilenet_v2_1.0_224_quant.tflite'), backend: 'ts-fast', allowDownload: false, arithmetic: 'float' });
    try {
      const r = await model.selfCheck({ sampleLayers: 3, threshold: 1 });
      expect(r.ok).toBe(true);
      expect(r.backend).toBe('ts-fast');
    } finally {
      model.dispose();
    }
    const c = await cli('classify', sharedPath('images', 'cat.bmp'), '--model', sharedPath('models', 'mobilenet_v2_1.0_224_quant.tflite'), '--backend', 'ts-fast', '--self-check', '--top', '1');
    expect(c.code, c.err).toBe(0);
    expect(c.err).toMatch(/self-check \(ts-fast vs scalar oracle, \d+ layers\): largest divergence at .* \(≤ 1: ok\)/);
    expect(c.out).toMatch(/Egyptian cat/);
  });

  it('classify --profile tf-slim changes the preprocessing and records it', async () => {
    const c = await cli('classify', sharedPath('images', 'cat.bmp'), '--model', sharedPath('models', 'mobilenet_v2_1.0_224_quant.tflite'), '--profile', 'tf-slim', '--json', '--top', '1');
    expect(c.code, c.err).toBe(0);
    const [r] = JSON.parse(c.out);
    expect(r.conventions).toMatchObject({ profile: 'tf-slim', resize: 'bilinear-asymmetric', centralCrop: 0.875, padding: 'tf-same', bnEps: null, classes: 1001, labelOffset: 1 });
    expect(r.preprocessing.crop.fraction).toBe(0.875);
    expect(r.preprocessing.resize.method).toBe('bilinear-asymmetric');
    expect(r.conventions.normalization.name).toBe('raw-uint8'); // quantized input: bytes go in as they are
  });
});
