// SPDX-License-Identifier: Apache-2.0
/** The dtype names of the typed arrays our tensor files and tensor APIs carry (NumPy's names). */
export type TypedDType = 'float32' | 'uint8' | 'int8' | 'int32' | 'int64';

/** The dtype of a typed array we read and write, or null for any other array. */
export function typedArrayDtype(data: unknown): TypedDType | null {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  return null;
}
