// SPDX-License-Identifier: Apache-2.0
/**
 * Entry checks shared by every kernel. A kernel validates its dims, geometry, clamp and the length of
 * every buffer BEFORE its loops, so a wrong shape is a one-line error instead of a silent
 * out-of-bounds read (typed arrays return `undefined` → NaN there, which would poison the result
 * far from the cause). Messages name the kernel, the buffer and the expected shape:
 *
 *   conv2d: w has 863 elements, expected [OC=32, KH=3, KW=3, IC=3] = 864
 */
import { conv2dGeometry, GeometryError, type Conv2dGeometry } from './geometry.js';
import type { Clamp } from './clamp.js';

/** A buffer's length does not match its declared shape, or a dim/geometry is malformed. */
export class KernelShapeError extends RangeError {
  override name = 'KernelShapeError';
}

/** A non-shape argument is invalid (a clamp with min > max, a NaN or missing BN epsilon…). */
export class KernelArgumentError extends RangeError {
  override name = 'KernelArgumentError';
}

/** Any buffer the entry checks measure: float or quantized typed arrays alike. */
export type Sized = { readonly length: number };

/** Named axes in order, e.g. `{ OC: 32, KH: 3, KW: 3, IC: 3 }`; printed as `[OC=32, KH=3, KW=3, IC=3]`. */
export type NamedShape = Readonly<Record<string, number>>;

function shapeSize(shape: NamedShape): number {
  let size = 1;
  for (const extent of Object.values(shape)) size *= extent;
  return size;
}

function formatExpected(expected: number | NamedShape): string {
  if (typeof expected === 'number') return String(expected);
  const axes = Object.entries(expected).map(([axis, extent]) => `${axis}=${extent}`);
  return `[${axes.join(', ')}] = ${shapeSize(expected)}`;
}

/**
 * Throws KernelShapeError unless `arr.length` equals `expected` (a count, or a named shape whose
 * product is the count). `what` names the kernel and buffer, e.g. "conv2d: w". Lengths must match
 * exactly: a caller that keeps tensors in a larger arena passes `arena.subarray(start, end)` (a view,
 * no copy), so a too-long buffer is as much a bug as a too-short one.
 */
export function checkLength(arr: { readonly length: number }, expected: number | NamedShape, what: string): void {
  const count = typeof expected === 'number' ? expected : shapeSize(expected);
  if (arr.length !== count) {
    throw new KernelShapeError(`${what} has ${arr.length} elements, expected ${formatExpected(expected)}`);
  }
}

/** Throws KernelShapeError unless every dim is a positive integer. `kernel` is e.g. "conv2d". */
export function checkDims(kernel: string, dims: NamedShape): void {
  for (const [name, value] of Object.entries(dims)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new KernelShapeError(`${kernel}: dims.${name} must be a positive integer, got ${String(value)}`);
    }
  }
}

/**
 * Throws KernelShapeError unless `g` is exactly what conv2dGeometry returns for its own fields and
 * pads. Geometries are plain objects, so a hand-built one could claim an output size its padding
 * does not produce; re-deriving it through conv2dGeometry keeps the padding arithmetic in one place.
 */
export function checkGeometry(kernel: string, g: Conv2dGeometry): void {
  let derived: Conv2dGeometry;
  try {
    derived = conv2dGeometry({
      inH: g.inH,
      inW: g.inW,
      kH: g.kH,
      kW: g.kW,
      stride: [g.strideH, g.strideW],
      dilation: [g.dilationH, g.dilationW],
      padding: g.pad,
    });
  } catch (e) {
    if (e instanceof GeometryError) throw new KernelShapeError(`${kernel}: invalid geometry: ${e.message}`);
    throw e;
  }
  if (derived.outH !== g.outH || derived.outW !== g.outW) {
    throw new KernelShapeError(
      `${kernel}: geometry says output ${g.outH}x${g.outW} but its input, kernel, stride, dilation and pads give ${derived.outH}x${derived.outW}`,
    );
  }
}

/** Throws KernelArgumentError unless `clamp` is null or has non-NaN bounds with min ≤ max. */
export function checkClamp(kernel: string, clamp: Clamp | null): void {
  if (clamp === null) return;
  const { min, max } = clamp;
  if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max) || min > max) {
    throw new KernelArgumentError(`${kernel}: clamp needs numbers min <= max, got {min: ${String(min)}, max: ${String(max)}}`);
  }
}

/**
 * The shared entry checks of a k×k conv kernel (scalar or fast): dims, geometry, clamp, and the
 * lengths of x [N, H, W, IC], bias [OC] and out [N, OH, OW, OC]. Each kernel checks its own
 * weight layout (OHWI, or a packed form) itself.
 */
export function checkConvIo(
  kernel: string, out: Sized, x: Sized, bias: Sized | null,
  dims: { readonly n: number; readonly inC: number; readonly outC: number }, g: Conv2dGeometry, clamp: Clamp | null,
): void {
  checkDims(kernel, { n: dims.n, inC: dims.inC, outC: dims.outC });
  checkGeometry(kernel, g);
  checkClamp(kernel, clamp);
  checkLength(x, { N: dims.n, H: g.inH, W: g.inW, IC: dims.inC }, `${kernel}: x`);
  if (bias !== null) checkLength(bias, { OC: dims.outC }, `${kernel}: bias`);
  checkLength(out, { N: dims.n, OH: g.outH, OW: g.outW, OC: dims.outC }, `${kernel}: out`);
}

/** The entry checks of a depthwise kernel: dims, geometry, clamp, x [N, H, W, C], w [KH, KW, C], bias [C], out [N, OH, OW, C]. */
export function checkDepthwiseArgs(
  kernel: string, out: Sized, x: Sized, w: Sized, bias: Sized | null,
  dims: { readonly n: number; readonly channels: number }, g: Conv2dGeometry, clamp: Clamp | null,
): void {
  checkDims(kernel, { n: dims.n, channels: dims.channels });
  checkGeometry(kernel, g);
  checkClamp(kernel, clamp);
  const C = dims.channels;
  checkLength(x, { N: dims.n, H: g.inH, W: g.inW, C }, `${kernel}: x`);
  checkLength(w, { KH: g.kH, KW: g.kW, C }, `${kernel}: w`);
  if (bias !== null) checkLength(bias, { C }, `${kernel}: bias`);
  checkLength(out, { N: dims.n, OH: g.outH, OW: g.outW, C }, `${kernel}: out`);
}

/** The entry checks of a matrix-product kernel (pointwise 1×1 conv, fully connected): x [rows, IC], w [OC, IC], bias [OC], out [rows, OC]. */
export function checkMatmulArgs(
  kernel: string, out: Sized, x: Sized, w: Sized, bias: Sized | null,
  rows: { readonly name: 'P' | 'N'; readonly count: number }, inC: number, outC: number, clamp: Clamp | null,
): void {
  checkDims(kernel, { [rows.name === 'P' ? 'pixels' : 'n']: rows.count, inC, outC });
  checkClamp(kernel, clamp);
  checkLength(x, { [rows.name]: rows.count, IC: inC }, `${kernel}: x`);
  checkLength(w, { OC: outC, IC: inC }, `${kernel}: w`);
  if (bias !== null) checkLength(bias, { OC: outC }, `${kernel}: bias`);
  checkLength(out, { [rows.name]: rows.count, OC: outC }, `${kernel}: out`);
}
