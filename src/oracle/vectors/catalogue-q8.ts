// SPDX-License-Identifier: Apache-2.0
/**
 * The integer (8-bit quantized) conformance cases: every quantized operator of a TFLite
 * MobileNetV2 (CONV_2D, DEPTHWISE_CONV_2D with dilation, the 1×1 pointwise conv, ADD,
 * AVERAGE_POOL_2D, MEAN, FULLY_CONNECTED, SOFTMAX, RESIZE_BILINEAR, CONCATENATION, PAD, QUANTIZE,
 * DEQUANTIZE, REQUANTIZE, ARG_MAX), in uint8 per-tensor and int8 (per-channel weights), under each
 * requantization convention that defines the operator (kernels/q-requantize.ts REQUANTIZATIONS).
 *
 * Every case carries ALL its quantization parameters in `params` (scales, zero points, the real
 * multiplier, the fixed-point multiplier/shift or the float32 scale, the activation range in q
 * units, the convention and the rounding formula to apply), so an implementer reproduces the
 * expected integers from the manifest and README alone. Expected outputs come from our scalar q8
 * kernels and are checked value for value against TensorFlow Lite's own reference kernels in
 * spec/oracle/vectors-q8.spec.ts. Integer outputs are graded exactly.
 *
 * Data come from the project's one RNG (src/model/random.ts). Each conv-like operator has a
 * "random" case (data across the whole type range) and a "ties" case (data within ±3 of the zero
 * points and a power-of-two multiplier, so many accumulators land on exact .5 ties — where the
 * conventions part ways); the three conventions of one operator share the same tensors.
 */
import { conv2dGeometry, type Conv2dGeometry, type Pad4 } from '../../../kernels/geometry.js';
import {
  convRequantizer, fixedPointRequantizer, q8Range, quantizedActivationRange, REQUANTIZATION_PROFILES, REQUANTIZATIONS,
  type QuantizedActivation, type Q8Type, type Requantization, type Requantizer,
} from '../../../kernels/q-requantize.js';
import { q8Conv2dNhwc, type Q8ConvParams } from '../../../kernels/q8-conv2d-nhwc.js';
import { q8DwConv2dNhwc } from '../../../kernels/q8-dwconv2d-nhwc.js';
import { q8FullyConnected, q8PwConvNhwc } from '../../../kernels/q8-fully-connected.js';
import { addRequantization, q8Add, type Q8AddParams } from '../../../kernels/q8-add.js';
import { meanRequantization, q8AvgPool2dNhwc, q8MeanHwNhwc } from '../../../kernels/q8-avgpool-nhwc.js';
import { q8Softmax, softmaxRequantization } from '../../../kernels/q8-softmax.js';
import { logisticParams, q8Logistic } from '../../../kernels/q8-logistic.js';
import { q8ResizeBilinearNhwc } from '../../../kernels/q8-resize-bilinear-nhwc.js';
import { q8ConcatChannelsNhwc } from '../../../kernels/q8-concat-nhwc.js';
import { q8PadNhwc } from '../../../kernels/q8-pad-nhwc.js';
import { q8Dequantize, q8Quantize, q8Requantize } from '../../../kernels/q8-quantize.js';
import { q8ArgmaxLastAxis } from '../../../kernels/q8-argmax.js';
import type { ResizeCoordinateMode } from '../../../kernels/f32-resize-nhwc.js';
import { seededUniform } from '../../model/random.js';
import { geomJson, type BuiltCase, type Tensor } from './format.js';

/** The fixed-point conventions (every operator with requantization defines these two). */
const FIXED_POINT = ['tflite-reference', 'single-rounding'] as const;
type FixedPoint = (typeof FIXED_POINT)[number];

const EXACT = 'exact: integer arithmetic; every value must be equal (0 LSB)';

type Q8 = Uint8Array | Int8Array;
const ctor = (t: Q8Type): typeof Uint8Array | typeof Int8Array => (t === 'uint8' ? Uint8Array : Int8Array);
const short = (t: Q8Type): string => (t === 'uint8' ? 'u8' : 'i8');

/** Seeded integers in [lo, hi]. */
function ints(rnd: () => number, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => lo + Math.floor(rnd() * (hi - lo + 1)));
}

/** q data of `type`: the whole range, or within ±spread of `centre` (clamped to the type). */
function qdata(type: Q8Type, n: number, rnd: () => number, near?: { centre: number; spread: number }): Q8 {
  const [lo, hi] = q8Range(type);
  const a = near ? ints(rnd, n, Math.max(lo, near.centre - near.spread), Math.min(hi, near.centre + near.spread)) : ints(rnd, n, lo, hi);
  return ctor(type).from(a);
}

const tensor = (data: Tensor['data'], shape: number[], layout: string): Tensor => ({ data, shape, layout });

/** How the requantizer is applied, per convention (the README defines each formula). */
function formulaOf(convention: Requantization, type: Q8Type, depthwise: boolean): string {
  if (convention === 'xnnpack-fp32') return 'fp32-round-half-even';
  // TFLITE_SINGLE_ROUNDING still rounds the uint8 reference depthwise conv twice.
  if (convention === 'single-rounding' && !(depthwise && type === 'uint8')) return 'single-rounding';
  return 'double-rounding';
}

function requantizerJson(rq: Requantizer, convention: Requantization, formula: string, real: number[]): Record<string, unknown> {
  return convention === 'xnnpack-fp32'
    ? { convention, formula, realMultiplier: real, fp32Scale: Array.from(rq.scale) }
    : { convention, formula, realMultiplier: real, multiplier: Array.from(rq.multiplier), shift: Array.from(rq.shift) };
}

