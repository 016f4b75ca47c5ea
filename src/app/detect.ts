// SPDX-License-Identifier: Apache-2.0
/**
 * Object detection with an SSDLite-MobileNetV2 .tflite file (a TF OD API export, or ours):
 *
 * ```ts
 * const model = await load({ model: 'ssdlite_mobilenet_v2_coco.tflite' });
 * const { detections } = await model.detect('street.jpg', { scoreThreshold: 0.5 });
 * // → [{ label: 'person', score: 0.87, classIndex: 0, slot: 1, box: { ymin, xmin, ymax, xmax },
 * //      boxPixels: { x, y, width, height }, scores: Float32Array(90), anchorIndex }, …]
 * ```
 *
 * Pipeline:
 *  1. Image → tensor: prepare() under the model's conventions, by default the 'tf-od-api' profile
 *     (src/io/conventions.ts): the whole image resized (stretched, aspect ratio not kept) to the
 *     model input with TF1's `resize_images` bilinear (align_corners=False: the 'asymmetric' grid),
 *     the OD API's fixed_shape_resizer; then x·2/255 − 1 (the feature extractor's preprocess) for
 *     float models, or the raw pixel through the input quantization for uint8 models.
 *  2. Our network (backbone, extra layers, predictors): raw `boxEncodings` [A, 4] and `classLogits`
 *     [A, K] (slot 0 = background), both returned. A quantized file runs on the integer path (by
 *     default): its int8/uint8 outputs, and the file's own LOGISTIC scores in integer arithmetic,
 *     are dequantized exactly (real = f32(scale·(q − zero point))), which is what its DEQUANTIZE
 *     ops, or the post-process op reading 8-bit inputs, hand to TFLite_Detection_PostProcess.
 *  3. Post-processing, `nms`:
 *     'tflite' (default when the file has TFLite_Detection_PostProcess): exactly what that op
 *        computes (model/ssd/tflite-postprocess.ts) on the scores the file feeds it (sigmoid of the
 *        logits when the file has its LOGISTIC), with the file's anchors and options; boxes are the
 *        op's, NOT clipped. Candidates need score >= scoreThreshold.
 *     'per-class' (default without the op; the TF OD API's Python post-processing): sigmoid, NMS per
 *        class, boxes clipped to the image. Candidates need score > scoreThreshold.
 *     'class-agnostic': one NMS over every anchor's best class.
 *     IoU: suppress when IoU > iouThreshold (strictly), in every mode.
 *  4. Boxes in pixels of the ORIGINAL image: x = xmin·width, y = ymin·height, … — exact for the
 *     stretch resize of step 1 (no crop, no letterbox); a profile or override with a central crop
 *     or DeepLab's pad-longer-side is refused, since the boxes would not map back.
 *
 * Defaults: scoreThreshold 0.5 (tfjs coco-ssd's minScore; the op's own 1e-8 keeps junk), iouThreshold
 * and maxDetections from the file's op (else 0.6 and 100), maxPerClass 100. Raising the score
 * threshold before NMS keeps exactly the detections of the op's output whose score passes it: in
 * greedy NMS a box can only be suppressed by a higher-scoring one.
 *
 * Labels: 91 class slots are the TF COCO models' (slot = COCO category id, the 10 unused ids named
 * 'N/A'); classIndex = slot − 1 = the line of TF's coco label file. Other slot counts get 'class k'.
 */
