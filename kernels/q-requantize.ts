// SPDX-License-Identifier: Apache-2.0
/**
 * Requantization: turning an int32 accumulator back into an 8-bit activation. This is the one place
 * where integer inference rounds, and the reason two "correct" int8 runtimes disagree by one LSB.
 *
 * Affine (asymmetric) quantization: real = scale · (q − zeroPoint). A conv layer computes
 *   acc = Σ (w − zw)·(x − zx) + bias            (int32; bias has scale sx·sw and zero point 0)
 *   real_out = sx·sw · acc,  so  q_out = zo + round(M · acc)  with  M = sx·sw / so.
 * M is a real number; how it is applied is a CONVENTION, named here and never guessed:
 *
 *   'tflite-reference'  TFLite's default build (reference kernels, gemmlowp). M is stored once per
 *                       channel as a Q0.31 fixed-point multiplier m ∈ [2³⁰, 2³¹) and an exponent
 *                       `shift` with M ≈ m·2^(shift−31) (QuantizeMultiplier: frexp, then
 *                       round-half-away of q·2³¹). Applying it rounds TWICE:
 *                         1. SaturatingRoundingDoublingHighMul(acc·2^max(shift,0), m)
 *                            = the high 32 bits of 2·acc·m, rounded to nearest with ties UP
 *                            (nudge ±2³⁰ then truncation: +2.5 → 3 but −2.5 → −2)
 *                            (the only overflow, acc = m = INT32_MIN, saturates to INT32_MAX;
 *                            it cannot happen with m ≥ 0 but the primitive is defined for it);
 *                         2. RoundingDivideByPOT(·, max(−shift, 0)): an arithmetic right shift
 *                            rounding half away from zero.
 *   'single-rounding'   TFLite built with TFLITE_SINGLE_ROUNDING=1: one rounding,
 *                       (acc·m + 2^(30−shift)) >> (31 − shift), i.e. round half UP (towards +∞)
 *                       of acc·m·2^(shift−31); QuantizeMultiplier also saturates shift > 30 to
 *                       (2³¹ − 1, 30). Quirk of that build: the uint8 reference DEPTHWISE_CONV_2D
 *                       still rounds twice (DepthwiseConvRound<kAwayFromZero>), which
 *                       q8-dwconv2d-nhwc.ts reproduces.
 *   'xnnpack-fp32'      XNNPACK's WASM/SSE kernels: the scale is a float32
 *                       s = f32(f32(sx·sw)/so), applied in float32 and rounded to nearest EVEN:
 *                       q = rint(f32(f32(acc)·s)), clamped before the zero point is added.
 *
 * The three agree except near ties and for huge accumulators; requantize.spec.ts shows cases
 * where each pair differs. Exactness in JS: products like acc·m reach 2⁶², beyond the 2⁵³ of a
 * double, so they are computed as exact splits (see `mulDiv2p31`), never as rounded doubles.
 */
import { KernelArgumentError } from './check.js';

/** Every requantization convention, one list (see the file header). */
export const REQUANTIZATIONS = ['tflite-reference', 'single-rounding', 'xnnpack-fp32'] as const;
export type Requantization = (typeof REQUANTIZATIONS)[number];

/** Throws KernelArgumentError unless `name` is one of REQUANTIZATIONS. */
export function checkRequantization(kernel: string, name: string): asserts name is Requantization {
  if (!(REQUANTIZATIONS as readonly string[]).includes(name)) {
    throw new KernelArgumentError(
      `${kernel}: unknown requantization ${JSON.stringify(name)}; expected one of ${REQUANTIZATIONS.map((r) => `'${r}'`).join(', ')}`,
    );
  }
}

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const TWO_31 = 2147483648;

/** A real multiplier M ≈ multiplier · 2^(shift − 31), multiplier ∈ {0} ∪ [2³⁰, 2³¹). */
export interface FixedPointMultiplier {
  readonly multiplier: number;
  readonly shift: number;
}