// ---------------------------------------------------------------------------------------------
// Conv-like operators: conv2d, depthwise (incl. dilation), pointwise, fully connected.

type ConvKind = 'q8-conv2d' | 'q8-depthwise' | 'q8-pointwise' | 'q8-fully-connected';

interface ConvShape {
  kind: ConvKind;
  label: string;
  n: number; h: number; w: number; ic: number; oc: number; k: number;
  stride?: number; dilation?: number; padding: 'tf-same' | 'valid';
  activation: QuantizedActivation;
}

function convLikeCase(s: ConvShape, type: Q8Type, convention: Requantization, ties: boolean, seed: number): BuiltCase {
  const rnd = seededUniform(seed);
  const depthwise = s.kind === 'q8-depthwise';
  const matmul = s.kind === 'q8-pointwise' || s.kind === 'q8-fully-connected';
  const oc = depthwise ? s.ic : s.oc;
  const g: Conv2dGeometry = conv2dGeometry({
    inH: matmul ? 1 : s.h, inW: matmul ? 1 : s.w, kH: matmul ? 1 : s.k, kW: matmul ? 1 : s.k,
    stride: s.stride ?? 1, dilation: s.dilation ?? 1, padding: matmul ? 'valid' : s.padding,
  });
  const rows = s.kind === 'q8-pointwise' ? s.n * s.h * s.w : s.n; // pointwise: P pixels; fc: N rows
  const [lo, hi] = q8Range(type);
  const zx = ties ? (type === 'uint8' ? 128 : 0) : ints(rnd, 1, lo + 20, hi - 20)[0]!;
  const zw = type === 'uint8' ? (ties ? 120 : ints(rnd, 1, lo + 40, hi - 40)[0]!) : 0;
  const zo = type === 'uint8' ? ints(rnd, 1, 60, 200)[0]! : ints(rnd, 1, -70, 70)[0]!;
  const taps = matmul ? s.ic : depthwise ? s.k * s.k : s.k * s.k * s.ic;
  // Scales: the input and output as in a trained network; weights per tensor (uint8) or per output
  // channel (int8, each channel's scale a power-of-two multiple of the first, as PTQ gives).
  let sx: number, so: number, sw: number[];
  if (ties) {
    sx = 2 ** -4;
    sw = type === 'uint8' ? [2 ** -5] : Array.from({ length: oc }, (_, c) => 2 ** -(5 + (c % 3)));
    so = 2 ** -8; // M = sx·sw/so = 2^-1 (per channel 2^-1, 2^-2, 2^-3): ties at every odd accumulator
  } else {
    sx = Math.fround(0.02 + rnd() * 0.01);
    const base = Math.fround(0.002 + rnd() * 0.004);
    sw = type === 'uint8' ? [base] : Array.from({ length: oc }, () => Math.fround(base * 2 ** (rnd() * 2 - 1)));
    // The output scale spreads typical accumulators over ±60 q steps: so ≈ sx·sw·std(acc)/30.
    const spread = (Math.sqrt(taps) * 74 * 74) / 30; // 74 ≈ the standard deviation of a uniform 8-bit value
    so = Math.fround(sx * base * spread);
  }
  const near = ties ? { centre: zx, spread: 3 } : undefined;
  const x = qdata(type, (matmul ? rows : s.n * s.h * s.w) * s.ic, rnd, near);
  const wLength = depthwise ? s.k * s.k * oc : matmul ? oc * s.ic : oc * s.k * s.k * s.ic;
  const w = qdata(type, wLength, rnd, ties ? { centre: zw, spread: 3 } : undefined);
  const bias = Int32Array.from(ints(rnd, oc, ties ? -9 : -4096, ties ? 9 : 4096));
  const output = quantizedActivationRange(type, so, zo, s.activation);
  const rq = convRequantizer({ type, input: sx, output: so, filter: sw }, convention);
  const q: Q8ConvParams = { inputZeroPoint: zx, filterZeroPoint: zw, requantizer: rq, output };
  const f = Math.fround;
  const real = sw.map((wsc) => (type === 'uint8' ? f(f(sx) * f(wsc)) / f(so) : (f(sx) * f(wsc)) / f(so)));

  const outLength = (matmul ? rows : s.n * g.outH * g.outW) * oc;
  const out = new (ctor(type))(outLength);
  let inputs: Record<string, Tensor>;
  let expectedShape: number[];
  let expectedLayout: string;
  if (s.kind === 'q8-conv2d') {
    q8Conv2dNhwc(out, x, w, bias, { n: s.n, inC: s.ic, outC: oc }, g, q);
    inputs = { x: tensor(x, [s.n, s.h, s.w, s.ic], 'NHWC'), w: tensor(w, [oc, s.k, s.k, s.ic], 'OHWI [OC, KH, KW, IC]') };
    expectedShape = [s.n, g.outH, g.outW, oc]; expectedLayout = 'NHWC';
  } else if (depthwise) {
    q8DwConv2dNhwc(out, x, w, bias, { n: s.n, channels: oc }, g, q);
    inputs = { x: tensor(x, [s.n, s.h, s.w, s.ic], 'NHWC'), w: tensor(w, [s.k, s.k, oc], '[KH, KW, C] (TFLite [1, KH, KW, C]; channel multiplier 1)') };
    expectedShape = [s.n, g.outH, g.outW, oc]; expectedLayout = 'NHWC';
  } else if (s.kind === 'q8-pointwise') {
    q8PwConvNhwc(out, x, w, bias, { pixels: rows, inC: s.ic, outC: oc }, q);
    inputs = { x: tensor(x, [rows, s.ic], '[P, IC] (P = N·H·W pixels of an NHWC tensor)'), w: tensor(w, [oc, s.ic], '[OC, IC]') };
    expectedShape = [rows, oc]; expectedLayout = '[P, OC]';
  } else {
    q8FullyConnected(out, x, w, bias, { n: rows, inC: s.ic, outC: oc }, q);
    inputs = { x: tensor(x, [rows, s.ic], '[N, IC]'), w: tensor(w, [oc, s.ic], '[OC, IC]') };
    expectedShape = [rows, oc]; expectedLayout = '[N, OC]';
  }
  inputs.b = tensor(bias, [oc], '[OC] int32, scale input.scale·filter.scale[oc], zero point 0');
  const perChannel = type === 'int8';
  const name = `${s.kind}-${s.label}-${short(type)}${perChannel ? '-per-channel' : ''}-${convention}${ties ? '-ties' : ''}`;
  return {
    name, kernel: s.kind,
    description: `${s.label}, ${type} ${perChannel ? 'with per-channel weight scales' : 'per tensor'}, requantization '${convention}'${ties ? '; data within ±3 of the zero points and power-of-two scales: many exact .5 ties' : ''}`,
    tags: [type, perChannel ? 'per-channel' : 'per-tensor', convention, ...(ties ? ['ties'] : []), ...((s.dilation ?? 1) > 1 ? ['dilation'] : []), ...((s.stride ?? 1) > 1 ? ['stride-2'] : [])],
    params: {
      dtype: type,
      ...(matmul ? {} : { padding: s.padding, geometry: geomJson(g) }),
      input: { scale: sx, zeroPoint: zx },
      filter: { scale: sw, zeroPoint: zw, axis: depthwise ? 2 : 0, perChannel },
      bias: { dtype: 'int32', scale: sw.map((wsc) => sx * wsc), zeroPoint: 0 },
      output: { scale: so, zeroPoint: zo },
      activation: s.activation, activationRange: [output.min, output.max],
      requantization: requantizerJson(rq, convention, formulaOf(convention, type, depthwise), real),
    },
    inputs, expected: { data: out, shape: expectedShape, layout: expectedLayout },
    bound: null, ulp: 0, derivation: EXACT,
  };
}

