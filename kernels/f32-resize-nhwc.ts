// SPDX-License-Identifier: Apache-2.0
/**
 * Spatial resize of an NHWC tensor: bilinear and nearest-neighbour, with the three coordinate
 * conventions that make "the same resize" differ between TensorFlow, TFLite, PyTorch and tfjs.
 * Used by image preprocessing (source image → network input) and by Mobile DeepLabv3 (logits
 * 17×17 / 33×33 / 65×65 → input size, `align_corners=True` in TF DeepLab).
 *
 *   out  [N, OH, OW, C]  written, never read; caller allocates; must not alias x
 *   x    [N, H, W, C]    NHWC (H = dims.inH, W = dims.inW, OH = dims.outH, OW = dims.outW)
 *   dims {n, inH, inW, c, outH, outW}, all positive integers
 *
 * Coordinate mapping, per axis, from an output index d ∈ [0, out) to a source coordinate s
 * (in input pixel units, pixel i's centre at s = i):
 *
 *   'align-corners'  s = d·(in − 1)/(out − 1); s = 0 when out = 1.
 *                    The corner pixel centres coincide: d = 0 → 0 and d = out − 1 → in − 1.
 *                    When (out − 1) is a multiple of (in − 1), every input pixel is hit exactly
 *                    (e.g. DeepLab 17 → 257, 33 → 513). TF `align_corners=True`,
 *                    PyTorch `align_corners=True`, tfjs `alignCorners=true`.
 *   'half-pixel'     s = (d + 0.5)·in/out − 0.5, then s = max(s, 0) for bilinear.
 *                    TF2 `tf.image.resize` (half_pixel_centers=True), PyTorch
 *                    `align_corners=False` when called with `size=` (with `scale_factor=` and no
 *                    recompute PyTorch uses 1/scale_factor instead of in/out), ONNX 'half_pixel',
 *                    TFLite RESIZE_BILINEAR with half_pixel_centers. The clamp at 0 is what TF and
 *                    PyTorch do (TF floors to −1 and then clamps the index, which is the same).
 *   'asymmetric'     s = d·in/out. TF1 legacy `resize_bilinear(align_corners=False)`
 *                    (half_pixel_centers=False), tfjs `alignCorners=false`, what the TFLite
 *                    converter emitted for years, ONNX 'asymmetric'.
 *
 * Bilinear: i0 = floor(s), i1 = min(i0 + 1, in − 1), f = s − i0 (so past the last pixel centre
 *   the edge pixel is repeated: edge clamping; no padding value is ever read), and
 *   out = (1 − fy)·((1 − fx)·x[y0,x0] + fx·x[y0,x1]) + fy·((1 − fx)·x[y1,x0] + fx·x[y1,x1]).
 *   Each s is computed from integers with ONE float64 division ((d·(in−1))/(out−1),
 *   ((2d+1)·in − out)/(2·out), (d·in)/out), so exact grid points give f = 0 exactly; the
 *   interpolation runs in float64 and is rounded to float32 once, on store. Hence the result is a
 *   convex combination of its 4 taps: it lies within [min, max] of the input and a constant image
 *   stays exactly constant. (TF, TFLite and PyTorch compute s and the weights in float32, so they
 *   differ from this by a few float32 ulps; see spec/kernels/resize.spec.ts for the measured
 *   bound.)
 *
 * Nearest: the source index is chosen per mode exactly as TFLite's reference
 *   RESIZE_NEAREST_NEIGHBOR (`GetNearestNeighbor` in reference_ops), TF's ResizeNearestNeighbor
 *   and PyTorch do it — including their float32 arithmetic, which is emulated with Math.fround so
 *   that the chosen index matches them bit for bit even at exact ties:
 *     'align-corners'  i = min(roundHalfAwayFromZero(d · scale), in − 1), scale = f32((in−1)/(out−1))
 *                      (scale = f32(in/out) when out = 1, i.e. i = 0)
 *     'half-pixel'     i = max(min(floor((d + 0.5) · scale), in − 1), 0), scale = f32(in/out)
 *                      (= PyTorch 'nearest-exact', TF2 tf.image.resize 'nearest'). Note there is
 *                      NO −0.5 here: floor((d+0.5)·in/out) is round-half-up of the half-pixel s.
 *     'asymmetric'     i = min(floor(d · scale), in − 1), scale = f32(in/out)
 *                      (= PyTorch legacy 'nearest', tfjs resizeNearestNeighbor default, TF1).
 *   where every product is rounded to float32. In exact rational arithmetic the three rules are
 *   the same; float32 only changes the index when d·scale lands exactly on an integer (or .5)
 *   and in/out is not representable — precisely the cases where "matching TFLite" matters.
 *
 * NaN/Inf: bilinear reads all 4 taps even when a weight is 0 (as PyTorch and TF do), so a NaN in
 *   any tap read, or an ±Inf multiplied by a zero weight, gives NaN. Nearest copies values as is.
 * Precision: bilinear exact to float32 rounding of the float64 result (≤ 0.5 ulp + ~1e-16 rel.);
 *   nearest is exact (a copy).
 */
import { checkDims, checkLength, KernelArgumentError } from './check.js';

/** How output pixel indices map back to input coordinates (see the file header). */
export type ResizeCoordinateMode = 'align-corners' | 'half-pixel' | 'asymmetric';

/** Sizes of a resize: x [N, inH, inW, C] → out [N, outH, outW, C]. */
export interface ResizeDims {
  readonly n: number;
  readonly inH: number;
  readonly inW: number;
  readonly c: number;
  readonly outH: number;
  readonly outW: number;
}

