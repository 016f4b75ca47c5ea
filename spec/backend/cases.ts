// SPDX-License-Identifier: Apache-2.0
/**
 * Backend conformance cases as data: each case runs one Backend op on fixed inputs and knows how to
 * get the oracle's result and the per-element magnitude Σ|xᵢwᵢ| + |b| from the scalar backend
 * (support.ts explains the tolerance). The same list drives the per-backend oracle comparison and
 * the 1-thread vs 2-thread bit-identity check.
 *
 * Shapes: the real MobileNetV2 1.0/224 layers (a reduced set: every channel configuration class,
 * spatial sizes up to 56×56 so the scalar oracle stays fast), plus boundary sweeps XNNPACK-style:
 * channels below/at/above the SIMD width 4 and the tile 8, pixel counts around the 4-row tile
 * (49 = 7×7), width 1, stride 2 on odd sizes, per-axis strides and dilations, dilation 2, every
 * padding convention and asymmetric explicit Pad4, batch 2.
 */
import type { Backend } from '../../src/backend/backend.js';
import { conv2dGeometry, GeometryError, type Conv2dGeometry, type Padding } from '../../kernels/geometry.js';
import { RELU, RELU6, type Clamp } from '../../kernels/clamp.js';
import { abs, data } from './support.js';

export interface OpCase {
  readonly name: string;
  /** Runs the op on `b` and returns its output (a fresh array). */
  run(b: Backend): Float32Array;
  /** The scalar kernel on |x|, |w|, |b| without clamp: Σ|xᵢwᵢ| + |b| per output. null when exact for every backend. */
  magnitude(scalar: Backend): Float32Array | null;
  /** Reduction length counted for the bound (products + 1 for a bias). */
  readonly K: number;
}

const CLAMPS: ReadonlyArray<Clamp | null> = [RELU6, null, RELU, { min: -0.5, max: 0.25 }];
const clampName = (c: Clamp | null): string => (c === null ? 'linear' : `clamp[${c.min},${c.max}]`);
const padName = (p: Padding): string => (typeof p === 'string' ? p : `pad{${p.top},${p.bottom},${p.left},${p.right}}`);

let seed = 1;
const next = (): number => seed++;

// ------------------------------------------------------------------------------------------------
// Pointwise

export function pointwiseCase(pixels: number, inC: number, outC: number, clamp: Clamp | null, opts: { bias?: boolean; x?: Float32Array; tag?: string } = {}): OpCase {
  const x = opts.x ?? data(pixels * inC, next());
  const w = data(outC * inC, next(), -1, 1);
  const bias = opts.bias === false ? null : data(outC, next());
  const dims = { pixels, inC, outC };
  return {
    name: `pwconv P=${pixels} IC=${inC} OC=${outC} ${clampName(clamp)}${bias ? '' : ' no-bias'}${opts.tag ?? ''}`,
    K: inC + (bias ? 1 : 0),
    run(b) {
      const out = new Float32Array(pixels * outC);
      b.pointwiseConv(out, x, w, bias, dims, clamp);
      return out;
    },
    magnitude(s) {
      const out = new Float32Array(pixels * outC);
      s.pointwiseConv(out, abs(x), abs(w), bias && abs(bias), dims, null);
      return out;
    },
  };
}

/** MobileNetV2 1.0/224 pointwise layers: [pixels, IC, OC, activation]. */
export const PW_REAL: ReadonlyArray<[number, number, number, Clamp | null]> = [
  [56 * 56, 24, 144, RELU6], // features.3.conv.0 expansion
  [56 * 56, 144, 24, null], // features.3.conv.2 projection (linear bottleneck)
  [28 * 28, 32, 192, RELU6], // features.5.conv.0
  [14 * 14, 64, 384, RELU6], // features.8.conv.0
  [14 * 14, 384, 96, null], // features.11.conv.2
  [14 * 14, 576, 96, null], // features.13.conv.2
  [7 * 7, 160, 960, RELU6], // features.15.conv.0 (49 pixels: 12 tiles of 4 + 1)
  [7 * 7, 960, 320, null], // features.17.conv.2
  [7 * 7, 320, 1280, RELU6], // features.18
];

export function pointwiseCases(): OpCase[] {
  const cases = PW_REAL.map(([p, ic, oc, c]) => pointwiseCase(p, ic, oc, c));
  for (const pixels of [1, 2, 3, 4, 5, 7, 9, 13]) {
    for (const inC of [1, 3, 4, 5, 8, 17]) {
      for (const outC of [1, 3, 4, 5, 7, 8, 9, 15, 16, 17]) {
        cases.push(pointwiseCase(pixels, inC, outC, CLAMPS[(pixels + inC + outC) % CLAMPS.length]!, { bias: (inC + outC) % 5 !== 0 }));
      }
    }
  }
  return cases;
}

