// SPDX-License-Identifier: Apache-2.0
/**
 * Quantized SOFTMAX by table: the fast twin of kernels/q8-softmax.ts, bit for bit.
 *
 *   out [ROWS, COLS]  uint8 / int8 (type of x); x [ROWS, COLS]; out may not alias x
 *   exps              Int32Array(512), filled once per parameter set by q8SoftmaxExpTable
 *   row               Int32Array(256) scratch (one row's outputs by difference)
 *
 * Why a table is exact: every term of the definition depends on its input only through the
 * difference d = x − max(row), and d takes at most 256 values (0, −1, …, −255 for 8-bit x). The
 * Q0.31 exp of each and its Q12.19 share of the sum are computed once by the definition's own
 * functions; a row then needs one table read per element for the sum, and — once the reciprocal
 * of the sum is known — at most 256 evaluations of step 4 instead of one per class (1001 for the
 * ImageNet classifier, where the definition evaluates the fixed-point exp twice per class).
 * Sums wrap in int32 exactly as the definition's do.
 */
import { KernelArgumentError } from './check.js';
import type { MatrixDims } from './dims.js';
import type { Q8Array } from './q8-check.js';
import {
  checkSoftmaxIo, softmaxExpOfDifference, softmaxOutputExponent, softmaxProbability, softmaxReciprocal, softmaxSumTerm, type Q8SoftmaxParams,
} from './q8-softmax.js';

/** Entries per half of the exp table: one per difference 0 … −255. */
export const SOFTMAX_DIFFERENCES = 256;

/**
 * exps[k] = exp(d̃) in Q0.31 and exps[256 + k] = its Q12.19 sum term, for d = −k
 * (0 for d < diff_min: a skipped term, see softmaxExpOfDifference).
 */
export function q8SoftmaxExpTable(exps: Int32Array, p: Q8SoftmaxParams): void {
  checkExpTable(exps);
  for (let k = 0; k < SOFTMAX_DIFFERENCES; k++) {
    const e = softmaxExpOfDifference(-k, p);
    exps[k] = e;
    exps[SOFTMAX_DIFFERENCES + k] = softmaxSumTerm(e);
  }
}

function checkExpTable(exps: Int32Array): void {
  if (exps.length !== 2 * SOFTMAX_DIFFERENCES) throw new KernelArgumentError(`q8-softmax-lut: exp table must hold ${2 * SOFTMAX_DIFFERENCES} int32, got ${exps.length}`);
}

export function q8SoftmaxLut(out: Q8Array, x: Q8Array, dims: MatrixDims, exps: Int32Array, row: Int32Array): void {
  const [lo, hi] = checkSoftmaxIo('q8-softmax-lut', out, x, dims);
  checkExpTable(exps);
  if (row.length < SOFTMAX_DIFFERENCES) throw new KernelArgumentError(`q8-softmax-lut: row scratch must hold ${SOFTMAX_DIFFERENCES} int32, got ${row.length}`);
  const { rows, cols } = dims;
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    let max = lo;
    for (let c = 0; c < cols; c++) if (x[start + c]! > max) max = x[start + c]!;
    let sumOfExps = 0; // Q12.19
    for (let c = 0; c < cols; c++) sumOfExps = (sumOfExps + exps[SOFTMAX_DIFFERENCES + max - x[start + c]!]!) | 0;
    const reciprocal = softmaxReciprocal(sumOfExps);
    const exponent = softmaxOutputExponent(sumOfExps);
    const spread = max - lo; // the largest −d in this row
    for (let k = 0; k <= spread; k++) {
      const v = softmaxProbability(reciprocal, exps[k]!, exponent, lo);
      row[k] = v > hi ? hi : v < lo ? lo : v;
    }
    for (let c = 0; c < cols; c++) out[start + c] = row[max - x[start + c]!]!;
  }
}