/** C's std::round / TfLiteRound: round half away from zero. */
export function roundHalfAwayFromZero(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

/** C's rint/lrintf under the default rounding mode: round half to even. */
export function roundHalfToEven(v: number): number {
  const r = Math.round(v); // half towards +∞
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** frexp for a positive finite double: [q, e] with v = q·2^e and q ∈ [0.5, 1). Exact (powers of 2). */
function frexp(v: number): [number, number] {
  let e = Math.floor(Math.log2(v)) + 1;
  let q = v / 2 ** e;
  while (q >= 1) { q /= 2; e += 1; }
  while (q < 0.5) { q *= 2; e -= 1; }
  return [q, e];
}

/**
 * TFLite's QuantizeMultiplier: M ≥ 0 → (multiplier, shift). M < 2⁻³¹ (roughly) flushes to
 * (0, 0). 'single-rounding' saturates shift > 30 to (2³¹ − 1, 30); 'tflite-reference' throws
 * there instead, because its left shift by ≥ 31 bits is undefined in the reference.
 */
export function quantizeMultiplier(real: number, rounding: 'tflite-reference' | 'single-rounding'): FixedPointMultiplier {
  if (!(real >= 0) || !Number.isFinite(real)) {
    throw new KernelArgumentError(`quantizeMultiplier: the real multiplier must be finite and >= 0, got ${real}`);
  }
  if (real === 0) return { multiplier: 0, shift: 0 };
  let [q, shift] = frexp(real);
  let fixed = roundHalfAwayFromZero(q * TWO_31); // exact: q·2³¹ < 2³¹ has no bits below 2⁻²²
  if (fixed === TWO_31) { fixed /= 2; shift += 1; }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  if (shift > 30) {
    if (rounding === 'single-rounding') return { multiplier: INT32_MAX, shift: 30 };
    throw new KernelArgumentError(`quantizeMultiplier: real multiplier ${real} needs a left shift of ${shift} bits (> 30): not representable`);
  }
  return { multiplier: fixed, shift };
}

// Exact 64-bit product split: mulDiv2p31(a, b) returns floor(a·b / 2³¹) and leaves the remainder
// a·b − floor(·)·2³¹ ∈ [0, 2³¹) in `remainder`. With b = bh·2¹⁶ + bl (0 ≤ bl < 2¹⁶) and
// a·bh = Ah·2¹⁵ + Al (0 ≤ Al < 2¹⁵): a·b = Ah·2³¹ + (Al·2¹⁶ + a·bl), and the last term stays
// below 2⁴⁸ in magnitude, so every step is an exact double operation.
let remainder = 0;
function mulDiv2p31(a: number, b: number): number {
  const bl = b & 0xffff;
  const bh = (b - bl) / 65536;
  const hi = a * bh; // |hi| ≤ 2⁴⁶
  const ah = Math.floor(hi / 32768);
  const low = (hi - ah * 32768) * 65536 + a * bl; // |low| < 2⁴⁸
  const carry = Math.floor(low / TWO_31);
  remainder = low - carry * TWO_31;
  return ah + carry;
}

/**
 * gemmlowp SaturatingRoundingDoublingHighMul(a, b) for int32 a, b: (a·b + nudge) / 2³¹ truncated
 * towards zero, nudge = 2³⁰ when a·b ≥ 0 else 1 − 2³⁰;
 * a = b = INT32_MIN saturates to INT32_MAX. Net effect: round to nearest, exact ties towards +∞.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const nonNegative = a === 0 || b === 0 || (a > 0) === (b > 0);
  const nudge = nonNegative ? 1073741824 : 1 - 1073741824;
  const q = mulDiv2p31(a, b);
  const low = remainder + nudge; // in (−2³⁰, 2³¹ + 2³⁰)
  const carry = Math.floor(low / TWO_31);
  let result = q + carry; // floor((a·b + nudge) / 2³¹)
  if (!nonNegative && low - carry * TWO_31 !== 0) result += 1; // C division truncates towards zero
  return result | 0;
}

/** gemmlowp RoundingDivideByPOT(x, exponent), exponent ∈ [0, 31]: x / 2^exponent rounded half away from zero. */
export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = (2 ** exponent - 1) | 0;
  const rem = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return ((exponent === 0 ? x : x >> exponent) + (rem > threshold ? 1 : 0)) | 0;
}

/** 'tflite-reference' MultiplyByQuantizedMultiplier(int32 x, m, shift): double rounding. */
export function multiplyByQuantizedMultiplierDoubleRounding(x: number, multiplier: number, shift: number): number {
  const leftShift = shift > 0 ? shift : 0;
  const rightShift = shift > 0 ? 0 : -shift;
  // x · 2^leftShift wraps in int32 exactly as the reference's int multiplication does (built -fwrapv).
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(Math.imul(x, 2 ** leftShift | 0), multiplier), rightShift);
}

