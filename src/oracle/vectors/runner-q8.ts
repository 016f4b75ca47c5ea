// SPDX-License-Identifier: Apache-2.0
/**
 * Runs an integer (q8-*) conformance case on our scalar q8 kernels from what the manifest says —
 * the stored multipliers, shifts and float32 scales, not a recomputation from the tensor scales —
 * so `check-vectors` grading our own results also shows that the manifest alone determines every
 * output. (Conformance vectors: see ../vectors.ts.)
 */
import { join } from 'node:path';
import { conv2dGeometry, type Conv2dGeometry, type Pad4 } from '../../../kernels/geometry.js';
import type { Q8Type, Requantization, Requantizer } from '../../../kernels/q-requantize.js';
import { q8Conv2dNhwc, type Q8ConvParams } from '../../../kernels/q8-conv2d-nhwc.js';
import { q8DwConv2dNhwc } from '../../../kernels/q8-dwconv2d-nhwc.js';
import { q8FullyConnected, q8PwConvNhwc } from '../../../kernels/q8-fully-connected.js';
import { q8Add } from '../../../kernels/q8-add.js';
import { q8AvgPool2dNhwc, q8MeanHwNhwc } from '../../../kernels/q8-avgpool-nhwc.js';
import { q8Softmax } from '../../../kernels/q8-softmax.js';
import { logisticParams, q8Logistic, type Q8LogisticParams } from '../../../kernels/q8-logistic.js';
import { q8ResizeBilinearNhwc } from '../../../kernels/q8-resize-bilinear-nhwc.js';
import { q8ConcatChannelsNhwc } from '../../../kernels/q8-concat-nhwc.js';
import { q8PadNhwc } from '../../../kernels/q8-pad-nhwc.js';
import { q8Dequantize, q8Quantize, q8Requantize } from '../../../kernels/q8-quantize.js';
import { q8ArgmaxLastAxis } from '../../../kernels/q8-argmax.js';
import type { ResizeCoordinateMode } from '../../../kernels/f32-resize-nhwc.js';
import { readNpyTypedFile } from '../../io/npy.js';
import { formatError } from '../../errors.js';
import { prod, type TensorFile, type VectorCase, type VectorData } from './format.js';

type Q8 = Uint8Array | Int8Array;
interface QP { scale: number; zeroPoint: number }
interface StoredRequantization {
  convention: Requantization | 'none';
  realMultiplier?: number | number[];
  multiplier?: number | number[];
  shift?: number | number[];
  fp32Scale?: number[];
}

/** An input or expected file in its own dtype (checked against the manifest's dtype). */
export function loadTyped(dir: string, t: TensorFile): VectorData {
  const a = readNpyTypedFile(join(dir, t.file));
  const want = t.dtype ?? 'float32';
  if (a.dtype !== want) throw formatError(`${join(dir, t.file)}: dtype ${a.dtype}, the manifest says ${want}`);
  return a.data as VectorData;
}

