// SPDX-License-Identifier: Apache-2.0
/**
 * Quantized bilinear RESIZE_BILINEAR, NHWC, same scale and zero point in and out (interpolation is
 * affine, so it commutes with dequantization up to rounding). Mobile DeepLabv3 upsamples its
 * logits to the input size this way. Coordinate modes as in f32-resize-nhwc.ts.
 *
 *   out [N, OH, OW, C], x [N, H, W, C], same 8-bit type; must not alias
 *
 * TFLite has two integer definitions and uses them by type (reference kernels):
 *
 * uint8 — ResizeBilinear<uint8_t>: float32 arithmetic on q values, every operation rounded to
 *   float32 in C order, then +0.5 and truncation:
 *     scale = f32(in/out)  (align-corners: f32((in−1)/(out−1)))
 *     s = f32(d·scale) or, half-pixel, f32(f32(d + 0.5)·scale − 0.5) — NOT clamped at 0 here;
 *     i0 = max(floor(s), 0), i1 = min(ceil(s), in − 1), f = f32(s − i0)
 *     out = trunc(((x00·(1−fy))·(1−fx) + (x10·fy)·(1−fx) + (x01·(1−fy))·fx + (x11·fy)·fx) + 0.5)
 *   (row y1 is the second term: TFLite adds [y1, x0] before [y0, x1]).
 *
 * int8 — ResizeBilinearInteger: 10 fractional bits. scale10 = round(2¹⁰·in/out) (integer division
 *   with +out/2), s10 = d·scale10 (half-pixel: + scale10/2 − 2⁹), i0 = max(trunc(s10/2¹⁰), 0),
 *   i1 = min(trunc((s10 + 2¹⁰ − 1)/2¹⁰), in − 1), weights 2¹⁰ − (s10 − 2¹⁰·i0) and s10 − 2¹⁰·i0;
 *   the 2²⁰-scaled sum is rounded half away from zero ('tflite-reference') or half up
 *   ('single-rounding', TFLITE_SINGLE_ROUNDING) and stored with an int8 cast (wraps).
 */
import { checkDims, checkLength, KernelArgumentError } from './check.js';
import type { ResizeCoordinateMode, ResizeDims } from './f32-resize-nhwc.js';
import type { Requantization } from './q-requantize.js';
import { checkSameQ8Type, q8TypeOf, type Q8Array } from './q8-check.js';

const MODES: readonly ResizeCoordinateMode[] = ['align-corners', 'half-pixel', 'asymmetric'];

function floatScale(inSize: number, outSize: number, mode: ResizeCoordinateMode): number {
  return mode === 'align-corners' && outSize > 1 ? Math.fround((inSize - 1) / (outSize - 1)) : Math.fround(inSize / outSize);
}

function intScale10(inSize: number, outSize: number, mode: ResizeCoordinateMode): number {
  if (mode === 'align-corners' && outSize > 1) return Math.trunc((1024 * (inSize - 1) + Math.trunc((outSize - 1) / 2)) / (outSize - 1));
  return Math.trunc((1024 * inSize + Math.trunc(outSize / 2)) / outSize);
}

// One axis of the source grid for output index d: lower/upper tap and the weight of the upper one.
// Written to these module variables (not an object) so the kernel allocates nothing per pixel.
let tapLo = 0;
let tapHi = 0;
let tapWeight = 0;

/** uint8: float32 coordinate s, taps max(floor(s), 0) and min(ceil(s), in − 1), weight f32(s − lo). */
function floatAxis(d: number, scale: number, halfPixel: boolean, inSize: number): void {
  const f = Math.fround;
  const s = halfPixel ? f(f(f(d + 0.5) * scale) - 0.5) : f(d * scale);
  tapLo = Math.max(Math.floor(s), 0);
  tapHi = Math.min(Math.ceil(s), inSize - 1);
  tapWeight = f(s - tapLo);
}

/** int8: 10-bit coordinate s10, taps from truncating divisions, integer weight s10 − 2¹⁰·lo. */
function integerAxis(d: number, scale10: number, halfPixel: boolean, inSize: number): void {
  const s10 = halfPixel ? d * scale10 + Math.trunc(scale10 / 2) - 512 : d * scale10;
  tapLo = Math.max(Math.trunc(s10 / 1024), 0);
  tapHi = Math.min(Math.trunc((s10 + 1023) / 1024), inSize - 1);
  tapWeight = s10 - 1024 * tapLo;
}

