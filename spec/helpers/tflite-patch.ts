// SPDX-License-Identifier: Apache-2.0
/**
 * Test-only: make an intermediate tensor of a .tflite file its graph output, so the real
 * interpreter can be read at that point (it only exposes graph outputs). The subgraph's `outputs`
 * vector (SubGraph field 2) is rewritten in place in a copy of the file; nothing else changes, so
 * the interpreter still runs exactly the file's operators and weights.
 */
import { FlatBufferReader } from '../../src/io/tflite/flatbuffer.js';

export function withGraphOutput(bytes: Uint8Array, tensorIndex: number): Uint8Array {
  const copy = bytes.slice();
  const fb = new FlatBufferReader(copy, 'patch');
  const sg = fb.root('model').vector(2, 'subgraphs', 4)!.table(0);
  const outs = sg.vector(2, 'outputs', 4);
  if (!outs || outs.length !== 1) throw new Error(`withGraphOutput: expected one graph output, found ${outs?.length ?? 0}`);
  new DataView(copy.buffer, copy.byteOffset, copy.byteLength).setInt32(outs.pos, tensorIndex, true);
  return copy;
}

function tensorTable(copy: Uint8Array, tensorIndex: number) {
  const fb = new FlatBufferReader(copy, 'patch');
  const root = fb.root('model');
  const t = root.vector(2, 'subgraphs', 4)!.table(0).vector(0, 'tensors', 4)!.table(tensorIndex);
  return { root, t, view: new DataView(copy.buffer, copy.byteOffset, copy.byteLength) };
}

/** Test-only: a copy of the file with every quantization scale of one tensor set to `scale` and/or its first zero point to `zeroPoint`. */
export function withQuantization(bytes: Uint8Array, tensorIndex: number, patch: { scale?: number; zeroPoint?: bigint }): Uint8Array {
  const copy = bytes.slice();
  const { t, view } = tensorTable(copy, tensorIndex);
  const q = t.table(4, 'quantization');
  if (!q) throw new Error(`withQuantization: tensor ${tensorIndex} has no quantization`);
  if (patch.scale !== undefined) {
    const v = q.vector(2, 'scale', 4)!;
    for (let i = 0; i < v.length; i++) view.setFloat32(v.pos + 4 * i, patch.scale, true);
  }
  if (patch.zeroPoint !== undefined) view.setBigInt64(q.vector(3, 'zero_point', 8)!.pos, patch.zeroPoint, true);
  return copy;
}

/** Test-only: a copy of the file with element `element` of a FLOAT32 constant tensor set to `value`. */
export function withFloatValue(bytes: Uint8Array, tensorIndex: number, element: number, value: number): Uint8Array {
  const copy = bytes.slice();
  const { root, t, view } = tensorTable(copy, tensorIndex);
  const data = root.vector(4, 'buffers', 4)!.table(t.u32(2, 'buffer')).vector(0, 'data', 1)!;
  view.setFloat32(data.pos + 4 * element, value, true);
  return copy;
}

/**
 * Test-only: a copy of the file whose subgraph outputs are `tensorIndices` (any intermediate
 * tensors), so one interpreter run exposes them all. The new outputs vector is appended at the end
 * of the file (FlatBuffers offsets point forward, so the subgraph's field can point there); the
 * operators, weights and quantization are untouched.
 */
export function withGraphOutputs(bytes: Uint8Array, tensorIndices: readonly number[]): Uint8Array {
  const fb = new FlatBufferReader(bytes, 'patch');
  const sg = fb.root('model').vector(2, 'subgraphs', 4)!.table(0);
  const field = sg.field(2, 4, 'outputs');
  if (field < 0) throw new Error('withGraphOutputs: the subgraph has no outputs field');
  const start = (bytes.length + 3) & ~3;
  const copy = new Uint8Array(start + 4 + 4 * tensorIndices.length);
  copy.set(bytes);
  const view = new DataView(copy.buffer);
  view.setUint32(start, tensorIndices.length, true);
  tensorIndices.forEach((t, i) => view.setInt32(start + 4 + 4 * i, t, true));
  view.setUint32(field, start - field, true);
  return copy;
}

/** Test-only: a copy of the file with one tensor's stored type (TensorType: 0 FLOAT32, 2 INT32, 9 INT8, …) overwritten. */
export function withTensorType(bytes: Uint8Array, tensorIndex: number, type: number): Uint8Array {
  const copy = bytes.slice();
  const { t, view } = tensorTable(copy, tensorIndex);
  const p = t.field(1, 1, 'type');
  if (p < 0) throw new Error(`withTensorType: tensor ${tensorIndex} has the default type stored implicitly`);
  view.setInt8(p, type);
  return copy;
}

/** Test-only: a copy of the file with one tensor's quantized_dimension (QuantizationParameters field 6) overwritten. */
export function withQuantizedDimension(bytes: Uint8Array, tensorIndex: number, dimension: number): Uint8Array {
  const copy = bytes.slice();
  const { t, view } = tensorTable(copy, tensorIndex);
  const q = t.table(4, 'quantization');
  const p = q ? q.field(6, 4, 'quantized_dimension') : -1;
  if (p < 0) throw new Error(`withQuantizedDimension: tensor ${tensorIndex} has no stored quantized_dimension`);
  view.setInt32(p, dimension, true);
  return copy;
}
