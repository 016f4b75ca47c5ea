// SPDX-License-Identifier: Apache-2.0
/**
 * The TFLite writer (src/io/tflite/writer.ts) read back by our validating readers: FlatBuffers
 * tables with every scalar type, strings, scalar vectors and table vectors, 16-byte aligned tensor
 * data; FlexBuffers maps at both byte widths; the model-level fields (schema version 3, operator
 * codes with the clamped deprecated field, buffer 0 empty); and a tiny PAD + VALID CONV_2D model
 * run by the real interpreter.
 */
import { describe, expect, it } from 'vitest';
import { buildFlatBuffer, encodeFlexBufferMap, fb, options, TfliteGraphBuilder } from '../../../src/io/tflite/writer.js';
import { FlatBufferReader } from '../../../src/io/tflite/flatbuffer.js';
import { readFlexBuffer } from '../../../src/io/tflite/flexbuffer.js';
import { readTfliteModel, tensorData } from '../../../src/io/tflite/model.js';
import { loadTfliteInterpreter } from '../../helpers/tflite-oracle.js';

describe('FlatBuffers writer', () => {
  it('every scalar type, strings, vectors and nested tables read back; absent fields give defaults', () => {
    const bytes = buildFlatBuffer(fb.table([
      [0, fb.scalar('i8', -5)], [1, fb.scalar('u8', 250)], [2, fb.scalar('bool', true)], [3, fb.scalar('u16', 65000)],
      [4, fb.scalar('i32', -123456)], [5, fb.scalar('u32', 4000000000)], [6, fb.scalar('f32', 1.5)], [7, fb.scalar('i64', -(2n ** 40n))],
      [8, fb.scalar('u64', 2n ** 63n)], [9, fb.string('héllo')], [10, fb.scalars('i32', [1, -2, 3])], [11, fb.scalars('i64', [7n, -8n])],
      [12, fb.refs([fb.table([[0, fb.scalar('i32', 42)]]), fb.table([[1, fb.string('x')]])])], [14, fb.bytes(Uint8Array.of(1, 2, 3), 16)],
      [15, null],
    ]), 'TEST');
    const r = new FlatBufferReader(bytes, 'test');
    expect(r.fileIdentifier()).toBe('TEST');
    const t = r.root();
    expect([t.i8(0, 'a'), t.u8(1, 'b'), t.bool(2, 'c'), t.u16(3, 'd'), t.i32(4, 'e'), t.u32(5, 'f'), t.f32(6, 'g')]).toEqual([-5, 250, true, 65000, -123456, 4000000000, 1.5]);
    expect([t.i64(7, 'h'), t.u64(8, 'i')]).toEqual([-(2n ** 40n), 2n ** 63n]);
    expect(t.string(9, 'j')).toBe('héllo');
    expect(t.vector(10, 'k', 4)!.i32s()).toEqual([1, -2, 3]);
    expect(t.vector(11, 'l', 8)!.i64s()).toEqual([7n, -8n]);
    const v = t.vector(12, 'm', 4)!;
    expect([v.table(0).i32(0, 'x'), v.table(1).string(1, 'y')]).toEqual([42, 'x']);
    expect([t.has(13), t.i32(13, 'absent', 77), t.has(15)]).toEqual([false, 77, false]);
    const data = t.vector(14, 'n', 1)!;
    expect(Array.from(data.bytes())).toEqual([1, 2, 3]);
    expect(data.pos % 16).toBe(0);
  });

  it('refuses values that do not fit their type', () => {
    expect(() => buildFlatBuffer(fb.table([[0, fb.scalar('i8', 200)]]), 'TEST')).toThrow(/does not fit i8/);
    expect(() => buildFlatBuffer(fb.table([[0, fb.scalars('u32', [-1])]]), 'TEST')).toThrow(/does not fit u32/);
    expect(() => buildFlatBuffer(fb.table([[0, fb.scalar('i32', 1.5)]]), 'TEST')).toThrow(/not an integer/);
    expect(() => buildFlatBuffer(fb.table([]), 'TFL')).toThrow(/4 characters/);
  });
});

describe('FlexBuffers map writer', () => {
  it('ints, uints, floats (float32 at width 4) and bools; keys in byte order', () => {
    const bytes = encodeFlexBufferMap({
      zeta: { type: 'int', value: -7 }, alpha: { type: 'uint', value: 4000000000 }, beta: { type: 'float', value: 0.1 },
      Upper: { type: 'bool', value: true }, gamma: { type: 'bool', value: false },
    });
    const m = readFlexBuffer(bytes, 'flex') as Map<string, unknown>;
    expect([...m.keys()]).toEqual(['Upper', 'alpha', 'beta', 'gamma', 'zeta']);
    expect(m.get('zeta')).toBe(-7);
    expect(m.get('alpha')).toBe(4000000000);
    expect(m.get('beta')).toBe(Math.fround(0.1));
    expect([m.get('Upper'), m.get('gamma')]).toEqual([true, false]);
  });

  it('switches to byte width 8 for integers beyond 32 bits (floats then kept as float64)', () => {
    const m = readFlexBuffer(encodeFlexBufferMap({ big: { type: 'int', value: -(2 ** 40) }, f: { type: 'float', value: 0.1 } }), 'flex') as Map<string, unknown>;
    expect(m.get('big')).toBe(-(2 ** 40));
    expect(m.get('f')).toBe(0.1);
  });
});

