// SPDX-License-Identifier: Apache-2.0
/**
 * mobilenetv2 in a browser (the `browser`/`default` condition of package.json `exports`): the same
 * model API as Node's entry (src/index.ts) minus what needs files, plus the browser's own sources.
 *
 * ```ts
 * import { load } from 'mobilenetv2';
 * const model = await load({
 *   model: '/models/mobilenet_v2_1.0_224_quant.tflite',     // a URL, a registry name, bytes, a File/Blob or a Response
 *   onProgress: (loaded, total) => console.log(loaded, total),
 *   backend: 'auto', threads: navigator.hardwareConcurrency,   // threads need a crossOriginIsolated page
 * });
 * const top5 = await model.classify(document.querySelector('img')!); // img, ImageBitmap, ImageData, canvas, Blob, URL
 * ```
 *
 * Nothing here imports `node:*` (spec/browser/bundle.spec.ts bundles it with esbuild for the
 * browser platform and fails on any Node built-in).
 */
export { load, MobileNetV2Model, type LoadOptions, type Prediction, type InferenceResult, type ClassifyOptions, type SegmentResult, type BackendKind } from '../api.js';
export { buildPlan, makeDivisible, resolveTapName, INVERTED_RESIDUAL_SETTING, type MobileNetV2Options, type MobileNetV2Plan, type BlockPlan, type ConvPlan } from '../model/plan.js';
export { forward, type ForwardOptions, type ForwardResult, type Tap } from '../model/forward.js';
export type { MobileNetV2Weights, ConvWeights } from '../model/weights.js';
export { buildDeeplabPlan, deeplabForward, type DeeplabOptions, type DeeplabPlan } from '../model/deeplab.js';
export { segmentationFromLogits } from '../app/segment.js';
export { PASCAL_VOC_LABELS } from '../io/labels.js';
export { renderOverlay, renderClassMap } from '../io/image/render-segmentation.js';
export { buildSsdlitePlan, ssdliteForward, ssdliteAnchors } from '../model/ssdlite.js';
export { createScalarBackend } from '../backend/scalar.js';
export { createBackend, capabilities, type Capabilities } from '../backend/create.js';
export type { Backend } from '../backend/backend.js';
export { importTflite, type ImportedModel } from '../io/tflite/import.js';
export { readTfliteModel } from '../io/tflite/model.js';
export { REGISTRY, findRegistryEntry, type RegistryEntry } from '../io/registry-entries.js';
export { preprocessImage, type PreprocessOptions, type PreprocessRecord } from '../io/image/preprocess.js';
export { decodeImage, encodePng } from '../io/image/decode.js';
export { loadImage, toRgbImage, type ImageInput, type RawPixels } from '../io/image/input.js';
export { conv2dGeometry, type Pad4, type Padding, type Conv2dGeometry } from '../../kernels/geometry.js';
export { MobileNetV2Error, type ErrorCode } from '../errors.js';
export { setKernelModuleSource, type KernelModuleSource } from '../backend/wasm-module.js';
export type { ModelSource, ModelStore, ResolveModelOptions, BlobLike, ResponseLike } from '../platform/platform.js';
export type { WasmSource } from '../platform/host.js';
export { MODEL_CACHE_NAME } from './platform.js';
export { onWarning, setWorkerUrl } from './host.js';
