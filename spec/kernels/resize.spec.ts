// SPDX-License-Identifier: Apache-2.0
/**
 * kernels/f32-resize-nhwc.ts against
 *   1. PyTorch goldens (data/reference/resize/resize_goldens.json, make_resize_goldens.py):
 *      bilinear align_corners=True / False, nearest (legacy) and nearest-exact;
 *   2. an independent float64 oracle written as separable interpolation MATRICES built from
 *      exact rational coordinates (used for all three bilinear modes, the only check for
 *      'asymmetric' = TF1 legacy, which PyTorch does not offer);
 *   3. properties (fast-check): corners / grid points exact under align-corners, constants stay
 *      constant, output within [min, max] of the input, nearest output values are input values.
 *
 * Tolerance against PyTorch (derived, not tuned). PyTorch computes the scale, the source
 * coordinate, the weights and the 4-tap sum in float32; we do it in float64 and round once.
 *   - coordinate: scale rounding + multiply + subtract ≈ 3 roundings of a value ≤ in, so
 *     |δs| ≤ 3·2⁻²⁴·in; the output moves by ≤ |δs|·|x₁ − x₀| ≤ |δs|·2·max|x| per axis (2 axes);
 *   - arithmetic: 4 products + 3 sums + final rounding ≤ 8·2⁻²⁴·max|x|.
 *   tol = 2⁻²⁴·max|x|·(8 + 12·max(inH, inW)).   (Measured maxima are printed by the test.)
 * Nearest against PyTorch: exact equality (same index rule, same float32 index arithmetic).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  f32ResizeBilinearNhwc,
  f32ResizeNearestNhwc,
  resizeNearestIndex,
  resizeSourceCoord,
  type ResizeCoordinateMode,
  type ResizeDims,
} from '../../kernels/f32-resize-nhwc.js';
import { KernelArgumentError, KernelShapeError } from '../../kernels/check.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { seededUniform } from '../../src/model/random.js';

interface GoldenCase {
  dims: ResizeDims;
  x: number[];
  out: Record<'bilinear-align-corners' | 'bilinear-half-pixel' | 'nearest-asymmetric' | 'nearest-half-pixel', number[]>;
}
const goldens = JSON.parse(readFileSync(join(REPO_ROOT, 'data', 'reference', 'resize', 'resize_goldens.json'), 'utf8')) as {
  torch: string;
  cases: GoldenCase[];
};

const MODES: readonly ResizeCoordinateMode[] = ['align-corners', 'half-pixel', 'asymmetric'];
const EPS32 = 2 ** -24;

function outSize(d: ResizeDims): number {
  return d.n * d.outH * d.outW * d.c;
}
function bilinear(x: Float32Array, d: ResizeDims, mode: ResizeCoordinateMode): Float32Array {
  const out = new Float32Array(outSize(d));
  f32ResizeBilinearNhwc(out, x, d, mode);
  return out;
}
function nearest(x: Float32Array, d: ResizeDims, mode: ResizeCoordinateMode): Float32Array {
  const out = new Float32Array(outSize(d));
  f32ResizeNearestNhwc(out, x, d, mode);
  return out;
}
function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

// ---------------------------------------------------------------------------------------------
// Independent float64 oracle: out[n,:,:,c] = Wy · X[n,:,:,c] · Wxᵀ with 1-D weight matrices whose
// rows hold the two interpolation weights, from the coordinate written as an exact fraction p/q.
function weightMatrix(inSize: number, outSize: number, mode: ResizeCoordinateMode): Float64Array[] {
  const rows: Float64Array[] = [];
  for (let d = 0; d < outSize; d++) {
    let p: number;
    let q: number;
    if (mode === 'align-corners') {
      [p, q] = outSize === 1 ? [0, 1] : [d * (inSize - 1), outSize - 1];
    } else if (mode === 'half-pixel') {
      [p, q] = [Math.max((2 * d + 1) * inSize - outSize, 0), 2 * outSize];
    } else {
      [p, q] = [d * inSize, outSize];
    }
    const lo = Math.floor(p / q); // p, q small integers: exact
    const frac = (p - lo * q) / q;
    const row = new Float64Array(inSize);
    row[Math.min(lo, inSize - 1)] += 1 - frac;
    row[Math.min(lo + 1, inSize - 1)] += frac;
    rows.push(row);
  }
  return rows;
}
function oracleBilinear(x: ArrayLike<number>, d: ResizeDims, mode: ResizeCoordinateMode): Float64Array {
  const wy = weightMatrix(d.inH, d.outH, mode);
  const wx = weightMatrix(d.inW, d.outW, mode);
  const out = new Float64Array(outSize(d));
  for (let n = 0; n < d.n; n++) {
    for (let c = 0; c < d.c; c++) {
      // tmp = X · Wxᵀ  [inH, outW]
      const tmp = new Float64Array(d.inH * d.outW);
      for (let i = 0; i < d.inH; i++) {
        for (let j = 0; j < d.outW; j++) {
          let s = 0;
          for (let k = 0; k < d.inW; k++) s += x[((n * d.inH + i) * d.inW + k) * d.c + c] * wx[j][k];
          tmp[i * d.outW + j] = s;
        }
      }
      for (let i = 0; i < d.outH; i++) {
        for (let j = 0; j < d.outW; j++) {
          let s = 0;
          for (let k = 0; k < d.inH; k++) s += wy[i][k] * tmp[k * d.outW + j];
          out[((n * d.outH + i) * d.outW + j) * d.c + c] = s;
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
describe('f32ResizeBilinearNhwc / f32ResizeNearestNhwc vs PyTorch goldens', () => {
  it(`goldens were generated (torch ${goldens.torch}) and cover up-, down- and mixed sampling`, () => {
    expect(goldens.cases.length).toBeGreaterThanOrEqual(10);
  });

  for (const g of goldens.cases) {
    const d = g.dims;
    const label = `${d.n}x${d.inH}x${d.inW}x${d.c} -> ${d.outH}x${d.outW}`;
    const x = Float32Array.from(g.x);
    const tol = EPS32 * maxAbs(x) * (8 + 12 * Math.max(d.inH, d.inW));

    for (const [mode, key] of [
      ['align-corners', 'bilinear-align-corners'],
      ['half-pixel', 'bilinear-half-pixel'],
    ] as const) {
      it(`bilinear ${mode} ${label} matches torch within ${tol.toExponential(2)}`, () => {
        const got = bilinear(x, d, mode);
        const want = g.out[key];
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        expect(worst).toBeLessThanOrEqual(tol);
      });
    }
    for (const [mode, key] of [
      ['asymmetric', 'nearest-asymmetric'],
      ['half-pixel', 'nearest-half-pixel'],
    ] as const) {
      it(`nearest ${mode} ${label} equals torch exactly`, () => {
        expect(Array.from(nearest(x, d, mode))).toEqual(g.out[key]);
      });
    }
  }

  it('reports the measured worst bilinear difference vs torch (relative to max|x|)', () => {
    let worstRel = 0;
    for (const g of goldens.cases) {
      const x = Float32Array.from(g.x);
      for (const [mode, key] of [['align-corners', 'bilinear-align-corners'], ['half-pixel', 'bilinear-half-pixel']] as const) {
        const got = bilinear(x, g.dims, mode);
        for (let i = 0; i < got.length; i++) worstRel = Math.max(worstRel, Math.abs(got[i] - g.out[key][i]) / maxAbs(x));
      }
    }
    console.log(`[resize] worst |ours - torch| / max|x| over all goldens: ${worstRel.toExponential(3)} (= ${(worstRel / EPS32).toFixed(2)} · 2^-24)`);
    expect(worstRel).toBeLessThan(64 * EPS32);
  });

  it('float32 index arithmetic matters: at exact ties torch picks a different pixel than exact math', () => {
    // 2 -> 82 asymmetric, d = 41: exact 41·2/82 = 1, float32 scale gives 0.99999994 → 0 (torch: 0).
    expect(resizeNearestIndex(41, 2, 82, 'asymmetric')).toBe(0);
    expect(Math.floor((41 * 2) / 82)).toBe(1);
    // 2 -> 41 half-pixel, d = 20: exact (20.5)·2/41 = 1, float32 gives 0 (torch 'nearest-exact': 0).
    expect(resizeNearestIndex(20, 2, 41, 'half-pixel')).toBe(0);
  });
});

describe('bilinear vs an independent float64 matrix oracle (all modes, incl. TF1 legacy asymmetric)', () => {
  const dimsArb = fc.record({
    n: fc.integer({ min: 1, max: 2 }),
    inH: fc.integer({ min: 1, max: 9 }),
    inW: fc.integer({ min: 1, max: 9 }),
    c: fc.integer({ min: 1, max: 3 }),
    outH: fc.integer({ min: 1, max: 19 }),
    outW: fc.integer({ min: 1, max: 19 }),
  });

  for (const mode of MODES) {
    it(`${mode}: |ours − oracle| ≤ 2⁻²⁴·|oracle| + 1e-14·max|x|`, () => {
      fc.assert(
        fc.property(dimsArb, fc.integer(), (d, seed) => {
          const x = randomTensor(d.n * d.inH * d.inW * d.c, seed);
          const got = bilinear(x, d, mode);
          const want = oracleBilinear(x, d, mode);
          const m = maxAbs(x);
          for (let i = 0; i < got.length; i++) {
            if (Math.abs(got[i] - want[i]) > EPS32 * Math.abs(want[i]) + 1e-14 * m) return false;
          }
          return true;
        }),
        { numRuns: 150 },
      );
    });
  }

  it('hand-checked values: 2 → 4 in each mode (1-D row)', () => {
    const x = Float32Array.of(0, 8);
    const d = { n: 1, inH: 1, inW: 2, c: 1, outH: 1, outW: 4 };
    // align-corners: s = d/3 → 0, 8/3, 16/3, 8
    expect(Array.from(bilinear(x, d, 'align-corners'))).toEqual([0, Math.fround(8 / 3), Math.fround(16 / 3), 8]);
    // half-pixel: s = (d+0.5)/2 − 0.5 → −0.25→0, 0.25, 0.75, 1.25→edge
    expect(Array.from(bilinear(x, d, 'half-pixel'))).toEqual([0, 2, 6, 8]);
    // asymmetric: s = d/2 → 0, 0.5, 1, 1.5→edge
    expect(Array.from(bilinear(x, d, 'asymmetric'))).toEqual([0, 4, 8, 8]);
  });
});

describe('properties', () => {
  const small = fc.integer({ min: 1, max: 8 });

  it('align-corners maps the 4 corners exactly', () => {
    fc.assert(
      fc.property(small, small, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 2, max: 20 }), fc.integer({ min: 2, max: 20 }), fc.integer(), (inH, inW, c, outH, outW, seed) => {
        const d = { n: 1, inH, inW, c, outH, outW };
        const x = randomTensor(inH * inW * c, seed);
        const y = bilinear(x, d, 'align-corners');
        for (const [iy, ix, oy, ox] of [
          [0, 0, 0, 0],
          [0, inW - 1, 0, outW - 1],
          [inH - 1, 0, outH - 1, 0],
          [inH - 1, inW - 1, outH - 1, outW - 1],
        ]) {
          for (let k = 0; k < c; k++) {
            if (y[(oy * outW + ox) * c + k] !== x[(iy * inW + ix) * c + k]) return false;
          }
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it('align-corners with (out − 1) a multiple of (in − 1) reproduces every input pixel on the grid (17 → 257 style)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.integer(), (inH, inW, kH, kW, seed) => {
        const d = { n: 1, inH, inW, c: 2, outH: (inH - 1) * kH + 1, outW: (inW - 1) * kW + 1 };
        const x = randomTensor(inH * inW * 2, seed);
        const y = bilinear(x, d, 'align-corners');
        for (let i = 0; i < inH; i++) {
          for (let j = 0; j < inW; j++) {
            for (let k = 0; k < 2; k++) {
              if (y[((i * kH) * d.outW + j * kW) * 2 + k] !== x[(i * inW + j) * 2 + k]) return false;
            }
          }
        }
        return true;
      }),
      { numRuns: 150 },
    );
    // The DeepLab case itself: 17 → 257 (16·16 + 1), one channel.
    const x = randomTensor(17 * 17, 7);
    const y = bilinear(x, { n: 1, inH: 17, inW: 17, c: 1, outH: 257, outW: 257 }, 'align-corners');
    for (let i = 0; i < 17; i++) for (let j = 0; j < 17; j++) expect(y[i * 16 * 257 + j * 16]).toBe(x[i * 17 + j]);
  });

  for (const mode of MODES) {
    it(`${mode}: a constant image stays exactly constant; output within [min, max] of the input`, () => {
      fc.assert(
        fc.property(small, small, fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 16 }), fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-1e30), max: Math.fround(1e30) }), fc.integer(), (inH, inW, outH, outW, v, seed) => {
          const d = { n: 1, inH, inW, c: 3, outH, outW };
          const cst = bilinear(new Float32Array(inH * inW * 3).fill(v), d, mode);
          if (!cst.every((e) => e === Math.fround(v))) return false;
          const x = randomTensor(inH * inW * 3, seed);
          let lo = Infinity;
          let hi = -Infinity;
          for (const e of x) {
            lo = Math.min(lo, e);
            hi = Math.max(hi, e);
          }
          return bilinear(x, d, mode).every((e) => e >= lo && e <= hi);
        }),
        { numRuns: 150 },
      );
    });

    it(`${mode}: nearest output values are input values of the same channel; same size is the identity`, () => {
      fc.assert(
        fc.property(small, small, fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 16 }), fc.integer(), (inH, inW, outH, outW, seed) => {
          const c = 2;
          const x = randomTensor(inH * inW * c, seed);
          const y = nearest(x, { n: 1, inH, inW, c, outH, outW }, mode);
          for (let k = 0; k < c; k++) {
            const vals = new Set<number>();
            for (let p = 0; p < inH * inW; p++) vals.add(x[p * c + k]);
            for (let p = 0; p < outH * outW; p++) if (!vals.has(y[p * c + k])) return false;
          }
          const same = { n: 1, inH, inW, c, outH: inH, outW: inW };
          return nearest(x, same, mode).every((e, i) => e === x[i]) && bilinear(x, same, mode).every((e, i) => e === x[i]);
        }),
        { numRuns: 100 },
      );
    });
  }

  it('nearest align-corners rounds half away from zero (TFLite GetNearestNeighbor): 3 → 5 picks 0,1,1,2,2 ... and corners', () => {
    // s = d·2/4 = 0, 0.5, 1, 1.5, 2 → round half away: 0, 1, 1, 2, 2
    expect([0, 1, 2, 3, 4].map((d) => resizeNearestIndex(d, 3, 5, 'align-corners'))).toEqual([0, 1, 1, 2, 2]);
    // half-pixel 3 → 5: floor((d+0.5)·0.6) = floor(0.3, 0.9, 1.5, 2.1, 2.7) = 0, 0, 1, 2, 2
    expect([0, 1, 2, 3, 4].map((d) => resizeNearestIndex(d, 3, 5, 'half-pixel'))).toEqual([0, 0, 1, 2, 2]);
    // asymmetric 3 → 5: floor(d·0.6) = 0, 0, 1, 1, 2
    expect([0, 1, 2, 3, 4].map((d) => resizeNearestIndex(d, 3, 5, 'asymmetric'))).toEqual([0, 0, 1, 1, 2]);
    // out = 1
    for (const mode of MODES) expect(resizeNearestIndex(0, 7, 1, mode)).toBe(mode === 'half-pixel' ? 3 : 0);
  });

  it('source coordinates: documented formulas, half-pixel clamped at 0, out = 1 under align-corners → 0', () => {
    expect(resizeSourceCoord(0, 4, 8, 'half-pixel')).toBe(0); // −0.25 → 0
    expect(resizeSourceCoord(7, 4, 8, 'half-pixel')).toBe(3.25);
    expect(resizeSourceCoord(3, 5, 9, 'align-corners')).toBe(1.5);
    expect(resizeSourceCoord(0, 5, 1, 'align-corners')).toBe(0);
    expect(resizeSourceCoord(3, 5, 9, 'asymmetric')).toBe(15 / 9);
  });
});

describe('argument checks', () => {
  const d = { n: 1, inH: 2, inW: 3, c: 2, outH: 4, outW: 5 };
  it('wrong buffer lengths name the buffer and the expected shape', () => {
    expect(() => f32ResizeBilinearNhwc(new Float32Array(40), new Float32Array(11), d, 'half-pixel')).toThrow(KernelShapeError);
    expect(() => f32ResizeBilinearNhwc(new Float32Array(40), new Float32Array(11), d, 'half-pixel')).toThrow(/resizeBilinear: x has 11 elements, expected \[N=1, H=2, W=3, C=2\] = 12/);
    expect(() => f32ResizeNearestNhwc(new Float32Array(39), new Float32Array(12), d, 'half-pixel')).toThrow(/resizeNearest: out has 39 elements, expected \[N=1, OH=4, OW=5, C=2\] = 40/);
  });
  it('non-positive or fractional dims, unknown modes and overlapping buffers are rejected', () => {
    expect(() => f32ResizeBilinearNhwc(new Float32Array(0), new Float32Array(12), { ...d, outH: 0 }, 'half-pixel')).toThrow(/dims.outH must be a positive integer/);
    expect(() => f32ResizeBilinearNhwc(new Float32Array(40), new Float32Array(12), { ...d, c: 1.5 }, 'half-pixel')).toThrow(KernelShapeError);
    expect(() => f32ResizeBilinearNhwc(new Float32Array(40), new Float32Array(12), d, 'pytorch' as ResizeCoordinateMode)).toThrow(KernelArgumentError);
    const buf = new Float32Array(52);
    expect(() => f32ResizeBilinearNhwc(buf.subarray(0, 40), buf.subarray(40, 52), d, 'half-pixel')).not.toThrow();
    expect(() => f32ResizeBilinearNhwc(buf.subarray(12, 52), buf.subarray(0, 12), d, 'half-pixel')).not.toThrow();
    expect(() => f32ResizeBilinearNhwc(buf.subarray(0, 40), buf.subarray(30, 42), d, 'half-pixel')).toThrow(/must not overlap/);
  });
  it('NaN propagates through bilinear taps (even zero-weight ones) and is copied by nearest', () => {
    const x = Float32Array.of(1, NaN);
    const dd = { n: 1, inH: 1, inW: 2, c: 1, outH: 1, outW: 3 };
    const y = bilinear(x, dd, 'align-corners'); // s = 0 (weight of the NaN tap is 0), 0.5, 1
    expect(y.every(Number.isNaN)).toBe(true);
    expect(Array.from(nearest(x, dd, 'asymmetric'))).toEqual([1, 1, NaN]);
  });
});

/** Deterministic pseudo-random float32 tensor in about [−4, 4] (a sum of four uniforms from the project's one seeded generator). */
function randomTensor(length: number, seed: number): Float32Array {
  const next = seededUniform(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = (next() + next() + next() + next() - 2) * 2;
  return out;
}
