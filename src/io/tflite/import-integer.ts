// SPDX-License-Identifier: Apache-2.0
/**
 * The integer view of a quantized TFLite file (src/model/integer.ts `IntegerNetwork`): once the
 * importer has matched the graph onto our plan, every matched operator's 8-bit weights, int32 bias
 * and the quantization of the tensors it reads and writes are taken as stored — nothing
 * dequantized, nothing recomputed — and filed under the runner's step names.
 *
 * What the integer path cannot run exactly is refused here, naming the tensor: float or int16
 * activations, a bias that is not int32, uint8 weights with per-channel scales, int8 weights with a
 * non-zero zero point, weight and activation types that differ.
 */
import { BuiltinOperator, tensorData, type TfliteOperator, type TfliteTensor } from './model.js';
import type { Graph } from './import-graph.js';
import { checkQuantization } from './import-graph.js';
import type { IntegerConv, IntegerConvOp, IntegerNetwork, IntegerPool, QuantParams } from '../../model/integer.js';
import type { Q8Array } from '../../../kernels/q8-check.js';
import { formatError, unsupportedError } from '../../errors.js';

/** A matched operator of the plan: the step name it runs as, and the file's operator. */
export interface MatchedStep {
  readonly name: string;
  readonly op: TfliteOperator;
}

export interface IntegerParts {
  readonly convs: readonly MatchedStep[];
  /** Residual ADDs by block name. */
  readonly adds: readonly MatchedStep[];
  /** AVERAGE_POOL_2D / MEAN steps. */
  readonly pools: readonly MatchedStep[];
  /** RESIZE_BILINEAR / CONCATENATION steps (the last one of a chain of resizes names the chain). */
  readonly others: readonly MatchedStep[];
  readonly softmax: TfliteOperator | null;
  /** SSD's LOGISTIC after the class logits. */
  readonly logistic?: TfliteOperator | null;
  /** Block names → the tensor that ends the block (ADD output, or the projection's output). */
  readonly blockOutputs: ReadonlyMap<string, number>;
}

function activationType(g: Graph, t: TfliteTensor, at: string): 'uint8' | 'int8' {
  if (t.type === 'UINT8') return 'uint8';
  if (t.type === 'INT8') return 'int8';
  throw unsupportedError(`${g.model.source}: ${at}: tensor '${t.name}' (#${t.index}) is ${t.type}; the integer path runs uint8 and int8 activations only (use arithmetic 'float')`);
}

/** Per-tensor quantization of an activation tensor, checked (finite scale > 0, zero point in range). */
function quantOf(g: Graph, index: number): QuantParams {
  const t = g.tensor(index);
  checkQuantization(g.model, t, {});
  const q = t.quantization!;
  if (q.scale.length !== 1) throw unsupportedError(`${g.model.source}: activation tensor '${t.name}' (#${t.index}) has ${q.scale.length} per-channel scales; activations must be quantized per tensor`);
  return { scale: q.scale[0]!, zeroPoint: q.zeroPoint[0] ?? 0 };
}

function integerConv(g: Graph, op: TfliteOperator, type: 'uint8' | 'int8'): IntegerConv {
  const at = g.describe(op);
  const code: IntegerConvOp = op.builtinCode === BuiltinOperator.DEPTHWISE_CONV_2D ? 'DEPTHWISE_CONV_2D'
    : op.builtinCode === BuiltinOperator.FULLY_CONNECTED ? 'FULLY_CONNECTED' : 'CONV_2D';
  const inT = g.tensor(op.inputs[0]!);
  const wT = g.tensor(op.inputs[1]!);
  const outT = g.tensor(op.outputs[0]!);
  for (const t of [inT, outT]) {
    if (activationType(g, t, at) !== type) throw unsupportedError(`${g.model.source}: ${at}: tensor '${t.name}' is ${t.type} in a ${type.toUpperCase()} network`);
  }
  if ((type === 'uint8' && wT.type !== 'UINT8') || (type === 'int8' && wT.type !== 'INT8')) {
    throw unsupportedError(`${g.model.source}: ${at}: weights '${wT.name}' are ${wT.type}, expected ${type.toUpperCase()} like the activations (hybrid or float-weight layers run only with arithmetic 'float')`);
  }
  checkQuantization(g.model, wT, {});
  const wq = wT.quantization!;
  const perChannel = wq.scale.length > 1;
  if (type === 'uint8' && perChannel) throw unsupportedError(`${g.model.source}: ${at}: uint8 weights '${wT.name}' have ${wq.scale.length} per-channel scales; uint8 is per tensor`);
  const zeroPoints = wq.zeroPoint.length ? wq.zeroPoint : [0];
  if (zeroPoints.some((z) => z !== zeroPoints[0])) throw unsupportedError(`${g.model.source}: ${at}: weights '${wT.name}' have differing per-channel zero points`);
  if (type === 'int8' && zeroPoints[0] !== 0) throw unsupportedError(`${g.model.source}: ${at}: int8 weights '${wT.name}' have zero point ${zeroPoints[0]}; int8 weights are symmetric (0)`);
  const weight = tensorData(g.model, wT.index);
  if (weight === null) throw formatError(`${g.model.source}: ${at}: weights '${wT.name}' have no data`);
  let bias: Int32Array | null = null;
  const bi = op.inputs[2] ?? -1;
  if (bi >= 0) {
    const bT = g.tensor(bi);
    if (bT.type !== 'INT32') throw unsupportedError(`${g.model.source}: ${at}: bias '${bT.name}' is ${bT.type}; a quantized layer's bias must be INT32`);
    const data = tensorData(g.model, bT.index);
    if (data === null) throw formatError(`${g.model.source}: ${at}: bias '${bT.name}' has no data`);
    bias = data as Int32Array;
  }
  return {
    op: code, weight: weight as Q8Array, weightScales: [...wq.scale], weightZeroPoint: zeroPoints[0]!, bias,
    input: quantOf(g, inT.index), output: quantOf(g, outT.index),
  };
}