import type { Backend } from '../backend/backend.js';
import type { ImportedModel } from '../io/tflite/import.js';
import type { DetectionPostProcessOptions } from '../io/tflite/model.js';
import { labelsFor } from '../io/labels.js';
import type { ImageInput } from '../io/image/input.js';
import type { RgbImage } from '../io/image/image.js';
import type { PreprocessRecord } from '../io/image/preprocess.js';
import { prepare, type Conventions } from './prepare.js';
import { ssdliteForward } from '../model/ssdlite.js';
import { runIntegerNetwork } from '../model/network.js';
import { integerLogistic } from '../model/integer.js';
import { dequantized, integerInput, type ArithmeticRecord, type IntegerExecution } from './arithmetic.js';
import type { SsdAnchors } from '../model/ssd/anchors.js';
import { postprocessImage, type Detection } from '../model/ssd/postprocess.js';
import { shortestF32, tflitePostprocess } from '../model/ssd/tflite-postprocess.js';
import { f32Sigmoid } from '../../kernels/f32-sigmoid.js';
import { requireFiniteOutput, unsupportedError, usageError } from '../errors.js';

export type { Detection, NormalizedBox, PixelBox } from '../model/ssd/postprocess.js';

export type NmsMode = 'tflite' | 'per-class' | 'class-agnostic';

export interface DetectOptions {
  /** Minimum score (see the file comment for >= vs >). Default 0.5. */
  scoreThreshold?: number;
  /** Suppress when IoU > this. Default: the file's op, else 0.6. */
  iouThreshold?: number;
  /** Most detections returned. Default: the file's op max_detections, else 100. */
  maxDetections?: number;
  /** Default 'tflite' when the file has TFLite_Detection_PostProcess, else 'per-class'. */
  nms?: NmsMode;
  /** Per-class NMS (and the op's regular NMS): most detections per class. Default: the file's detections_per_class, else 100. */
  maxPerClass?: number;
  /** 'tflite' only: use the op's regular (per-class) NMS instead of the file's choice. */
  useRegularNms?: boolean;
}

export interface DetectPostprocessRecord {
  readonly nms: NmsMode;
  readonly scoreThreshold: number;
  /** How candidates are compared with the score threshold. */
  readonly scoreComparison: '>=' | '>';
  readonly iouThreshold: number;
  readonly iouComparison: 'suppress if IoU > threshold';
  readonly maxDetections: number;
  readonly maxPerClass: number;
  readonly scoreConverter: 'sigmoid' | 'identity';
  readonly boxCoderScales: { readonly y: number; readonly x: number; readonly h: number; readonly w: number };
  readonly clippedToImage: boolean;
  readonly anchors: 'file' | 'generated';
  /** 'tflite' mode: the op options actually used. */
  readonly op: DetectionPostProcessOptions | null;
}

export interface DetectResult {
  /** Best first. */
  readonly detections: Detection[];
  /** [A, 4] (ty, tx, th, tw) per anchor. */
  readonly boxEncodings: Float32Array;
  /** [A, K] logits, slot 0 = background. */
  readonly classLogits: Float32Array;
  readonly anchors: SsdAnchors;
  readonly image: { readonly width: number; readonly height: number };
  readonly preprocessing: PreprocessRecord;
  /** Every convention the image was prepared with (profile 'tf-od-api' unless another was named). */
  readonly conventions: Conventions;
  readonly postprocessing: DetectPostprocessRecord;
  /** 'coco-91' (slot = COCO id) or 'index' (generic names). */
  readonly labelSet: 'coco-91' | 'index' | 'file';
  /** Which arithmetic (and requantization profile) produced the raw outputs. */
  readonly arithmetic: ArithmeticRecord;
}

/** What detect needs from a loaded model (MobileNetV2Model satisfies it). */
export interface DetectorLike {
  readonly imported: ImportedModel;
  readonly name: string;
  /** Names per class slot from a label file (the model's metadata or the user's), overriding the defaults. */
  readonly labelsFromFile?: { name(slot: number): string } | null;
  /** The conventions images are prepared with (MobileNetV2Model.conventions()). */
  conventions(): Conventions;
  /** The integer path's backend and profile when the model runs in integer arithmetic (quantized files), else null. */
  readonly integer?: IntegerExecution | null;
}

function checkNumber(name: string, v: number | undefined, ok: (x: number) => boolean, what: string): void {
  if (v !== undefined && (typeof v !== 'number' || !ok(v))) throw usageError(`detect: ${name} must be ${what}, got ${String(v)}`);
}

