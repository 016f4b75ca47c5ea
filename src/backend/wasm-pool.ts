// SPDX-License-Identifier: Apache-2.0
/**
 * worker_threads for the wasm-simd backend: the main thread plus N−1 compute workers run the same
 * kernel module on the same shared memory, each on a contiguous part of a layer's output rows.
 * Rows are partitioned, never the reduction, and every output element is computed by the same
 * instruction sequence whichever thread runs it, so results are bit-identical for any N.
 *
 * Hand-over (docs/wasm-simd.md §3): the main thread writes the job (kernel index, range length,
 * chunk size, arguments) into a small control block (Int32Array/Float64Array on one
 * SharedArrayBuffer), resets the shared chunk counter, bumps each READY worker's sequence number
 * and notifies. A worker spins ~100 µs on its sequence number before sleeping in Atomics.wait.
 * Then every participant, the main thread included, claims chunks of the range from the counter
 * (Atomics.add) until it is exhausted; a worker then stores DONE = sequence and bumps EVENT, on
 * which the main thread, once out of chunks, spins briefly and then sleeps. Chunks instead of fixed
 * halves because the machine is shared: a worker that is still waking up or was descheduled by
 * another process takes fewer chunks instead of stalling the layer for a scheduler time slice.
 * postMessage / piscina cost 40–60 µs per layer here and were measured slower.
 *
 * Hosts (`#host`): in Node the workers are worker_threads under a supervisor thread (below); in
 * a browser they are Web Workers (kernels/wasm/wasm-worker-web.mjs) that record their own failure,
 * and the main thread, which may not block there, spins instead of sleeping in Atomics.wait.
 *
 * Dead workers. Backend ops are synchronous, so while a layer runs the main thread is blocked in
 * Atomics.wait and cannot see a Worker's 'exit' event. The compute workers are therefore children
 * of a supervisor thread (kernels/wasm/wasm-worker.cjs) whose own event loop receives 'exit'
 * immediately, whatever the cause (uncaught error, process.exit, terminate(), a wasm trap). It
 * writes the cause into the slot, bumps the slot's GENERATION and EVENT and notifies; the waiting
 * main thread wakes, sees the generation change, waits for the other workers to finish their rows
 * (they write into the same memory) and throws MobileNetV2Error. The supervisor respawns the worker;
 * until the new one is READY the main thread simply runs those rows itself (same bits).
 *
 * Control block layout (Int32 indices; CTRL is passed to the workers, this file is the source of truth):
 *   [EVENT] completion/death counter the main thread sleeps on   [SHUTDOWN] 1 = workers exit
 *   [OP] [TOTAL] [CHUNK] the job; [NEXT] the chunk counter; float64 arguments from [ARGS]
 *   worker slot s at SLOT_BASE + s·SLOT_SIZE (64 bytes, one cache line each):
 *     SEQ, DONE, STATE, FAULT, EXIT_CODE, ERROR_LEN, GENERATION.
 */
import { host as jsHost } from '#host';
import { unsupportedError, workerError, type MobileNetV2Error } from '../errors.js';
import { KERNEL_NAMES, type WasmMemory, type WasmModule } from './wasm-module.js';
import type { PoolHost, PoolSupervisor } from '../platform/host.js';

export const CTRL = {
  EVENT: 0,
  SHUTDOWN: 1,
  /** The current job, shared by all participants: kernel index, range length, chunk size. */
  OP: 2,
  TOTAL: 3,
  CHUNK: 4,
  /** Next unclaimed index of the range (Atomics.add by every participant); on its own cache line. */
  NEXT: 16,
  /** Chunks run by workers since the start (statistics: proves the workers do share the work). */
  WORKER_CHUNKS: 24,
  /** Int32 index of the first float64 kernel argument (even, so 8-byte aligned). */
  ARGS: 32,
  MAX_ARGS: 22,
  SLOT_BASE: 96,
  SLOT_SIZE: 16,
  SEQ: 0,
  DONE: 1,
  STATE: 2,
  FAULT: 3,
  EXIT_CODE: 4,
  ERROR_LEN: 5,
  GENERATION: 6,
  /** +seq: job seq offered to this worker; −seq: the worker joined it; 0: revoked / none. */
  CLAIM: 7,
  ERROR_BYTES: 512,
  STARTING: 0,
  READY: 1,
  DEAD: 2,
  FAILED: 3,
  FAULT_THROW: 1,
  FAULT_EXIT: 2,
  FAULT_TERMINATE: 3,
} as const;