const CONV_SHAPES: ConvShape[] = [
  { kind: 'q8-conv2d', label: '3x3-s2-tfsame-8x8-ic3-oc5', n: 1, h: 8, w: 8, ic: 3, oc: 5, k: 3, stride: 2, padding: 'tf-same', activation: 'relu6' },
  { kind: 'q8-depthwise', label: '3x3-s1-tfsame-6x7-c9', n: 1, h: 6, w: 7, ic: 9, oc: 9, k: 3, padding: 'tf-same', activation: 'relu6' },
  { kind: 'q8-depthwise', label: '3x3-s2-tfsame-8x8-c6', n: 1, h: 8, w: 8, ic: 6, oc: 6, k: 3, stride: 2, padding: 'tf-same', activation: 'relu6' },
  { kind: 'q8-depthwise', label: '3x3-d2-9x9-c5', n: 1, h: 9, w: 9, ic: 5, oc: 5, k: 3, dilation: 2, padding: 'tf-same', activation: 'relu' },
  { kind: 'q8-pointwise', label: 'p12-ic17-oc6-linear', n: 1, h: 3, w: 4, ic: 17, oc: 6, k: 1, padding: 'valid', activation: 'none' },
  { kind: 'q8-fully-connected', label: 'n2-ic40-oc7', n: 2, h: 1, w: 1, ic: 40, oc: 7, k: 1, padding: 'valid', activation: 'none' },
];

// ---------------------------------------------------------------------------------------------
// The other operators.

function addCase(type: Q8Type, convention: FixedPoint, seed: number): BuiltCase {
  const rnd = seededUniform(seed);
  const length = 37;
  const [lo, hi] = q8Range(type);
  const za = ints(rnd, 1, lo + 10, hi - 10)[0]!, zb = ints(rnd, 1, lo + 10, hi - 10)[0]!, zo = ints(rnd, 1, lo + 10, hi - 10)[0]!;
  const sa = Math.fround(0.03 + rnd() * 0.02), sb = Math.fround(sa * 2 ** (rnd() * 2 - 1)), so = Math.fround(Math.max(sa, sb) * 1.7);
  const a = qdata(type, length, rnd), b = qdata(type, length, rnd);
  const output = quantizedActivationRange(type, so, zo, 'relu6');
  const p: Q8AddParams = addRequantization({ a: sa, b: sb, output: so }, { a: za, b: zb }, output, convention);
  const out = new (ctor(type))(length);
  q8Add(out, a, b, length, p);
  const fp = (rq: Requantizer, real: number): Record<string, unknown> => ({ realMultiplier: real, multiplier: rq.multiplier[0], shift: rq.shift[0] });
  const twiceMax = Math.fround(2 * Math.max(sa, sb));
  return {
    name: `q8-add-${short(type)}-${convention}`, kernel: 'q8-add',
    description: `residual ADD of two ${type} tensors with their own scales and zero points (left shift 20), ReLU6 range, '${convention}'`,
    tags: [type, convention],
    params: {
      dtype: type, length,
      inputA: { scale: sa, zeroPoint: za }, inputB: { scale: sb, zeroPoint: zb }, output: { scale: so, zeroPoint: zo },
      activation: 'relu6', activationRange: [output.min, output.max],
      requantization: {
        convention, formula: convention === 'single-rounding' ? 'single-rounding' : 'double-rounding', leftShift: p.leftShift,
        a: fp(p.a, sa / twiceMax), b: fp(p.b, sb / twiceMax), output: fp(p.out, twiceMax / Math.fround((1 << 20) * so)),
      },
    },
    inputs: { a: tensor(a, [length], '[L]'), b: tensor(b, [length], '[L]') },
    expected: { data: out, shape: [length], layout: '[L]' }, bound: null, ulp: 0, derivation: EXACT,
  };
}