/**
 * 'single-rounding' MultiplyByQuantizedMultiplier(int32 x, m, shift), shift ∈ [−31, 30]:
 * floor((x·m + 2^(k−1)) / 2^k) with k = 31 − shift, truncated to int32 as the reference's cast.
 * With x·m = q·2³¹ + r (0 ≤ r < 2³¹): for k ≤ 31 the result is q·2^(31−k) + floor((r + 2^(k−1))/2^k);
 * for k > 31 it is floor((q + 2^(k−32)) / 2^(k−31)) (r only adds a fraction below one unit).
 * A result outside int32 keeps its low 32 bits, as the reference's int64 → int32 cast does.
 */
export function multiplyByQuantizedMultiplierSingleRounding(x: number, multiplier: number, shift: number): number {
  const k = 31 - shift;
  const q = mulDiv2p31(x, multiplier);
  if (k <= 31) {
    // q·2^(31−k) may exceed int32 when the result does not fit (the reference then keeps the low
    // 32 bits of its int64); Math.imul keeps exactly those bits (|q| < 2³¹).
    return (Math.imul(q, 2 ** (31 - k)) + Math.floor((remainder + 2 ** (k - 1)) / 2 ** k)) | 0;
  }
  return Math.floor((q + 2 ** (k - 32)) / 2 ** (k - 31)) | 0;
}

/** 'xnnpack-fp32': rint(f32(f32(acc) · scale)) with `scale` a float32; |result| is not clamped here. */
export function requantizeFp32(acc: number, scale: number): number {
  return roundHalfToEven(Math.fround(Math.fround(acc) * scale));
}

/**
 * A layer's output requantization, precomputed once (src/ builds it from the tensors' scales with
 * `convRequantizer` below). `multiplier`/`shift` serve the fixed-point conventions, `scale` the
 * float one; each holds one entry (per tensor) or one per output channel (int8 per-channel weights).
 */
export interface Requantizer {
  readonly rounding: Requantization;
  readonly multiplier: Int32Array;
  readonly shift: Int32Array;
  readonly scale: Float32Array;
}

/** Output side of a quantized kernel: zero point and the activation range [min, max] in q units. */
export interface QuantizedOutput {
  readonly zeroPoint: number;
  readonly min: number;
  readonly max: number;
}

/**
 * acc (int32) → requantized int32, before the output zero point, for output channel `channel`
 * (0 for per-tensor). `rounding` defaults to the requantizer's own.
 */
export function requantizeAccumulator(acc: number, rq: Requantizer, channel: number, rounding: Requantization = rq.rounding): number {
  const i = rq.multiplier.length === 1 ? 0 : channel;
  switch (rounding) {
    case 'tflite-reference':
      return multiplyByQuantizedMultiplierDoubleRounding(acc, rq.multiplier[i]!, rq.shift[i]!);
    case 'single-rounding':
      return multiplyByQuantizedMultiplierSingleRounding(acc, rq.multiplier[i]!, rq.shift[i]!);
    case 'xnnpack-fp32':
      return requantizeFp32(acc, rq.scale[i]!);
  }
}

