// SPDX-License-Identifier: Apache-2.0
/**
 * The Node host (selected by the `node` condition of `#platform`, package.json): model files and
 * the registry cache on disk, node:crypto, worker_threads, os load sampling. Everything Node-only
 * that the portable code needs goes through this object (src/platform/platform.ts).
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { resolveModel as resolveRegistryModel, sha256Hex } from '../io/registry.js';
import { REGISTRY } from '../io/registry-entries.js';
import { decodeImage } from '../io/image/decode.js';
import { readImageFile } from '../io/image/node.js';
import { integrityError, MobileNetV2Error, usageError } from '../errors.js';
import { bytesOfSource, describeSource, isInMemorySource } from '../platform/sources.js';
import type { ModelSource, Platform, PoolHost, PoolSupervisor, ResolveModelOptions, ResolvedModel, SupervisorInit, WasmSource } from '../platform/platform.js';

/** The kernel modules and the worker script, relative to this file (src/node/ and dist/src/node/ alike). */
const WASM_URLS = {
  shared: new URL('../../kernels/wasm/build/mobilenetv2-simd.wasm', import.meta.url),
  single: new URL('../../kernels/wasm/build/mobilenetv2-simd-st.wasm', import.meta.url),
};
const WORKER_URL = new URL('../../kernels/wasm/build/wasm-worker.cjs', import.meta.url);

async function resolveModel(source: ModelSource, options: ResolveModelOptions): Promise<ResolvedModel> {
  if (typeof source === 'string') {
    const resolved = await resolveRegistryModel(source, options);
    checkExpected(resolved, options.sha256);
    return resolved;
  }
  if (source instanceof URL) {
    if (source.protocol === 'file:') return resolveModel(fileURLToPath(source), options);
    throw usageError(`model URL ${source.href}: Node loads models by registry name or file path; fetch it yourself and pass the Response or its bytes`);
  }
  if (!isInMemorySource(source)) throw usageError(`unsupported model source: ${describeSource(source)}; expected a registry name, a .tflite path, bytes, a Blob or a Response`);
  const { bytes, name } = await bytesOfSource(source, options.onProgress);
  const digest = sha256Hex(bytes);
  const resolved = { bytes, path: name, entry: REGISTRY.find((e) => e.sha256 === digest) ?? null };
  checkExpected(resolved, options.sha256, digest);
  return resolved;
}

function checkExpected(m: ResolvedModel, expected: string | undefined, digest?: string): void {
  if (expected === undefined) return;
  const got = digest ?? sha256Hex(m.bytes);
  if (got !== expected.toLowerCase()) throw integrityError(`${m.path}: sha256 ${got}, expected ${expected}; refusing to use it`);
}

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

export const platform: Platform = {
  name: 'node',
  resolveModel,
  async readImage(input, options) {
    if (typeof input === 'string') {
      if (input === '') throw usageError('image path is empty');
      return readImageFile(input, options);
    }
    if (input instanceof URL && input.protocol === 'file:') return readImageFile(fileURLToPath(input), options);
    if (isInMemorySource(input)) {
      const { bytes, name } = await bytesOfSource(input);
      return decodeImage(bytes, options.source ?? name, options);
    }
    throw usageError(`unsupported image input: ${describeSource(input)}; expected a file path, the bytes of a JPEG/PNG/BMP file, a Blob or raw pixels {data, width, height, channels?}`);
  },
  wasmModuleBytes,
  hardwareConcurrency: () => availableParallelism(),
  threadsAvailable: () => true,
  warn: (message) => process.emitWarning(message, { code: 'MOBILENETV2_BACKEND' }),
  pool,
};