/**
 * A QUANTIZE operator reading `tensor` (a requantization between two 8-bit scales): its output
 * tensor, or null. Only one reader of that kind is expected.
 */
function requantizeAfter(g: Graph, tensor: number): number | null {
  const q = (g.consumers.get(tensor) ?? []).find((op) => op.builtinCode === BuiltinOperator.QUANTIZE);
  return q ? q.outputs[0]! : null;
}

/**
 * The integer view of a matched graph, or null when the file is not an 8-bit quantized network
 * (float activations). Throws for a quantized file whose layers the integer path cannot run.
 */
export function integerNetwork(g: Graph, inputIndex: number, parts: IntegerParts): IntegerNetwork | null {
  const inT = g.tensor(inputIndex);
  if (inT.type !== 'UINT8' && inT.type !== 'INT8') return null;
  const type = activationType(g, inT, 'the graph input');
  const convs = new Map<string, IntegerConv>();
  const adds = new Map<string, QuantParams>();
  const pools = new Map<string, IntegerPool>();
  const outputs = new Map<string, QuantParams>();
  const requantize = new Map<string, QuantParams>();
  const tensors = new Map<string, number>([['input', inputIndex]]);

  const record = (name: string, out: number): void => {
    const rq = requantizeAfter(g, out);
    if (rq !== null) {
      requantize.set(name, quantOf(g, rq));
      tensors.set(name, rq);
    } else tensors.set(name, out);
  };
  for (const { name, op } of parts.convs) {
    convs.set(name, integerConv(g, op, type));
    record(name, op.outputs[0]!);
  }
  for (const { name, op } of parts.adds) {
    for (const i of op.inputs) activationType(g, g.tensor(i), g.describe(op));
    adds.set(name, quantOf(g, op.outputs[0]!));
    record(name, op.outputs[0]!);
  }
  for (const { name, op } of parts.pools) {
    const kind = op.builtinCode === BuiltinOperator.MEAN ? 'MEAN' : 'AVERAGE_POOL_2D';
    pools.set(name, { op: kind, output: quantOf(g, op.outputs[0]!) });
    record(name, op.outputs[0]!);
  }
  for (const { name, op } of parts.others) {
    outputs.set(name, quantOf(g, op.outputs[0]!));
    record(name, op.outputs[0]!);
  }
  for (const [name, t] of parts.blockOutputs) if (!tensors.has(name)) record(name, t);
  let softmax: IntegerNetwork['softmax'] = null;
  if (parts.softmax) {
    const beta = parts.softmax.options?.kind === 'Softmax' ? parts.softmax.options.beta : 1;
    softmax = { beta, output: quantOf(g, parts.softmax.outputs[0]!) };
    tensors.set('probabilities', parts.softmax.outputs[0]!);
  }
  let logistic: IntegerNetwork['logistic'] = null;
  if (parts.logistic) {
    const out = parts.logistic.outputs[0]!;
    if (activationType(g, g.tensor(out), g.describe(parts.logistic)) !== type) throw unsupportedError(`${g.model.source}: ${g.describe(parts.logistic)}: output is ${g.tensor(out).type} in a ${type.toUpperCase()} network`);
    logistic = { output: quantOf(g, out) };
    // TFLite's LOGISTIC requires (and the integer kernel assumes) the output scale 1/256 at the type's minimum.
    const min = type === 'int8' ? -128 : 0;
    if (logistic.output.scale !== 1 / 256 || logistic.output.zeroPoint !== min) {
      throw unsupportedError(`${g.model.source}: ${g.describe(parts.logistic)}: output quantized (scale ${logistic.output.scale}, zero point ${logistic.output.zeroPoint}); TFLite's ${type} LOGISTIC requires scale 1/256 and zero point ${min}`);
    }
    tensors.set('scores', out);
  }
  return { type, input: quantOf(g, inputIndex), convs, adds, pools, outputs, requantize, softmax, logistic, tensors };
}
