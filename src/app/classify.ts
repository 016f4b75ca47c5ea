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
import { dequantized, integerInput, type ArithmeticRecord, type IntegerExecution } from './arithmetic.js';
import { runIntegerNetwork } from '../model/network.js';
import { integerSoftmax, type QTensor } from '../model/integer.js';
import { requireFiniteOutput, unsupportedError, usageError } from '../errors.js';

export interface Prediction {
  /** Model output index (for 1001-class models, 0 = background and ImageNet class k is k + 1). */
  readonly index: number;
  readonly label: string;
  readonly probability: number;
}

export interface InferenceResult {
  /** Float logits (integer path: the 8-bit logits dequantized exactly). */
  readonly logits: Float32Array;
  /** Integer path on a file ending in SOFTMAX: the file's uint8 softmax, multiples of its scale (1/256), as the interpreter gives them. */
  readonly probabilities: Float32Array;
  /** Which arithmetic (and requantization profile) produced these numbers. */
  readonly arithmetic: ArithmeticRecord;
  /** Integer path: the 8-bit logits and probabilities themselves, with their quantization. */
  readonly quantized: { readonly logits: QTensor; readonly probabilities: QTensor | null } | null;
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
  /** The integer path's backend and profile when the model runs in integer arithmetic, else null. */
  readonly integer: IntegerExecution | null;
}

/** Logits, probabilities and the full ranking for one image. */
export async function inferImage(model: ClassifierLike, backend: Backend, image: ImageInput | RgbImage): Promise<InferenceResult> {
  const m = model.imported;
  if (m.head !== 'classifier') throw unsupportedError(`${model.name} is a ${m.head} model; classify needs a classifier`);
  const conventions = model.conventions();
  const { tensor, shape, record, quantized: pixels } = await prepare(image, { input: m.input, conventions });
  let logits: Float32Array;
  let probabilities: Float32Array;
  let quantized: InferenceResult['quantized'] = null;
  const integer = model.integer;
  if (integer && m.integer) {
    const { output } = runIntegerNetwork(integer.q8, m.plan, m.integer, integerInput(m, pixels, shape), { profile: integer.profile });
    const q = output.data;
    logits = dequantized(q);
    // The file's own SOFTMAX, in integer arithmetic, when it has one.
    const qProbabilities = integerSoftmax(m.integer, q, q.data.length, integer.profile);
    probabilities = qProbabilities ? dequantized(qProbabilities) : floatSoftmax(logits);
    quantized = { logits: q, probabilities: qProbabilities };
  } else {
    logits = forward(backend, m.plan, m.weights, tensor, shape).output.data;
    requireFiniteOutput(logits, `${model.name}: the logits`);
    probabilities = floatSoftmax(logits);
  }
  const labels = model.labels;
  // Ties (frequent in 8-bit probabilities) are broken by the logits, then by the lower index.
  const order = Array.from(probabilities.keys()).sort((a, b) => probabilities[b]! - probabilities[a]! || logits[b]! - logits[a]! || a - b);
  const predictions = order.map((index) => ({ index, label: labels.name(index), probability: probabilities[index]! }));
  const arithmetic: ArithmeticRecord = integer && m.integer ? { kind: 'integer', requantization: integer.profile } : { kind: 'float', requantization: null };
  return { logits, probabilities, predictions, preprocessing: record, conventions, arithmetic, quantized };
}

function floatSoftmax(logits: Float32Array): Float32Array {
  const probabilities = new Float32Array(logits.length);
  f32Softmax(probabilities, logits, { rows: 1, cols: logits.length });
  return probabilities;
}

/** The top-K classes, best first (ties: lower index first). */
export async function classifyImage(model: ClassifierLike, backend: Backend, image: ImageInput | RgbImage, options: ClassifyOptions = {}): Promise<Prediction[]> {
  const k = options.topK ?? 5;
  if (!Number.isInteger(k) || k < 1) throw usageError(`topK must be a positive integer, got ${k}`);
  return (await inferImage(model, backend, image)).predictions.slice(0, k);
}
