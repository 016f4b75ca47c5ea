// SPDX-License-Identifier: Apache-2.0
/**
 * Helpers shared by the WASM SIMD kernels (AssemblyScript; compiled by kernels/wasm/build.mjs,
 * never by the main tsc project: `v128`, `usize`, `f32x4` are AssemblyScript builtins).
 *
 * Conventions for every kernel in this folder:
 *  - pointers are byte offsets into the one shared memory the JS backend owns; kernels allocate
 *    nothing, have no globals and no data segments, so any number of instances (main thread and
 *    workers) can run them on the same memory at once;
 *  - the first two parameters are the half-open range of the work split between threads (output
 *    rows, pixels or channel blocks); the same element is always computed by the same instruction
 *    sequence whatever the range, so 1 and N threads give bit-identical results;
 *  - arithmetic is float32 with separate mul and add (no FMA: relaxed SIMD is not used), in a fixed
 *    order documented per kernel;
 *  - the clamp is pmin(pmax(v, lo), hi). By the wasm spec pmax(a, b) = a < b ? b : a and
 *    pmin(a, b) = b < a ? b : a, so with v as the FIRST operand this is exactly the scalar oracle's
 *    `v < min ? min : v > max ? max : v`: NaN compares false and passes through, −0 stays −0.
 *    (f32x4.min/max also propagate NaN but turn −0 into +0, and V8 lowers each to ~8 x86
 *    instructions to get IEEE semantics; pmin/pmax are one minps/maxps each. Measured: the
 *    min/max clamp made the depthwise kernel 1.7× slower than pmin/pmax.)
 *    "No clamp" is passed as [−∞, +∞], the identity on every value, NaN included.
 */

/** acc + a·b with two roundings (mul, then add): the same result on every host. */
// @ts-ignore: decorator
@inline export function madd(acc: v128, a: v128, b: v128): v128 {
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** The oracle's clamp lane-wise: v < lo ? lo : v > hi ? hi : v (NaN and −0 pass through). */
// @ts-ignore: decorator
@inline export function clamp4(v: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(v, lo), hi);
}

/** Stores the first n (0..4) lanes of v at p; lanes ≥ n are left untouched in memory. */
// @ts-ignore: decorator
@inline export function storeLanes(p: usize, v: v128, n: i32): void {
  if (n >= 4) { v128.store(p, v); return; }
  if (n >= 1) v128.store32_lane(p, v, 0);
  if (n >= 2) v128.store32_lane(p, v, 1, 4);
  if (n >= 3) v128.store32_lane(p, v, 2, 8);
}

/** Stores the first n (0..8) lanes of the pair (v0, v1) at p. */
// @ts-ignore: decorator
@inline export function storeLanes8(p: usize, v0: v128, v1: v128, n: i32): void {
  if (n >= 8) { v128.store(p, v0); v128.store(p, v1, 16); return; }
  if (n >= 4) { v128.store(p, v0); storeLanes(p + 16, v1, n - 4); return; }
  storeLanes(p, v0, n);
}

/**
 * Claims a free scratch slot (one flag word per slot at `flags`, 0 = free) with an atomic
 * compare-exchange, so concurrent calls of a kernel on the pool's threads never share scratch
 * whatever chunks they are handed. More concurrent calls than slots means the backend sized the
 * slots wrongly: trap.
 */
// @ts-ignore: decorator
@inline export function claimSlot(flags: usize, slots: i32): i32 {
  let slot = 0;
  while (slot < slots && atomic.cmpxchg<i32>(flags + (<usize>slot << 2), 0, 1) != 0) slot++;
  if (slot == slots) unreachable();
  return slot;
}

/** Frees a slot claimed by claimSlot. */
// @ts-ignore: decorator
@inline export function releaseSlot(flags: usize, slot: i32): void {
  atomic.store<i32>(flags + (<usize>slot << 2), 0);
}
