// SPDX-License-Identifier: Apache-2.0
/** Grades anyone's results directory against the suite: per case, per kernel, overall. (Conformance vectors: see ../vectors.ts.) */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readNpyFile, readNpyTypedFile } from '../../io/npy.js';
import { usageError } from '../../errors.js';
import { ulpDistance } from '../metrics.js';
import { formatLsbHistogram, integerDifference } from '../integer-diff.js';
import { VECTOR_KERNELS, vectorDTypeOf, type VectorCase, type VectorData, type VectorKernel } from './format.js';
import { loadTyped } from './runner-q8.js';
import { readVectorManifest } from './writer.js';
// ---------------------------------------------------------------------------------------------
// Grading.

export interface CaseGrade {
  readonly name: string;
  readonly kernel: VectorKernel;
  readonly status: 'pass' | 'fail' | 'missing';
  /** Largest |r − e| / bound (exact cases: 0 or ∞); ∞ for a NaN / shape mismatch. */
  readonly worstRatio: number;
  readonly failures: number;
  readonly detail: string;
  /** Integer cases: values differing and the LSB histogram ([|r − e|, count] pairs). */
  readonly lsb?: { readonly differing: number; readonly maxLsb: number; readonly histogram: ReadonlyArray<readonly [number, number]> };
}

export interface KernelGrade {
  readonly kernel: VectorKernel;
  readonly cases: number;
  readonly passed: number;
  readonly failed: number;
  readonly missing: number;
  readonly worst: CaseGrade | null;
}

export interface VectorGrade {
  readonly cases: readonly CaseGrade[];
  readonly kernels: readonly KernelGrade[];
  readonly pass: boolean;
}

export function gradeCase(c: VectorCase, expected: Float32Array, bound: Float32Array | null, got: Float32Array, gotShape: readonly number[]): CaseGrade {
  const sameShape = c.kernel === 'nms' ? got.length === expected.length : gotShape.length === c.expected.shape.length && gotShape.every((d, i) => d === c.expected.shape[i]);
  if (!sameShape) {
    return { name: c.name, kernel: c.kernel, status: 'fail', worstRatio: Infinity, failures: expected.length, detail: `shape ${JSON.stringify(gotShape)}, expected ${JSON.stringify(c.expected.shape)}` };
  }
  let worst = 0, worstAt = -1, failures = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!, r = got[i]!;
    let ratio: number;
    if (Number.isNaN(e) || Number.isNaN(r)) ratio = Number.isNaN(e) && Number.isNaN(r) ? 0 : Infinity;
    else if (e === r) ratio = 0;
    else if (!Number.isFinite(e) || !Number.isFinite(r)) ratio = Infinity;
    else {
      const b = bound ? bound[i]! : 0;
      const d = Math.abs(r - e);
      ratio = b > 0 ? d / b : Infinity;
      if (ratio > 1 && c.tolerance.ulp > 0 && ulpDistance(r, e) <= c.tolerance.ulp) ratio = 1;
    }
    if (ratio > 1) failures++;
    if (ratio > worst || worstAt < 0) { worst = ratio; worstAt = i; }
  }
  const detail = worstAt >= 0 && worst > 0
    ? `worst at [${worstAt}]: got ${got[worstAt]}, expected ${expected[worstAt]}${bound ? `, bound ${bound[worstAt]!.toExponential(2)}` : ' (exact)'}`
    : 'exact match';
  return { name: c.name, kernel: c.kernel, status: failures ? 'fail' : 'pass', worstRatio: worst, failures, detail };
}

/** An integer case: every value equal (no tolerance); failures = differing values, with their LSB histogram. */
export function gradeIntegerCase(c: VectorCase, expected: ArrayLike<number>, got: ArrayLike<number>, gotShape: readonly number[]): CaseGrade {
  const sameShape = gotShape.length === c.expected.shape.length && gotShape.every((d, i) => d === c.expected.shape[i]);
  if (!sameShape) {
    return { name: c.name, kernel: c.kernel, status: 'fail', worstRatio: Infinity, failures: expected.length, detail: `shape ${JSON.stringify(gotShape)}, expected ${JSON.stringify(c.expected.shape)}` };
  }
  const d = integerDifference(got, expected);
  const lsb = { differing: d.differing, maxLsb: d.maxLsb, histogram: d.histogram };
  if (d.differing === 0) return { name: c.name, kernel: c.kernel, status: 'pass', worstRatio: 0, failures: 0, detail: 'exact match', lsb };
  return {
    name: c.name, kernel: c.kernel, status: 'fail', worstRatio: Infinity, failures: d.differing, lsb,
    detail: `${d.differing} of ${d.count} values differ (|result − expected| in LSB: ${formatLsbHistogram(d)}); first at [${d.first}]: got ${got[d.first]}, expected ${expected[d.first]}`,
  };
}