/** The sampling grids, the one list every resize (kernels, backends, plans, preprocessing, CLI) checks against. */
export const RESIZE_COORDINATE_MODES: readonly ResizeCoordinateMode[] = Object.freeze(['align-corners', 'half-pixel', 'asymmetric']);

function checkResizeArgs(kernel: string, out: Float32Array, x: Float32Array, dims: ResizeDims, mode: ResizeCoordinateMode): void {
  checkDims(kernel, { n: dims.n, inH: dims.inH, inW: dims.inW, c: dims.c, outH: dims.outH, outW: dims.outW });
  if (!RESIZE_COORDINATE_MODES.includes(mode)) {
    throw new KernelArgumentError(`${kernel}: unknown coordinate mode ${JSON.stringify(mode)}; expected one of ${RESIZE_COORDINATE_MODES.map((m) => `'${m}'`).join(', ')}`);
  }
  checkLength(x, { N: dims.n, H: dims.inH, W: dims.inW, C: dims.c }, `${kernel}: x`);
  checkLength(out, { N: dims.n, OH: dims.outH, OW: dims.outW, C: dims.c }, `${kernel}: out`);
  if (out.buffer === x.buffer && out.byteOffset < x.byteOffset + x.byteLength && x.byteOffset < out.byteOffset + out.byteLength) {
    throw new KernelArgumentError(`${kernel}: out must not overlap x`);
  }
}

/**
 * Bilinear source coordinate of output index d along one axis (float64, one division), before
 * flooring. Exported for tests and for mapping coordinates (e.g. masks) in src/.
 */
export function resizeSourceCoord(d: number, inSize: number, outSize: number, mode: ResizeCoordinateMode): number {
  switch (mode) {
    case 'align-corners':
      return outSize === 1 ? 0 : (d * (inSize - 1)) / (outSize - 1);
    case 'half-pixel': {
      const s = ((2 * d + 1) * inSize - outSize) / (2 * outSize);
      return s < 0 ? 0 : s;
    }
    case 'asymmetric':
      return (d * inSize) / outSize;
  }
}

/** Round half away from zero (C `roundf`, TfLiteRound); inputs here are ≥ 0. */
function roundHalfAway(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

/**
 * Nearest-neighbour source index of output index d along one axis, with TFLite/TF/PyTorch's
 * float32 arithmetic (see the file header). Exported for tests and src/.
 */
export function resizeNearestIndex(d: number, inSize: number, outSize: number, mode: ResizeCoordinateMode): number {
  const f = Math.fround;
  let i: number;
  switch (mode) {
    case 'align-corners': {
      const scale = outSize > 1 ? f((inSize - 1) / (outSize - 1)) : f(inSize / outSize);
      i = roundHalfAway(f(f(d) * scale));
      break;
    }
    case 'half-pixel': {
      const scale = f(inSize / outSize);
      i = Math.max(Math.floor(f(f(d + 0.5) * scale)), 0);
      break;
    }
    case 'asymmetric': {
      const scale = f(inSize / outSize);
      i = Math.floor(f(f(d) * scale));
      break;
    }
  }
  return Math.min(i, inSize - 1);
}

/** Bilinear resize, NHWC, float64 interpolation rounded once. See the file header. */
export function f32ResizeBilinearNhwc(out: Float32Array, x: Float32Array, dims: ResizeDims, mode: ResizeCoordinateMode): void {
  checkResizeArgs('resizeBilinear', out, x, dims, mode);
  const { n: batch, inH, inW, c: channels, outH, outW } = dims;
  const rowStride = inW * channels;
  const imageStride = inH * rowStride;

  for (let n = 0; n < batch; n++) {
    const xBase = n * imageStride;
    for (let oy = 0; oy < outH; oy++) {
      const sy = resizeSourceCoord(oy, inH, outH, mode);
      const y0 = Math.floor(sy);
      const y1 = y0 + 1 < inH ? y0 + 1 : inH - 1;
      const fy = sy - y0;
      const gy = 1 - fy;
      const row0 = xBase + y0 * rowStride;
      const row1 = xBase + y1 * rowStride;
      let o = ((n * outH + oy) * outW) * channels;
      for (let ox = 0; ox < outW; ox++) {
        const sx = resizeSourceCoord(ox, inW, outW, mode);
        const x0 = Math.floor(sx);
        const x1 = x0 + 1 < inW ? x0 + 1 : inW - 1;
        const fx = sx - x0;
        const gx = 1 - fx;
        const p00 = row0 + x0 * channels;
        const p01 = row0 + x1 * channels;
        const p10 = row1 + x0 * channels;
        const p11 = row1 + x1 * channels;
        for (let c = 0; c < channels; c++) {
          const top = gx * x[p00 + c] + fx * x[p01 + c];
          const bottom = gx * x[p10 + c] + fx * x[p11 + c];
          out[o++] = gy * top + fy * bottom;
        }
      }
    }
  }
}

/** Nearest-neighbour resize, NHWC, TFLite/TF/PyTorch index rules. See the file header. */
export function f32ResizeNearestNhwc(out: Float32Array, x: Float32Array, dims: ResizeDims, mode: ResizeCoordinateMode): void {
  checkResizeArgs('resizeNearest', out, x, dims, mode);
  const { n: batch, inH, inW, c: channels, outH, outW } = dims;
  const rowStride = inW * channels;
  const imageStride = inH * rowStride;

  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      const row = n * imageStride + resizeNearestIndex(oy, inH, outH, mode) * rowStride;
      let o = ((n * outH + oy) * outW) * channels;
      for (let ox = 0; ox < outW; ox++) {
        const p = row + resizeNearestIndex(ox, inW, outW, mode) * channels;
        for (let c = 0; c < channels; c++) out[o++] = x[p + c];
      }
    }
  }
}
