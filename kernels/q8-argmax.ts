// SPDX-License-Identifier: Apache-2.0
/**
 * ARG_MAX over the last axis of a quantized tensor. Paper context: Mobile DeepLabv3's per-pixel
 * class (its quantized TFLite file ends in ARG_MAX over uint8 logits) and the top-1 class.
 *
 *   out [ROWS]        Int32Array of indices in [0, COLS)
 *   x   [ROWS, COLS]  uint8 or int8 (the comparison is on q values: scale > 0 keeps the order)
 *
 * Ties: the lowest index wins (only a strictly greater value replaces the best), as TFLite's
 * ArgMinMax with std::greater. Exact.
 */
import { checkDims, checkLength } from './check.js';
import type { MatrixDims } from './dims.js';
import type { Q8Array } from './q8-check.js';

export function q8ArgmaxLastAxis(out: Int32Array, x: Q8Array, dims: MatrixDims): void {
  checkDims('q8-argmax', { rows: dims.rows, cols: dims.cols });
  checkLength(x, { ROWS: dims.rows, COLS: dims.cols }, 'q8-argmax: x');
  checkLength(out, { ROWS: dims.rows }, 'q8-argmax: out');
  const { rows, cols } = dims;
  for (let r = 0; r < rows; r++) {
    let best = x[r * cols]!;
    let index = 0;
    for (let c = 1; c < cols; c++) {
      const v = x[r * cols + c]!;
      if (v > best) { best = v; index = c; }
    }
    out[r] = index;
  }
}
