// SPDX-License-Identifier: Apache-2.0
/**
 * The one interface src/model talks to. Every backend (scalar oracle, optimised TS, WASM SIMD,
 * worker_threads) implements the same layer operations with the same buffers and geometry as the
 * scalar kernels in kernels/, so every network and head runs on every backend.
 *
 * Only the network's layers are here. Post-processing (classifier softmax, SSD's sigmoid and box
 * decoding, argmax) is cheap, runs once per image on the network's output and calls the scalar
 * kernels directly in every arithmetic: one way, never a backend op that some callers skip.
 */
import type { Conv2dGeometry } from '../../kernels/geometry.js';
import type { Clamp } from '../../kernels/clamp.js';

import type { ConvDims, DepthwiseDims, MatrixDims, PointwiseDims, PoolDims } from '../../kernels/dims.js';
import type { ResizeCoordinateMode, ResizeDims } from '../../kernels/f32-resize-nhwc.js';
import type { InvertedResidualDims, InvertedResidualWeights } from '../../kernels/f32-inverted-residual-nhwc.js';

// The dims types are the kernels' own (declared once, in kernels/), re-exported for the layers above.
export type { ConvDims, DepthwiseDims, MatrixDims, PointwiseDims, PoolDims, ResizeDims };
/** What a backend's fused-block scratch depends on: input channels, expanded channels, whether there is an expansion conv. */
export interface InvertedResidualScratchDims {
  readonly inC: number;
  readonly hidden: number;
  readonly expand: boolean;
}

/** The stem trick's one-call block (Backend.stemInvertedResidual): batch, image channels, the stem's output channels (= the t = 1 block's), the block's output channels. */
export interface StemBottleneckDims {
  readonly n: number;
  readonly imageC: number;
  readonly hidden: number;
  readonly outC: number;
}

/** The stem conv (OHWI [HID, KH, KW, C]) and the t = 1 bottleneck's depthwise and projection. */
export interface StemBottleneckWeights {
  readonly stem: { readonly w: Float32Array; readonly bias: Float32Array | null };
  readonly depthwise: { readonly w: Float32Array; readonly bias: Float32Array | null };
  readonly project: { readonly w: Float32Array; readonly bias: Float32Array | null };
}

/** Bilinear sampling grid: 'align-corners' (src = dst·(in−1)/(out−1)), 'half-pixel' (src = (dst+½)·in/out − ½), 'asymmetric' (TF legacy, src = dst·in/out). */
export type ResizeMode = ResizeCoordinateMode;
export interface ConcatPart { readonly data: Float32Array; readonly channels: number }

export interface Backend {
  readonly name: string;
  /** Resolves once the backend can run (WASM compiled, workers started). */
  init(): Promise<void>;
  /** General k×k conv: x [N,H,W,IC], w [OC,KH,KW,IC] → out [N,OH,OW,OC]. */
  conv2d(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, dims: ConvDims, g: Conv2dGeometry, clamp: Clamp | null): void;
  /** Depthwise conv, multiplier 1: x [N,H,W,C], w [KH,KW,C] → out [N,OH,OW,C]. */
  depthwiseConv2d(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, dims: DepthwiseDims, g: Conv2dGeometry, clamp: Clamp | null): void;
  /** 1×1 conv as a GEMM: x [P,IC], w [OC,IC] → out [P,OC]. */
  pointwiseConv(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, dims: PointwiseDims, clamp: Clamp | null): void;
  /** out = a + b (residual shortcut); out may alias a or b. */
  add(out: Float32Array, a: Float32Array, b: Float32Array, length: number): void;
  /** x [N,H,W,C] → out [N,C]. */
  globalAvgPool(out: Float32Array, x: Float32Array, dims: PoolDims): void;
  /** x [N,IC], w [OC,IC] → out [N,OC]. */
  fullyConnected(out: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, dims: ConvDims, clamp: Clamp | null): void;
  /** Bilinear resize x [N,H,W,C] → out [N,OH,OW,C] (DeepLab's image pooling and final upsampling). */
  resizeBilinear(out: Float32Array, x: Float32Array, dims: ResizeDims, mode: ResizeMode): void;
  /** Channel concatenation of NHWC tensors with `pixels` = N·H·W each → out [pixels, ΣC]. */
  concatChannels(out: Float32Array, parts: readonly ConcatPart[], pixels: number): void;
  /** Releases workers and memory; the backend is unusable afterwards. */
  dispose(): void;
  /**
   * Optional zero-copy scope (backends that own their memory, e.g. WASM): between beginScope() and
   * the matching endScope(), scratch(length) returns a view into the backend's memory with
   * undefined contents, which the layer operations use in place instead of copying in and out.
   * Views are invalid after endScope(); callers copy what they keep.
   */
  beginScope?(): void;
  scratch?(length: number): Float32Array;
  endScope?(): void;
  /**
   * Optional fused inverted residual block (paper §5.1, kernels/f32-inverted-residual-nhwc.ts):
   * expansion 1×1 + ReLU6 → depthwise + ReLU6 → projection (→ + x) in row tiles of `rows` output
   * rows, in one call, the expanded tensor never materialised. BIT-IDENTICAL to this backend's own
   * pointwiseConv → depthwiseConv2d → pointwiseConv (→ add). `scratch` holds
   * invertedResidualScratchLength(…) floats (every thread's band and tile; contents undefined).
   */
  invertedResidual?(out: Float32Array, x: Float32Array, weights: InvertedResidualWeights, dims: InvertedResidualDims, g: Conv2dGeometry, rows: number, scratch: Float32Array): void;
  /** Scratch floats invertedResidual needs for this block and tiling (with or without an expansion conv). */
  invertedResidualScratchLength?(dims: InvertedResidualScratchDims, g: Conv2dGeometry, rows: number): number;
  /**
   * Optional: the stem trick in one call — the stem conv `sg` (ReLU6) on `image` [N, H, W, C] as the
   * expansion of the t = 1 bottleneck after it (depthwise `g` 3×3 + ReLU6 on the stem's output,
   * projection, no shortcut) → out [N, OH, OW, OC]; the stem's output is never materialised.
   * Bit-identical to conv2d then invertedResidual on the same backend. `scratch`: exactly
   * stemInvertedResidualScratchLength(…) floats.
   */
  stemInvertedResidual?(out: Float32Array, image: Float32Array, weights: StemBottleneckWeights, dims: StemBottleneckDims, sg: Conv2dGeometry, g: Conv2dGeometry, rows: number, scratch: Float32Array): void;
  stemInvertedResidualScratchLength?(dims: StemBottleneckDims, sg: Conv2dGeometry, g: Conv2dGeometry, rows: number): number;
}