/** Adds the zero point (int32 wrap, as the reference) and clamps to the activation range. */
export function clampToOutput(v: number, out: QuantizedOutput): number {
  const q = (v + out.zeroPoint) | 0;
  return q < out.min ? out.min : q > out.max ? out.max : q;
}

/** The requantized output of one accumulator; for 'xnnpack-fp32' the clamp comes before rounding
 * in XNNPACK, which gives the same integer because the bounds are integers. */
export function requantizeToOutput(acc: number, rq: Requantizer, channel: number, out: QuantizedOutput, rounding: Requantization = rq.rounding): number {
  if (rounding === 'xnnpack-fp32') {
    const i = rq.scale.length === 1 ? 0 : channel;
    let v = Math.fround(Math.fround(acc) * rq.scale[i]!);
    const lo = out.min - out.zeroPoint;
    const hi = out.max - out.zeroPoint;
    v = v < lo ? lo : v > hi ? hi : v;
    return roundHalfToEven(v) + out.zeroPoint;
  }
  return clampToOutput(requantizeAccumulator(acc, rq, channel, rounding), out);
}

/** Integer range of an 8-bit dtype. */
export type Q8Type = 'uint8' | 'int8';
export function q8Range(type: Q8Type): [number, number] {
  return type === 'uint8' ? [0, 255] : [-128, 127];
}

/** Fused activation of a quantized op (TFLite's fused_activation_function). */
export type QuantizedActivation = 'none' | 'relu' | 'relu6' | 'relu-n1-to-1';

/**
 * TFLite's CalculateActivationRangeQuantized: the fused ReLU/ReLU6 becomes a clamp in q units,
 * q(f) = zeroPoint + (int) TfLiteRound(f32(f / scale)), intersected with the dtype's range.
 */
export function quantizedActivationRange(type: Q8Type, scale: number, zeroPoint: number, activation: QuantizedActivation): QuantizedOutput {
  const [qmin, qmax] = q8Range(type);
  const s = Math.fround(scale);
  const quantize = (f: number): number => zeroPoint + roundHalfAwayFromZero(Math.fround(f / s));
  switch (activation) {
    case 'none': return { zeroPoint, min: qmin, max: qmax };
    case 'relu': return { zeroPoint, min: Math.max(qmin, quantize(0)), max: qmax };
    case 'relu6': return { zeroPoint, min: Math.max(qmin, quantize(0)), max: Math.min(qmax, quantize(6)) };
    case 'relu-n1-to-1': return { zeroPoint, min: Math.max(qmin, quantize(-1)), max: Math.min(qmax, quantize(1)) };
  }
}

/** Scales of a conv-like layer: input, output, and one weight scale (per tensor) or one per output channel. */
export interface ConvScales {
  /** the layer's 8-bit type: it decides how TFLite forms the multiplier (see convRequantizer) */
  readonly type: Q8Type;
  readonly input: number;
  readonly output: number;
  readonly filter: ArrayLike<number>;
}

/**
 * The requantizer of CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED as TFLite's kernel preparation
 * builds it. uint8 (always per tensor) uses GetQuantizedConvolutionMultipler:
 * M = f64(f32(sx·sw)) / f64(so) — the product is rounded to float32 first. int8
 * (PopulateConvolutionQuantizationParams, per channel, a single scale broadcast) uses
 * f64(sx)·f64(sw[c]) / f64(so). The two differ in the last bits of M, which moves ties: found by
 * the reference spec. XNNPACK computes f32(f32(sx·sw[c]) / so).
 */
export function convRequantizer(scales: ConvScales, rounding: Requantization): Requantizer {
  checkRequantization('convRequantizer', rounding);
  const count = scales.filter.length;
  const multiplier = new Int32Array(count);
  const shift = new Int32Array(count);
  const scale = new Float32Array(count);
  for (let c = 0; c < count; c++) {
    const sw = Math.fround(scales.filter[c]!);
    const sx = Math.fround(scales.input);
    const so = Math.fround(scales.output);
    scale[c] = Math.fround(Math.fround(sx * sw) / so);
    if (rounding !== 'xnnpack-fp32') {
      const real = scales.type === 'uint8' ? Math.fround(sx * sw) / so : (sx * sw) / so;
      const fp = quantizeMultiplier(real, rounding);
      multiplier[c] = fp.multiplier;
      shift[c] = fp.shift;
    }
  }
  return { rounding, multiplier, shift, scale };
}