function avgPoolCase(type: Q8Type, seed: number): BuiltCase {
  const rnd = seededUniform(seed);
  const [n, h, w, c] = [1, 7, 6, 5];
  const g = conv2dGeometry({ inH: h, inW: w, kH: 3, kW: 3, stride: 2, padding: 'tf-same' });
  const x = qdata(type, n * h * w * c, rnd);
  const [lo, hi] = q8Range(type);
  const out = new (ctor(type))(n * g.outH * g.outW * c);
  q8AvgPool2dNhwc(out, x, { n, channels: c }, g, { min: lo, max: hi });
  return {
    name: `q8-avgpool-3x3-s2-tfsame-${short(type)}`, kernel: 'q8-avgpool',
    description: `AVERAGE_POOL_2D 3×3 stride 2 TF SAME on ${type} (same scale and zero point in and out; padded taps are not counted)`,
    tags: [type, 'stride-2'],
    params: { dtype: type, geometry: geomJson(g), padding: 'tf-same', activationRange: [lo, hi], requantization: { convention: 'none' } },
    inputs: { x: tensor(x, [n, h, w, c], 'NHWC') },
    expected: { data: out, shape: [n, g.outH, g.outW, c], layout: 'NHWC' }, bound: null, ulp: 0, derivation: EXACT,
  };
}

function meanCase(type: Q8Type, convention: FixedPoint, seed: number): BuiltCase {
  const rnd = seededUniform(seed);
  const [n, h, w, c] = [2, 5, 3, 6];
  const [lo, hi] = q8Range(type);
  const zx = ints(rnd, 1, lo + 10, hi - 10)[0]!, zo = ints(rnd, 1, lo + 10, hi - 10)[0]!;
  const sx = Math.fround(0.02 + rnd() * 0.02), so = Math.fround(sx * (0.5 + rnd()));
  const x = qdata(type, n * h * w * c, rnd);
  const p = meanRequantization({ input: sx, output: so }, { input: zx, output: zo }, h * w, convention);
  const out = new (ctor(type))(n * c);
  q8MeanHwNhwc(out, x, { n, h, w, c }, p);
  return {
    name: `q8-mean-hw-${short(type)}-${convention}`, kernel: 'q8-mean',
    description: `MEAN over H and W (keep dims) of a ${type} tensor, own output scale and zero point, '${convention}'`,
    tags: [type, convention],
    params: {
      dtype: type, axes: [1, 2], count: h * w, input: { scale: sx, zeroPoint: zx }, output: { scale: so, zeroPoint: zo },
      requantization: {
        convention, formula: convention === 'single-rounding' ? 'single-rounding' : 'double-rounding',
        realMultiplier: Math.fround(sx) / Math.fround(so), multiplier: p.requantizer.multiplier[0], shift: p.requantizer.shift[0],
        folding: 'multiplier and shift already include 1/count (see README: MEAN)',
      },
    },
    inputs: { x: tensor(x, [n, h, w, c], 'NHWC') },
    expected: { data: out, shape: [n, c], layout: '[N, C] (TFLite keeps [N, 1, 1, C])' }, bound: null, ulp: 0, derivation: EXACT,
  };
}

function softmaxCase(type: Q8Type, convention: FixedPoint, seed: number): BuiltCase {
  const rnd = seededUniform(seed);
  const [rows, cols] = [3, 21];
  const sx = Math.fround(0.05 + rnd() * 0.1);
  const x = qdata(type, rows * cols, rnd);
  const p = softmaxRequantization(sx, 1, convention);
  const out = new (ctor(type))(rows * cols);
  q8Softmax(out, x, { rows, cols }, p);
  const [lo] = q8Range(type);
  return {
    name: `q8-softmax-${short(type)}-${convention}`, kernel: 'q8-softmax',
    description: `SOFTMAX over the last axis (β = 1) of ${type} logits; output scale 1/256, zero point ${lo} (TFLite's fixed output quantization), '${convention}'`,
    tags: [type, convention],
    params: {
      dtype: type, beta: 1, input: { scale: sx }, output: { scale: 1 / 256, zeroPoint: lo },
      requantization: { convention, inputMultiplier: p.inputMultiplier, inputLeftShift: p.inputLeftShift, diffMin: p.diffMin },
    },
    inputs: { x: tensor(x, [rows, cols], '[ROWS, COLS]') },
    expected: { data: out, shape: [rows, cols], layout: '[ROWS, COLS]' }, bound: null, ulp: 0, derivation: EXACT,
  };
}

/** int8 LOGISTIC of every int8 value (so an 'xnnpack-fp32' case is the whole table) under one convention. */
function logisticCase(convention: Requantization, seed: number): BuiltCase {
  const rnd = seededUniform(seed);
  const sx = Math.fround(0.02 + rnd() * 0.2);
  const zx = Math.floor(rnd() * 256) - 128;
  const x = Int8Array.from({ length: 256 }, (_, i) => i - 128);
  const p = logisticParams(sx, zx, 'int8', convention);
  const out = new Int8Array(256);
  q8Logistic(out, x, 256, p);
  return {
    name: `q8-logistic-i8-${convention}`, kernel: 'q8-logistic',
    description: `LOGISTIC of every int8 value; output scale 1/256, zero point −128 (TFLite's fixed output quantization), '${convention}'`,
    tags: ['int8', convention],
    params: {
      dtype: 'int8', input: { scale: sx, zeroPoint: zx }, output: { scale: 1 / 256, zeroPoint: -128 },
      requantization: p.kind === 'fixed-point'
        ? { convention, inputMultiplier: p.inputMultiplier, inputLeftShift: p.inputLeftShift, inputRangeRadius: p.inputRangeRadius }
        : { convention, formula: 'float32 table (see README: q8-logistic)' },
    },
    inputs: { x: tensor(x, [256], '[LENGTH]') },
    expected: { data: out, shape: [256], layout: '[LENGTH]' }, bound: null, ulp: 0, derivation: EXACT,
  };
}

