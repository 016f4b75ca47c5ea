// SPDX-License-Identifier: Apache-2.0
/**
 * What the backends need from the JavaScript host: the WASM kernel module's bytes, worker threads,
 * the CPU count, a place for warnings. Chosen by the package's `imports` field (`#host`,
 * package.json): the `node` condition gives src/node/host.ts (node:fs, worker_threads, node:os),
 * every other environment src/browser/host.ts (fetch, Web Workers). It sits just above
 * src/errors.ts in the layering, so src/backend/ can use it; src/platform/platform.ts is the
 * application-level half (models and images).
 */

/** The parts of the DOM's Blob / Response the library uses (the project compiles without the DOM lib). */
export interface BlobLike {
  readonly size: number;
  readonly type: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}
export interface ResponseLike {
  readonly ok: boolean;
  readonly status: number;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  readonly body: unknown;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Thread support for the wasm-simd worker pool (src/backend/wasm-pool.ts). */
export interface PoolHost {
  /**
   * Starts the supervised compute workers. `init` is the supervisor's data (control block, slots,
   * compute data); `onExit(reason)` fires if the mechanism itself stops.
   */
  startSupervisor(init: SupervisorInit, onExit: (reason: string) => void): PoolSupervisor;
  /** Whether this thread may block in Atomics.wait (a browser's main thread may not). */
  readonly canBlock: boolean;
  /** Busy and total CPU time of the machine and this process's own, or null where unknown. */
  machineLoad(): { busy: number; total: number; cores: number; ownUs: number } | null;
}
export interface SupervisorInit {
  readonly ctrl: SharedArrayBuffer;
  readonly errors: SharedArrayBuffer;
  readonly layout: Readonly<Record<string, number>>;
  readonly count: number;
  readonly computeData: Readonly<Record<string, unknown>>;
}
export interface PoolSupervisor {
  /** Keep the process alive while awaiting (Node); no-op elsewhere. */
  ref(): void;
  unref(): void;
  terminateWorker(slot: number): void;
  /** Stops every worker; resolves when they are gone. */
  shutdown(): Promise<void>;
}

export interface Host {
  readonly name: 'node' | 'browser';
  /** The bytes of the WASM kernel module (default location or the configured override). */
  wasmModuleBytes(override: WasmSource | null, shared: boolean): Promise<Uint8Array>;
  /** Logical CPUs available. */
  hardwareConcurrency(): number;
  /** True when shared memory can be handed to workers here (browser: crossOriginIsolated). */
  threadsAvailable(): boolean;
  /** A warning the user must see (Node: process warning; browser: console.warn and onWarning()). */
  warn(message: string): void;
  readonly pool: PoolHost | null;
}

/** Where the WASM module comes from when the default location does not fit (bundlers, offline pages). */
export type WasmSource = string | URL | Uint8Array | ArrayBuffer;