/** A per-tensor fixed-point requantizer from a real multiplier (REQUANTIZE, MEAN, ADD parts). */
export function fixedPointRequantizer(real: number, rounding: 'tflite-reference' | 'single-rounding'): Requantizer {
  const fp = quantizeMultiplier(real, rounding);
  return {
    rounding,
    multiplier: Int32Array.of(fp.multiplier),
    shift: Int32Array.of(fp.shift),
    scale: Float32Array.of(Math.fround(real)),
  };
}

/** The quantized operators whose output requantization depends on the convention. */
export type RequantizedOp = 'CONV_2D' | 'DEPTHWISE_CONV_2D' | 'FULLY_CONNECTED' | 'ADD' | 'MEAN' | 'SOFTMAX' | 'LOGISTIC' | 'REQUANTIZE';

/**
 * Requantization profiles: which convention a runtime applies per operator.
 *   'tflite-reference' / 'single-rounding'  every operator the same way (the two TFLite builds;
 *       checked bit for bit against TFLite's reference kernels, spec/kernels/q8-reference.spec.ts).
 *   'tflite-wasm'  the TFLite interpreter in @tensorflow/tfjs-tflite (WASM, XNNPACK delegate on),
 *       MEASURED per operator in spec/kernels/q8-interpreter.spec.ts on single-operator uint8
 *       models: CONV_2D and DEPTHWISE_CONV_2D go to XNNPACK and requantize in float32 with
 *       round-half-even (0 differing values; the fixed-point conventions differ by 1 LSB at ties);
 *       ADD matches the left-shift-20 definition with SINGLE rounding (double rounding differs);
 *       SOFTMAX matches the reference gemmlowp definition (both roundings agree there);
 *       AVERAGE_POOL_2D has no requantization and matches; int8 LOGISTIC is the float32 lookup table
 *       ('xnnpack-fp32' in kernels/q8-logistic.ts; the fixed-point reference differs by 1 LSB),
 *       measured on whole int8 SSDLite files in spec/io/tflite/export-ssd-int8.spec.ts. FULLY_CONNECTED, MEAN, REQUANTIZE and
 *       the int8 paths are not measured yet, so they are absent here.
 */
export const REQUANTIZATION_PROFILES = {
  'tflite-reference': {
    CONV_2D: 'tflite-reference', DEPTHWISE_CONV_2D: 'tflite-reference', FULLY_CONNECTED: 'tflite-reference',
    ADD: 'tflite-reference', MEAN: 'tflite-reference', SOFTMAX: 'tflite-reference', LOGISTIC: 'tflite-reference', REQUANTIZE: 'tflite-reference',
  },
  'single-rounding': {
    CONV_2D: 'single-rounding', DEPTHWISE_CONV_2D: 'single-rounding', FULLY_CONNECTED: 'single-rounding',
    ADD: 'single-rounding', MEAN: 'single-rounding', SOFTMAX: 'single-rounding', LOGISTIC: 'single-rounding', REQUANTIZE: 'single-rounding',
  },
  'tflite-wasm': {
    CONV_2D: 'xnnpack-fp32', DEPTHWISE_CONV_2D: 'xnnpack-fp32', FULLY_CONNECTED: 'xnnpack-fp32', ADD: 'xnnpack-fp32',
    MEAN: 'tflite-reference', SOFTMAX: 'tflite-reference', LOGISTIC: 'xnnpack-fp32', REQUANTIZE: 'xnnpack-fp32',
  },
} as const satisfies Record<string, Partial<Record<RequantizedOp, Requantization>>>;

export type RequantizationProfile = keyof typeof REQUANTIZATION_PROFILES;
