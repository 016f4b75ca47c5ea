// SPDX-License-Identifier: Apache-2.0
/**
 * `runNetwork`: any plan — the backbone, the classifier, SSDLite, Mobile DeepLabv3 — on a backend,
 * through the one runner (runner.ts) and the plan's head.
 *
 * ```ts
 * const plan = buildDeeplabPlan({ width: 0.5, resolution: 257, outputStride: 8 });
 * const { output, taps } = runNetwork(backend, plan, weights, { data: x, shape: [1, 257, 257, 3] }, { taps: ['layer_18'] });
 * output.logits; // [1, 257, 257, 21]
 * ```
 */
import type { Backend } from '../backend/backend.js';
import type { MobileNetV2Plan } from './plan.js';
import type { MobileNetV2Weights } from './weights.js';
import { runHead, runWith, type Head, type NetworkResult, type RunOptions, type Tap } from './runner.js';
import { CLASSIFIER_HEAD, classifierHead } from './forward.js';
import { DEEPLAB_HEAD, deeplabHead, type DeeplabOutput, type DeeplabPlan } from './deeplab.js';
import { SSDLITE_HEAD, ssdliteHead, type SsdlitePlan, type SsdlitePredictions } from './ssdlite.js';
import { integerArithmetic, type IntegerNetwork, type QTensor } from './integer.js';
import type { Q8Backend } from '../backend/q8-backend.js';
import type { RequantizationProfile } from '../../kernels/q-requantize.js';

/** Every plan the runner knows. */
export type NetworkPlan = MobileNetV2Plan | DeeplabPlan | SsdlitePlan;

export function isDeeplabPlan(plan: NetworkPlan): plan is DeeplabPlan {
  return 'headConvs' in plan;
}

export function isSsdlitePlan(plan: NetworkPlan): plan is SsdlitePlan {
  return 'featureMaps' in plan;
}

/** The head that runs a plan. */
export function headOf(plan: SsdlitePlan): Head<SsdlitePlan, SsdlitePredictions>;
export function headOf(plan: DeeplabPlan): Head<DeeplabPlan, DeeplabOutput>;
export function headOf(plan: MobileNetV2Plan): Head<MobileNetV2Plan, Tap>;
export function headOf(plan: NetworkPlan): Head<NetworkPlan, unknown>;
export function headOf(plan: NetworkPlan): Head<never, unknown> {
  return isSsdlitePlan(plan) ? SSDLITE_HEAD : isDeeplabPlan(plan) ? DEEPLAB_HEAD : CLASSIFIER_HEAD;
}

/**
 * Runs a plan on a batch: weight and input checks, tap selection, the backend's zero-copy scope and
 * copy-out are the runner's; the head computes its part.
 * @param input NHWC [N, H, W, 3], already preprocessed.
 */
export function runNetwork(backend: Backend, plan: SsdlitePlan, weights: MobileNetV2Weights, input: Tap, options?: RunOptions): NetworkResult<SsdlitePredictions>;
export function runNetwork(backend: Backend, plan: DeeplabPlan, weights: MobileNetV2Weights, input: Tap, options?: RunOptions): NetworkResult<DeeplabOutput>;
export function runNetwork(backend: Backend, plan: MobileNetV2Plan, weights: MobileNetV2Weights, input: Tap, options?: RunOptions): NetworkResult<Tap>;
export function runNetwork(backend: Backend, plan: NetworkPlan, weights: MobileNetV2Weights, input: Tap, options?: RunOptions): NetworkResult<unknown>;
export function runNetwork(backend: Backend, plan: NetworkPlan, weights: MobileNetV2Weights, input: Tap, options: RunOptions = {}): NetworkResult<unknown> {
  return runHead(backend, headOf(plan) as Head<NetworkPlan, unknown>, plan, weights, input, options);
}

/** The head that runs a plan on the integer arithmetic. */
export function integerHeadOf(plan: NetworkPlan): Head<NetworkPlan, unknown, QTensor> {
  const head = isSsdlitePlan(plan) ? ssdliteHead<QTensor>() : isDeeplabPlan(plan) ? deeplabHead<QTensor>() : classifierHead<QTensor>();
  return head as Head<NetworkPlan, unknown, QTensor>;
}

export interface IntegerRunOptions extends RunOptions {
  /** Requantization per operator (kernels/q-requantize.ts REQUANTIZATION_PROFILES). Default 'tflite-wasm'. */
  profile?: RequantizationProfile;
}

/**
 * Runs a quantized network on the integer arithmetic (src/model/integer.ts) through the same runner
 * and head steps as the float path. `input` is the 8-bit input tensor with the file's input
 * quantization; every tap and the output are 8-bit tensors with their scale and zero point.
 *
 * ```ts
 * const m = importTflite(bytes, 'mobilenet_v2_1.0_224_quant.tflite');
 * const { output } = runIntegerNetwork(createScalarQ8Backend(), m.plan, m.integer!, { data: { data: pixels, ...m.integer!.input }, shape: [1, 224, 224, 3] });
 * output.data.data; // Uint8Array [1, 1001] logits, real = scale·(q − zeroPoint)
 * ```
 */
export function runIntegerNetwork(q8: Q8Backend, plan: SsdlitePlan, net: IntegerNetwork, input: Tap<QTensor>, options?: IntegerRunOptions): NetworkResult<SsdlitePredictions<QTensor>, QTensor>;
export function runIntegerNetwork(q8: Q8Backend, plan: DeeplabPlan, net: IntegerNetwork, input: Tap<QTensor>, options?: IntegerRunOptions): NetworkResult<DeeplabOutput<QTensor>, QTensor>;
export function runIntegerNetwork(q8: Q8Backend, plan: MobileNetV2Plan, net: IntegerNetwork, input: Tap<QTensor>, options?: IntegerRunOptions): NetworkResult<Tap<QTensor>, QTensor>;
export function runIntegerNetwork(q8: Q8Backend, plan: NetworkPlan, net: IntegerNetwork, input: Tap<QTensor>, options?: IntegerRunOptions): NetworkResult<unknown, QTensor>;
export function runIntegerNetwork(q8: Q8Backend, plan: NetworkPlan, net: IntegerNetwork, input: Tap<QTensor>, options: IntegerRunOptions = {}): NetworkResult<unknown, QTensor> {
  const { profile = 'tflite-wasm', ...run } = options;
  return runWith(integerArithmetic(q8, net, profile), integerHeadOf(plan), plan, input, run);
}
