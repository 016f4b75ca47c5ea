// SPDX-License-Identifier: Apache-2.0
/**
 * Entry checks shared by the quantized (q8) kernels, on top of check.ts: the 8-bit tensor types,
 * the requantizer's per-channel counts, zero points and activation ranges inside the dtype.
 * Messages name the kernel and the argument, like check.ts.
 */
import { checkLength, KernelArgumentError } from './check.js';
import { checkRequantization, q8Range, type QuantizedOutput, type Requantizer } from './q-requantize.js';

/** An 8-bit quantized tensor: uint8 (asymmetric per tensor) or int8 (per-channel weights). */
export type Q8Array = Uint8Array | Int8Array;

/** 'uint8' or 'int8' from the array type. */
export function q8TypeOf(a: Q8Array): 'uint8' | 'int8' {
  return a instanceof Uint8Array ? 'uint8' : 'int8';
}

/** Throws unless every array has the same 8-bit type as the first. */
export function checkSameQ8Type(kernel: string, arrays: Readonly<Record<string, Q8Array>>): void {
  const entries = Object.entries(arrays);
  const [firstName, first] = entries[0]!;
  for (const [name, a] of entries) {
    if (!(a instanceof Uint8Array || a instanceof Int8Array)) {
      throw new KernelArgumentError(`${kernel}: ${name} must be a Uint8Array or Int8Array`);
    }
    if (q8TypeOf(a) !== q8TypeOf(first)) {
      throw new KernelArgumentError(`${kernel}: ${name} is ${q8TypeOf(a)} but ${firstName} is ${q8TypeOf(first)}`);
    }
  }
}

/** Throws unless `zp` is an integer inside the dtype's range. */
export function checkZeroPoint(kernel: string, what: string, zp: number, type: 'uint8' | 'int8'): void {
  const [lo, hi] = q8Range(type);
  if (!Number.isInteger(zp) || zp < lo || zp > hi) {
    throw new KernelArgumentError(`${kernel}: ${what} zero point must be an integer in [${lo}, ${hi}] for ${type}, got ${zp}`);
  }
}

/** Throws unless the output zero point and activation range lie inside the dtype, min ≤ max. */
export function checkQuantizedOutput(kernel: string, out: QuantizedOutput, type: 'uint8' | 'int8'): void {
  checkZeroPoint(kernel, 'output', out.zeroPoint, type);
  const [lo, hi] = q8Range(type);
  if (!Number.isInteger(out.min) || !Number.isInteger(out.max) || out.min < lo || out.max > hi || out.min > out.max) {
    throw new KernelArgumentError(`${kernel}: output range must be integers ${lo} <= min <= max <= ${hi}, got [${out.min}, ${out.max}]`);
  }
}

/** Throws unless the requantizer is a known convention with 1 or `channels` entries everywhere. */
export function checkRequantizer(kernel: string, rq: Requantizer, channels: number): void {
  checkRequantization(kernel, rq.rounding);
  const count = rq.multiplier.length;
  if (count !== 1 && count !== channels) {
    throw new KernelArgumentError(`${kernel}: requantizer has ${count} channels, expected 1 or ${channels}`);
  }
  checkLength(rq.shift, count, `${kernel}: requantizer shift`);
  checkLength(rq.scale, count, `${kernel}: requantizer scale`);
}
