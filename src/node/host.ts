// SPDX-License-Identifier: Apache-2.0
/**
 * The Node host of the backends (the `node` condition of `#host`, package.json): the WASM kernel
 * module read from disk, worker_threads under a supervisor thread, os load sampling, process
 * warnings. src/node/platform.ts is the application-level half (models, images).
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MobileNetV2Error } from '../errors.js';
import type { Host, PoolHost, PoolSupervisor, SupervisorInit, WasmSource } from '../platform/host.js';

/** The kernel modules and the worker script, relative to this file (src/node/ and dist/src/node/ alike). */
const WASM_URLS = {
  shared: new URL('../../kernels/wasm/build/mobilenetv2-simd.wasm', import.meta.url),
  single: new URL('../../kernels/wasm/build/mobilenetv2-simd-st.wasm', import.meta.url),
};
const WORKER_URL = new URL('../../kernels/wasm/build/wasm-worker.cjs', import.meta.url);

async function wasmModuleBytes(override: WasmSource | null, shared: boolean): Promise<Uint8Array> {
  if (override instanceof Uint8Array) return override;
  if (override instanceof ArrayBuffer) return new Uint8Array(override);
  const url = override === null ? WASM_URLS[shared ? 'shared' : 'single'] : new URL(String(override), `file://${process.cwd()}/`);
  const path = url.protocol === 'file:' ? fileURLToPath(url) : String(override);
  if (!existsSync(path)) {
    throw new MobileNetV2Error('NOT_FOUND', `wasm-simd: kernel module ${path} is missing; run \`npm run build:wasm\` (part of \`npm run build\`)`);
  }
  return new Uint8Array(await readFile(path));
}

class NodeSupervisor implements PoolSupervisor {
  private readonly worker: Worker;
  private exited = false;

  constructor(init: SupervisorInit, onExit: (reason: string) => void) {
    this.worker = new Worker(fileURLToPath(WORKER_URL), { workerData: { role: 'supervisor', ...init } });
    // The supervisor never keeps the process alive; shutdown() stops it.
    this.worker.unref();
    let reason: string | null = null;
    this.worker.on('error', (e) => { reason = `supervisor error: ${e.message}`; });
    this.worker.on('exit', (code) => {
      this.exited = true;
      onExit(reason ?? `supervisor exited with code ${code}`);
    });
  }

  ref(): void { this.worker.ref(); }
  unref(): void { this.worker.unref(); }
  terminateWorker(slot: number): void { this.worker.postMessage({ type: 'terminate', slot }); }

  shutdown(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      // ref() so that a caller awaiting this keeps the process alive until the threads are gone.
      this.worker.ref();
      this.worker.once('exit', () => resolve());
      this.worker.postMessage({ type: 'shutdown' });
    });
  }
}

const pool: PoolHost = {
  canBlock: true,
  startSupervisor: (init, onExit) => new NodeSupervisor(init, onExit),
  machineLoad() {
    const all = cpus();
    let busy = 0;
    let total = 0;
    for (const c of all) {
      const t = c.times;
      const sum = t.user + t.nice + t.sys + t.idle + t.irq;
      total += sum;
      busy += sum - t.idle;
    }
    const own = process.cpuUsage();
    return { busy, total, cores: all.length, ownUs: own.user + own.system };
  },
};

export const host: Host = {
  name: 'node',
  wasmModuleBytes,
  hardwareConcurrency: () => availableParallelism(),
  threadsAvailable: () => true,
  warn: (message) => process.emitWarning(message, { code: 'MOBILENETV2_BACKEND' }),
  pool,
};