// ------------------------------------------------------------------------------------------------
// Depthwise

function geometry(inH: number, inW: number, k: [number, number], stride: [number, number], dilation: [number, number], padding: Padding): Conv2dGeometry | null {
  try {
    return conv2dGeometry({ inH, inW, kH: k[0], kW: k[1], stride, dilation, padding });
  } catch (e) {
    if (e instanceof GeometryError) return null; // e.g. 'valid' with a kernel larger than the input
    throw e;
  }
}

export function depthwiseCase(n: number, g: Conv2dGeometry, channels: number, clamp: Clamp | null, opts: { bias?: boolean; x?: Float32Array; w?: Float32Array; tag?: string } = {}): OpCase {
  const x = opts.x ?? data(n * g.inH * g.inW * channels, next());
  const w = opts.w ?? data(g.kH * g.kW * channels, next(), -1, 1);
  const bias = opts.bias === false ? null : data(channels, next());
  const dims = { n, channels };
  const outLen = n * g.outH * g.outW * channels;
  return {
    name: `dwconv N=${n} ${g.inH}x${g.inW}x${channels} k=${g.kH}x${g.kW} s=${g.strideH},${g.strideW} d=${g.dilationH},${g.dilationW} ` +
      `pad{${g.pad.top},${g.pad.bottom},${g.pad.left},${g.pad.right}} ${clampName(clamp)}${opts.tag ?? ''}`,
    K: g.kH * g.kW + (bias ? 1 : 0),
    run(b) {
      const out = new Float32Array(outLen);
      b.depthwiseConv2d(out, x, w, bias, dims, g, clamp);
      return out;
    },
    magnitude(s) {
      const out = new Float32Array(outLen);
      s.depthwiseConv2d(out, abs(x), abs(w), bias && abs(bias), dims, g, null);
      return out;
    },
  };
}

/** MobileNetV2 1.0/224 depthwise layers (and the DeepLab output-stride-16 dilated one): [H, C, stride, dilation]. */
export const DW_REAL: ReadonlyArray<[number, number, number, number]> = [
  [112, 96, 2, 1], // features.2.conv.1 (stride 2 on an even input)
  [56, 144, 1, 1], // features.3.conv.1
  [56, 144, 2, 1], // features.4.conv.1
  [28, 192, 1, 1], // features.6.conv.1
  [14, 384, 1, 1], // features.9.conv.1
  [14, 576, 2, 1], // features.14.conv.1
  [7, 960, 1, 1], // features.15.conv.1
  [14, 960, 1, 2], // DeepLab output stride 16: features.15–17 at rate 2
];

export function depthwiseCases(): OpCase[] {
  const cases: OpCase[] = [];
  for (const [h, c, s, d] of DW_REAL) {
    for (const padding of s === 2 ? (['symmetric', 'tf-same'] as const) : (['symmetric'] as const)) {
      cases.push(depthwiseCase(1, geometry(h, h, [3, 3], [s, s], [d, d], padding)!, c, RELU6));
    }
  }
  const sizes: Array<[number, number]> = [[1, 1], [1, 5], [2, 2], [3, 3], [4, 7], [7, 7], [8, 9], [9, 8]];
  const strides: Array<[number, number]> = [[1, 1], [2, 2], [1, 2], [2, 1]];
  const dilations: Array<[number, number]> = [[1, 1], [2, 2], [1, 2]];
  const paddings: Padding[] = ['symmetric', 'tf-same', 'valid', { top: 0, bottom: 2, left: 1, right: 0 }, { top: 2, bottom: 0, left: 0, right: 2 }];
  let i = 0;
  for (const [h, w] of sizes) {
    for (const stride of strides) {
      for (const dilation of dilations) {
        for (const padding of paddings) {
          const g = geometry(h, w, [3, 3], stride, dilation, padding);
          if (g === null) continue;
          const channels = [1, 3, 4, 5, 8, 9, 13][i % 7]!;
          cases.push(depthwiseCase(2, g, channels, CLAMPS[i % CLAMPS.length]!, { bias: i % 6 !== 0 }));
          i++;
        }
      }
    }
  }
  // Not 3×3: backends fall back to the oracle (MobileNetV2 has none, but the interface allows it).
  cases.push(depthwiseCase(1, geometry(6, 7, [5, 5], [1, 1], [1, 1], 'symmetric')!, 6, RELU6, { tag: ' (fallback)' }));
  cases.push(depthwiseCase(2, geometry(5, 5, [1, 3], [2, 1], [1, 1], 'tf-same')!, 5, null, { tag: ' (fallback)' }));
  return cases;
}

// ------------------------------------------------------------------------------------------------
// General conv