function resizeCase(type: Q8Type, mode: ResizeCoordinateMode, convention: FixedPoint | 'none', seed: number): BuiltCase {
  const rnd = seededUniform(seed);
  const [inH, inW, c, outH, outW] = [4, 5, 3, 9, 11];
  const x = qdata(type, inH * inW * c, rnd);
  const out = new (ctor(type))(outH * outW * c);
  q8ResizeBilinearNhwc(out, x, { n: 1, inH, inW, c, outH, outW }, mode, convention === 'none' ? 'tflite-reference' : convention);
  return {
    name: `q8-resize-bilinear-${mode}-${short(type)}${convention === 'none' ? '' : `-${convention}`}`, kernel: 'q8-resize-bilinear',
    description: `RESIZE_BILINEAR ${mode} ${inH}×${inW} → ${outH}×${outW} on ${type} (same scale and zero point in and out): ${type === 'uint8' ? 'float32 arithmetic' : '10-bit fixed point'} as TFLite's reference`,
    tags: [type, mode, 'upsample', ...(convention === 'none' ? [] : [convention])],
    params: {
      dtype: type, mode, inH, inW, outH, outW, alignCorners: mode === 'align-corners', halfPixelCenters: mode === 'half-pixel',
      arithmetic: type === 'uint8' ? 'float32' : 'integer-10-bit', requantization: { convention, ...(convention === 'none' ? {} : { formula: convention === 'single-rounding' ? 'half-up' : 'half-away-from-zero' }) },
    },
    inputs: { x: tensor(x, [1, inH, inW, c], 'NHWC') },
    expected: { data: out, shape: [1, outH, outW, c], layout: 'NHWC' }, bound: null, ulp: 0, derivation: EXACT,
  };
}

function concatCase(type: Q8Type, seed: number): BuiltCase {
  const rnd = seededUniform(seed);
  const pixels = 6;
  const so = 0.05, zo = type === 'uint8' ? 100 : -5;
  // uint8: parts with their own quantization are rescaled; int8 requires equal quantization.
  const parts = type === 'uint8'
    ? [{ channels: 3, scale: 0.03, zeroPoint: 120 }, { channels: 5, scale: so, zeroPoint: zo }, { channels: 2, scale: 0.11, zeroPoint: 7 }]
    : [{ channels: 3, scale: so, zeroPoint: zo }, { channels: 4, scale: so, zeroPoint: zo }];
  const data = parts.map((p) => qdata(type, pixels * p.channels, rnd));
  const total = parts.reduce((s, p) => s + p.channels, 0);
  const out = new (ctor(type))(pixels * total);
  q8ConcatChannelsNhwc(out, parts.map((p, i) => ({ ...p, scale: Math.fround(p.scale), data: data[i]! })), pixels, { scale: Math.fround(so), zeroPoint: zo });
  const inputs: Record<string, Tensor> = {};
  data.forEach((d, i) => { inputs[`x${i}`] = tensor(d, [pixels, parts[i]!.channels], `[P, C${i}]`); });
  return {
    name: `q8-concat-channels-${short(type)}`, kernel: 'q8-concat',
    description: type === 'uint8' ? 'CONCATENATION on channels of three uint8 parts, two of them with their own scale/zero point (rescaled in float32)' : 'CONCATENATION on channels of int8 parts with the output quantization (a copy)',
    tags: [type],
    params: { dtype: type, axis: 'channels (last)', parts: parts.map((p, i) => ({ input: `x${i}`, channels: p.channels, scale: Math.fround(p.scale), zeroPoint: p.zeroPoint })), output: { scale: Math.fround(so), zeroPoint: zo }, requantization: { convention: 'none' } },
    inputs, expected: { data: out, shape: [pixels, total], layout: '[P, ΣC]' }, bound: null, ulp: 0, derivation: EXACT,
  };
}

function padCase(type: Q8Type, seed: number): BuiltCase {
  const rnd = seededUniform(seed);
  const [n, h, w, c] = [1, 4, 5, 3];
  const pad: Pad4 = { top: 0, bottom: 1, left: 2, right: 1 };
  const value = type === 'uint8' ? 131 : -9;
  const x = qdata(type, n * h * w * c, rnd);
  const oh = h + pad.top + pad.bottom, ow = w + pad.left + pad.right;
  const out = new (ctor(type))(n * oh * ow * c);
  q8PadNhwc(out, x, { n, h, w, c }, pad, value);
  return {
    name: `q8-pad-${short(type)}`, kernel: 'q8-pad',
    description: `PAD in H and W of a ${type} tensor with its zero point (${value}: real 0)`,
    tags: [type, 'asymmetric-pad'],
    params: { dtype: type, pad, value, zeroPoint: value, requantization: { convention: 'none' } },
    inputs: { x: tensor(x, [n, h, w, c], 'NHWC') },
    expected: { data: out, shape: [n, oh, ow, c], layout: 'NHWC' }, bound: null, ulp: 0, derivation: EXACT,
  };
}

