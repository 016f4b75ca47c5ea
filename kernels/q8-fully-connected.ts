// SPDX-License-Identifier: Apache-2.0
/**
 * Quantized matrix product with requantization: FULLY_CONNECTED, and the 1×1 pointwise conv as the
 * same product over pixels. Paper: the classifier (1280 → k) and, as q8PwConvNhwc, the expansion
 * 1×1 (ReLU6) and the projection 1×1 of the LINEAR BOTTLENECK (no activation: out.min/max = dtype).
 *
 *   out  [ROWS, OC]  same 8-bit type as x; ROWS = N (fully connected) or P = N·H·W (pointwise)
 *   x    [ROWS, IC]  real = sx·(x − zx)
 *   w    [OC, IC]    real = sw[oc]·(w − zw), int8: zw = 0
 *   bias [OC] | null Int32Array, scale sx·sw[oc]
 *
 *   acc[r, oc] = bias[oc] + Σ_ic (w[oc, ic] − zw) · (x[r, ic] − zx)     (int32, wraps)
 *   out[r, oc] = clamp(zo + requantize(acc, M[oc]), out.min, out.max)
 *
 * Same arithmetic as q8Conv2dNhwc with KH = KW = 1 (TFLite's reference FULLY_CONNECTED and its
 * CONV_2D on a 1×1 kernel agree bit for bit; the specs check both against the reference).
 */
import { checkMatmulArgs } from './check.js';
import type { ConvDims, PointwiseDims } from './dims.js';
import { requantizeToOutput } from './q-requantize.js';
import { checkQ8ConvParams, type Q8ConvParams } from './q8-conv2d-nhwc.js';
import type { Q8Array } from './q8-check.js';

function q8Matmul(kernel: string, out: Q8Array, x: Q8Array, w: Q8Array, bias: Int32Array | null, rows: { readonly name: 'P' | 'N'; readonly count: number }, inC: number, outC: number, q: Q8ConvParams): void {
  checkMatmulArgs(kernel, out, x, w, bias, rows, inC, outC, null);
  checkQ8ConvParams(kernel, { out, x, w }, bias, outC, q);
  const zx = q.inputZeroPoint;
  const zw = q.filterZeroPoint;
  for (let r = 0; r < rows.count; r++) {
    for (let oc = 0; oc < outC; oc++) {
      let acc = 0;
      for (let ic = 0; ic < inC; ic++) {
        acc = (acc + (w[oc * inC + ic]! - zw) * (x[r * inC + ic]! - zx)) | 0;
      }
      if (bias !== null) acc = (acc + bias[oc]!) | 0;
      out[r * outC + oc] = requantizeToOutput(acc, q.requantizer, oc, q.output);
    }
  }
}

/** FULLY_CONNECTED: x [N, IC] → out [N, OC]. */
export function q8FullyConnected(out: Q8Array, x: Q8Array, w: Q8Array, bias: Int32Array | null, dims: ConvDims, q: Q8ConvParams): void {
  q8Matmul('q8-fully-connected', out, x, w, bias, { name: 'N', count: dims.n }, dims.inC, dims.outC, q);
}

/** 1×1 pointwise conv: x [P, IC] (P = N·H·W) → out [P, OC]. */
export function q8PwConvNhwc(out: Q8Array, x: Q8Array, w: Q8Array, bias: Int32Array | null, dims: PointwiseDims, q: Q8ConvParams): void {
  q8Matmul('q8-pwconv', out, x, w, bias, { name: 'P', count: dims.pixels }, dims.inC, dims.outC, q);
}