export function convCase(n: number, g: Conv2dGeometry, inC: number, outC: number, clamp: Clamp | null, opts: { bias?: boolean; x?: Float32Array; tag?: string } = {}): OpCase {
  const x = opts.x ?? data(n * g.inH * g.inW * inC, next());
  const w = data(outC * g.kH * g.kW * inC, next(), -1, 1);
  const bias = opts.bias === false ? null : data(outC, next());
  const dims = { n, inC, outC };
  const outLen = n * g.outH * g.outW * outC;
  return {
    name: `conv2d N=${n} ${g.inH}x${g.inW}x${inC}->${outC} k=${g.kH}x${g.kW} s=${g.strideH},${g.strideW} d=${g.dilationH},${g.dilationW} ` +
      `pad{${g.pad.top},${g.pad.bottom},${g.pad.left},${g.pad.right}} ${clampName(clamp)}${opts.tag ?? ''}`,
    K: g.kH * g.kW * inC + (bias ? 1 : 0),
    run(b) {
      const out = new Float32Array(outLen);
      b.conv2d(out, x, w, bias, dims, g, clamp);
      return out;
    },
    magnitude(s) {
      const out = new Float32Array(outLen);
      s.conv2d(out, abs(x), abs(w), bias && abs(bias), dims, g, null);
      return out;
    },
  };
}

export function convCases(): OpCase[] {
  const cases: OpCase[] = [
    // features.0, the stem, at 96×96 (224 in the bench): 3×3 stride 2, 3 → 32, both paddings.
    convCase(1, geometry(96, 96, [3, 3], [2, 2], [1, 1], 'symmetric')!, 3, 32, RELU6),
    convCase(1, geometry(96, 96, [3, 3], [2, 2], [1, 1], 'tf-same')!, 3, 32, RELU6),
    convCase(2, geometry(33, 33, [3, 3], [2, 2], [1, 1], 'symmetric')!, 3, 16, RELU6),
  ];
  const kernels: Array<{ k: [number, number]; padding: Padding }> = [
    { k: [3, 3], padding: 'symmetric' },
    { k: [3, 3], padding: 'valid' },
    { k: [1, 1], padding: 'valid' },
    { k: [2, 2], padding: { top: 1, bottom: 0, left: 0, right: 1 } },
    { k: [1, 3], padding: 'tf-same' },
  ];
  const sizes: Array<[number, number]> = [[1, 1], [3, 3], [5, 4], [8, 9], [9, 7]];
  let i = 0;
  for (const [h, w] of sizes) {
    for (const { k, padding } of kernels) {
      for (const stride of [1, 2]) {
        for (const dilation of [1, 2]) {
          const g = geometry(h, w, k, [stride, stride], [dilation, dilation], padding);
          if (g === null) continue;
          const inC = [1, 3, 4, 5][i % 4]!;
          const outC = [1, 3, 7, 8, 9, 16, 17][i % 7]!;
          cases.push(convCase(2, g, inC, outC, CLAMPS[i % CLAMPS.length]!, { bias: i % 5 !== 0 }));
          i++;
        }
      }
    }
  }
  return cases;
}

// ------------------------------------------------------------------------------------------------
// Fully connected, pooling, elementwise and the delegated ops

export function fullyConnectedCase(n: number, inC: number, outC: number, clamp: Clamp | null): OpCase {
  const x = data(n * inC, next());
  const w = data(outC * inC, next(), -0.1, 0.1);
  const bias = data(outC, next());
  const dims = { n, inC, outC };
  return {
    name: `fully-connected N=${n} IC=${inC} OC=${outC} ${clampName(clamp)}`,
    K: inC + 1,
    run(b) {
      const out = new Float32Array(n * outC);
      b.fullyConnected(out, x, w, bias, dims, clamp);
      return out;
    },
    magnitude(s) {
      const out = new Float32Array(n * outC);
      s.fullyConnected(out, abs(x), abs(w), abs(bias), dims, null);
      return out;
    },
  };
}

export function poolCase(n: number, h: number, w: number, c: number): OpCase {
  const x = data(n * h * w * c, next());
  const dims = { n, h, w, c };
  return {
    name: `globalAvgPool N=${n} ${h}x${w}x${c}`,
    // Terms xᵢ·(1/HW): A = Σ|xᵢ|/HW, K = HW (spec/helpers/close.ts, avgpool note).
    K: h * w,
    run(b) {
      const out = new Float32Array(n * c);
      b.globalAvgPool(out, x, dims);
      return out;
    },
    magnitude(s) {
      const out = new Float32Array(n * c);
      s.globalAvgPool(out, abs(x), dims);
      return out;
    },
  };
}

