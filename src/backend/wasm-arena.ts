// SPDX-License-Identifier: Apache-2.0
/**
 * The bump arena both WASM backends keep over their module's linear memory (wasm-simd.ts for
 * float32, q8-wasm.ts for the integer kernels): one mechanism for where packed weights, zero-copy
 * tensors and per-call scratch live.
 *
 *   [0, 1 KiB)                 unused (offset 0 stays an obviously wrong pointer)
 *   [1 KiB, weightTop)         packed weights (and other per-layer constants), copied in ONCE
 *   [scopeBase, scopeTop)      tensors handed out inside beginScope()/endScope() (zero-copy: ops
 *                              given such a view read and write it in place); scopeBase leaves a
 *                              reserve above the weights for weights first used inside a scope
 *   [above everything, …)      per-call scratch (inputs copied in, outputs, staging), reused by the
 *                              next call (beginCall)
 *
 * Every buffer starts on a 64-byte boundary and is followed by ≥ 16 bytes of slack: the kernels'
 * last vector may read past a tensor's end. The memory grows on demand (never shrinks). Past the
 * weight budget (many models through one backend) every placed constant is dropped: `epoch`
 * changes, and a backend's caches check it before reusing an offset.
 *
 * Offsets are bytes. All sizes here are bytes too.
 */
import { usageError } from '../errors.js';
import { growMemoryTo, type WasmMemory } from './wasm-module.js';

export const ARENA_ALIGN = 64;
const SLACK = 16;
const WEIGHTS_BASE = 1024;

/** Bytes a buffer of `bytes` occupies: aligned, with slack. */
export function arenaSpan(bytes: number): number {
  return Math.ceil((bytes + SLACK) / ARENA_ALIGN) * ARENA_ALIGN;
}

export interface WasmArenaOptions {
  /** Error prefix: which backend (e.g. 'wasm-simd', 'wasm-simd (integer)'). */
  readonly label: string;
  readonly memory: WasmMemory;
  /** Shared memory keeps its buffer across grow; plain memory detaches it (no zero-copy views then). */
  readonly shared: boolean;
  /** Packed constants beyond this are dropped and re-placed (epoch + 1). */
  readonly weightBudgetBytes: number;
  /** Room kept free above the weights when a scope opens (grows if a scope ever runs out of it). */
  readonly weightReserveBytes: number;
}

export class WasmArena {
  readonly label: string;
  readonly shared: boolean;
  /** Changes whenever placed constants are dropped; cached offsets from another epoch are stale. */
  epoch = 0;
  private memory: WasmMemory | null;
  private readonly weightBudget: number;
  private weightReserve: number;
  private missedWeightBytes = 0;
  private weightTop = WEIGHTS_BASE;
  private scratchTop = -1;
  private scopeBase = 0;
  private scopeTop = 0;
  private readonly scopes: number[] = []; // scopeTop at each open beginScope()
  private readonly ownBuffers = new WeakSet<object>();
  private heapBuffer: ArrayBufferLike | null = null;
  private heapU8: Uint8Array = new Uint8Array(0);
  private heapI32: Int32Array = new Int32Array(0);
  private heapF32: Float32Array = new Float32Array(0);

  constructor(o: WasmArenaOptions) {
    this.label = o.label;
    this.memory = o.memory;
    this.shared = o.shared;
    this.weightBudget = o.weightBudgetBytes;
    this.weightReserve = o.weightReserveBytes;
  }

  /** The memory's buffer as bytes (views are remade after the memory grows). */
  u8(): Uint8Array {
    this.refresh();
    return this.heapU8;
  }

  i32(): Int32Array {
    this.refresh();
    return this.heapI32;
  }

  f32(): Float32Array {
    this.refresh();
    return this.heapF32;
  }

  private refresh(): void {
    const buf = this.live().buffer;
    if (buf !== this.heapBuffer || this.heapU8.byteLength !== buf.byteLength) {
      this.heapBuffer = buf;
      this.heapU8 = new Uint8Array(buf);
      this.heapI32 = new Int32Array(buf);
      this.heapF32 = new Float32Array(buf);
      // After memory.grow the buffer is a new SharedArrayBuffer object over the same memory; views
      // made earlier keep the old object, so every one of them counts as ours.
      this.ownBuffers.add(buf);
    }
  }

  private live(): WasmMemory {
    if (this.memory === null) throw usageError(`${this.label}: the backend was disposed`);
    return this.memory;
  }

  private ensure(bytes: number): void {
    growMemoryTo(this.live(), bytes, this.label);
  }

  // -- per call ------------------------------------------------------------------------------

  /** Starts a call: its scratch goes above the weights and any open scope, once it needs some. */
  beginCall(): void {
    this.scratchTop = -1;
  }

  /** Per-call scratch of `bytes` bytes (contents undefined). */
  alloc(bytes: number): number {
    if (this.scratchTop < 0) this.scratchTop = this.scopes.length > 0 ? this.scopeTop : this.weightTop;
    const offset = this.scratchTop;
    this.scratchTop = offset + arenaSpan(bytes);
    this.ensure(this.scratchTop);
    return offset;
  }

  /** Per-call scratch of `bytes` bytes, zeroed (slack included). */
  allocZeros(bytes: number): number {
    const offset = this.alloc(bytes);
    this.u8().fill(0, offset, offset + arenaSpan(bytes));
    return offset;
  }

