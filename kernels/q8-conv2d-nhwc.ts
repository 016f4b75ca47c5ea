// SPDX-License-Identifier: Apache-2.0
/**
 * Quantized 2-D convolution, NHWC, int32 accumulation, requantization, fused ReLU/ReLU6 as a clamp.
 * Paper: the 3×3 stride-2 stem conv ("conv2d 3×3, 32", Table 2) and the head convs of the
 * quantized classifier / DeepLab / SSDLite; TFLite CONV_2D on uint8 (per-tensor) or int8
 * (per-channel weights). The 1×1 expansion/projection convs use q8PwConvNhwc.
 *
 *   out  [N, OH, OW, OC]  uint8 or int8 (same type as x); caller allocates; must not alias x or w
 *   x    [N, H, W, IC]    quantized activations, real = sx·(x − zx)
 *   w    [OC, KH, KW, IC] OHWI, same type as x; real = sw[oc]·(w − zw) (int8: zw = 0, symmetric)
 *   bias [OC] | null      Int32Array, real = sx·sw[oc]·bias (zero point 0)
 *   dims {n: N, inC: IC, outC: OC}; g from conv2dGeometry (stride, dilation, Pad4, OH, OW)
 *   q    {inputZeroPoint zx, filterZeroPoint zw, requantizer (1 or OC channels), output zo + range}
 *
 *   acc[oc] = bias[oc] + Σ_{kh, kw, ic} (w[oc, kh, kw, ic] − zw) · (x[n, ih, iw, ic] − zx)   (int32)
 *   out     = clamp(zo + requantize(acc, M[oc]), out.min, out.max),  M = sx·sw[oc]/so
 *   with ih = oh·SH − pad.top + kh·DH,  iw = ow·SW − pad.left + kw·DW
 *
 * Padding: a tap outside the input is skipped — the same as a padded value equal to zx (real 0).
 * Overflow: the int32 accumulator wraps (two's complement), as the reference built with -fwrapv;
 * each product is at most 255·255 in magnitude, so wrapping needs > 33,000 taps.
 * Requantization: see q-requantize.ts. Exact: integer arithmetic only.
 */
import { checkConvIo, checkLength, KernelArgumentError } from './check.js';
import type { ConvDims } from './dims.js';
import type { Conv2dGeometry } from './geometry.js';
import { requantizeToOutput, type QuantizedOutput, type Requantizer } from './q-requantize.js';
import { checkQuantizedOutput, checkRequantizer, checkSameQ8Type, checkZeroPoint, q8TypeOf, type Q8Array } from './q8-check.js';

/** Quantization parameters of a conv-like layer (conv, depthwise, pointwise, fully connected). */
export interface Q8ConvParams {
  readonly inputZeroPoint: number;
  /** uint8 weights: their zero point; int8 (per-channel, symmetric) weights: must be 0. */
  readonly filterZeroPoint: number;
  readonly requantizer: Requantizer;
  readonly output: QuantizedOutput;
}

/** Entry checks of a quantized conv-like kernel: types, zero points, requantizer, output range, bias. */
export function checkQ8ConvParams(kernel: string, arrays: Readonly<Record<string, Q8Array>>, bias: Int32Array | null, outC: number, q: Q8ConvParams): void {
  checkSameQ8Type(kernel, arrays);
  const type = q8TypeOf(Object.values(arrays)[0]!);
  checkZeroPoint(kernel, 'input', q.inputZeroPoint, type);
  checkZeroPoint(kernel, 'filter', q.filterZeroPoint, type);
  if (type === 'int8' && q.filterZeroPoint !== 0) {
    throw new KernelArgumentError(`${kernel}: int8 weights are symmetric (zero point 0), got filter zero point ${q.filterZeroPoint}`);
  }
  checkQuantizedOutput(kernel, q.output, type);
  checkRequantizer(kernel, q.requantizer, outC);
  if (bias !== null && !(bias instanceof Int32Array)) throw new KernelArgumentError(`${kernel}: bias must be an Int32Array or null`);
}

export function q8Conv2dNhwc(
  out: Q8Array,
  x: Q8Array,
  w: Q8Array,
  bias: Int32Array | null,
  dims: ConvDims,
  g: Conv2dGeometry,
  q: Q8ConvParams,
): void {
  checkConvIo('q8-conv2d', out, x, bias, dims, g, null);
  const { n: batch, inC, outC } = dims;
  const { inH, inW, kH, kW, strideH, strideW, dilationH, dilationW, pad, outH, outW } = g;
  checkLength(w, { OC: outC, KH: kH, KW: kW, IC: inC }, 'q8-conv2d: w');
  checkQ8ConvParams('q8-conv2d', { out, x, w }, bias, outC, q);
  const zx = q.inputZeroPoint;
  const zw = q.filterZeroPoint;

  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const outOff = ((n * outH + oh) * outW + ow) * outC;
        for (let oc = 0; oc < outC; oc++) {
          let acc = 0;
          for (let kh = 0; kh < kH; kh++) {
            const ih = oh * strideH - pad.top + kh * dilationH;
            if (ih < 0 || ih >= inH) continue;
            for (let kw = 0; kw < kW; kw++) {
              const iw = ow * strideW - pad.left + kw * dilationW;
              if (iw < 0 || iw >= inW) continue;
              const xOff = ((n * inH + ih) * inW + iw) * inC;
              const wOff = ((oc * kH + kh) * kW + kw) * inC;
              for (let ic = 0; ic < inC; ic++) {
                acc = (acc + (w[wOff + ic]! - zw) * (x[xOff + ic]! - zx)) | 0;
              }
            }
          }
          if (bias !== null) acc = (acc + bias[oc]!) | 0;
          out[outOff + oc] = requantizeToOutput(acc, q.requantizer, oc, q.output);
        }
      }
    }
  }
}
