// SPDX-License-Identifier: Apache-2.0
/**
 * RgbImage → network input tensor, with every convention explicit and recorded.
 *
 * Pipeline (each step is in the returned PreprocessRecord):
 *   1. central crop (optional, `centralCrop` = fraction f ∈ (0, 1]) with TF's
 *      `tf.image.central_crop` arithmetic, per axis: start = trunc((n − n·f)/2) (float64),
 *      size = n − 2·start. TF-slim's MobileNet eval uses f = 0.875 (paper-facts §2.4).
 *   2. fit:
 *      'stretch'          resize the crop to exactly height × width (aspect ratio not kept);
 *      'pad-longer-side'  Mobile DeepLabv3: resize so the crop fits inside height × width with
 *                         its aspect ratio kept (the limiting side becomes exactly the target,
 *                         the other floor(n·target/limiting n), integer arithmetic, ≥ 1), then
 *                         pad with `padValue` (pixel units, default 127.5 = DeepLab's mean
 *                         pixel, which tf-inception maps to 0.0) at the bottom/right
 *                         (`padPosition: 'top-left'`, as DeepLab's pad_to_bounding_box(0, 0)) or
 *                         evenly ('center', the extra pixel bottom/right).
 *   3. resize, on float32 pixel values 0..255, with kernels/f32-resize-nhwc.ts:
 *      'bilinear-half-pixel'    TF2 tf.image.resize, TF-slim eval (align_corners=False in a
 *                               TF version with half-pixel centres), PyTorch align_corners=False
 *      'bilinear-align-corners' tfjs-models mobilenet, TF DeepLab, PyTorch align_corners=True
 *      'bilinear-asymmetric'    TF1 legacy resize_bilinear(align_corners=False), tfjs default
 *      'nearest-half-pixel' | 'nearest-align-corners' | 'nearest-asymmetric'; plain 'nearest'
 *                               means 'nearest-half-pixel' (TF2 / PyTorch 'nearest-exact' /
 *                               PIL) — NOT PyTorch's default 'nearest', which is asymmetric.
 *      No antialiasing (PIL's and torchvision's PIL-path downscaling low-pass filters first;
 *      results differ when shrinking by large factors).
 *   4. normalize, per channel, in float64, rounded to float32 once:
 *      y = (x·scale − mean[c]) / std[c],   x = the 0..255 pixel value (resized).
 *
 * Output: Float32Array NHWC [1, height, width, 3], RGB channel order.
 *
 * How tfjs-models `mobilenet` does it (tensorflow/tfjs-models mobilenet/src/index.ts, stored
 * commit 02516d7): (x − 127.5)/127.5, i.e. our 'tf-inception', BEFORE resizing; then
 * `resizeBilinear(…, [224, 224], alignCorners = true)` of the whole image (no crop, aspect ratio
 * not kept), skipped when the image is already 224×224. Equivalent here: fit 'stretch',
 * resize 'bilinear-align-corners', no centralCrop, normalization 'tf-inception' (resizing before
 * or after the affine normalization differs only by float32 rounding). TF-slim's own evaluation
 * instead crops 87.5 % and resizes with half-pixel centres (in TF ≥ 2 / compat): fit 'stretch',
 * centralCrop 0.875, 'bilinear-half-pixel'. The shared TFLite README's "known outputs" used the
 * whole image resized bilinearly, no crop.
 */
import { f32ResizeBilinearNhwc, f32ResizeNearestNhwc, type ResizeCoordinateMode } from '../../../kernels/f32-resize-nhwc.js';
import { usageError, valueError } from '../../errors.js';
import type { RgbImage } from './image.js';

export type ResizeMethod =
  | 'bilinear-half-pixel'
  | 'bilinear-align-corners'
  | 'bilinear-asymmetric'
  | 'nearest'
  | 'nearest-half-pixel'
  | 'nearest-align-corners'
  | 'nearest-asymmetric';

/** A resize method with no alias left: what the record reports. */
export type ExplicitResizeMethod = Exclude<ResizeMethod, 'nearest'>;

export type NormalizationName = 'tf-inception' | 'torch-imagenet' | 'unit' | 'raw-uint8';

