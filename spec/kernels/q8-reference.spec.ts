// SPDX-License-Identifier: Apache-2.0
/**
 * Every integer kernel against TensorFlow Lite's own reference kernels (compiled from
 * ../shared/tflite-reference, see spec/helpers/tflite-reference.ts), bit for bit: 0 differing
 * values on generated cases. Each kernel kind draws its cases with fast-check (random shapes,
 * strides, dilations, paddings, zero points, scales from 1e-6 to 1e3, multipliers down to the
 * flush-to-zero limit and up to left shifts, exact .5 ties from power-of-two scales, biases that
 * wrap the int32 accumulator, per-channel scales), sends them to one harness process, and
 * compares every output value.
 *
 * Case count per kind: 150 by default (the whole file stays well under a minute); INT_CASES=10000
 * raises it; INT_SEED fixes the seed (printed on failure).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2dGeometry, type Conv2dGeometry } from '../../kernels/geometry.js';
import {
  convRequantizer, fixedPointRequantizer, multiplyByQuantizedMultiplierDoubleRounding, multiplyByQuantizedMultiplierSingleRounding,
  q8Range, quantizedActivationRange, quantizeMultiplier, requantizeFp32, roundingDivideByPOT, saturatingRoundingDoublingHighMul,
  type QuantizedActivation, type Q8Type,
} from '../../kernels/q-requantize.js';
import { q8Conv2dNhwc } from '../../kernels/q8-conv2d-nhwc.js';
import { q8DwConv2dNhwc } from '../../kernels/q8-dwconv2d-nhwc.js';
import { q8FullyConnected, q8PwConvNhwc } from '../../kernels/q8-fully-connected.js';
import { addRequantization, q8Add } from '../../kernels/q8-add.js';
import { meanRequantization, q8AvgPool2dNhwc, q8MeanHwNhwc } from '../../kernels/q8-avgpool-nhwc.js';
import { q8Softmax, softmaxRequantization } from '../../kernels/q8-softmax.js';
import { q8SoftmaxExpTable, q8SoftmaxLut, SOFTMAX_DIFFERENCES } from '../../kernels/q8-softmax-lut.js';
import { logisticParams, q8Logistic } from '../../kernels/q8-logistic.js';
import { q8ResizeBilinearNhwc } from '../../kernels/q8-resize-bilinear-nhwc.js';
import { q8ConcatChannelsNhwc } from '../../kernels/q8-concat-nhwc.js';
import { q8Dequantize, q8Quantize, q8Requantize } from '../../kernels/q8-quantize.js';
import { q8ArgmaxLastAxis } from '../../kernels/q8-argmax.js';
import { q8PadNhwc } from '../../kernels/q8-pad-nhwc.js';
import type { ResizeCoordinateMode } from '../../kernels/f32-resize-nhwc.js';
import { convCaseArb } from '../helpers/arbitraries.js';
import { buildReference, caseCount, HAVE_REFERENCE, runReference, type ReferenceVariant } from '../helpers/tflite-reference.js';

const CASES = caseCount(150);
const SEED = Number(process.env.INT_SEED ?? Date.now() % 2 ** 31);
const VARIANTS: Record<ReferenceVariant, 'tflite-reference' | 'single-rounding'> = {
  'double-rounding': 'tflite-reference',
  'single-rounding': 'single-rounding',
};

/** One generated case: the harness line and our answer. */
interface Case {
  readonly line: string;
  readonly ours: () => ArrayLike<number>;
}

type Sample<A> = A extends fc.Arbitrary<infer T> ? T : never;
type Q8Ctor = typeof Uint8Array | typeof Int8Array;
const ctorOf = (t: Q8Type): Q8Ctor => (t === 'uint8' ? Uint8Array : Int8Array);
const tag = (t: Q8Type): string => (t === 'uint8' ? 'u8' : 'i8');

// ---- arbitraries --------------------------------------------------------------------------

const typeArb = fc.constantFrom<Q8Type>('uint8', 'int8');
const logUniform = (lo: number, hi: number): fc.Arbitrary<number> =>
  fc.double({ min: Math.log(lo), max: Math.log(hi), noNaN: true }).map((v) => Math.fround(Math.exp(v)));
