// SPDX-License-Identifier: Apache-2.0
/**
 * Semantic segmentation with a Mobile DeepLabv3 model:
 *
 * ```ts
 * const model = await load({ model: 'deeplabv3_mnv2_pascal_quant' });
 * const { classMap, legend, present, policy } = await model.segment('street.jpg');
 * ```
 *
 * segmentImage(): prepare() under the model's conventions → the network (backbone, ASPP, logits at
 * the model input size) → segmentationFromLogits() with the preprocessing record.
 *
 * segmentationFromLogits(): from per-pixel class scores at the model resolution to a class
 * map of the ORIGINAL image, with the exact policy used.
 *
 * What the network gives (user-needs §14): `deeplabForward(...).logits` is [N, H, W, K] at the
 * model input size (257×257, 513×513, …): unnormalised scores (logits), NOT probabilities — values
 * are negative or far above 1, and argmax over K is the prediction. softmax turns them into
 * probabilities when those are wanted.
 *
 * How they map back (the inverse of preprocessing, src/io/image/preprocess.ts):
 *   1. keep only the content box (the model pixels the resized image covers; DeepLab pads the
 *      rest bottom/right with the mean pixel, and those scores describe padding, not the image);
 *   2. resize the content's logits bilinearly to the crop size in source pixels. The grid is
 *      'align-corners' by default, as TF DeepLab resizes everything (its input resize_to_range
 *      and its logits upsampling use align_corners=True): align-corners inverts align-corners
 *      exactly at the corners (source pixel i ↔ content coordinate i·(rh − 1)/(ch − 1)), and
 *      'half-pixel' inverts 'half-pixel'. Scores are interpolated, never labels, so boundaries
 *      fall between pixels where the scores cross. DeepLab's own exporter (export_model.py) resizes
 *      the label map with nearest neighbour (align_corners=True) instead, which gives blockier
 *      edges: `interpolation: 'nearest'` reproduces that exactly;
 *   3. argmax per pixel (ties → the lowest class index, NaN wins: kernels/f32-argmax-nhwc.ts);
 *   4. source pixels outside the crop (only with a central crop) have no prediction:
 *      class NO_PREDICTION (−1), logits/probabilities NaN.
 * The interpolation is exactly kernels/f32-resize-nhwc.ts's bilinear (float64, rounded once to
 * float32), done row by row so a 12-megapixel photo needs no [H, W, K] buffer unless logits or
 * probabilities are asked for.
 */
import type { Backend } from '../backend/backend.js';
import { f32ArgmaxLastAxis } from '../../kernels/f32-argmax-nhwc.js';
import { resizeNearestIndex, resizeSourceCoord } from '../../kernels/f32-resize-nhwc.js';
import { f32Softmax } from '../../kernels/f32-softmax.js';
import type { Tap } from '../model/forward.js';
import { checkUpsampling, deeplabForward, type DeeplabUpsampling } from '../model/deeplab.js';
import { runIntegerNetwork } from '../model/network.js';
import { dequantized, integerInput, type ArithmeticRecord, type IntegerExecution } from './arithmetic.js';
import { NO_PREDICTION, vocColor, type ClassMap } from '../model/segmentation.js';
import type { ImportedModel } from '../io/tflite/import-graph.js';
import { PASCAL_VOC_LABELS, type Labels } from '../io/labels.js';
import type { ImageInput } from '../io/image/input.js';
import type { RgbImage } from '../io/image/image.js';
import type { PreprocessRecord } from '../io/image/preprocess.js';
import { prepare, type Conventions } from './prepare.js';
import { fmtShape, requireFiniteOutput, shapeError, unsupportedError, usageError } from '../errors.js';

/** A pixel rectangle: top-left corner and size. */
export interface PixelRect { readonly x: number; readonly y: number; readonly width: number; readonly height: number }

/**
 * What segmentation needs from a preprocessing record (src/io/image/preprocess.ts PreprocessRecord
 * has these fields): the source image size, the crop (source pixels) and where the resized crop
 * sits in the model input (content box, model pixels).
 */
export interface SegmentationMapping {
  readonly source: { readonly width: number; readonly height: number };
  readonly crop: PixelRect;
  readonly content: PixelRect;
}

export type SegmentationOutputSize = 'input-size' | 'model-size';

