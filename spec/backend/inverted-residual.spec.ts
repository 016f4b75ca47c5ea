// SPDX-License-Identifier: Apache-2.0
/**
 * Each backend's own fused inverted residual block (Backend.invertedResidual: ts-fast's tiled
 * driver on its fast kernels, wasm-simd's one-call kernel kernels/wasm/f32-inverted-residual-nhwc.ts
 * on 1 and 2 threads, and on 2 threads while the pool runs blocks on the main thread alone) against
 *  (a) the SAME backend's layer-by-layer path on whole tensors: pointwiseConv (ReLU6) →
 *      depthwiseConv2d (ReLU6) → pointwiseConv → add — bit for bit, since the fused block promises
 *      the same arithmetic per element in the same order;
 *  (b) the scalar tiled definition f32InvertedResidualNhwc running that backend's layer kernels per
 *      tile — bit for bit;
 *  (c) ts-fast only: the scalar oracle's fused block — bit for bit (ts-fast sums in float64 in the
 *      oracle's order). wasm-simd sums in float32, so its distance to the float64 oracle is the one
 *      its layer kernels have, checked per layer with the derived bound in conformance.spec.ts; (a)
 *      carries that over to the fused block exactly.
 * Random block shapes: strides 1/2, dilations 1/2/4, every padding, residual or not, t = 1/2/6,
 * channel counts off the SIMD widths, batch 1/2, any tile height; plain arrays and zero-copy views.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv2dGeometry, type Conv2dGeometry, type Padding } from '../../kernels/geometry.js';
import { RELU6 } from '../../kernels/clamp.js';
import {
  f32InvertedResidualNhwc, invertedResidualScratchLength, SCALAR_INVERTED_RESIDUAL_OPS,
  type InvertedResidualDims, type InvertedResidualOps, type InvertedResidualWeights,
} from '../../kernels/f32-inverted-residual-nhwc.js';
import type { Backend } from '../../src/backend/backend.js';
import { createBackend } from '../../src/backend/create.js';
import { WasmSimdBackend } from '../../src/backend/wasm-simd.js';
import { data } from './support.js';
import { blockCaseArb, type BlockCase } from '../helpers/arbitraries.js';

interface Built { g: Conv2dGeometry; dims: InvertedResidualDims; weights: InvertedResidualWeights; x: Float32Array; rows: number }

function build(c: BlockCase): Built | null {
  let g: Conv2dGeometry;
  try {
    g = conv2dGeometry({ inH: c.h, inW: c.w, kH: 3, kW: 3, stride: c.stride, dilation: c.dilation, padding: c.padding });
  } catch {
    return null;
  }
  const outC = c.residual ? c.inC : c.outC;
  if (c.residual && (g.outH !== c.h || g.outW !== c.w)) return null;
  // Output rows whose taps are all padding (explicit pads beyond the kernel reach): no band, refused.
  for (let oh = 0; oh < g.outH; oh++) {
    const lo = oh * g.strideH - g.pad.top;
    if (Math.max(0, lo) > Math.min(c.h - 1, lo + 2 * g.dilationH)) return null;
  }
  const hidden = c.inC * c.t;
  let s = c.seed;
  // Weights large enough that both ReLU6 bounds clamp a good share of the values.
  const weights: InvertedResidualWeights = {
    expand: c.t === 1 ? null : { w: data(hidden * c.inC, s++, -1.5, 1.5), bias: data(hidden, s++, -1, 1) },
    depthwise: { w: data(9 * hidden, s++, -1.5, 1.5), bias: s % 4 === 0 ? null : data(hidden, s++, -1, 1) },
    project: { w: data(outC * hidden, s++, -1, 1), bias: s % 3 === 0 ? null : data(outC, s++, -1, 1) },
  };
  return {
    g, weights, x: data(c.n * c.h * c.w * c.inC, s++, -4, 4), rows: Math.min(c.rows, g.outH),
    dims: { n: c.n, inC: c.inC, hidden, outC, residual: c.residual },
  };
}

/** The backend's own layer kernels on whole tensors (what the runner's layer-by-layer path calls). */
function layerwise(be: Backend, b: Built): Float32Array {
  const { g, dims, weights: wt, x } = b;
  const { n, inC, hidden, outC } = dims;
  let e = x;
  if (wt.expand) {
    e = new Float32Array(n * g.inH * g.inW * hidden);
    be.pointwiseConv(e, x, wt.expand.w, wt.expand.bias, { pixels: n * g.inH * g.inW, inC, outC: hidden }, RELU6);
  }
  const d = new Float32Array(n * g.outH * g.outW * hidden);
  be.depthwiseConv2d(d, e, wt.depthwise.w, wt.depthwise.bias, { n, channels: hidden }, g, RELU6);
  const y = new Float32Array(n * g.outH * g.outW * outC);
  be.pointwiseConv(y, d, wt.project.w, wt.project.bias, { pixels: n * g.outH * g.outW, inC: hidden, outC }, null);
  if (dims.residual) be.add(y, y, x, y.length);
  return y;
}