/** Scales across 1e-6..1e3, a third of them powers of two (exact products: ties at .5). */
const scaleArb = fc.oneof(
  { weight: 2, arbitrary: logUniform(1e-6, 1e3) },
  { weight: 1, arbitrary: fc.integer({ min: -19, max: 9 }).map((k) => 2 ** k) },
);
/** log2 of the effective multiplier: mostly where outputs are informative, sometimes at the limits. */
const log2MultiplierArb = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -18, max: -4, noNaN: true }) },
  { weight: 1, arbitrary: fc.double({ min: -36, max: -30, noNaN: true }) }, // around the 2^-31 flush
  { weight: 1, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) }, // near 1 and left shifts
  { weight: 1, arbitrary: fc.integer({ min: -20, max: 2 }) }, // exact powers of two: ties
);
const activationArb = fc.constantFrom<QuantizedActivation>('none', 'relu', 'relu6', 'relu-n1-to-1');
const zeroPointArb = (t: Q8Type): fc.Arbitrary<number> => {
  const [lo, hi] = q8Range(t);
  return fc.oneof(fc.integer({ min: lo, max: hi }), fc.constantFrom(lo, hi, t === 'uint8' ? 128 : 0));
};
/** Output scale = sx·sw / 2^t for a drawn t, so the multiplier lands where log2MultiplierArb says. */
function outputScaleFor(productScale: number, log2M: number): number {
  const s = Math.fround(productScale / 2 ** log2M);
  return s > 0 && Number.isFinite(s) ? s : Math.fround(productScale); // float32 over/underflow: M = 1
}
const biasArb = (count: number): fc.Arbitrary<Int32Array | null> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 4, arbitrary: fc.array(fc.integer({ min: -(2 ** 16), max: 2 ** 16 }), { minLength: count, maxLength: count }).map((a) => Int32Array.from(a)) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: count, maxLength: count }).map((a) => Int32Array.from(a)) },
  );
function q8Data(t: Q8Type, length: number): fc.Arbitrary<Uint8Array | Int8Array> {
  const [lo, hi] = q8Range(t);
  return fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.integer({ min: lo, max: hi }), { minLength: length, maxLength: length }) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(lo, hi), { minLength: length, maxLength: length }) }, // extreme accumulators
  ).map((a) => ctorOf(t).from(a));
}
const join = (a: ArrayLike<number> | null): string => (a === null ? '' : Array.from(a).join(' '));

// ---- conv-like kernels --------------------------------------------------------------------

interface ConvLike {
  readonly type: Q8Type;
  readonly g: Conv2dGeometry;
  readonly n: number;
  readonly inC: number;
  readonly outC: number;
  readonly zx: number;
  readonly zw: number;
  readonly zo: number;
  readonly sx: number;
  readonly so: number;
  readonly sw: number[];
  readonly activation: QuantizedActivation;
  readonly bias: Int32Array | null;
  readonly x: Uint8Array | Int8Array;
  readonly w: Uint8Array | Int8Array;
}

function convLikeArb(kind: 'conv' | 'dwconv' | 'fc' | 'pw'): fc.Arbitrary<ConvLike> {
  return fc.tuple(convCaseArb, typeArb).chain(([c, type]) => {
    const g = kind === 'fc' || kind === 'pw' ? conv2dGeometry({ inH: 1, inW: kind === 'pw' ? c.inH * c.inW : 1, kH: 1, kW: 1, padding: 'valid' }) : c.g;
    const outC = kind === 'dwconv' ? c.inC : c.outC;
    const wLength = kind === 'dwconv' ? g.kH * g.kW * outC : outC * g.kH * g.kW * c.inC;
    const n = kind === 'fc' ? c.n * c.inH : c.n;
    return fc.record({
      type: fc.constant(type), g: fc.constant(g), n: fc.constant(n), inC: fc.constant(c.inC), outC: fc.constant(outC),
      zx: zeroPointArb(type), zw: type === 'uint8' ? zeroPointArb(type) : fc.constant(0), zo: zeroPointArb(type),
      sx: scaleArb, log2M: log2MultiplierArb,
      sw: type === 'uint8' ? scaleArb.map((s) => [s]) : fc.oneof(
        scaleArb.map((s) => [s]),
        // per channel: within 2^±6 of the first, so every channel's multiplier stays in range
        fc.tuple(scaleArb, fc.array(fc.double({ min: -6, max: 6, noNaN: true }), { minLength: outC - 1, maxLength: outC - 1 }))
          .map(([s, e]) => [s, ...e.map((k) => Math.fround(s * 2 ** k))]),
      ),
      activation: activationArb, bias: biasArb(outC),
      x: q8Data(type, n * g.inH * g.inW * c.inC), w: q8Data(type, wLength),
    }).map(({ log2M, ...r }) => ({ ...r, so: outputScaleFor(r.sx * r.sw[0]!, log2M) }));
  });
}

