// SPDX-License-Identifier: Apache-2.0
/**
 * Typed errors. Every failure a user can cause (bad shape, bad file, bad option) is one of these,
 * with a message that names the file or tensor, what was expected and what was found. The CLI
 * prints `message` on one line and exits non-zero; no stack trace reaches a user.
 */

export type ErrorCode =
  | 'USAGE'          // bad command line or API option
  | 'NOT_FOUND'      // a path or registry name that does not exist
  | 'FORMAT'         // a file that is not what it claims to be (truncated, bad magic, bad header)
  | 'DTYPE'          // a tensor of the wrong element type
  | 'SHAPE'          // a tensor or input of the wrong shape
  | 'WEIGHTS'        // missing, unexpected or inconsistent weights
  | 'UNSUPPORTED'    // valid input we do not handle (a graph that is not MobileNetV2, …)
  | 'INTEGRITY'      // checksum mismatch
  | 'VALUE'          // NaN / out-of-range values where they are not allowed
  | 'WORKER';        // a worker thread died during a call (the backend recovers for the next one)

export class MobileNetV2Error extends Error {
  override name = 'MobileNetV2Error';
  constructor(readonly code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export const usageError = (msg: string): MobileNetV2Error => new MobileNetV2Error('USAGE', msg);
export const notFoundError = (msg: string): MobileNetV2Error => new MobileNetV2Error('NOT_FOUND', msg);
export const formatError = (msg: string): MobileNetV2Error => new MobileNetV2Error('FORMAT', msg);
export const dtypeError = (msg: string): MobileNetV2Error => new MobileNetV2Error('DTYPE', msg);
export const shapeError = (msg: string): MobileNetV2Error => new MobileNetV2Error('SHAPE', msg);
export const weightsError = (msg: string): MobileNetV2Error => new MobileNetV2Error('WEIGHTS', msg);
export const unsupportedError = (msg: string): MobileNetV2Error => new MobileNetV2Error('UNSUPPORTED', msg);
export const integrityError = (msg: string): MobileNetV2Error => new MobileNetV2Error('INTEGRITY', msg);
export const valueError = (msg: string): MobileNetV2Error => new MobileNetV2Error('VALUE', msg);
export const workerError = (msg: string): MobileNetV2Error => new MobileNetV2Error('WORKER', msg);

/** "[2, 3, 224, 224]" — the one way shapes are printed in messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * A network output computed from a finite input must be finite: NaN or ±Inf there means the weights
 * or quantization scales overflow float32 (or were loaded with allowNonFinite). Throws VALUE naming
 * `what` and the first bad index, so no NaN is ever reported as a probability, class or box.
 */
export function requireFiniteOutput(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      throw valueError(`${what} contain ${v} at index ${i} of ${values.length} although the input was finite: the model's weights or quantization scales overflow float32, so no result is given`);
    }
  }
}
