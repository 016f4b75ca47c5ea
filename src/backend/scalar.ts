// SPDX-License-Identifier: Apache-2.0
/**
 * The scalar backend: calls the oracle kernels in kernels/ directly. It is the definition every
 * other backend is tested against — slow, simple, float64 accumulation with one rounding per output.
 */
import type { Backend } from './backend.js';
import { f32Conv2dNhwc } from '../../kernels/f32-conv2d-nhwc.js';
import { f32DwConv2dNhwc } from '../../kernels/f32-dwconv2d-nhwc.js';
import { f32PwConvNhwc } from '../../kernels/f32-pwconv-nhwc.js';
import { f32Add } from '../../kernels/f32-add.js';
import { f32GlobalAvgPoolNhwc } from '../../kernels/f32-gavgpool-nhwc.js';
import { f32FullyConnected } from '../../kernels/f32-fully-connected.js';
import { f32ResizeBilinearNhwc } from '../../kernels/f32-resize-nhwc.js';
import { f32ConcatChannelsNhwc } from '../../kernels/f32-concat-nhwc.js';

export function createScalarBackend(): Backend {
  return {
    name: 'scalar',
    init: async () => {},
    conv2d: (out, x, w, bias, dims, g, clamp) => f32Conv2dNhwc(out, x, w, bias, dims, g, clamp),
    depthwiseConv2d: (out, x, w, bias, dims, g, clamp) => f32DwConv2dNhwc(out, x, w, bias, dims, g, clamp),
    pointwiseConv: (out, x, w, bias, dims, clamp) => f32PwConvNhwc(out, x, w, bias, dims, clamp),
    add: (out, a, b, length) => f32Add(out, a, b, length),
    globalAvgPool: (out, x, dims) => f32GlobalAvgPoolNhwc(out, x, dims),
    fullyConnected: (out, x, w, bias, dims, clamp) => f32FullyConnected(out, x, w, bias, dims, clamp),
    resizeBilinear: (out, x, dims, mode) => f32ResizeBilinearNhwc(out, x, dims, mode),
    concatChannels: (out, parts, pixels) => f32ConcatChannelsNhwc(out, parts, pixels),
    dispose: () => {},
  };
}
