// SPDX-License-Identifier: Apache-2.0
/**
 * The WASM SIMD integer backend (src/backend/q8-wasm.ts) against the definition, the scalar
 * integer kernels (createScalarQ8Backend; themselves checked bit for bit against TFLite's reference
 * kernels in spec/kernels/q8-reference.spec.ts): 0 differing values, on 1 and 2 threads.
 *
 * Cases are drawn with fast-check: random shapes, strides, dilations, every padding convention,
 * channel counts around the 8-lane vector, zero points anywhere in the dtype (its ends included),
 * uint8 per-tensor and int8 per-tensor or per-channel weights, every convention of
 * REQUANTIZATIONS. Requantizers come two ways: from scales (convRequantizer, multipliers from the
 * 2⁻³¹ flush up to left shifts, power-of-two scales for exact .5 ties) and raw (any multiplier in
 * [2³⁰, 2³¹) with any shift in [−31, 30] per channel: the shift limits, and per-lane shifts that
 * differ), biases up to the full int32 range (wrapping accumulators), extreme inputs. ADD: the
 * left-shift-20 parameters from addRequantization under both fixed-point conventions, and
 * XNNPACK's integer ADD ('xnnpack-fp32') on lengths around its 16-element step. RESIZE_BILINEAR:
 * every coordinate mode, up- and downsampling, channel counts around its 4-lane step. Fixed larger
 * cases: depthwise with dilation 2 and 4, stride 2 on odd sizes and channel counts that are not a
 * multiple of 8; pointwise with a pixel count that is not a multiple of the 4-pixel tile; the
 * zero-copy scope (ops in place on scratch() views, nesting, reuse, aliasing ADD, stale views,
 * dispose).
 *
 * Case count per kernel kind: 150 by default (about 10 s for the file); Q8_WASM_CASES raises it
 * (10,000 per kind passed on 2026-12-02, the 3×3 sliding-sweep property included: 0 differing values). Deterministic larger layers
 * (MobileNetV2 shapes) check that worker threads really took part (chunks run by workers > 0).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv2dGeometry, type Conv2dGeometry } from '../../kernels/geometry.js';
import {
  convRequantizer, q8Range, quantizedActivationRange, REQUANTIZATIONS, type QuantizedActivation, type Q8Type, type Requantization, type Requantizer,
} from '../../kernels/q-requantize.js';
import { addRequantization } from '../../kernels/q8-add.js';
import { KernelArgumentError } from '../../kernels/check.js';
import { RESIZE_COORDINATE_MODES, type ResizeCoordinateMode } from '../../kernels/f32-resize-nhwc.js';
import type { Q8ConvParams } from '../../kernels/q8-conv2d-nhwc.js';
import { createScalarQ8Backend, type Q8Array, type Q8Backend } from '../../src/backend/q8-backend.js';
import { createQ8Backend, Q8WasmBackend } from '../../src/backend/q8-wasm.js';
import { convCaseArb, paddingArb, tryGeometry, type ConvCase, type ConvCaseFields } from '../helpers/arbitraries.js';
import { seededUniform } from '../../src/model/random.js';

const envCases = Number(process.env.Q8_WASM_CASES);
const CASES = Number.isInteger(envCases) && envCases > 0 ? envCases : 150;

const scalar = createScalarQ8Backend();
const fast: { label: string; backend: Q8WasmBackend }[] = [];

beforeAll(async () => {
  for (const threads of [1, 2]) {
    // adaptive: false, so the 2-thread backend splits layers even while other processes load the machine.
    const backend = new Q8WasmBackend({ threads, adaptive: false });
    await backend.init();
    fast.push({ label: `wasm-simd ${threads}T`, backend });
  }
}, 60_000);

afterAll(async () => {
  for (const f of fast) await f.backend.disposeAsync();
});

type Ctor = typeof Uint8Array | typeof Int8Array;
const ctorOf = (t: Q8Type): Ctor => (t === 'uint8' ? Uint8Array : Int8Array);

/** Runs `op` on the scalar backend and on every WASM backend; all outputs must be identical. */
function expectSameEverywhere(length: number, type: Q8Type, op: (b: Q8Backend, out: Q8Array) => void): void {
  const want = new (ctorOf(type))(length);
  op(scalar, want);
  for (const { label, backend } of fast) {
    const got = new (ctorOf(type))(length).fill(type === 'uint8' ? 77 : -77);
    op(backend, got);
    let differing = 0;
    let first = -1;
    for (let i = 0; i < length; i++) if (got[i] !== want[i]) { differing++; if (first < 0) first = i; }
    if (differing > 0) expect.fail(`${label}: ${differing} of ${length} values differ from the scalar kernel (first at ${first}: ${got[first]} vs ${want[first]})`);
  }
}

