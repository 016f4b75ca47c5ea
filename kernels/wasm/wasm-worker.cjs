// SPDX-License-Identifier: Apache-2.0
/**
 * worker_threads side of the wasm-simd backend (src/backend/wasm-pool.ts is the main-thread side
 * and the source of truth for the control-block layout, passed in as workerData.layout).
 *
 * Plain CommonJS on purpose: a worker needs a real .js file (not TypeScript) both when the
 * backend runs from source under vitest and from dist/, so build.mjs copies this file next to the
 * .wasm and the backend resolves it relative to its own URL, like the module.
 *
 * Two roles in one file:
 *
 * - 'supervisor': one thread that spawns the compute workers and watches them. The main thread
 *   blocks in Atomics.wait while a layer runs, so it cannot receive a Worker's 'exit' event; the
 *   supervisor has its own event loop, gets 'exit' at once whatever killed the worker (uncaught
 *   error, process.exit, terminate(), a wasm trap), writes the cause into the worker's control
 *   slot, bumps the slot's generation and wakes the main thread. It then respawns the worker for
 *   the next call. It never spins: it sleeps in its event loop.
 *
 * - 'compute': runs compute-loop.mjs (shared with the browser's Web Workers): instantiates the
 *   shared module on the shared memory and runs jobs.
 */
'use strict';
const { Worker, workerData, parentPort } = require('node:worker_threads');

const L = workerData.layout;
const i32 = new Int32Array(workerData.ctrl);
const slotBase = (slot) => L.SLOT_BASE + slot * L.SLOT_SIZE;

function wakeMain() {
  Atomics.add(i32, L.EVENT, 1);
  Atomics.notify(i32, L.EVENT);
}

function runSupervisor() {
  const { count, computeData } = workerData;
  const errBytes = new Uint8Array(workerData.errors);
  const workers = new Array(count).fill(null);
  const failuresBeforeReady = new Array(count).fill(0);
  let shuttingDown = false;

  const writeError = (slot, text) => {
    const bytes = Buffer.from(text, 'utf8').subarray(0, L.ERROR_BYTES);
    errBytes.fill(0, slot * L.ERROR_BYTES, (slot + 1) * L.ERROR_BYTES);
    errBytes.set(bytes, slot * L.ERROR_BYTES);
    Atomics.store(i32, slotBase(slot) + L.ERROR_LEN, bytes.length);
  };

  const spawn = (slot) => {
    const base = slotBase(slot);
    Atomics.store(i32, base + L.STATE, L.STARTING);
    const w = new Worker(__filename, { workerData: { ...computeData, role: 'compute', base } });
    workers[slot] = w;
    let error = null;
    w.terminatedHere = false;
    w.on('message', (m) => {
      // Fault injection for tests: the worker asks to be terminated while it holds a job.
      if (m === 'terminate-me') terminate(w);
    });
    w.on('error', (e) => { error = e; });
    w.on('exit', (code) => {
      if (workers[slot] === w) workers[slot] = null;
      if (shuttingDown) return;
      const wasReady = Atomics.load(i32, base + L.STATE) === L.READY;
      const cause = error
        ? `${error.name ?? 'Error'}: ${error.message}`
        : w.terminatedHere ? 'terminated by worker.terminate()' : `exit code ${code}`;
      writeError(slot, cause);
      Atomics.store(i32, base + L.EXIT_CODE, code);
      Atomics.store(i32, base + L.STATE, L.DEAD);
      // A new generation tells a main thread waiting for this slot that its job will never finish.
      Atomics.add(i32, base + L.GENERATION, 1);
      wakeMain();
      failuresBeforeReady[slot] = wasReady ? 0 : failuresBeforeReady[slot] + 1;
      if (failuresBeforeReady[slot] >= 3) {
        // It cannot even start (e.g. instantiation fails): stop trying, the main thread runs its rows.
        Atomics.store(i32, base + L.STATE, L.FAILED);
        wakeMain();
        return;
      }
      spawn(slot);
    });
  };

  const terminate = (w) => {
    w.terminatedHere = true;
    void w.terminate();
  };

  for (let s = 0; s < count; s++) spawn(s);

  parentPort.on('message', (m) => {
    if (m && m.type === 'terminate' && workers[m.slot]) terminate(workers[m.slot]);
    if (m && m.type === 'shutdown') {
      shuttingDown = true;
      Promise.all(workers.filter((w) => w !== null).map((w) => w.terminate())).then(() => process.exit(0));
    }
  });
}

function runCompute() {
  // The loop itself is shared with the browser's Web Workers (compute-loop.mjs, an ES module).
  const { pathToFileURL } = require('node:url');
  const { join } = require('node:path');
  import(pathToFileURL(join(__dirname, 'compute-loop.mjs')).href).then(({ runComputeLoop }) => {
    runComputeLoop(workerData, {
      exit: (code) => process.exit(code),
      askTerminate: () => parentPort.postMessage('terminate-me'),
    });
  });
}

if (workerData.role === 'supervisor') runSupervisor();
else runCompute();
