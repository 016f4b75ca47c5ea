// SPDX-License-Identifier: Apache-2.0
/**
 * Convention profiles: the choices that make "the same MobileNetV2" give different numbers in
 * different frameworks (user-needs §1 A.1–A.6), set together by one name and overridable one at a
 * time. Every result of this package carries the resolved `Conventions` record it was computed with.
 *
 *   padding          'symmetric' (PyTorch (k−1)/2·d on every side) or 'tf-same' (TensorFlow SAME:
 *                    for a 3×3 stride-2 layer on an even input, 0 top/left and 1 bottom/right)
 *   bnEps            BatchNorm ε used to fold BN into the convs; null when the file already holds
 *                    folded weights (TFLite), so no ε applies
 *   weightLayout     how the weight file stores conv kernels (converted once, in src/io)
 *   activationLayout how tensors cross the API / file boundary (inside, everything is NHWC)
 *   normalization    pixel x ∈ [0, 255] → (x·scale − mean[c]) / std[c] (preset name + parameters)
 *   resize, centralCrop, fit   how an image becomes the network input
 *   labelOffset      1 when output index 0 is a background class (1001-way TF-slim/TFLite heads)
 *   classes          classifier outputs
 *
 * Facts of the weights win over the profile (a 1000-class state dict has 1000 classes whatever the
 * profile says; a TFLite graph has its padding baked in); user overrides win over both. Every field
 * that ends up different from the profile is listed in `changes` with the reason, so a record read
 * later says exactly where it departs from the named convention.
 */
import { FITS, RESIZE_METHODS, resolveNormalization, type ExplicitResizeMethod, type Fit, type Normalization, type ResolvedNormalization } from './image/preprocess.js';
import { usageError } from '../errors.js';
import { checkPadding, type PaddingConvention } from '../model/plan.js';

export type ProfileName = 'torchvision' | 'tf-slim' | 'keras' | 'tflite' | 'tf-od-api';
export const PROFILE_NAMES: readonly ProfileName[] = Object.freeze(['torchvision', 'tf-slim', 'keras', 'tflite', 'tf-od-api']);

/**
 * Conv kernel layouts (depthwise in brackets):
 *   'OIHW'  PyTorch  [OC, IC, KH, KW]  ([C, 1, KH, KW])
 *   'HWIO'  TF/Keras [KH, KW, IC, OC]  ([KH, KW, C, 1])
 *   'OHWI'  TFLite and ours [OC, KH, KW, IC]  (TFLite depthwise [1, KH, KW, C]; ours [KH, KW, C])
 */
export type WeightLayout = 'OIHW' | 'HWIO' | 'OHWI';
export const WEIGHT_LAYOUTS: readonly WeightLayout[] = Object.freeze(['OIHW', 'HWIO', 'OHWI']);

export type ActivationLayoutName = 'NCHW' | 'NHWC';

export interface InputQuantization {
  readonly dtype: 'uint8' | 'int8';
  /** real = scale·(q − zeroPoint) */
  readonly scale: number;
  readonly zeroPoint: number;
}

export type ConventionField =
  | 'padding' | 'bnEps' | 'weightLayout' | 'activationLayout' | 'normalization' | 'inputQuantization'
  | 'resize' | 'centralCrop' | 'fit' | 'labelOffset' | 'classes';

export interface ConventionChange {
  readonly field: ConventionField;
  /** The profile's value (JSON-able). */
  readonly profile: unknown;
  readonly value: unknown;
  /** 'override': the user asked for it; 'model': the weights/graph dictate it. */
  readonly reason: 'override' | 'model';
  readonly note?: string;
}

/** The full convention record a result was computed with. */
export interface Conventions {
  /** The named profile this record starts from, or null when none was named (defaults of the loader). */
  readonly profile: ProfileName | null;
  readonly padding: PaddingConvention;
  readonly bnEps: number | null;
  readonly weightLayout: WeightLayout;
  readonly activationLayout: ActivationLayoutName;
  readonly normalization: ResolvedNormalization;
  /** Quantized-input models: how the float input maps to the integers the graph takes. */
  readonly inputQuantization: InputQuantization | null;
  readonly resize: ExplicitResizeMethod;
  readonly centralCrop: number;
  readonly fit: Fit;
  readonly labelOffset: 0 | 1;
  readonly classes: number;
  /** Fields that differ from the profile, and why. */
  readonly changes: readonly ConventionChange[];
  /** Where each value of the profile comes from (upstream source), plus known approximations. */
  readonly notes: readonly string[];
}

