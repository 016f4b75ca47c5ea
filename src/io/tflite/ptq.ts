// SPDX-License-Identifier: Apache-2.0
/**
 * Post-training quantization (PTQ) to int8 the way TFLite's converter does it for a "full integer"
 * model (`optimizations=[DEFAULT]`, a representative dataset, int8 input and output):
 *
 *   activations   calibrated: run the float network on representative inputs, keep each tensor's
 *                 running min of minima and max of maxima; the range is widened to contain 0, then
 *                 asymmetric int8: scale = (max − min) / 255, zero_point = round(−128 − min/scale)
 *                 clamped to [−128, 127] (float32 arithmetic, std::round = half away from zero)
 *   weights       per output channel, symmetric: scale[c] = max|w_c| / 127, q = round(w / scale[c])
 *                 in [−127, 127], zero point 0 (CONV_2D along axis 0 of [OC, KH, KW, IC];
 *                 DEPTHWISE_CONV_2D along axis 3 of [1, KH, KW, C])
 *   biases        int32, scale[c] = input_scale · weight_scale[c], zero point 0
 *   same-scale    ops that cannot rescale (AVERAGE_POOL_2D, RESHAPE, SQUEEZE, PAD) keep their input's
 *                 parameters; int8 CONCATENATION needs every input at its output's parameters, so
 *                 inputs that differ are requantized by a QUANTIZE op; SOFTMAX's and LOGISTIC's int8
 *                 outputs are fixed at scale 1/256, zero point −128
 *
 * These are the formulas of TFLite's quantizer (tensorflow/lite/tools/optimize) restated; the
 * interpreter reads the parameters from the file, so whatever they are, an integer kernel must
 * reproduce its arithmetic exactly — spec/io/tflite/export-int8.spec.ts checks ours does.
 */
import type { TensorQuantization } from './writer.js';
import type { Tap } from '../../model/runner.js';
import type { Backend } from '../../backend/backend.js';
import type { MobileNetV2Plan } from '../../model/plan.js';
import type { MobileNetV2Weights } from '../../model/weights.js';
import { forward } from '../../model/forward.js';
import { ssdliteForward, SSD_OUTPUT_TAPS, type SsdlitePlan } from '../../model/ssdlite.js';
import { usageError } from '../../errors.js';

/** The float range a tensor took over the calibration inputs. */
export interface TensorRange {
  readonly min: number;
  readonly max: number;
}

/** Calibrated ranges by tap name ('input', every conv and block output, 'pool', 'classifier', …). */
export type ActivationRanges = ReadonlyMap<string, TensorRange>;

const f32 = Math.fround;
/** std::round: halves away from zero. */
const roundHalfAway = (v: number): number => Math.sign(v) * Math.round(Math.abs(v));

/**
 * Running min/max of every tap over calibration runs: `observe` one run's taps at a time (the
 * calibrator of TFLite keeps the minimum of minima and the maximum of maxima).
 */
export class RangeCalibrator {
  private readonly ranges = new Map<string, { min: number; max: number }>();
  private runs = 0;

  observe(taps: ReadonlyMap<string, Tap>): void {
    for (const [name, t] of taps) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < t.data.length; i++) {
        const v = t.data[i]!;
        if (Number.isNaN(v)) throw usageError(`calibration: tap '${name}' has a NaN at element ${i} (the float network is broken on this input; no range can be derived)`);
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (!(Number.isFinite(lo) && Number.isFinite(hi))) throw usageError(`calibration: tap '${name}' has no finite values (range ${lo}..${hi})`);
      const r = this.ranges.get(name);
      if (r) { r.min = Math.min(r.min, lo); r.max = Math.max(r.max, hi); } else this.ranges.set(name, { min: lo, max: hi });
    }
    this.runs++;
  }

  /** Number of runs observed. */
  get count(): number { return this.runs; }

  /** The ranges observed so far, by tap name. */
  result(): ActivationRanges { return new Map(this.ranges); }
}

/** Asymmetric int8 parameters of an activation calibrated to `range` (0 always representable). */
export function int8ActivationQuantization(range: TensorRange): TensorQuantization {
  const min = f32(Math.min(range.min, 0));
  const max = f32(Math.max(range.max, 0));
  const scale = f32(f32(max - min) / 255);
  // A tensor that is identically 0 still needs a valid (positive) scale.
  if (scale === 0) return { scale: [1], zeroPoint: [-128], min, max };
  const fromMin = f32(-128 - f32(min / scale));
  const zeroPoint = fromMin < -128 ? -128 : fromMin > 127 ? 127 : roundHalfAway(fromMin);
  return { scale: [scale], zeroPoint: [zeroPoint], min, max };
}

/** SOFTMAX's int8 output as TFLite requires it: probabilities in steps of 1/256 from −128. */
export const INT8_SOFTMAX_OUTPUT: TensorQuantization = { scale: [1 / 256], zeroPoint: [-128] };

