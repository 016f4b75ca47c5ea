// SPDX-License-Identifier: Apache-2.0
/**
 * A loaded model on a raw NHWC input tensor, in the model's own input dtype — for kernel authors who
 * want to diff tensors, not images: `mobilenetv2 run --model FILE.tflite --input X.npy --output Y.npy
 * [--taps DIR]`, and `model.runTensor()`.
 *
 *   integer path  input uint8/int8 [N, H, W, 3] with the file's input quantization; every output
 *                 and tap is 8-bit with its scale and zero point (int32 for the class map)
 *   float path    input float32 (or the quantized dtype, dequantized exactly); float32 results
 *
 * The outputs are what the network ends with (classifier logits, DeepLab's upsampled logits, SSD's
 * box encodings and class logits) and, on the integer path, the file's own last operator when it is
 * a SOFTMAX (8-bit probabilities), an ARG_MAX (the class map) or SSD's LOGISTIC (8-bit 'scores').
 */
import type { Backend } from '../backend/backend.js';
import type { ImportedModel } from '../io/tflite/import-graph.js';
import { runIntegerNetwork, runNetwork } from '../model/network.js';
import { integerLogistic, integerSoftmax, type QTensor, type QuantParams } from '../model/integer.js';
import type { SsdlitePredictions } from '../model/ssdlite.js';
import type { Tap } from '../model/runner.js';
import type { IntegerExecution, ArithmeticRecord } from './arithmetic.js';
import { typedArrayDtype } from '../io/dtype.js';
import { q8ArgmaxLastAxis } from '../../kernels/q8-argmax.js';
import { q8Dequantize } from '../../kernels/q8-quantize.js';
import { dtypeError, fmtShape, requireFiniteOutput, shapeError } from '../errors.js';

export type TensorData = Float32Array | Uint8Array | Int8Array | Int32Array;

/** One named result tensor; `quantization` for 8-bit tensors (real = scale·(q − zeroPoint)). */
export interface NamedTensor {
  readonly name: string;
  readonly data: TensorData;
  readonly shape: readonly number[];
  readonly quantization: QuantParams | null;
}

export interface TensorRunResult {
  readonly arithmetic: ArithmeticRecord;
  /** The network's outputs, the final one last (the file's SOFTMAX / ARG_MAX output when it has one, integer path). */
  readonly outputs: readonly NamedTensor[];
  /** Every tap asked for, in execution order. */
  readonly taps: readonly NamedTensor[];
}

export interface TensorRunOptions {
  taps?: 'all' | readonly string[];
}

/** What running a tensor needs from a loaded model (MobileNetV2Model satisfies it). */
export interface TensorModelLike {
  readonly imported: ImportedModel;
  readonly name: string;
  readonly integer: IntegerExecution | null;
}

const dtypeOf = (d: TensorData): string => typedArrayDtype(d) ?? 'an unsupported array';

function named(name: string, t: Tap<QTensor>): NamedTensor {
  return { name, data: t.data.data, shape: t.shape, quantization: { scale: t.data.scale, zeroPoint: t.data.zeroPoint } };
}