// ---- arbitraries --------------------------------------------------------------------------

const typeArb = fc.constantFrom<Q8Type>('uint8', 'int8');
const roundingArb = fc.constantFrom<Requantization>(...REQUANTIZATIONS);
const logUniform = (lo: number, hi: number): fc.Arbitrary<number> =>
  fc.double({ min: Math.log2(lo), max: Math.log2(hi), noNaN: true }).map((v) => Math.fround(2 ** v));
const scaleArb = fc.oneof(logUniform(1e-6, 1e3), fc.integer({ min: -19, max: 9 }).map((k) => 2 ** k));
const zeroPointArb = (t: Q8Type): fc.Arbitrary<number> => {
  const [lo, hi] = q8Range(t);
  return fc.oneof(fc.integer({ min: lo, max: hi }), fc.constantFrom(lo, hi, t === 'uint8' ? 128 : 0));
};
const dataArb = (t: Q8Type, length: number): fc.Arbitrary<Q8Array> => {
  const [lo, hi] = q8Range(t);
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.integer({ min: lo, max: hi }), { minLength: length, maxLength: length }) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(lo, hi), { minLength: length, maxLength: length }) },
  ).map((a) => ctorOf(t).from(a));
};
const biasArb = (count: number): fc.Arbitrary<Int32Array | null> => fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 4, arbitrary: fc.array(fc.integer({ min: -(2 ** 16), max: 2 ** 16 }), { minLength: count, maxLength: count }).map((a) => Int32Array.from(a)) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: count, maxLength: count }).map((a) => Int32Array.from(a)) },
);
/** Output range: a fused activation's, or any [min, max] inside the dtype. */
const outputArb = (t: Q8Type, so: number, zo: number): fc.Arbitrary<{ zeroPoint: number; min: number; max: number }> => {
  const [lo, hi] = q8Range(t);
  return fc.oneof(
    fc.constantFrom<QuantizedActivation>('none', 'relu', 'relu6', 'relu-n1-to-1').map((a) => quantizedActivationRange(t, so, zo, a)),
    fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi })).map(([a, b]) => ({ zeroPoint: zo, min: Math.min(a, b), max: Math.max(a, b) })),
  );
};

/**
 * A requantizer for `channels` output channels: from scales (per tensor, or int8 per channel
 * within 2^±6 of the first), with log2 of the multiplier from the flush region to left shifts; or
 * raw fixed-point entries at the shift limits (per-channel shifts that differ between lanes).
 */
