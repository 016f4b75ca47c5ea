// SPDX-License-Identifier: Apache-2.0
/**
 * Quantized average pooling: AVERAGE_POOL_2D (a window, same scale in and out) and MEAN over H, W
 * (global, with requantization). Paper: "avgpool 7×7" before the classifier (Table 2) and the
 * image-level pooling branch of Mobile DeepLabv3's ASPP.
 *
 * q8AvgPool2dNhwc
 *   out [N, OH, OW, C], x [N, H, W, C], same 8-bit type, same scale and zero point
 *   g   from conv2dGeometry with the pooling window as the kernel (dilation 1)
 *   out = clamp(roundHalfAway(Σ x / count), min, max), count = taps inside the input
 *   The sum is of raw q values (the zero point passes through an average unchanged) and the
 *   division rounds half away from zero exactly as the reference: (acc ± count/2) / count in C
 *   integer division (truncating). Padded taps are not counted (TFLite/TF SAME semantics); a
 *   window entirely in the padding is an error (the reference returns failure there).
 *
 * q8MeanHwNhwc
 *   out [N, C], x [N, H, W, C] (N, C kept), input and output with their own scales
 *   out = clamp(zo + requantize(Σ_{h,w} (x − zx), M / (H·W)), dtype range)
 *   M = sx/so; the 1/(H·W) is folded into the fixed-point multiplier as TFLite's
 *   QuantizedMeanOrSum does (see `meanRequantization`), not applied as a separate division.
 */
import { checkDims, checkGeometry, checkLength, KernelArgumentError } from './check.js';
import type { PoolDims } from './dims.js';
import type { Conv2dGeometry } from './geometry.js';
import { q8Range, quantizeMultiplier, requantizeAccumulator, type Requantization, type Requantizer } from './q-requantize.js';
import { checkRequantizer, checkSameQ8Type, checkZeroPoint, q8TypeOf, type Q8Array } from './q8-check.js';

export function q8AvgPool2dNhwc(
  out: Q8Array,
  x: Q8Array,
  dims: { readonly n: number; readonly channels: number },
  g: Conv2dGeometry,
  range: { readonly min: number; readonly max: number },
): void {
  checkDims('q8-avgpool', { n: dims.n, channels: dims.channels });
  checkGeometry('q8-avgpool', g);
  if (g.dilationH !== 1 || g.dilationW !== 1) throw new KernelArgumentError('q8-avgpool: pooling has no dilation');
  const { n: batch, channels } = dims;
  const { inH, inW, kH, kW, strideH, strideW, pad, outH, outW } = g;
  checkLength(x, { N: batch, H: inH, W: inW, C: channels }, 'q8-avgpool: x');
  checkLength(out, { N: batch, OH: outH, OW: outW, C: channels }, 'q8-avgpool: out');
  checkSameQ8Type('q8-avgpool', { out, x });
  const [lo, hi] = q8Range(q8TypeOf(x));
  if (!(Number.isInteger(range.min) && Number.isInteger(range.max) && lo <= range.min && range.min <= range.max && range.max <= hi)) {
    throw new KernelArgumentError(`q8-avgpool: range must be integers ${lo} <= min <= max <= ${hi}, got [${range.min}, ${range.max}]`);
  }

  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      const ih0 = oh * strideH - pad.top;
      const khStart = Math.max(0, -ih0);
      const khEnd = Math.min(kH, inH - ih0);
      for (let ow = 0; ow < outW; ow++) {
        const iw0 = ow * strideW - pad.left;
        const kwStart = Math.max(0, -iw0);
        const kwEnd = Math.min(kW, inW - iw0);
        const count = (khEnd - khStart) * (kwEnd - kwStart);
        if (count <= 0) throw new KernelArgumentError(`q8-avgpool: output (${oh}, ${ow}) has its whole window in the padding`);
        const outOff = ((n * outH + oh) * outW + ow) * channels;
        for (let c = 0; c < channels; c++) {
          let acc = 0;
          for (let kh = khStart; kh < khEnd; kh++) {
            for (let kw = kwStart; kw < kwEnd; kw++) {
              acc += x[((n * inH + ih0 + kh) * inW + iw0 + kw) * channels + c]!;
            }
          }
          const half = Math.floor(count / 2);
          const avg = Math.trunc((acc > 0 ? acc + half : acc - half) / count);
          out[outOff + c] = avg < range.min ? range.min : avg > range.max ? range.max : avg;
        }
      }
    }
  }
}

/** Prepared MEAN over H, W: the input zero point and the count-folded requantizer. */
export interface Q8MeanParams {
  readonly inputZeroPoint: number;
  readonly outputZeroPoint: number;
  readonly requantizer: Requantizer;
}

/**
 * TFLite's MEAN preparation: (m, shift) = QuantizeMultiplier(f64(sx)/f64(so)); then for a count
 * n = H·W, s = min(floor(log2 n), 32, 31 + shift), m' = trunc((m·2^s) / n), shift' = shift − s
 * (the 1/n folded into the multiplier with s extra bits of precision).
 */
export function meanRequantization(
  scales: { readonly input: number; readonly output: number },
  zeroPoints: { readonly input: number; readonly output: number },
  count: number,
  rounding: Requantization,
): Q8MeanParams {
  if (rounding === 'xnnpack-fp32') throw new KernelArgumentError(`q8-mean: no 'xnnpack-fp32' definition; use 'tflite-reference' or 'single-rounding'`);
  if (!Number.isInteger(count) || count < 1) throw new KernelArgumentError(`q8-mean: count must be a positive integer, got ${count}`);
  const fp = quantizeMultiplier(Math.fround(scales.input) / Math.fround(scales.output), rounding);
  let s = Math.floor(Math.log2(count));
  while (2 ** s > count) s -= 1;
  while (2 ** (s + 1) <= count) s += 1;
  s = Math.min(s, 32, 31 + fp.shift);
  const multiplier = Number((BigInt(fp.multiplier) << BigInt(s)) / BigInt(count));
  return {
    inputZeroPoint: zeroPoints.input,
    outputZeroPoint: zeroPoints.output,
    requantizer: { rounding, multiplier: Int32Array.of(multiplier), shift: Int32Array.of(fp.shift - s), scale: Float32Array.of(NaN) },
  };
}

export function q8MeanHwNhwc(out: Q8Array, x: Q8Array, dims: PoolDims, p: Q8MeanParams): void {
  checkDims('q8-mean', { n: dims.n, h: dims.h, w: dims.w, c: dims.c });
  const { n: batch, h: inH, w: inW, c: channels } = dims;
  checkLength(x, { N: batch, H: inH, W: inW, C: channels }, 'q8-mean: x');
  checkLength(out, { N: batch, C: channels }, 'q8-mean: out');
  checkSameQ8Type('q8-mean', { out, x });
  const type = q8TypeOf(x);
  checkZeroPoint('q8-mean', 'input', p.inputZeroPoint, type);
  checkZeroPoint('q8-mean', 'output', p.outputZeroPoint, type);
  checkRequantizer('q8-mean', p.requantizer, 1);
  const [lo, hi] = q8Range(type);
  const count = inH * inW;
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let i = 0; i < count; i++) sum += x[(n * count + i) * channels + c]!;
      const shifted = (sum - p.inputZeroPoint * count) | 0;
      const v = (requantizeAccumulator(shifted, p.requantizer, 0) + p.outputZeroPoint) | 0;
      out[n * channels + c] = v < lo ? lo : v > hi ? hi : v;
    }
  }
}
