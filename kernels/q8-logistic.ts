// SPDX-License-Identifier: Apache-2.0
/**
 * Quantized LOGISTIC (the sigmoid σ(x) = 1/(1 + e^−x)), elementwise. Paper context: SSDLite's class
 * scores — the TF OD API's SIGMOID score converter, applied in the graph before the detection
 * post-process. The output quantization is fixed by TFLite: scale 1/256 and zero point −128 (int8)
 * or 0 (uint8), so σ ∈ (0, 1) lands on the 256 steps k/256.
 *
 *   out [LENGTH]  same 8-bit type as x; x [LENGTH]; out may alias x
 *   p   from logisticParams(inputScale, inputZeroPoint, type, rounding)
 *
 * Two definitions, chosen by the requantization convention (the profile decides which one a run uses):
 *
 * 'tflite-reference' / 'single-rounding' — TFLite's reference integer kernel (int8 only), gemmlowp
 *   fixed point:
 *   1. d = x − zp_in. Beyond the input radius R = ⌊(2⁴ − 1)·2²⁷ / 2^shift⌋ the answer saturates:
 *      d ≤ −R → −128, d ≥ R → 127 (|real input| ≥ 15, where σ is within 3·10⁻⁷ of 0 or 1).
 *   2. d is rescaled to Q4.27 (4 integer bits): a = d·s_in·2²⁷ by MultiplyByQuantizedMultiplier
 *      with the multiplier of s_in·2²⁷ = m·2^shift, m ∈ [½, 1) in Q0.31.
 *   3. σ(a) in Q0.31: for a > 0, 1/(1 + e^−a), e^−a ∈ (0, 1) by gemmlowp's exp_on_negative_values
 *      (q8-softmax.ts, here with 4 integer bits) and 1/(1 + y) by its Newton–Raphson reciprocal;
 *      for a < 0, 1 − σ(|a|) (1 being 2³¹ − 1 in Q0.31); exactly ½ (2³⁰) at a = 0.
 *   4. out = clamp(RoundingDivideByPOT(σ, 31 − 8) − 128, −128, 127): σ·256 rounded half away from 0.
 *
 * 'xnnpack-fp32' — a 256-entry lookup table computed in float32, as TFLite's optimized kernel
 *   (LUTPopulate) and XNNPACK build theirs: for every input value q, x = f32(s_in·(q − zp_in)),
 *   σ = f32(1 / f32(1 + f32(e^−x))), out = clamp(rint(σ·256) + zp_out), round half to even.
 *   (e^−x here is JS's exponential rounded to float32. LUTPopulate rounds half away from zero; the
 *   two differ only if σ·256 were exactly k + ½. Checked equal to LUTPopulate on 10,000 generated
 *   tables, spec/kernels/q8-reference.spec.ts, and to the interpreter's LOGISTIC on 60 single-op
 *   models, spec/kernels/q8-interpreter.spec.ts.)
 */
import { checkLength, KernelArgumentError } from './check.js';
import {
  INT32_MAX, multiplyByQuantizedMultiplierDoubleRounding, multiplyByQuantizedMultiplierSingleRounding, q8Range,
  quantizeMultiplier, roundHalfToEven, roundingDivideByPOT, type Requantization,
} from './q-requantize.js';
import { checkSameQ8Type, checkZeroPoint, q8TypeOf, type Q8Array } from './q8-check.js';
import { expOnNegativeValues, oneOverOnePlusX } from './q8-softmax.js';

/** Prepared LOGISTIC parameters: the fixed-point rescaling of the reference, or the float lookup table. */
export type Q8LogisticParams =
  | {
    readonly kind: 'fixed-point';
    readonly rounding: 'tflite-reference' | 'single-rounding';
    readonly inputZeroPoint: number;
    readonly inputMultiplier: number;
    readonly inputLeftShift: number;
    readonly inputRangeRadius: number;
  }
  | {
    readonly kind: 'table';
    readonly type: 'uint8' | 'int8';
    /** Output value for input q at index q − type min. */
    readonly table: Int32Array;
  };

const INPUT_INTEGER_BITS = 4;

/** frexp: v = q·2^e with q ∈ [½, 1), for finite v > 0. */
function exponentOf(v: number): number {
  let e = Math.floor(Math.log2(v)) + 1;
  while (v / 2 ** e >= 1) e++;
  while (v / 2 ** e < 0.5) e--;
  return e;
}

