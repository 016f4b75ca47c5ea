// SPDX-License-Identifier: Apache-2.0
/**
 * The application API, in the conventions users know from TF.js models:
 *
 * ```ts
 * import { load } from 'mobilenetv2';
 * const model = await load({ model: 'mobilenet_v2_1.0_224_quant' }); // registry name or a .tflite path
 * const top5 = await model.classify('cat.jpg', { topK: 5 });          // path, Buffer or {data, width, height, channels}
 * // → [{ index: 286, label: 'Egyptian cat', probability: 0.78 }, …]
 * const { logits, probabilities, preprocessing } = await model.infer('cat.jpg');
 * model.dispose();
 * ```
 *
 * Every result carries the conventions it was computed with (preprocessing record, padding,
 * label offset), so a number can always be reproduced elsewhere.
 */
import type { Backend } from './backend/backend.js';
import { createScalarBackend } from './backend/scalar.js';
import { memoryExecutionFor, type MemoryStats } from './model/memory-efficient.js';
import type { MemoryExecution, MemoryNetwork } from './model/memory-plan.js';
import type { MobileNetV2Plan } from './model/plan.js';
import { importTflite, type ImportedModel } from './io/tflite/import.js';
import { DEFAULT_CLASSIFIER, type RegistryEntry } from './io/registry-entries.js';
import { platform } from '#platform';
import type { ModelSource, ResolveModelOptions } from './platform/platform.js';
import { setKernelModuleSource, type KernelModuleSource } from './backend/wasm-module.js';
import { indexLabels, labelSetForClasses, labelsFor, labelsFromNames, type Labels } from './io/labels.js';
import { RANDOM_WEIGHTS_MARK } from './io/tflite/export.js';
import { metadataLabels, readTfliteMetadata, type ModelMetadataInfo, type TfliteMetadata } from './io/tflite/metadata.js';
import { MobileNetV2Error, usageError } from './errors.js';
import type { ImageInput } from './io/image/input.js';
import type { RgbImage } from './io/image/image.js';
import type { ConventionOverrides, ProfileName } from './io/conventions.js';
import { modelConventions, prepare, type ConventionChoice, type Conventions, type PreparedImage } from './app/prepare.js';
import { checkRequantizationProfile, resolveArithmetic, type ArithmeticKind, type ArithmeticRecord, type IntegerExecution } from './app/arithmetic.js';
import type { Q8Backend } from './backend/q8-backend.js';
import type { RequantizationProfile } from '../kernels/q-requantize.js';
import { runTensor, type TensorData, type TensorRunOptions, type TensorRunResult } from './app/run-tensor.js';
import { classifyImage, inferImage, type ClassifyOptions, type InferenceResult, type Prediction } from './app/classify.js';
import { segmentImage, type SegmentationOptions, type SegmentResult } from './app/segment.js';
import { detectImage, type DetectOptions, type DetectResult } from './app/detect.js';
import { selfCheck, type SelfCheckOptions, type SelfCheckReport } from './oracle/self-check.js';

export type { Conventions, Prediction, InferenceResult, ClassifyOptions, SegmentResult };
export { modelInput } from './app/prepare.js';
import type { BackendKind } from './backend/create.js';
export type { BackendKind };

/** How load() runs networks on backends without a fast fused block (see memoryDefaultFor). */
export const MEMORY_DEFAULT: MemoryExecution = 'layerwise';

/**
 * How load() runs networks unless told otherwise (LoadOptions.memory): 'efficient' on wasm-simd,
 * whose one-call fused block (kernels/wasm/f32-inverted-residual-nhwc.ts) is faster than its layer
 * path (bench/fused.ts; cachegrind: 46 % fewer L2 misses for 12 % more instructions per 1.0/224
 * pass), MEMORY_DEFAULT elsewhere (ts-fast and scalar: fusing saves memory there too, but it has not
 * been measured faster, so they keep the layer path). Outputs are bit-identical either way.
 */
