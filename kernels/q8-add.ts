// SPDX-License-Identifier: Apache-2.0
/**
 * Quantized elementwise ADD. Paper: the residual connection of an inverted residual block
 * (stride 1, in = out channels), adding the block input to the linear bottleneck's output.
 *
 *   out [L]  same 8-bit type as a and b; may alias a or b (elementwise)
 *   a, b [L] real = sa·(a − za), sb·(b − zb), each with its own scale and zero point
 *
 * The two inputs have different scales, so they are first brought to a common fixed-point scale
 * (TFLite's add.cc preparation, reproduced by `addRequantization`):
 *   left_shift = 20 (8-bit types): each (a − za) is multiplied by 2²⁰ so that the following
 *     scaling by Ma = sa / (2·max(sa, sb)) ≤ 1/2 keeps ~20 fractional bits;
 *   ã = requantize((a − za)·2²⁰, Ma),  b̃ = requantize((b − zb)·2²⁰, Mb)    (both ≤ 2²⁸ in size)
 *   out = clamp(zo + requantize(ã + b̃, Mo), min, max),  Mo = 2·max(sa, sb) / (2²⁰·so)
 * Every requantize is MultiplyByQuantizedMultiplierSmallerThanOneExp (M < 1) under the
 * fixed-point convention ('tflite-reference' or 'single-rounding'); ReLU6 fused as a clamp.
 *
 * 'xnnpack-fp32' is XNNPACK's own ADD (what the TFLite interpreter's delegate runs), one rounding:
 *   Ma = f32(sa/so), Mb = f32(sb/so) in float32; e = the binary exponent of max(Ma, Mb);
 *   shift = 20 − e; ma = rint(Ma·2^shift), mb = rint(Mb·2^shift) (ties to even; < 2²²);
 *   out = clamp(zo + ((2^(shift−1) + ma·(a − za) + mb·(b − zb)) >> shift))   (arithmetic shift)
 * Measured on the shared uint8 classifier's ten residual ADDs fed the interpreter's own inputs:
 * 0 of 649,152 values differ (single-rounding: 2), spec/model/integer-interpreter.spec.ts.
 */
import { checkLength, KernelArgumentError } from './check.js';
import { quantizeMultiplier, requantizeAccumulator, roundHalfToEven, type QuantizedOutput, type Requantization, type Requantizer } from './q-requantize.js';
import { checkQuantizedOutput, checkSameQ8Type, checkZeroPoint, q8TypeOf, type Q8Array } from './q8-check.js';

/** Prepared parameters of a quantized ADD (see the file header). */
export interface Q8AddParams {
  readonly leftShift: number;
  readonly aZeroPoint: number;
  readonly bZeroPoint: number;
  /** three per-tensor requantizers: input a, input b, output */
  readonly a: Requantizer;
  readonly b: Requantizer;
  readonly out: Requantizer;
  readonly output: QuantizedOutput;
  /** 'xnnpack-fp32' only: XNNPACK's multipliers and shift (see the file header); null otherwise. */
  readonly xnnpack?: { readonly aMultiplier: number; readonly bMultiplier: number; readonly shift: number } | null;
}

function smallerThanOne(real: number, rounding: 'tflite-reference' | 'single-rounding', what: string): Requantizer {
  if (!(real > 0 && real < 1)) {
    throw new KernelArgumentError(`q8-add: the ${what} multiplier must lie in (0, 1), got ${real} (TFLite rejects this model too)`);
  }
  const fp = quantizeMultiplier(real, rounding);
  return { rounding, multiplier: Int32Array.of(fp.multiplier), shift: Int32Array.of(fp.shift), scale: Float32Array.of(Math.fround(real)) };
}

/**
 * TFLite's ADD preparation from the tensors' float32 scales: twice_max = f32(2·max(sa, sb)), the
 * input multipliers sa/twice_max and sb/twice_max and the output multiplier
 * twice_max / f32(2²⁰·so), all divided in float64.
 */
export function addRequantization(
  scales: { readonly a: number; readonly b: number; readonly output: number },
  zeroPoints: { readonly a: number; readonly b: number },
  output: QuantizedOutput,
  rounding: Requantization,
): Q8AddParams {
  if (rounding === 'xnnpack-fp32') return xnnpackAddRequantization(scales, zeroPoints, output);
  const leftShift = 20;
  const sa = Math.fround(scales.a);
  const sb = Math.fround(scales.b);
  const twiceMax = Math.fround(2 * Math.max(sa, sb));
  return {
    leftShift,
    aZeroPoint: zeroPoints.a,
    bZeroPoint: zeroPoints.b,
    a: smallerThanOne(sa / twiceMax, rounding, 'input a'),
    b: smallerThanOne(sb / twiceMax, rounding, 'input b'),
    out: smallerThanOne(twiceMax / Math.fround((1 << leftShift) * Math.fround(scales.output)), rounding, 'output'),
    output,
  };
}