/** y = (x·scale − mean[c]) / std[c] with x the 0..255 pixel value. */
export interface CustomNormalization {
  readonly name: 'custom';
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly scale: number;
}

export type Normalization = NormalizationName | CustomNormalization;

/** A normalization with its parameters spelled out (what the record carries). */
export interface ResolvedNormalization {
  readonly name: NormalizationName | 'custom';
  readonly scale: number;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** Human-readable formula, e.g. "x/127.5 − 1". */
  readonly formula: string;
  /** Output value of pixel 0 and pixel 255, per channel. */
  readonly range: readonly [readonly [number, number, number], readonly [number, number, number]];
  /** Where the convention comes from. */
  readonly provenance: string;
}

function resolved(
  name: NormalizationName | 'custom',
  scale: number,
  mean: readonly [number, number, number],
  std: readonly [number, number, number],
  formula: string,
  provenance: string,
): ResolvedNormalization {
  const at = (x: number): [number, number, number] => [0, 1, 2].map((c) => (x * scale - mean[c]) / std[c]) as [number, number, number];
  return Object.freeze({ name, scale, mean, std, formula, range: [at(0), at(255)] as const, provenance });
}

/** The named presets. */
export const NORMALIZATIONS: Readonly<Record<NormalizationName, ResolvedNormalization>> = Object.freeze({
  // TF-slim inception_preprocessing ((x/255 − 0.5)·2), Keras applications mobilenet_v2
  // preprocess_input (mode "tf": x/127.5 − 1), TFLite float MobileNet / DeepLab apps (mean = std =
  // 127.5), DeepLab's _preprocess_zero_mean_unit_range (2x/255 − 1), tfjs-models mobilenet.
  'tf-inception': resolved('tf-inception', 1 / 255, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], 'x/127.5 − 1 = (x/255 − 0.5)/0.5, range [−1, 1]',
    'TF-slim inception_preprocessing, Keras mobilenet_v2.preprocess_input, TFLite float MobileNetV2/DeepLab, tfjs-models mobilenet'),
  // torchvision ImageNet weights: ToTensor (x/255) then Normalize(mean, std) — mobilenet_v2 IMAGENET1K_V1/V2.
  'torch-imagenet': resolved('torch-imagenet', 1 / 255, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225],
    '(x/255 − mean[c]) / std[c], mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)',
    'torchvision transforms.Normalize for ImageNet weights (mobilenet_v2 IMAGENET1K_V1/V2)'),
  // TF-Hub image modules / some TFLite float models expecting [0, 1].
  'unit': resolved('unit', 1 / 255, [0, 0, 0], [1, 1, 1], 'x/255, range [0, 1]', 'TF-Hub image feature vectors / classifiers (inputs in [0, 1])'),
  // Quantized (uint8) TFLite models: their input quantization turns the raw byte into the real
  // value, so the pixel goes in as is (use quantizeInput(tensor, 1, 0, 'uint8') to get the bytes).
  'raw-uint8': resolved('raw-uint8', 1, [0, 0, 0], [1, 1, 1], 'x, range [0, 255]',
    'quantized TFLite models (e.g. mobilenet_v2_1.0_224_quant: the uint8 input q means (q − 128)/128)'),
});

/** The normalization presets' names, the one list the profiles, the loader and the CLI choices check against. */
export const NORMALIZATION_NAMES: readonly NormalizationName[] = Object.freeze(Object.keys(NORMALIZATIONS) as NormalizationName[]);

