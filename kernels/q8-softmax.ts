// SPDX-License-Identifier: Apache-2.0
/**
 * Quantized SOFTMAX over the last axis, TFLite's reference integer definition (gemmlowp fixed
 * point). Paper context: the classifier's class probabilities; a uint8 output has scale 1/256 and
 * zero point 0 (int8: zero point −128), so every probability is a multiple of 1/256.
 *
 *   out [ROWS, COLS]  uint8 / int8 (type of x); x [ROWS, COLS]; out may not alias x
 *   p   from softmaxRequantization(inputScale, beta): the input multiplier and diff_min
 *
 * Per row, with d = x − max(row) ≤ 0 (an integer in q units):
 *   1. d ≥ diff_min is rescaled to Q5.26 fixed point: d̃ = d·β·sx·2²⁶ (MultiplyByQuantized-
 *      MultiplierGreaterThanOne); smaller d contribute exp ≈ 0 and are skipped (output = min).
 *   2. exp(d̃) ∈ (0, 1] in Q0.31 by gemmlowp's exp_on_negative_values: exp of d̃ mod 1/4 by a
 *      4th-order Taylor polynomial around −1/8, times exp(−2^k) constants for each set bit k of the
 *      remaining multiple of 1/4 ("barrel shifter"), exactly 1 at d̃ = 0.
 *   3. Σ exp in Q12.19 (each term rounded by 2⁻¹² when rescaled), then its reciprocal by
 *      Newton–Raphson (one_over_one_plus_x_for_x_in_0_1, 3 iterations, 48/17 − 32/17·x start).
 *   4. out = clamp(RoundingDivideByPOT(recip · exp(d̃), bits) + type min, type range).
 * Every product is SaturatingRoundingDoublingHighMul; + and − wrap in int32. The integer
 * constants below are the Q0.31 / Q2.29 encodings of exp(−1/8), 1/3, exp(−2^k), 48/17 and −32/17.
 *
 * NOTE: the TFLite *interpreter*'s optimized uint8 softmax uses a float lookup table instead;
 * this kernel is the reference definition (the requantization profile decides which one a model
 * run uses).
 */
import { checkDims, checkLength, KernelArgumentError } from './check.js';
import type { MatrixDims } from './dims.js';
import {
  INT32_MAX, INT32_MIN, multiplyByQuantizedMultiplierDoubleRounding, multiplyByQuantizedMultiplierSingleRounding,
  q8Range, quantizeMultiplier, roundingDivideByPOT, saturatingRoundingDoublingHighMul as mul, type Requantization,
} from './q-requantize.js';
import { checkSameQ8Type, q8TypeOf, type Q8Array } from './q8-check.js';

/** Prepared SOFTMAX parameters (TFLite PreprocessSoftmaxScaling + CalculateInputRadius). */
export interface Q8SoftmaxParams {
  readonly rounding: 'tflite-reference' | 'single-rounding';
  readonly inputMultiplier: number;
  readonly inputLeftShift: number;
  readonly diffMin: number;
}

const SCALED_DIFF_INTEGER_BITS = 5;
const ACCUMULATION_INTEGER_BITS = 12;

/**
 * β·sx·2²⁶ capped at 2³¹ − 1 (single rounding: 2³⁰ − 1), as a fixed-point multiplier > 1, and
 * diff_min = −floor((2⁵ − 1)·2²⁶ / 2^leftShift): the most negative d whose rescaled value still fits Q5.26.
 */
export function softmaxRequantization(inputScale: number, beta: number, rounding: Requantization): Q8SoftmaxParams {
  if (rounding === 'xnnpack-fp32') throw new KernelArgumentError(`q8-softmax: no 'xnnpack-fp32' definition; use 'tflite-reference' or 'single-rounding'`);
  const cap = rounding === 'single-rounding' ? 2 ** 30 - 1 : 2 ** 31 - 1;
  const real = Math.min(beta * Math.fround(inputScale) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), cap);
  if (!(real > 1)) throw new KernelArgumentError(`q8-softmax: beta·input_scale·2^26 must exceed 1, got ${real}`);
  const fp = quantizeMultiplier(real, rounding);
  const radius = Math.floor(((2 ** SCALED_DIFF_INTEGER_BITS - 1) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS)) / 2 ** fp.shift);
  return { rounding, inputMultiplier: fp.multiplier, inputLeftShift: fp.shift, diffMin: -radius };
}

/** x·2^e saturating at the int32 bounds (gemmlowp SaturatingRoundingMultiplyByPOT, e > 0). */
function saturatingShiftLeft(x: number, e: number): number {
  const threshold = 2 ** (31 - e) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * 2 ** e;
}

/** exp(a) for a ∈ [−1/4, 0) in Q0.31. */
function expOnQuarterInterval(a: number): number {
  const constantTerm = 1895147668; // exp(−1/8)
  const oneThird = 715827883;
  const x = (a + (1 << 28)) | 0; // a + 1/8
  const x2 = mul(x, x);
  const x3 = mul(x2, x);
  const x4 = mul(x2, x2);
  const x4Over4 = roundingDivideByPOT(x4, 2);
  const poly = roundingDivideByPOT((mul((x4Over4 + x3) | 0, oneThird) + x2) | 0, 1);
  return (constantTerm + mul(constantTerm, (x + poly) | 0)) | 0;
}

const BARREL: readonly (readonly [number, number])[] = [
  [-2, 1672461947], [-1, 1302514674], [0, 790015084], [1, 290630308], [2, 39332535], [3, 720401], [4, 242],
];