const list = (v: number | number[] | undefined): number[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The stored requantization as the kernels' Requantizer (multiplier/shift or fp32Scale as given). */
function requantizerOf(r: StoredRequantization): Requantizer {
  if (r.convention === 'none') throw formatError('a requantizing case has requantization.convention "none"');
  const m = list(r.multiplier), s = list(r.shift), f = r.fp32Scale ?? [];
  const count = Math.max(m.length, f.length, 1);
  return {
    rounding: r.convention,
    multiplier: m.length ? Int32Array.from(m) : new Int32Array(count),
    shift: s.length ? Int32Array.from(s) : new Int32Array(count),
    scale: f.length ? Float32Array.from(f) : new Float32Array(count).fill(NaN),
  };
}

const emptyLike = (type: Q8Type, n: number): Q8 => (type === 'uint8' ? new Uint8Array(n) : new Int8Array(n));

/** Runs one q8-* case with our scalar kernels; returns the output in the expected dtype. */
export function runQ8VectorCase(dir: string, c: VectorCase): VectorData {
  const p = c.params as Record<string, unknown>;
  const type = p.dtype as Q8Type;
  const input = (k: string): VectorData => loadTyped(dir, c.inputs[k]!);
  const q8 = (k: string): Q8 => input(k) as Q8;
  const n = prod(c.expected.shape);
  const rq = p.requantization as StoredRequantization;
  const range = p.activationRange as [number, number] | undefined;
  switch (c.kernel) {
    case 'q8-conv2d': case 'q8-depthwise': case 'q8-pointwise': case 'q8-fully-connected': {
      const q: Q8ConvParams = {
        inputZeroPoint: (p.input as QP).zeroPoint, filterZeroPoint: (p.filter as QP).zeroPoint,
        requantizer: requantizerOf(rq), output: { zeroPoint: (p.output as QP).zeroPoint, min: range![0], max: range![1] },
      };
      const out = emptyLike(type, n);
      const bias = c.inputs.b ? (input('b') as Int32Array) : null;
      const x = q8('x'), w = q8('w');
      if (c.kernel === 'q8-pointwise' || c.kernel === 'q8-fully-connected') {
        const [rows, inC] = c.inputs.x!.shape as [number, number];
        const outC = c.expected.shape[1]!;
        if (c.kernel === 'q8-pointwise') q8PwConvNhwc(out, x, w, bias, { pixels: rows, inC, outC }, q);
        else q8FullyConnected(out, x, w, bias, { n: rows, inC, outC }, q);
        return out;
      }
      const g = geometryOf(p.geometry as Record<string, unknown>);
      const [batch, , , inC] = c.inputs.x!.shape as [number, number, number, number];
      if (c.kernel === 'q8-conv2d') q8Conv2dNhwc(out, x, w, bias, { n: batch, inC, outC: c.expected.shape[3]! }, g, q);
      else q8DwConv2dNhwc(out, x, w, bias, { n: batch, channels: inC }, g, q);
      return out;
    }
    case 'q8-add': {
      const r = p.requantization as { convention: Requantization; leftShift: number; a: { multiplier: number; shift: number }; b: { multiplier: number; shift: number }; output: { multiplier: number; shift: number } };
      const fixed = (x: { multiplier: number; shift: number }): Requantizer => requantizerOf({ convention: r.convention, multiplier: x.multiplier, shift: x.shift });
      const out = emptyLike(type, n);
      q8Add(out, q8('a'), q8('b'), n, {
        leftShift: r.leftShift, aZeroPoint: (p.inputA as QP).zeroPoint, bZeroPoint: (p.inputB as QP).zeroPoint,
        a: fixed(r.a), b: fixed(r.b), out: fixed(r.output), output: { zeroPoint: (p.output as QP).zeroPoint, min: range![0], max: range![1] },
      });
      return out;
    }
    case 'q8-avgpool': {
      const out = emptyLike(type, n);
      const [batch, , , channels] = c.inputs.x!.shape as [number, number, number, number];
      q8AvgPool2dNhwc(out, q8('x'), { n: batch, channels }, geometryOf(p.geometry as Record<string, unknown>), { min: range![0], max: range![1] });
      return out;
    }
    case 'q8-mean': {
      const out = emptyLike(type, n);
      const [batch, h, w, ch] = c.inputs.x!.shape as [number, number, number, number];
      q8MeanHwNhwc(out, q8('x'), { n: batch, h, w, c: ch }, { inputZeroPoint: (p.input as QP).zeroPoint, outputZeroPoint: (p.output as QP).zeroPoint, requantizer: requantizerOf(rq) });
      return out;
    }
    case 'q8-softmax': {
      const r = p.requantization as { convention: 'tflite-reference' | 'single-rounding'; inputMultiplier: number; inputLeftShift: number; diffMin: number };
      const out = emptyLike(type, n);
      const [rows, cols] = c.inputs.x!.shape as [number, number];
      q8Softmax(out, q8('x'), { rows, cols }, { rounding: r.convention, inputMultiplier: r.inputMultiplier, inputLeftShift: r.inputLeftShift, diffMin: r.diffMin });
      return out;
    }
    case 'q8-logistic': {
      const r = p.requantization as { convention: Requantization; inputMultiplier?: number; inputLeftShift?: number; inputRangeRadius?: number };
      const input = p.input as QP;
      const out = emptyLike(type, n);
      const params: Q8LogisticParams = r.convention === 'xnnpack-fp32'
        ? logisticParams(input.scale, input.zeroPoint, type, 'xnnpack-fp32')
        : { kind: 'fixed-point', rounding: r.convention, inputZeroPoint: input.zeroPoint, inputMultiplier: r.inputMultiplier!, inputLeftShift: r.inputLeftShift!, inputRangeRadius: r.inputRangeRadius! };
      q8Logistic(out, q8('x'), n, params);
      return out;
    }
    case 'q8-resize-bilinear': {
      const out = emptyLike(type, n);
      const [batch, inH, inW, ch] = c.inputs.x!.shape as [number, number, number, number];
      const convention = rq.convention === 'none' ? 'tflite-reference' : rq.convention;
      q8ResizeBilinearNhwc(out, q8('x'), { n: batch, inH, inW, c: ch, outH: p.outH as number, outW: p.outW as number }, p.mode as ResizeCoordinateMode, convention);
      return out;
    }
    case 'q8-concat': {
      const parts = (p.parts as Array<{ input: string; channels: number; scale: number; zeroPoint: number }>).map((part) => ({ ...part, data: q8(part.input) }));
      const out = emptyLike(type, n);
      q8ConcatChannelsNhwc(out, parts, c.expected.shape[0]!, p.output as QP);
      return out;
    }
    case 'q8-pad': {
      const out = emptyLike(type, n);
      const [batch, h, w, ch] = c.inputs.x!.shape as [number, number, number, number];
      q8PadNhwc(out, q8('x'), { n: batch, h, w, c: ch }, p.pad as Pad4, p.value as number);
      return out;
    }
    case 'q8-quantize': {
      const out = emptyLike(type, n);
      const o = p.output as QP;
      q8Quantize(out, input('x') as Float32Array, n, o.scale, o.zeroPoint);
      return out;
    }
    case 'q8-dequantize': {
      const out = new Float32Array(n);
      const i = p.input as QP;
      q8Dequantize(out, q8('x'), n, i.scale, i.zeroPoint);
      return out;
    }
    case 'q8-requantize': {
      const out = emptyLike(p.outputDtype as Q8Type, n);
      q8Requantize(out, q8('x'), n, { inputZeroPoint: (p.input as QP).zeroPoint, outputZeroPoint: (p.output as QP).zeroPoint, requantizer: requantizerOf(rq) });
      return out;
    }
    case 'q8-argmax': {
      const out = new Int32Array(n);
      const [rows, cols] = c.inputs.x!.shape as [number, number];
      q8ArgmaxLastAxis(out, q8('x'), { rows, cols });
      return out;
    }
    default:
      throw formatError(`case '${c.name}': kernel '${c.kernel}' is not an integer kernel`);
  }
}

function geometryOf(g0: Record<string, unknown>): Conv2dGeometry {
  const g = g0 as { inH: number; inW: number; kH: number; kW: number; stride: [number, number]; dilation: [number, number]; pad: Pad4 };
  return conv2dGeometry({ inH: g.inH, inW: g.inW, kH: g.kH, kW: g.kW, stride: g.stride, dilation: g.dilation, padding: g.pad });
}
