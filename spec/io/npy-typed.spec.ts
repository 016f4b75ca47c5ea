// SPDX-License-Identifier: Apache-2.0
/**
 * Integer .npy (uint8, int8, int32, int64) for quantized tensors: files written by NumPy
 * (spec/io/fixtures/README.md) parse to exactly their values, and our writer reproduces NumPy's
 * bytes for every little-endian dtype.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeNpy, encodeNpyTyped, parseNpy, parseNpyTyped } from '../../src/io/npy.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const bytesOf = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

const INT32_VALUES = [-2147483648, -1, 0, 1, 65536, 2147483647];
const CASES = [
  { file: 'u1.npy', dtype: 'uint8', ctor: Uint8Array, shape: [2, 3], values: [0, 1, 127, 128, 254, 255] },
  { file: 'i1.npy', dtype: 'int8', ctor: Int8Array, shape: [5], values: [-128, -1, 0, 1, 127] },
  { file: 'i4.npy', dtype: 'int32', ctor: Int32Array, shape: [2, 3], values: INT32_VALUES },
  { file: 'i4_be.npy', dtype: 'int32', ctor: Int32Array, shape: [2, 3], values: INT32_VALUES },
] as const;

describe('typed .npy', () => {
  for (const c of CASES) {
    it(`${c.file}: NumPy's ${c.dtype} values and shape`, () => {
      const a = parseNpyTyped(bytesOf(c.file), c.file);
      expect(a.dtype).toBe(c.dtype);
      expect(a.shape).toEqual(c.shape);
      expect(a.data).toBeInstanceOf(c.ctor);
      expect(Array.from(a.data as ArrayLike<number>)).toEqual(c.values);
    });
  }

  it("i8.npy: NumPy's int64 values, including both limits", () => {
    const a = parseNpyTyped(bytesOf('i8.npy'), 'i8.npy');
    expect(a.dtype).toBe('int64');
    expect(Array.from(a.data as BigInt64Array)).toEqual([-(2n ** 63n), -1n, 0n, 1n, 2n ** 63n - 1n]);
  });

  it("writes NumPy's bytes for every little-endian dtype", () => {
    for (const c of CASES.filter((k) => !k.file.includes('_be'))) {
      expect(Buffer.from(encodeNpyTyped(c.ctor.from(c.values), c.shape))).toEqual(Buffer.from(bytesOf(c.file)));
    }
    expect(Buffer.from(encodeNpyTyped(BigInt64Array.from([-(2n ** 63n), -1n, 0n, 1n, 2n ** 63n - 1n]), [5]))).toEqual(Buffer.from(bytesOf('i8.npy')));
  });

  it('round-trips every dtype; a float32 array is encoded as encodeNpy does', () => {
    const f = Float32Array.of(1.5, -0, NaN);
    expect(Buffer.from(encodeNpyTyped(f, [3]))).toEqual(Buffer.from(encodeNpy(f, [3])));
    for (const data of [Uint8Array.of(9, 200), Int8Array.of(-5, 7), Int32Array.of(-3, 1 << 30), BigInt64Array.of(-7n, 1n << 40n)]) {
      const back = parseNpyTyped(encodeNpyTyped(data, [2]), 'x.npy');
      expect(back.data).toEqual(data);
    }
  });

  it('parseNpy stays float32-only, with its message; parseNpyTyped names what it accepts', () => {
    expect(() => parseNpy(bytesOf('u1.npy'), 'u1.npy')).toThrow("u1.npy: dtype '|u1' (uint8) is not supported; expected float32 ('<f4') — convert with arr.astype(np.float32)");
    expect(() => parseNpyTyped(bytesOf('f64.npy'), 'f64.npy')).toThrow("f64.npy: dtype '<f8' (float64) is not supported; expected one of float32, uint8, int8, int32, int64");
  });

  it('a truncated int32 file says how many bytes its dtype needs', () => {
    const b = bytesOf('i4.npy');
    expect(() => parseNpyTyped(b.subarray(0, b.length - 1), 'i4.npy')).toThrow('the data is truncated: shape [2, 3] of int32 needs 24 data bytes');
  });

  it('refuses to encode an unsupported array type', () => {
    expect(() => encodeNpyTyped(new Float64Array(2) as unknown as Float32Array, [2])).toThrow('encodeNpy: data must be');
  });
});
