// SPDX-License-Identifier: Apache-2.0
/**
 * Test-only fault injection for the WASM worker pool: kept off the public backend and model objects
 * and out of the package entry point (src/index.ts), so an application cannot kill its own workers
 * by accident. Used by spec/backend/workers.spec.ts and the soak script (bench/soak.ts).
 */
import type { WasmSimdBackend } from './wasm-simd.js';
import type { WorkerFault, WorkerPool } from './wasm-pool.js';

export type { WorkerFault } from './wasm-pool.js';

// The pool is private to the backend; this entry is the one place allowed to reach it.
const poolOf = (backend: WasmSimdBackend): WorkerPool => backend['requirePool']();

/** The worker in `slot` dies the next time it joins a job, in the given way (it dies holding that layer). */
export function injectWorkerFault(backend: WasmSimdBackend, slot: number, fault: WorkerFault): void {
  poolOf(backend).injectFault(slot, fault);
}

/** Asks the pool's supervisor to terminate() the worker in `slot` now (asynchronously). */
export function terminateWorker(backend: WasmSimdBackend, slot: number): void {
  poolOf(backend).terminateWorker(slot);
}