function opsOf(be: Backend): InvertedResidualOps {
  return {
    pointwise: (o, a, w, bias, d, c) => be.pointwiseConv(o, a, w, bias, d, c),
    depthwise: (o, a, w, bias, d, g, c) => be.depthwiseConv2d(o, a, w, bias, d, g, c),
    add: (o, a, b, l) => be.add(o, a, b, l),
  };
}

function scalarTiled(b: Built, ops: InvertedResidualOps): Float32Array {
  const { g, dims, weights, x, rows } = b;
  const out = new Float32Array(dims.n * g.outH * g.outW * dims.outC);
  const scratch = new Float32Array(invertedResidualScratchLength({ hidden: dims.hidden, expand: weights.expand !== null }, g, rows));
  f32InvertedResidualNhwc(out, x, weights, dims, g, rows, scratch, ops);
  return out;
}

/** The backend's fused block; `views`: x, out and scratch live in its zero-copy scope. */
function fused(be: Backend, b: Built, views: boolean): Float32Array {
  const { g, dims, weights, x, rows } = b;
  const len = be.invertedResidualScratchLength!({ inC: dims.inC, hidden: dims.hidden, expand: weights.expand !== null }, g, rows);
  const outLen = dims.n * g.outH * g.outW * dims.outC;
  if (!views || !be.beginScope) {
    const out = new Float32Array(outLen);
    be.invertedResidual!(out, x, weights, dims, g, rows, new Float32Array(len));
    return out;
  }
  be.beginScope();
  try {
    const xv = be.scratch!(x.length);
    xv.set(x);
    const out = be.scratch!(outLen);
    be.invertedResidual!(out, xv, weights, dims, g, rows, be.scratch!(len));
    return out.slice();
  } finally {
    be.endScope!();
  }
}

function expectBitIdentical(got: Float32Array, want: Float32Array, what: string): void {
  expect(got.length).toBe(want.length);
  const ug = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const uw = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < ug.length; i++) {
    if (ug[i] !== uw[i]) throw new Error(`${what}: element ${i} differs: fused ${got[i]} vs ${want[i]}`);
  }
}

const caseArb = blockCaseArb;

const RUNS = Number(process.env.FUSED_BLOCK_RUNS ?? 120);

const UNDER_TEST = [
  { label: 'ts-fast', make: async (): Promise<Backend> => createBackend('ts-fast'), exactToOracle: true },
  { label: 'wasm-simd 1 thread', make: async (): Promise<Backend> => { const w = new WasmSimdBackend({ threads: 1 }); await w.init(); return w; }, exactToOracle: false },
  // adaptive: false, so the worker really takes tiles even while other processes load the machine.
  { label: 'wasm-simd 2 threads', make: async (): Promise<Backend> => { const w = new WasmSimdBackend({ threads: 2, adaptive: false }); await w.init(); return w; }, exactToOracle: false },
  // The pool's contention backoff, forced: every block runs on the main thread alone in the
  // one-thread tiling (taller tiles within the 2-slot scratch), a path of its own.
  { label: 'wasm-simd 2 threads, main thread alone', make: async (): Promise<Backend> => { const w = new WasmSimdBackend({ threads: 2 }); await w.init(); forceSolo(w); return w; }, exactToOracle: false },
];

