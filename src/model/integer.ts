// SPDX-License-Identifier: Apache-2.0
/**
 * The integer arithmetic: a quantized MobileNetV2 (uint8 per-tensor, or int8 with per-channel
 * weights) run as TensorFlow Lite runs it, every tensor an 8-bit array with its own scale and zero
 * point (real = scale·(q − zeroPoint)), every layer an integer kernel of kernels/q8-*.ts with int32
 * accumulation and the requantization convention of its operator (kernels/q-requantize.ts).
 *
 * It is the same runner and the same head steps as the float path (runner.ts `runWith`): only the
 * per-op steps (NetworkOps<QTensor>) differ. Which quantization each step produces comes from the
 * file (`IntegerNetwork`, filled by src/io/tflite/import.ts), looked up by the step's tap name.
 *
 *   QTensor  { data: Uint8Array | Int8Array, scale, zeroPoint }   NHWC like the float tensors
 */
import type { BlockPlan, ConvPlan } from './plan.js';
import type { Arithmetic, NetworkOps, Tap } from './runner.js';
import { runBlockOps } from './runner.js';
import type { Q8Backend } from '../backend/q8-backend.js';
import { conv2dGeometry } from '../../kernels/geometry.js';
import {
  convRequantizer, fixedPointRequantizer, q8Range, quantizedActivationRange, REQUANTIZATION_PROFILES,
  type QuantizedActivation, type Requantization, type RequantizationProfile, type RequantizedOp, type Requantizer,
} from '../../kernels/q-requantize.js';
import { addRequantization, type Q8AddParams } from '../../kernels/q8-add.js';
import { q8AvgPool2dNhwc, meanRequantization, q8MeanHwNhwc } from '../../kernels/q8-avgpool-nhwc.js';
import { q8ConcatChannelsNhwc } from '../../kernels/q8-concat-nhwc.js';
import { q8Requantize } from '../../kernels/q8-quantize.js';
import type { Q8Array } from '../../kernels/q8-check.js';
import { softmaxRequantization } from '../../kernels/q8-softmax.js';
import { q8SoftmaxExpTable, q8SoftmaxLut, SOFTMAX_DIFFERENCES } from '../../kernels/q8-softmax-lut.js';
import { logisticParams, q8Logistic } from '../../kernels/q8-logistic.js';
import type { Q8ConvParams } from '../../kernels/q8-conv2d-nhwc.js';
import { unsupportedError } from '../errors.js';

/** real = scale·(q − zeroPoint). */
export interface QuantParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** An 8-bit activation tensor with its quantization (shapes travel beside it, as for float tensors). */
export interface QTensor extends QuantParams {
  readonly data: Q8Array;
}

/** The TFLite operators whose integer arithmetic the integer path reproduces. */
export type IntegerConvOp = 'CONV_2D' | 'DEPTHWISE_CONV_2D' | 'FULLY_CONNECTED';

/** One conv-like layer as the file stores it. */
export interface IntegerConv {
  readonly op: IntegerConvOp;
  /** conv OHWI [OC, KH, KW, IC]; depthwise [1, KH, KW, C]; fully connected / 1×1 [OC, IC]. */
  readonly weight: Q8Array;
  /** One scale (uint8, per tensor) or one per output channel (int8). */
  readonly weightScales: readonly number[];
  /** uint8: the weights' zero point; int8: 0. */
  readonly weightZeroPoint: number;
  /** int32, scale = input scale × weight scale[oc], zero point 0. */
  readonly bias: Int32Array | null;
  readonly input: QuantParams;
  readonly output: QuantParams;
}

/** How the global average pool is stored: AVERAGE_POOL_2D (same scale in and out) or MEAN (requantizing). */
export interface IntegerPool {
  readonly op: 'AVERAGE_POOL_2D' | 'MEAN';
  readonly output: QuantParams;
}

/**
 * Everything the integer arithmetic needs of a quantized file, by step name (the runner's tap
 * names: conv names, block names for residual ADDs, 'pool', 'head.concat', …).
 */
export interface IntegerNetwork {
  readonly type: 'uint8' | 'int8';
  /** The graph input's quantization. */
  readonly input: QuantParams;
  readonly convs: ReadonlyMap<string, IntegerConv>;
  /** Residual ADDs by block name: their output quantization. */
  readonly adds: ReadonlyMap<string, QuantParams>;
  readonly pools: ReadonlyMap<string, IntegerPool>;
  /** Output quantization of other steps (resize, concat, SSD's two assembled outputs) when it is not the input's. */
  readonly outputs: ReadonlyMap<string, QuantParams>;
  /** A QUANTIZE (requantize) operator after a step: the quantization it converts to. */
  readonly requantize: ReadonlyMap<string, QuantParams>;
  /** The SOFTMAX after the logits, when the file has one. */
  readonly softmax: { readonly beta: number; readonly output: QuantParams } | null;
  /** The LOGISTIC after SSD's class logits (the sigmoid score converter), when the file has one. */
  readonly logistic?: { readonly output: QuantParams } | null;
  /** Step (tap) name → index of the file's tensor that holds it (for comparing with the interpreter). */
  readonly tensors: ReadonlyMap<string, number>;
}

