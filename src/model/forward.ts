// SPDX-License-Identifier: Apache-2.0
/**
 * The classifier head (global average pool → fully connected) and `forward()`, which runs a
 * MobileNetV2 plan — the classifier, or the backbone cut where the plan stops — through the one
 * runner (runner.ts). Activations are NHWC [N, H, W, C] Float32Arrays; pooled features and logits
 * are [N, C]. Every intermediate result can be kept as a named tap.
 */
import type { Backend } from '../backend/backend.js';
import type { MobileNetV2Plan } from './plan.js';
import { resolveTapName } from './plan.js';
import { checkWeights, type MobileNetV2Weights } from './weights.js';
import { runHead, type Head, type RunContext, type RunOptions, type Tap } from './runner.js';

// The runner's pieces, where callers have always found them.
export {
  activationClamp, allocate, checkInput, inScope, runBlock, runConv, withScope, type Tap,
} from './runner.js';

export type ForwardOptions = RunOptions;

export interface ForwardResult {
  /** The plan's output (logits, or the last feature map when the network is cut). */
  readonly output: Tap;
  readonly taps: ReadonlyMap<string, Tap>;
}

/**
 * The classifier head step on any arithmetic: global average pool → fully connected logits, for the
 * plans that reach them (a plan cut at `stopAt` returns its last feature map).
 */
export function classifierStep<T>(ctx: RunContext<T>, plan: MobileNetV2Plan, features: Tap<T>): Tap<T> {
  let out = features;
  if (plan.taps.includes('pool')) {
    const [h, w, c] = plan.blocks[plan.blocks.length - 1]!.outShape;
    const n = ctx.n;
    out = ctx.keep('pool', ctx.ops.globalAvgPool(features.data, { n, h, w, c }, 'pool'), [n, c]);
    if (plan.classifier) out = ctx.keep('classifier', ctx.ops.fullyConnected(out.data, plan.classifier, 'classifier'), [n, plan.classifier.classes]);
  }
  return ctx.own(plan.output, out);
}

/** The MobileNetV2 network itself as a head on arithmetic T: the backbone, then pool and classifier when the plan has them. */
export function classifierHead<T>(): Head<MobileNetV2Plan, Tap<T>, T> {
  return {
    backbone: (plan) => plan,
    taps: (plan) => plan.taps,
    resolveTap: (_plan, name) => resolveTapName(name),
    unknownTap: (plan, name) =>
      `unknown tap '${name}'; this network has ${plan.taps.length} taps: ${plan.taps[0]}, ${plan.taps[1]}, … ${plan.taps[plan.taps.length - 1]}`,
    checkWeights: (plan, weights) => checkWeights(plan, weights),
    run: classifierStep,
  };
}

/** The classifier head on the float arithmetic. */
export const CLASSIFIER_HEAD: Head<MobileNetV2Plan, Tap> = classifierHead<Float32Array>();

/**
 * Runs the whole plan on a batch (the classifier, or the backbone cut where the plan stops).
 * @param input NHWC [N, H, W, 3], already preprocessed.
 */
export function forward(
  backend: Backend, plan: MobileNetV2Plan, weights: MobileNetV2Weights,
  input: Float32Array, shape: readonly number[], options: ForwardOptions = {},
): ForwardResult {
  return runHead(backend, CLASSIFIER_HEAD, plan, weights, { data: input, shape }, options);
}