function convLikeCase(kind: 'conv' | 'dwconv' | 'fc' | 'pw', c: ConvLike, rounding: 'tflite-reference' | 'single-rounding'): Case {
  const { g, type } = c;
  const output = quantizedActivationRange(type, c.so, c.zo, c.activation);
  const scales = `${c.sx} ${c.so} ${c.sw.length} ${c.sw.join(' ')} ${c.bias === null ? 0 : 1} ${join(c.bias)}`;
  const quant = `${c.zx} ${c.zw} ${c.zo} ${output.min} ${output.max}`;
  const q = { inputZeroPoint: c.zx, filterZeroPoint: c.zw, requantizer: convRequantizer({ type, input: c.sx, output: c.so, filter: c.sw }, rounding), output };
  const Ctor = ctorOf(type);
  if (kind === 'fc' || kind === 'pw') {
    const rows = kind === 'fc' ? c.n : c.n * g.inW;
    const line = kind === 'fc'
      ? `fc ${tag(type)} ${rows} ${c.inC} ${c.outC} ${quant} ${scales} ${join(c.x)} ${join(c.w)}`
      : `conv ${tag(type)} 1 1 ${rows} ${c.inC} ${c.outC} 1 1 1 1 1 1 0 0 1 ${rows} ${quant} ${scales} ${join(c.x)} ${join(c.w)}`;
    return {
      line,
      ours: () => {
        const out = new Ctor(rows * c.outC);
        if (kind === 'fc') q8FullyConnected(out, c.x, c.w, c.bias, { n: rows, inC: c.inC, outC: c.outC }, q);
        else q8PwConvNhwc(out, c.x, c.w, c.bias, { pixels: rows, inC: c.inC, outC: c.outC }, q);
        return out;
      },
    };
  }
  const geometry = `${c.n} ${g.inH} ${g.inW} ${c.inC}${kind === 'conv' ? ` ${c.outC}` : ''} ${g.kH} ${g.kW} ${g.strideH} ${g.strideW} ${g.dilationH} ${g.dilationW} ${g.pad.top} ${g.pad.left} ${g.outH} ${g.outW}`;
  return {
    line: `${kind} ${tag(type)} ${geometry} ${quant} ${scales} ${join(c.x)} ${join(c.w)}`,
    ours: () => {
      const out = new Ctor(c.n * g.outH * g.outW * c.outC);
      if (kind === 'conv') q8Conv2dNhwc(out, c.x, c.w, c.bias, { n: c.n, inC: c.inC, outC: c.outC }, g, q);
      else q8DwConv2dNhwc(out, c.x, c.w, c.bias, { n: c.n, channels: c.outC }, g, q);
      return out;
    },
  };
}

// ---- the other kernels --------------------------------------------------------------------

const addArb = typeArb.chain((type) => fc.integer({ min: 1, max: 64 }).chain((length) => fc.record({
  type: fc.constant(type), length: fc.constant(length), za: zeroPointArb(type), zb: zeroPointArb(type), zo: zeroPointArb(type),
  sa: scaleArb, ratio: fc.double({ min: -6, max: 6, noNaN: true }), log2Out: fc.double({ min: -0.5, max: 6, noNaN: true }),
  activation: activationArb, a: q8Data(type, length), b: q8Data(type, length),
})));

function addCase(c: Sample<typeof addArb>, rounding: 'tflite-reference' | 'single-rounding'): Case {
  const sb = Math.fround(c.sa * 2 ** c.ratio);
  // output scale ≥ the larger input scale / 2: TFLite needs the output multiplier < 1
  const so = Math.fround(Math.max(c.sa, sb) * 2 ** c.log2Out);
  const output = quantizedActivationRange(c.type, so, c.zo, c.activation);
  return {
    line: `add ${tag(c.type)} ${c.length} ${c.za} ${c.zb} ${c.zo} ${output.min} ${output.max} ${c.sa} ${sb} ${so} ${join(c.a)} ${join(c.b)}`,
    ours: () => {
      const out = new (ctorOf(c.type))(c.length);
      q8Add(out, c.a, c.b, c.length, addRequantization({ a: c.sa, b: sb, output: so }, { a: c.za, b: c.zb }, output, rounding));
      return out;
    },
  };
}

const poolArb = fc.record({
  type: typeArb, n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }), c: fc.integer({ min: 1, max: 9 }),
  kH: fc.integer({ min: 1, max: 4 }), kW: fc.integer({ min: 1, max: 4 }), s: fc.integer({ min: 1, max: 3 }),
  padding: fc.constantFrom<'tf-same' | 'valid'>('tf-same', 'valid'), zo: fc.integer({ min: -128, max: 255 }), so: scaleArb, activation: activationArb,
}).chain((r) => q8Data(r.type, r.n * r.h * r.w * r.c).map((x) => ({ ...r, x })));