/** Makes the backend's pool answer "run alone" as it does while other processes hold the cores. */
function forceSolo(w: WasmSimdBackend): void {
  const pool = (w as unknown as { pool: { claimSolo(): boolean } | null }).pool;
  if (pool === null) throw new Error('forceSolo: no pool');
  pool.claimSolo = () => true;
}

for (const u of UNDER_TEST) {
  describe(`${u.label}: invertedResidual (one call per block) ≡ its own layer-by-layer path, bit for bit`, () => {
    let be: Backend;
    beforeAll(async () => { be = await u.make(); });
    afterAll(() => be.dispose());

    it('random blocks: strides 1/2, dilations 1/2/4, every padding, residual or not, t = 1/2/6, any tile height', () => {
      let checked = 0;
      fc.assert(fc.property(caseArb, fc.boolean(), (c, views) => {
        const b = build(c);
        if (b === null) return;
        const what = `${u.label} ${JSON.stringify(c)}${views ? ' (views)' : ''}`;
        const got = fused(be, b, views);
        expectBitIdentical(got, layerwise(be, b), `${what} vs layer by layer`);
        expectBitIdentical(got, scalarTiled(b, opsOf(be)), `${what} vs the scalar tiling on this backend's kernels`);
        if (u.exactToOracle) expectBitIdentical(got, scalarTiled(b, SCALAR_INVERTED_RESIDUAL_OPS), `${what} vs the scalar oracle's fused block`);
        checked++;
      }), { numRuns: RUNS, seed: 1313 });
      expect(checked).toBeGreaterThan(RUNS / 3);
    });

    it('real MobileNetV2 blocks (1.0/224 features.2 stride 2, features.3 shortcut, the 7×7 blocks split by channels on 2 threads; DeepLab dilation 2) at small and large tiles', () => {
      for (const c of [
        { n: 1, h: 112, w: 112, inC: 16, t: 6, outC: 24, stride: 2, dilation: 1, padding: 'symmetric' as Padding, residual: false, rows: 3, seed: 7 },
        { n: 1, h: 56, w: 56, inC: 24, t: 6, outC: 24, stride: 1, dilation: 1, padding: 'symmetric' as Padding, residual: true, rows: 5, seed: 8 },
        { n: 2, h: 33, w: 33, inC: 64, t: 6, outC: 96, stride: 1, dilation: 2, padding: 'tf-same' as Padding, residual: false, rows: 33, seed: 9 },
        { n: 1, h: 112, w: 112, inC: 32, t: 1, outC: 16, stride: 1, dilation: 1, padding: 'symmetric' as Padding, residual: false, rows: 4, seed: 10 },
        { n: 1, h: 14, w: 14, inC: 96, t: 6, outC: 160, stride: 2, dilation: 1, padding: 'tf-same' as Padding, residual: false, rows: 7, seed: 11 },
        { n: 2, h: 7, w: 7, inC: 160, t: 6, outC: 160, stride: 1, dilation: 1, padding: 'symmetric' as Padding, residual: true, rows: 7, seed: 12 },
        { n: 1, h: 7, w: 7, inC: 160, t: 6, outC: 320, stride: 1, dilation: 1, padding: 'symmetric' as Padding, residual: false, rows: 2, seed: 13 },
      ]) {
        const b = build(c)!;
        const got = fused(be, b, true);
        expectBitIdentical(got, layerwise(be, b), `${u.label} ${c.h}x${c.w}x${c.inC} t${c.t}`);
      }
    });

    if (u.label.startsWith('wasm-simd 2 threads')) {
      const alone = u.label.endsWith('alone');
      it(alone ? 'the worker takes no tile (so the bits above come from the one-thread tiling)' : 'the worker takes tiles (so the 2-thread bits above come from both threads)', () => {
        const w = be as WasmSimdBackend;
        const before = w.threadStats().workerChunks;
        const b = build({ n: 1, h: 56, w: 56, inC: 24, t: 6, outC: 24, stride: 1, dilation: 1, padding: 'symmetric', residual: true, rows: 1, seed: 3 })!;
        for (let i = 0; i < 20; i++) fused(be, b, true);
        if (alone) expect(w.threadStats().workerChunks).toBe(before);
        else expect(w.threadStats().workerChunks).toBeGreaterThan(before);
        // A 7×7 block: split by channels with workers, by rows (one part) alone.
        const small = build({ n: 1, h: 7, w: 7, inC: 16, t: 6, outC: 16, stride: 1, dilation: 1, padding: 'symmetric', residual: true, rows: 7, seed: 4 })!;
        const mid = w.threadStats().workerChunks;
        for (let i = 0; i < 20; i++) fused(be, small, true);
        if (alone) expect(w.threadStats().workerChunks).toBe(mid);
        else expect(w.threadStats().workerChunks).toBeGreaterThan(mid);
      });
    }

    it('refuses a scratch of the wrong length, and out aliasing x', () => {
      const b = build({ n: 1, h: 8, w: 6, inC: 4, t: 6, outC: 4, stride: 1, dilation: 1, padding: 'symmetric', residual: true, rows: 3, seed: 2 })!;
      const out = new Float32Array(b.x.length);
      expect(() => be.invertedResidual!(out, b.x, b.weights, b.dims, b.g, 3, new Float32Array(7))).toThrow(/scratch/);
      const len = be.invertedResidualScratchLength!({ inC: b.dims.inC, hidden: b.dims.hidden, expand: true }, b.g, 3);
      expect(() => be.invertedResidual!(b.x, b.x, b.weights, b.dims, b.g, 3, new Float32Array(len))).toThrow(/alias/);
    });
  });
}