describe('TFLite graph builder', () => {
  it('model fields: schema version 3, operator codes (deprecated and extended builtin code), buffer 0 empty, names unique', () => {
    const b = new TfliteGraphBuilder();
    const x = b.activation('x', [1, 4, 4, 2]);
    const y = b.activation('x', [1, 4, 4, 2]);
    b.op('ADD', [x, x], [y], options.add('RELU6'));
    const z = b.activation('z', [1, 4, 4, 2]);
    b.op('ADD', [y, x], [z], options.add());
    const bytes = b.finish({ inputs: [x], outputs: [z], description: 'two adds' });
    const m = readTfliteModel(bytes, 'adds.tflite');
    expect(m.version).toBe(3);
    expect(m.description).toBe('two adds');
    expect(m.operatorCodes).toEqual([{ builtinCode: 0, name: 'ADD', customCode: null, version: 1 }]);
    expect(m.buffers[0]!.byteLength).toBe(0);
    const sg = m.subgraphs[0]!;
    expect(sg.tensors.map((t) => t.name)).toEqual(['x', 'x_1', 'z']);
    expect(sg.operators.map((o) => o.options)).toEqual([{ kind: 'Add', fusedActivation: 'RELU6', potScaleInt16: true }, { kind: 'Add', fusedActivation: 'NONE', potScaleInt16: true }]);
    const raw = new FlatBufferReader(bytes, 'raw').root().vector(1, 'operator_codes', 4)!.table(0);
    expect([raw.i8(0, 'deprecated_builtin_code'), raw.i32(3, 'builtin_code')]).toEqual([0, 0]);
  });

  it('PAD then a VALID CONV_2D runs in the interpreter exactly as written', async () => {
    const b = new TfliteGraphBuilder();
    const x = b.activation('x', [1, 2, 2, 1]);
    const paddings = b.constantI32('paddings', [4, 2], [0, 0, 1, 1, 1, 1, 0, 0]);
    const padded = b.activation('padded', [1, 4, 4, 1]);
    b.op('PAD', [x, paddings], [padded], options.pad());
    const w = b.constantF32('w', [1, 3, 3, 1], Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const bias = b.constantF32('b', [1], Float32Array.of(0.5));
    const y = b.activation('y', [1, 1, 1, 1]);
    b.op('CONV_2D', [padded, w, bias], [y], options.conv2d({ padding: 'VALID', stride: 2, activation: 'NONE' }));
    const bytes = b.finish({ inputs: [x], outputs: [y], description: 'pad + conv' });
    const m = readTfliteModel(bytes, 'pc.tflite');
    expect(Array.from(tensorData(m, paddings)! as Int32Array)).toEqual([0, 0, 1, 1, 1, 1, 0, 0]);
    const tfl = await loadTfliteInterpreter(bytes);
    try {
      // Output (0, 0) covers the padded rows/cols 0..2: input pixel (0,0)·5 + (0,1)·6 + (1,0)·8 + (1,1)·9 + 0.5.
      const [out] = tfl.run([Float32Array.of(1, 10, 100, 1000)]) as Float32Array[];
      expect(out![0]).toBe(1 * 5 + 10 * 6 + 100 * 8 + 1000 * 9 + 0.5);
    } finally {
      tfl.dispose();
    }
  });
  it('quantized tensors: per-tensor and per-channel parameters (with quantized_dimension) read back; bad parameters refused', () => {
    const b = new TfliteGraphBuilder();
    const x = b.activation('x', [1, 2, 2, 3], 'INT8', { scale: [0.5], zeroPoint: [-3], min: -1, max: 2 });
    const w = b.constantQuantized('w', [1, 3, 3, 3], new Int8Array(27).fill(7), { scale: [0.1, 0.2, 0.3], zeroPoint: [0, 0, 0], quantizedDimension: 3 });
    const bias = b.constantQuantized('b', [3], Int32Array.of(1, -2, 3), { scale: [0.05, 0.1, 0.15], zeroPoint: [0, 0, 0] });
    const y = b.activation('y', [1, 2, 2, 3], 'INT8', { scale: [0.25], zeroPoint: [10] });
    b.op('DEPTHWISE_CONV_2D', [x, w, bias], [y], options.depthwiseConv2d({ padding: 'SAME', stride: 1, activation: 'NONE' }));
    const m = readTfliteModel(b.finish({ inputs: [x], outputs: [y], description: 'q' }), 'q');
    const [tx, tw, tb] = m.subgraphs[0]!.tensors;
    expect(tx!.type).toBe('INT8');
    expect(tx!.quantization).toMatchObject({ scale: [0.5], zeroPoint: [-3], min: [-1], max: [2], quantizedDimension: 0 });
    expect(tw!.quantization).toMatchObject({ scale: [0.1, 0.2, 0.3].map(Math.fround), quantizedDimension: 3 });
    expect([...(tensorData(m, tb!.index) as Int32Array)]).toEqual([1, -2, 3]);
    for (const bad of [{ scale: [Number.NaN], zeroPoint: [0] }, { scale: [0], zeroPoint: [0] }, { scale: [1, 1], zeroPoint: [0, 0] }, { scale: [1], zeroPoint: [0.5] }]) {
      expect(() => new TfliteGraphBuilder().activation('t', [1, 3], 'INT8', bad)).toThrow(/tensor 't'/);
    }
  });
});
