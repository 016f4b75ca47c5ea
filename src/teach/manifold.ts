// SPDX-License-Identifier: Apache-2.0
/**
 * Figure 1 of the paper (§3.2, "Linear Bottlenecks"): a 2-D spiral x is embedded into n dimensions
 * by a random matrix T [n, 2], passed through ReLU, and projected back with T's pseudo-inverse:
 *
 *   x̂ = T⁺ · ReLU(T · x)
 *
 * For small n (2, 3) whole arcs of the spiral collapse onto each other — ReLU destroyed them; for
 * n = 15 … 30 the spiral comes back, bent but whole. "ReLU is capable of preserving complete
 * information about the input manifold, but only if the input manifold lies in a low-dimensional
 * subspace of the input space."
 *
 * Three numbers per draw, all in float64:
 *  - `collapsed`: the fraction of spiral points where fewer than two linearly independent rows of
 *    T are active (T_i·x > 0). There ReLU(T·x) determines x only up to a line or not at all, so no
 *    decoder whatsoever can recover it: information is destroyed, not just distorted.
 *  - `fitError`: ‖X − A·X̂‖ / ‖X‖ with A the best 2×2 linear map (least squares). It measures what
 *    is lost up to a linear re-mapping — the paper's panels are autoscaled, and for large n
 *    T⁺·ReLU(T·x) tends to x/2 (ReLU keeps about half of the energy), which a linear map undoes.
 *  - `rawError`: ‖X − X̂‖ / ‖X‖, the plain reconstruction error (tends to 0.5 for large n, for the
 *    reason above).
 *
 * T has independent N(0, 1) entries (Box–Muller on the project's seeded mulberry32); draw d of
 * dimension n uses seed (seed, n, d), so adding a dimension does not change the others.
 */
import { seededUniform } from '../model/random.js';
import { usageError } from '../errors.js';
import { matmul, pseudoInverse, transpose } from './linalg.js';
import { createFigure, figurePng, label, labelWidth, rampColor, scatter, type Rgb } from './plot.js';

export interface ManifoldOptions {
  /** Embedding dimensions n (default the paper's 2, 3, 5, 15, 30). */
  dims?: readonly number[];
  /** Seeded draws of T per n (default 8). */
  draws?: number;
  /** Base seed (default 1). */
  seed?: number;
  /** Spiral points (default 500). */
  points?: number;
  /** Spiral turns (default 1.5). */
  turns?: number;
}

export interface ResolvedManifoldOptions {
  readonly dims: readonly number[];
  readonly draws: number;
  readonly seed: number;
  readonly points: number;
  readonly turns: number;
}

export interface ManifoldDraw {
  readonly n: number;
  readonly draw: number;
  readonly seed: number;
  /** T [n, 2], row-major. */
  readonly t: Float64Array;
  /** Reconstruction x̂ [points, 2], row-major. */
  readonly reconstruction: Float64Array;
  readonly collapsed: number;
  readonly fitError: number;
  readonly rawError: number;
}

export interface ManifoldRow {
  readonly n: number;
  readonly collapsed: Stats;
  readonly fitError: Stats;
  readonly rawError: Stats;
}

export interface Stats { readonly mean: number; readonly min: number; readonly max: number }

export interface ManifoldResult {
  readonly options: ResolvedManifoldOptions;
  /** The spiral X [points, 2], row-major. */
  readonly spiral: Float64Array;
  readonly draws: readonly ManifoldDraw[];
  readonly rows: readonly ManifoldRow[];
}

export const FIGURE1_DIMS: readonly number[] = [2, 3, 5, 15, 30];