function poolCase(c: Sample<typeof poolArb>): Case | null {
  let g: Conv2dGeometry;
  try { g = conv2dGeometry({ inH: c.h, inW: c.w, kH: c.kH, kW: c.kW, stride: c.s, padding: c.padding }); } catch { return null; }
  const [lo, hi] = q8Range(c.type);
  const zo = Math.min(Math.max(c.zo, lo), hi);
  const range = quantizedActivationRange(c.type, c.so, zo, c.activation);
  return {
    line: `avgpool ${tag(c.type)} ${c.n} ${c.h} ${c.w} ${c.c} ${c.kH} ${c.kW} ${c.s} ${c.s} ${g.pad.top} ${g.pad.left} ${g.outH} ${g.outW} ${range.min} ${range.max} ${join(c.x)}`,
    ours: () => {
      const out = new (ctorOf(c.type))(c.n * g.outH * g.outW * c.c);
      q8AvgPool2dNhwc(out, c.x, { n: c.n, channels: c.c }, g, range);
      return out;
    },
  };
}

const meanArb = typeArb.chain((type) => fc.record({
  type: fc.constant(type), n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 14 }), w: fc.integer({ min: 1, max: 14 }), c: fc.integer({ min: 1, max: 9 }),
  zi: zeroPointArb(type), zo: zeroPointArb(type), si: scaleArb, log2M: fc.oneof(fc.double({ min: -8, max: 3, noNaN: true }), fc.integer({ min: -8, max: 2 })),
}).chain((r) => q8Data(type, r.n * r.h * r.w * r.c).map((x) => ({ ...r, x }))));

function meanCase(c: Sample<typeof meanArb>, rounding: 'tflite-reference' | 'single-rounding'): Case {
  const so = outputScaleFor(c.si, c.log2M);
  return {
    line: `mean ${tag(c.type)} ${c.n} ${c.h} ${c.w} ${c.c} ${c.zi} ${c.zo} ${c.si} ${so} ${join(c.x)}`,
    ours: () => {
      const out = new (ctorOf(c.type))(c.n * c.c);
      q8MeanHwNhwc(out, c.x, { n: c.n, h: c.h, w: c.w, c: c.c }, meanRequantization({ input: c.si, output: so }, { input: c.zi, output: c.zo }, c.h * c.w, rounding));
      return out;
    },
  };
}

const softmaxArb = typeArb.chain((type) => fc.record({
  type: fc.constant(type), rows: fc.integer({ min: 1, max: 3 }), cols: fc.integer({ min: 1, max: 40 }),
  // β·s·2²⁶ < 2³⁰: larger needs a left shift > 30
  scale: fc.oneof(logUniform(1e-3, 4), fc.constantFrom(1 / 16, 0.1, 0.25)), beta: fc.oneof(fc.constant(1), logUniform(0.1, 2)),
}).chain((r) => q8Data(type, r.rows * r.cols).map((x) => ({ ...r, x }))));

/** kernel: the definition (q8-softmax.ts) or its table twin (q8-softmax-lut.ts), both against the reference. */
function softmaxCase(c: Sample<typeof softmaxArb>, rounding: 'tflite-reference' | 'single-rounding', kernel: 'definition' | 'table'): Case {
  return {
    line: `softmax ${tag(c.type)} ${c.rows} ${c.cols} ${c.scale} ${c.beta} ${join(c.x)}`,
    ours: () => {
      const out = new (ctorOf(c.type))(c.rows * c.cols);
      const p = softmaxRequantization(c.scale, Math.fround(c.beta), rounding);
      if (kernel === 'definition') {
        q8Softmax(out, c.x, { rows: c.rows, cols: c.cols }, p);
      } else {
        const exps = new Int32Array(2 * SOFTMAX_DIFFERENCES);
        q8SoftmaxExpTable(exps, p);
        q8SoftmaxLut(out, c.x, { rows: c.rows, cols: c.cols }, exps, new Int32Array(SOFTMAX_DIFFERENCES));
      }
      return out;
    },
  };
}

const logisticArb = fc.record({
  // Scales of the whole range: below 2^-27·… the radius is huge, at ≥ 8 every input saturates.
  zp: zeroPointArb('int8'), scale: fc.oneof(scaleArb, logUniform(1e-3, 1)), n: fc.integer({ min: 1, max: 64 }),
}).chain((r) => q8Data('int8', r.n).map((x) => ({ ...r, x: x as Int8Array })));