/** A profile: every field, with its provenance. */
export interface Profile {
  readonly name: ProfileName;
  readonly padding: PaddingConvention;
  readonly bnEps: number | null;
  readonly weightLayout: WeightLayout;
  readonly activationLayout: ActivationLayoutName;
  readonly normalization: Normalization;
  readonly resize: ExplicitResizeMethod;
  readonly centralCrop: number;
  readonly fit: Fit;
  readonly labelOffset: 0 | 1;
  readonly classes: number;
  readonly provenance: readonly string[];
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = Object.freeze({
  torchvision: Object.freeze<Profile>({
    name: 'torchvision',
    padding: 'symmetric',
    bnEps: 1e-5,
    weightLayout: 'OIHW',
    activationLayout: 'NCHW',
    normalization: 'torch-imagenet',
    resize: 'bilinear-half-pixel',
    centralCrop: 0.875,
    fit: 'stretch',
    labelOffset: 0,
    classes: 1000,
    provenance: [
      'padding: torchvision Conv2dNormActivation pads (k−1)//2·dilation on every side (paper-facts §5.2)',
      'bnEps: nn.BatchNorm2d default 1e-5',
      'weights: state_dict conv OIHW, depthwise [C, 1, KH, KW]; activations NCHW',
      'normalization: transforms.Normalize(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)) after ToTensor (x/255)',
      'resize: IMAGENET1K_V1 eval = Resize(256) (shorter side, PIL bilinear) + CenterCrop(224); applied here as central crop 224/256 = 0.875 then a bilinear half-pixel resize, which equals it for square images only, and our resize does NOT antialias (PIL does when shrinking)',
      'classes: 1000 ImageNet classes, index k = class k (no background)',
    ],
  }),
  'tf-slim': Object.freeze<Profile>({
    name: 'tf-slim',
    padding: 'tf-same',
    bnEps: 1e-3,
    weightLayout: 'HWIO',
    activationLayout: 'NHWC',
    normalization: 'tf-inception',
    resize: 'bilinear-asymmetric',
    centralCrop: 0.875,
    fit: 'stretch',
    labelOffset: 1,
    classes: 1001,
    provenance: [
      "padding: slim.conv2d / separable_conv2d with padding='SAME' (checkpoints trained with use_explicit_padding=False; paper-facts §7.2)",
      'bnEps: mobilenet training_scope batch_norm epsilon 0.001',
      'weights: TF variables HWIO [KH, KW, IC, OC], depthwise [KH, KW, C, 1]; activations NHWC',
      'normalization: inception_preprocessing (x/255 − 0.5)·2, range [−1, 1]',
      'resize: inception_preprocessing.preprocess_for_eval = central_crop(0.875) then resize_bilinear(align_corners=False); that is TF1 resize_bilinear with half_pixel_centers=False, i.e. the legacy asymmetric grid (paper-facts §2.4)',
      'classes: num_classes=1001, index 0 = background, ImageNet class k at k + 1',
    ],
  }),
  keras: Object.freeze<Profile>({
    name: 'keras',
    padding: 'tf-same',
    bnEps: 1e-3,
    weightLayout: 'HWIO',
    activationLayout: 'NHWC',
    normalization: 'tf-inception',
    resize: 'nearest-half-pixel',
    centralCrop: 1,
    fit: 'stretch',
    labelOffset: 0,
    classes: 1000,
    provenance: [
      "padding: keras.applications MobileNetV2 uses padding='same' and ZeroPadding2D(correct_pad) + 'valid' before stride-2 depthwise convs, which is TF SAME (paper-facts §6)",
      'bnEps: BatchNormalization(epsilon=1e-3)',
      'weights: Conv2D kernel HWIO, DepthwiseConv2D [KH, KW, C, 1]; activations NHWC (channels_last)',
      'normalization: mobilenet_v2.preprocess_input (mode "tf"): x/127.5 − 1',
      "resize: keras.utils.load_img(target_size=…) default interpolation 'nearest' (PIL), whole image, no crop",
      'classes: 1000 (no background)',
    ],
  }),
  tflite: Object.freeze<Profile>({
    name: 'tflite',
    padding: 'tf-same',
    bnEps: null,
    weightLayout: 'OHWI',
    activationLayout: 'NHWC',
    normalization: 'tf-inception',
    resize: 'bilinear-half-pixel',
    centralCrop: 1,
    fit: 'stretch',
    labelOffset: 1,
    classes: 1001,
    provenance: [
      'padding: TFLite CONV_2D / DEPTHWISE_CONV_2D with Padding SAME (as converted from TF-slim)',
      'bnEps: none — BatchNorm is folded into the conv weights and biases by the converter',
      'weights: CONV_2D filter [OC, KH, KW, IC], DEPTHWISE_CONV_2D [1, KH, KW, C]; activations NHWC',
      'normalization: float models take x/127.5 − 1 (mean = std = 127.5 in the TFLite examples); quantized models take the uint8 pixels, their input quantization maps them',
      'resize: the TFLite classification examples scale the whole image bilinearly to the input size, no crop',
      'classes: 1001, index 0 = background',
    ],
  }),
  // The SSD detectors of the TF Object Detection API as TFLite files (ssdlite_mobilenet_v2_coco and
  // its exports): what detect() prepares images with when no other profile is named.
  'tf-od-api': Object.freeze<Profile>({
    name: 'tf-od-api',
    padding: 'tf-same',
    bnEps: null,
    weightLayout: 'OHWI',
    activationLayout: 'NHWC',
    normalization: 'tf-inception',
    resize: 'bilinear-asymmetric',
    centralCrop: 1,
    fit: 'stretch',
    labelOffset: 1,
    classes: 91,
    provenance: [
      "padding: the OD API's ssd_mobilenet_v2 feature extractor uses slim SAME convolutions (use_explicit_padding: false in ssdlite_mobilenet_v2_coco.config)",
      'bnEps: none — export_tflite_ssd_graph folds BatchNorm into the conv weights and biases',
      'weights: TFLite CONV_2D filter [OC, KH, KW, IC], DEPTHWISE_CONV_2D [1, KH, KW, C]; activations NHWC',
      'normalization: SSDMobileNetV2FeatureExtractor.preprocess: (2/255)·x − 1, range [−1, 1]; quantized files take the uint8 pixels, their input quantization maps them',
      "resize: fixed_shape_resizer = TF1 resize_images bilinear with align_corners=False (the legacy asymmetric grid) of the whole image to the input size, aspect ratio not kept (no crop, no letterbox)",
      'classes: 91 slots for COCO, slot 0 = background and slot s = COCO category id s',
    ],
  }),
});

/** Overrides a user can give, one field at a time. */
export interface ConventionOverrides {
  padding?: PaddingConvention;
  bnEps?: number;
  weightLayout?: WeightLayout;
  activationLayout?: ActivationLayoutName;
  normalization?: Normalization;
  resize?: ExplicitResizeMethod;
  centralCrop?: number;
  fit?: Fit;
  labelOffset?: 0 | 1;
}

/** What the weights or model file dictate, whatever the profile says. */
export interface ConventionFacts {
  padding?: PaddingConvention;
  bnEps?: number | null;
  weightLayout?: WeightLayout;
  activationLayout?: ActivationLayoutName;
  normalization?: Normalization;
  inputQuantization?: InputQuantization | null;
  resize?: ExplicitResizeMethod;
  centralCrop?: number;
  fit?: Fit;
  classes?: number;
  labelOffset?: 0 | 1;
  /** One note per fact, for the record (e.g. "padding read from the TFLite graph"). */
  notes?: Partial<Record<ConventionField, string>>;
}

export function parseProfileName(name: unknown): ProfileName {
  if (typeof name === 'string' && (PROFILE_NAMES as readonly string[]).includes(name)) return name as ProfileName;
  throw usageError(`unknown convention profile '${String(name)}'; expected one of ${PROFILE_NAMES.join(', ')}`);
}

function checkOverrides(o: ConventionOverrides): void {
  if (o.padding !== undefined) checkPadding(o.padding);
  if (o.bnEps !== undefined && !(o.bnEps >= 0 && Number.isFinite(o.bnEps))) throw usageError(`BN ε must be a finite non-negative number, got ${String(o.bnEps)}`);
  if (o.weightLayout !== undefined && !WEIGHT_LAYOUTS.includes(o.weightLayout)) throw usageError(`weight layout must be one of ${WEIGHT_LAYOUTS.join(', ')}, got '${String(o.weightLayout)}'`);
  if (o.activationLayout !== undefined && o.activationLayout !== 'NCHW' && o.activationLayout !== 'NHWC') throw usageError(`activation layout must be NCHW or NHWC, got '${String(o.activationLayout)}'`);
  if (o.resize !== undefined && !RESIZE_METHODS.includes(o.resize)) throw usageError(`resize must be one of ${RESIZE_METHODS.join(', ')}, got '${String(o.resize)}'`);
  if (o.centralCrop !== undefined && !(o.centralCrop > 0 && o.centralCrop <= 1)) throw usageError(`central crop must be a fraction in (0, 1], got ${String(o.centralCrop)}`);
  if (o.fit !== undefined && !FITS.includes(o.fit)) throw usageError(`fit must be ${FITS.map((f) => `'${f}'`).join(' or ')}, got '${String(o.fit)}'`);
  if (o.labelOffset !== undefined && o.labelOffset !== 0 && o.labelOffset !== 1) throw usageError(`label offset must be 0 or 1, got ${String(o.labelOffset)}`);
}

/** JSON-comparable form of a value, for detecting a change. */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The record for `profile` (default: `fallback`, itself default 'torchvision'), with the facts of
 * the weights applied, then the user's overrides.
 */
export function resolveConventions(
  profile: ProfileName | null, overrides: ConventionOverrides = {}, facts: ConventionFacts = {}, fallback: ProfileName = 'torchvision',
): Conventions {
  checkOverrides(overrides);
  const p = PROFILES[profile === null ? fallback : parseProfileName(profile)];
  const changes: ConventionChange[] = [];
  const notes: string[] = profile === null ? [`no profile named: the ${p.name} defaults apply`] : [];

  const pick = <K extends ConventionField, T>(field: K, profileValue: T, fact: T | undefined, override: T | undefined): T => {
    let v = profileValue;
    if (fact !== undefined && !same(fact, v)) {
      changes.push({ field, profile: profileValue, value: fact, reason: 'model', ...(facts.notes?.[field] ? { note: facts.notes[field] } : {}) });
      v = fact;
    }
    if (override !== undefined && !same(override, v)) {
      changes.push({ field, profile: profileValue, value: override, reason: 'override' });
      v = override;
    }
    return v;
  };

  const padding = pick('padding', p.padding, facts.padding, overrides.padding);
  const bnEps = pick<'bnEps', number | null>('bnEps', p.bnEps, facts.bnEps, overrides.bnEps);
  const weightLayout = pick('weightLayout', p.weightLayout, facts.weightLayout, overrides.weightLayout);
  const activationLayout = pick('activationLayout', p.activationLayout, facts.activationLayout, overrides.activationLayout);
  const normalization = resolveNormalization(pick<'normalization', Normalization>('normalization', p.normalization, facts.normalization, overrides.normalization));
  const inputQuantization = pick<'inputQuantization', InputQuantization | null>('inputQuantization', null, facts.inputQuantization, undefined);
  const resize = pick('resize', p.resize, facts.resize, overrides.resize);
  const centralCrop = pick('centralCrop', p.centralCrop, facts.centralCrop, overrides.centralCrop);
  const fit = pick('fit', p.fit, facts.fit, overrides.fit);
  const classes = pick('classes', p.classes, facts.classes, undefined);
  // A 1001-way head has the background at 0 whatever the profile; other counts have none.
  const impliedOffset: 0 | 1 | undefined = facts.labelOffset ?? (facts.classes === undefined ? undefined : facts.classes === 1001 ? 1 : 0);
  const labelOffset = pick<'labelOffset', 0 | 1>('labelOffset', p.labelOffset, impliedOffset, overrides.labelOffset);
  return Object.freeze({
    profile, padding, bnEps, weightLayout, activationLayout, normalization, inputQuantization,
    resize, centralCrop, fit, labelOffset, classes,
    changes: Object.freeze(changes), notes: Object.freeze([...notes, ...p.provenance]),
  });
}

/** One line for logs: "profile tf-slim: padding tf-same, BN ε 0.001, …". */
export function describeConventions(c: Conventions): string {
  const changed = c.changes.length ? `; differs from the profile in ${c.changes.map((x) => `${x.field} (${x.reason})`).join(', ')}` : '';
  return `profile ${c.profile ?? 'none'}: padding ${c.padding}, BN ε ${c.bnEps ?? 'folded'}, weights ${c.weightLayout}, ` +
    `activations ${c.activationLayout}, normalization ${c.normalization.name}, resize ${c.resize}, crop ${c.centralCrop}, ` +
    `${c.classes} classes (label offset ${c.labelOffset})${changed}`;
}