export function memoryDefaultFor(backend: Backend): MemoryExecution {
  return backend.name === 'wasm-simd' ? 'efficient' : MEMORY_DEFAULT;
}

export interface LoadOptions extends ResolveModelOptions {
  /**
   * Registry name or path to a .tflite file (Node), a URL (browser), or the file itself: bytes,
   * a Blob/File, a fetch Response. Default: the registry's default classifier.
   */
  model?: ModelSource;
  /** Where the WASM kernel module is read from, when not next to the library (bundlers, offline pages). */
  wasm?: KernelModuleSource;
  /** Which backend runs the layers. Default 'auto': WASM SIMD when the host has it (checked against the scalar oracle at start-up), else optimised TypeScript; 'scalar' is the oracle itself. */
  backend?: BackendKind;
  threads?: number;
  /** Allow downloading a registry model missing from the models directory (default: yes unless MOBILENETV2_OFFLINE=1). */
  allowDownload?: boolean;
  log?: (message: string) => void;
  /** Convention profile for preparing images (default: the model's registry entry, else 'tflite'). */
  profile?: ProfileName;
  /** Single overrides on top of the profile: resize, centralCrop, fit, normalization. */
  conventions?: Pick<ConventionOverrides, 'resize' | 'centralCrop' | 'fit' | 'normalization'>;
  /**
   * 'efficient' (paper §5.1): fused bottlenecks in a measured arena, the expanded tensors never
   * materialised; 'layerwise': every layer's output materialised. Outputs are bit-identical.
   * Default: memoryDefaultFor(backend) ('efficient' on wasm-simd, 'layerwise' elsewhere).
   */
  memory?: MemoryExecution;
  /**
   * Class names overriding the model's own (its TFLite metadata label file, else its registry
   * entry or the list its class count implies): one name per output, or one fewer when output 0
   * is the background. `source` names the list in the record and in errors (e.g. the file path).
   */
  labels?: readonly string[] | { readonly names: readonly string[]; readonly source: string };
  /** Load files whose weights or scales hold NaN/±Inf (to study them); their non-finite results are still refused. Default false. */
  allowNonFinite?: boolean;
  /**
   * 'integer' (default for uint8/int8 quantized files): every layer in 8-bit integer arithmetic,
   * bit for bit as TensorFlow Lite; 'float': float kernels on exactly dequantized weights (the only
   * choice for float files).
   */
  arithmetic?: ArithmeticKind;
  /** Requantization profile of the integer path (kernels/q-requantize.ts). Default 'tflite-wasm' (the interpreter measured here). */
  requantization?: RequantizationProfile;
}

/** What a model file declares about itself, plus labels given at load time. */
export interface ModelDescription {
  readonly metadata: TfliteMetadata | null;
  readonly labels: { readonly names: readonly string[]; readonly source: string } | null;
}

export class MobileNetV2Model {
  constructor(
    readonly imported: ImportedModel,
    readonly entry: RegistryEntry | null,
    readonly path: string,
    private readonly backend: Backend,
    private readonly conventionChoice: ConventionChoice = {},
    readonly memory: MemoryExecution = MEMORY_DEFAULT,
    /** What the file declares about itself (TFLite Model Metadata), and labels given at load time. */
    readonly described: ModelDescription = { metadata: null, labels: null },
    /** The integer path (quantized files, arithmetic 'integer'): its backend and requantization profile; null on the float path. */
    readonly integer: IntegerExecution | null = null,
  ) {}

  /** What runs the layers: the arithmetic, its backend's name and thread count. */
  get execution(): { readonly arithmetic: ArithmeticRecord; readonly backend: string; readonly threads: number } {
    const b = (this.integer?.q8 ?? this.backend) as { readonly name: string; readonly threads?: number };
    return { arithmetic: this.arithmetic, backend: b.name, threads: b.threads ?? 1 };
  }