export function resolveManifoldOptions(o: ManifoldOptions = {}): ResolvedManifoldOptions {
  const dims = o.dims ?? FIGURE1_DIMS;
  if (dims.length === 0 || dims.some((n) => !Number.isInteger(n) || n < 1 || n > 4096)) {
    throw usageError(`manifold: dimensions must be integers from 1 to 4096, got ${dims.join(',')}`);
  }
  const draws = o.draws ?? 8;
  if (!Number.isInteger(draws) || draws < 1 || draws > 1000) throw usageError(`manifold: draws must be an integer from 1 to 1000, got ${draws}`);
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw usageError(`manifold: seed must be an integer from 0 to 2^32−1, got ${seed}`);
  const points = o.points ?? 500;
  if (!Number.isInteger(points) || points < 3 || points > 100_000) throw usageError(`manifold: points must be an integer from 3 to 100000, got ${points}`);
  const turns = o.turns ?? 1.5;
  if (!(turns > 0 && turns <= 20)) throw usageError(`manifold: turns must be in (0, 20], got ${turns}`);
  // Bounded work and memory: ReLU(T·X) holds points·n doubles; every draw is one such product.
  if (dims.length > 16) throw usageError(`manifold: at most 16 dimensions, got ${dims.length}`);
  const widest = points * Math.max(...dims);
  if (widest > 10_000_000) throw usageError(`manifold: points × largest n = ${widest} exceeds 10,000,000 values; use fewer points or a smaller n`);
  const work = draws * points * dims.reduce((a, b) => a + b, 0);
  if (work > 200_000_000) throw usageError(`manifold: draws × points × Σn = ${work} exceeds 200,000,000; use fewer draws, points or dimensions`);
  return { dims: [...dims], draws, seed, points, turns };
}

/** The input manifold: radius 0.1 + 0.9·u, angle 2π·turns·u for u in [0, 1], wound around the origin (where ReLU bites). */
export function spiral(points: number, turns: number): Float64Array {
  const x = new Float64Array(points * 2);
  for (let i = 0; i < points; i++) {
    const u = i / (points - 1);
    const a = 2 * Math.PI * turns * u;
    const r = 0.1 + 0.9 * u;
    x[2 * i] = r * Math.cos(a);
    x[2 * i + 1] = r * Math.sin(a);
  }
  return x;
}

/** Seed of draw d at dimension n: a fixed mix, so each (n, d) has its own stream. */
export function drawSeed(seed: number, n: number, draw: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n + 1, 0xc2b2ae35) ^ Math.imul(draw + 1, 0x27d4eb2f)) >>> 0;
}

/** T [n, 2] with N(0, 1) entries (Box–Muller). */
export function randomEmbedding(n: number, seed: number): Float64Array {
  const rand = seededUniform(seed);
  const t = new Float64Array(n * 2);
  for (let i = 0; i < t.length; i += 2) {
    const u1 = 1 - rand(); // (0, 1]: log is finite
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1));
    t[i] = r * Math.cos(2 * Math.PI * u2);
    t[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return t;
}

/** x̂ = T⁺ · ReLU(T · x) for every point, plus the collapsed-point count. */
export function reluRoundTrip(x: Float64Array, t: Float64Array, n: number): { reconstruction: Float64Array; collapsed: number } {
  const points = x.length / 2;
  const pinv = pseudoInverse(t, n, 2); // [2, n]
  const y = matmul(x, transpose(t, n, 2), points, 2, n); // [points, n] = X·Tᵀ
  let collapsed = 0;
  for (let p = 0; p < points; p++) {
    // Active rows span R² iff two of them are not parallel.
    let first = -1;
    let spans = false;
    for (let i = 0; i < n; i++) {
      if (y[p * n + i]! <= 0) { y[p * n + i] = 0; continue; }
      if (spans) continue;
      if (first < 0) { first = i; continue; }
      const det = t[2 * first]! * t[2 * i + 1]! - t[2 * first + 1]! * t[2 * i]!;
      if (Math.abs(det) > 1e-12 * Math.hypot(t[2 * first]!, t[2 * first + 1]!) * Math.hypot(t[2 * i]!, t[2 * i + 1]!)) spans = true;
    }
    if (!spans) collapsed++;
  }
  return { reconstruction: matmul(y, transpose(pinv, 2, n), points, n, 2), collapsed: collapsed / points };
}

function frobenius(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s);
}

/** ‖X − X̂·Aᵀ‖/‖X‖ with A the least-squares 2×2 map: Aᵀ = X̂⁺·X. */
export function linearFitError(x: Float64Array, xhat: Float64Array): number {
  const points = x.length / 2;
  const at = matmul(pseudoInverse(xhat, points, 2), x, 2, points, 2);
  const fitted = matmul(xhat, at, points, 2, 2);
  const diff = fitted.map((v, i) => x[i]! - v);
  return frobenius(diff) / frobenius(x);
}

function stats(values: readonly number[]): Stats {
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, min: Math.min(...values), max: Math.max(...values) };
}

