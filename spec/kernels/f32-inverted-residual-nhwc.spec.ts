// SPDX-License-Identifier: Apache-2.0
/**
 * The fused (memory-efficient) inverted residual block against the layer-by-layer definition:
 * pwconv (ReLU6) → dwconv (ReLU6) → pwconv (linear) → add, each a scalar kernel on whole tensors.
 * The fused kernel promises BIT-IDENTICAL results (same kernels, same operands, same order), so
 * the comparison is on the float32 bit patterns, no tolerance.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv2dGeometry, type Conv2dGeometry, type Padding } from '../../kernels/geometry.js';
import { f32PwConvNhwc } from '../../kernels/f32-pwconv-nhwc.js';
import { f32DwConv2dNhwc } from '../../kernels/f32-dwconv2d-nhwc.js';
import { f32Add } from '../../kernels/f32-add.js';
import { RELU6 } from '../../kernels/clamp.js';
import {
  f32InvertedResidualNhwc, invertedResidualScratchLength, invertedResidualTileRows, type InvertedResidualWeights,
} from '../../kernels/f32-inverted-residual-nhwc.js';
import { KernelArgumentError } from '../../kernels/check.js';
import { blockCaseArb, seededF32, type BlockCase } from '../helpers/arbitraries.js';

function build(c: BlockCase): { g: Conv2dGeometry; hidden: number; weights: InvertedResidualWeights; x: Float32Array } | null {
  let g: Conv2dGeometry;
  try {
    g = conv2dGeometry({ inH: c.h, inW: c.w, kH: 3, kW: 3, stride: c.stride, dilation: c.dilation, padding: c.padding });
  } catch {
    return null;
  }
  const hidden = c.inC * c.t;
  let s = c.seed;
  // Weights large enough that ReLU6 clamps at both ends for a good share of the values.
  const weights: InvertedResidualWeights = {
    expand: c.t === 1 ? null : { w: seededF32(hidden * c.inC, s++, -1.5, 1.5), bias: seededF32(hidden, s++, -1, 1) },
    depthwise: { w: seededF32(9 * hidden, s++, -1.5, 1.5), bias: seededF32(hidden, s++, -1, 1) },
    project: { w: seededF32(c.outC * hidden, s++, -1, 1), bias: s % 3 === 0 ? null : seededF32(c.outC, s++, -1, 1) },
  };
  return { g, hidden, weights, x: seededF32(c.n * c.h * c.w * c.inC, s++, -4, 4) };
}

/** The definition: whole-tensor kernels one after another, every intermediate materialised. */
function layerwise(c: BlockCase, g: Conv2dGeometry, hidden: number, wt: InvertedResidualWeights, x: Float32Array): Float32Array {
  let e = x;
  if (wt.expand) {
    e = new Float32Array(c.n * c.h * c.w * hidden);
    f32PwConvNhwc(e, x, wt.expand.w, wt.expand.bias, { pixels: c.n * c.h * c.w, inC: c.inC, outC: hidden }, RELU6);
  }
  const d = new Float32Array(c.n * g.outH * g.outW * hidden);
  f32DwConv2dNhwc(d, e, wt.depthwise.w, wt.depthwise.bias, { n: c.n, channels: hidden }, g, RELU6);
  const y = new Float32Array(c.n * g.outH * g.outW * c.outC);
  f32PwConvNhwc(y, d, wt.project.w, wt.project.bias, { pixels: c.n * g.outH * g.outW, inC: hidden, outC: c.outC }, null);
  if (!c.residual) return y;
  const sum = new Float32Array(y.length);
  f32Add(sum, y, x, y.length);
  return sum;
}

function fused(c: BlockCase, g: Conv2dGeometry, hidden: number, wt: InvertedResidualWeights, x: Float32Array): Float32Array {
  const rows = Math.min(c.rows, g.outH);
  const scratch = new Float32Array(invertedResidualScratchLength({ hidden, expand: wt.expand !== null }, g, rows));
  const out = new Float32Array(c.n * g.outH * g.outW * c.outC);
  f32InvertedResidualNhwc(out, x, wt, { n: c.n, inC: c.inC, hidden, outC: c.outC, residual: c.residual }, g, rows, scratch);
  return out;
}

