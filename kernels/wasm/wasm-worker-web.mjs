// SPDX-License-Identifier: Apache-2.0
/**
 * Web Worker side of the wasm-simd backend in browsers (a module worker started by
 * src/browser/platform.ts): the same compute loop as Node's workers (compute-loop.mjs) on the same
 * shared memory. Browsers give the blocked main thread no way to learn that a worker died, so a
 * worker that fails records the cause in its control slot itself, marks the slot FAILED (its rows
 * then run on the main thread) and bumps the slot's generation so a waiting main thread wakes up.
 */
import { runComputeLoop } from './compute-loop.mjs';

self.onmessage = (event) => {
  const data = event.data;
  const L = data.layout;
  const i32 = new Int32Array(data.ctrl);
  try {
    runComputeLoop(data, {
      exit: () => { throw new Error('injected exit (test)'); },
      askTerminate: () => { throw new Error('injected terminate (test)'); },
    });
  } catch (e) {
    const text = new TextEncoder().encode(`${e && e.name ? e.name : 'Error'}: ${e && e.message ? e.message : String(e)}`).subarray(0, L.ERROR_BYTES);
    const errors = new Uint8Array(data.errors);
    errors.fill(0, data.slot * L.ERROR_BYTES, (data.slot + 1) * L.ERROR_BYTES);
    errors.set(text, data.slot * L.ERROR_BYTES);
    Atomics.store(i32, data.base + L.ERROR_LEN, text.length);
    Atomics.store(i32, data.base + L.STATE, L.FAILED);
    Atomics.add(i32, data.base + L.GENERATION, 1);
    Atomics.add(i32, L.EVENT, 1);
    Atomics.notify(i32, L.EVENT);
  }
};