function logisticCase(c: Sample<typeof logisticArb>, rounding: 'tflite-reference' | 'single-rounding'): Case {
  return {
    line: `logistic i8 ${c.zp} ${c.scale} ${c.n} ${join(c.x)}`,
    ours: () => {
      const out = new Int8Array(c.n);
      q8Logistic(out, c.x, c.n, logisticParams(c.scale, c.zp, 'int8', rounding));
      return out;
    },
  };
}

const logisticTableArb = typeArb.chain((type) => fc.record({ type: fc.constant(type), zp: zeroPointArb(type), scale: fc.oneof(scaleArb, logUniform(1e-3, 1)) }));

/** The float32 table (our 'xnnpack-fp32' LOGISTIC) against TFLite's LUTPopulate of the float sigmoid, all 256 inputs. */
function logisticTableCase(c: Sample<typeof logisticTableArb>): Case {
  const [lo, hi] = q8Range(c.type);
  return {
    line: `logistic-table ${tag(c.type)} ${c.zp} ${c.scale}`,
    ours: () => {
      const x = new (ctorOf(c.type))(256);
      for (let v = lo; v <= hi; v++) x[v - lo] = v;
      const out = new (ctorOf(c.type))(256);
      q8Logistic(out, x, 256, logisticParams(c.scale, c.zp, c.type, 'xnnpack-fp32'));
      return out;
    },
  };
}

const resizeArb = typeArb.chain((type) => fc.record({
  type: fc.constant(type), n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }), c: fc.integer({ min: 1, max: 5 }),
  oh: fc.integer({ min: 1, max: 20 }), ow: fc.integer({ min: 1, max: 20 }), mode: fc.constantFrom<ResizeCoordinateMode>('align-corners', 'half-pixel', 'asymmetric'),
}).chain((r) => q8Data(type, r.n * r.h * r.w * r.c).map((x) => ({ ...r, x }))));

function resizeCase(c: Sample<typeof resizeArb>, rounding: 'tflite-reference' | 'single-rounding'): Case {
  return {
    line: `resize ${tag(c.type)} ${c.n} ${c.h} ${c.w} ${c.c} ${c.oh} ${c.ow} ${c.mode} ${join(c.x)}`,
    ours: () => {
      const out = new (ctorOf(c.type))(c.n * c.oh * c.ow * c.c);
      q8ResizeBilinearNhwc(out, c.x, { n: c.n, inH: c.h, inW: c.w, c: c.c, outH: c.oh, outW: c.ow }, c.mode, rounding);
      return out;
    },
  };
}

const concatArb = typeArb.chain((type) => fc.record({
  type: fc.constant(type), pixels: fc.integer({ min: 1, max: 20 }), outScale: scaleArb, outZp: zeroPointArb(type),
  parts: fc.array(fc.record({ channels: fc.integer({ min: 1, max: 9 }), same: fc.boolean(), scale: scaleArb, zp: zeroPointArb(type) }), { minLength: 1, maxLength: 4 }),
}).chain((r) => fc.tuple(...r.parts.map((p) => q8Data(type, r.pixels * p.channels))).map((data) => ({ ...r, data }))));

function concatCase(c: Sample<typeof concatArb>): Case | null {
  const parts = c.parts.map((p, i) => {
    const same = p.same || c.type === 'int8'; // int8 concatenation requires equal quantization
    return { data: c.data[i]!, channels: p.channels, scale: same ? c.outScale : p.scale, zeroPoint: same ? c.outZp : p.zp };
  });
  const total = parts.reduce((s, p) => s + p.channels, 0);
  // A rescaled value beyond int32 is undefined behaviour in the reference's float → int32 cast
  // (x86 gives INT32_MIN, WASM's saturating cast INT32_MAX); ours saturates. Not compared.
  if (parts.some((p) => (Math.abs(p.zeroPoint) + 255) * (p.scale / c.outScale) >= 2 ** 30)) return null;
  return {
    line: `concat ${tag(c.type)} ${c.pixels} ${parts.length} ${c.outScale} ${c.outZp} ${parts.map((p) => `${p.channels} ${p.scale} ${p.zeroPoint} ${join(p.data)}`).join(' ')}`,
    ours: () => {
      const out = new (ctorOf(c.type))(c.pixels * total);
      q8ConcatChannelsNhwc(out, parts, c.pixels, { scale: c.outScale, zeroPoint: c.outZp });
      return out;
    },
  };
}

const quantizeArb = typeArb.chain((type) => fc.record({
  type: fc.constant(type), scale: scaleArb, zp: zeroPointArb(type),
  units: fc.array(fc.oneof(fc.double({ min: -400, max: 400, noNaN: true }), fc.integer({ min: -300, max: 300 }).map((k) => k + 0.5), fc.integer({ min: -300, max: 300 })), { minLength: 1, maxLength: 64 }),
}));