export interface SegmentationOptions {
  /** 'input-size' (default): the original image's resolution; 'model-size': the model grid as is (padding included). */
  output?: SegmentationOutputSize;
  /** Also return softmax probabilities at the output size ([1, H, W, K] float32). */
  probabilities?: boolean;
  /** Also return the (resized) logits at the output size. */
  logits?: boolean;
  /** Class names; default PASCAL VOC when K = 21, else 'class_<k>'. */
  labels?: readonly string[];
  /** Sampling grid used to bring the scores to the original size; default 'align-corners' (DeepLab). */
  resize?: DeeplabUpsampling;
  /**
   * 'bilinear' (default): interpolate the scores, then argmax. 'nearest': take each pixel's nearest
   * model pixel (TF's nearest-neighbour index rule), which is exactly what DeepLab's
   * export_model.py does to its label map (argmax, crop, resize_images NEAREST_NEIGHBOR,
   * align_corners=True) — blockier edges, but bit-identical to a DeepLab frozen graph's output.
   */
  interpolation?: 'bilinear' | 'nearest';
  /** Which image of the batch; default 0. */
  batchIndex?: number;
}

export interface SegmentationLegendEntry {
  readonly id: number;
  readonly name: string;
  readonly color: readonly [number, number, number];
  readonly pixels: number;
  /** pixels / predicted pixels. */
  readonly fraction: number;
}

export interface SegmentationPolicy {
  readonly output: SegmentationOutputSize;
  /** The model grid the logits were on. */
  readonly modelSize: { readonly width: number; readonly height: number };
  /** The part of the model grid used (the content box; the whole grid for 'model-size'). */
  readonly content: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** Where that content lands in the output (source pixels of the crop; the whole grid for 'model-size'). */
  readonly target: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly resize: DeeplabUpsampling | 'none';
  readonly interpolation: 'bilinear' | 'nearest' | 'none';
  readonly argmaxTies: 'lowest-index';
  readonly description: string;
}

export interface Segmentation {
  readonly classMap: ClassMap;
  /** Every class with its pixel count and fraction of the predicted pixels. */
  readonly legend: readonly SegmentationLegendEntry[];
  /** Ids with at least one pixel, largest area first. */
  readonly present: readonly number[];
  /** [1, H, W, K] at the output size, when asked for. */
  readonly logits?: Tap;
  readonly probabilities?: Tap;
  readonly policy: SegmentationPolicy;
}

function labelsFor(k: number, labels: readonly string[] | undefined): readonly string[] {
  if (labels !== undefined) {
    if (labels.length !== k) throw usageError(`segmentation: ${labels.length} labels given for ${k} classes`);
    return labels;
  }
  return k === PASCAL_VOC_LABELS.length ? PASCAL_VOC_LABELS : Array.from({ length: k }, (_, i) => `class_${i}`);
}

/**
 * Turns model-resolution logits [N, H, W, K] into a class map (and optionally logits and
 * probabilities) at the original image's resolution, using the preprocessing record.
 * `mapping` may be null only for output 'model-size'.
 */