function quantizeCase(type: Q8Type, seed: number): BuiltCase {
  const rnd = seededUniform(seed);
  const scale = Math.fround(0.0625), zeroPoint = type === 'uint8' ? 128 : -3;
  // Half of the values sit exactly on .5 ties of x/scale (round half away from zero), a few beyond the range.
  const values = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? (Math.floor(rnd() * 300) - 150 + 0.5) * scale : (rnd() * 20 - 10)));
  values.push(1e6, -1e6, 0, -0);
  const x = Float32Array.from(values);
  const out = new (ctor(type))(x.length);
  q8Quantize(out, x, x.length, scale, zeroPoint);
  return {
    name: `q8-quantize-${short(type)}`, kernel: 'q8-quantize',
    description: `QUANTIZE float32 → ${type}: ties at .5 of x/scale and values beyond the range`,
    tags: [type, 'ties'],
    params: { dtype: type, output: { scale, zeroPoint }, requantization: { convention: 'none' } },
    inputs: { x: tensor(x, [x.length], '[L] float32') },
    expected: { data: out, shape: [x.length], layout: '[L]' }, bound: null, ulp: 0, derivation: EXACT,
  };
}

function dequantizeCase(type: Q8Type, seed: number): BuiltCase {
  const rnd = seededUniform(seed);
  const scale = Math.fround(0.0123), zeroPoint = type === 'uint8' ? 77 : 11;
  const x = qdata(type, 32, rnd);
  const out = new Float32Array(x.length);
  q8Dequantize(out, x, x.length, scale, zeroPoint);
  return {
    name: `q8-dequantize-${short(type)}`, kernel: 'q8-dequantize',
    description: `DEQUANTIZE ${type} → float32: f32(scale·(q − zeroPoint)) with the product in float64`,
    tags: [type],
    params: { dtype: type, input: { scale, zeroPoint }, requantization: { convention: 'none' } },
    inputs: { x: tensor(x, [x.length], '[L]') },
    expected: { data: out, shape: [x.length], layout: '[L] float32' }, bound: null, ulp: 0, derivation: 'exact: one float64 product rounded once to float32',
  };
}

function requantizeCase(inType: Q8Type, outType: Q8Type, convention: FixedPoint, seed: number): BuiltCase {
  const rnd = seededUniform(seed);
  const si = Math.fround(0.04 + rnd() * 0.02), so = Math.fround(si * (0.6 + rnd() * 0.9));
  const zi = inType === 'uint8' ? 130 : 2, zo = outType === 'uint8' ? 125 : -4;
  const x = qdata(inType, 48, rnd);
  const rq = fixedPointRequantizer(si / so, convention);
  const out = new (ctor(outType))(x.length);
  q8Requantize(out, x, x.length, { inputZeroPoint: zi, outputZeroPoint: zo, requantizer: rq });
  return {
    name: `q8-requantize-${short(inType)}-to-${short(outType)}-${convention}`, kernel: 'q8-requantize',
    description: `REQUANTIZE (TFLite QUANTIZE on an 8-bit input) ${inType} → ${outType} with another scale and zero point, '${convention}'`,
    tags: [inType, outType, convention],
    params: {
      dtype: inType, outputDtype: outType, input: { scale: si, zeroPoint: zi }, output: { scale: so, zeroPoint: zo },
      requantization: { convention, formula: convention === 'single-rounding' ? 'single-rounding' : 'double-rounding', realMultiplier: si / so, multiplier: rq.multiplier[0], shift: rq.shift[0] },
    },
    inputs: { x: tensor(x, [x.length], '[L]') },
    expected: { data: out, shape: [x.length], layout: '[L]' }, bound: null, ulp: 0, derivation: EXACT,
  };
}

function argmaxCase(type: Q8Type, seed: number): BuiltCase {
  const rnd = seededUniform(seed);
  const [rows, cols] = [6, 21];
  const [lo, hi] = q8Range(type);
  const x = qdata(type, rows * cols, rnd);
  // Rows 0 and 1 hold ties for the maximum: the lowest index wins.
  x[3] = hi; x[9] = hi; x[cols + 0] = hi; x[cols + cols - 1] = hi;
  for (let c = 0; c < cols; c++) x[2 * cols + c] = lo; // an all-equal row: index 0
  const out = new Int32Array(rows);
  q8ArgmaxLastAxis(out, x, { rows, cols });
  return {
    name: `q8-argmax-${short(type)}`, kernel: 'q8-argmax',
    description: `ARG_MAX over the last axis of ${type} values (per-pixel class of the quantized DeepLab); ties → the lowest index`,
    tags: [type, 'ties'],
    params: { dtype: type, axis: -1, outputDtype: 'int32', requantization: { convention: 'none' } },
    inputs: { x: tensor(x, [rows, cols], '[ROWS, COLS]') },
    expected: { data: out, shape: [rows], layout: '[ROWS] int32 indices' }, bound: null, ulp: 0, derivation: EXACT,
  };
}

/** Every integer case, deterministic (seeds fixed here). */
export function buildQ8Cases(): BuiltCase[] {
  const cases: BuiltCase[] = [];
  const types: Q8Type[] = ['uint8', 'int8'];
  let seed = 9000;
  for (const s of CONV_SHAPES) {
    for (const type of types) {
      for (const ties of [false, true]) {
        // One seed for the three conventions: the same tensors, so their outputs show the convention.
        const shared = seed++;
        for (const convention of REQUANTIZATIONS) cases.push(convLikeCase(s, type, convention, ties, shared));
      }
    }
  }
  for (const type of types) {
    for (const convention of FIXED_POINT) {
      cases.push(addCase(type, convention, seed++));
      cases.push(meanCase(type, convention, seed++));
      cases.push(softmaxCase(type, convention, seed++));
      cases.push(requantizeCase(type, type === 'uint8' ? 'int8' : 'uint8', convention, seed++));
    }
    if (type === 'int8') for (const convention of REQUANTIZATIONS) cases.push(logisticCase(convention, seed++));
    cases.push(avgPoolCase(type, seed++));
    cases.push(concatCase(type, seed++));
    cases.push(padCase(type, seed++));
    cases.push(quantizeCase(type, seed++));
    cases.push(dequantizeCase(type, seed++));
    cases.push(argmaxCase(type, seed++));
    for (const mode of ['half-pixel', 'align-corners'] as const) {
      if (type === 'uint8') cases.push(resizeCase(type, mode, 'none', seed++));
      else for (const convention of FIXED_POINT) cases.push(resizeCase(type, mode, convention, seed++));
    }
  }
  return cases;
}

