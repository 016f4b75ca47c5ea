// SPDX-License-Identifier: Apache-2.0
/**
 * mobilenetv2 — public API.
 *
 * ```ts
 * import { load } from 'mobilenetv2';
 * const model = await load({ model: 'mobilenet_v2_1.0_224_quant' });
 * console.log(await model.classify('cat.jpg', { topK: 3 }));
 * ```
 */
export { load, MobileNetV2Model, MEMORY_DEFAULT, memoryDefaultFor, type LoadOptions, type Prediction, type InferenceResult, type ClassifyOptions, type SegmentResult, type BackendKind } from './api.js';
export { buildPlan, makeDivisible, resolveTapName, INVERTED_RESIDUAL_SETTING, type MobileNetV2Options, type MobileNetV2Plan, type BlockPlan, type ConvPlan } from './model/plan.js';
export { forward, type ForwardOptions, type ForwardResult, type Tap } from './model/forward.js';
export { runNetwork, headOf, type NetworkPlan } from './model/network.js';
export { runHead, type Head, type NetworkOps, type NetworkResult, type RunContext, type RunOptions } from './model/runner.js';
export {
  classifierMemoryPlan, deeplabMemoryPlan, ssdliteMemoryPlan, memoryPlanOf, materializedPerResolution,
  type MemoryPlan, type MemoryPlanOptions, type MemoryExecution, type MemoryNetwork, type PlannedOp, type PlannedTensor,
} from './model/memory-plan.js';
export { memoryEfficientBackend, memoryExecutionFor, type MemoryStats } from './model/memory-efficient.js';
export type { MobileNetV2Weights, ConvWeights } from './model/weights.js';
export { buildDeeplabPlan, deeplabForward, type DeeplabOptions, type DeeplabPlan } from './model/deeplab.js';
export { segmentationFromLogits } from './app/segment.js';
export { PASCAL_VOC_LABELS } from './io/labels.js';
export { renderOverlay, renderClassMap } from './io/image/render-segmentation.js';
export { buildSsdlitePlan, ssdliteForward, ssdliteAnchors } from './model/ssdlite.js';
export { createScalarBackend } from './backend/scalar.js';
export type { Backend } from './backend/backend.js';
export { importTflite, type ImportedModel } from './io/tflite/import.js';
export { readTfliteModel } from './io/tflite/model.js';
export { exportClassifierTflite, type ClassifierExportOptions } from './io/tflite/export.js';
export { calibrateClassifier, RangeCalibrator, type ActivationRanges, type TensorRange } from './io/tflite/ptq.js';
export { loadTorchvision, torchvisionToWeights, inferTorchvisionConfig } from './io/torchvision.js';
export { readSafetensorsStateDict, parseSafetensorsStateDict } from './io/safetensors-state-dict.js';
export { parseNpy, encodeNpy } from './io/npy.js';
export { REGISTRY, resolveModel, modelsDir } from './io/registry.js';
export { preprocessImage, type PreprocessOptions, type PreprocessRecord } from './io/image/preprocess.js';
export { decodeImage, encodePng } from './io/image/decode.js';
export { conv2dGeometry, type Pad4, type Padding, type Conv2dGeometry } from '../kernels/geometry.js';
export { MobileNetV2Error, type ErrorCode } from './errors.js';
