// SPDX-License-Identifier: Apache-2.0
/**
 * Image → network input, the one way every application (classify, segment, detect) does it:
 *
 * ```ts
 * import { prepare } from './app/prepare.js';
 * const { tensor, record } = await prepare('cat.jpg', { input: model.imported.input, conventions: 'tflite' });
 * // tensor: Float32Array [1, H, W, 3] NHWC; record: the crop, resize, padding and normalization used
 * ```
 *
 * The convention record decides everything (src/io/conventions.ts): the resize grid, central crop,
 * fit (stretch or DeepLab's pad-longer-side) and normalization. A profile name is resolved on its
 * own; a loaded model resolves its record with modelConventions() (profile, facts of the file,
 * overrides). Quantized inputs get the exact uint8/int8 pixels an integer interpreter would be fed
 * too, and the float tensor is their dequantization (real = scale·(q − zero point)).
 */
import type { ImportedModel, ImportedInput } from '../io/tflite/import-graph.js';
import type { RegistryEntry } from '../io/registry-entries.js';
import type { ModelMetadataInfo } from '../io/tflite/metadata.js';
import type { Labels } from '../io/labels.js';
import { loadImage, type ImageInput } from '../io/image/input.js';
import type { RgbImage } from '../io/image/image.js';
import { preprocessImage, quantizeInput, type Normalization, type PreprocessOptions, type PreprocessRecord } from '../io/image/preprocess.js';
import {
  resolveConventions, type ConventionFacts, type ConventionOverrides, type Conventions as ConventionRecord, type ProfileName,
} from '../io/conventions.js';
import { shapeError, fmtShape } from '../errors.js';

/** The full convention record (src/io/conventions.ts) plus what this model file adds. */
export interface Conventions extends ConventionRecord {
  readonly labelSet: string;
  /** Where the class names come from: '--labels FILE' / 'load({ labels })', the model's metadata file, the registry entry, or the class count. */
  readonly labelSource: string;
  /** How the float input was obtained: 'dequantize-uint8' (real = scale·(q − zp)) or a normalization preset. */
  readonly input: string;
  readonly weights: 'float' | 'dequantized';
}

/** Which profile and overrides a model was loaded with (load({ profile, conventions })). */
export interface ConventionChoice {
  readonly profile?: ProfileName;
  readonly overrides?: Pick<ConventionOverrides, 'resize' | 'centralCrop' | 'fit' | 'normalization'>;
}

/** The profile a head's files follow when none is named: TFLite classifiers/DeepLab, the OD API's SSD exports. */
export function defaultProfileFor(m: ImportedModel): ProfileName {
  return m.head === 'ssdlite' ? 'tf-od-api' : 'tflite';
}

/** The metadata's input NormalizationOptions as a custom preset ((x − mean) / std on 0..255 pixels), if any. */
function metadataNormalization(md: ModelMetadataInfo | null): { normalization?: Normalization } {
  const n = md?.inputs[0]?.normalization;
  if (!n || n.mean.length === 0 || n.std.length === 0) return {};
  const three = (v: readonly number[]): [number, number, number] => [v[0]!, v[1] ?? v[0]!, v[2] ?? v[0]!];
  return { normalization: { name: 'custom', mean: three(n.mean), std: three(n.std), scale: 1 } };
}

/**
 * Every convention a loaded model's results are computed with: the named profile (default: the
 * registry entry's preprocessing over the head's default profile), the facts of the file (padding,
 * folded BN, classes, label offset, input quantization, metadata normalization) and the load-time
 * overrides.
 */