/** The entry checks of q8Add (shared with the fast backends, so they fail alike); returns the 8-bit type. */
export function checkQ8AddArgs(out: Q8Array, a: Q8Array, b: Q8Array, length: number, p: Q8AddParams): 'uint8' | 'int8' {
  checkLength(a, length, 'q8-add: a');
  checkLength(b, length, 'q8-add: b');
  checkLength(out, length, 'q8-add: out');
  checkSameQ8Type('q8-add', { out, a, b });
  const type = q8TypeOf(a);
  checkZeroPoint('q8-add', 'a', p.aZeroPoint, type);
  checkZeroPoint('q8-add', 'b', p.bZeroPoint, type);
  checkQuantizedOutput('q8-add', p.output, type);
  return type;
}

/** XNNPACK's ADD parameters (see the file header): float32 ratios to 2^shift-scaled integer multipliers. */
function xnnpackAddRequantization(
  scales: { readonly a: number; readonly b: number; readonly output: number },
  zeroPoints: { readonly a: number; readonly b: number },
  output: QuantizedOutput,
): Q8AddParams {
  const f = Math.fround;
  const ma = f(f(scales.a) / f(scales.output));
  const mb = f(f(scales.b) / f(scales.output));
  if (!(ma > 0 && mb > 0 && Number.isFinite(ma) && Number.isFinite(mb))) throw new KernelArgumentError(`q8-add: scale ratios must be finite and > 0, got ${ma}, ${mb}`);
  const exponent = Math.floor(Math.log2(Math.max(ma, mb)));
  const e = 2 ** exponent > Math.max(ma, mb) ? exponent - 1 : 2 ** (exponent + 1) <= Math.max(ma, mb) ? exponent + 1 : exponent;
  const shift = 20 - e;
  if (shift < 1 || shift > 30) throw new KernelArgumentError(`q8-add: 'xnnpack-fp32' needs the larger scale ratio in [2^-10, 2^19], got ${Math.max(ma, mb)}`);
  const noFixedPoint: Requantizer = { rounding: 'xnnpack-fp32', multiplier: Int32Array.of(0), shift: Int32Array.of(0), scale: Float32Array.of(NaN) };
  return {
    leftShift: 0, aZeroPoint: zeroPoints.a, bZeroPoint: zeroPoints.b,
    a: { ...noFixedPoint, scale: Float32Array.of(ma) }, b: { ...noFixedPoint, scale: Float32Array.of(mb) }, out: noFixedPoint,
    output,
    xnnpack: { aMultiplier: roundHalfToEven(f(ma * 2 ** shift)), bMultiplier: roundHalfToEven(f(mb * 2 ** shift)), shift },
  };
}

export function q8Add(out: Q8Array, a: Q8Array, b: Q8Array, length: number, p: Q8AddParams): void {
  checkQ8AddArgs(out, a, b, length, p);
  if (p.xnnpack) {
    const { aMultiplier: ma, bMultiplier: mb, shift } = p.xnnpack;
    const { min, max, zeroPoint } = p.output;
    const rounding = 2 ** (shift - 1);
    const divisor = 2 ** shift;
    for (let i = 0; i < length; i++) {
      const acc = rounding + ma * (a[i]! - p.aZeroPoint) + mb * (b[i]! - p.bZeroPoint);
      const raw = Math.floor(acc / divisor) + zeroPoint;
      out[i] = raw < min ? min : raw > max ? max : raw;
    }
    return;
  }
  const scaleUp = 2 ** p.leftShift;
  const { min, max, zeroPoint } = p.output;
  for (let i = 0; i < length; i++) {
    const sa = requantizeAccumulator((a[i]! - p.aZeroPoint) * scaleUp, p.a, 0);
    const sb = requantizeAccumulator((b[i]! - p.bZeroPoint) * scaleUp, p.b, 0);
    const raw = (requantizeAccumulator((sa + sb) | 0, p.out, 0) + zeroPoint) | 0;
    out[i] = raw < min ? min : raw > max ? max : raw;
  }
}
