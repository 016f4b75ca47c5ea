// SPDX-License-Identifier: Apache-2.0
/**
 * The bench's classifier built from a torchvision state dict, and the bench input — with no Node
 * import, so the in-browser bench page (bench/browser/page.ts) builds exactly the network that
 * bench/models.ts builds in Node: the page receives the same state dict (written by Node with
 * writeStateDict, bench/peers/onnx.ts) and calls this same function.
 */
import { loadTorchvision, type StateDict } from '../src/io/torchvision.js';
import { exportClassifierTflite } from '../src/io/tflite/export.js';
import { forward } from '../src/model/forward.js';
import type { GoldenTensor } from '../spec/helpers/golden-weights.js';
import type { BuiltModel, ModelConfig } from './models.js';

/** NHWC [1, R, R, 3]: a smooth pseudo-image in roughly [-1.7, 1.7] (values only matter for correctness checks). */
export function benchInput(resolution: number): Float32Array {
  const input = new Float32Array(resolution * resolution * 3);
  for (let i = 0; i < input.length; i++) input[i] = Math.fround(Math.sin(i * 0.013) * 1.2 + Math.cos(i * 0.0007) * 0.5);
  return input;
}

/** The classifier config's network from `stateDict` (torchvision keys), symmetric padding as torchvision. */
export function classifierModel(config: ModelConfig, stateDict: Map<string, GoldenTensor>): BuiltModel {
  const r = config.resolution;
  const input = benchInput(r);
  const inputShape = [1, r, r, 3] as const;
  const sd: StateDict = new Map([...stateDict].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, read: () => t.data }]));
  const { plan, weights } = loadTorchvision(sd, { width: config.width, resolution: r, classes: config.classes, padding: 'symmetric' });
  return {
    config, input, inputShape, net: { kind: 'classifier', plan, weights, stateDict }, madds: plan.madds,
    forward: (b) => [forward(b, plan, weights, input, inputShape).output.data],
    tflite: () => exportClassifierTflite(plan, weights, { softmax: false }),
    scores: { output: 0, classes: config.classes },
  };
}

/** The manifest of a state dict written by writeStateDict (bench/peers/onnx.ts). */
export interface StateDictManifest {
  readonly width: number;
  readonly classes: number;
  readonly resolution: number;
  /** The `.f32` file's path (export_onnx.py reads it). */
  readonly blob: string;
  readonly tensors: ReadonlyArray<{ key: string; shape: number[]; dtype: GoldenTensor['dtype']; offset: number; length: number }>;
}

/** The state dict of `manifest` from its blob's float32 values (the inverse of writeStateDict). */
export function readStateDict(manifest: StateDictManifest, blob: Float32Array): Map<string, GoldenTensor> {
  const sd = new Map<string, GoldenTensor>();
  for (const t of manifest.tensors) {
    if (t.offset + t.length > blob.length) throw new Error(`state dict: ${t.key} ends at ${t.offset + t.length}, the blob has ${blob.length} values`);
    sd.set(t.key, { shape: t.shape, dtype: t.dtype, data: blob.subarray(t.offset, t.offset + t.length) });
  }
  return sd;
}
