// SPDX-License-Identifier: Apache-2.0
/**
 * The memory plan (paper §5.1, Eq. (2), Table 3) against hand-derived counts and the paper's
 * Table 3 (both published variants, ../shared/docs/paper-facts.md §1.4). Sizes are products of the
 * shapes in Table 2, so every expectation below is exact.
 */
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/model/plan.js';
import {
  ArenaAllocator, classifierMemoryPlan, deeplabMemoryPlan, materializedPerResolution, ssdliteMemoryPlan,
  PAPER_TABLE3_MAX, PAPER_TABLE3_MOBILENETV2, type MemoryPlan,
} from '../../src/model/memory-plan.js';
import { buildDeeplabPlan } from '../../src/model/deeplab.js';
import { buildSsdlitePlan } from '../../src/model/ssdlite.js';

const plan224 = buildPlan({});
const F = 4; // float32 bytes

/** No two tensors whose lifetimes overlap share arena bytes. */
function expectDisjointArena(mp: MemoryPlan): void {
  const ts = mp.tensors.filter((t) => t.offset >= 0);
  for (let i = 0; i < ts.length; i++) {
    for (let j = i + 1; j < ts.length; j++) {
      const a = ts[i]!, b = ts[j]!;
      const timeOverlap = a.producer <= b.lastUse && b.producer <= a.lastUse;
      const spaceOverlap = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
      if (timeOverlap && spaceOverlap) throw new Error(`${a.name} and ${b.name} overlap in time and space`);
    }
  }
}

describe('Eq. (2) per op, MobileNetV2 1.0/224 float32', () => {
  it('layer by layer: the largest op is the stride-2 depthwise of features.2 (112²·96 in, 56²·96 out)', () => {
    const mp = classifierMemoryPlan(plan224, { execution: 'layerwise' });
    expect(mp.eq2Op).toBe('features.2.conv.1');
    expect(mp.eq2Bytes).toBe((112 * 112 * 96 + 56 * 56 * 96) * F); // 6,021,120
    // the expansion before it: 112²·16 in, 112²·96 out
    expect(mp.ops.find((o) => o.name === 'features.2.conv.0')!.eq2Bytes).toBe(112 * 112 * (16 + 96) * F);
    // the stem: 224²·3 in, 112²·32 out
    expect(mp.ops[0]!.eq2Bytes).toBe((224 * 224 * 3 + 112 * 112 * 32) * F);
    expectDisjointArena(mp);
  });

  it('memory-efficient: a bottleneck is one op holding only its thin input, output and tile scratch', () => {
    const mp = classifierMemoryPlan(plan224, { execution: 'efficient' });
    const b1 = mp.ops.find((o) => o.name === 'features.1')!;
    // t = 1: no band, the depthwise tile only: 18 rows · 112 · 32 floats is the largest ≤ 256 KiB
    // (the other cap, 1/8 of |x| + |y| = 75,264 floats, is larger here)
    expect(b1.tileRows).toBe(18);
    expect(b1.scratchBytes).toBe(18 * 112 * 32 * F);
    expect(b1.eq2Bytes).toBe(112 * 112 * (32 + 16) * F + 18 * 112 * 32 * F);
    expect(mp.eq2Op).toBe('features.1');
    // features.2 (16 → 96 → 24, stride 2): band of 2R+1 expanded rows + R depthwise rows; the budget is
    // 1/8 of |x| + |y| = (112²·16 + 56²·24)/8 = 34,496 floats, less than even R = 1 (37,632): one row
    const b2 = mp.ops.find((o) => o.name === 'features.2')!;
    expect(b2.tileRows).toBe(1);
    expect(b2.scratchBytes).toBe((3 * 112 * 96 + 1 * 56 * 96) * F);
    expect(mp.ops.some((o) => o.outputs.includes('features.2.conv.0'))).toBe(false);
    expectDisjointArena(mp);
  });

  it('the stem trick folds the stem into the first bottleneck: 224²·3 in, 112²·16 out', () => {
    const mp = classifierMemoryPlan(plan224, { execution: 'efficient', stemTrick: true });
    expect(mp.eq2Op).toBe('features.0+features.1');
    const op = mp.ops[0]!;
    // band of R + 2 stem rows + R depthwise rows of 112·32 ≤ min(65,536, (224²·3 + 112²·16)/8 = 43,904 floats): R = 5
    expect(op.tileRows).toBe(5);
    expect(op.eq2Bytes).toBe((224 * 224 * 3 + 112 * 112 * 16) * F + 12 * 112 * 32 * F);
    expectDisjointArena(mp);
  });

  it('a chain needs no more arena than its largest op: footprint = Eq. (2) for the classifier', () => {
    for (const stemTrick of [false, true]) {
      const mp = classifierMemoryPlan(plan224, { execution: 'efficient', stemTrick });
      expect(mp.footprintBytes).toBe(mp.eq2Bytes);
      expect(mp.peakLiveBytes).toBe(mp.eq2Bytes);
    }
  });
});

