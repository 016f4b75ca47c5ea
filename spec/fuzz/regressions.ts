// SPDX-License-Identifier: Apache-2.0
/**
 * Every fuzz input that ever failed, kept as (base, seed, edit list): replayed from the base file
 * by fuzz.spec.ts, so no mutated copy of third-party data is ever committed. Add a failure from a
 * campaign's failures.json as it is printed (parser, base, seed, edits) with a note of what it did.
 */
import type { FuzzCase } from './harness.js';

export interface Regression extends FuzzCase {
  readonly note: string;
}

export const REGRESSIONS: readonly Regression[] = [
  {
    // = ../shared/fuzz-regressions/deeplab-import-abort.tflite (the 50-byte copy makes operator #70
    // write tensor #183, which operator #69 also writes, so the head walk after the logits looped).
    parser: 'tflite',
    base: 'shared:models/deeplabv3_mnv2_pascal_quant.tflite',
    seed: 0,
    edits: [{ op: 'flip', at: 2224, mask: 0x08 }, { op: 'copy', from: 688, to: 3265, length: 50 }, { op: 'flip', at: 2155081, mask: 0x80 }],
    note: 'importTflite grew an array to ~169 M elements and V8 aborted the process (exit 133)',
  },
  {
    parser: 'png',
    base: 'gen:png-rgba-16x16',
    seed: 1000025,
    edits: [{ op: 'set', at: 33, bytes: [0, 0, 0, 1] }, { op: 'png-crc' }],
    note: "a chunk type holding a newline byte went raw into the error message, which then spanned two lines",
  },
];