export function segmentationFromLogits(logits: Tap, mapping: SegmentationMapping | null, options: SegmentationOptions = {}): Segmentation {
  const shape = logits.shape;
  if (shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 1)) throw shapeError(`segmentation: logits have shape ${fmtShape(shape)}, expected NHWC [N, H, W, classes]`);
  const [n, H, W, K] = shape as [number, number, number, number];
  if (logits.data.length !== n * H * W * K) throw shapeError(`segmentation: logits have ${logits.data.length} values, expected ${fmtShape(shape)} = ${n * H * W * K}`);
  const batchIndex = options.batchIndex ?? 0;
  if (!Number.isInteger(batchIndex) || batchIndex < 0 || batchIndex >= n) throw usageError(`segmentation: batchIndex ${String(options.batchIndex)} is outside the batch of ${n}`);
  const output = options.output ?? 'input-size';
  if (output !== 'input-size' && output !== 'model-size') throw usageError(`segmentation: output must be 'input-size' or 'model-size', got '${String(output)}'`);
  const mode = checkUpsampling(options.resize ?? 'align-corners', 'segmentation: resize');
  const interpolation = options.interpolation ?? 'bilinear';
  if (interpolation !== 'bilinear' && interpolation !== 'nearest') throw usageError(`segmentation: interpolation must be 'bilinear' or 'nearest', got '${String(interpolation)}'`);
  const nearest = interpolation === 'nearest';
  const names = labelsFor(K, options.labels);
  const image = logits.data.subarray(batchIndex * H * W * K, (batchIndex + 1) * H * W * K);

  let outW: number;
  let outH: number;
  let content: SegmentationPolicy['content'];
  let target: SegmentationPolicy['target'];
  if (output === 'model-size') {
    outW = W;
    outH = H;
    content = { x: 0, y: 0, width: W, height: H };
    target = content;
  } else {
    if (mapping === null) throw usageError("segmentation: output 'input-size' needs the preprocessing record (how the image was resized and padded)");
    const { source, crop, content: box } = mapping;
    if (box.x < 0 || box.y < 0 || box.width < 1 || box.height < 1 || box.x + box.width > W || box.y + box.height > H) {
      throw shapeError(`segmentation: content box ${box.width}x${box.height} at (${box.x}, ${box.y}) does not fit the ${W}x${H} logits: the record is for a different model size`);
    }
    if (crop.x < 0 || crop.y < 0 || crop.width < 1 || crop.height < 1 || crop.x + crop.width > source.width || crop.y + crop.height > source.height) {
      throw shapeError(`segmentation: crop ${crop.width}x${crop.height} at (${crop.x}, ${crop.y}) does not fit the ${source.width}x${source.height} source image`);
    }
    outW = source.width;
    outH = source.height;
    content = { x: box.x, y: box.y, width: box.width, height: box.height };
    target = { x: crop.x, y: crop.y, width: crop.width, height: crop.height };
  }

  const classIds = new Int32Array(outW * outH).fill(NO_PREDICTION);
  const wantLogits = options.logits === true || options.probabilities === true;
  const full = wantLogits ? new Float32Array(outW * outH * K).fill(NaN) : null;
  const row = new Float32Array(target.width * K);
  const rowIds = new Int32Array(target.width);
  const identity = output === 'model-size';
  // Column taps are the same for every row: precompute them (content-relative).
  const x0s = new Int32Array(target.width);
  const x1s = new Int32Array(target.width);
  const fxs = new Float64Array(target.width);
  for (let ox = 0; ox < target.width; ox++) {
    if (nearest) {
      x0s[ox] = resizeNearestIndex(ox, content.width, target.width, mode);
      continue; // x1 and fx unused
    }
    const sx = resizeSourceCoord(ox, content.width, target.width, mode);
    const x0 = Math.floor(sx);
    x0s[ox] = x0;
    x1s[ox] = x0 + 1 < content.width ? x0 + 1 : content.width - 1;
    fxs[ox] = sx - x0;
  }
  for (let oy = 0; oy < target.height; oy++) {
    if (identity) {
      // 'model-size': the scores as they are.
      row.set(image.subarray(oy * W * K, (oy + 1) * W * K));
      f32ArgmaxLastAxis(rowIds, row, { rows: W, cols: K });
      classIds.set(rowIds, oy * W);
      if (full) full.set(row, oy * W * K);
      continue;
    }
    if (nearest) {
      // Copies of the chosen model pixels: the argmax of a copy is the copy of the argmax.
      const r = (content.y + resizeNearestIndex(oy, content.height, target.height, mode)) * W + content.x;
      for (let ox = 0; ox < target.width; ox++) row.set(image.subarray((r + x0s[ox]!) * K, (r + x0s[ox]! + 1) * K), ox * K);
      f32ArgmaxLastAxis(rowIds, row, { rows: target.width, cols: K });
      const outRow = (target.y + oy) * outW + target.x;
      classIds.set(rowIds, outRow);
      if (full) full.set(row, outRow * K);
      continue;
    }
    const sy = resizeSourceCoord(oy, content.height, target.height, mode);
    const y0 = Math.floor(sy);
    const y1 = y0 + 1 < content.height ? y0 + 1 : content.height - 1;
    const fy = sy - y0;
    const gy = 1 - fy;
    const r0 = (content.y + y0) * W;
    const r1 = (content.y + y1) * W;
    let o = 0;
    for (let ox = 0; ox < target.width; ox++) {
      const fx = fxs[ox]!;
      const gx = 1 - fx;
      const p00 = (r0 + content.x + x0s[ox]!) * K;
      const p01 = (r0 + content.x + x1s[ox]!) * K;
      const p10 = (r1 + content.x + x0s[ox]!) * K;
      const p11 = (r1 + content.x + x1s[ox]!) * K;
      // The same expression, in the same order, as f32ResizeBilinearNhwc: identical float32 results.
      for (let k = 0; k < K; k++) {
        const top = gx * image[p00 + k]! + fx * image[p01 + k]!;
        const bottom = gx * image[p10 + k]! + fx * image[p11 + k]!;
        row[o++] = gy * top + fy * bottom;
      }
    }
    f32ArgmaxLastAxis(rowIds, row, { rows: target.width, cols: K });
    const outRow = (target.y + oy) * outW + target.x;
    classIds.set(rowIds, outRow);
    if (full) full.set(row, outRow * K);
  }

  const counts = new Float64Array(K);
  let predicted = 0;
  for (let i = 0; i < classIds.length; i++) {
    const id = classIds[i]!;
    if (id >= 0) {
      counts[id]!++;
      predicted++;
    }
  }
  const legend: SegmentationLegendEntry[] = names.map((name, id) => ({
    id, name, color: vocColor(id), pixels: counts[id]!, fraction: predicted > 0 ? counts[id]! / predicted : 0,
  }));
  const present = legend.filter((e) => e.pixels > 0).sort((a, b) => b.pixels - a.pixels || a.id - b.id).map((e) => e.id);

  const description = output === 'model-size'
    ? `argmax of the ${W}x${H} logits as they are (padding included)`
    : `content box ${content.width}x${content.height} at (${content.x}, ${content.y}) of the ${W}x${H} logits, resized ${nearest ? 'nearest-neighbour' : 'bilinearly'} (${mode}) to ` +
      `${target.width}x${target.height} at (${target.x}, ${target.y}) of the ${outW}x${outH} source image, then argmax (ties → lowest class)` +
      (target.width !== outW || target.height !== outH ? `; pixels outside the crop are ${NO_PREDICTION}` : '');
  const policy: SegmentationPolicy = {
    output, modelSize: { width: W, height: H }, content, target, resize: identity ? 'none' : mode, interpolation: identity ? 'none' : interpolation, argmaxTies: 'lowest-index', description,
  };
  const result: { -readonly [P in keyof Segmentation]: Segmentation[P] } = {
    classMap: { data: classIds, width: outW, height: outH, classes: K }, legend, present, policy,
  };
  if (full && options.logits === true) result.logits = { data: full, shape: [1, outH, outW, K] };
  if (full && options.probabilities === true) {
    const probs = new Float32Array(full.length);
    f32Softmax(probs, full, { rows: outW * outH, cols: K }); // NaN rows (no prediction) stay NaN
    result.probabilities = { data: probs, shape: [1, outH, outW, K] };
  }
  return result;
}