  /** Which arithmetic this model runs in, and under which requantization profile. */
  get arithmetic(): ArithmeticRecord {
    return this.integer ? { kind: 'integer', requantization: this.integer.profile } : { kind: 'float', requantization: null };
  }

  private memoryExecution: { backend: Backend; stats: () => MemoryStats } | null = null;

  /** The backend the network runs on: the memory-efficient wrapper (memory: 'efficient') or the backend itself. */
  private get runner(): Backend {
    if (this.memory === 'layerwise') return this.backend;
    if (this.memoryExecution === null) {
      const m = this.imported;
      const net: MemoryNetwork = m.head === 'deeplab' && m.deeplab ? { head: 'deeplab', plan: m.deeplab }
        : m.head === 'ssdlite' && m.ssdlite ? { head: 'ssdlite', plan: m.ssdlite.plan }
        : { head: 'classifier', plan: m.plan };
      this.memoryExecution = memoryExecutionFor(this.backend, net, { memory: this.memory });
    }
    return this.memoryExecution.backend;
  }

  /** Activation memory of the last run (memory: 'efficient'): measured arena high-water mark, tile scratch, fused blocks; null otherwise. */
  memoryStats(): MemoryStats | null {
    return this.memoryExecution?.stats() ?? null;
  }


  /** The labels when they come from a file (metadata or load({ labels })), else null. */
  get labelsFromFile(): Labels | null { return this.described.labels ? this.labels : null; }

  /** The file's TFLite Model Metadata (name, version, licence, normalization, label files), or null. */
  get metadata(): ModelMetadataInfo | null { return this.described.metadata?.metadata ?? null; }

  get plan(): MobileNetV2Plan { return this.imported.plan; }
  get summary(): string { return this.imported.summary; }
  get name(): string { return this.entry?.name ?? this.path; }

  get labels(): Labels {
    return this.labelChoice().labels;
  }

  private labelChoice(): { labels: Labels; source: string } {
    // Detectors: one name per class slot (slot 0 = background), so classIndex k is slot k + 1.
    const classes = this.imported.plan.classifier?.classes ?? this.imported.deeplab?.options.classes ?? this.imported.ssdlite?.plan.classes ?? 0;
    const named = this.described.labels;
    if (named) return { labels: labelsFromNames(named.names, classes, named.source), source: named.source };
    const set = this.entry?.labels ?? labelSetForClasses(classes);
    if (set) return { labels: labelsFor(set), source: this.entry?.labels ? 'the registry entry' : `implied by ${classes} classes` };
    return { labels: indexLabels(classes), source: 'none: generic names' };
  }


  /**
   * Every convention this model's results are computed with: the named profile (default: the
   * registry entry's preprocessing over the head's profile, 'tflite' or 'tf-od-api' for SSD), the
   * facts of the file (padding, folded BN, classes, label offset, input quantization) and the
   * load-time overrides (src/app/prepare.ts modelConventions).
   */
  conventions(): Conventions {
    return modelConventions({ imported: this.imported, entry: this.entry, choice: this.conventionChoice, metadata: this.metadata, labels: this.labelChoice() });
  }

  /** Decodes (if needed) and prepares an image exactly as this model expects (src/app/prepare.ts). */
  async prepare(image: ImageInput | RgbImage): Promise<PreparedImage> {
    return prepare(image, { input: this.imported.input, conventions: this.conventions() });
  }

  /** Logits, probabilities and the full ranking for one image (src/app/classify.ts). */
  async infer(image: ImageInput | RgbImage): Promise<InferenceResult> {
    return inferImage(this, this.runner, image);
  }

  /**
   * Semantic segmentation (Mobile DeepLabv3 models, src/app/segment.ts): a class map at the
   * original image's size ('input-size', default) or on the model grid ('model-size'), the legend
   * with per-class pixel fractions, optionally logits and probabilities, and the exact
   * un-pad/resize policy used.
   */
  async segment(image: ImageInput | RgbImage, options: SegmentationOptions = {}): Promise<SegmentResult> {
    return segmentImage(this, this.runner, image, options);
  }