export function q8ResizeBilinearNhwc(out: Q8Array, x: Q8Array, dims: ResizeDims, mode: ResizeCoordinateMode, rounding: Requantization): void {
  checkDims('q8-resize-bilinear', { n: dims.n, inH: dims.inH, inW: dims.inW, c: dims.c, outH: dims.outH, outW: dims.outW });
  if (!MODES.includes(mode)) throw new KernelArgumentError(`q8-resize-bilinear: unknown coordinate mode ${JSON.stringify(mode)}`);
  checkLength(x, { N: dims.n, H: dims.inH, W: dims.inW, C: dims.c }, 'q8-resize-bilinear: x');
  checkLength(out, { N: dims.n, OH: dims.outH, OW: dims.outW, C: dims.c }, 'q8-resize-bilinear: out');
  checkSameQ8Type('q8-resize-bilinear', { out, x });
  const { n: batch, inH, inW, c: channels, outH, outW } = dims;
  const halfPixel = mode === 'half-pixel';
  const f = Math.fround;

  if (q8TypeOf(x) === 'uint8') {
    const sH = floatScale(inH, outH, mode);
    const sW = floatScale(inW, outW, mode);
    for (let n = 0; n < batch; n++) {
      for (let oy = 0; oy < outH; oy++) {
        floatAxis(oy, sH, halfPixel, inH);
        const y0 = tapLo;
        const y1 = tapHi;
        const fy = tapWeight;
        const gy = f(1 - fy);
        for (let ox = 0; ox < outW; ox++) {
          floatAxis(ox, sW, halfPixel, inW);
          const x0 = tapLo;
          const x1 = tapHi;
          const fx = tapWeight;
          const gx = f(1 - fx);
          const p00 = ((n * inH + y0) * inW + x0) * channels;
          const p10 = ((n * inH + y1) * inW + x0) * channels;
          const p01 = ((n * inH + y0) * inW + x1) * channels;
          const p11 = ((n * inH + y1) * inW + x1) * channels;
          const o = ((n * outH + oy) * outW + ox) * channels;
          for (let c = 0; c < channels; c++) {
            let v = f(f(x[p00 + c]! * gy) * gx);
            v = f(v + f(f(x[p10 + c]! * fy) * gx));
            v = f(v + f(f(x[p01 + c]! * gy) * fx));
            v = f(v + f(f(x[p11 + c]! * fy) * fx));
            out[o + c] = Math.trunc(f(v + 0.5));
          }
        }
      }
    }
    return;
  }

  const singleRounding = rounding === 'single-rounding';
  const sH = intScale10(inH, outH, mode);
  const sW = intScale10(inW, outW, mode);
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      integerAxis(oy, sH, halfPixel, inH);
      const y0 = tapLo;
      const y1 = tapHi;
      const wy1 = tapWeight;
      const wy0 = 1024 - wy1;
      for (let ox = 0; ox < outW; ox++) {
        integerAxis(ox, sW, halfPixel, inW);
        const x0 = tapLo;
        const x1 = tapHi;
        const wx1 = tapWeight;
        const wx0 = 1024 - wx1;
        const p00 = ((n * inH + y0) * inW + x0) * channels;
        const p10 = ((n * inH + y1) * inW + x0) * channels;
        const p01 = ((n * inH + y0) * inW + x1) * channels;
        const p11 = ((n * inH + y1) * inW + x1) * channels;
        const o = ((n * outH + oy) * outW + ox) * channels;
        for (let c = 0; c < channels; c++) {
          const sum = x[p00 + c]! * wy0 * wx0 + x[p10 + c]! * wy1 * wx0 + x[p01 + c]! * wy0 * wx1 + x[p11 + c]! * wy1 * wx1;
          out[o + c] = singleRounding
            ? Math.floor((sum + 524288) / 1048576)
            : Math.trunc((sum + (sum > 0 ? 524288 : -524288)) / 1048576);
        }
      }
    }
  }
}
