// SPDX-License-Identifier: Apache-2.0
/** The file format of the conformance vectors: manifest types, constants, and the deterministic data and JSON helpers every part shares. (Conformance vectors: see ../vectors.ts.) */
import type { Conv2dGeometry } from '../../../kernels/geometry.js';
import type { Clamp } from '../../../kernels/clamp.js';
import { seededUniform } from '../../model/random.js';

export const VECTORS_MAGIC = 'mobilenetv2-vectors';
/** 2: integer (q8-*) cases, and TensorFile.dtype; version-1 suites (float only) are still read. */
export const VECTORS_FORMAT_VERSION = 2;
export const VECTORS_FORMAT_VERSIONS_READ: readonly number[] = [1, 2];

/** The integer kernels (catalogue-q8.ts): graded exactly, their quantization in `params`. */
export const Q8_VECTOR_KERNELS = [
  'q8-conv2d', 'q8-depthwise', 'q8-pointwise', 'q8-fully-connected', 'q8-add', 'q8-avgpool', 'q8-mean', 'q8-softmax', 'q8-logistic',
  'q8-resize-bilinear', 'q8-concat', 'q8-pad', 'q8-quantize', 'q8-dequantize', 'q8-requantize', 'q8-argmax',
] as const;
export type Q8VectorKernel = (typeof Q8_VECTOR_KERNELS)[number];

export type VectorKernel = 'conv2d' | 'depthwise' | 'pointwise' | 'pad' | 'padding' | 'resize' | 'nms' | 'network' | Q8VectorKernel;
export const VECTOR_KERNELS: readonly VectorKernel[] = ['conv2d', 'depthwise', 'pointwise', 'pad', 'padding', 'resize', 'nms', 'network', ...Q8_VECTOR_KERNELS];

/** True for the integer kernels. */
export const isQ8Kernel = (k: VectorKernel): k is Q8VectorKernel => (Q8_VECTOR_KERNELS as readonly string[]).includes(k);

/** Element types of vector files (.npy descr '<f4', '|u1', '|i1', '<i4'). */
export type VectorDType = 'float32' | 'uint8' | 'int8' | 'int32';
export type VectorData = Float32Array | Uint8Array | Int8Array | Int32Array;

export function vectorDTypeOf(data: VectorData): VectorDType {
  return data instanceof Float32Array ? 'float32' : data instanceof Uint8Array ? 'uint8' : data instanceof Int8Array ? 'int8' : 'int32';
}

export interface TensorFile {
  readonly file: string;
  readonly shape: readonly number[];
  /** e.g. 'NHWC', 'OHWI [OC, KH, KW, IC]', 'KH KW C', '[OC, IC]', '[C]'. */
  readonly layout: string;
  /** Element type; absent in version-1 suites (float32). */
  readonly dtype?: VectorDType;
}

export interface VectorTolerance {
  /** 'exact': bit-equal (±0 equal, NaN = NaN); 'bound': |r − e| ≤ bound[i] or ULP distance ≤ ulp. */
  readonly rule: 'exact' | 'bound';
  readonly boundFile: string | null;
  readonly ulp: number;
  /** Largest element of the bound (absolute). */
  readonly maxAbs: number;
  readonly derivation: string;
}

export interface VectorCase {
  readonly name: string;
  readonly kernel: VectorKernel;
  readonly description: string;
  readonly tags: readonly string[];
  /** Everything the kernel needs, explicit (strides, dilations, Pad4, clamp …). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly inputs: Readonly<Record<string, TensorFile>>;
  readonly expected: TensorFile;
  readonly tolerance: VectorTolerance;
}

export interface VectorManifest {
  readonly magic: typeof VECTORS_MAGIC;
  readonly format_version: number;
  readonly generator: string;
  readonly conventions: Readonly<Record<string, string>>;
  readonly results: string;
  readonly cases: readonly VectorCase[];
}

// ---------------------------------------------------------------------------------------------
// Deterministic data.

/** Uniform values in [lo, hi), rounded to float32, from the project's one seeded generator. */
export function uniform(n: number, seed: number, lo = -2, hi = 2): Float32Array {
  const next = seededUniform(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround(lo + (hi - lo) * next());
  return out;
}

export const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
export const abs = (x: Float32Array): Float32Array => x.map(Math.abs);
/** A bound stored as float32, rounded UP so it never gets tighter than derived. */
export function f32Up(v: number): number {
  const f = Math.fround(v);
  return f >= v ? f : Math.fround(v * (1 + 2 ** -22));
}

/** [min, max] with null for an infinite max (JSON has no Infinity): ReLU is [0, null]. */
export const clampJson = (c: Clamp | null): [number, number | null] | null => (c === null ? null : [c.min, c.max === Infinity ? null : c.max]);
export const geomJson = (g: Conv2dGeometry): Record<string, unknown> => ({
  inH: g.inH, inW: g.inW, kH: g.kH, kW: g.kW, stride: [g.strideH, g.strideW], dilation: [g.dilationH, g.dilationW], pad: g.pad, outH: g.outH, outW: g.outW,
});

// ---------------------------------------------------------------------------------------------
// Case builders (in memory).

export interface Tensor { data: VectorData; shape: number[]; layout: string }

export interface BuiltCase {
  name: string;
  kernel: VectorKernel;
  description: string;
  tags: string[];
  params: Record<string, unknown>;
  inputs: Record<string, Tensor>;
  expected: Tensor;
  bound: Float32Array | null;
  ulp: number;
  derivation: string;
  /** Files shared between cases (network weights): path relative to the suite → tensor. */
  shared?: Map<string, Tensor>;
}
