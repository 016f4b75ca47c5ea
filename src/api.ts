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
import { forward } from './model/forward.js';
import { deeplabForward } from './model/deeplab.js';
import { memoryExecutionFor, type MemoryStats } from './model/memory-efficient.js';
import type { MemoryExecution, MemoryNetwork } from './model/memory-plan.js';
import { segmentationFromLogits, type Segmentation, type SegmentationOptions } from './model/segmentation.js';
import type { MobileNetV2Plan } from './model/plan.js';
import { importTflite, type ImportedModel } from './io/tflite/import.js';
import { DEFAULT_CLASSIFIER, type RegistryEntry } from './io/registry-entries.js';
import { platform } from '#platform';
import type { ModelSource, ResolveModelOptions } from './platform/platform.js';
import { setKernelModuleSource, type KernelModuleSource } from './backend/wasm-module.js';
import { indexLabels, labelSetForClasses, labelsFor, labelsFromNames, type Labels } from './io/labels.js';
import { RANDOM_WEIGHTS_MARK } from './io/tflite/export.js';
import { metadataLabels, readTfliteMetadata, type ModelMetadataInfo, type TfliteMetadata } from './io/tflite/metadata.js';
import { MobileNetV2Error } from './errors.js';
import type { Normalization } from './io/image/preprocess.js';
import { loadImage, type ImageInput } from './io/image/input.js';
import { preprocessImage, quantizeInput, type PreprocessOptions, type PreprocessRecord } from './io/image/preprocess.js';
import type { RgbImage } from './io/image/image.js';
import { f32Softmax } from '../kernels/f32-softmax.js';
import { requireFiniteOutput, unsupportedError, usageError } from './errors.js';
import { detectImage, type DetectOptions, type DetectResult } from './app/detect.js';
import { resolveConventions, type ConventionFacts, type ConventionOverrides, type Conventions as ConventionRecord, type ProfileName } from './io/conventions.js';
import { selfCheck, type SelfCheckOptions, type SelfCheckReport } from './oracle/self-check.js';

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
}

export interface Prediction {
  /** Model output index (for 1001-class models, 0 = background and ImageNet class k is k + 1). */
  readonly index: number;
  readonly label: string;
  readonly probability: number;
}

/** The full convention record (src/io/conventions.ts) plus what this model file adds. */
export interface Conventions extends ConventionRecord {
  readonly labelSet: string;
  /** Where the class names come from: '--labels FILE' / 'load({ labels })', the model's metadata file, the registry entry, or the class count. */
  readonly labelSource: string;
  /** How the float input was obtained: 'dequantize-uint8' (real = scale·(q − zp)) or a normalization preset. */
  readonly input: string;
  readonly weights: 'float' | 'dequantized';
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

export interface SegmentResult extends Segmentation {
  /** The decoded input image (RGB, original size) — handy for overlays. */
  readonly image: RgbImage;
  readonly preprocessing: PreprocessRecord;
  readonly conventions: Conventions;
}

/** What a model file declares about itself, plus labels given at load time. */
export interface ModelDescription {
  readonly metadata: TfliteMetadata | null;
  readonly labels: { readonly names: readonly string[]; readonly source: string } | null;
}

/** The metadata's input NormalizationOptions as a custom preset ((x − mean) / std on 0..255 pixels), if any. */
function metadataNormalization(md: ModelMetadataInfo | null): { normalization?: Normalization } {
  const n = md?.inputs[0]?.normalization;
  if (!n || n.mean.length === 0 || n.std.length === 0) return {};
  const three = (v: readonly number[]): [number, number, number] => [v[0]!, v[1] ?? v[0]!, v[2] ?? v[0]!];
  return { normalization: { name: 'custom', mean: three(n.mean), std: three(n.std), scale: 1 } };
}

/** Image preparation for an imported model, from its convention record. */
function preprocessOptions(m: ImportedModel, c: ConventionRecord): PreprocessOptions {
  const [, h, w] = m.input.shape as [number, number, number, number];
  const n = c.normalization;
  return {
    width: w,
    height: h,
    resize: c.resize,
    centralCrop: c.centralCrop,
    fit: c.fit,
    normalization: n.name === 'custom' ? { name: 'custom', mean: n.mean, std: n.std, scale: n.scale } : n.name,
  };
}

/**
 * The float tensor our network sees, plus (for quantized models) the exact uint8/int8 pixels an
 * integer interpreter would be fed: real = scale·(q − zero_point).
 */
export function modelInput(m: ImportedModel, tensor: Float32Array, rawPixels = true): { float: Float32Array; quantized: Uint8Array | Int8Array | null } {
  const q = m.input.quantization;
  if (!q) return { float: tensor, quantized: null };
  // Raw pixels go in as bytes (the input quantization maps them); a normalized tensor is quantized
  // with the input's own scale and zero point.
  const pixels = rawPixels
    ? quantizeInput(tensor, 1, m.input.type === 'INT8' ? -128 : 0, m.input.type === 'INT8' ? 'int8' : 'uint8')
    : quantizeInput(tensor, q.scale, q.zeroPoint, m.input.type === 'INT8' ? 'int8' : 'uint8');
  const float = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) float[i] = q.scale * (pixels[i]! - q.zeroPoint);
  return { float, quantized: pixels };
}

