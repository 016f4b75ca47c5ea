// SPDX-License-Identifier: Apache-2.0
/**
 * The bottleneck ablation on the real uint8 classifier (float path): the plan transformations change
 * exactly what they claim, the forward pass honours them tensor by tensor, and the numbers the
 * command prints are the ones recomputed here from the network's own taps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load, type MobileNetV2Model } from '../../src/api.js';
import { createBackend } from '../../src/backend/create.js';
import type { Backend } from '../../src/backend/backend.js';
import { forward } from '../../src/model/forward.js';
import {
  ABLATION_NOTE, bottleneckAblation, formatBottleneck, projectionOf, withBottleneckActivation, withoutShortcuts, type BottleneckResult,
} from '../../src/teach/bottleneck.js';
import { HAVE_SHARED, sharedPath } from '../helpers/shared.js';
import { runBinary, runMain } from './cli.js';

describe.skipIf(!HAVE_SHARED)('teach bottleneck (real mobilenet_v2_1.0_224_quant)', () => {
  const modelPath = sharedPath('models', 'mobilenet_v2_1.0_224_quant.tflite');
  const cat = sharedPath('images', 'cat.bmp');
  let model: MobileNetV2Model;
  let backend: Backend;
  let result: BottleneckResult;
  let input: Float32Array;

  beforeAll(async () => {
    model = await load({ model: modelPath, backend: 'scalar' });
    backend = await createBackend('auto');
    result = await bottleneckAblation(model, backend, [cat]);
    input = (await model.prepare(cat)).tensor;
  });
  afterAll(() => { backend?.dispose(); model?.dispose(); });

  it('the transformations touch only what they name: 17 projections get ReLU6, 10 shortcuts go; params and MAdds unchanged', () => {
    const plan = model.imported.plan;
    const before = JSON.stringify(plan);
    const relu6 = withBottleneckActivation(plan, 'relu6');
    const flat = (p: typeof plan) => p.blocks.flatMap((b) => b.convs);
    const changed = flat(relu6).filter((c, i) => c.activation !== flat(plan)[i]!.activation);
    expect(changed.length).toBe(17);
    expect(changed.every((c) => c.role === 'projection' && c.activation === 'relu6')).toBe(true);
    expect(flat(withBottleneckActivation(plan, 'relu')).filter((c) => c.role === 'projection').every((c) => c.activation === 'relu')).toBe(true);
    const noRes = withoutShortcuts(plan);
    expect(plan.blocks.filter((b) => b.residual).length).toBe(10);
    expect(noRes.blocks.filter((b) => b.residual).length).toBe(0);
    expect(JSON.stringify(noRes.blocks.map((b) => b.convs))).toBe(JSON.stringify(plan.blocks.map((b) => b.convs)));
    for (const p of [relu6, noRes]) expect([p.params, p.madds, p.taps]).toEqual([plan.params, plan.madds, plan.taps]);
    expect(JSON.stringify(plan)).toBe(before); // the original plan is not mutated
  });

  it('forward honours the transformed plans tensor by tensor', () => {
    const plan = model.imported.plan;
    const w = model.imported.weights;
    const shape = [1, 224, 224, 3];
    const taps = ['features.1.conv.2', 'features.2', 'features.3.conv.3', 'features.3'];
    const base = forward(backend, plan, w, input, shape, { taps }).taps;
    const relu6 = forward(backend, withBottleneckActivation(plan, 'relu6'), w, input, shape, { taps }).taps;
    const noRes = forward(backend, withoutShortcuts(plan), w, input, shape, { taps }).taps;
    // Block 1 sees the same input in both networks: its bottleneck is exactly ReLU6 of the linear one.
    const lin = base.get('features.1.conv.2')!.data;
    const clipped = relu6.get('features.1.conv.2')!.data;
    expect(clipped.every((v, i) => v === Math.min(6, Math.max(0, lin[i]!)))).toBe(true);
    // The zeros ReLU6 creates in block 1 are the negatives the command counts for it.
    const zerosAfter = clipped.filter((v) => v === 0).length;
    const zerosBefore = lin.filter((v) => v === 0).length;
    expect(result.blocks[0]!.block).toBe('features.1');
    expect(zerosAfter - zerosBefore).toBe(result.blocks[0]!.negative);
    // Shortcut present: features.3 = projection + features.2 (one float32 add); removed: the projection alone.
    const proj = base.get('features.3.conv.3')!.data, prev = base.get('features.2')!.data, out = base.get('features.3')!.data;
    expect(out.every((v, i) => v === Math.fround(proj[i]! + prev[i]!))).toBe(true);
    expect(Array.from(noRes.get('features.3')!.data)).toEqual(Array.from(noRes.get('features.3.conv.3')!.data));
  });

  it('per-block counts equal a recount from the unmodified network\'s projection taps', () => {
    const plan = model.imported.plan;
    const names = plan.blocks.filter((b) => b.kind === 'bottleneck').map(projectionOf);
    const t = forward(backend, plan, model.imported.weights, input, [1, 224, 224, 3], { taps: names }).taps;
    names.forEach((name, k) => {
      const d = t.get(name)!.data;
      const b = result.blocks[k]!;
      expect([b.values, b.negative, b.aboveSix]).toEqual([d.length, d.filter((v) => v < 0).length, d.filter((v) => v > 6).length]);
      const c = b.shape[2];
      let dead = 0;
      for (let ch = 0; ch < c; ch++) {
        let alive = false;
        for (let i = ch; i < d.length; i += c) if (d[i]! > 0) { alive = true; break; }
        if (!alive) dead++;
      }
      expect(b.deadChannels).toBe(dead);
      expect(b.effectiveRank).toBeGreaterThanOrEqual(1);
      expect(b.effectiveRank).toBeLessThanOrEqual(c);
    });
  });

  it('the unmodified top-1 is the TFLite interpreter\'s (Egyptian cat, 286); the ablations lose it on this trained network', () => {
    const o = result.images[0]!;
    expect(o.top1.linear.index).toBe(286);
    expect(o.top1['relu6-in-bottleneck'].index).not.toBe(286);
    expect(result.summary['relu6-in-bottleneck']!.agree).toBe(0);
    expect(o.cosine['relu6-in-bottleneck']!).toBeLessThan(0.9);
    expect(formatBottleneck(result)).toContain(ABLATION_NOTE);
    expect(ABLATION_NOTE).toMatch(/not the paper's experiment/);
  });

  it('the real binary prints exactly these numbers (--json, same backend: auto)', () => {
    const r = runBinary('teach', 'bottleneck', cat, '--model', modelPath, '--backend', 'auto', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(JSON.stringify(result)));
  });
});

describe('teach bottleneck: bad input is a one-line error', () => {
  it('a missing image and a bad --activation', async () => {
    const bad = await runMain('teach', 'bottleneck', '--activation', 'gelu');
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toEqual(["mobilenetv2: error: teach bottleneck: --activation must be one of relu6, relu, got 'gelu'"]);
    const missing = await runMain('teach', 'bottleneck', '/nonexistent/x.bmp', '--model', '/nonexistent/m.tflite');
    expect(missing.code).toBe(1);
    expect(missing.err.trim().split('\n').length).toBe(1);
  });
});
