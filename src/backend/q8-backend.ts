// SPDX-License-Identifier: Apache-2.0
/**
 * The integer (8-bit quantized) counterpart of Backend: the layer operations of a quantized
 * MobileNetV2 with exactly the arguments of the scalar q8 kernels in kernels/ (same buffers,
 * geometry and quantization parameters). The scalar kernels are the definition; a fast backend
 * (WASM SIMD, worker pool) implements the same operations and must give bit-identical results for
 * every requantization convention and every thread count.
 *
 * Only the heavy operations are here (the convolutions, the residual ADD, and the bilinear resize:
 * Mobile DeepLabv3 upsamples its logits to the full input size, millions of values): pooling,
 * concatenation, softmax and argmax are cheap and run on the scalar kernels in every arithmetic.
 */
import type { Conv2dGeometry } from '../../kernels/geometry.js';
import type { ConvDims, DepthwiseDims, PointwiseDims } from '../../kernels/dims.js';
import type { Q8Array } from '../../kernels/q8-check.js';
import { q8Conv2dNhwc, type Q8ConvParams } from '../../kernels/q8-conv2d-nhwc.js';
import { q8DwConv2dNhwc } from '../../kernels/q8-dwconv2d-nhwc.js';
import { q8PwConvNhwc } from '../../kernels/q8-fully-connected.js';
import { q8Add, type Q8AddParams } from '../../kernels/q8-add.js';
import { q8ResizeBilinearNhwc } from '../../kernels/q8-resize-bilinear-nhwc.js';
import type { ResizeCoordinateMode, ResizeDims } from '../../kernels/f32-resize-nhwc.js';
import type { Requantization } from '../../kernels/q-requantize.js';

export type { Q8Array, Q8AddParams, Q8ConvParams };

export interface Q8Backend {
  readonly name: string;
  /** Resolves once the backend can run (WASM compiled, workers started). */
  init(): Promise<void>;
  /** General k×k conv: x [N,H,W,IC], w [OC,KH,KW,IC] → out [N,OH,OW,OC] (kernels/q8-conv2d-nhwc.ts). */
  conv2d(out: Q8Array, x: Q8Array, w: Q8Array, bias: Int32Array | null, dims: ConvDims, g: Conv2dGeometry, q: Q8ConvParams): void;
  /** Depthwise conv, multiplier 1: x [N,H,W,C], w [1,KH,KW,C] → out [N,OH,OW,C] (kernels/q8-dwconv2d-nhwc.ts). */
  depthwiseConv2d(out: Q8Array, x: Q8Array, w: Q8Array, bias: Int32Array | null, dims: DepthwiseDims, g: Conv2dGeometry, q: Q8ConvParams): void;
  /** 1×1 conv as a GEMM: x [P,IC], w [OC,IC] → out [P,OC] (kernels/q8-fully-connected.ts). */
  pointwiseConv(out: Q8Array, x: Q8Array, w: Q8Array, bias: Int32Array | null, dims: PointwiseDims, q: Q8ConvParams): void;
  /** Residual ADD with its own scales (kernels/q8-add.ts); out may alias a or b. */
  add(out: Q8Array, a: Q8Array, b: Q8Array, length: number, p: Q8AddParams): void;
  /** Bilinear RESIZE_BILINEAR, same quantization in and out (kernels/q8-resize-bilinear-nhwc.ts). */
  resizeBilinear(out: Q8Array, x: Q8Array, dims: ResizeDims, mode: ResizeCoordinateMode, rounding: Requantization): void;
  /**
   * Optional zero-copy scope (backends that own their memory, e.g. WASM; as Backend.beginScope):
   * between beginScope() and the matching endScope(), scratch(type, length) returns an 8-bit view
   * into the backend's memory that ops read and write in place. Views are invalid after
   * endScope(); callers copy what they keep.
   */
  beginScope?(): void;
  scratch?(type: 'uint8' | 'int8', length: number): Q8Array;
  endScope?(): void;
  /** Releases workers and memory; the backend is unusable afterwards. */
  dispose(): void;
}

/** The definition: every operation is the scalar kernel itself. */
export function createScalarQ8Backend(): Q8Backend {
  return {
    name: 'scalar',
    init: async () => {},
    conv2d: q8Conv2dNhwc,
    depthwiseConv2d: q8DwConv2dNhwc,
    pointwiseConv: q8PwConvNhwc,
    add: q8Add,
    resizeBilinear: q8ResizeBilinearNhwc,
    dispose: () => {},
  };
}
