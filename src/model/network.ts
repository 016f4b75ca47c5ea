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
import { runHead, type Head, type NetworkResult, type RunOptions, type Tap } from './runner.js';
import { CLASSIFIER_HEAD } from './forward.js';
import { DEEPLAB_HEAD, type DeeplabOutput, type DeeplabPlan } from './deeplab.js';
import { SSDLITE_HEAD, type SsdlitePlan, type SsdlitePredictions } from './ssdlite.js';

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
