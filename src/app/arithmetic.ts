// SPDX-License-Identifier: Apache-2.0
/**
 * Which arithmetic an application call runs in. A quantized file (uint8, or int8 with per-channel
 * weights) runs by default on the integer path, exactly as TensorFlow Lite runs it (every tensor
 * 8-bit, int32 accumulators, the requantization profile's rounding: src/model/integer.ts); 'float'
 * runs the same graph on float kernels with the weights dequantized exactly. Float files have only
 * the float path.
 *
 * ```ts
 * const model = await load({ model: 'mobilenet_v2_1.0_224_quant' });             // integer, 'tflite-wasm'
 * const asFloat = await load({ model: 'mobilenet_v2_1.0_224_quant', arithmetic: 'float' });
 * (await model.infer('cat.jpg')).arithmetic;  // { kind: 'integer', requantization: 'tflite-wasm' }
 * ```
 */
import type { ImportedModel } from '../io/tflite/import-graph.js';
import type { Q8Backend } from '../backend/q8-backend.js';
import type { QTensor } from '../model/integer.js';
import type { Tap } from '../model/runner.js';
import { REQUANTIZATION_PROFILES, type RequantizationProfile } from '../../kernels/q-requantize.js';
import { q8Dequantize } from '../../kernels/q8-quantize.js';
import { unsupportedError, usageError } from '../errors.js';

/** Every arithmetic, one list (load option, CLI --arithmetic). */
export const ARITHMETICS = ['integer', 'float'] as const;
export type ArithmeticKind = (typeof ARITHMETICS)[number];

/** The requantization profiles the integer path accepts (kernels/q-requantize.ts). */
export const REQUANTIZATION_PROFILE_NAMES = Object.keys(REQUANTIZATION_PROFILES) as RequantizationProfile[];

/** Default requantization profile: the one measured on the TFLite interpreter (tfjs-tflite WASM, XNNPACK). */
export const DEFAULT_REQUANTIZATION: RequantizationProfile = 'tflite-wasm';

/** What produced a result: recorded in every classify/segment result and the CLI's JSON. */
export interface ArithmeticRecord {
  readonly kind: ArithmeticKind;
  /** The requantization profile (integer path), else null. */
  readonly requantization: RequantizationProfile | null;
}

/** The integer path's machinery for a loaded model. */
export interface IntegerExecution {
  readonly q8: Q8Backend;
  readonly profile: RequantizationProfile;
}

/**
 * The arithmetic a model runs in: the one asked for, else integer for quantized files. Asking for
 * 'integer' on a file without an integer view is a usage error saying why.
 */
export function resolveArithmetic(m: Pick<ImportedModel, 'integer' | 'head' | 'quantized' | 'source'>, asked: string | undefined): ArithmeticKind {
  if (asked !== undefined && !(ARITHMETICS as readonly string[]).includes(asked)) {
    throw usageError(`arithmetic must be one of ${ARITHMETICS.map((a) => `'${a}'`).join(', ')}, got '${asked}'`);
  }
  if (asked === 'float') return 'float';
  if (m.integer) return 'integer';
  if (asked === 'integer') {
    const why = m.quantized ? 'its activations are not 8-bit quantized' : 'it has float weights and activations';
    throw unsupportedError(`${m.source}: arithmetic 'integer' is not available: ${why}; use arithmetic 'float'`);
  }
  return 'float';
}

export function checkRequantizationProfile(name: string | undefined): RequantizationProfile {
  if (name === undefined) return DEFAULT_REQUANTIZATION;
  if (!(REQUANTIZATION_PROFILE_NAMES as string[]).includes(name)) {
    throw usageError(`requantization profile must be one of ${REQUANTIZATION_PROFILE_NAMES.map((p) => `'${p}'`).join(', ')}, got '${name}'`);
  }
  return name as RequantizationProfile;
}

/** The 8-bit input tap of a prepared image (its exact quantized pixels, with the file's input quantization). */
export function integerInput(m: Pick<ImportedModel, 'integer' | 'input' | 'source'>, quantized: Uint8Array | Int8Array | null, shape: readonly number[]): Tap<QTensor> {
  if (!m.integer || !quantized) throw unsupportedError(`${m.source}: no quantized input for the integer path`);
  return { data: { data: quantized, ...m.integer.input }, shape };
}

/** real = f32(scale·(q − zeroPoint)) — TFLite's DEQUANTIZE, exact for every 8-bit value. */
export function dequantized(t: QTensor): Float32Array {
  const out = new Float32Array(t.data.length);
  q8Dequantize(out, t.data, t.data.length, t.scale, t.zeroPoint);
  return out;
}