export function resolveNormalization(n: Normalization): ResolvedNormalization {
  if (typeof n === 'string') {
    const preset = (NORMALIZATIONS as Record<string, ResolvedNormalization | undefined>)[n];
    if (preset === undefined) {
      throw usageError(`unknown normalization '${n}'; expected one of ${Object.keys(NORMALIZATIONS).map((k) => `'${k}'`).join(', ')} or {name: 'custom', mean, std, scale}`);
    }
    return preset;
  }
  if (typeof n !== 'object' || n === null || n.name !== 'custom') {
    throw usageError(`normalization must be a preset name or {name: 'custom', mean: [r, g, b], std: [r, g, b], scale}`);
  }
  const three = (v: unknown, what: string): [number, number, number] => {
    if (!Array.isArray(v) || v.length !== 3 || !v.every((e) => typeof e === 'number' && Number.isFinite(e))) {
      throw usageError(`custom normalization: ${what} must be 3 finite numbers (R, G, B), got ${JSON.stringify(v)}`);
    }
    return [v[0], v[1], v[2]];
  };
  const mean = three(n.mean, 'mean');
  const std = three(n.std, 'std');
  if (std.some((s) => s === 0)) throw usageError(`custom normalization: std must be non-zero, got ${JSON.stringify(std)}`);
  if (typeof n.scale !== 'number' || !Number.isFinite(n.scale) || n.scale === 0) {
    throw usageError(`custom normalization: scale must be a finite non-zero number, got ${String(n.scale)}`);
  }
  return resolved('custom', n.scale, mean, std, `(x·${n.scale} − mean[c]) / std[c], mean (${mean.join(', ')}), std (${std.join(', ')})`, 'user-supplied');
}

export type Fit = 'stretch' | 'pad-longer-side';
/** How an image fills the input: stretched, or DeepLab's longer side fitted and the rest padded. */
export const FITS: readonly Fit[] = Object.freeze(['stretch', 'pad-longer-side']);

export interface PreprocessOptions {
  /** Output tensor width and height (the network input size). */
  readonly width: number;
  readonly height: number;
  readonly resize: ResizeMethod;
  /** Fraction of each side kept around the centre, in (0, 1]; TF central_crop semantics. */
  readonly centralCrop?: number;
  readonly normalization: Normalization;
  /** Default 'stretch'. */
  readonly fit?: Fit;
  /** 'pad-longer-side' only: pad colour in pixel units (0..255, before normalization); default 127.5. */
  readonly padValue?: number;
  /** 'pad-longer-side' only: where the resized image sits; default 'top-left' (DeepLab). */
  readonly padPosition?: 'top-left' | 'center';
}

/** An axis-aligned box in pixels: columns x .. x+width−1, rows y .. y+height−1. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Exactly what preprocessImage did, so outputs (boxes, masks) can be mapped back to the source. */
export interface PreprocessRecord {
  readonly source: { readonly width: number; readonly height: number; readonly format: RgbImage['format'] };
  /** The part of the source image used, in source pixels; fraction 1 = the whole image. */
  readonly crop: Box & { readonly fraction: number };
  readonly fit: Fit;
  readonly resize: {
    readonly method: ExplicitResizeMethod;
    readonly kernel: 'bilinear' | 'nearest';
    readonly coordinates: ResizeCoordinateMode;
    /** crop size → resized size */
    readonly from: { readonly width: number; readonly height: number };
    readonly to: { readonly width: number; readonly height: number };
  };
  /** Where the resized crop sits inside the output tensor (the rest is padding). */
  readonly content: Box;
  readonly pad: {
    readonly top: number;
    readonly bottom: number;
    readonly left: number;
    readonly right: number;
    /** Pad colour in pixel units (0..255), and after normalization, per channel. */
    readonly value: number;
    readonly normalized: readonly [number, number, number];
  };
  readonly normalization: ResolvedNormalization;
  readonly output: {
    readonly shape: readonly [1, number, number, 3];
    readonly layout: 'NHWC';
    readonly channelOrder: 'RGB';
    readonly dtype: 'float32';
  };
}

export interface PreprocessResult {
  readonly tensor: Float32Array;
  readonly record: PreprocessRecord;
}

const METHODS: Record<ExplicitResizeMethod, ['bilinear' | 'nearest', ResizeCoordinateMode]> = {
  'bilinear-half-pixel': ['bilinear', 'half-pixel'],
  'bilinear-align-corners': ['bilinear', 'align-corners'],
  'bilinear-asymmetric': ['bilinear', 'asymmetric'],
  'nearest-half-pixel': ['nearest', 'half-pixel'],
  'nearest-align-corners': ['nearest', 'align-corners'],
  'nearest-asymmetric': ['nearest', 'asymmetric'],
};

/** The resize methods (kernel × sampling grid), the one list the profiles, the loader and the CLI choices check against. */
export const RESIZE_METHODS: readonly ExplicitResizeMethod[] = Object.freeze(Object.keys(METHODS) as ExplicitResizeMethod[]);