function quantizeCase(c: Sample<typeof quantizeArb>): Case {
  const x = Float32Array.from(c.units, (u) => u * c.scale);
  const bits = new Uint32Array(x.buffer);
  return {
    line: `quantize ${tag(c.type)} ${x.length} ${c.scale} ${c.zp} ${join(bits)}`,
    ours: () => {
      const out = new (ctorOf(c.type))(x.length);
      q8Quantize(out, x, x.length, c.scale, c.zp);
      return out;
    },
  };
}

const dequantizeArb = typeArb.chain((type) => fc.integer({ min: 1, max: 64 }).chain((length) => fc.record({
  type: fc.constant(type), scale: scaleArb, zp: zeroPointArb(type), x: q8Data(type, length),
})));

function dequantizeCase(c: Sample<typeof dequantizeArb>): Case {
  return {
    line: `dequantize ${tag(c.type)} ${c.x.length} ${c.scale} ${c.zp} ${join(c.x)}`,
    ours: () => {
      const out = new Float32Array(c.x.length);
      q8Dequantize(out, c.x, c.x.length, c.scale, c.zp);
      return new Uint32Array(out.buffer);
    },
  };
}

const requantizeArb = fc.tuple(typeArb, typeArb).chain(([from, to]) => fc.integer({ min: 1, max: 64 }).chain((length) => fc.record({
  from: fc.constant(from), to: fc.constant(to), zi: zeroPointArb(from), zo: zeroPointArb(to), si: scaleArb,
  log2M: fc.oneof(fc.double({ min: -10, max: 6, noNaN: true }), fc.integer({ min: -10, max: 6 }), fc.constant(0)), x: q8Data(from, length),
})));

function requantizeCase(c: Sample<typeof requantizeArb>, rounding: 'tflite-reference' | 'single-rounding'): Case {
  const so = outputScaleFor(c.si, c.log2M);
  return {
    line: `requantize ${tag(c.from)} ${tag(c.to)} ${c.x.length} ${c.zi} ${c.zo} ${c.si} ${so} ${join(c.x)}`,
    ours: () => {
      const out = new (ctorOf(c.to))(c.x.length);
      q8Requantize(out, c.x, c.x.length, { inputZeroPoint: c.zi, outputZeroPoint: c.zo, requantizer: fixedPointRequantizer(Math.fround(c.si) / so, rounding) });
      return out;
    },
  };
}

const argmaxArb = typeArb.chain((type) => fc.record({ type: fc.constant(type), rows: fc.integer({ min: 1, max: 5 }), cols: fc.integer({ min: 1, max: 30 }), spread: fc.integer({ min: 0, max: 4 }) })
  .chain((r) => fc.array(fc.integer({ min: 0, max: r.spread }), { minLength: r.rows * r.cols, maxLength: r.rows * r.cols })
    .map((a) => ({ ...r, x: ctorOf(type).from(a.map((v) => v * 37 - (type === 'int8' ? 100 : 0))) }))));

function argmaxCase(c: Sample<typeof argmaxArb>): Case {
  return {
    line: `argmax ${tag(c.type)} ${c.rows} ${c.cols} ${join(c.x)}`,
    ours: () => {
      const out = new Int32Array(c.rows);
      q8ArgmaxLastAxis(out, c.x, { rows: c.rows, cols: c.cols });
      return out;
    },
  };
}

const padArb = typeArb.chain((type) => fc.record({
  type: fc.constant(type), n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 6 }), w: fc.integer({ min: 1, max: 6 }), c: fc.integer({ min: 1, max: 5 }),
  top: fc.integer({ min: 0, max: 3 }), bottom: fc.integer({ min: 0, max: 3 }), left: fc.integer({ min: 0, max: 3 }), right: fc.integer({ min: 0, max: 3 }), value: zeroPointArb(type),
}).chain((r) => q8Data(type, r.n * r.h * r.w * r.c).map((x) => ({ ...r, x }))));

function padCase(c: Sample<typeof padArb>): Case {
  const oh = c.h + c.top + c.bottom;
  const ow = c.w + c.left + c.right;
  return {
    line: `pad ${tag(c.type)} ${c.n} ${c.h} ${c.w} ${c.c} ${c.top} ${c.bottom} ${c.left} ${c.right} ${c.value} ${join(c.x)}`,
    ours: () => {
      const out = new (ctorOf(c.type))(c.n * oh * ow * c.c);
      q8PadNhwc(out, c.x, { n: c.n, h: c.h, w: c.w, c: c.c }, { top: c.top, bottom: c.bottom, left: c.left, right: c.right }, c.value);
      return out;
    },
  };
}

