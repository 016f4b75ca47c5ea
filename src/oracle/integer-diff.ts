// SPDX-License-Identifier: Apache-2.0
/**
 * Differences between two integer tensors (quantized activations, int32 accumulators, class
 * indices), counted in LSBs: one step of the integer grid. Integer results are compared exactly —
 * there is no tolerance — so what matters is how many values differ and by how much:
 *
 *   differing   the number of i with a[i] ≠ b[i]
 *   histogram   for each d = |a[i] − b[i]| > 0, how many values differ by exactly d LSB, sorted by
 *               d (a rounding-convention mismatch shows as a few 1-LSB values; a wrong zero point,
 *               scale or tap as a wide spread)
 *   maxLsb      the largest d (0 when equal)
 *   first       the first differing flat index (C order), −1 when equal
 *   worst       the flat index of the largest d (the first one on ties), −1 when equal
 */

export interface IntegerDifference {
  readonly count: number;
  readonly differing: number;
  readonly maxLsb: number;
  readonly histogram: ReadonlyArray<readonly [lsb: number, count: number]>;
  readonly first: number;
  readonly worst: number;
}

/** `a` and `b` hold integers of the same length (any integer typed array, or numbers). */
export function integerDifference(a: ArrayLike<number>, b: ArrayLike<number>): IntegerDifference {
  if (a.length !== b.length) throw new RangeError(`integerDifference: lengths differ (${a.length} vs ${b.length})`);
  const counts = new Map<number, number>();
  let differing = 0, maxLsb = 0, first = -1, worst = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d === 0) continue;
    differing++;
    if (first < 0) first = i;
    if (d > maxLsb) { maxLsb = d; worst = i; }
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  const histogram = [...counts].sort((x, y) => x[0] - y[0]);
  return { count: a.length, differing, maxLsb, histogram, first, worst };
}

/** "1:120 2:4 3:1" — the histogram on one line, at most `limit` buckets then "… max M". */
export function formatLsbHistogram(d: IntegerDifference, limit = 6): string {
  if (d.differing === 0) return '';
  const shown = d.histogram.slice(0, limit).map(([l, n]) => `${l}:${n}`).join(' ');
  return d.histogram.length > limit ? `${shown} … max ${d.maxLsb}` : shown;
}