export function otherCases(): OpCase[] {
  const cases: OpCase[] = [
    fullyConnectedCase(1, 1280, 1000, null),
    fullyConnectedCase(2, 1280, 1001, null),
    fullyConnectedCase(3, 17, 9, RELU6),
    fullyConnectedCase(1, 5, 3, null),
    poolCase(1, 7, 7, 1280),
    poolCase(2, 3, 5, 13),
    poolCase(1, 1, 1, 7),
    poolCase(2, 2, 2, 3),
  ];
  // Elementwise add is exact in float32 (one IEEE rounding), so every backend matches bit for bit.
  for (const length of [1, 3, 4, 5, 1000, 56 * 56 * 24]) {
    const a = data(length, next());
    const b = data(length, next());
    cases.push({
      name: `add L=${length}`,
      K: 1,
      run(be) {
        const out = new Float32Array(length);
        be.add(out, a, b, length);
        return out;
      },
      magnitude: () => null,
    });
  }
  {
    // out aliasing an input (the contract allows it).
    const a = data(13, next());
    const b = data(13, next());
    cases.push({
      name: 'add L=13 out aliases a',
      K: 1,
      run(be) {
        const out = a.slice();
        be.add(out, out, b, 13);
        return out;
      },
      magnitude: () => null,
    });
  }
  {
    const x = data(2 * 3 * 4 * 5, next());
    for (const mode of ['align-corners', 'half-pixel', 'asymmetric'] as const) {
      cases.push({
        name: `resizeBilinear 3x4x5 -> 7x9 ${mode}`,
        K: 1,
        run(be) {
          const out = new Float32Array(2 * 7 * 9 * 5);
          be.resizeBilinear(out, x, { n: 2, inH: 3, inW: 4, c: 5, outH: 7, outW: 9 }, mode);
          return out;
        },
        magnitude: () => null,
      });
    }
  }
  {
    const p0 = data(6 * 3, next());
    const p1 = data(6 * 5, next());
    cases.push({
      name: 'concatChannels 6 px 3+5',
      K: 1,
      run(be) {
        const out = new Float32Array(6 * 8);
        be.concatChannels(out, [{ data: p0, channels: 3 }, { data: p1, channels: 5 }], 6);
        return out;
      },
      magnitude: () => null,
    });
  }
  return cases;
}

// ------------------------------------------------------------------------------------------------
// Non-finite values: NaN propagates through the clamp; a tap in the padding is skipped even with an
// infinite weight (0·∞ would be NaN); ±∞ inputs clamp like numbers.

export function nonFiniteCases(): OpCase[] {
  const cases: OpCase[] = [];
  {
    const x = data(9 * 8, next());
    x[3] = NaN;
    x[20] = Infinity;
    x[41] = -Infinity;
    cases.push(pointwiseCase(9, 8, 9, RELU6, { x, tag: ' with NaN/±Inf inputs' }));
    cases.push(pointwiseCase(9, 8, 9, null, { x, tag: ' with NaN/±Inf inputs' }));
  }
  {
    const g = geometry(6, 7, [3, 3], [1, 1], [1, 1], 'symmetric')!;
    const x = data(6 * 7 * 5, next());
    x[0] = NaN;
    x[5 * 12 + 2] = Infinity;
    cases.push(depthwiseCase(1, g, 5, RELU6, { x, tag: ' with NaN/+Inf inputs' }));
    // Infinite weight on tap (0, 0): outside the input for the top row and left column only.
    const w = data(9 * 5, next(), -1, 1);
    w[0] = Infinity;
    w[1] = -Infinity;
    const xPos = data(6 * 7 * 5, next(), 0.5, 1.5);
    cases.push(depthwiseCase(1, g, 5, RELU6, { x: xPos, w, tag: ' with ±Inf weights on a padded tap' }));
    const g2 = geometry(7, 7, [3, 3], [2, 2], [1, 1], 'tf-same')!;
    cases.push(depthwiseCase(1, g2, 5, null, { x: data(7 * 7 * 5, next(), 0.5, 1.5), w, tag: ' with ±Inf weights, stride 2' }));
  }
  {
    const g = geometry(5, 5, [3, 3], [2, 2], [1, 1], 'symmetric')!;
    const x = data(5 * 5 * 3, next());
    x[7] = NaN;
    cases.push(convCase(1, g, 3, 9, RELU6, { x, tag: ' with a NaN input' }));
  }
  return cases;
}

export function allCases(): Array<{ group: string; cases: OpCase[] }> {
  seed = 1;
  return [
    { group: 'pointwiseConv', cases: pointwiseCases() },
    { group: 'depthwiseConv2d', cases: depthwiseCases() },
    { group: 'conv2d', cases: convCases() },
    { group: 'fullyConnected / globalAvgPool / add / delegated ops', cases: otherCases() },
    { group: 'non-finite values', cases: nonFiniteCases() },
  ];
}
