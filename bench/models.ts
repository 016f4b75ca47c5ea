// SPDX-License-Identifier: Apache-2.0
/**
 * The networks the bench runs, as data: each config names a network kind, its plan options and
 * where its weights come from, so every runtime — ours and the peers — runs the same numbers.
 *
 *   classifier 1.0/224, 0.35/96   golden-recipe weights (spec/helpers/golden-weights.ts:
 *                                 torchvision-style initialisation, BN not an identity), symmetric
 *                                 padding (the torchvision network, so ONNX Runtime can run it);
 *   DeepLab 0.5/257 OS8 (real)    ../shared/models/deeplabv3_257_mv_gpu.tflite imported with
 *                                 importTflite (trained weights, no ASPP); skipped without ../shared;
 *   DeepLab 1.0/513 OS16          the paper's on-device row (no ASPP, 2.75 B MAdds) with seeded
 *                                 random folded weights (src/io/tflite/export.ts);
 *   SSDLite 1.0/300               ssdlite_mobilenet_v2_coco's layout, 91 class slots, 1917 anchors,
 *                                 seeded random weights.
 *
 * `forward` is our network on a Backend; it returns the compared outputs (classifier: logits;
 * DeepLab: logits upsampled to the input size; SSDLite: box encodings and class logits). Every
 * peer returns the same arrays in the same layout.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Backend } from '../src/backend/backend.js';
import { importTflite } from '../src/io/tflite/import.js';
import { exportDeeplabTflite, exportSsdliteTflite, randomDeeplabWeights, randomSsdliteWeights } from '../src/io/tflite/export.js';
import { buildDeeplabPlan, deeplabForward, type DeeplabPlan } from '../src/model/deeplab.js';
import { buildSsdlitePlan, ssdliteForward, type SsdlitePlan } from '../src/model/ssdlite.js';
import type { MobileNetV2Plan } from '../src/model/plan.js';
import type { MobileNetV2Weights } from '../src/model/weights.js';
import { goldenStateDict, type GoldenTensor } from '../spec/helpers/golden-weights.js';
import { benchInput, classifierModel } from './classifier.js';
import { repoPath } from './paths.js';

export type ModelKind = 'classifier' | 'deeplab' | 'ssdlite';

export interface ModelConfig {
  /** Row label, e.g. "classifier 1.0/224". */
  readonly name: string;
  readonly kind: ModelKind;
  readonly width: number;
  readonly resolution: number;
  readonly classes: number;
  /** DeepLab only. */
  readonly outputStride?: 8 | 16;
  /** Seed of the golden-recipe (classifier) or random (heads) weights; unused with `file`. */
  readonly seed: number;
  /** A real .tflite file in ../shared/models to import instead of seeded weights (the config is skipped without it). */
  readonly file?: string;
  /** Timed runs for the fast backends are capped by time; this is the minimum. */
  readonly minRuns: number;
}

export const MODEL_CONFIGS: readonly ModelConfig[] = [
  { name: 'classifier 1.0/224', kind: 'classifier', width: 1.0, resolution: 224, classes: 1000, seed: 1, minRuns: 20 },
  { name: 'classifier 0.35/96', kind: 'classifier', width: 0.35, resolution: 96, classes: 1000, seed: 2, minRuns: 50 },
  { name: 'DeepLab 0.5/257 OS8 (real weights)', kind: 'deeplab', width: 0.5, resolution: 257, classes: 21, outputStride: 8, seed: 0, file: 'deeplabv3_257_mv_gpu.tflite', minRuns: 10 },
  { name: 'DeepLab 1.0/513 OS16', kind: 'deeplab', width: 1.0, resolution: 513, classes: 21, outputStride: 16, seed: 3, minRuns: 10 },
  { name: 'SSDLite 1.0/300', kind: 'ssdlite', width: 1.0, resolution: 300, classes: 91, seed: 4, minRuns: 10 },
];

export const SHARED_DIR = process.env.MOBILENETV2_SHARED ?? repoPath('..', 'shared');