/** The requantization an operator uses under a profile (ops a profile leaves out use the reference). */
export function profileRounding(profile: RequantizationProfile, op: RequantizedOp): Requantization {
  const table = REQUANTIZATION_PROFILES[profile] as Partial<Record<RequantizedOp, Requantization>>;
  return table[op] ?? 'tflite-reference';
}

function activationOf(c: ConvPlan): QuantizedActivation {
  return c.activation === 'relu6' ? 'relu6' : c.activation === 'relu' ? 'relu' : 'none';
}

const sameQuant = (a: QuantParams, b: QuantParams): boolean => a.scale === b.scale && a.zeroPoint === b.zeroPoint;

function allocQ8(type: 'uint8' | 'int8', length: number): Q8Array {
  return type === 'uint8' ? new Uint8Array(length) : new Int8Array(length);
}

/** Prepared layer parameters by network, then by kind and profile (see integerOps). */
const preparedParams = new WeakMap<IntegerNetwork, Map<string, Map<string, Q8ConvParams | Q8AddParams>>>();
function paramsFor(net: IntegerNetwork, key: string): Map<string, Q8ConvParams | Q8AddParams> {
  let byKey = preparedParams.get(net);
  if (!byKey) preparedParams.set(net, (byKey = new Map()));
  let m = byKey.get(key);
  if (!m) byKey.set(key, (m = new Map()));
  return m;
}

/**
 * The per-op steps on 8-bit tensors for a batch of n. Requantizers are prepared once per layer and
 * kept for the life of the ops object. While `scoped()` says so, layer outputs are the backend's
 * zero-copy scratch() views (Q8Backend.beginScope), so its ops run in place.
 */