/** Runs Figure 1's experiment. Deterministic for given options. */
export function manifoldExperiment(options: ManifoldOptions = {}): ManifoldResult {
  const o = resolveManifoldOptions(options);
  const x = spiral(o.points, o.turns);
  const xNorm = frobenius(x);
  const draws: ManifoldDraw[] = [];
  const rows: ManifoldRow[] = [];
  for (const n of o.dims) {
    const mine: ManifoldDraw[] = [];
    for (let d = 0; d < o.draws; d++) {
      const seed = drawSeed(o.seed, n, d);
      const t = randomEmbedding(n, seed);
      const { reconstruction, collapsed } = reluRoundTrip(x, t, n);
      const rawError = frobenius(reconstruction.map((v, i) => x[i]! - v)) / xNorm;
      mine.push({ n, draw: d, seed, t, reconstruction, collapsed, fitError: linearFitError(x, reconstruction), rawError });
    }
    draws.push(...mine);
    rows.push({
      n,
      collapsed: stats(mine.map((m) => m.collapsed)),
      fitError: stats(mine.map((m) => m.fitError)),
      rawError: stats(mine.map((m) => m.rawError)),
    });
  }
  return { options: o, spiral: x, draws, rows };
}

/** The printed table (the `teach manifold` output). */
export function formatManifold(r: ManifoldResult): string {
  const o = r.options;
  const lines = [
    `Figure 1: spiral (${o.points} points, ${o.turns} turns) → T [n, 2] with N(0, 1) entries → ReLU → T⁺ (pseudo-inverse); ${o.draws} draws per n, seed ${o.seed}`,
    'collapsed = points where fewer than 2 independent rows of T are active (unrecoverable by any decoder)',
    'fit error = ‖X − A·X̂‖/‖X‖ after the best 2×2 linear map A;  raw error = ‖X − X̂‖/‖X‖',
    '',
    '   n   collapsed mean [min, max]     fit error mean [min, max]     raw error mean [min, max]',
  ];
  const f = (s: Stats, digits: number): string => `${s.mean.toFixed(digits)} [${s.min.toFixed(digits)}, ${s.max.toFixed(digits)}]`.padEnd(30);
  for (const row of r.rows) {
    lines.push(`${String(row.n).padStart(4)}   ${f(row.collapsed, 4)}${f(row.fitError, 4)}${f(row.rawError, 4)}`.trimEnd());
  }
  return lines.join('\n');
}

export interface ManifoldFigureOptions {
  /** How many draws to show per n (rows of the grid; default min(3, draws)). */
  rows?: number;
  /** Panel size in pixels (default 180). */
  panel?: number;
}

/**
 * The grid: column 0 the input spiral, then one column per n; one row per shown draw. Each panel is
 * autoscaled (equal aspect), points coloured along the spiral, titled with n and its fit error.
 */
export function manifoldFigure(r: ManifoldResult, options: ManifoldFigureOptions = {}): Uint8Array {
  const shown = Math.min(options.rows ?? 3, r.options.draws);
  const panel = options.panel ?? 180;
  const pad = 8, title = 14;
  const cols = r.options.dims.length + 1;
  const header = 24;
  const f = createFigure(pad + cols * (panel + pad), header + shown * (panel + title + pad) + pad);
  const caption = 'FIGURE 1: X = T+ RELU(T X), T RANDOM N X 2, T+ ITS PSEUDO-INVERSE';
  label(f, Math.max(pad, (f.width - labelWidth(caption, 2)) >> 1), 5, caption, 2);
  const points = r.options.points;
  const colors: Rgb[] = Array.from({ length: points }, (_, i) => rampColor(i / (points - 1)));
  const xs = (a: Float64Array): Float64Array => a.filter((_, i) => i % 2 === 0);
  const ys = (a: Float64Array): Float64Array => a.filter((_, i) => i % 2 === 1);
  for (let row = 0; row < shown; row++) {
    const y = header + row * (panel + title + pad);
    label(f, pad, y + 3, row === 0 ? 'INPUT' : '', 1);
    scatter(f, pad, y + title, panel, panel, xs(r.spiral), ys(r.spiral), colors);
    r.options.dims.forEach((n, k) => {
      const d = r.draws.find((m) => m.n === n && m.draw === row)!;
      const x = pad + (k + 1) * (panel + pad);
      label(f, x, y + 3, `N=${n} DRAW ${row} FIT ${d.fitError.toFixed(3)}`, 1);
      scatter(f, x, y + title, panel, panel, xs(d.reconstruction), ys(d.reconstruction), colors);
    });
  }
  return figurePng(f);
}