function requantizerArb(type: Q8Type, rounding: Requantization, channels: number): fc.Arbitrary<{ rq: Requantizer; so: number }> {
  const fromScales = fc.record({
    sx: scaleArb,
    log2M: fc.oneof(
      { weight: 5, arbitrary: fc.double({ min: -18, max: -4, noNaN: true }) },
      { weight: 1, arbitrary: fc.double({ min: -36, max: -29, noNaN: true }) },
      { weight: 1, arbitrary: fc.double({ min: -4, max: 22, noNaN: true }) },
      { weight: 1, arbitrary: fc.integer({ min: -20, max: 2 }) },
    ),
    sw: type === 'uint8' ? scaleArb.map((s) => [s]) : fc.oneof(
      scaleArb.map((s) => [s]),
      fc.tuple(scaleArb, fc.array(fc.double({ min: -6, max: 6, noNaN: true }), { minLength: channels - 1, maxLength: channels - 1 }))
        .map(([s, e]) => [s, ...e.map((k) => Math.fround(s * 2 ** k))]),
    ),
  }).map(({ sx, log2M, sw }) => {
    const so0 = Math.fround((sx * sw[0]!) / 2 ** log2M);
    const so = so0 > 0 && Number.isFinite(so0) ? so0 : 1;
    return { rq: convRequantizer({ type, input: sx, output: so, filter: sw }, rounding), so };
  });
  const count = type === 'uint8' ? fc.constant(1) : fc.constantFrom(1, channels);
  const raw = count.chain((n) => fc.record({
    multiplier: fc.array(fc.oneof(fc.integer({ min: 2 ** 30, max: 2 ** 31 - 1 }), fc.constantFrom(0, 2 ** 30, 2 ** 31 - 1)), { minLength: n, maxLength: n }),
    shift: fc.array(fc.oneof(fc.integer({ min: -31, max: 30 }), fc.constantFrom(-31, -30, 0, 29, 30)), { minLength: n, maxLength: n }),
    scale: fc.array(fc.oneof(logUniform(1e-9, 1e3), fc.integer({ min: -30, max: 8 }).map((k) => 2 ** k)), { minLength: n, maxLength: n }),
  })).map((r) => ({
    rq: { rounding, multiplier: Int32Array.from(r.multiplier), shift: Int32Array.from(r.shift), scale: Float32Array.from(r.scale) },
    so: 1,
  }));
  return fc.oneof({ weight: 3, arbitrary: fromScales }, { weight: 1, arbitrary: raw });
}

type ConvKind = 'conv' | 'dwconv' | 'pw';

interface ConvLikeCase {
  readonly kind: ConvKind;
  readonly type: Q8Type;
  readonly g: Conv2dGeometry;
  readonly n: number;
  readonly inC: number;
  readonly outC: number;
  readonly x: Q8Array;
  readonly w: Q8Array;
  readonly bias: Int32Array | null;
  readonly q: Q8ConvParams;
}

/**
 * 3×3, stride 1 or 2, dilation 1: the depthwise kernel's sliding sweep over interior pixels (rare among
 * convCaseArb's random geometries): widths around its two-pixel minimum, one to five channel groups
 * with and without a partial one, every padding.
 */
const slideCaseArb: fc.Arbitrary<ConvCase> = fc.record({
  n: fc.integer({ min: 1, max: 2 }), inH: fc.integer({ min: 1, max: 5 }), inW: fc.integer({ min: 1, max: 20 }),
  inC: fc.constantFrom(1, 7, 8, 9, 16, 17, 24, 40), outC: fc.constant(1), kH: fc.constant(3), kW: fc.constant(3),
  strideH: fc.constantFrom(1, 2), strideW: fc.constantFrom(1, 2), dilationH: fc.constant(1), dilationW: fc.constant(1), padding: paddingArb,
}).map((c: ConvCaseFields): ConvCase | null => {
  const g = tryGeometry(c);
  return g === null ? null : { ...c, g };
}).filter((c): c is ConvCase => c !== null);

function convLikeArb(kind: ConvKind, cases: fc.Arbitrary<ConvCase> = convCaseArb): fc.Arbitrary<ConvLikeCase> {
  return fc.tuple(cases, typeArb, roundingArb).chain(([c, type, rounding]) => {
    const g = kind === 'pw' ? conv2dGeometry({ inH: 1, inW: c.n * c.inH * c.inW, kH: 1, kW: 1, padding: 'valid' }) : c.g;
    const n = kind === 'pw' ? 1 : c.n;
    const outC = kind === 'dwconv' ? c.inC : c.outC;
    const wLength = kind === 'dwconv' ? g.kH * g.kW * outC : outC * g.kH * g.kW * c.inC;
    return fc.record({
      zx: zeroPointArb(type), zw: type === 'uint8' ? zeroPointArb(type) : fc.constant(0), zo: zeroPointArb(type),
      r: requantizerArb(type, rounding, outC),
      bias: biasArb(outC), x: dataArb(type, n * g.inH * g.inW * c.inC), w: dataArb(type, wLength),
    }).chain(({ zx, zw, zo, r, bias, x, w }) => outputArb(type, r.so, zo).map((output) => ({
      kind, type, g, n, inC: c.inC, outC, x, w, bias,
      q: { inputZeroPoint: zx, filterZeroPoint: zw, requantizer: r.rq, output },
    })));
  });
}

