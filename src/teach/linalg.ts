// SPDX-License-Identifier: Apache-2.0
/**
 * The little float64 linear algebra the teaching figures need: a Moore–Penrose pseudo-inverse by
 * one-sided Jacobi SVD (Hestenes), and least-squares fits built on it. Matrices are row-major
 * Float64Arrays with explicit [rows, cols]; sizes here are tiny (a spiral's 2 columns, a block's
 * ≤ 320 channels), so clarity wins over speed.
 *
 *   A    [M, N]   row-major, A[i·N + j]
 *   A⁺   [N, M]   A·A⁺·A = A, A⁺·A·A⁺ = A⁺, A·A⁺ and A⁺·A symmetric
 */
import { shapeError } from '../errors.js';

/** Singular value decomposition of a tall matrix (M ≥ N): A = U·diag(σ)·Vᵀ, U [M, N], V [N, N]. */
export interface ThinSvd {
  readonly u: Float64Array;
  readonly sigma: Float64Array;
  readonly v: Float64Array;
}

/**
 * One-sided Jacobi SVD: rotate pairs of columns of A until every pair is orthogonal; the column
 * norms are then the singular values. Converges quadratically; 60 sweeps is far beyond need.
 */
export function thinSvd(a: Float64Array, rows: number, cols: number): ThinSvd {
  if (a.length !== rows * cols) throw shapeError(`thinSvd: matrix has ${a.length} values, expected [${rows}, ${cols}]`);
  if (rows < cols) throw shapeError(`thinSvd: needs a tall matrix (rows ≥ cols), got [${rows}, ${cols}]`);
  const u = Float64Array.from(a);
  const v = new Float64Array(cols * cols);
  for (let j = 0; j < cols; j++) v[j * cols + j] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < rows; i++) {
          const up = u[i * cols + p]!, uq = u[i * cols + q]!;
          alpha += up * up;
          beta += uq * uq;
          gamma += up * uq;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < rows; i++) {
          const up = u[i * cols + p]!, uq = u[i * cols + q]!;
          u[i * cols + p] = c * up - s * uq;
          u[i * cols + q] = s * up + c * uq;
        }
        for (let i = 0; i < cols; i++) {
          const vp = v[i * cols + p]!, vq = v[i * cols + q]!;
          v[i * cols + p] = c * vp - s * vq;
          v[i * cols + q] = s * vp + c * vq;
        }
      }
    }
    if (!rotated) break;
  }
  const sigma = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let norm = 0;
    for (let i = 0; i < rows; i++) norm += u[i * cols + j]! ** 2;
    norm = Math.sqrt(norm);
    sigma[j] = norm;
    if (norm > 0) for (let i = 0; i < rows; i++) u[i * cols + j] = u[i * cols + j]! / norm;
  }
  return { u, sigma, v };
}

/** Transpose of a row-major [rows, cols] matrix. */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

/**
 * Moore–Penrose pseudo-inverse A⁺ [cols, rows] = V·diag(1/σ)·Uᵀ, dropping singular values below
 * max(rows, cols)·ε·σ_max (numpy's `pinv` cut-off), so rank-deficient matrices are handled.
 */
export function pseudoInverse(a: Float64Array, rows: number, cols: number): Float64Array {
  if (rows < cols) return transpose(pseudoInverse(transpose(a, rows, cols), cols, rows), rows, cols);
  const { u, sigma, v } = thinSvd(a, rows, cols);
  const cutoff = Math.max(rows, cols) * Number.EPSILON * Math.max(0, ...sigma);
  const out = new Float64Array(cols * rows);
  for (let k = 0; k < cols; k++) {
    const s = sigma[k]!;
    if (!(s > cutoff)) continue;
    for (let j = 0; j < cols; j++) {
      const vjk = v[j * cols + k]! / s;
      if (vjk === 0) continue;
      for (let i = 0; i < rows; i++) out[j * rows + i] = out[j * rows + i]! + vjk * u[i * cols + k]!;
    }
  }
  return out;
}

/** C [m, n] = A [m, k] · B [k, n]. */
export function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      if (aip === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j] = c[i * n + j]! + aip * b[p * n + j]!;
    }
  }
  return c;
}