export class MobileNetV2Model {
  constructor(
    readonly imported: ImportedModel,
    readonly entry: RegistryEntry | null,
    readonly path: string,
    private readonly backend: Backend,
    private readonly conventionChoice: { profile?: ProfileName; overrides?: LoadOptions['conventions'] } = {},
    readonly memory: MemoryExecution = MEMORY_DEFAULT,
    /** What the file declares about itself (TFLite Model Metadata), and labels given at load time. */
    readonly described: ModelDescription = { metadata: null, labels: null },
  ) {}

  private execution: { backend: Backend; stats: () => MemoryStats } | null = null;

  /** The backend the network runs on: the memory-efficient wrapper (memory: 'efficient') or the backend itself. */
  private get runner(): Backend {
    if (this.memory === 'layerwise') return this.backend;
    if (this.execution === null) {
      const m = this.imported;
      const net: MemoryNetwork = m.head === 'deeplab' && m.deeplab ? { head: 'deeplab', plan: m.deeplab }
        : m.head === 'ssdlite' && m.ssdlite ? { head: 'ssdlite', plan: m.ssdlite.plan }
        : { head: 'classifier', plan: m.plan };
      this.execution = memoryExecutionFor(this.backend, net, { memory: this.memory });
    }
    return this.execution.backend;
  }

  /** Activation memory of the last run (memory: 'efficient'): measured arena high-water mark, tile scratch, fused blocks; null otherwise. */
  memoryStats(): MemoryStats | null {
    return this.execution?.stats() ?? null;
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
   * registry entry's preprocessing over 'tflite'), the facts of the file (padding, folded BN,
   * classes, label offset, input quantization) and the load-time overrides.
   */
  conventions(): Conventions {
    const l = this.labels;
    const m = this.imported;
    const profile = this.conventionChoice.profile ?? null;
    const p = this.entry?.preprocessing;
    const q = m.input.quantization;
    const overrides = this.conventionChoice.overrides ?? {};
    const facts: ConventionFacts = {
      padding: m.plan.options.padding, bnEps: null, weightLayout: 'OHWI', activationLayout: 'NHWC',
      classes: m.plan.classifier?.classes ?? m.deeplab?.options.classes ?? 0, labelOffset: l.offset === 1 || (m.plan.classifier?.classes ?? 0) === 1001 ? 1 : 0,
      inputQuantization: q ? { dtype: m.input.type === 'INT8' ? 'int8' : 'uint8', scale: q.scale, zeroPoint: q.zeroPoint } : null,
      // Quantized inputs take raw pixels (the input quantization maps them to the model's range).
      ...(q && overrides.normalization === undefined ? { normalization: 'raw-uint8' as const } : {}),
      ...(profile === null && p ? { resize: p.resize, centralCrop: p.centralCrop, fit: p.fit, ...(q ? {} : { normalization: p.normalization }) } : {}),
      ...(q ? {} : metadataNormalization(this.metadata)),
      notes: {
        padding: 'read from the TFLite graph', bnEps: 'BatchNorm is folded in the file', normalization: 'quantized input: the uint8 pixels go in as they are',
        ...(q || !metadataNormalization(this.metadata).normalization ? {} : { normalization: "the file's TFLite metadata (NormalizationOptions)" }),
        resize: "the model's registry entry", centralCrop: "the model's registry entry", fit: "the model's registry entry",
      },
    };
    const record = resolveConventions(profile, overrides, facts, 'tflite');
    return {
      ...record,
      labelSet: l.set,
      labelSource: this.labelChoice().source,
      input: this.imported.input.quantization ? `dequantize-${this.imported.input.type.toLowerCase()} (scale ${this.imported.input.quantization.scale}, zero point ${this.imported.input.quantization.zeroPoint})` : 'normalization preset',
      weights: this.imported.quantized ? 'dequantized' : 'float',
    };
  }