/**
 * wasm-simd's stem trick in one call (Backend.stemInvertedResidual: the stem conv as the expansion
 * of the t = 1 block after it, straight into the fused kernel's band) against the same backend's
 * conv2d (ReLU6) → invertedResidual (no expansion) — bit for bit: random images, stem strides and
 * paddings (TF 'same', symmetric, explicit), channel counts off the SIMD widths, depthwise stride
 * and dilation, batch 1/2, any tile height; 1 thread, 2 threads, 2 threads with the pool alone.
 */
const stemCaseArb = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  h: fc.integer({ min: 3, max: 24 }),
  w: fc.integer({ min: 3, max: 21 }),
  imageC: fc.constantFrom(1, 3, 4),
  stemStride: fc.constantFrom(1, 2),
  stemPadding: fc.constantFrom<Padding>('tf-same', 'symmetric', 'valid'),
  hidden: fc.constantFrom(4, 5, 8, 16, 32),
  outC: fc.constantFrom(1, 4, 9, 16),
  dwStride: fc.constantFrom(1, 2),
  dwDilation: fc.constantFrom(1, 2),
  rows: fc.integer({ min: 1, max: 12 }),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

for (const u of UNDER_TEST.filter((t) => t.label.startsWith('wasm-simd'))) {
  describe(`${u.label}: stemInvertedResidual (the stem trick in one call) ≡ conv2d → invertedResidual, bit for bit`, () => {
    let be: WasmSimdBackend;
    beforeAll(async () => { be = (await u.make()) as WasmSimdBackend; });
    afterAll(() => be.dispose());

    it('random stems and t = 1 blocks; views and plain arrays', () => {
      let checked = 0;
      fc.assert(fc.property(stemCaseArb, fc.boolean(), (c, views) => {
        let sg: Conv2dGeometry;
        let g: Conv2dGeometry;
        try {
          sg = conv2dGeometry({ inH: c.h, inW: c.w, kH: 3, kW: 3, stride: [c.stemStride, c.stemStride], dilation: [1, 1], padding: c.stemPadding });
          g = conv2dGeometry({ inH: sg.outH, inW: sg.outW, kH: 3, kW: 3, stride: [c.dwStride, c.dwStride], dilation: [c.dwDilation, c.dwDilation], padding: 'tf-same' });
        } catch {
          return;
        }
        let s = c.seed;
        const stem = { w: data(c.hidden * 9 * c.imageC, s++, -1, 1), bias: data(c.hidden, s++, -0.5, 0.5) };
        const depthwise = { w: data(9 * c.hidden, s++, -1.5, 1.5), bias: s % 3 === 0 ? null : data(c.hidden, s++, -1, 1) };
        const project = { w: data(c.outC * c.hidden, s++, -1, 1), bias: s % 4 === 0 ? null : data(c.outC, s++, -1, 1) };
        const image = data(c.n * c.h * c.w * c.imageC, s++, -2, 2);
        const rows = Math.min(c.rows, g.outH);
        const dims = { n: c.n, imageC: c.imageC, hidden: c.hidden, outC: c.outC };
        const stemOut = new Float32Array(c.n * sg.outH * sg.outW * c.hidden);
        be.conv2d(stemOut, image, stem.w, stem.bias, { n: c.n, inC: c.imageC, outC: c.hidden }, sg, RELU6);
        const blockDims = { n: c.n, inC: c.hidden, hidden: c.hidden, outC: c.outC, residual: false };
        const want = new Float32Array(c.n * g.outH * g.outW * c.outC);
        const len = be.invertedResidualScratchLength({ inC: c.hidden, hidden: c.hidden, expand: false }, g, rows);
        be.invertedResidual(want, stemOut, { expand: null, depthwise, project }, blockDims, g, rows, new Float32Array(len));
        const scratchLen = be.stemInvertedResidualScratchLength(dims, sg, g, rows);
        let got: Float32Array;
        if (views) {
          be.beginScope();
          try {
            const iv = be.scratch(image.length);
            iv.set(image);
            const out = be.scratch(want.length);
            be.stemInvertedResidual(out, iv, { stem, depthwise, project }, dims, sg, g, rows, be.scratch(scratchLen));
            got = out.slice();
          } finally {
            be.endScope();
          }
        } else {
          got = new Float32Array(want.length);
          be.stemInvertedResidual(got, image, { stem, depthwise, project }, dims, sg, g, rows, new Float32Array(scratchLen));
        }
        expectBitIdentical(got, want, `${u.label} ${JSON.stringify(c)}${views ? ' (views)' : ''}`);
        checked++;
      }), { numRuns: RUNS, seed: 2718 });
      expect(checked).toBeGreaterThan(RUNS / 2);
    });

    it('refuses a depthwise that does not read the stem\'s output, a wrong scratch and a short image', () => {
      const sg = conv2dGeometry({ inH: 16, inW: 16, kH: 3, kW: 3, stride: [2, 2], dilation: [1, 1], padding: 'tf-same' });
      const g = conv2dGeometry({ inH: 8, inW: 8, kH: 3, kW: 3, stride: [1, 1], dilation: [1, 1], padding: 'symmetric' });
      const wrong = conv2dGeometry({ inH: 9, inW: 8, kH: 3, kW: 3, stride: [1, 1], dilation: [1, 1], padding: 'symmetric' });
      const dims = { n: 1, imageC: 3, hidden: 8, outC: 4 };
      const weights = { stem: { w: data(8 * 27, 1, -1, 1), bias: null }, depthwise: { w: data(72, 2, -1, 1), bias: null }, project: { w: data(32, 3, -1, 1), bias: null } };
      const len = be.stemInvertedResidualScratchLength(dims, sg, g, 2);
      const image = data(16 * 16 * 3, 4, -1, 1);
      const out = new Float32Array(8 * 8 * 4);
      expect(() => be.stemInvertedResidual(out, image, weights, dims, sg, wrong, 2, new Float32Array(len))).toThrow(/stem's 8x8 output/);
      expect(() => be.stemInvertedResidual(out, image, weights, dims, sg, g, 2, new Float32Array(7))).toThrow(/scratch/);
      expect(() => be.stemInvertedResidual(out, image.subarray(1), weights, dims, sg, g, 2, new Float32Array(len))).toThrow(/image/);
    });
  });
}