  /**
   * The whole network on one raw NHWC tensor in the model's own input dtype (uint8/int8 on the
   * integer path, float32 on the float path), with every tap asked for, each in its own dtype and
   * quantization (src/app/run-tensor.ts) — the kernel author's view, no image conventions involved.
   * With taps asked for, the float path runs layer by layer on the backend itself: a fused block
   * (memory: 'efficient') never materialises its expansion and depthwise outputs, and its result is
   * bit-identical to the layer-by-layer one anyway.
   */
  runTensor(data: TensorData, shape: readonly number[], options: TensorRunOptions = {}): TensorRunResult {
    return runTensor(this, options.taps === undefined ? this.runner : this.backend, data, shape, options);
  }

  /** The top-K classes, best first (ties: lower index first). */
  async classify(image: ImageInput | RgbImage, options: ClassifyOptions = {}): Promise<Prediction[]> {
    return classifyImage(this, this.runner, image, options);
  }

  /**
   * Object detection with an SSDLite model (src/app/detect.ts). Returns a DetectResult:
   *
   * ```ts
   * { detections: [{ label, classIndex, score, box: { ymin, xmin, ymax, xmax } (normalised),
   *                  boxPixels: { x, y, width, height } (original image pixels, top-left corner),
   *                  scores: Float32Array (every class), slot, anchorIndex }],   // best first
   *   image: { width, height }, labelSet: 'coco-91' | 'index',
   *   boxEncodings: Float32Array [A, 4], classLogits: Float32Array [A, K], anchors,
   *   preprocessing, conventions, postprocessing: { nms, scoreThreshold, scoreComparison, iouThreshold, maxDetections, … },
   *   arithmetic: { kind: 'integer' | 'float', requantization } }
   * ```
   * A quantized (int8) detector runs on the integer path by default: boxEncodings and classLogits
   * are then its 8-bit outputs dequantized exactly, and the scores its own 8-bit LOGISTIC's.
   */
  async detect(image: ImageInput | RgbImage, options: DetectOptions = {}): Promise<DetectResult> {
    return detectImage(this, this.runner, image, options);
  }

  /**
   * Reruns sampled layers of this model's backend on the scalar oracle (src/oracle/self-check.ts)
   * and reports the largest divergence relative to the derived bound; with `threshold` set,
   * exceeding it throws. Input: a prepared image, or a fixed pseudo-random tensor in [−1, 1].
   */
  async selfCheck(options: SelfCheckOptions & { image?: ImageInput | RgbImage } = {}): Promise<SelfCheckReport> {
    const [, h, w] = this.imported.input.shape as [number, number, number, number];
    let data: Float32Array;
    if (options.image !== undefined) data = (await this.prepare(options.image)).tensor;
    else {
      data = new Float32Array(h * w * 3);
      for (let i = 0; i < data.length; i++) data[i] = Math.fround(Math.sin(i * 12.9898) * 0.999);
    }
    // The whole network: the DeepLab or SSDLite head too, not only the backbone.
    const plan = this.imported.ssdlite?.plan ?? this.imported.deeplab ?? this.plan;
    return selfCheck(this.backend, plan, this.imported.weights, { data, shape: [1, h, w, 3] }, options);
  }

  dispose(): void {
    this.backend.dispose();
    this.integer?.q8.dispose();
  }
}

/**
 * The integer backend for a backend choice: 'scalar' is the definition (the scalar q8 kernels);
 * 'wasm-simd', and 'auto' where WASM SIMD passes its start-up check, run the WASM SIMD integer
 * kernels (bit-identical, any thread count); 'ts-fast' has no integer kernels and runs the scalar ones.
 */