/** Runs the model's whole network on one NHWC tensor in the model's input dtype. */
export function runTensor(model: TensorModelLike, backend: Backend, data: TensorData, shape: readonly number[], options: TensorRunOptions = {}): TensorRunResult {
  const m = model.imported;
  const [, h, w, c] = m.input.shape as [number, number, number, number];
  if (shape.length !== 4 || shape[1] !== h || shape[2] !== w || shape[3] !== c || !(shape[0]! >= 1)) {
    throw shapeError(`${model.name}: input tensor has shape ${fmtShape(shape)}, expected NHWC [N, ${h}, ${w}, ${c}]`);
  }
  const plan = m.ssdlite?.plan ?? m.deeplab ?? m.plan;
  const integer = model.integer;
  if (integer && m.integer) {
    const want = m.integer.type;
    if (dtypeOf(data) !== want) throw dtypeError(`${model.name}: input tensor is ${dtypeOf(data)}; this model runs in integer arithmetic on ${want} input (its own input dtype, scale ${m.integer.input.scale}, zero point ${m.integer.input.zeroPoint})`);
    const input: Tap<QTensor> = { data: { data: data as Uint8Array | Int8Array, ...m.integer.input }, shape };
    const result = runIntegerNetwork(integer.q8, plan, m.integer, input, { profile: integer.profile, taps: options.taps });
    const outputs: NamedTensor[] = [];
    const out = result.output as Tap<QTensor> | { logits: Tap<QTensor> } | SsdlitePredictions<QTensor>;
    if ('boxEncodings' in out) {
      // SSD: the two assembled outputs (the file's CONCATENATIONs), then its LOGISTIC scores.
      const n = shape[0]!;
      const A = out.boxEncodings.data.length / n / 4;
      const K = out.classLogits.data.length / n / A;
      outputs.push(named('box_encodings', { data: out.boxEncodings, shape: [n, A, 4] }));
      outputs.push(named('class_logits', { data: out.classLogits, shape: [n, A, K] }));
      const scores = integerLogistic(m.integer, out.classLogits, integer.profile);
      if (scores) outputs.push(named('scores', { data: scores, shape: [n, A, K] }));
    } else if ('logits' in out) {
      outputs.push(named('upsampled_logits', out.logits));
      if (m.outputs.argmax) {
        const l = out.logits;
        const k = l.shape[l.shape.length - 1]!;
        const classes = new Int32Array(l.data.data.length / k);
        q8ArgmaxLastAxis(classes, l.data.data, { rows: classes.length, cols: k });
        outputs.push({ name: 'class_map', data: classes, shape: l.shape.slice(0, -1), quantization: null });
      }
    } else {
      outputs.push(named('logits', out));
      const probabilities = integerSoftmax(m.integer, out.data, out.shape[out.shape.length - 1]!, integer.profile);
      if (probabilities) outputs.push(named('probabilities', { data: probabilities, shape: out.shape }));
    }
    return { arithmetic: { kind: 'integer', requantization: integer.profile }, outputs, taps: [...result.taps].map(([name, t]) => named(name, t)) };
  }

  // Float path: a quantized input dtype is dequantized exactly (real = scale·(q − zeroPoint)).
  let x: Float32Array;
  if (data instanceof Float32Array) x = data;
  else if ((data instanceof Uint8Array || data instanceof Int8Array) && m.input.quantization) {
    x = new Float32Array(data.length);
    q8Dequantize(x, data, data.length, m.input.quantization.scale, m.input.quantization.zeroPoint);
  } else throw dtypeError(`${model.name}: input tensor is ${dtypeOf(data)}; expected float32${m.input.quantization ? ` or ${m.input.type.toLowerCase()}` : ''}`);
  const result = runNetwork(backend, plan, m.weights, { data: x, shape }, { taps: options.taps });
  const out = result.output as Tap | { logits: Tap } | { boxEncodings: Float32Array; classLogits: Float32Array };
  const n = shape[0]!;
  const outputs: NamedTensor[] = 'boxEncodings' in out
    ? [
      { name: 'box_encodings', data: out.boxEncodings, shape: [n, out.boxEncodings.length / n / 4, 4], quantization: null },
      { name: 'class_logits', data: out.classLogits, shape: [n, out.boxEncodings.length / n / 4, out.classLogits.length / (out.boxEncodings.length / 4)], quantization: null },
    ]
    : 'logits' in out ? [{ name: 'upsampled_logits', ...out.logits, quantization: null }]
      : [{ name: 'logits', ...out, quantization: null }];
  for (const o of outputs) requireFiniteOutput(o.data as Float32Array, `${model.name}: ${o.name}`);
  return {
    arithmetic: { kind: 'float', requantization: null }, outputs,
    taps: [...result.taps].map(([name, t]) => ({ name, data: t.data, shape: t.shape, quantization: null })),
  };
}
