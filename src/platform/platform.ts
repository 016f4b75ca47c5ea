// SPDX-License-Identifier: Apache-2.0
/**
 * What the library needs from the JavaScript host, in one small interface, so that everything
 * else (api.ts, the backends, image input) is the same code in Node and in a browser.
 *
 * The implementation is chosen by the package's `imports` field (`#platform`, package.json):
 * the `node` condition gives src/node/platform.ts (files, the registry cache, worker_threads,
 * node:crypto), every other environment src/browser/platform.ts (fetch, SubtleCrypto, the Cache
 * API, Web Workers, canvas). A browser bundle therefore never sees a `node:*` import.
 */
import type { RegistryEntry } from '../io/registry-entries.js';
import type { RgbImage, DecodeOptions } from '../io/image/image.js';

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

/**
 * Where a model comes from. Node: a registry name or a .tflite path. Browser: a URL (string or
 * URL object; a registry name means its official URL). Both: the file's bytes, a Blob/File or a
 * fetch Response.
 */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer | BlobLike | ResponseLike;

/** A key/value store for downloaded models (e.g. IndexedDB); the Cache API is the browser default. */
export interface ModelStore {
  get(key: string): Promise<Uint8Array | ArrayBuffer | null | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

export interface ResolveModelOptions {
  /** Allow a download when a named model is missing locally (Node: default true unless MOBILENETV2_OFFLINE=1). */
  readonly allowDownload?: boolean;
  readonly log?: (message: string) => void;
  /** Expected sha256 (hex) of the model file; a registry model's is known already. Refused on mismatch. */
  readonly sha256?: string;
  /** Download progress: bytes so far and the total (0 when the server does not say). */
  readonly onProgress?: (loaded: number, total: number) => void;
  /**
   * Browser: where downloaded models are kept for offline use — the Cache API by default
   * (cache 'mobilenetv2-models'), a ModelStore of your own, or false for no caching.
   */
  readonly cache?: ModelStore | false;
}

export interface ResolvedModel {
  readonly bytes: Uint8Array;
  /** A path, URL or "<bytes>"-style description, used in messages. */
  readonly path: string;
  readonly entry: RegistryEntry | null;
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

export interface Platform {
  readonly name: 'node' | 'browser';
  /** Model bytes and registry entry from any ModelSource this host understands. */
  resolveModel(source: ModelSource, options: ResolveModelOptions): Promise<ResolvedModel>;
  /**
   * Images the portable code cannot read itself: a path (Node) or URL (browser), a Blob/File,
   * an HTMLImageElement, ImageBitmap, canvas or video frame (browser).
   */
  readImage(input: unknown, options: DecodeOptions & { source?: string }): Promise<RgbImage>;
  /** The bytes of the WASM kernel module (default location or the configured override). */
  wasmModuleBytes(override: WasmSource | null, shared: boolean): Promise<Uint8Array>;
  /** Logical CPUs available. */
  hardwareConcurrency(): number;
  /** True when shared memory can be handed to workers here (browser: crossOriginIsolated). */
  threadsAvailable(): boolean;
  /** A warning the user must see (Node: process warning; browser: console.warn). */
  warn(message: string): void;
  readonly pool: PoolHost | null;
}

/** Where the WASM module comes from when the default location does not fit (bundlers, offline pages). */
export type WasmSource = string | URL | Uint8Array | ArrayBuffer;