export function integerOps(q8: Q8Backend, net: IntegerNetwork, n: number, profile: RequantizationProfile, scoped: () => boolean = () => false): NetworkOps<QTensor> {
  const type = net.type;
  const alloc = (length: number): Q8Array => (scoped() && q8.scratch ? q8.scratch(type, length) : allocQ8(type, length));
  // Per network and profile, not per ops object: a run's ops are rebuilt each call, and a fast
  // backend caches its prepared requantization by the identity of these objects.
  const convParams = paramsFor(net, `conv:${profile}`) as Map<string, Q8ConvParams>;
  const addParams = paramsFor(net, `add:${profile}`) as Map<string, Q8AddParams>;
  const missing = (what: string, name: string): Error =>
    unsupportedError(`the quantized model has no ${what} for step '${name}' (the integer path needs every layer's quantization)`);

  /** out = t requantized to `to` (QUANTIZE between two 8-bit parameter sets, the profile's rounding). */
  const requantizeInto = (out: Q8Array, t: QTensor, to: QuantParams): void => {
    const rounding = profileRounding(profile, 'REQUANTIZE');
    const rq: Requantizer = rounding === 'xnnpack-fp32'
      ? { rounding, multiplier: Int32Array.of(0), shift: Int32Array.of(0), scale: Float32Array.of(Math.fround(Math.fround(t.scale) / Math.fround(to.scale))) }
      : fixedPointRequantizer(t.scale / to.scale, rounding);
    q8Requantize(out, t.data, t.data.length, { inputZeroPoint: t.zeroPoint, outputZeroPoint: to.zeroPoint, requantizer: rq });
  };

  const requantizeIfAsked = (name: string, t: QTensor): QTensor => {
    const to = net.requantize.get(name);
    if (!to || sameQuant(to, t)) return t;
    const out = alloc(t.data.length);
    requantizeInto(out, t, to);
    return { data: out, ...to };
  };

  const convQ = (name: string, c: IntegerConv, activation: QuantizedActivation, outC: number): Q8ConvParams => {
    let q = convParams.get(name);
    if (!q) {
      const scales = c.weightScales.length === 1 ? new Array<number>(outC).fill(c.weightScales[0]!) : c.weightScales;
      const requantizer = convRequantizer({ type, input: c.input.scale, output: c.output.scale, filter: scales }, profileRounding(profile, c.op));
      q = {
        inputZeroPoint: c.input.zeroPoint, filterZeroPoint: c.weightZeroPoint, requantizer,
        output: quantizedActivationRange(type, c.output.scale, c.output.zeroPoint, activation),
      };
      convParams.set(name, q);
    }
    return q;
  };

  const checkInputQuant = (name: string, x: QTensor, expected: QuantParams): void => {
    if (!sameQuant(x, expected)) {
      throw unsupportedError(`step '${name}' reads a tensor quantized as (scale ${x.scale}, zero point ${x.zeroPoint}) but the file declares (scale ${expected.scale}, zero point ${expected.zeroPoint}) for its input`);
    }
  };

  return {
    conv: (c, x) => {
      const ic = net.convs.get(c.name);
      if (!ic) throw missing('conv weights', c.name);
      checkInputQuant(c.name, x, ic.input);
      const g = c.geometry;
      const out = alloc(n * g.outH * g.outW * c.outC);
      const q = convQ(c.name, ic, activationOf(c), c.outC);
      switch (c.kind) {
        case 'conv':
          q8.conv2d(out, x.data, ic.weight, ic.bias, { n, inC: c.inC, outC: c.outC }, g, q);
          break;
        case 'depthwise':
          q8.depthwiseConv2d(out, x.data, ic.weight, ic.bias, { n, channels: c.outC }, g, q);
          break;
        case 'pointwise':
          q8.pointwiseConv(out, x.data, ic.weight, ic.bias, { pixels: n * g.inH * g.inW, inC: c.inC, outC: c.outC }, q);
          break;
      }
      return requantizeIfAsked(c.name, { data: out, ...ic.output });
    },
    add: (a, b, name) => {
      const o = net.adds.get(name);
      if (!o) throw missing('ADD quantization', name);
      const key = `${name}:${a.scale}:${a.zeroPoint}:${b.scale}:${b.zeroPoint}`;
      let p = addParams.get(key);
      if (!p) {
        p = addRequantization(
          { a: a.scale, b: b.scale, output: o.scale }, { a: a.zeroPoint, b: b.zeroPoint },
          quantizedActivationRange(type, o.scale, o.zeroPoint, 'none'), profileRounding(profile, 'ADD'),
        );
        addParams.set(key, p);
      }
      const out = alloc(a.data.length);
      q8.add(out, a.data, b.data, a.data.length, p);
      return requantizeIfAsked(name, { data: out, ...o });
    },
    globalAvgPool: (x, dims, name) => {
      const pool = net.pools.get(name);
      if (!pool) throw missing('pooling quantization', name);
      const out = alloc(dims.n * dims.c);
      if (pool.op === 'AVERAGE_POOL_2D') {
        checkInputQuant(name, x, pool.output); // AVERAGE_POOL_2D keeps its input's scale
        const g = conv2dGeometry({ inH: dims.h, inW: dims.w, kH: dims.h, kW: dims.w, stride: 1, padding: 'valid' });
        const [min, max] = q8Range(type);
        q8AvgPool2dNhwc(out, x.data, { n: dims.n, channels: dims.c }, g, { min, max });
      } else {
        const p = meanRequantization({ input: x.scale, output: pool.output.scale }, { input: x.zeroPoint, output: pool.output.zeroPoint }, dims.h * dims.w, profileRounding(profile, 'MEAN'));
        q8MeanHwNhwc(out, x.data, dims, p);
      }
      return requantizeIfAsked(name, { data: out, ...pool.output });
    },
    fullyConnected: (x, cls, name) => {
      const ic = net.convs.get(name);
      if (!ic) throw missing('classifier weights', name);
      checkInputQuant(name, x, ic.input);
      const out = alloc(n * cls.classes);
      const q = convQ(name, ic, 'none', cls.classes);
      q8.pointwiseConv(out, x.data, ic.weight, ic.bias, { pixels: n, inC: cls.inC, outC: cls.classes }, q);
      return requantizeIfAsked(name, { data: out, ...ic.output });
    },
    resizeBilinear: (x, dims, mode, name, owned) => {
      const length = dims.n * dims.outH * dims.outW * dims.c;
      const out = owned ? allocQ8(type, length) : alloc(length);
      q8.resizeBilinear(out, x.data, dims, mode, 'tflite-reference');
      return requantizeIfAsked(name, { data: out, scale: x.scale, zeroPoint: x.zeroPoint });
    },
    concatChannels: (parts, pixels, name) => {
      const o = net.outputs.get(name) ?? parts[0]!.data;
      const out = alloc(pixels * parts.reduce((s, p) => s + p.channels, 0));
      q8ConcatChannelsNhwc(out, parts.map((p) => ({ data: p.data.data, channels: p.channels, scale: p.data.scale, zeroPoint: p.data.zeroPoint })), pixels, o);
      return requantizeIfAsked(name, { data: out, scale: o.scale, zeroPoint: o.zeroPoint });
    },
    // SSD's assembled outputs (the file's CONCATENATIONs): ordinary memory with the file's parameters.
    output: (length, name) => {
      const o = net.outputs.get(name);
      if (!o) throw missing('output quantization', name);
      return { data: allocQ8(type, length), ...o };
    },
    // A part whose parameters differ from the output's goes through the file's QUANTIZE first.
    copyInto: (dst, offset, src) => {
      if (sameQuant(dst, src)) dst.data.set(src.data, offset);
      else requantizeInto(dst.data.subarray(offset, offset + src.data.length), src, dst);
    },
    copy: (x) => ({ data: x.data.slice(), scale: x.scale, zeroPoint: x.zeroPoint }),
    length: (x) => x.data.length,
    slice: (x, start, end) => ({ data: x.data.subarray(start, end), scale: x.scale, zeroPoint: x.zeroPoint }),
  };
}

