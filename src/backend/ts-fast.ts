// SPDX-License-Identifier: Apache-2.0
/**
 * The ts-fast backend: plain TypeScript, single thread, runs everywhere JavaScript does (the
 * fallback when WebAssembly SIMD is unavailable). Register-blocked pointwise GEMM and fully
 * connected (kernels/f32-pwconv-nhwc-fast.ts), channel-outer sliding-window depthwise 3×3
 * (kernels/f32-dwconv2d-nhwc-fast.ts), an output-channel-blocked general conv for the stem
 * (kernels/f32-conv2d-nhwc-fast.ts); separable bilinear resize and block-copy concat
 * (fast-resize-concat.ts, DeepLab's upsampling); the remaining ops (add, pooling, softmax,
 * non-3×3 depthwise) are memory-bound or rare and stay on the scalar kernels.
 *
 * Every fast kernel sums in float64 in the oracle's order, so this backend's results are
 * bit-identical to the scalar backend's (specs check it).
 *
 * Packed weights are cached per weight buffer (WeakMap keyed by the Float32Array's identity): the
 * first call with a weight buffer packs it, later calls reuse the copy. Weights must therefore
 * not be mutated in place after their first use (the model never does; load new weights into new
 * arrays instead).
 */
import type { Backend, ConvDims, PointwiseDims } from './backend.js';
import { f32DwConv2dNhwc } from '../../kernels/f32-dwconv2d-nhwc.js';
import { f32Add } from '../../kernels/f32-add.js';
import { f32GlobalAvgPoolNhwc } from '../../kernels/f32-gavgpool-nhwc.js';
import { fastConcatChannelsNhwc, fastResizeBilinearNhwc } from './fast-resize-concat.js';
import { checkDims, checkLength } from '../../kernels/check.js';
import { f32PwConvNhwc_4x4, packF32PwWeights4 } from '../../kernels/f32-pwconv-nhwc-fast.js';
import { f32DwConv2dNhwc_k3 } from '../../kernels/f32-dwconv2d-nhwc-fast.js';
import { f32Conv2dNhwc_c4, packF32ConvWeights4 } from '../../kernels/f32-conv2d-nhwc-fast.js';
import { f32InvertedResidualNhwc, invertedResidualScratchLength, type InvertedResidualOps } from '../../kernels/f32-inverted-residual-nhwc.js';

interface Packed {
  readonly key: string;
  readonly data: Float64Array;
}

/** Packed copies of weight buffers, keyed by identity; `key` guards against reuse with other dims. */
export class PackCache {
  private map = new WeakMap<Float32Array, Packed>();

  get(w: Float32Array, key: string, pack: () => Float64Array): Float64Array {
    const hit = this.map.get(w);
    if (hit !== undefined && hit.key === key) return hit.data;
    const data = pack();
    this.map.set(w, { key, data });
    return data;
  }

  clear(): void {
    this.map = new WeakMap();
  }
}

export function createTsFastBackend(): Backend {
  const cache = new PackCache();

  const pointwise = (out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, dims: PointwiseDims, clamp: Parameters<Backend['pointwiseConv']>[5], what: string): void => {
    checkDims(what, { inC: dims.inC, outC: dims.outC });
    checkLength(w, { OC: dims.outC, IC: dims.inC }, `${what}: w`);
    const packed = cache.get(w, `pw4:${dims.outC}x${dims.inC}`, () => packF32PwWeights4(w, dims.outC, dims.inC));
    f32PwConvNhwc_4x4(out, x, packed, bias, dims, clamp);
  };

  const depthwise: Backend['depthwiseConv2d'] = (out, x, w, bias, dims, g, clamp) => {
    if (g.kH === 3 && g.kW === 3) f32DwConv2dNhwc_k3(out, x, w, bias, dims, g, clamp);
    else f32DwConv2dNhwc(out, x, w, bias, dims, g, clamp);
  };
  // The fused block's per-tile kernels: this backend's own (same float64 order as the scalar oracle).
  const blockOps: InvertedResidualOps = {
    pointwise: (out, x, w, bias, dims, clamp) => pointwise(out, x, w, bias, dims, clamp, 'inverted-residual'),
    depthwise,
    add: f32Add,
  };

  return {
    name: 'ts-fast',
    init: async () => {},
    conv2d: (out, x, w, bias, dims: ConvDims, g, clamp) => {
      checkDims('conv2d', { inC: dims.inC, outC: dims.outC });
      checkLength(w, { OC: dims.outC, KH: g.kH, KW: g.kW, IC: dims.inC }, 'conv2d: w');
      const packed = cache.get(w, `conv4:${dims.outC}x${g.kH}x${g.kW}x${dims.inC}`, () => packF32ConvWeights4(w, dims.outC, g.kH, g.kW, dims.inC));
      f32Conv2dNhwc_c4(out, x, packed, bias, dims, g, clamp);
    },
    depthwiseConv2d: depthwise,
    pointwiseConv: (out, x, w, bias, dims, clamp) => pointwise(out, x, w, bias, dims, clamp, 'pwconv'),
    add: (out, a, b, length) => f32Add(out, a, b, length),
    globalAvgPool: (out, x, dims) => f32GlobalAvgPoolNhwc(out, x, dims),
    // FC is a pointwise conv over N "pixels" (same [OC, IC] weight layout, same float64 order).
    fullyConnected: (out, x, w, bias, dims, clamp) => {
      checkDims('fully-connected', { n: dims.n });
      pointwise(out, x, w, bias, { pixels: dims.n, inC: dims.inC, outC: dims.outC }, clamp, 'fully-connected');
    },
    resizeBilinear: (out, x, dims, mode) => fastResizeBilinearNhwc(out, x, dims, mode),
    concatChannels: (out, parts, pixels) => fastConcatChannelsNhwc(out, parts, pixels),
    // One call per block: the row-tiled driver with the fast kernels called directly on each tile
    // (single thread; bit-identical to the layer path and to the scalar oracle).
    invertedResidual: (out, x, weights, dims, g, rows, scratch) => f32InvertedResidualNhwc(out, x, weights, dims, g, rows, scratch, blockOps),
    invertedResidualScratchLength: (dims, g, rows) => invertedResidualScratchLength(dims, g, rows),
    dispose: () => cache.clear(),
  };
}