/** How a test makes a worker die while it holds a job. */
export type WorkerFault = 'throw' | 'exit' | 'terminate';

/** Worker spin before Atomics.wait: ~100 µs at ~5 ns per Atomics.load (docs/wasm-simd.md §3). */
export const DEFAULT_WORKER_SPIN = 20_000;
/** Main-thread polls of the DONE flags before it sleeps: a few tens of µs. */
const MAIN_SPIN = 2_000;
/**
 * Contention. Parallel layers need a free core per thread: when another process keeps a core busy,
 * our threads time-share one core, the spinning worker steals the main thread's time and a worker
 * descheduled while holding a chunk stalls the layer for a scheduler time slice — 2 threads become
 * slower than 1 (docs/peer-benchmarks.md shows the same collapse for every threaded runtime). So:
 *  - every LOAD_SAMPLE_MS the pool measures how many cores the REST of the machine used (os.cpus()
 *    busy time minus this process's own CPU time); while that leaves fewer free cores than threads
 *    (other > cores − threads + 0.5; back below + 0.3), layers run on the main thread alone;
 *  - independently, STALLS_TO_BACK_OFF layers in a row that waited longer for a worker than the
 *    main thread's own share took switch to the main thread alone for SOLO_MIN_MS (doubling up to
 *    SOLO_MAX_MS while it keeps happening).
 * Results are the same bits either way; `stats` counts how layers ran.
 */
const LOAD_SAMPLE_MS = 250;
const STALL_MIN_MS = 0.5;
const STALLS_TO_BACK_OFF = 3;
const SOLO_MIN_MS = 50;
const SOLO_MAX_MS = 2_000;
/** A layer takes milliseconds; a worker that neither finishes nor dies for this long is hung. */
const HUNG_AFTER_MS = 60_000;

export interface WorkerPoolOptions {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  /** Compute workers (threads − 1). */
  readonly workers: number;
  readonly spin?: number;
  /** Run layers on the main thread alone while the machine has no free core for the workers (default true). */
  readonly adaptive?: boolean;
  /** The module exports a job's `op` indexes (default KERNEL_NAMES; the integer backend passes its own list). */
  readonly exportNames?: readonly string[];
}

interface Posted {
  base: number;
  seq: number;
  generation: number;
  slot: number;
  state: 0 | 1 | 2; // pending, done, died
}

/** Atomics.waitAsync (Node ≥ 16; typed in lib ES2024, newer than ours). */
async function waitAsync(i32: Int32Array, index: number, value: number, timeoutMs: number): Promise<void> {
  const wa = (Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { value: unknown } }).waitAsync;
  if (wa === undefined) {
    await new Promise((r) => setTimeout(r, Math.min(timeoutMs, 5)));
    return;
  }
  await wa(i32, index, value, timeoutMs).value;
}

export class WorkerPool {
  readonly size: number;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly errors: Uint8Array;
  private readonly host: PoolHost;
  private readonly supervisor: PoolSupervisor;
  private supervisorExit: string | null = null;
  private disposed = false;
  private readonly posted: Posted[];
  private stalls = 0;
  private soloUntil = 0;
  /** Test hook: the next layer waits for every invited worker to join (so an injected fault fires). */
  private forceJoin = false;
  private soloMs = SOLO_MIN_MS;
  /** Layers run: with workers, and alone because of contention backoff (for reports). */
  readonly stats = { parallel: 0, solo: 0, stalled: 0 };
  private readonly adaptive: boolean;
  private loadAt = 0;
  private loadSample: { busy: number; total: number; ownUs: number; t: number } | null = null;
  private contended = false;