/**
 * The smallest decoded size for which preprocessing into a width×height input with this central
 * crop is still a downscale (or 1:1) on both axes: ⌈width / crop⌉ × ⌈height / crop⌉. What JPEG DCT
 * scaling (DecodeOptions.jpegScaling) must keep; with 'pad-longer-side' the longer side scales by
 * no more than the shorter one, so the same size suffices.
 */
export function decodeSizeNeeded(o: { readonly width: number; readonly height: number; readonly centralCrop?: number }): { minWidth: number; minHeight: number } {
  const crop = o.centralCrop ?? 1;
  return { minWidth: Math.ceil(o.width / crop), minHeight: Math.ceil(o.height / crop) };
}

/** TF `tf.image.central_crop` along one axis: [start, size]. */
export function centralCropAxis(n: number, fraction: number): [number, number] {
  const start = Math.trunc((n - n * fraction) / 2);
  return [start, n - 2 * start];
}

function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw usageError(`preprocess: ${what} must be a positive integer, got ${String(v)}`);
  return v;
}

export function preprocessImage(img: RgbImage, opts: PreprocessOptions): PreprocessResult {
  const W = positiveInt(opts.width, 'width');
  const H = positiveInt(opts.height, 'height');
  if (img.data.length !== img.width * img.height * 3) {
    throw usageError(`preprocess: image ${img.width}x${img.height} has ${img.data.length} bytes, expected ${img.width * img.height * 3}`);
  }
  const method: ExplicitResizeMethod = opts.resize === 'nearest' ? 'nearest-half-pixel' : opts.resize;
  const spec = METHODS[method];
  if (spec === undefined) {
    throw usageError(`preprocess: unknown resize '${String(opts.resize)}'; expected one of ${[...Object.keys(METHODS), 'nearest'].map((k) => `'${k}'`).join(', ')}`);
  }
  const [kernel, coordinates] = spec;
  const norm = resolveNormalization(opts.normalization);
  const fit: Fit = opts.fit ?? 'stretch';
  if (!FITS.includes(fit)) throw usageError(`preprocess: unknown fit '${String(fit)}'; expected ${FITS.map((f) => `'${f}'`).join(' or ')}`);
  const fraction = opts.centralCrop ?? 1;
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) {
    throw usageError(`preprocess: centralCrop must be a fraction in (0, 1], got ${String(fraction)}`);
  }
  const padValue = opts.padValue ?? 127.5;
  if (typeof padValue !== 'number' || !Number.isFinite(padValue)) throw usageError(`preprocess: padValue must be a finite number, got ${String(padValue)}`);
  const padPosition = opts.padPosition ?? 'top-left';
  if (padPosition !== 'top-left' && padPosition !== 'center') throw usageError(`preprocess: padPosition must be 'top-left' or 'center', got ${String(padPosition)}`);

  // 1. crop
  const [cy, ch] = centralCropAxis(img.height, fraction);
  const [cx, cw] = centralCropAxis(img.width, fraction);

  // 2. fit → resized size and placement
  let rw = W;
  let rh = H;
  if (fit === 'pad-longer-side') {
    if (cw * H >= ch * W) {
      rw = W;
      rh = Math.max(1, Math.floor((ch * W) / cw));
    } else {
      rh = H;
      rw = Math.max(1, Math.floor((cw * H) / ch));
    }
  }
  const left = fit === 'pad-longer-side' && padPosition === 'center' ? Math.floor((W - rw) / 2) : 0;
  const top = fit === 'pad-longer-side' && padPosition === 'center' ? Math.floor((H - rh) / 2) : 0;

  // crop → float32 0..255
  const crop = new Float32Array(ch * cw * 3);
  for (let y = 0; y < ch; y++) {
    const s = ((cy + y) * img.width + cx) * 3;
    for (let i = 0; i < cw * 3; i++) crop[y * cw * 3 + i] = img.data[s + i];
  }

  // 3. resize
  const resized = new Float32Array(rh * rw * 3);
  const dims = { n: 1, inH: ch, inW: cw, c: 3, outH: rh, outW: rw };
  if (kernel === 'bilinear') f32ResizeBilinearNhwc(resized, crop, dims, coordinates);
  else f32ResizeNearestNhwc(resized, crop, dims, coordinates);

  // 4. normalize into the output (padding first)
  const { scale, mean, std } = norm;
  const padNorm = [0, 1, 2].map((c) => Math.fround((padValue * scale - mean[c]) / std[c])) as [number, number, number];
  const tensor = new Float32Array(H * W * 3);
  if (rw !== W || rh !== H) {
    for (let p = 0; p < H * W; p++) {
      tensor[p * 3] = padNorm[0];
      tensor[p * 3 + 1] = padNorm[1];
      tensor[p * 3 + 2] = padNorm[2];
    }
  }
  for (let y = 0; y < rh; y++) {
    for (let x = 0; x < rw; x++) {
      const s = (y * rw + x) * 3;
      const o = ((top + y) * W + (left + x)) * 3;
      for (let c = 0; c < 3; c++) tensor[o + c] = (resized[s + c] * scale - mean[c]) / std[c];
    }
  }

  const record: PreprocessRecord = {
    source: { width: img.width, height: img.height, format: img.format },
    crop: { x: cx, y: cy, width: cw, height: ch, fraction },
    fit,
    resize: { method, kernel, coordinates, from: { width: cw, height: ch }, to: { width: rw, height: rh } },
    content: { x: left, y: top, width: rw, height: rh },
    pad: { top, bottom: H - rh - top, left, right: W - rw - left, value: padValue, normalized: padNorm },
    normalization: norm,
    output: { shape: [1, H, W, 3], layout: 'NHWC', channelOrder: 'RGB', dtype: 'float32' },
  };
  return { tensor, record };
}