  /**
   * Byte offset of `a` when it views our memory (a scope tensor or a subarray of one), else null.
   * It must lie inside the live scope region: a view kept after its endScope() points at memory
   * that later tensors reuse, so using it is an error (when it is out of range; a view whose range
   * was already handed out again cannot be told apart from the new tensor).
   */
  viewOffset(a: ArrayBufferView): number | null {
    if (!this.ownBuffers.has(a.buffer)) return null;
    const start = a.byteOffset;
    if (this.scopes.length === 0 || start < this.scopeBase || start + a.byteLength > this.scopeTop) {
      throw usageError(`${this.label}: a scratch() tensor was used after its endScope() (its memory is reused by later tensors)`);
    }
    return start;
  }

  /** Offset of `x` in memory: in place for a scope view, else copied into per-call scratch. */
  input(x: ArrayBufferView): number {
    const own = this.viewOffset(x);
    if (own !== null) return own;
    const offset = this.alloc(x.byteLength);
    if (x instanceof Float32Array) this.f32().set(x, offset / 4); // a word copy (1.3× the byte copy into shared memory)
    else this.u8().set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength), offset);
    return offset;
  }

  /** Where a kernel should write `out`: in place for a scope view, else per-call scratch (see output). */
  target(out: ArrayBufferView): number {
    return this.viewOffset(out) ?? this.alloc(out.byteLength);
  }

  /** Copies the result at `offset` into `out`, unless the kernel already wrote into it. */
  output(out: ArrayBufferView, offset: number): void {
    if (this.ownBuffers.has(out.buffer) && out.byteOffset === offset) return;
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(this.u8().subarray(offset, offset + out.byteLength));
  }

  // -- placed constants ------------------------------------------------------------------------

  /**
   * Copies `packed` into the weight region and returns its offset (`cached`: it stays there for
   * this epoch). With a scope open and too little room below it: per-call scratch this time
   * (`cached` false) and more reserve at the next outermost beginScope(). Past the weight budget
   * with no scope open: every placed constant is dropped (epoch + 1) and placing starts again.
   */
  place(packed: ArrayBufferView): { offset: number; cached: boolean } {
    const bytes = arenaSpan(packed.byteLength);
    const source = new Uint8Array(packed.buffer, packed.byteOffset, packed.byteLength);
    const limit = this.scopes.length > 0 ? this.scopeBase : this.weightBudget;
    if (this.weightTop + bytes > limit) {
      if (this.scopes.length > 0) {
        this.missedWeightBytes += bytes;
        const offset = this.alloc(packed.byteLength);
        this.u8().set(source, offset);
        return { offset, cached: false };
      }
      this.epoch++;
      this.weightTop = WEIGHTS_BASE;
    }
    const offset = this.weightTop;
    this.ensure(offset + bytes);
    this.u8().set(source, offset);
    this.weightTop = offset + bytes;
    return { offset, cached: true };
  }

  /** Whether `offset` lies in the weight region (placed, not per-call). */
  isPlaced(offset: number): boolean {
    return offset < this.weightTop;
  }

  /** Bytes of placed constants (for reports). */
  placedBytes(): number {
    return this.weightTop - WEIGHTS_BASE;
  }

  // -- zero-copy scopes ----------------------------------------------------------------------

  /** Opens a scope; scopes nest. */
  beginScope(): void {
    this.live();
    if (this.scopes.length === 0) {
      // Weights that found no room during the last scope get room from now on (once).
      this.weightReserve += Math.ceil(this.missedWeightBytes * 1.25);
      this.missedWeightBytes = 0;
      this.scopeBase = Math.ceil((this.weightTop + this.weightReserve) / ARENA_ALIGN) * ARENA_ALIGN;
      this.scopeTop = this.scopeBase;
    }
    this.scopes.push(this.scopeTop);
  }

  /** Throws the usage error for scratch() outside any scope. */
  checkScopeOpen(): void {
    if (this.scopes.length === 0) throw usageError(`${this.label}: scratch() needs an open beginScope()`);
  }

  /**
   * Offset of a new `bytes`-byte tensor in the open scope, or null on plain memory (a later grow
   * would detach a view: the caller hands out an ordinary array, copied per op).
   */
  scopeAlloc(bytes: number): number | null {
    this.checkScopeOpen();
    if (!this.shared) return null;
    const offset = this.scopeTop;
    this.ensure(offset + arenaSpan(bytes));
    this.scopeTop = offset + arenaSpan(bytes);
    this.refresh();
    return offset;
  }

  /** The memory's current buffer (for views of scope tensors). */
  buffer(): ArrayBufferLike {
    this.refresh();
    return this.heapBuffer!;
  }

  /** Closes the innermost scope; its tensors must not be used afterwards. */
  endScope(): void {
    const top = this.scopes.pop();
    if (top === undefined) throw usageError(`${this.label}: endScope() without beginScope()`);
    this.scopeTop = top;
  }

  /** Releases the memory; every later use is a usage error. */
  dispose(): void {
    this.memory = null;
    this.heapBuffer = null;
    this.heapU8 = new Uint8Array(0);
    this.heapI32 = new Int32Array(0);
    this.heapF32 = new Float32Array(0);
  }
}