  private constructor(opts: WorkerPoolOptions) {
    this.size = opts.workers;
    this.adaptive = opts.adaptive ?? true;
    const ctrl = new SharedArrayBuffer(4 * (CTRL.SLOT_BASE + this.size * CTRL.SLOT_SIZE));
    this.i32 = new Int32Array(ctrl);
    this.f64 = new Float64Array(ctrl);
    const errors = new SharedArrayBuffer(Math.max(1, this.size) * CTRL.ERROR_BYTES);
    this.errors = new Uint8Array(errors);
    this.posted = Array.from({ length: this.size }, (_, slot) => ({ base: this.slotBase(slot), seq: 0, generation: 0, slot, state: 1 }));
    const computeData = {
      memory: opts.memory,
      module: opts.module,
      ctrl,
      layout: CTRL,
      spin: opts.spin ?? DEFAULT_WORKER_SPIN,
      exportNames: [...(opts.exportNames ?? KERNEL_NAMES)],
    };
    if (jsHost.pool === null) throw unsupportedError('wasm-simd: this host has no worker threads');
    this.host = jsHost.pool;
    this.supervisor = this.host.startSupervisor({ ctrl, errors, layout: CTRL, count: this.size, computeData }, (reason) => {
      this.supervisorExit ??= reason;
      // Wake a main thread that might be waiting (it rechecks everything on wake-up).
      Atomics.add(this.i32, CTRL.EVENT, 1);
      Atomics.notify(this.i32, CTRL.EVENT);
    });
  }

  /** Starts the supervisor and its workers; resolves when every worker is READY (or gave up starting). */
  static async start(opts: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(opts);
    try {
      await pool.whenReady(30_000);
    } catch (e) {
      pool.dispose();
      throw e;
    }
    return pool;
  }

  private slotBase(slot: number): number {
    return CTRL.SLOT_BASE + slot * CTRL.SLOT_SIZE;
  }

  private stateOf(slot: number): number {
    return Atomics.load(this.i32, this.slotBase(slot) + CTRL.STATE);
  }

  /** Chunks of layers that worker threads (not the main thread) have run so far. */
  workerChunks(): number {
    return Atomics.load(this.i32, CTRL.WORKER_CHUNKS);
  }

  /** Workers currently able to take a job. */
  readyCount(): number {
    let n = 0;
    for (let s = 0; s < this.size; s++) if (this.stateOf(s) === CTRL.READY) n++;
    return n;
  }