describe('Table 3 (16-bit activations): the widest tensor materialised at each resolution', () => {
  const perRes = (stemTrick: boolean) => materializedPerResolution(classifierMemoryPlan(plan224, { execution: 'efficient', stemTrick, bytesPerElement: 2 }));

  it('the paper cells are channels·S²·2 bytes (paper-facts §1.4 [C]) in both variants', () => {
    const kb = (c: number, s: number): number => Math.round((c * s * s * 2) / 1000);
    for (const row of PAPER_TABLE3_MOBILENETV2) {
      for (const cell of [row.v4, row.variant]) {
        if (cell.includes('O(1)')) continue;
        const [c, k] = cell.split('/').map(Number) as [number, number];
        // 400 (401.4), 200 (200.7), 100 (100.4), 62 (62.7), 32 (31.4), 2 (2.6): printed within ±1 kB
        expect(Math.abs(kb(c, row.size) - k)).toBeLessThanOrEqual(1);
      }
    }
    expect(PAPER_TABLE3_MAX).toEqual({ v4: '400K', variant: '200K' });
  });

  it('112×112 with the stem trick: 16 channels, 401,408 bytes = the v4 row (16/400) and the v4 maximum (400K)', () => {
    const rows = perRes(true);
    expect(rows[0]).toMatchObject({ size: 112, channels: 16, bytes: 401_408, tensor: 'features.1' });
    expect(Math.max(...rows.filter((r) => r.size > 1 && r.tensor !== 'features.18').map((r) => r.bytes))).toBe(401_408);
  });

  it('112×112 without the trick: the stem output (32 channels, 802,816 bytes) must be materialised', () => {
    expect(perRes(false)[0]).toMatchObject({ size: 112, channels: 32, bytes: 802_816, tensor: 'features.0' });
  });

  it('the variant row 112: 1/O(1) would also need features.1 streamed into features.2; our stem trick leaves 16 channels', () => {
    expect(perRes(true)[0]!.channels).toBe(16);
  });

  it('1×1: the pooled 1280 vector, 2,560 bytes (paper 1280/2)', () => {
    expect(perRes(true).find((r) => r.size === 1)).toMatchObject({ channels: 1280, bytes: 2560 });
  });

  it('56, 28, 14: the block outputs that live there (24, 32, 96 channels), not the next row\'s c the paper prints', () => {
    const rows = perRes(true);
    expect(rows.find((r) => r.size === 56)).toMatchObject({ channels: 24, bytes: 24 * 56 * 56 * 2 });
    expect(rows.find((r) => r.size === 28)).toMatchObject({ channels: 32, bytes: 32 * 28 * 28 * 2 });
    expect(rows.find((r) => r.size === 14)).toMatchObject({ channels: 96, bytes: 96 * 14 * 14 * 2 });
    // 7×7: features.18 (1280) is materialised before the pool; the widest bottleneck tensor there is 320 (paper 320/32)
    expect(rows.find((r) => r.size === 7)).toMatchObject({ tensor: 'features.18', channels: 1280 });
  });
});