/** Parameters of LOGISTIC for an input quantized (inputScale, inputZeroPoint) of `type`. */
export function logisticParams(inputScale: number, inputZeroPoint: number, type: 'uint8' | 'int8', rounding: Requantization): Q8LogisticParams {
  const s = Math.fround(inputScale);
  if (!(s > 0) || !Number.isFinite(s)) throw new KernelArgumentError(`q8-logistic: input scale must be finite and > 0, got ${inputScale}`);
  checkZeroPoint('q8-logistic', 'input', inputZeroPoint, type);
  if (rounding === 'xnnpack-fp32') {
    const [lo, hi] = q8Range(type);
    const zpOut = lo; // scale 1/256 and the type's minimum as zero point
    const table = new Int32Array(256);
    for (let q = lo; q <= hi; q++) {
      const x = Math.fround(s * (q - inputZeroPoint));
      const sigma = Math.fround(1 / Math.fround(1 + Math.fround(Math.exp(-x))));
      const v = roundHalfToEven(Math.fround(sigma * 256)) + zpOut;
      table[q - lo] = v < lo ? lo : v > hi ? hi : v;
    }
    return { kind: 'table', type, table };
  }
  if (type !== 'int8') throw new KernelArgumentError(`q8-logistic: the '${rounding}' fixed-point definition is TFLite's int8 kernel; uint8 runs the lookup table ('xnnpack-fp32')`);
  // s·2²⁷ = m·2^shift. For s ≥ 8 the radius is 0: every input saturates and m is never used.
  const real = s * 2 ** (31 - INPUT_INTEGER_BITS);
  const shift = exponentOf(real);
  if (shift < 0) throw new KernelArgumentError(`q8-logistic: input scale ${inputScale} is below 2^-27 (the reference's radius shift would be negative)`);
  const radius = Math.floor(((2 ** INPUT_INTEGER_BITS - 1) * 2 ** (31 - INPUT_INTEGER_BITS)) / 2 ** shift);
  const fp = shift <= 30 ? quantizeMultiplier(real, rounding) : { multiplier: 0, shift };
  return { kind: 'fixed-point', rounding, inputZeroPoint, inputMultiplier: fp.multiplier, inputLeftShift: fp.shift, inputRangeRadius: radius };
}

/** σ(a) for a in Q4.27, result in Q0.31 (step 3 of the file comment). */
function logisticQ4(a: number): number {
  if (a === 0) return 1 << 30;
  const abs = a > 0 ? a : -a;
  const positive = oneOverOnePlusX(expOnNegativeValues(-abs, INPUT_INTEGER_BITS));
  return a > 0 ? positive : (INT32_MAX - positive) | 0;
}

export function q8Logistic(out: Q8Array, x: Q8Array, length: number, p: Q8LogisticParams): void {
  if (!Number.isInteger(length) || length < 0) throw new KernelArgumentError(`q8-logistic: length must be a non-negative integer, got ${length}`);
  checkLength(x, length, 'q8-logistic: x');
  checkLength(out, length, 'q8-logistic: out');
  checkSameQ8Type('q8-logistic', { out, x });
  const type = q8TypeOf(x);
  if (p.kind === 'table') {
    if (p.type !== type) throw new KernelArgumentError(`q8-logistic: the table was built for ${p.type}, the tensors are ${type}`);
    const lo = type === 'int8' ? -128 : 0;
    for (let i = 0; i < length; i++) out[i] = p.table[x[i]! - lo]!;
    return;
  }
  if (type !== 'int8') throw new KernelArgumentError('q8-logistic: the fixed-point definition runs on int8 tensors');
  const rescale = p.rounding === 'single-rounding' ? multiplyByQuantizedMultiplierSingleRounding : multiplyByQuantizedMultiplierDoubleRounding;
  for (let i = 0; i < length; i++) {
    const d = x[i]! - p.inputZeroPoint;
    if (d <= -p.inputRangeRadius) out[i] = -128;
    else if (d >= p.inputRangeRadius) out[i] = 127;
    else {
      const v = roundingDivideByPOT(logisticQ4(rescale(d, p.inputMultiplier, p.inputLeftShift)), 31 - 8) - 128;
      out[i] = v < -128 ? -128 : v > 127 ? 127 : v;
    }
  }
}