function runConvLike(c: ConvLikeCase): void {
  const { g } = c;
  if (c.kind === 'pw') {
    const pixels = g.inW;
    expectSameEverywhere(pixels * c.outC, c.type, (b, out) => b.pointwiseConv(out, c.x, c.w, c.bias, { pixels, inC: c.inC, outC: c.outC }, c.q));
  } else if (c.kind === 'conv') {
    expectSameEverywhere(c.n * g.outH * g.outW * c.outC, c.type, (b, out) => b.conv2d(out, c.x, c.w, c.bias, { n: c.n, inC: c.inC, outC: c.outC }, g, c.q));
  } else {
    expectSameEverywhere(c.n * g.outH * g.outW * c.outC, c.type, (b, out) => b.depthwiseConv2d(out, c.x, c.w, c.bias, { n: c.n, channels: c.outC }, g, c.q));
  }
}

// ---- properties ---------------------------------------------------------------------------

describe('integer WASM SIMD kernels = scalar integer kernels, bit for bit, 1 and 2 threads', () => {
  for (const kind of ['pw', 'dwconv', 'conv'] as const) {
    it(`${kind}: ${CASES} generated cases`, () => {
      fc.assert(fc.property(convLikeArb(kind), (c) => runConvLike(c)), { numRuns: CASES });
    });
  }

  it(`dwconv 3×3, stride 1 or 2, dilation 1 (the sliding sweep): ${CASES} generated cases`, () => {
    fc.assert(fc.property(convLikeArb('dwconv', slideCaseArb), (c) => runConvLike(c)), { numRuns: CASES });
  });

  it(`add: ${CASES} generated cases (left shift 20, both fixed-point conventions)`, () => {
    const addArb = fc.tuple(typeArb, fc.constantFrom<'tflite-reference' | 'single-rounding'>('tflite-reference', 'single-rounding'), fc.integer({ min: 1, max: 300 }))
      .chain(([type, rounding, length]) => fc.record({
        za: zeroPointArb(type), zb: zeroPointArb(type), zo: zeroPointArb(type),
        sa: scaleArb, ratio: fc.double({ min: -6, max: 6, noNaN: true }), log2Out: fc.double({ min: -0.5, max: 6, noNaN: true }),
        a: dataArb(type, length), b: dataArb(type, length),
      }).chain((r) => outputArb(type, 1, r.zo).map((output) => ({ type, rounding, length, output, ...r }))));
    fc.assert(fc.property(addArb, (c) => {
      const sb = Math.fround(c.sa * 2 ** c.ratio);
      const so = Math.fround(Math.max(c.sa, sb) * 2 ** c.log2Out);
      const p = addRequantization({ a: c.sa, b: sb, output: so }, { a: c.za, b: c.zb }, c.output, c.rounding);
      expectSameEverywhere(c.length, c.type, (b, out) => b.add(out, c.a, c.b, c.length, p));
    }), { numRuns: CASES });
  });

  it(`add, 'xnnpack-fp32' (XNNPACK's integer ADD, q8_add_xnnpack): ${CASES} generated cases, lengths around its 16-byte step`, () => {
    const addArb = fc.tuple(typeArb, fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 41, max: 700 })))
      .chain(([type, length]) => fc.record({
        za: zeroPointArb(type), zb: zeroPointArb(type), zo: zeroPointArb(type),
        sa: scaleArb, ratio: fc.double({ min: -9, max: 9, noNaN: true }), log2Out: fc.double({ min: -10, max: 9, noNaN: true }),
        a: dataArb(type, length), b: dataArb(type, length),
      }).chain((r) => outputArb(type, 1, r.zo).map((output) => ({ type, length, output, ...r }))));
    let ran = 0;
    fc.assert(fc.property(addArb, (c) => {
      const sb = Math.fround(c.sa * 2 ** c.ratio);
      const so = Math.fround(Math.max(c.sa, sb) * 2 ** c.log2Out);
      let p: ReturnType<typeof addRequantization>;
      try {
        p = addRequantization({ a: c.sa, b: sb, output: so }, { a: c.za, b: c.zb }, c.output, 'xnnpack-fp32');
      } catch {
        return; // scale ratios XNNPACK rejects (the scalar kernel's own error; not a kernel case)
      }
      ran++;
      expectSameEverywhere(c.length, c.type, (b, out) => b.add(out, c.a, c.b, c.length, p));
    }), { numRuns: CASES });
    expect(ran).toBeGreaterThan(CASES / 2);
  });

  it(`resizeBilinear: ${CASES} generated cases (uint8 on q8_resize_bilinear_u8, int8 on the scalar kernel), every coordinate mode`, () => {
    const arb = fc.record({
      type: typeArb, mode: fc.constantFrom<ResizeCoordinateMode>(...RESIZE_COORDINATE_MODES), n: fc.integer({ min: 1, max: 2 }),
      inH: fc.integer({ min: 1, max: 9 }), inW: fc.integer({ min: 1, max: 9 }), c: fc.integer({ min: 1, max: 23 }),
      outH: fc.integer({ min: 1, max: 20 }), outW: fc.integer({ min: 1, max: 20 }), seed: fc.integer(),
    });
    fc.assert(fc.property(arb, (r) => {
      const next = seededUniform(r.seed);
      const [lo, hi] = q8Range(r.type);
      const x = ctorOf(r.type).from(Array.from({ length: r.n * r.inH * r.inW * r.c }, () => lo + Math.floor(next() * (hi - lo + 1))));
      const dims = { n: r.n, inH: r.inH, inW: r.inW, c: r.c, outH: r.outH, outW: r.outW };
      expectSameEverywhere(r.n * r.outH * r.outW * r.c, r.type, (b, out) => b.resizeBilinear(out, x, dims, r.mode, 'tflite-reference'));
    }), { numRuns: CASES });
  });
});