export function modelConventions(args: {
  readonly imported: ImportedModel;
  readonly entry: RegistryEntry | null;
  readonly choice: ConventionChoice;
  readonly metadata: ModelMetadataInfo | null;
  readonly labels: { readonly labels: Labels; readonly source: string };
}): Conventions {
  const { imported: m, entry, choice, metadata } = args;
  const l = args.labels.labels;
  const profile = choice.profile ?? null;
  const p = entry?.preprocessing;
  const q = m.input.quantization;
  const overrides = choice.overrides ?? {};
  const ssd = m.ssdlite;
  // Detectors: slot 0 is the background when the file's post-process counts one class fewer than the slots.
  const labelOffset = ssd ? (ssd.plan.classes === ssd.postprocessDefaults.numClasses + 1 ? 1 : 0)
    : l.offset === 1 || (m.plan.classifier?.classes ?? 0) === 1001 ? 1 : 0;
  const fromMetadata = q ? {} : metadataNormalization(metadata);
  const facts: ConventionFacts = {
    padding: m.plan.options.padding, bnEps: null, weightLayout: 'OHWI', activationLayout: 'NHWC',
    classes: m.plan.classifier?.classes ?? m.deeplab?.options.classes ?? ssd?.plan.classes ?? 0, labelOffset,
    inputQuantization: q ? { dtype: m.input.type === 'INT8' ? 'int8' : 'uint8', scale: q.scale, zeroPoint: q.zeroPoint } : null,
    // Quantized inputs take raw pixels (the input quantization maps them to the model's range).
    ...(q && overrides.normalization === undefined ? { normalization: 'raw-uint8' as const } : {}),
    ...(profile === null && p ? { resize: p.resize, centralCrop: p.centralCrop, fit: p.fit, ...(q ? {} : { normalization: p.normalization }) } : {}),
    ...fromMetadata,
    notes: {
      padding: 'read from the TFLite graph', bnEps: 'BatchNorm is folded in the file', normalization: 'quantized input: the uint8 pixels go in as they are',
      ...(fromMetadata.normalization ? { normalization: "the file's TFLite metadata (NormalizationOptions)" } : {}),
      resize: "the model's registry entry", centralCrop: "the model's registry entry", fit: "the model's registry entry",
    },
  };
  const record = resolveConventions(profile, overrides, facts, defaultProfileFor(m));
  return {
    ...record,
    labelSet: l.set,
    labelSource: args.labels.source,
    input: q ? `dequantize-${m.input.type.toLowerCase()} (scale ${q.scale}, zero point ${q.zeroPoint})` : 'normalization preset',
    weights: m.quantized ? 'dequantized' : 'float',
  };
}

/**
 * The float tensor our network sees, plus (for quantized models) the exact uint8/int8 pixels an
 * integer interpreter would be fed: real = scale·(q − zero_point).
 */
export function modelInput(m: Pick<ImportedModel, 'input'>, tensor: Float32Array, rawPixels = true): { float: Float32Array; quantized: Uint8Array | Int8Array | null } {
  const q = m.input.quantization;
  if (!q) return { float: tensor, quantized: null };
  const dtype = m.input.type === 'INT8' ? 'int8' : 'uint8';
  // Raw pixels go in as bytes (the input quantization maps them); a normalized tensor is quantized
  // with the input's own scale and zero point.
  const pixels = rawPixels
    ? quantizeInput(tensor, 1, dtype === 'int8' ? -128 : 0, dtype)
    : quantizeInput(tensor, q.scale, q.zeroPoint, dtype);
  const float = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) float[i] = q.scale * (pixels[i]! - q.zeroPoint);
  return { float, quantized: pixels };
}

export interface PrepareOptions {
  /** The network input: shape [1, H, W, 3] and, for quantized models, its quantization. */
  readonly input: ImportedInput;
  /** A resolved record (a model's modelConventions()) or a profile name, resolved as it stands. */
  readonly conventions: ConventionRecord | ProfileName;
}

export interface PreparedImage {
  /** The decoded image (RGB, original size). */
  readonly img: RgbImage;
  /** [1, H, W, 3] NHWC float32: what the network runs on (dequantized pixels for quantized inputs). */
  readonly tensor: Float32Array;
  readonly shape: readonly [1, number, number, 3];
  /** Quantized inputs: the uint8/int8 pixels an integer interpreter is fed; else null. */
  readonly quantized: Uint8Array | Int8Array | null;
  /** Exactly what was done (crop, resize, padding, normalization), to map outputs back to the image. */
  readonly record: PreprocessRecord;
}

/** The preprocessImage() options a convention record implies for an input of `width`×`height`. */
export function preprocessOptionsFor(c: ConventionRecord, width: number, height: number): PreprocessOptions {
  const n = c.normalization;
  return {
    width, height, resize: c.resize, centralCrop: c.centralCrop, fit: c.fit,
    normalization: n.name === 'custom' ? { name: 'custom', mean: n.mean, std: n.std, scale: n.scale } : n.name,
  };
}

/** Decodes (if needed) and prepares an image under a convention record or profile (see the file comment). */
export async function prepare(image: ImageInput | RgbImage, options: PrepareOptions): Promise<PreparedImage> {
  const shape = options.input.shape;
  if (shape.length !== 4 || shape[0] !== 1 || shape[3] !== 3) throw shapeError(`prepare: the network input is ${fmtShape(shape)}, expected [1, H, W, 3]`);
  const [, h, w] = shape as [1, number, number, 3];
  const c = typeof options.conventions === 'string' ? resolveConventions(options.conventions) : options.conventions;
  const img = await loadImage(image as ImageInput);
  const { tensor, record } = preprocessImage(img, preprocessOptionsFor(c, w, h));
  const { float, quantized } = modelInput(options, tensor, c.normalization.name === 'raw-uint8');
  return { img, tensor: float, shape: [1, h, w, 3], quantized, record };
}