/**
 * exp(a) for a ≤ 0 given with `integerBits` integer bits (Q5.26 for SOFTMAX, Q4.27 for LOGISTIC),
 * result in Q0.31. The barrel constants apply for the bits the input format has (exponent < integerBits).
 */
export function expOnNegativeValues(a: number, integerBits: number = SCALED_DIFF_INTEGER_BITS): number {
  const fractionalBits = 31 - integerBits;
  const quarter = 1 << (fractionalBits - 2);
  const aModQuarterMinusQuarter = ((a & (quarter - 1)) - quarter) | 0;
  let result = expOnQuarterInterval(saturatingShiftLeft(aModQuarterMinusQuarter, integerBits));
  const remainder = (aModQuarterMinusQuarter - a) | 0;
  for (const [exponent, multiplier] of BARREL) {
    if (exponent < integerBits && (remainder & (1 << (fractionalBits + exponent))) !== 0) result = mul(result, multiplier);
  }
  return a === 0 ? INT32_MAX : result;
}

/** 1/(1 + x) for x ∈ [0, 1) in Q0.31, by Newton–Raphson in Q2.29. */
export function oneOverOnePlusX(a: number): number {
  const sum = a + INT32_MAX;
  const halfDenominator = Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2); // RoundingHalfSum(a, 1)
  const oneQ2 = 1 << 29;
  let x = (1515870810 + mul(halfDenominator, -1010580540)) | 0; // 48/17 − 32/17·d
  for (let i = 0; i < 3; i++) {
    const oneMinus = (oneQ2 - mul(halfDenominator, x)) | 0;
    x = (x + saturatingShiftLeft(mul(x, oneMinus), 2)) | 0;
  }
  return saturatingShiftLeft(x, 1);
}

/**
 * The Q0.31 exp of one difference d = x − max(row) ≤ 0 (steps 1–2), or 0 for d < diff_min: a
 * skipped term. 0 is exactly what a skipped term contributes to the sum (its rounded share is 0)
 * and to the output (type min), so callers may treat both alike (kernels/q8-softmax-lut.ts tables it).
 */
export function softmaxExpOfDifference(d: number, p: Q8SoftmaxParams): number {
  if (d < p.diffMin) return 0;
  const rescaled = p.rounding === 'single-rounding'
    ? multiplyByQuantizedMultiplierSingleRounding(d, p.inputMultiplier, p.inputLeftShift)
    : multiplyByQuantizedMultiplierDoubleRounding(d, p.inputMultiplier, p.inputLeftShift);
  return expOnNegativeValues(rescaled);
}

/** A term of Σ exp: exp(d̃) rescaled from Q0.31 to Q12.19. */
export function softmaxSumTerm(exp: number): number {
  return roundingDivideByPOT(exp, ACCUMULATION_INTEGER_BITS);
}

/** Step 3: the reciprocal of Σ exp (Σ in Q12.19), normalised to 1 + f with f ∈ [0, 1), in Q0.31. */
export function softmaxReciprocal(sumOfExps: number): number {
  const headroomPlusOne = Math.clz32(sumOfExps);
  return oneOverOnePlusX(((sumOfExps << headroomPlusOne) - 2147483648) | 0);
}

/** The exponent of step 4's RoundingDivideByPOT: the normalisation's shift of the sum, undone. */
export function softmaxOutputExponent(sumOfExps: number): number {
  const bitsOverUnit = ACCUMULATION_INTEGER_BITS - Math.clz32(sumOfExps);
  return bitsOverUnit + 31 - 8;
}

/** Step 4 for one term: the probability in q units before the type's clamp. */
export function softmaxProbability(reciprocal: number, exp: number, exponent: number, typeMin: number): number {
  return roundingDivideByPOT(mul(reciprocal, exp), exponent) + typeMin;
}

/** The entry checks of a SOFTMAX kernel named `kernel` (this one and its table twin); returns the type's [min, max]. */
export function checkSoftmaxIo(kernel: string, out: Q8Array, x: Q8Array, dims: MatrixDims): readonly [number, number] {
  checkDims(kernel, { rows: dims.rows, cols: dims.cols });
  checkLength(x, { ROWS: dims.rows, COLS: dims.cols }, `${kernel}: x`);
  checkLength(out, { ROWS: dims.rows, COLS: dims.cols }, `${kernel}: out`);
  checkSameQ8Type(kernel, { out, x });
  return q8Range(q8TypeOf(x));
}

export function q8Softmax(out: Q8Array, x: Q8Array, dims: MatrixDims, p: Q8SoftmaxParams): void {
  const [lo, hi] = checkSoftmaxIo('q8-softmax', out, x, dims);
  const { rows, cols } = dims;
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    let max = lo;
    for (let c = 0; c < cols; c++) if (x[row + c]! > max) max = x[row + c]!;
    let sumOfExps = 0; // Q12.19
    for (let c = 0; c < cols; c++) sumOfExps = (sumOfExps + softmaxSumTerm(softmaxExpOfDifference(x[row + c]! - max, p))) | 0;
    const reciprocal = softmaxReciprocal(sumOfExps);
    const exponent = softmaxOutputExponent(sumOfExps);
    for (let c = 0; c < cols; c++) {
      const v = softmaxProbability(reciprocal, softmaxExpOfDifference(x[row + c]! - max, p), exponent, lo);
      out[row + c] = v > hi ? hi : v < lo ? lo : v;
    }
  }
}
