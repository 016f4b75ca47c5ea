// SPDX-License-Identifier: Apache-2.0
/** Figure 1's numbers (not its pixels): seeded, deterministic, and telling the paper's story. */
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/io/image/decode.js';
import { formatManifold, manifoldExperiment, manifoldFigure, randomEmbedding, reluRoundTrip, spiral } from '../../src/teach/manifold.js';
import { runBinary, runMain } from './cli.js';

describe('teach manifold (Figure 1)', () => {
  const r = manifoldExperiment(); // the paper's n = 2, 3, 5, 15, 30; 8 draws; seed 1

  it('the mean reconstruction error after the best linear map decreases strictly with n on the seeded draws', () => {
    const fit = r.rows.map((row) => row.fitError.mean);
    for (let i = 1; i < fit.length; i++) expect(fit[i], `n=${r.rows[i]!.n} vs n=${r.rows[i - 1]!.n}`).toBeLessThan(fit[i - 1]!);
    // ReLU keeps ~half the energy: for large n, T⁺ReLU(Tx) → x/2, so the raw error tends to 0.5.
    expect(r.rows.at(-1)!.rawError.mean).toBeGreaterThan(0.45);
    expect(r.rows.at(-1)!.rawError.mean).toBeLessThan(0.6);
  });

  it('collapsed points (unrecoverable by any decoder) fall with n and vanish at n = 15 and 30', () => {
    const c = r.rows.map((row) => row.collapsed.mean);
    for (let i = 1; i < c.length; i++) expect(c[i]).toBeLessThanOrEqual(c[i - 1]!);
    expect(c[0]).toBeGreaterThan(0.5); // n = 2: both rows must be active, a quarter of the directions on average
    expect(r.rows.filter((row) => row.n >= 15).every((row) => row.collapsed.max === 0)).toBe(true);
  });

  it('collapsed counts equal an independent test: the active rows\' Gram matrix Σ tᵢtᵢᵀ is singular', () => {
    const x = spiral(500, 1.5);
    for (const n of [2, 3, 5]) {
      const t = randomEmbedding(n, 4242 + n);
      let singular = 0;
      for (let p = 0; p < 500; p++) {
        let a = 0, b = 0, d = 0, scale = 0;
        for (let i = 0; i < n; i++) {
          const ti0 = t[2 * i]!, ti1 = t[2 * i + 1]!;
          scale += ti0 * ti0 + ti1 * ti1;
          if (ti0 * x[2 * p]! + ti1 * x[2 * p + 1]! > 0) { a += ti0 * ti0; b += ti0 * ti1; d += ti1 * ti1; }
        }
        if (a * d - b * b <= 1e-12 * scale * scale) singular++;
      }
      expect(reluRoundTrip(x, t, n).collapsed).toBe(singular / 500);
    }
  });

  it('where nothing collapsed and every row is active, T⁺ReLU(Tx) = x exactly up to rounding', () => {
    // A T whose rows all point into the first quadrant, and a point there: ReLU is the identity.
    const t = new Float64Array([1, 0.2, 0.3, 1, 0.7, 0.7]);
    const x = new Float64Array([0.5, 0.25]);
    const { reconstruction, collapsed } = reluRoundTrip(x, t, 3);
    expect(collapsed).toBe(0);
    expect(reconstruction[0]).toBeCloseTo(0.5, 14);
    expect(reconstruction[1]).toBeCloseTo(0.25, 14);
  });

  it('is deterministic in its seed, and another seed draws other matrices', () => {
    const again = manifoldExperiment();
    expect(again.rows).toEqual(r.rows);
    const other = manifoldExperiment({ seed: 2 });
    expect(other.rows[0]!.fitError.mean).not.toBe(r.rows[0]!.fitError.mean);
    // Adding a dimension leaves the draws of the others unchanged.
    const sub = manifoldExperiment({ dims: [5, 15] });
    expect(sub.rows).toEqual(r.rows.filter((row) => row.n === 5 || row.n === 15));
  });

  it('the figure is a grid: input column + one per n, one row per shown draw', () => {
    const png = manifoldFigure(r, { rows: 2, panel: 100 });
    const img = decodeImage(png, 'fig1.png');
    expect(img.width).toBe(8 + 6 * (100 + 8));
    expect(img.height).toBe(24 + 2 * (100 + 14 + 8) + 8);
  });

  it('the real binary prints the same table and JSON, writes the PNG, and rejects bad options in one line', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const out = join(mkdtempSync(join(tmpdir(), 'mnv2-teach-')), 'fig1.png');
    const text = runBinary('teach', 'manifold', '--out', out);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toBe(`${formatManifold(r)}\nfigure: ${out}\n`);
    const { readFileSync } = await import('node:fs');
    expect(decodeImage(new Uint8Array(readFileSync(out)), out).width).toBe(8 + 6 * (180 + 8));
    const json = runBinary('teach', 'manifold', '--dims', '3,30', '--draws', '2', '--seed', '7', '--json');
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out).rows).toEqual(JSON.parse(JSON.stringify(manifoldExperiment({ dims: [3, 30], draws: 2, seed: 7 }).rows)));
    const bad = await runMain('teach', 'manifold', '--dims', '2,x');
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toEqual([expect.stringMatching(/^mobilenetv2: error: teach manifold: --dims must be/)]);
    const huge = await runMain('teach', 'manifold', '--dims', '4096', '--points', '100000');
    expect(huge.code).toBe(2);
    expect(huge.err).toMatch(/^mobilenetv2: error: manifold: points × largest n = 409600000 exceeds 10,000,000 values/);
    const unknown = await runMain('teach', 'nothing');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/expected one of manifold, bottleneck/);
  });
});