/** Result dtypes accepted for an expected dtype: the same one (ARG_MAX indices: int32 or int64). */
function dtypeAccepted(c: VectorCase, got: string): boolean {
  const want = c.expected.dtype ?? 'float32';
  return got === want || (c.kernel === 'q8-argmax' && got === 'int64');
}

/**
 * Grades `results` (a directory of <case>.npy, or a map from case name to output) against the
 * suite in `dir`. Missing results count as failures unless `allowMissing`. Integer expected
 * outputs are graded exactly (gradeIntegerCase); a result of another dtype fails its case.
 */
export function checkVectors(dir: string, results: string | ReadonlyMap<string, { data: VectorData; shape: readonly number[] }>, options: { allowMissing?: boolean; kernels?: readonly VectorKernel[] } = {}): VectorGrade {
  const m = readVectorManifest(dir);
  const cases: CaseGrade[] = [];
  for (const c of m.cases) {
    if (options.kernels && !options.kernels.includes(c.kernel)) continue;
    let got: { data: ArrayLike<number> | BigInt64Array; shape: readonly number[]; dtype: string } | undefined;
    if (typeof results === 'string') {
      const p = join(results, `${c.name}.npy`);
      if (existsSync(p)) {
        try { got = readNpyTypedFile(p); } catch (e) {
          cases.push({ name: c.name, kernel: c.kernel, status: 'fail', worstRatio: Infinity, failures: 0, detail: (e as Error).message });
          continue;
        }
      }
    } else {
      const r = results.get(c.name);
      got = r && { ...r, dtype: vectorDTypeOf(r.data) };
    }
    if (!got) {
      cases.push({ name: c.name, kernel: c.kernel, status: 'missing', worstRatio: 0, failures: 0, detail: 'no result' });
      continue;
    }
    if (!dtypeAccepted(c, got.dtype)) {
      cases.push({ name: c.name, kernel: c.kernel, status: 'fail', worstRatio: Infinity, failures: 0, detail: `result dtype ${got.dtype}, expected ${c.expected.dtype ?? 'float32'}` });
      continue;
    }
    const expected = loadTyped(dir, c.expected);
    const values = got.data instanceof BigInt64Array ? Float64Array.from(got.data, (v) => Number(v)) : got.data;
    if (!(expected instanceof Float32Array)) {
      cases.push(gradeIntegerCase(c, expected, values, got.shape));
      continue;
    }
    const bound = c.tolerance.boundFile ? readNpyFile(join(dir, c.tolerance.boundFile)).data : null;
    cases.push(gradeCase(c, expected, bound, values as Float32Array, got.shape));
  }
  const kernels: KernelGrade[] = [];
  for (const k of VECTOR_KERNELS) {
    const ks = cases.filter((c) => c.kernel === k);
    if (!ks.length) continue;
    const graded = ks.filter((c) => c.status !== 'missing');
    const worst = graded.reduce<CaseGrade | null>((w, c) => (!w || c.worstRatio > w.worstRatio ? c : w), null);
    kernels.push({
      kernel: k, cases: ks.length, passed: ks.filter((c) => c.status === 'pass').length, failed: ks.filter((c) => c.status === 'fail').length,
      missing: ks.filter((c) => c.status === 'missing').length, worst,
    });
  }
  const pass = cases.every((c) => c.status === 'pass' || (c.status === 'missing' && options.allowMissing));
  if (typeof results === 'string' && cases.every((c) => c.status === 'missing')) {
    throw usageError(`${results}: none of the ${cases.length} result files (<case name>.npy) is there; see ${join(dir, 'README.txt')}`);
  }
  return { cases, kernels, pass };
}