// ---- fixed-point primitives ----------------------------------------------------------------

const int32Arb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(-(2 ** 31), -(2 ** 31) + 1, -1, 0, 1, 2 ** 31 - 1, 2 ** 30, -(2 ** 30)) },
  { weight: 2, arbitrary: fc.integer({ min: -(2 ** 20), max: 2 ** 20 }) },
);
const multiplierArb = fc.oneof(fc.integer({ min: 2 ** 30, max: 2 ** 31 - 1 }), fc.constantFrom(2 ** 30, 2 ** 31 - 1, 0, 1518500250));

const primitiveArb = fc.oneof(
  fc.record({ op: fc.constant('srdhm' as const), a: int32Arb, b: int32Arb }),
  fc.record({ op: fc.constant('rdbpot' as const), a: int32Arb, b: fc.integer({ min: 0, max: 31 }) }),
  fc.record({ op: fc.constant('mbqm' as const), a: int32Arb, b: multiplierArb, shift: fc.integer({ min: -31, max: 30 }) }),
  fc.record({ op: fc.constant('qm' as const), real: fc.oneof(
    fc.double({ min: -44, max: 36, noNaN: true }).map((e) => 2 ** e),
    fc.integer({ min: -40, max: 35 }).map((e) => 2 ** e),
    fc.integer({ min: -40, max: 35 }).map((e) => 2 ** e * (1 - 2 ** -33)), // rounds up to 2^31: q/2, shift + 1
    fc.constant(0),
  ) }),
);

function primitiveCase(c: Sample<typeof primitiveArb>, rounding: 'tflite-reference' | 'single-rounding'): Case | null {
  switch (c.op) {
    case 'srdhm':
      return { line: `prim srdhm ${c.a} ${c.b}`, ours: () => [saturatingRoundingDoublingHighMul(c.a, c.b)] };
    case 'rdbpot':
      return { line: `prim rdbpot ${c.a} ${c.b}`, ours: () => [roundingDivideByPOT(c.a, c.b)] };
    case 'mbqm': {
      if (rounding === 'single-rounding') {
        // A result outside int32 is a DCHECK in the reference; a release build keeps its low 32 bits.
        return { line: `prim mbqm ${c.a} ${c.b} ${c.shift}`, ours: () => [multiplyByQuantizedMultiplierSingleRounding(c.a, c.b, c.shift)] };
      }
      return { line: `prim mbqm ${c.a} ${c.b} ${c.shift}`, ours: () => [multiplyByQuantizedMultiplierDoubleRounding(c.a, c.b, c.shift)] };
    }
    case 'qm': {
      if (rounding === 'tflite-reference' && c.real >= 2 ** 29) return null; // ours refuses shifts > 30 there (2^30·(1 − 2^-33) rounds up to one)
      return { line: `prim qm ${c.real}`, ours: () => { const r = quantizeMultiplier(c.real, rounding); return [r.multiplier, r.shift]; } };
    }
  }
}

/** fast-check's sample with our seed, typed for the case builders above. */
function sampleOf<T>(arb: fc.Arbitrary<T>, count = CASES, salt = 0): T[] {
  return fc.sample(arb, { numRuns: count, seed: SEED + salt });
}

