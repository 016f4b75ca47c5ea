// SPDX-License-Identifier: Apache-2.0
/**
 * The compute side of the wasm-simd worker pool, shared by Node's worker_threads
 * (wasm-worker.cjs) and browsers' Web Workers (wasm-worker-web.mjs); src/backend/wasm-pool.ts is
 * the main-thread side and the source of truth for the control-block layout (data.layout).
 *
 * Instantiates the shared module on the shared memory and runs jobs. Between jobs it spins ~100 µs
 * on the slot's sequence number before it sleeps in Atomics.wait, because a wake-up from
 * Atomics.wait costs 40–60 µs on a VM (docs/wasm-simd.md §3) and layers arrive back to back. A job
 * is a range of rows that every participant (main thread included) eats in chunks claimed from one
 * shared counter.
 *
 * `data`: { memory, module, ctrl, layout, spin, exportNames, base }.
 * `host.exit(code)` / `host.askTerminate()`: how the injected test faults 'exit' and 'terminate' are
 * carried out on this host ('throw' just throws).
 */
export function runComputeLoop(data, host) {
  const { memory, module, base, spin, exportNames } = data;
  const L = data.layout;
  const i32 = new Int32Array(data.ctrl);
  const f64 = new Float64Array(data.ctrl);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const fns = exportNames.map((name) => instance.exports[name]);
  const a = L.ARGS >> 1; // Float64 index of the (global) argument block
  const seqAt = base + L.SEQ;
  const wakeMain = () => {
    Atomics.add(i32, L.EVENT, 1);
    Atomics.notify(i32, L.EVENT);
  };
  let seen = Atomics.load(i32, seqAt); // never run a job posted to a previous incarnation of this slot
  Atomics.store(i32, base + L.STATE, L.READY);
  wakeMain();

  for (;;) {
    for (let s = spin; s > 0 && Atomics.load(i32, seqAt) === seen; s--);
    Atomics.wait(i32, seqAt, seen); // returns at once ("not-equal") when a job already arrived
    const seq = Atomics.load(i32, seqAt);
    if (seq === seen) continue;
    seen = seq;
    if (Atomics.load(i32, L.SHUTDOWN) !== 0) return;
    // Join the job unless the main thread already withdrew the offer (it finished every chunk
    // while this thread was waking up): then the job is not ours to touch.
    if (Atomics.compareExchange(i32, base + L.CLAIM, seq, -seq) !== seq) continue;
    const fault = i32[base + L.FAULT];
    if (fault !== 0) {
      i32[base + L.FAULT] = 0;
      if (fault === L.FAULT_THROW) throw new Error('injected fault (test)');
      if (fault === L.FAULT_EXIT) host.exit(70);
      if (fault === L.FAULT_TERMINATE) {
        host.askTerminate();
        Atomics.wait(i32, L.SHUTDOWN, 0); // hold the job until the supervisor's terminate() lands
      }
    }
    // Claim chunks of the job's range from the shared counter until it is exhausted; the main
    // thread (and any other worker) does the same, so a late or slow worker simply gets fewer.
    const fn = fns[i32[L.OP]];
    const total = i32[L.TOTAL];
    const chunk = i32[L.CHUNK];
    let chunks = 0;
    for (;; chunks++) {
      const start = Atomics.add(i32, L.NEXT, chunk);
      if (start >= total) break;
      fn(start, Math.min(start + chunk, total),
        f64[a], f64[a + 1], f64[a + 2], f64[a + 3], f64[a + 4], f64[a + 5], f64[a + 6], f64[a + 7],
        f64[a + 8], f64[a + 9], f64[a + 10], f64[a + 11], f64[a + 12], f64[a + 13], f64[a + 14], f64[a + 15],
        f64[a + 16], f64[a + 17], f64[a + 18], f64[a + 19], f64[a + 20], f64[a + 21]);
    }
    if (chunks > 0) Atomics.add(i32, L.WORKER_CHUNKS, chunks);
    Atomics.store(i32, base + L.DONE, seq);
    wakeMain();
  }
}
