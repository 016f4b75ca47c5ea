// SPDX-License-Identifier: Apache-2.0
/** The pseudo-inverse against independent float64 computations: normal equations, a rank-1 closed form, and the Moore–Penrose conditions. */
import { describe, expect, it } from 'vitest';
import { matmul, pseudoInverse, transpose } from '../../src/teach/linalg.js';
import { randomEmbedding } from '../../src/teach/manifold.js';

const U = Number.EPSILON / 2;

function maxAbs(a: Float64Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

/** (TᵀT)⁻¹Tᵀ for T [n, 2], with the 2×2 inverse written out: an independent route to T⁺. */
function normalEquationsPinv(t: Float64Array, n: number): { pinv: Float64Array; cond: number } {
  let a = 0, b = 0, d = 0;
  for (let i = 0; i < n; i++) {
    a += t[2 * i]! ** 2;
    b += t[2 * i]! * t[2 * i + 1]!;
    d += t[2 * i + 1]! ** 2;
  }
  const det = a * d - b * b;
  const inv = [d / det, -b / det, -b / det, a / det];
  const pinv = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    pinv[i] = inv[0]! * t[2 * i]! + inv[1]! * t[2 * i + 1]!;
    pinv[n + i] = inv[2]! * t[2 * i]! + inv[3]! * t[2 * i + 1]!;
  }
  // Eigenvalues of TᵀT give cond(T)² = λmax/λmin.
  const tr = a + d, disc = Math.sqrt(Math.max(0, (tr / 2) ** 2 - det));
  return { pinv, cond: Math.sqrt((tr / 2 + disc) / (tr / 2 - disc)) };
}

describe('pseudoInverse', () => {
  it.each([2, 3, 5, 15, 30, 200])('T [%i, 2] Gaussian: equals (TᵀT)⁻¹Tᵀ within the normal equations\' κ²·u error', (n) => {
    for (let seed = 1; seed <= 20; seed++) {
      const t = randomEmbedding(n, seed * 7919 + n);
      const ours = pseudoInverse(t, n, 2);
      const { pinv, cond } = normalEquationsPinv(t, n);
      // Forming TᵀT squares the condition number: the normal-equations answer is accurate to about
      // κ²·u relative (Golub & Van Loan §5.3.8); the Jacobi SVD is accurate to κ·u. 8n absorbs the sums.
      const bound = 8 * n * cond * cond * U * maxAbs(pinv);
      const diff = maxAbs(ours.map((v, i) => v - pinv[i]!));
      expect(diff, `seed ${seed} κ=${cond.toFixed(1)}`).toBeLessThanOrEqual(bound);
    }
  });

  it('rank-1 A = u·vᵀ [4, 3]: A⁺ = v·uᵀ / (‖u‖²‖v‖²), and the four Moore–Penrose conditions hold', () => {
    const u = [1, -2, 0.5, 3], v = [2, 0, -1];
    const a = new Float64Array(12).map((_, k) => u[Math.floor(k / 3)]! * v[k % 3]!);
    const nu = u.reduce((s, x) => s + x * x, 0), nv = v.reduce((s, x) => s + x * x, 0);
    const expected = new Float64Array(12).map((_, k) => (v[Math.floor(k / 4)]! * u[k % 4]!) / (nu * nv));
    const p = pseudoInverse(a, 4, 3);
    // Entries are O(0.1); a few dozen roundings of O(1) products: 1e-14 is ~100 u.
    expect(maxAbs(p.map((x, i) => x - expected[i]!))).toBeLessThan(1e-14);
    const apa = matmul(matmul(a, p, 4, 3, 4), a, 4, 4, 3);
    expect(maxAbs(apa.map((x, i) => x - a[i]!))).toBeLessThan(1e-13);
    const pap = matmul(matmul(p, a, 3, 4, 3), p, 3, 3, 4);
    expect(maxAbs(pap.map((x, i) => x - p[i]!))).toBeLessThan(1e-14);
    const ap = matmul(a, p, 4, 3, 4);
    expect(maxAbs(ap.map((x, i) => x - transpose(ap, 4, 4)[i]!))).toBeLessThan(1e-14);
  });

  it('wide matrices go through the transpose: pinv([1 2]) = [1 2]ᵀ/5', () => {
    expect(Array.from(pseudoInverse(new Float64Array([1, 2]), 1, 2)).map((x) => x * 5)).toEqual([expect.closeTo(1, 14), expect.closeTo(2, 14)]);
  });
});