/** Softmax exp tables by network, then by profile and logits quantization (see integerSoftmax). */
const softmaxTables = new WeakMap<IntegerNetwork, Map<string, Int32Array>>();

/**
 * The file's own SOFTMAX after the logits, in integer arithmetic (TFLite's fixed-point exp and
 * reciprocal, kernels/q8-softmax.ts, evaluated through its table twin kernels/q8-softmax-lut.ts:
 * the exp of every possible difference once per network, profile and logits scale, not twice per
 * class and image): logits [rows, K] → probabilities with the file's output quantization (uint8:
 * scale 1/256, zero point 0). Null when the file has no SOFTMAX.
 */
export function integerSoftmax(net: IntegerNetwork, logits: QTensor, classes: number, profile: RequantizationProfile): QTensor | null {
  if (!net.softmax) return null;
  let tables = softmaxTables.get(net);
  if (!tables) softmaxTables.set(net, (tables = new Map()));
  const key = `${profile}:${logits.scale}`;
  let exps = tables.get(key);
  if (!exps) {
    exps = new Int32Array(2 * SOFTMAX_DIFFERENCES);
    q8SoftmaxExpTable(exps, softmaxRequantization(logits.scale, net.softmax.beta, profileRounding(profile, 'SOFTMAX')));
    tables.set(key, exps);
  }
  const out = allocQ8(net.type, logits.data.length);
  q8SoftmaxLut(out, logits.data, { rows: logits.data.length / classes, cols: classes }, exps, new Int32Array(SOFTMAX_DIFFERENCES));
  return { data: out, ...net.softmax.output };
}

/**
 * The file's own LOGISTIC after the class logits (SSD's sigmoid score converter), in integer
 * arithmetic (kernels/q8-logistic.ts, the profile's definition): logits → scores with the file's
 * output quantization (scale 1/256, zero point the type's minimum). Null when the file has none.
 */
export function integerLogistic(net: IntegerNetwork, logits: QTensor, profile: RequantizationProfile): QTensor | null {
  if (!net.logistic) return null;
  const rounding = profileRounding(profile, 'LOGISTIC');
  // TFLite's fixed-point reference LOGISTIC here is the int8 kernel; its uint8 one (16-bit gemmlowp) is not reproduced.
  if (net.type === 'uint8' && rounding !== 'xnnpack-fp32') {
    throw unsupportedError(`the uint8 LOGISTIC runs only as the float32 table (requantization profile 'tflite-wasm'); profile '${profile}' names TFLite's fixed-point kernel, which the integer path has for int8 only`);
  }
  const out = allocQ8(net.type, logits.data.length);
  q8Logistic(out, logits.data, logits.data.length, logisticParams(logits.scale, logits.zeroPoint, net.type, rounding));
  return { data: out, ...net.logistic.output };
}

/**
 * The integer arithmetic for the runner (runWith): blocks layer by layer, in the backend's zero-copy
 * scope when it has one (activations stay in its memory), else in ordinary memory.
 */
export function integerArithmetic(q8: Q8Backend, net: IntegerNetwork, profile: RequantizationProfile): Arithmetic<QTensor> {
  const opsByBatch = new Map<number, NetworkOps<QTensor>>();
  let depth = 0; // open scopes of this arithmetic
  const opsFor = (n: number): NetworkOps<QTensor> => {
    let ops = opsByBatch.get(n);
    if (!ops) opsByBatch.set(n, (ops = integerOps(q8, net, n, profile, () => depth > 0)));
    return ops;
  };
  return {
    name: 'integer',
    ops: opsFor,
    length: (x) => x.data.length,
    block: (b: BlockPlan, x: QTensor, n: number, keep: (name: string, t: Tap<QTensor>) => void) => runBlockOps(opsFor(n), b, x, n, keep),
    within: (fn) => {
      if (!q8.beginScope || !q8.endScope || !q8.scratch) return fn(false);
      q8.beginScope();
      depth++;
      try {
        return fn(true);
      } finally {
        depth--;
        q8.endScope();
      }
    },
  };
}