export interface SegmentResult extends Segmentation {
  /** The decoded input image (RGB, original size) — handy for overlays. */
  readonly image: RgbImage;
  readonly preprocessing: PreprocessRecord;
  readonly conventions: Conventions;
  /** Which arithmetic (and requantization profile) produced the logits. */
  readonly arithmetic: ArithmeticRecord;
}

/** What segmentation needs from a loaded model (MobileNetV2Model satisfies it). */
export interface SegmenterLike {
  readonly imported: ImportedModel;
  readonly name: string;
  readonly labels: Labels;
  conventions(): Conventions;
  /** The integer path's backend and profile when the model runs in integer arithmetic, else null. */
  readonly integer: IntegerExecution | null;
}

/**
 * Semantic segmentation of one image: a class map at the original image's size ('input-size',
 * default) or on the model grid ('model-size'), the legend with per-class pixel fractions,
 * optionally logits and probabilities, and the exact un-pad/resize policy used.
 */
export async function segmentImage(model: SegmenterLike, backend: Backend, image: ImageInput | RgbImage, options: SegmentationOptions = {}): Promise<SegmentResult> {
  const m = model.imported;
  const dl = m.deeplab;
  if (m.head !== 'deeplab' || !dl) throw unsupportedError(`${model.name} is a ${m.head} model; segment needs a Mobile DeepLabv3 model`);
  const conventions = model.conventions();
  const { img, tensor, shape, record, quantized } = await prepare(image, { input: m.input, conventions });
  const integer = model.integer;
  let logits: Tap;
  if (integer && m.integer) {
    // Integer path: the 8-bit upsampled logits, dequantized exactly (argmax is unchanged by the affine map).
    const { output } = runIntegerNetwork(integer.q8, dl, m.integer, integerInput(m, quantized, shape), { profile: integer.profile });
    logits = { data: dequantized(output.logits.data), shape: output.logits.shape };
  } else {
    logits = deeplabForward(backend, dl, m.weights, tensor, shape).logits;
    requireFiniteOutput(logits.data, `${model.name}: the segmentation logits`);
  }
  const arithmetic: ArithmeticRecord = integer && m.integer ? { kind: 'integer', requantization: integer.profile } : { kind: 'float', requantization: null };
  const labels = model.labels;
  const names = labels.size === logits.shape[3] ? Array.from({ length: labels.size }, (_, i) => labels.name(i)) : undefined;
  const seg = segmentationFromLogits(logits, record, { labels: names, ...options });
  return { ...seg, image: img, preprocessing: record, conventions, arithmetic };
}