export type QuantizedDtype = 'uint8' | 'int8';

/**
 * Float tensor → quantized TFLite input: q = clamp(round(x / scale) + zeroPoint, qmin, qmax),
 * x / scale computed in float32 and rounded half away from zero, exactly as TFLite's
 * AffineQuantize (TfLiteRound(val / scale)); clamped to [0, 255] for uint8,
 * [−128, 127] for int8. NaN is refused (VALUE error). For models whose input quantization maps
 * the raw byte to the real value (most uint8 image models), preprocess with 'raw-uint8' and call
 * quantizeInput(tensor, 1, 0, 'uint8'): that rounds the resized pixels to bytes.
 */
export function quantizeInput(tensor: Float32Array, scale: number, zeroPoint: number, dtype: 'uint8'): Uint8Array;
export function quantizeInput(tensor: Float32Array, scale: number, zeroPoint: number, dtype: 'int8'): Int8Array;
export function quantizeInput(tensor: Float32Array, scale: number, zeroPoint: number, dtype: QuantizedDtype): Uint8Array | Int8Array;
export function quantizeInput(tensor: Float32Array, scale: number, zeroPoint: number, dtype: QuantizedDtype): Uint8Array | Int8Array {
  if (!(scale > 0) || !Number.isFinite(scale)) throw usageError(`quantizeInput: scale must be a positive finite number, got ${String(scale)}`);
  const [qmin, qmax] = dtype === 'uint8' ? [0, 255] : dtype === 'int8' ? [-128, 127] : [NaN, NaN];
  if (Number.isNaN(qmin)) throw usageError(`quantizeInput: dtype must be 'uint8' or 'int8', got ${String(dtype)}`);
  if (!Number.isInteger(zeroPoint) || zeroPoint < qmin || zeroPoint > qmax) {
    throw usageError(`quantizeInput: zeroPoint must be an integer in [${qmin}, ${qmax}] for ${dtype}, got ${String(zeroPoint)}`);
  }
  const out = dtype === 'uint8' ? new Uint8Array(tensor.length) : new Int8Array(tensor.length);
  const s32 = Math.fround(scale);
  for (let i = 0; i < tensor.length; i++) {
    // float32 division as TFLite does it (exact: f64 quotient of f32 operands, rounded to f32)
    const v = Math.fround(tensor[i] / s32);
    if (Number.isNaN(v)) throw valueError(`quantizeInput: NaN at element ${i}`);
    const r = v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
    const q = r + zeroPoint;
    out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
  return out;
}
