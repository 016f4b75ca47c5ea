// SPDX-License-Identifier: Apache-2.0
/**
 * fast-check arbitraries for kernel specs: small conv-like geometries that hit the boundaries
 * kernels get wrong (odd/even sizes, width 1, stride 2, dilation 2, every padding convention, 1×N
 * and N×1 kernels, channel counts around multiples of 4/8/16) and exact-length Float32Arrays.
 * Plus a seeded generator for the deterministic boundary sweeps.
 */
import fc from 'fast-check';
import { conv2dGeometry, GeometryError, type Conv2dGeometry, type Padding } from '../../kernels/geometry.js';
import { seededUniform } from '../../src/model/random.js';

/** Channel counts just below, at and above multiples of 4, 8 and 16. */
export const CHANNEL_COUNTS = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17] as const;
export const channelCountArb = fc.constantFrom(...CHANNEL_COUNTS);

/** Spatial sizes 1..12, with width/height 1 drawn more often than uniform (about 1 in 5). */
export const spatialSizeArb = fc.oneof({ weight: 1, arbitrary: fc.constant(1) }, { weight: 4, arbitrary: fc.integer({ min: 2, max: 12 }) });

export const pad4Arb = fc.record({
  top: fc.integer({ min: 0, max: 2 }),
  bottom: fc.integer({ min: 0, max: 2 }),
  left: fc.integer({ min: 0, max: 2 }),
  right: fc.integer({ min: 0, max: 2 }),
});

/** Each named convention and explicit Pad4 about equally often. */
export const paddingArb: fc.Arbitrary<Padding> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<Padding>('tf-same', 'symmetric', 'valid') },
  { weight: 1, arbitrary: pad4Arb },
);

/** Kernel extents: 1 and 3 (so 1×1, 3×3, 1×3 and 3×1 all occur), occasionally 2 (even: no 'symmetric'). */
export const kernelExtentArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 3) }, { weight: 1, arbitrary: fc.constant(2) });

/** A conv-like layer: batch, spatial input, channels, kernel, stride, dilation, padding. */
export interface ConvCase {
  readonly n: number;
  readonly inH: number;
  readonly inW: number;
  readonly inC: number;
  readonly outC: number;
  readonly kH: number;
  readonly kW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly padding: Padding;
  readonly g: Conv2dGeometry;
}

export type ConvCaseFields = Omit<ConvCase, 'g'>;

/** conv2dGeometry for a case, or null when the kernel does not fit (or 'symmetric' meets an even kernel). */
export function tryGeometry(c: ConvCaseFields): Conv2dGeometry | null {
  try {
    return conv2dGeometry({
      inH: c.inH,
      inW: c.inW,
      kH: c.kH,
      kW: c.kW,
      stride: [c.strideH, c.strideW],
      dilation: [c.dilationH, c.dilationW],
      padding: c.padding,
    });
  } catch (e) {
    if (e instanceof GeometryError) return null;
    throw e;
  }
}

/** Like tryGeometry but throws: for hand-written cases that must be valid. */
export function geometryOf(c: ConvCaseFields): ConvCase {
  const g = tryGeometry(c);
  if (g === null) throw new Error(`invalid case ${describeCase(c)}`);
  return { ...c, g };
}

/** Random valid conv cases; geometries where the kernel does not fit are filtered out. */
export const convCaseArb: fc.Arbitrary<ConvCase> = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    inH: spatialSizeArb,
    inW: spatialSizeArb,
    inC: channelCountArb,
    outC: channelCountArb,
    kH: kernelExtentArb,
    kW: kernelExtentArb,
    strideH: fc.constantFrom(1, 2),
    strideW: fc.constantFrom(1, 2),
    dilationH: fc.constantFrom(1, 2),
    dilationW: fc.constantFrom(1, 2),
    padding: paddingArb,
  })
  .map((c: ConvCaseFields): ConvCase | null => {
    const g = tryGeometry(c);
    return g === null ? null : { ...c, g };
  })
  .filter((c): c is ConvCase => c !== null);

function formatPair(a: number, b: number): string {
  return a === b ? String(a) : `${a}x${b}`;
}

function formatPadding(p: Padding): string {
  return typeof p === 'string' ? p : `t${p.top}b${p.bottom}l${p.left}r${p.right}`;
}

/** Test-name form of a case, e.g. "x=1x7x7x8 k=3 s=2 d=1 pad=tf-same oc=8". */
export function describeCase(c: ConvCaseFields): string {
  return (
    `x=${c.n}x${c.inH}x${c.inW}x${c.inC} k=${formatPair(c.kH, c.kW)} s=${formatPair(c.strideH, c.strideW)} ` +
    `d=${formatPair(c.dilationH, c.dilationW)} pad=${formatPadding(c.padding)} oc=${c.outC}`
  );
}

/** Float32Array of exactly `length` finite values in [−8, 8] (fast-check includes ±0, subnormals, ±8). */
export function f32ArrayArb(length: number, min = -8, max = 8): fc.Arbitrary<Float32Array> {
  return fc.float32Array({ noNaN: true, noDefaultInfinity: true, min, max, minLength: length, maxLength: length });
}

/** Deterministic PRNG for the boundary sweeps, so failures reproduce by seed: the project's one (src/model/random.ts). */
export const seededRandom = seededUniform;

/** Float32Array of `length` uniform values in [min, max), from `seed`. */
export function seededF32(length: number, seed: number, min = -8, max = 8): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length }, () => min + (max - min) * next());
}

/** A random inverted residual block (fused-block specs): shape, depthwise stride/dilation/padding, shortcut, tile height, seed. */
export interface BlockCase {
  n: number; h: number; w: number; inC: number; t: number; outC: number;
  stride: number; dilation: number; padding: Padding; residual: boolean; rows: number; seed: number;
}

/** Strides 1/2, dilations 1/2/4, every padding (named and explicit), t = 1/2/6, channel counts off the SIMD widths; a shortcut only at stride 1. */
export const blockCaseArb: fc.Arbitrary<BlockCase> = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 1, max: 14 }),
  w: fc.integer({ min: 1, max: 11 }),
  inC: fc.constantFrom(1, 3, 4, 5, 8, 16),
  t: fc.constantFrom(1, 2, 6),
  outC: fc.constantFrom(1, 4, 5, 8, 9, 24),
  stride: fc.constantFrom(1, 2),
  dilation: fc.constantFrom(1, 2, 4),
  padding: fc.oneof(
    fc.constantFrom<Padding>('symmetric', 'tf-same', 'valid'),
    fc.record({ top: fc.integer({ min: 0, max: 2 }), bottom: fc.integer({ min: 0, max: 2 }), left: fc.integer({ min: 0, max: 2 }), right: fc.integer({ min: 0, max: 2 }) }),
  ),
  residual: fc.boolean(),
  rows: fc.integer({ min: 1, max: 15 }),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
}).map((c) => ({ ...c, residual: c.residual && c.stride === 1 }));