/** Which convention the TFLite WASM interpreter applies per operator (measured; kernels/q-requantize.ts). */
const WASM_PROFILE = Object.entries(REQUANTIZATION_PROFILES['tflite-wasm']).map(([op, r]) => `${op} '${r}'`).join(', ');

/** The integer part of the suite's README.txt: every formula an implementer needs. */
export const Q8_README = `
Integer cases (kernels q8-*)
  Quantized 8-bit kernels as TensorFlow Lite defines them. The expected outputs are checked value
  for value against TFLite's own reference kernels (tensorflow/lite/kernels/internal/reference/),
  and are graded EXACTLY: every value equal, 0 LSB. Save RESULTS/<case name>.npy in the dtype of
  "expected" (uint8 '|u1', int8 '|i1'; int32 '<i4' for q8-argmax; float32 for q8-dequantize).
  check-vectors reports, per failing case, how many values differ and the LSB histogram
  (|result − expected| = 1, 2, … : count).

  Each TensorFile names its dtype: x and w are uint8 or int8, bias is int32, the input of
  q8-quantize and the output of q8-dequantize are float32.

  Affine quantization: real = scale · (q − zeroPoint). Every case's params hold
    dtype              'uint8' (per tensor, asymmetric weights with their own zero point) or
                       'int8' (weights symmetric, zero point 0, one scale per output channel:
                       filter.scale has one entry per channel along filter.axis of w)
    input, output,     {scale, zeroPoint}; scales are float32 values written exactly
    filter, bias       (bias: int32, scale input.scale · filter.scale[c], zero point 0)
    activationRange    [min, max] in q units: the fused ReLU/ReLU6/none, already computed as
                       TFLite's CalculateActivationRangeQuantized (zeroPoint + round_half_away(
                       f32(f / scale)) for f = 0 and 6, intersected with the dtype's range)
    requantization     {convention, formula, realMultiplier, multiplier, shift} (fixed point) or
                       {convention, formula, realMultiplier, fp32Scale} ('xnnpack-fp32');
                       convention 'none' where the operator does not requantize.
  Per-channel arrays have one entry per output channel; a per-tensor array has ONE entry, used
  for every channel.

  q8-conv2d, q8-depthwise, q8-pointwise, q8-fully-connected
    acc = bias[c] + Σ (w − filter.zeroPoint) · (x − input.zeroPoint)    int32, wraps on overflow
          over the taps of output channel c (geometry as in the float cases; a tap outside the
          input is skipped, the same as x = input.zeroPoint)
    out = clamp(output.zeroPoint + requantize(acc, c), activationRange)
    realMultiplier[c] = input.scale · filter.scale[c] / output.scale, formed as TFLite does:
          uint8: f64(f32(sx · sw)) / f64(so)   (the product rounded to float32 first)
          int8:  f64(sx) · f64(sw[c]) / f64(so)
    (multiplier, shift) = QuantizeMultiplier(realMultiplier): frexp gives M = q · 2^e, q ∈ [0.5, 1);
          multiplier = round_half_away(q · 2³¹) (if that is 2³¹: 2³⁰ and e + 1); shift = e;
          M below about 2⁻³¹ gives (0, 0); under 'single-rounding' shift > 30 saturates to
          (2³¹ − 1, 30). So M ≈ multiplier · 2^(shift − 31).

  The formula named in requantization.formula, applied to an int32 value v:
    'double-rounding'  (convention 'tflite-reference': TFLite's default build, gemmlowp)
          a = v · 2^max(shift, 0)                           int32, wraps
          h = SaturatingRoundingDoublingHighMul(a, multiplier)
            = (a · multiplier + nudge) / 2³¹ in int64, truncated towards zero,
              nudge = 2³⁰ if a · multiplier ≥ 0 else 1 − 2³⁰   (a = multiplier = −2³¹ → 2³¹ − 1)
          result = RoundingDivideByPOT(h, max(−shift, 0)): with mask = 2^r − 1,
              (h >> r) + ((h & mask) > (mask >> 1) + (h < 0 ? 1 : 0) ? 1 : 0)
              (arithmetic shift; rounds half away from zero)
    'single-rounding'  (convention 'single-rounding': TFLite built with TFLITE_SINGLE_ROUNDING=1)
          k = 31 − shift;  result = (v · multiplier + 2^(k − 1)) >> k    int64, arithmetic shift
          (one rounding, half up)
    'fp32-round-half-even'  (convention 'xnnpack-fp32': XNNPACK's WASM/SSE kernels)
          result = rint(f32(f32(v) · fp32Scale[c])), rint = round half to EVEN,
          fp32Scale[c] = f32(f32(sx · sw[c]) / so). (XNNPACK clamps before rounding; with
          integer bounds the integer is the same.)
    Apply the formula the case names: under convention 'single-rounding' the uint8 q8-depthwise
    cases say 'double-rounding', because TFLite's single-rounding build still rounds the uint8
    reference depthwise conv twice (with the single-rounding multiplier/shift given).

  q8-add (ADD)
    ã = requantize((a − inputA.zeroPoint) · 2²⁰, requantization.a)
    b̃ = requantize((b − inputB.zeroPoint) · 2²⁰, requantization.b)
    out = clamp(output.zeroPoint + requantize(ã + b̃, requantization.output), activationRange)
    with the case's formula; real multipliers: twiceMax = f32(2 · max(sa, sb)), a: sa / twiceMax,
    b: sb / twiceMax, output: twiceMax / f32(2²⁰ · so) (float64 divisions).
  q8-avgpool (AVERAGE_POOL_2D)   same scale and zero point in and out; no requantization
    s = Σ x over the taps inside the input (raw q values), count = their number (padded taps
    are not counted); out = clamp(trunc((s ± floor(count/2)) / count), activationRange), + when
    s > 0, − otherwise.
  q8-mean (MEAN over H and W)
    out = clamp(output.zeroPoint + requantize(Σ (x − input.zeroPoint), multiplier, shift), dtype)
    where multiplier/shift already include 1/count: from (m, s) = QuantizeMultiplier(f32(sx) /
    f32(so)), b = min(floor(log2(count)), 32, 31 + s), multiplier = trunc(m · 2^b / count),
    shift = s − b.
  q8-softmax (SOFTMAX, β = 1)   output scale 1/256, zero point = the dtype's minimum (0 / −128)
    TFLite's reference_ops::Softmax for uint8/int8 (gemmlowp fixed point: tensorflow/lite/
    kernels/internal/reference/softmax.h) with the input_multiplier, input_left_shift and
    diff_min given (PreprocessSoftmaxScaling(β, input.scale, 5 integer bits) and
    −CalculateInputRadius(5, input_left_shift)); the input rescaling uses the case's convention.
  q8-logistic (LOGISTIC, int8)   output scale 1/256, zero point −128
    'tflite-reference' / 'single-rounding': TFLite's reference_integer_ops::Logistic: d = x −
      input.zeroPoint; d ≤ −inputRangeRadius → −128, d ≥ inputRangeRadius → 127; else a =
      MultiplyByQuantizedMultiplier(d, inputMultiplier, inputLeftShift) (the case's rounding) is
      Q4.27, σ = gemmlowp::logistic(a) in Q0.31, out = clamp(RoundingDivideByPOT(σ, 23) − 128).
      (inputMultiplier, inputLeftShift) = frexp(f32(input.scale) · 2²⁷) with the mantissa in Q0.31
      (rounded half away), inputRangeRadius = floor(15 · 2²⁷ / 2^inputLeftShift).
    'xnnpack-fp32' (what the TFLite interpreter here computes): a table over every input q, in
      float32: v = f32(input.scale · (q − input.zeroPoint)), σ = f32(1 / f32(1 + f32(exp(−v)))),
      out = clamp(rint(σ · 256) − 128) (round half to even).
  q8-resize-bilinear (RESIZE_BILINEAR)   same quantization in and out
    uint8 (arithmetic 'float32', TFLite ResizeBilinear<uint8_t>): per axis scale = f32(in / out)
      (align-corners: f32((in − 1) / (out − 1))), s = f32(d · scale) (half-pixel:
      f32(f32(f32(d + 0.5) · scale) − 0.5)), i0 = max(floor(s), 0), i1 = min(ceil(s), in − 1),
      f = f32(s − i0); in float32, in this order:
      out = trunc(((x[y0,x0]·(1−fy))·(1−fx) + (x[y1,x0]·fy)·(1−fx) + (x[y0,x1]·(1−fy))·fx
                  + (x[y1,x1]·fy)·fx) + 0.5)
    int8 (arithmetic 'integer-10-bit', TFLite ResizeBilinearInteger): scale10 =
      (1024·in + out/2) / out (align-corners: (1024·(in − 1) + (out − 1)/2) / (out − 1)),
      s10 = d · scale10 (half-pixel: + scale10/2 − 512), i0 = max(s10/1024, 0),
      i1 = min((s10 + 1023)/1024, in − 1) (all divisions truncate), w1 = s10 − 1024·i0,
      w0 = 1024 − w1 per axis; sum = Σ x · wy · wx; out = trunc((sum ± 2¹⁹) / 2²⁰) (sign of sum;
      formula 'half-away-from-zero', convention 'tflite-reference') or floor((sum + 2¹⁹) / 2²⁰)
      ('half-up', convention 'single-rounding').
  q8-concat (CONCATENATION on channels)   parts in order; a part with the output's scale and zero
    point is copied; otherwise (uint8 only) k = f32(scale_i · f32(1 / so)), b = f32(−zp_i · k),
    q = clamp(output.zeroPoint + round_half_away(f32(f32(x · k) + b)), 0, 255).
  q8-pad        x placed at (top, left); every other value = params.value (the zero point).
  q8-quantize   out = clamp(zeroPoint + round_half_away(f32(x / f32(scale))), dtype range).
  q8-dequantize out = f32(f64(scale) · (q − zeroPoint))   (float32, exact).
  q8-requantize out = clamp(output.zeroPoint + requantize(x − input.zeroPoint), range of
                outputDtype), realMultiplier = f64(si) / f64(so).
  q8-argmax     out[r] = index of the largest value of row r; ties → the lowest index (int32).

  Which convention does a runtime use? TFLite's default build: 'tflite-reference'; built with
  TFLITE_SINGLE_ROUNDING: 'single-rounding'; the TFLite WASM interpreter of
  @tensorflow/tfjs-tflite (XNNPACK), measured per uint8 operator: ${WASM_PROFILE}
  (the mobilenetv2 package calls this profile 'tflite-wasm').
`;