// ---- MobileNetV2 layers: the workers take part ------------------------------------------------

describe('MobileNetV2 layer shapes on 2 threads (workers run chunks; same bits)', () => {
  const next = seededUniform(11);
  const bytes = (length: number, type: Q8Type): Q8Array => {
    const [lo, hi] = q8Range(type);
    return ctorOf(type).from(Array.from({ length }, () => lo + Math.floor(next() * (hi - lo + 1))));
  };
  const params = (type: Q8Type, channels: number, rounding: Requantization): Q8ConvParams => {
    const filter = type === 'uint8' ? [0.02] : Array.from({ length: channels }, (_, c) => 0.004 * (1 + (c % 7) / 3));
    return {
      inputZeroPoint: type === 'uint8' ? 3 : -5, filterZeroPoint: type === 'uint8' ? 131 : 0,
      requantizer: convRequantizer({ type, input: 0.03, output: 0.05, filter }, rounding),
      output: quantizedActivationRange(type, 0.05, type === 'uint8' ? 0 : -128, 'relu6'),
    };
  };

  for (const [type, rounding] of [['uint8', 'xnnpack-fp32'], ['int8', 'tflite-reference'], ['uint8', 'single-rounding']] as const) {
    it(`${type}, ${rounding}: stem 3×3 s2, depthwise 3×3 s1/s2, expansion and projection 1×1, residual add`, () => {
      const before = fast[1]!.backend.threadStats().workerChunks;
      const stem = conv2dGeometry({ inH: 57, inW: 57, kH: 3, kW: 3, stride: 2, padding: 'tf-same' });
      const x3 = bytes(57 * 57 * 3, type), w3 = bytes(32 * 27, type);
      expectSameEverywhere(stem.outH * stem.outW * 32, type, (b, out) => b.conv2d(out, x3, w3, Int32Array.from({ length: 32 }, (_, i) => i * 977 - 9000), { n: 1, inC: 3, outC: 32 }, stem, params(type, 32, rounding)));
      for (const stride of [1, 2]) {
        const g = conv2dGeometry({ inH: 28, inW: 28, kH: 3, kW: 3, stride, padding: 'tf-same' });
        const x = bytes(28 * 28 * 144, type), w = bytes(9 * 144, type);
        expectSameEverywhere(g.outH * g.outW * 144, type, (b, out) => b.depthwiseConv2d(out, x, w, null, { n: 1, channels: 144 }, g, params(type, 144, rounding)));
      }
      const x = bytes(28 * 28 * 24, type), w = bytes(144 * 24, type), w2 = bytes(24 * 144, type);
      expectSameEverywhere(28 * 28 * 144, type, (b, out) => b.pointwiseConv(out, x, w, null, { pixels: 784, inC: 24, outC: 144 }, params(type, 144, rounding)));
      const xe = bytes(28 * 28 * 144, type);
      expectSameEverywhere(28 * 28 * 24, type, (b, out) => b.pointwiseConv(out, xe, w2, null, { pixels: 784, inC: 144, outC: 24 }, params(type, 24, rounding)));
      const [lo, hi] = q8Range(type);
      const p = addRequantization({ a: 0.05, b: 0.07, output: 0.09 }, { a: lo + 10, b: hi - 20 }, { zeroPoint: lo + 5, min: lo, max: hi }, rounding);
      const a = bytes(28 * 28 * 24, type), b2 = bytes(28 * 28 * 24, type);
      expectSameEverywhere(a.length, type, (b, out) => b.add(out, a, b2, a.length, p));
      // Depthwise as DeepLab and odd shapes use it: dilation 2 and 4, stride 2 on odd sizes, channel
      // counts that are not a multiple of 8 (the last, partial channel group), padding on every side.
      for (const [h, w, c, stride, dilation] of [[33, 33, 320, 1, 2], [17, 17, 20, 1, 4], [15, 9, 36, 2, 1], [7, 7, 961, 1, 1]] as const) {
        const g = conv2dGeometry({ inH: h, inW: w, kH: 3, kW: 3, stride, dilation, padding: 'tf-same' });
        const x = bytes(h * w * c, type), w9 = bytes(9 * c, type);
        expectSameEverywhere(g.outH * g.outW * c, type, (b, out) => b.depthwiseConv2d(out, x, w9, Int32Array.from({ length: c }, (_, i) => i * 131 - 7000), { n: 1, channels: c }, g, params(type, c, rounding)));
      }
      // DeepLab's last step: the 65×65×21 logits up to 513×513 (half-pixel and align-corners).
      const logits = bytes(65 * 65 * 21, type);
      for (const mode of ['half-pixel', 'align-corners'] as const) {
        expectSameEverywhere(513 * 513 * 21, type, (b, out) => b.resizeBilinear(out, logits, { n: 1, inH: 65, inW: 65, c: 21, outH: 513, outW: 513 }, mode, 'tflite-reference'));
      }
      // Pointwise with a pixel count that is not a multiple of the 4-pixel tile and a partial channel block.
      const xo = bytes(7 * 11 * 40, type), wo = bytes(37 * 40, type);
      expectSameEverywhere(77 * 37, type, (b, out) => b.pointwiseConv(out, xo, wo, null, { pixels: 77, inC: 40, outC: 37 }, params(type, 37, rounding)));
      expect(fast[1]!.backend.threadStats().workerChunks).toBeGreaterThan(before);
    }, 30_000);
  }
});

