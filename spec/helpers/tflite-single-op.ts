// SPDX-License-Identifier: Apache-2.0
/**
 * Single-operator quantized TFLite models, written with the spec's own FlatBuffers builder
 * (spec/io/tflite/fb-builder.ts), to run one operator in the real interpreter
 * (spec/helpers/tflite-oracle.ts) on chosen tensors: the measurements of
 * spec/kernels/q8-interpreter.spec.ts and the interpreter check of the integer vectors.
 */
import { buildFlatBuffer, s, table, vec, type TableNode } from '../io/tflite/fb-builder.js';

export { s, table };

export const UINT8 = 3;
export const INT8 = 9;
export const INT32 = 2;
export const OPS = { ADD: 0, AVERAGE_POOL_2D: 1, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, LOGISTIC: 14, SOFTMAX: 25 } as const;
/** builtin_options type per operator (LOGISTIC has none: NONE = 0). */
export const OPTIONS = { CONV_2D: 1, DEPTHWISE_CONV_2D: 2, AVERAGE_POOL_2D: 5, SOFTMAX: 9, ADD: 11, LOGISTIC: 0 } as const;

export interface QTensor { name: string; shape: number[]; type: number; scale?: number; zeroPoint?: number; data?: Uint8Array }

function quantization(t: QTensor): TableNode | null {
  if (t.scale === undefined) return null;
  return table([[2, vec('f32', [t.scale])], [3, vec('i64', [BigInt(t.zeroPoint ?? 0)])]]);
}

/** One operator, inputs/outputs by position in `tensors`; constants carry `data`. */
export function singleOpModel(op: keyof typeof OPS, tensors: QTensor[], inputs: number[], outputs: number[], graphInputs: number[], options: TableNode | null): Uint8Array {
  const buffers: TableNode[] = [table([])];
  const tensorTables = tensors.map((t) => {
    let buffer = 0;
    if (t.data !== undefined) { buffers.push(table([[0, { bytes: t.data, align: 16 }]])); buffer = buffers.length - 1; }
    return table([[0, vec('i32', t.shape)], [1, s('i8', t.type)], [2, s('u32', buffer)], [3, t.name], [4, quantization(t)]]);
  });
  const model = table([
    [0, s('u32', 3)],
    [1, vec('table', [table([[0, s('i8', OPS[op])], [2, s('i32', 1)], [3, s('i32', OPS[op])]])])],
    [2, vec('table', [table([
      [0, vec('table', tensorTables)],
      [1, vec('i32', graphInputs)],
      [2, vec('i32', outputs)],
      [3, vec('table', [table([[0, s('u32', 0)], [1, vec('i32', inputs)], [2, vec('i32', outputs)], [3, s('u8', OPTIONS[op])], [4, options]])])],
      [4, 'main'],
    ])])],
    [3, `single ${op}`],
    [4, vec('table', buffers)],
  ]);
  return buildFlatBuffer(model).bytes;
}

export const bytesOfI32 = (a: Int32Array): Uint8Array => new Uint8Array(a.buffer.slice(0));

