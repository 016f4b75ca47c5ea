// SPDX-License-Identifier: Apache-2.0
/**
 * worker_threads failure handling of the wasm-simd backend (src/backend/wasm-pool.ts): a worker that
 * dies while it holds part of a layer — by an uncaught error, process.exit() or a real
 * worker.terminate() — makes that backend call throw a MobileNetV2Error naming the cause; the
 * supervisor respawns the worker; the next call is correct (bit-identical to a healthy run), and
 * after the respawn the backend uses 2 threads again. A worker killed while idle costs nothing but
 * its rows (the main thread runs them until the respawn).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MobileNetV2Error } from '../../src/errors.js';
import { WasmSimdBackend } from '../../src/backend/wasm-simd.js';
import { injectWorkerFault, terminateWorker } from '../../src/backend/testing.js';
import { forward } from '../../src/model/forward.js';
import { loadTorchvision, type StateDict } from '../../src/io/torchvision.js';
import { goldenStateDict } from '../helpers/golden-weights.js';
import { data, expectBitIdentical } from './support.js';

const pixels = 64, inC = 24, outC = 40;
const x = data(pixels * inC, 1);
const w = data(outC * inC, 2, -1, 1);
const bias = data(outC, 3);
const dims = { pixels, inC, outC };

function pw(b: WasmSimdBackend): Float32Array {
  const out = new Float32Array(pixels * outC);
  b.pointwiseConv(out, x, w, bias, dims, null);
  return out;
}

const golden = goldenStateDict({ width: 0.35, numClasses: 10, seed: 3 });
const sd: StateDict = new Map([...golden].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, read: () => t.data }]));
const { plan, weights } = loadTorchvision(sd, { width: 0.35, resolution: 48, classes: 10, padding: 'symmetric' });
const image = data(48 * 48 * 3, 4);
const run = (b: WasmSimdBackend): Float32Array => forward(b, plan, weights, image, [1, 48, 48, 3]).output.data;

describe('wasm-simd with 2 threads: a dying worker', () => {
  let backend: WasmSimdBackend;
  let healthyPw: Float32Array;
  let healthyNet: Float32Array;

  beforeAll(async () => {
    backend = new WasmSimdBackend({ threads: 2, adaptive: false });
    await backend.init();
    healthyPw = pw(backend);
    healthyNet = run(backend);
  });
  afterAll(async () => {
    await backend.disposeAsync();
  });

  it.each(['throw', 'exit', 'terminate'] as const)('dies by %s during a call: the call throws a clear MobileNetV2Error, the next call is correct', async (fault) => {
    expect(backend.workersReady()).toBe(1);
    injectWorkerFault(backend, 0, fault);
    let error: unknown = null;
    try {
      pw(backend);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MobileNetV2Error);
    expect((error as Error).message).toMatch(/wasm-simd: a worker died during pointwiseConv \(worker 1: .+\); the call was abandoned/);
    if (fault === 'throw') expect((error as Error).message).toContain('injected fault (test)');
    if (fault === 'exit') expect((error as Error).message).toContain('exit code 70');
    if (fault === 'terminate') expect((error as Error).message).toContain('terminated by worker.terminate()');

    // Straight away (the replacement may still be starting: the main thread runs its rows)…
    expectBitIdentical(pw(backend), healthyPw, 'next call');
    // …and once the supervisor has respawned the worker, on 2 threads again.
    await backend.whenWorkersReady();
    expect(backend.workersReady()).toBe(1);
    expectBitIdentical(pw(backend), healthyPw, 'after respawn');
  });

  it('a worker killed mid-inference: forward() throws, the next forward() is correct', async () => {
    injectWorkerFault(backend, 0, 'terminate');
    expect(() => run(backend)).toThrow(MobileNetV2Error);
    expectBitIdentical(run(backend), healthyNet, 'logits after the crash');
    await backend.whenWorkersReady();
    expectBitIdentical(run(backend), healthyNet, 'logits after respawn');
  });

  it('worker.terminate() at a random moment of several inferences: each call is correct or throws MobileNetV2Error; then all are correct', async () => {
    let failures = 0;
    for (let k = 0; k < 4; k++) {
      await backend.whenWorkersReady();
      terminateWorker(backend, 0); // lands asynchronously, during one of these calls or between them
      for (let j = 0; j < 5; j++) {
        try {
          expectBitIdentical(run(backend), healthyNet, `run ${k}.${j}`);
        } catch (e) {
          expect(e).toBeInstanceOf(MobileNetV2Error);
          expect((e as Error).message).toMatch(/worker 1: terminated by worker\.terminate\(\)/);
          failures++;
        }
      }
    }
    await backend.whenWorkersReady();
    expectBitIdentical(run(backend), healthyNet, 'after respawn');
    console.log(`asynchronous terminate(): ${failures} of 4 kills landed inside a layer`);
  });

  it('a worker terminated while idle: the next calls run (main thread covers its rows) and it comes back', async () => {
    terminateWorker(backend, 0);
    // Wait until the supervisor has noticed the exit (the worker is no longer READY).
    const t0 = Date.now();
    while (backend.workersReady() === 1 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 2));
    expectBitIdentical(pw(backend), healthyPw, 'while the worker is down');
    await backend.whenWorkersReady();
    expect(backend.workersReady()).toBe(1);
    expectBitIdentical(run(backend), healthyNet, 'after respawn');
  });
});

describe('wasm-simd lifecycle', () => {
  it('calls before init() or after dispose() throw a USAGE MobileNetV2Error', async () => {
    const b = new WasmSimdBackend({ threads: 2, adaptive: false });
    expect(() => pw(b)).toThrow(/call and await init\(\) first/);
    await b.init();
    expectBitIdentical(pw(b), pw(b), 'deterministic');
    await b.disposeAsync();
    expect(() => pw(b)).toThrow(/disposed/);
  });

  it('rejects a bad thread count', () => {
    expect(() => new WasmSimdBackend({ threads: 0 })).toThrow(MobileNetV2Error);
    expect(() => new WasmSimdBackend({ threads: 1.5 })).toThrow(/threads must be a positive integer/);
  });
});