function expectBitIdentical(a: Float32Array, b: Float32Array, what: string): void {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  expect(a.length).toBe(b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) throw new Error(`${what}: element ${i} differs: fused ${a[i]} vs layerwise ${b[i]}`);
  }
}

const caseArb = blockCaseArb;

const RUNS = Number(process.env.FUSED_BLOCK_RUNS ?? 300);

describe('f32InvertedResidualNhwc (fused) ≡ pwconv → dwconv → pwconv (→ add), bit for bit', () => {
  it('random block shapes, strides 1/2, dilations 1/2/4, every padding, residual or not, any tile height', () => {
    let checked = 0;
    fc.assert(fc.property(caseArb, (c0) => {
      const c = c0.residual ? { ...c0, outC: c0.inC } : c0;
      const b = build(c);
      if (b === null) return; // the dilated kernel does not fit this input
      const { g, hidden, weights, x } = b;
      if (c.residual && (g.outH !== c.h || g.outW !== c.w)) return; // 'valid' / uneven pads change the size: no shortcut
      // explicit pads larger than the kernel reach leave output rows with no input row: the kernel refuses them
      let want: Float32Array;
      try {
        want = layerwise(c, g, hidden, weights, x);
        const got = fused(c, g, hidden, weights, x);
        expectBitIdentical(got, want, JSON.stringify(c));
        checked++;
      } catch (e) {
        if (e instanceof KernelArgumentError && /read no input row/.test(e.message)) return;
        throw e;
      }
    }), { numRuns: RUNS, seed: 13 });
    expect(checked).toBeGreaterThan(RUNS / 3);
  });

  it('the real MobileNetV2 1.0/224 blocks features.2 (stride 2) and features.3 (shortcut) at the runner\'s tile sizes', () => {
    for (const c of [
      { n: 1, h: 112, w: 112, inC: 16, t: 6, outC: 24, stride: 2, dilation: 1, padding: 'symmetric' as Padding, residual: false, rows: 0, seed: 7 },
      { n: 1, h: 56, w: 56, inC: 24, t: 6, outC: 24, stride: 1, dilation: 1, padding: 'tf-same' as Padding, residual: true, rows: 0, seed: 8 },
      { n: 1, h: 17, w: 17, inC: 40, t: 6, outC: 40, stride: 1, dilation: 2, padding: 'tf-same' as Padding, residual: true, rows: 0, seed: 9 },
    ]) {
      const { g, hidden, weights, x } = build(c)!;
      const rows = invertedResidualTileRows({ hidden, expand: true }, g, 65536);
      expectBitIdentical(fused({ ...c, rows }, g, hidden, weights, x), layerwise(c, g, hidden, weights, x), `h${c.h} c${c.inC}`);
    }
  });

  it('the scratch is exactly the band plus the tile, and a wrong scratch length is refused', () => {
    const g = conv2dGeometry({ inH: 10, inW: 7, kH: 3, kW: 3, stride: 2, padding: 'symmetric' });
    // 3 output rows at stride 2 read 2·2 + 3 = 7 input rows; the tile is 3 rows of 4 columns
    expect(invertedResidualScratchLength({ hidden: 12, expand: true }, g, 3)).toBe(7 * 7 * 12 + 3 * 4 * 12);
    expect(invertedResidualScratchLength({ hidden: 12, expand: false }, g, 3)).toBe(3 * 4 * 12);
    const c: BlockCase = { n: 1, h: 10, w: 7, inC: 2, t: 6, outC: 3, stride: 2, dilation: 1, padding: 'symmetric', residual: false, rows: 3, seed: 1 };
    const { hidden, weights, x } = build(c)!;
    expect(() => f32InvertedResidualNhwc(new Float32Array(5 * 4 * 3), x, weights, { n: 1, inC: 2, hidden, outC: 3, residual: false }, g, 3, new Float32Array(10)))
      .toThrow(/scratch/);
    expect(() => f32InvertedResidualNhwc(new Float32Array(5 * 4 * 3), x, weights, { n: 1, inC: 2, hidden, outC: 3, residual: true }, g, 3, new Float32Array(invertedResidualScratchLength({ hidden, expand: true }, g, 3))))
      .toThrow(/shortcut needs stride 1/);
  });
});
