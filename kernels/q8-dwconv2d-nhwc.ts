// SPDX-License-Identifier: Apache-2.0
/**
 * Quantized depthwise 2-D convolution, channel multiplier 1, NHWC, with dilation.
 * Paper: the "depthwise 3×3" of every inverted residual block (stride 1 or 2, then ReLU6);
 * Mobile DeepLabv3 replaces the last strides with dilation ("atrous rate"). TFLite
 * DEPTHWISE_CONV_2D on uint8 (per-tensor) or int8 (per-channel weights).
 *
 *   out  [N, OH, OW, C]  same 8-bit type as x; caller allocates; must not alias x or w
 *   x    [N, H, W, C]    real = sx·(x − zx)
 *   w    [KH, KW, C]     (TFLite [1, KH, KW, C]); real = sw[c]·(w − zw), int8: zw = 0
 *   bias [C] | null      Int32Array, scale sx·sw[c]
 *   dims {n: N, channels: C}; g from conv2dGeometry; q as for q8Conv2dNhwc
 *
 *   acc[c] = bias[c] + Σ_{kh, kw} (w[kh, kw, c] − zw) · (x[n, ih, iw, c] − zx)     (int32, wraps)
 *   out    = clamp(zo + requantize(acc, M[c]), out.min, out.max)
 *   with ih = oh·SH − pad.top + kh·DH,  iw = ow·SW − pad.left + kw·DW; outside taps are skipped.
 *
 * Requantization quirk reproduced on purpose: TFLite built with TFLITE_SINGLE_ROUNDING still
 * requantizes the uint8 reference depthwise conv with gemmlowp's double rounding
 * (DepthwiseConvRound<kAwayFromZero>); so under 'single-rounding' a uint8 depthwise layer rounds
 * like 'tflite-reference' (its multiplier still comes from the single-rounding QuantizeMultiplier).
 */
import { checkDepthwiseArgs } from './check.js';
import type { DepthwiseDims } from './dims.js';
import type { Conv2dGeometry } from './geometry.js';
import { requantizeToOutput, type Requantization } from './q-requantize.js';
import { checkQ8ConvParams, type Q8ConvParams } from './q8-conv2d-nhwc.js';
import { q8TypeOf, type Q8Array } from './q8-check.js';

export function q8DwConv2dNhwc(
  out: Q8Array,
  x: Q8Array,
  w: Q8Array,
  bias: Int32Array | null,
  dims: DepthwiseDims,
  g: Conv2dGeometry,
  q: Q8ConvParams,
): void {
  checkDepthwiseArgs('q8-dwconv2d', out, x, w, bias, dims, g, null);
  const { n: batch, channels } = dims;
  checkQ8ConvParams('q8-dwconv2d', { out, x, w }, bias, channels, q);
  const { inH, inW, kH, kW, strideH, strideW, dilationH, dilationW, pad, outH, outW } = g;
  const zx = q.inputZeroPoint;
  const zw = q.filterZeroPoint;
  const rounding: Requantization =
    q.requantizer.rounding === 'single-rounding' && q8TypeOf(x) === 'uint8' ? 'tflite-reference' : q.requantizer.rounding;

  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const outOff = ((n * outH + oh) * outW + ow) * channels;
        for (let c = 0; c < channels; c++) {
          let acc = 0;
          for (let kh = 0; kh < kH; kh++) {
            const ih = oh * strideH - pad.top + kh * dilationH;
            if (ih < 0 || ih >= inH) continue;
            for (let kw = 0; kw < kW; kw++) {
              const iw = ow * strideW - pad.left + kw * dilationW;
              if (iw < 0 || iw >= inW) continue;
              const xOff = ((n * inH + ih) * inW + iw) * channels;
              const wOff = (kh * kW + kw) * channels;
              acc = (acc + (w[wOff + c]! - zw) * (x[xOff + c]! - zx)) | 0;
            }
          }
          if (bias !== null) acc = (acc + bias[c]!) | 0;
          out[outOff + c] = requantizeToOutput(acc, q.requantizer, c, q.output, rounding);
        }
      }
    }
  }
}