describe('heads', () => {
  it('DeepLab 513: layer by layer the stride-2 depthwise at 257² dominates; memory-efficient, the final upsampled logits (513²·21)', () => {
    const plan = buildDeeplabPlan({});
    const lw = deeplabMemoryPlan(plan, { execution: 'layerwise' });
    expect(lw.eq2Op).toBe('features.2.conv.1');
    expect(lw.eq2Bytes).toBe((257 * 257 * 96 + 129 * 129 * 96) * F);
    const mp = deeplabMemoryPlan(plan, { execution: 'efficient' });
    expect(mp.eq2Op).toBe('upsampled_logits');
    expect(mp.eq2Bytes).toBe((33 * 33 * 21 + 513 * 513 * 21) * F);
    expectDisjointArena(lw);
    expectDisjointArena(mp);
    // the backbone at 257² (features.1 fused): 257²·(32+16) floats + its tile
    const eff = deeplabMemoryPlan(plan, { execution: 'efficient' });
    const b1 = eff.ops.find((o) => o.name === 'features.1')!;
    expect(b1.eq2Bytes - b1.scratchBytes).toBe(257 * 257 * 48 * F);
  });

  it('SSDLite 300: features.14 stays layer by layer (its expansion is feature map 0) and lives until its predictors', () => {
    const plan = buildSsdlitePlan({});
    const mp = ssdliteMemoryPlan(plan, { execution: 'efficient' });
    expect(mp.ops.some((o) => o.name === 'features.14')).toBe(false);
    expect(mp.ops.some((o) => o.name === 'features.13' && o.kind === 'bottleneck')).toBe(true);
    const map0 = mp.tensors.find((t) => t.name === 'features.14.conv.0')!;
    expect(map0.shape).toEqual([1, 19, 19, 576]);
    expect(mp.ops[map0.lastUse]!.name).toBe('head.class.0.0');
    expectDisjointArena(mp);
    expectDisjointArena(ssdliteMemoryPlan(plan, { execution: 'layerwise' }));
  });
});

describe('ArenaAllocator', () => {
  it('first fit reuses a freed hole and counts external bytes in the footprint', () => {
    const a = new ArenaAllocator();
    a.holdExternal(1000);
    const x = a.alloc(640);
    const y = a.alloc(128);
    expect([x, y]).toEqual([0, 640]);
    a.free(x);
    expect(a.alloc(64)).toBe(0);
    expect(a.highWater).toBe(768);
    expect(a.peakBytes).toBe(1768);
    a.releaseExternal(1000);
    expect(() => a.free(12345)).toThrow(/not allocated/);
  });
});

describe('info --memory', () => {
  const run = async (argv: string[]): Promise<string> => {
    const { infoCommand } = await import('../../src/cli/commands/info.js');
    const lines: string[] = [];
    const code = await infoCommand.run(argv, { out: (t: string) => lines.push(t), err: (t: string) => lines.push(t) } as never);
    expect(code).toBe(0);
    return lines.join('\n');
  };

  it('prints per-layer live bytes, both peaks, the stem trick and Table 3 with both paper variants', async () => {
    const text = await run(['--memory']);
    // features.2 layer by layer: 112²·96 + 56²·96 floats; fused: 112²·16 + 56²·24 + a one-row tile (3·112·96 + 56·96)
    expect(text).toMatch(/features\.2\s+6,021,120\s+1,254,400/);
    expect(text).toContain('Eq. (2) M(G) 6,021,120 B at features.2.conv.1');
    expect(text).toContain('Eq. (2) M(G) 2,666,496 B at features.1');
    expect(text).toMatch(/112x112\s+16\/401\.4\s+features\.1\s+16\/400\s+1\/O\(1\)/);
    expect(text).toMatch(/1x1\s+1280\/2\.6\s+pool\s+1280\/2\s+1280\/2/);
    expect(text).toContain('max (paper): v4 400K, variant 200K');
  });

  it('works for both heads and as JSON', async () => {
    expect(await run(['--memory', '--head', 'deeplab'])).toContain('at upsampled_logits');
    // features.14 stays layer by layer (its expansion is SSDLite's map 0): no tile
    expect(await run(['--memory', '--head', 'ssdlite'])).toMatch(/features\.14\s+1,126,144\s+1,126,144\s+1,062,144\s+-/);
    const json = JSON.parse(await run(['--memory', '--width', '0.35', '--resolution', '96', '--json'])) as { efficient: { eq2: number }; layers: unknown[] };
    expect(json.efficient.eq2).toBe(classifierMemoryPlan(buildPlan({ width: 0.35, resolution: 96 }), { execution: 'efficient' }).eq2Bytes);
  });
});