// ---- zero-copy scope ----------------------------------------------------------------------

describe('integer wasm-simd zero-copy scope (beginScope / scratch / endScope)', () => {
  const next = seededUniform(5);
  const fill = (a: Q8Array, type: Q8Type): void => {
    const [lo, hi] = q8Range(type);
    for (let i = 0; i < a.length; i++) a[i] = lo + Math.floor(next() * (hi - lo + 1));
  };
  const q = (type: Q8Type, channels: number): Q8ConvParams => ({
    inputZeroPoint: type === 'uint8' ? 9 : -9, filterZeroPoint: type === 'uint8' ? 120 : 0,
    requantizer: convRequantizer({ type, input: 0.03, output: 0.05, filter: [0.01] }, 'xnnpack-fp32'),
    output: quantizedActivationRange(type, 0.05, type === 'uint8' ? 3 : -100, 'relu6'),
  });

  for (const type of ['uint8', 'int8'] as const) {
    it(`${type}: ops on scratch() views run in place and equal the scalar kernels on copies; scopes nest and reuse memory`, () => {
      for (const { backend } of fast) {
        const g = conv2dGeometry({ inH: 9, inW: 9, kH: 3, kW: 3, stride: 1, padding: 'tf-same' });
        const w1 = new (ctorOf(type))(16 * 12), wd = new (ctorOf(type))(9 * 16), w2 = new (ctorOf(type))(12 * 16);
        [w1, wd, w2].forEach((w) => fill(w, type));
        const [lo, hi] = q8Range(type);
        const pAdd = addRequantization({ a: 0.05, b: 0.05, output: 0.07 }, { a: 3, b: 3 }, { zeroPoint: lo + 2, min: lo, max: hi }, 'xnnpack-fp32');
        const chain = (b: Q8Backend, alloc: (n: number) => Q8Array, x: Q8Array): Q8Array => {
          const e = alloc(81 * 16), d = alloc(81 * 16), p = alloc(81 * 12), s = alloc(81 * 12);
          b.pointwiseConv(e, x, w1, null, { pixels: 81, inC: 12, outC: 16 }, q(type, 16));
          b.depthwiseConv2d(d, e, wd, null, { n: 1, channels: 16 }, g, q(type, 16));
          b.pointwiseConv(p, d, w2, null, { pixels: 81, inC: 16, outC: 12 }, q(type, 12));
          b.add(s, p, x, 81 * 12, pAdd);
          b.add(p, p, s, 81 * 12, pAdd); // out aliasing an input
          return p;
        };
        const input = new (ctorOf(type))(81 * 12);
        fill(input, type);
        const want = chain(scalar, (n) => new (ctorOf(type))(n), input).slice();
        for (let round = 0; round < 2; round++) {
          backend.beginScope();
          const x = backend.scratch(type, input.length);
          x.set(input);
          backend.beginScope(); // a nested scope's tensors sit above the outer one's
          const got = chain(backend, (n) => backend.scratch(type, n), x);
          expect(got.buffer).not.toBe(input.buffer);
          expect(Array.from(got)).toEqual(Array.from(want));
          expect(Array.from(x)).toEqual(Array.from(input)); // the outer tensor survived the inner ones
          backend.endScope();
          backend.endScope();
        }
      }
    });
  }

  it('a scratch() view used after its endScope() is a usage error; scratch() outside a scope too', () => {
    const { backend } = fast[0]!;
    expect(() => backend.scratch('uint8', 8)).toThrow(/needs an open beginScope/);
    backend.beginScope();
    const stale = backend.scratch('uint8', 64);
    backend.endScope();
    expect(() => backend.endScope()).toThrow(/endScope\(\) without beginScope/);
    const rq = convRequantizer({ type: 'uint8', input: 0.1, output: 0.2, filter: [0.01] }, 'xnnpack-fp32');
    const qq: Q8ConvParams = { inputZeroPoint: 0, filterZeroPoint: 0, requantizer: rq, output: { zeroPoint: 0, min: 0, max: 255 } };
    expect(() => backend.pointwiseConv(new Uint8Array(64), stale, new Uint8Array(64), null, { pixels: 8, inC: 8, outC: 8 }, qq)).toThrow(/after its endScope/);
    backend.beginScope();
    expect(() => backend.scratch('uint8', 0)).toThrow(/positive integer/);
    backend.endScope();
  });

  it('dispose() inside an open scope: the backend then refuses every op, scope calls included', async () => {
    const b = new Q8WasmBackend({ threads: 1 });
    await b.init();
    b.beginScope();
    b.scratch('int8', 100);
    await b.disposeAsync();
    expect(() => b.beginScope()).toThrow(/disposed/);
    expect(() => b.scratch('int8', 8)).toThrow(/disposed/);
  });
});