async function makeQ8Backend(kind: BackendKind, threads: number | undefined): Promise<Q8Backend> {
  const { createQ8Backend } = await import('./backend/q8-wasm.js');
  if (kind === 'wasm-simd') return createQ8Backend('wasm-simd', { threads });
  if (kind === 'auto') {
    const { wasmSimdUsable } = await import('./backend/create.js');
    if ((await wasmSimdUsable()) === null) return createQ8Backend('wasm-simd', { threads });
  }
  if (threads !== undefined && threads > 1) throw usageError(`backend '${kind}' runs the integer path on the scalar kernels, single-threaded; threads > 1 needs 'wasm-simd' (or 'auto')`);
  return createQ8Backend('scalar', {});
}

async function makeBackend(kind: BackendKind, threads: number | undefined): Promise<Backend> {
  if (kind === 'scalar') return createScalarBackend();
  const { createBackend } = await import('./backend/create.js');
  return createBackend(kind, { threads });
}

/**
 * The file's TFLite metadata (a damaged metadata block is reported through `log` and ignored: the
 * network itself is intact) and the label list: `options.labels`, else the metadata's label file.
 */
function describeModel(bytes: Uint8Array, source: string, options: LoadOptions): ModelDescription {
  let metadata: TfliteMetadata | null = null;
  let fromFile: { names: string[]; file: string } | null = null;
  try {
    metadata = readTfliteMetadata(bytes, source);
    fromFile = metadataLabels(metadata, source);
  } catch (e) {
    if (!(e instanceof MobileNetV2Error)) throw e;
    options.log?.(`warning: ${e.message}; the model's metadata is ignored`);
  }
  const given = options.labels;
  if (given !== undefined) {
    const names = Array.isArray(given) ? given : (given as { names: readonly string[] }).names;
    const src = Array.isArray(given) ? 'load({ labels })' : (given as { source: string }).source;
    if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) throw usageError('load: labels must be an array of strings or { names, source }');
    return { metadata, labels: { names, source: src } };
  }
  return { metadata, labels: fromFile ? { names: fromFile.names, source: `${source}: metadata label file '${fromFile.file}'` } : null };
}

/** Loads a model by registry name, path, URL or the file itself (bytes, Blob, Response); see the file comment for an example. */
export async function load(options: LoadOptions = {}): Promise<MobileNetV2Model> {
  if (options.wasm !== undefined) setKernelModuleSource(options.wasm);
  const resolved = await platform.resolveModel(options.model ?? DEFAULT_CLASSIFIER, options);
  const imported = importTflite(resolved.bytes, resolved.path, { allowNonFinite: options.allowNonFinite });
  const described = describeModel(resolved.bytes, resolved.path, options);
  if (imported.description?.includes(RANDOM_WEIGHTS_MARK)) {
    options.log?.(`warning: ${resolved.entry?.name ?? resolved.path} has RANDOM weights (made by 'mobilenetv2 convert --random-seed'): its outputs recognise nothing`);
  }
  if (options.memory !== undefined && options.memory !== 'efficient' && options.memory !== 'layerwise') {
    throw usageError(`memory must be 'efficient' or 'layerwise', got '${String(options.memory)}'`);
  }
  const arithmetic = resolveArithmetic(imported, options.arithmetic);
  const profile = checkRequantizationProfile(options.requantization);
  // The integer path runs on its own backend; the float one still serves selfCheck and arithmetic 'float' calls.
  const backend = await makeBackend(options.backend ?? 'auto', options.threads);
  const memory = options.memory ?? memoryDefaultFor(backend);
  let integer: IntegerExecution | null = null;
  if (arithmetic === 'integer') {
    try {
      integer = { q8: await makeQ8Backend(options.backend ?? 'auto', options.threads), profile };
    } catch (e) {
      backend.dispose();
      throw e;
    }
  }
  const model = new MobileNetV2Model(imported, resolved.entry, resolved.path, backend, { profile: options.profile, overrides: options.conventions }, memory, described, integer);
  try {
    model.conventions(); // a bad profile, override or label list fails here, not at the first image
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