/** LOGISTIC's int8 output as TFLite requires it (activations.cc Prepare): [0, 1) in steps of 1/256 from −128. */
export const INT8_LOGISTIC_OUTPUT: TensorQuantization = INT8_SOFTMAX_OUTPUT;

export interface PerChannelWeights {
  readonly data: Int8Array;
  readonly quantization: TensorQuantization;
}

/**
 * Symmetric per-channel int8 weights. `axis` 'outer': channel-major [C, …] (CONV_2D, pointwise,
 * FULLY_CONNECTED, quantized_dimension 0); 'inner': channel-minor […, C] (DEPTHWISE_CONV_2D,
 * quantized_dimension 3 of [1, KH, KW, C]).
 */
export function perChannelInt8Weights(w: Float32Array, channels: number, axis: 'outer' | 'inner'): PerChannelWeights {
  if (w.length % channels !== 0) throw usageError(`quantize: ${w.length} weights do not split into ${channels} channels`);
  const per = w.length / channels;
  const index = axis === 'outer' ? (c: number, k: number) => c * per + k : (c: number, k: number) => k * channels + c;
  const scale: number[] = [];
  const data = new Int8Array(w.length);
  for (let c = 0; c < channels; c++) {
    let maxAbs = 0;
    for (let k = 0; k < per; k++) maxAbs = Math.max(maxAbs, Math.abs(w[index(c, k)]!));
    // An all-zero channel gets scale 1 (any positive scale represents it exactly).
    const s = maxAbs === 0 ? 1 : f32(f32(maxAbs) / 127);
    const inv = f32(1 / s);
    for (let k = 0; k < per; k++) {
      const q = roundHalfAway(f32(w[index(c, k)]! * inv));
      data[index(c, k)] = Math.max(-127, Math.min(127, q));
    }
    scale.push(s);
  }
  return { data, quantization: { scale, zeroPoint: scale.map(() => 0), quantizedDimension: axis === 'outer' ? 0 : 3 } };
}

/**
 * int32 biases at scale input_scale · weight_scale[c] (saturated to the int32 range); one weight
 * scale (per-tensor weights) gives one bias scale.
 */
export function int32Bias(bias: Float32Array, inputScale: number, weightScales: readonly number[]): { data: Int32Array; quantization: TensorQuantization } {
  if (weightScales.length !== 1 && weightScales.length !== bias.length) throw usageError(`quantize: ${bias.length} biases for ${weightScales.length} weight scales`);
  const scale = weightScales.map((ws) => f32(inputScale * ws));
  const data = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const q = roundHalfAway(f32(bias[c]! * f32(1 / scale[scale.length === 1 ? 0 : c]!)));
    data[c] = Math.max(-2147483647, Math.min(2147483647, q));
  }
  return { data, quantization: { scale, zeroPoint: scale.map(() => 0) } };
}

/**
 * The calibrated range of every tap of a classifier plan over representative inputs (NHWC float,
 * preprocessed as the model expects), one float run each — what `exportClassifierTflite(…, { int8 })`
 * quantizes the activations from. TFLite's guide suggests ~100–500 representative images.
 */
export function calibrateClassifier(backend: Backend, plan: MobileNetV2Plan, weights: MobileNetV2Weights, inputs: readonly Tap[]): ActivationRanges {
  if (inputs.length === 0) throw usageError('calibration: no representative inputs (give at least one NHWC image tensor)');
  const calibrator = new RangeCalibrator();
  for (const input of inputs) calibrator.observe(forward(backend, plan, weights, input.data, input.shape, { taps: 'all' }).taps);
  return calibrator.result();
}

/**
 * The calibrated range of every tap of an SSDLite plan (backbone, extra layers, predictors) and of
 * the two concatenated predictor outputs ('head.box_encodings', 'head.class_logits': the
 * CONCATENATIONs' ranges) over representative inputs, NHWC float in [−1, 1] as the detector expects.
 */
export function calibrateSsdlite(backend: Backend, plan: SsdlitePlan, weights: MobileNetV2Weights, inputs: readonly Tap[]): ActivationRanges {
  if (inputs.length === 0) throw usageError('calibration: no representative inputs (give at least one NHWC image tensor)');
  const calibrator = new RangeCalibrator();
  for (const input of inputs) {
    const out = ssdliteForward(backend, plan, weights, input.data, input.shape, { taps: 'all' });
    const taps = new Map(out.taps);
    taps.set(SSD_OUTPUT_TAPS.boxEncodings, { data: out.boxEncodings, shape: [out.batch, out.anchors, 4] });
    taps.set(SSD_OUTPUT_TAPS.classLogits, { data: out.classLogits, shape: [out.batch, out.anchors, out.classes] });
    calibrator.observe(taps);
  }
  return calibrator.result();
}