// ---- errors and the scalar hand-off --------------------------------------------------------

describe('integer wasm-simd: errors and exotic parameters', () => {
  const g = conv2dGeometry({ inH: 4, inW: 4, kH: 3, kW: 3, padding: 'tf-same' });
  const x = new Uint8Array(16 * 8).map((_, i) => (i * 37) % 256);
  const w = new Uint8Array(9 * 8).map((_, i) => (i * 91) % 256);
  const q = (rq: Requantizer, zx = 7): Q8ConvParams => ({ inputZeroPoint: zx, filterZeroPoint: 120, requantizer: rq, output: { zeroPoint: 9, min: 0, max: 255 } });

  it('rejects bad arguments with the scalar kernel\'s own error', () => {
    const rq = convRequantizer({ type: 'uint8', input: 0.1, output: 0.2, filter: [0.01] }, 'tflite-reference');
    for (const bad of [q(rq, 300), { ...q(rq), requantizer: { ...rq, rounding: 'banker' as Requantization } }]) {
      let want = '';
      try { scalar.depthwiseConv2d(new Uint8Array(128), x, w, null, { n: 1, channels: 8 }, g, bad); } catch (e) { want = (e as Error).message; }
      expect(want).not.toBe('');
      expect(() => fast[0]!.backend.depthwiseConv2d(new Uint8Array(128), x, w, null, { n: 1, channels: 8 }, g, bad)).toThrow(KernelArgumentError);
      expect(() => fast[0]!.backend.depthwiseConv2d(new Uint8Array(128), x, w, null, { n: 1, channels: 8 }, g, bad)).toThrow(want);
    }
    const shape = (b: Q8Backend): unknown => { try { b.pointwiseConv(new Uint8Array(3), x, w, null, { pixels: 16, inC: 8, outC: 8 }, q(rq)); } catch (e) { return e; } return null; };
    const [want, got] = [shape(scalar), shape(fast[0]!.backend)] as Error[];
    expect(got).toBeInstanceOf(want!.constructor);
    expect(got!.message).toBe(want!.message);
  });

  it('a multiplier of INT32_MIN (the saturating SaturatingRoundingDoublingHighMul input) gives the scalar kernel\'s answer', () => {
    const rq: Requantizer = { rounding: 'tflite-reference', multiplier: Int32Array.of(-(2 ** 31)), shift: Int32Array.of(0), scale: Float32Array.of(1) };
    const xi = new Int8Array(16 * 8).fill(-128);
    const wi = new Int8Array(9 * 8).fill(-128);
    const qi: Q8ConvParams = { inputZeroPoint: 0, filterZeroPoint: 0, requantizer: rq, output: { zeroPoint: 0, min: -128, max: 127 } };
    expectSameEverywhere(128, 'int8', (b, out) => b.depthwiseConv2d(out, xi, wi, Int32Array.from({ length: 8 }, () => -(2 ** 31) + 9 * 16384), { n: 1, channels: 8 }, g, qi));
  });

  it('hand-built parameters outside the factories\' range (ADD requantizers with several entries, shift 31) give the scalar kernel\'s answer', () => {
    const p = addRequantization({ a: 0.05, b: 0.07, output: 0.09 }, { a: 3, b: 250 }, { zeroPoint: 7, min: 0, max: 255 }, 'single-rounding');
    const wide = (rq: Requantizer): Requantizer => ({ ...rq, multiplier: Int32Array.of(rq.multiplier[0]!, 1 << 30, 2 ** 31 - 1), shift: Int32Array.of(rq.shift[0]!, 3, -9), scale: Float32Array.of(rq.scale[0]!, 2, 3) });
    const pw = { ...p, a: wide(p.a), b: wide(p.b), out: wide(p.out) };
    const a = new Uint8Array(37).map((_, i) => (i * 71) % 256), b2 = new Uint8Array(37).map((_, i) => (i * 113) % 256);
    expectSameEverywhere(37, 'uint8', (b, out) => b.add(out, a, b2, 37, pw));
    const rq: Requantizer = { rounding: 'single-rounding', multiplier: Int32Array.of(1 << 30), shift: Int32Array.of(31), scale: Float32Array.of(1) };
    expectSameEverywhere(128, 'uint8', (b, out) => b.depthwiseConv2d(out, x, w, null, { n: 1, channels: 8 }, g, { ...q(rq), filterZeroPoint: 0 }));
  });

  it('createQ8Backend: scalar and wasm-simd by name; unknown kinds and threads > 1 on scalar are usage errors', async () => {
    expect((await createQ8Backend('scalar')).name).toBe('scalar');
    const b = await createQ8Backend('wasm-simd', { threads: 1 });
    expect(b.name).toBe('wasm-simd');
    b.dispose();
    await expect(createQ8Backend('scalar', { threads: 2 })).rejects.toThrow(/single-threaded/);
    await expect(createQ8Backend('gpu' as 'scalar')).rejects.toThrow(/unknown integer backend/);
  });
});