  /** Decodes (if needed) and prepares an image exactly as this model expects. */
  async prepare(image: ImageInput | RgbImage): Promise<{ img: RgbImage; tensor: Float32Array; quantized: Uint8Array | Int8Array | null; record: PreprocessRecord }> {
    const img = await loadImage(image as ImageInput);
    const c = this.conventions();
    const { tensor, record } = preprocessImage(img, preprocessOptions(this.imported, c));
    const { float, quantized } = modelInput(this.imported, tensor, c.normalization.name === 'raw-uint8');
    return { img, tensor: float, quantized, record };
  }

  /** Logits, probabilities and the full ranking for one image. */
  async infer(image: ImageInput | RgbImage): Promise<InferenceResult> {
    if (this.imported.head !== 'classifier') throw unsupportedError(`${this.name} is a ${this.imported.head} model; classify needs a classifier`);
    const { tensor, record } = await this.prepare(image);
    const [, h, w] = this.imported.input.shape as [number, number, number, number];
    const { output } = forward(this.runner, this.plan, this.imported.weights, tensor, [1, h, w, 3]);
    const logits = output.data;
    requireFiniteOutput(logits, `${this.name}: the logits`);
    const probabilities = new Float32Array(logits.length);
    f32Softmax(probabilities, logits, { rows: 1, cols: logits.length });
    const labels = this.labels;
    const order = Array.from(probabilities.keys()).sort((a, b) => probabilities[b]! - probabilities[a]! || a - b);
    const predictions = order.map((index) => ({ index, label: labels.name(index), probability: probabilities[index]! }));
    return { logits, probabilities, predictions, preprocessing: record, conventions: this.conventions() };
  }

  /**
   * Semantic segmentation (Mobile DeepLabv3 models): a class map at the original image's size
   * ('input-size', default) or on the model grid ('model-size'), the legend with per-class pixel
   * fractions, optionally logits and probabilities, and the exact un-pad/resize policy used.
   */
  async segment(image: ImageInput | RgbImage, options: SegmentationOptions = {}): Promise<SegmentResult> {
    const dl = this.imported.deeplab;
    if (this.imported.head !== 'deeplab' || !dl) throw unsupportedError(`${this.name} is a ${this.imported.head} model; segment needs a Mobile DeepLabv3 model`);
    const { img, tensor, record } = await this.prepare(image);
    const [, h, w] = this.imported.input.shape as [number, number, number, number];
    const { logits } = deeplabForward(this.runner, dl, this.imported.weights, tensor, [1, h, w, 3]);
    requireFiniteOutput(logits.data, `${this.name}: the segmentation logits`);
    const seg = segmentationFromLogits(logits, record, { labels: this.labels.size === logits.shape[3] ? Array.from({ length: this.labels.size }, (_, i) => this.labels.name(i)) : undefined, ...options });
    return { ...seg, image: img, preprocessing: record, conventions: this.conventions() };
  }

  /** The top-K classes, best first (ties: lower index first). */
  async classify(image: ImageInput | RgbImage, options: ClassifyOptions = {}): Promise<Prediction[]> {
    const k = options.topK ?? 5;
    if (!Number.isInteger(k) || k < 1) throw usageError(`topK must be a positive integer, got ${k}`);
    return (await this.infer(image)).predictions.slice(0, k);
  }

  /**
   * Object detection with an SSDLite model (detect.ts). Returns a DetectResult:
   *
   * ```ts
   * { detections: [{ label, classIndex, score, box: { ymin, xmin, ymax, xmax } (normalised),
   *                  boxPixels: { x, y, width, height } (original image pixels, top-left corner),
   *                  scores: Float32Array (every class), slot, anchorIndex }],   // best first
   *   image: { width, height }, labelSet: 'coco-91' | 'index',
   *   boxEncodings: Float32Array [A, 4], classLogits: Float32Array [A, K], anchors,
   *   preprocessing, postprocessing: { nms, scoreThreshold, scoreComparison, iouThreshold, maxDetections, … } }
   * ```
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
  }
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
  const backend = await makeBackend(options.backend ?? 'auto', options.threads);
  const memory = options.memory ?? memoryDefaultFor(backend);
  const model = new MobileNetV2Model(imported, resolved.entry, resolved.path, backend, { profile: options.profile, overrides: options.conventions }, memory, described);
  try {
    model.conventions(); // a bad profile, override or label list fails here, not at the first image
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
