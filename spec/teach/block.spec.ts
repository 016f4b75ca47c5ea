// SPDX-License-Identifier: Apache-2.0
/** The block walk-through: its MAdds against the paper's formula, its memory against the shapes, its tensors against the block's algebra. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load, type MobileNetV2Model } from '../../src/api.js';
import { createBackend } from '../../src/backend/create.js';
import type { Backend } from '../../src/backend/backend.js';
import { decodeImage } from '../../src/io/image/decode.js';
import { blockFigures, walkBlock, type BlockWalk } from '../../src/teach/block.js';
import { HAVE_SHARED, sharedPath } from '../helpers/shared.js';
import { runBinary, runMain } from './cli.js';

describe.skipIf(!HAVE_SHARED)('teach block (real classifier, cat.bmp)', () => {
  const modelPath = sharedPath('models', 'mobilenet_v2_1.0_224_quant.tflite');
  const cat = sharedPath('images', 'cat.bmp');
  let model: MobileNetV2Model;
  let backend: Backend;
  let b3: BlockWalk;
  beforeAll(async () => {
    model = await load({ model: modelPath, backend: 'scalar' });
    backend = await createBackend('auto');
    b3 = await walkBlock(model, backend, cat, 3);
  });
  afterAll(() => { backend?.dispose(); model?.dispose(); });

  it('features.3 (56²×24, t = 6, stride 1): MAdds = the paper\'s h·w·d′·t(d′ + k² + d″), step by step', () => {
    // Paper §3.3 with h = w = 56, d′ = d″ = 24, t = 6, k = 3 (numbers from paper-facts §1.1, not from our plan).
    expect(56 * 56 * 24 * 6 * (24 + 9 + 24)).toBe(25_740_288);
    expect(b3.paperMadds).toBe(25_740_288);
    expect(b3.madds).toBe(25_740_288);
    expect(b3.steps.map((s) => s.madds)).toEqual([56 * 56 * 24 * 144, 56 * 56 * 144 * 9, 56 * 56 * 144 * 24, 0]);
    expect(b3.steps.reduce((a, s) => a + s.params, 0)).toBe(b3.params);
    expect(b3.params).toBe(24 * 144 + 2 * 144 + 9 * 144 + 2 * 144 + 144 * 24 + 2 * 24);
  });

  it('layer-wise live memory is the sum of the step\'s tensors, with the shortcut\'s input held to the add', () => {
    const x = 56 * 56 * 24 * 4, e = 56 * 56 * 144 * 4;
    expect(b3.steps.map((s) => s.liveBytes)).toEqual([x + e, e + e + x, e + x + x, x + x + x]);
    expect(b3.peakLiveBytes).toBe(2 * e + x);
    expect(b3.bottleneckBytes).toBe(2 * x);
  });

  it('the whole-network memory plan: Eq. (2) of each layer-wise op is its inputs + outputs; the fused block needs only x + y + its tile scratch', () => {
    // Shapes from paper Table 2 at 224 (features.3: 56²×24 in and out, expansion 144), float32.
    const x = 56 * 56 * 24 * 4, e = 56 * 56 * 144 * 4;
    const lw = b3.memoryPlan.layerwise;
    expect(lw.map((op) => op.name)).toEqual(['features.3.conv.0', 'features.3.conv.1', 'features.3.conv.3', 'features.3.add']);
    expect(lw.map((op) => op.eq2Bytes)).toEqual([x + e, e + e, e + x, x + x + x]);
    // Live across the network ⊇ the op's own tensors (the shortcut's input stays live through the block).
    for (const op of lw) expect(op.liveBytes).toBeGreaterThanOrEqual(op.eq2Bytes);
    const fused = b3.memoryPlan.fused!;
    expect(fused.kind).toBe('bottleneck');
    expect(fused.eq2Bytes).toBe(x + x + fused.scratchBytes);
    expect(fused.scratchBytes).toBeGreaterThan(0);
    expect(fused.scratchBytes).toBeLessThan(e); // the t-times-expanded tensor is never materialised whole
  });

  it('the tensors obey the block: ReLU6 ranges, a signed linear bottleneck, output = input + projection', () => {
    const t = Object.fromEntries(b3.tensors.map((x) => [x.part, x.tap.data]));
    for (const part of ['expansion', 'depthwise']) expect(t[part]!.every((v) => v >= 0 && v <= 6)).toBe(true);
    expect(t.projection!.some((v) => v < 0)).toBe(true);
    expect(t.output!.every((v, i) => v === Math.fround(t.input![i]! + t.projection![i]!))).toBe(true);
    const figs = blockFigures(b3, { channels: 8 });
    expect(figs.map((f) => f.part)).toEqual(['input', 'expansion', 'depthwise', 'projection', 'output']);
    const img = decodeImage(figs[1]!.png, 'x.png');
    expect([img.width, img.height]).toEqual([4 + 8 * (56 * 2 + 4), 28 + 56 * 2 + 4]);
  });

  it('stride-2 and t = 1 blocks: no shortcut, the stride-1 formula does not apply, the output-size form does', async () => {
    const b2 = await walkBlock(model, backend, cat, 2);
    expect([b2.residual, b2.stride, b2.paperMadds]).toEqual([false, 2, null]);
    expect(b2.formulaMadds).toBe(b2.madds);
    expect(b2.madds).toBe(112 * 112 * 16 * 96 + 56 * 56 * 96 * (9 + 24));
    const b1 = await walkBlock(model, backend, cat, 1);
    expect(b1.steps.map((s) => s.step)).toEqual(['depthwise', 'projection']);
    expect(b1.formulaMadds).toBe(b1.madds);
  });

  it('the real binary prints the same steps and writes one PNG per tensor; a bad --block is one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mnv2-block-'));
    const r = runBinary('teach', 'block', cat, '--model', modelPath, '--block', '3', '--channels', '4', '--out-dir', dir, '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.steps).toEqual(JSON.parse(JSON.stringify(b3.steps)));
    expect(j.figures).toEqual(['input', 'expansion', 'depthwise', 'projection', 'output'].map((p) => join(dir, `block-3-${p}.png`)));
    const png = decodeImage(new Uint8Array(readFileSync(j.figures[2])), 'fig');
    expect(png.width).toBe(4 + 4 * (56 * 2 + 4));
    const bad = await runMain('teach', 'block', cat, '--model', modelPath, '--block', '18');
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toEqual(["mobilenetv2: error: teach block: --block must be a bottleneck index from 1 to 17, got '18'"]);
  });
});
