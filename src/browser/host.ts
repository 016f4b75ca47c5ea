// SPDX-License-Identifier: Apache-2.0
/**
 * The browser host of the backends (every environment but Node: the `default` condition of
 * `#host`, package.json): the WASM kernel module fetched from beside the library (or an override),
 * Web Workers on shared memory when the page is crossOriginIsolated, warnings on the console and
 * to onWarning(). src/browser/platform.ts is the application-level half (models, images).
 */
import { notFoundError, unsupportedError } from '../errors.js';
import type { Host, PoolHost, PoolSupervisor, SupervisorInit, WasmSource } from '../platform/host.js';
import { dom, type DomWorker } from './dom.js';

function baseUrl(): string | undefined {
  return dom().location?.href;
}

let warningHandler: ((message: string) => void) | null = null;
/** Where library warnings go besides console.warn (e.g. a banner in your page). */
export function onWarning(handler: ((message: string) => void) | null): void {
  warningHandler = handler;
}

async function wasmModuleBytes(override: WasmSource | null, shared: boolean): Promise<Uint8Array> {
  if (override instanceof Uint8Array) return override;
  if (override instanceof ArrayBuffer) return new Uint8Array(override);
  // Literal `new URL('…', import.meta.url)` so that Vite, webpack and Parcel emit the files as assets.
  const url = override !== null
    ? new URL(String(override), baseUrl()).href
    : shared
      ? new URL('../../kernels/wasm/build/mobilenetv2-simd.wasm', import.meta.url).href
      : new URL('../../kernels/wasm/build/mobilenetv2-simd-st.wasm', import.meta.url).href;
  let res;
  try {
    res = await dom().fetch!(url);
  } catch (e) {
    throw notFoundError(`wasm-simd: kernel module ${url} could not be fetched (${e instanceof Error ? e.message : String(e)}); pass load({ wasm: { ${shared ? 'shared' : 'single'}: url or bytes } })`);
  }
  if (!res.ok) throw notFoundError(`wasm-simd: kernel module ${url}: HTTP ${res.status}; serve it with the page or pass load({ wasm: { ${shared ? 'shared' : 'single'}: url or bytes } })`);
  return new Uint8Array(await res.arrayBuffer());
}

let workerUrlOverride: string | URL | null = null;
/** Where the Web Worker script (wasm-worker-web.mjs) is served from, when not next to the library. */
export function setWorkerUrl(url: string | URL | null): void {
  workerUrlOverride = url;
}

class WebSupervisor implements PoolSupervisor {
  private readonly workers: DomWorker[] = [];

  constructor(init: SupervisorInit, onExit: (reason: string) => void) {
    const d = dom();
    if (d.Worker === undefined) throw unsupportedError('wasm-simd: this page has no Web Workers');
    for (let slot = 0; slot < init.count; slot++) {
      const w = workerUrlOverride !== null
        ? new d.Worker(workerUrlOverride, { type: 'module' })
        : new d.Worker(new URL('../../kernels/wasm/build/wasm-worker-web.mjs', import.meta.url), { type: 'module' });
      // A script that fails to load never becomes READY: its slot is marked FAILED (rows stay on the main thread).
      w.onerror = (e: { message?: string }) => {
        const i32 = new Int32Array(init.ctrl);
        const base = init.layout.SLOT_BASE! + slot * init.layout.SLOT_SIZE!;
        if (Atomics.load(i32, base + init.layout.STATE!) === init.layout.STARTING) {
          Atomics.store(i32, base + init.layout.STATE!, init.layout.FAILED!);
          Atomics.add(i32, init.layout.EVENT!, 1);
          onWarn(`wasm-simd: a Web Worker failed to start (${e.message ?? 'script error'}); its share runs on the main thread`);
        }
      };
      w.postMessage({ ...init.computeData, layout: init.layout, ctrl: init.ctrl, errors: init.errors, slot, base: init.layout.SLOT_BASE! + slot * init.layout.SLOT_SIZE! });
      this.workers.push(w);
    }
    void onExit; // Web Workers have no supervisor that could stop on its own.
  }

  ref(): void {}
  unref(): void {}
  terminateWorker(slot: number): void {
    this.workers[slot]?.terminate();
  }
  shutdown(): Promise<void> {
    for (const w of this.workers) w.terminate();
    return Promise.resolve();
  }
}

function onWarn(message: string): void {
  host.warn(message);
}

const pool: PoolHost = {
  // Atomics.wait is forbidden on a page's main thread; inside a worker it is fine.
  canBlock: dom().document === undefined,
  startSupervisor: (init, onExit) => new WebSupervisor(init, onExit),
  machineLoad: () => null,
};

export const host: Host = {
  name: 'browser',
  wasmModuleBytes,
  hardwareConcurrency: () => dom().navigator?.hardwareConcurrency ?? 1,
  threadsAvailable: () => dom().crossOriginIsolated === true && typeof SharedArrayBuffer === 'function',
  warn(message) {
    console.warn(`mobilenetv2: ${message}`);
    warningHandler?.(message);
  },
  pool,
};
