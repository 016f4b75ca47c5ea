// SPDX-License-Identifier: Apache-2.0
/**
 * Image classification with a loaded MobileNetV2 classifier:
 *
 * ```ts
 * const model = await load({ model: 'mobilenet_v2_1.0_224_quant' });
 * const top5 = await model.classify('cat.jpg', { topK: 5 });   // → [{ index: 286, label: 'Egyptian cat', probability: 0.82 }, …]
 * const { logits, probabilities, predictions, preprocessing, conventions } = await model.infer('cat.jpg');
 * ```
 *
 * Pipeline: prepare() under the model's conventions → the network (backbone, pool, FC) → softmax → every class ranked (ties: lower index first). For 1001-class models output 0 is the
 * background and ImageNet class k is output k + 1; labels name outputs, not dataset classes.
 */
import type { Backend } from '../backend/backend.js';
import { forward } from '../model/forward.js';
import { f32Softmax } from '../../kernels/f32-softmax.js';
import type { ImportedModel } from '../io/tflite/import-graph.js';
import type { Labels } from '../io/labels.js';
import type { ImageInput } from '../io/image/input.js';
import type { RgbImage } from '../io/image/image.js';
import type { PreprocessRecord } from '../io/image/preprocess.js';
import { prepare, type Conventions } from './prepare.js';
import { requireFiniteOutput, unsupportedError, usageError } from '../errors.js';

export interface Prediction {
  /** Model output index (for 1001-class models, 0 = background and ImageNet class k is k + 1). */
  readonly index: number;
  readonly label: string;
  readonly probability: number;
}

export interface InferenceResult {
  readonly logits: Float32Array;
  readonly probabilities: Float32Array;
  readonly predictions: Prediction[];
  readonly preprocessing: PreprocessRecord;
  readonly conventions: Conventions;
}

export interface ClassifyOptions {
  topK?: number;
}

/** What classification needs from a loaded model (MobileNetV2Model satisfies it). */
export interface ClassifierLike {
  readonly imported: ImportedModel;
  readonly name: string;
  readonly labels: Labels;
  conventions(): Conventions;
}

/** Logits, probabilities and the full ranking for one image. */
export async function inferImage(model: ClassifierLike, backend: Backend, image: ImageInput | RgbImage): Promise<InferenceResult> {
  const m = model.imported;
  if (m.head !== 'classifier') throw unsupportedError(`${model.name} is a ${m.head} model; classify needs a classifier`);
  const conventions = model.conventions();
  const { tensor, shape, record } = await prepare(image, { input: m.input, conventions });
  const { output } = forward(backend, m.plan, m.weights, tensor, shape);
  const logits = output.data;
  requireFiniteOutput(logits, `${model.name}: the logits`);
  const probabilities = new Float32Array(logits.length);
  f32Softmax(probabilities, logits, { rows: 1, cols: logits.length });
  const labels = model.labels;
  const order = Array.from(probabilities.keys()).sort((a, b) => probabilities[b]! - probabilities[a]! || a - b);
  const predictions = order.map((index) => ({ index, label: labels.name(index), probability: probabilities[index]! }));
  return { logits, probabilities, predictions, preprocessing: record, conventions };
}

/** The top-K classes, best first (ties: lower index first). */
export async function classifyImage(model: ClassifierLike, backend: Backend, image: ImageInput | RgbImage, options: ClassifyOptions = {}): Promise<Prediction[]> {
  const k = options.topK ?? 5;
  if (!Number.isInteger(k) || k < 1) throw usageError(`topK must be a positive integer, got ${k}`);
  return (await inferImage(model, backend, image)).predictions.slice(0, k);
}
