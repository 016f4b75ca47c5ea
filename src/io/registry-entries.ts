// SPDX-License-Identifier: Apache-2.0
/**
 * The named models (where each official file lives, its sha256, labels and preprocessing), as plain
 * data with no host dependency: both the Node and the browser platform resolve names through it.
 * src/io/registry.ts adds the Node side (models directory, download into it).
 */
import type { ExplicitResizeMethod, NormalizationName } from './image/preprocess.js';

export type ModelTask = 'classification' | 'segmentation' | 'detection';
export type LabelSet = 'imagenet-1001' | 'imagenet-1000' | 'voc-21' | 'coco-91';

export interface RegistryEntry {
  readonly name: string;
  readonly file: string;
  readonly format: 'tflite';
  readonly sha256: string;
  readonly bytes: number;
  readonly task: ModelTask;
  readonly labels: LabelSet;
  /** How images are prepared for this model (the choices it was evaluated with). */
  readonly preprocessing: {
    readonly resize: ExplicitResizeMethod;
    readonly fit: 'stretch' | 'pad-longer-side';
    readonly centralCrop: number;
    /** Float models: the named normalization; quantized models take uint8 pixels and their input quantization applies. */
    readonly normalization: NormalizationName;
  };
  readonly url: string;
  readonly description: string;
}

export const REGISTRY: readonly RegistryEntry[] = [
  {
    name: 'mobilenet_v2_1.0_224_quant',
    file: 'mobilenet_v2_1.0_224_quant.tflite',
    format: 'tflite',
    sha256: '7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776',
    bytes: 0,
    task: 'classification',
    labels: 'imagenet-1001',
    // The TFLite classification examples scale the whole image to 224×224 (no central crop).
    preprocessing: { resize: 'bilinear-half-pixel', fit: 'stretch', centralCrop: 1, normalization: 'raw-uint8' },
    url: 'https://github.com/google-coral/test_data/raw/master/mobilenet_v2_1.0_224_quant.tflite',
    description: 'MobileNetV2 1.0/224 ImageNet classifier, 1001 classes (0 = background), uint8 per-tensor quantization',
  },
  {
    name: 'deeplabv3_mnv2_pascal_quant',
    file: 'deeplabv3_mnv2_pascal_quant.tflite',
    format: 'tflite',
    sha256: '350af47fd346ea6d74b58833a351f583ba860e9806ec5bd292ff8d8f1f249398',
    bytes: 0,
    task: 'segmentation',
    labels: 'voc-21',
    // DeepLab: resize so the longer side fits, pad with the mean pixel (bottom/right).
    preprocessing: { resize: 'bilinear-align-corners', fit: 'pad-longer-side', centralCrop: 1, normalization: 'raw-uint8' },
    url: 'https://github.com/google-coral/test_data/raw/master/deeplabv3_mnv2_pascal_quant.tflite',
    description: 'Mobile DeepLabv3 (MobileNetV2 1.0, output stride 16, no ASPP), PASCAL VOC 21 classes, 513×513, uint8',
  },
  {
    name: 'deeplabv3_257_mv_gpu',
    file: 'deeplabv3_257_mv_gpu.tflite',
    format: 'tflite',
    sha256: '68a539782c2c6a72f8aac3724600124a85ed977162b44e84cbae5db717c933c6',
    bytes: 0,
    task: 'segmentation',
    labels: 'voc-21',
    preprocessing: { resize: 'bilinear-align-corners', fit: 'pad-longer-side', centralCrop: 1, normalization: 'tf-inception' },
    url: 'https://storage.googleapis.com/download.tensorflow.org/models/tflite/gpu/deeplabv3_257_mv_gpu.tflite',
    description: 'Mobile DeepLabv3 (MobileNetV2 0.5, output stride 8, no ASPP), PASCAL VOC 21 classes, 257×257, float32',
  },
];

export const DEFAULT_CLASSIFIER = 'mobilenet_v2_1.0_224_quant';
export const DEFAULT_SEGMENTER = 'deeplabv3_mnv2_pascal_quant';

/** The last path or URL segment: "a/b/x.tflite" → "x.tflite" (no node:path, so browsers can use it). */
function lastSegment(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] ?? p;
}

export function findRegistryEntry(nameOrFile: string): RegistryEntry | undefined {
  const base = lastSegment(nameOrFile);
  return REGISTRY.find((e) => e.name === nameOrFile || e.file === base || e.name === base.replace(/\.tflite$/, ''));
}