async function expectBitExact(variant: ReferenceVariant, kind: string, cases: readonly (Case | null)[]): Promise<void> {
  const valid = cases.filter((c): c is Case => c !== null);
  expect(valid.length).toBeGreaterThan(cases.length / 2); // filters must not hollow the sample out
  const t0 = performance.now();
  const reference = await runReference(variant, valid.map((c) => c.line));
  const t1 = performance.now();
  let values = 0;
  for (const [i, c] of valid.entries()) {
    const ours = Array.from(c.ours());
    const theirs = reference[i]!;
    if (ours.length !== theirs.length || ours.some((v, j) => v !== theirs[j])) {
      const j = ours.findIndex((v, k) => v !== theirs[k]);
      throw new Error(`${kind} (${variant}, seed ${SEED}) case ${i}: value ${j} is ${ours[j]} but the reference says ${theirs[j]} (lengths ${ours.length}/${theirs.length})\n${c.line.slice(0, 400)}`);
    }
    values += ours.length;
  }
  if (process.env.INT_CASES !== undefined) {
    console.log(`[q8-reference] ${kind} ${variant}: ${valid.length} cases, ${values} values, 0 differ; reference ${((t1 - t0) / 1000).toFixed(1)} s, total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

describe.skipIf(!HAVE_REFERENCE)('integer kernels = TFLite reference kernels, bit for bit', () => {
  beforeAll(() => buildReference(), 300_000);

  for (const [variant, rounding] of Object.entries(VARIANTS) as [ReferenceVariant, 'tflite-reference' | 'single-rounding'][]) {
    describe(variant, () => {
      for (const kind of ['conv', 'dwconv', 'fc', 'pw'] as const) {
        it(`${kind}: uint8 per-tensor and int8 per-channel`, async () => {
          await expectBitExact(variant, kind, sampleOf(convLikeArb(kind), CASES, kind.length).map((c) => convLikeCase(kind, c, rounding)));
        });
      }
      it('add (left shift 20)', async () => {
        await expectBitExact(variant, 'add', sampleOf(addArb, CASES, 5).map((c) => addCase(c, rounding)));
      });
      it('mean over H, W', async () => {
        await expectBitExact(variant, 'mean', sampleOf(meanArb, CASES, 6).map((c) => meanCase(c, rounding)));
      });
      it('softmax', async () => {
        await expectBitExact(variant, 'softmax', sampleOf(softmaxArb, CASES, 7).map((c) => softmaxCase(c, rounding, 'definition')));
      });
      it('softmax by table (q8-softmax-lut.ts, the integer path\'s)', async () => {
        await expectBitExact(variant, 'softmax', sampleOf(softmaxArb, CASES, 7).map((c) => softmaxCase(c, rounding, 'table')));
      });
      it('logistic (int8, gemmlowp fixed point)', async () => {
        await expectBitExact(variant, 'logistic', sampleOf(logisticArb, CASES, 18).map((c) => logisticCase(c, rounding)));
      });
      it('resize bilinear (uint8 float32 formula, int8 10-bit fixed point)', async () => {
        await expectBitExact(variant, 'resize', sampleOf(resizeArb, CASES, 8).map((c) => resizeCase(c, rounding)));
      });
      it('requantize (uint8 ↔ int8)', async () => {
        await expectBitExact(variant, 'requantize', sampleOf(requantizeArb, CASES, 9).map((c) => requantizeCase(c, rounding)));
      });
      it('fixed-point primitives and QuantizeMultiplier (incl. INT32_MIN saturation, shift limits)', async () => {
        const fixed = [
          { op: 'srdhm' as const, a: -(2 ** 31), b: -(2 ** 31) },
          { op: 'rdbpot' as const, a: -(2 ** 31), b: 31 },
          { op: 'qm' as const, real: 2 ** -32 },
        ];
        await expectBitExact(variant, 'primitives', [...fixed, ...sampleOf(primitiveArb, CASES * 4, 10)].map((c) => primitiveCase(c, rounding)));
      });
    });
  }

  describe('rounding-independent kernels', () => {
    it('average pool', async () => {
      await expectBitExact('double-rounding', 'avgpool', sampleOf(poolArb, CASES, 11).map(poolCase));
    });
    it('concatenation (uint8 rescaling in float32, int8 copy)', async () => {
      await expectBitExact('double-rounding', 'concat', sampleOf(concatArb, CASES, 12).map(concatCase));
    });
    it('quantize (ties at .5 included)', async () => {
      await expectBitExact('double-rounding', 'quantize', sampleOf(quantizeArb, CASES, 13).map(quantizeCase));
    });
    it('dequantize (float32 bit patterns)', async () => {
      await expectBitExact('double-rounding', 'dequantize', sampleOf(dequantizeArb, CASES, 14).map(dequantizeCase));
    });
    it('argmax (many ties)', async () => {
      await expectBitExact('double-rounding', 'argmax', sampleOf(argmaxArb, CASES, 15).map(argmaxCase));
    });
    it('logistic table (float32 sigmoid, every 8-bit input) = TFLite LUTPopulate', async () => {
      await expectBitExact('double-rounding', 'logistic-table', sampleOf(logisticTableArb, CASES, 19).map(logisticTableCase));
    });
    it('pad', async () => {
      await expectBitExact('double-rounding', 'pad', sampleOf(padArb, CASES, 16).map(padCase));
    });
    it("'xnnpack-fp32' requantization = C float32 arithmetic with lrintf", async () => {
      const arb = fc.record({ acc: int32Arb, scale: fc.oneof(logUniform(1e-9, 1e2), fc.integer({ min: -20, max: 0 }).map((k) => 2 ** k)) });
      const cases = sampleOf(arb, CASES * 4, 17).map(({ acc, scale }) =>
        Math.abs(Math.fround(acc) * scale) < 2 ** 31 - 256 ? { line: `fp32 ${acc} ${scale}`, ours: () => [requantizeFp32(acc, scale)] } : null);
      await expectBitExact('double-rounding', 'xnnpack-fp32', cases);
    });
  });
});