/** Why a config cannot run here (its real file is missing), or null. */
export function unavailable(config: ModelConfig): string | null {
  if (config.file === undefined) return null;
  const path = `${SHARED_DIR}/models/${config.file}`;
  return existsSync(path) ? null : `${path} not found (../shared is absent)`;
}

export type Net =
  | { readonly kind: 'classifier'; readonly plan: MobileNetV2Plan; readonly weights: MobileNetV2Weights; readonly stateDict: Map<string, GoldenTensor> }
  | { readonly kind: 'deeplab'; readonly plan: DeeplabPlan; readonly weights: MobileNetV2Weights }
  | { readonly kind: 'ssdlite'; readonly plan: SsdlitePlan; readonly weights: MobileNetV2Weights };

export interface BuiltModel {
  readonly config: ModelConfig;
  readonly net: Net;
  /** Conv (+ FC) multiply-adds per image. */
  readonly madds: number;
  /** NHWC [1, R, R, 3] input, deterministic. */
  readonly input: Float32Array;
  readonly inputShape: readonly [number, number, number, number];
  /** Our network on `backend`: the compared outputs (see the file comment). */
  forward(backend: Backend): Float32Array[];
  /** The float .tflite file the TFLite interpreter peer runs: the real file, or an export of these exact weights. */
  tflite(): Uint8Array;
  /** Row length of the class scores (argmax agreement): the outputs' index and the class count. */
  readonly scores: { readonly output: number; readonly classes: number };
}

export function buildModel(config: ModelConfig): BuiltModel {
  const r = config.resolution;
  const input = benchInput(r);
  const inputShape = [1, r, r, 3] as const;
  const base = { config, input, inputShape };

  switch (config.kind) {
    case 'classifier':
      // bench/classifier.ts: the same construction the in-browser bench page runs.
      return classifierModel(config, goldenStateDict({ width: config.width, numClasses: config.classes, seed: config.seed }));
    case 'deeplab': {
      let plan: DeeplabPlan;
      let weights: MobileNetV2Weights;
      let bytes: Uint8Array | null = null;
      if (config.file !== undefined) {
        bytes = new Uint8Array(readFileSync(`${SHARED_DIR}/models/${config.file}`));
        const imported = importTflite(bytes, config.file);
        if (imported.deeplab === null) throw new Error(`${config.file} is not a DeepLab model`);
        plan = imported.deeplab;
        weights = imported.weights;
        const o = plan.options;
        if (o.width !== config.width || o.inputH !== r || o.outputStride !== config.outputStride || o.classes !== config.classes) {
          throw new Error(`${config.file}: width ${o.width}, ${o.inputH}×${o.inputW}, OS ${o.outputStride}, ${o.classes} classes; the config says otherwise`);
        }
      } else {
        plan = buildDeeplabPlan({ width: config.width, resolution: r, outputStride: config.outputStride ?? 16, classes: config.classes });
        weights = randomDeeplabWeights(plan, config.seed);
      }
      const file = bytes;
      return {
        ...base, net: { kind: 'deeplab', plan, weights }, madds: plan.madds,
        forward: (b) => [deeplabForward(b, plan, weights, input, inputShape).logits.data],
        tflite: () => file ?? exportDeeplabTflite(plan, weights),
        scores: { output: 0, classes: config.classes },
      };
    }
    case 'ssdlite': {
      const plan = buildSsdlitePlan({ width: config.width, resolution: r, classes: config.classes });
      const weights = randomSsdliteWeights(plan, config.seed);
      return {
        ...base, net: { kind: 'ssdlite', plan, weights }, madds: plan.madds,
        forward: (b) => {
          const o = ssdliteForward(b, plan, weights, input, inputShape);
          return [o.boxEncodings, o.classLogits];
        },
        // Raw outputs (box encodings, logits, sigmoid scores), no post-process op: the network only.
        tflite: () => exportSsdliteTflite(plan, weights, { postprocess: null, rawOutputs: true }),
        scores: { output: 1, classes: config.classes },
      };
    }
  }
}