/**
 * Names by classIndex (0-based, background excluded) for a detector with `numClasses` classes: the
 * TF COCO models' 90 (classIndex + 1 = COCO id, 'N/A' for the unused ids), else 'class k'.
 */
export function detectionLabels(numClasses: number): { set: 'coco-91' | 'index'; name: (classIndex: number) => string } {
  if (numClasses === 90) {
    const l = labelsFor('coco-91');
    return { set: 'coco-91', name: (c) => l.name(c + 1) };
  }
  return { set: 'index', name: (c) => `class ${c}` };
}

/** Runs detection on one image with an imported SSDLite model (see the file comment). */
export async function detectImage(model: DetectorLike, backend: Backend, image: ImageInput | RgbImage, options: DetectOptions = {}): Promise<DetectResult> {
  const m = model.imported;
  const ssd = m.ssdlite;
  if (m.head !== 'ssdlite' || ssd === null) {
    throw unsupportedError(`${model.name} is a ${m.head} model; detect needs an SSD detector (an SSDLite-MobileNetV2 .tflite, with TFLite_Detection_PostProcess or raw box/class outputs)`);
  }
  checkNumber('scoreThreshold', options.scoreThreshold, (x) => !Number.isNaN(x), 'a number');
  checkNumber('iouThreshold', options.iouThreshold, (x) => x > 0 && x <= 1, 'in (0, 1]');
  checkNumber('maxDetections', options.maxDetections, (x) => Number.isInteger(x) && x >= 1, 'a positive integer');
  checkNumber('maxPerClass', options.maxPerClass, (x) => Number.isInteger(x) && x >= 1, 'a positive integer');
  const nms: NmsMode = options.nms ?? (ssd.postprocess ? 'tflite' : 'per-class');
  if (nms !== 'tflite' && nms !== 'per-class' && nms !== 'class-agnostic') throw usageError(`detect: nms must be 'tflite', 'per-class' or 'class-agnostic', got '${String(nms)}'`);

  // 1. Image → tensor, under the model's conventions (default profile 'tf-od-api').
  const plan = ssd.plan;
  const conventions = model.conventions();
  if (conventions.fit !== 'stretch' || conventions.centralCrop !== 1) {
    throw usageError(`detect: boxes map back to the image only for the whole image stretched to the input (fit 'stretch', central crop 1); the conventions say fit '${conventions.fit}', central crop ${conventions.centralCrop}`);
  }
  const { img, tensor: x, shape, record, quantized: pixels } = await prepare(image, { input: m.input, conventions });

  // 2. Network: integer arithmetic for a quantized file (the outputs dequantized exactly, as the
  // file's DEQUANTIZE ops or the post-process op's own input dequantization do), else float.
  const integer = model.integer ?? null;
  let out: { boxEncodings: Float32Array; classLogits: Float32Array };
  /** The file's own 8-bit LOGISTIC scores (integer path), dequantized. */
  let integerScores: Float32Array | null = null;
  if (integer && m.integer) {
    const { output } = runIntegerNetwork(integer.q8, plan, m.integer, integerInput(m, pixels, shape), { profile: integer.profile });
    out = { boxEncodings: dequantized(output.boxEncodings), classLogits: dequantized(output.classLogits) };
    const scores = integerLogistic(m.integer, output.classLogits, integer.profile);
    integerScores = scores ? dequantized(scores) : null;
  } else {
    out = ssdliteForward(backend, plan, m.weights, x, shape);
    requireFiniteOutput(out.boxEncodings, `${model.name}: the box encodings`);
    requireFiniteOutput(out.classLogits, `${model.name}: the class logits`);
  }
  const A = plan.anchors;
  const K = plan.classes;
  const anchors = ssd.anchors;

  // 3. Post-processing.
  // The file stores float32 options (0.6 reads as 0.6000000238…); use and report the decimal the
  // exporter wrote — it is the same float32, so the op emulation is unaffected.
  const file = ssd.postprocessDefaults;
  const base: DetectionPostProcessOptions = {
    ...file, nmsScoreThreshold: shortestF32(file.nmsScoreThreshold), nmsIouThreshold: shortestF32(file.nmsIouThreshold),
    yScale: shortestF32(file.yScale), xScale: shortestF32(file.xScale), hScale: shortestF32(file.hScale), wScale: shortestF32(file.wScale),
  };
  const scoreThreshold = options.scoreThreshold ?? 0.5;
  const iouThreshold = options.iouThreshold ?? base.nmsIouThreshold;
  const maxDetections = options.maxDetections ?? base.maxDetections;
  const maxPerClass = options.maxPerClass ?? base.detectionsPerClass;
  const background = K === base.numClasses + 1;
  const fileLabels = model.labelsFromFile ?? null;
  const labels = fileLabels ? { set: 'file' as const, name: (c: number) => fileLabels.name(background ? c + 1 : c) } : detectionLabels(background ? K - 1 : K);
  const size = { width: img.width, height: img.height };
  let detections: Detection[];
  let op: DetectionPostProcessOptions | null = null;
  if (nms === 'tflite') {
    op = {
      ...base, nmsScoreThreshold: scoreThreshold, nmsIouThreshold: iouThreshold, maxDetections, detectionsPerClass: maxPerClass,
      useRegularNms: options.useRegularNms ?? base.useRegularNms,
    };
    let scores = integerScores ?? out.classLogits;
    if (ssd.scoreConverter === 'sigmoid' && !integerScores) {
      scores = new Float32Array(A * K);
      f32Sigmoid(scores, out.classLogits, A * K);
    }
    const r = tflitePostprocess(out.boxEncodings, scores, anchors.centerSize, op);
    const offset = K - op.numClasses;
    detections = r.rows.map((row) => {
      const [ymin, xmin, ymax, xmax] = row.box;
      const slot = row.classIndex + offset;
      return {
        box: { ymin, xmin, ymax, xmax },
        boxPixels: { x: xmin * size.width, y: ymin * size.height, width: (xmax - xmin) * size.width, height: (ymax - ymin) * size.height },
        classIndex: row.classIndex,
        slot,
        label: labels.name(row.classIndex),
        score: row.score,
        scores: scores.slice(row.anchorIndex * K + offset, (row.anchorIndex + 1) * K),
        anchorIndex: row.anchorIndex,
      };
    });
  } else {
    const names = Array.from({ length: background ? K - 1 : K }, (_, c) => labels.name(c));
    // On the integer path the scores are the file's own LOGISTIC output, used as they are.
    detections = postprocessImage(out.boxEncodings, integerScores ?? out.classLogits, anchors, {
      scoreConverter: integerScores ? 'identity' : ssd.scoreConverter, background, scoreThreshold, iouThreshold, maxPerClass, maxDetections, nms,
      clipToImage: true, imageSize: size, labels: names,
      boxCoder: { scales: { y: base.yScale, x: base.xScale, h: base.hScale, w: base.wScale } },
    });
  }
  return {
    detections,
    boxEncodings: out.boxEncodings,
    classLogits: out.classLogits,
    anchors,
    image: size,
    preprocessing: record,
    conventions,
    postprocessing: {
      nms, scoreThreshold, scoreComparison: nms === 'tflite' ? '>=' : '>', iouThreshold, iouComparison: 'suppress if IoU > threshold',
      maxDetections, maxPerClass, scoreConverter: ssd.scoreConverter,
      boxCoderScales: { y: base.yScale, x: base.xScale, h: base.hScale, w: base.wScale },
      clippedToImage: nms !== 'tflite', anchors: ssd.anchorsSource, op,
    },
    labelSet: labels.set,
    arithmetic: integer && m.integer ? { kind: 'integer', requantization: integer.profile } : { kind: 'float', requantization: null },
  };
}