  /** Resolves when no worker is STARTING (all READY, or FAILED after repeated start failures). */
  async whenReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Atomics.waitAsync does not keep Node's event loop alive; the ref'd supervisor handle does.
    this.supervisor.ref();
    try {
      await this.pollReady(deadline, timeoutMs);
    } finally {
      this.supervisor.unref();
    }
  }

  private async pollReady(deadline: number, timeoutMs: number): Promise<void> {
    for (;;) {
      if (this.supervisorExit !== null) throw this.error(`wasm-simd worker pool is down (${this.supervisorExit})`);
      const ev = Atomics.load(this.i32, CTRL.EVENT);
      let starting = 0;
      for (let s = 0; s < this.size; s++) if (this.stateOf(s) === CTRL.STARTING || this.stateOf(s) === CTRL.DEAD) starting++;
      if (starting === 0) return;
      const left = deadline - Date.now();
      if (left <= 0) throw this.error(`wasm-simd: ${starting} of ${this.size} workers did not start within ${timeoutMs} ms`);
      await waitAsync(this.i32, CTRL.EVENT, ev, Math.min(left, 50));
    }
  }

  /**
   * Runs kernel `op` over `[0, total)` on the main thread and every READY worker. The range is cut
   * into chunks (multiples of `align`, e.g. the pointwise 4-pixel tile) that each participant
   * claims from a shared counter, so a worker that wakes late or is descheduled by another process
   * just takes fewer chunks instead of stalling the layer. `args` are the kernel's arguments after
   * its (start, end) pair; `runMain(start, end)` runs a chunk on the main thread. Throws
   * MobileNetV2Error if an invited worker died before finishing (after the others finished).
   */
  /**
   * True when run() would now run a layer on the main thread alone (contention backoff, counted as
   * solo; or no READY worker). The caller then runs the layer itself, and may shape it for one
   * thread (the fused block's taller tiles: src/backend/wasm-simd.ts).
   */
  claimSolo(): boolean {
    if (this.disposed) return false; // run() reports the disposal
    let ready = 0;
    for (let s = 0; s < this.size; s++) if (this.stateOf(s) === CTRL.READY) ready++;
    if (ready === 0) return true; // as run(): no worker to share with (not a contention backoff)
    if (!this.backingOff()) return false;
    this.stats.solo++;
    return true;
  }

  /** The adaptive decision shared by run() and claimSolo(): other processes hold the cores, or workers kept stalling. */
  private backingOff(): boolean {
    if (!this.adaptive || this.forceJoin) return false;
    const now = performance.now();
    if (now >= this.loadAt) this.sampleLoad(now);
    if (this.soloUntil !== 0 && now >= this.soloUntil) this.soloUntil = 0;
    return this.contended || this.soloUntil !== 0;
  }

  run(op: number, total: number, align: number, args: readonly number[], runMain: (start: number, end: number) => void, what: string): void {
    if (this.disposed) throw this.error('wasm-simd: the backend was disposed');
    if (args.length > CTRL.MAX_ARGS) throw new RangeError(`wasm-pool: ${args.length} kernel arguments, the control block holds ${CTRL.MAX_ARGS}`);
    const units = Math.ceil(total / align);
    let ready = 0;
    for (let s = 0; s < this.size; s++) if (this.stateOf(s) === CTRL.READY) ready++;
    if (ready === 0 || units < 2) {
      runMain(0, total);
      return;
    }
    if (this.backingOff()) {
      this.stats.solo++;
      runMain(0, total);
      return;
    }
    this.stats.parallel++;
    // About 6 chunks per participant: enough to rebalance, few enough that claiming costs nothing.
    const chunk = Math.max(1, Math.floor(units / ((ready + 1) * 6))) * align;
    const i32 = this.i32;
    i32[CTRL.OP] = op;
    i32[CTRL.TOTAL] = total;
    i32[CTRL.CHUNK] = chunk;
    const a = CTRL.ARGS >> 1;
    for (let i = 0; i < args.length; i++) this.f64[a + i] = args[i]!;
    Atomics.store(i32, CTRL.NEXT, 0);
    let invited = 0;
    for (let s = 0; s < this.size; s++) {
      if (this.stateOf(s) !== CTRL.READY) continue;
      const p = this.posted[invited++]!;
      p.slot = s;
      p.base = this.slotBase(s);
      p.generation = Atomics.load(i32, p.base + CTRL.GENERATION);
      p.seq = (Atomics.load(i32, p.base + CTRL.SEQ) % 0x3fffffff) + 1; // 1 … 2³⁰−1, so −seq ≠ seq
      p.state = 0;
      Atomics.store(i32, p.base + CTRL.CLAIM, p.seq); // the offer, before the wake-up
      Atomics.store(i32, p.base + CTRL.SEQ, p.seq); // publishes the job written above
      Atomics.notify(i32, p.base + CTRL.SEQ, 1);
    }
    const t0 = performance.now();
    let mainError: unknown = null;
    try {
      for (;;) {
        const start = Atomics.add(i32, CTRL.NEXT, chunk);
        if (start >= total) break;
        runMain(start, Math.min(start + chunk, total));
      }
    } catch (e) {
      mainError = e; // still wait: the workers are writing into the same memory
      Atomics.store(i32, CTRL.NEXT, total); // and let them stop early
    }
    // Withdraw the offer from workers that have not joined yet (asleep, or still waking up): they
    // will skip this job, so there is nothing to wait for. A worker that joined must be waited for.
    let joined = 0;
    for (let i = 0; i < invited; i++) {
      const p = this.posted[i]!;
      if (!this.forceJoin && Atomics.compareExchange(i32, p.base + CTRL.CLAIM, p.seq, 0) === p.seq) p.state = 1;
      else joined++;
    }
    this.forceJoin = false;
    const t1 = performance.now();
    const died = joined > 0 ? this.waitFor(invited) : [];
    if (joined > 0) this.noteWait(performance.now() - t1, t1 - t0);
    if (mainError !== null) throw mainError;
    if (died.length > 0) {
      const causes = died.map((slot) => `worker ${slot + 1}: ${this.errorText(slot)}`).join('; ');
      throw this.error(
        `wasm-simd: ${died.length === 1 ? 'a worker' : `${died.length} workers`} died during ${what} (${causes}); ` +
          'the call was abandoned, the worker is being restarted and the next call will run normally',
      );
    }
  }

  /** Updates `contended` from the cores the rest of the machine used since the last sample. */
  private sampleLoad(now: number): void {
    this.loadAt = now + LOAD_SAMPLE_MS;
    const load = this.host.machineLoad();
    if (load === null) return;
    const { busy, total, cores } = load;
    const sample = { busy, total, ownUs: load.ownUs, t: now };
    const prev = this.loadSample;
    this.loadSample = sample;
    if (prev === null || total <= prev.total || cores === 0) return;
    const busyCores = ((busy - prev.busy) / (total - prev.total)) * cores;
    const ownCores = (sample.ownUs - prev.ownUs) / 1000 / (now - prev.t);
    const other = busyCores - ownCores;
    const spare = cores - (this.size + 1); // cores left when every thread has one
    this.contended = this.contended ? other > spare + 0.3 : other > spare + 0.5;
  }

  /** Stall backoff bookkeeping (see STALLS_TO_BACK_OFF). */
  private noteWait(waitMs: number, ownMs: number): void {
    if (waitMs > STALL_MIN_MS && waitMs > ownMs) {
      this.stats.stalled++;
      if (++this.stalls >= STALLS_TO_BACK_OFF) {
        this.stalls = 0;
        this.soloUntil = performance.now() + this.soloMs;
        this.soloMs = Math.min(SOLO_MAX_MS, this.soloMs * 2);
      }
    } else if (this.stalls > 0) {
      this.stalls--;
    } else {
      this.soloMs = SOLO_MIN_MS;
    }
  }

  /** Waits until each of the first `n` posted jobs is done or its worker died; returns the dead slots. */
  private waitFor(n: number): number[] {
    let spins = 0;
    let sleptSince = 0;
    for (;;) {
      const ev = Atomics.load(this.i32, CTRL.EVENT);
      let pending = 0;
      for (let i = 0; i < n; i++) {
        const p = this.posted[i]!;
        if (p.state !== 0) continue;
        if (Atomics.load(this.i32, p.base + CTRL.DONE) === p.seq) p.state = 1;
        else if (Atomics.load(this.i32, p.base + CTRL.GENERATION) !== p.generation) p.state = 2;
        else pending++;
      }
      if (pending === 0) break;
      if (spins < MAIN_SPIN) {
        spins++;
        continue;
      }
      if (this.supervisorExit !== null) {
        throw this.error(`wasm-simd: the worker pool stopped while ${pending} job(s) were running (${this.supervisorExit})`);
      }
      if (sleptSince === 0) sleptSince = Date.now();
      else if (Date.now() - sleptSince > HUNG_AFTER_MS) {
        throw this.error(`wasm-simd: ${pending} worker(s) neither finished nor exited within ${HUNG_AFTER_MS / 1000} s`);
      }
      if (this.host.canBlock) Atomics.wait(this.i32, CTRL.EVENT, ev, 100);
    }
    const died: number[] = [];
    for (let i = 0; i < n; i++) if (this.posted[i]!.state === 2) died.push(this.posted[i]!.slot);
    return died;
  }

  private errorText(slot: number): string {
    const len = Atomics.load(this.i32, this.slotBase(slot) + CTRL.ERROR_LEN);
    const bytes = this.errors.slice(slot * CTRL.ERROR_BYTES, slot * CTRL.ERROR_BYTES + Math.min(len, CTRL.ERROR_BYTES));
    return new TextDecoder().decode(bytes) || 'unknown cause';
  }

  private error(message: string): MobileNetV2Error {
    return workerError(message);
  }

  /**
   * Test hook: the worker in `slot` dies the next time it joins a job, in the given way; the next
   * layer waits for it to join (instead of withdrawing the offer), so it dies holding that layer.
   */
  injectFault(slot: number, fault: WorkerFault): void {
    const code = fault === 'throw' ? CTRL.FAULT_THROW : fault === 'exit' ? CTRL.FAULT_EXIT : CTRL.FAULT_TERMINATE;
    Atomics.store(this.i32, this.slotBase(slot) + CTRL.FAULT, code);
    this.forceJoin = true;
  }

  /** Test hook: asks the supervisor to terminate() the worker in `slot` now (asynchronously). */
  terminateWorker(slot: number): void {
    this.supervisor.terminateWorker(slot);
  }

  /** Stops every thread. Idempotent; the returned promise resolves when the supervisor has exited. */
  dispose(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.disposed = true;
    Atomics.store(this.i32, CTRL.SHUTDOWN, 1);
    for (let s = 0; s < this.size; s++) {
      const base = this.slotBase(s);
      Atomics.add(this.i32, base + CTRL.SEQ, 1);
      Atomics.notify(this.i32, base + CTRL.SEQ);
    }
    if (this.supervisorExit !== null) return Promise.resolve();
    return this.supervisor.shutdown();
  }
}
