// SPDX-License-Identifier: Apache-2.0
/**
 * Shared pieces of the backend specs: the list of backends under test, deterministic data, and the
 * comparison against the scalar oracle.
 *
 * Tolerance (derived in spec/helpers/close.ts): a float32-accumulating backend computes each output
 * as a dot product of K terms (KH·KW·IC products, plus the bias) whose exact value s has
 * |ŷ − ô| ≤ K·u·A + 2⁻¹⁴⁹ against the float64 oracle ô, where u = 2⁻²⁴ and A = |b| + Σ|xᵢwᵢ|
 * (recursive float32 summation: each of the K additions and the store rounds with relative error
 * ≤ u of a partial sum bounded by A; the oracle's own float64 error is 2²⁹ times smaller and
 * covered by the same slack). The clamp is 1-Lipschitz, so it cannot increase the difference.
 * A is obtained by running the SCALAR kernel on |x|, |w|, |b| without clamp: all terms are then
 * non-negative, so its float64 sum is A to within K·2⁻⁵³ and its float32 store to within 2⁻²⁴;
 * the (1 + 2⁻²⁰) factor below covers both.
 *
 * ts-fast sums in float64 in the oracle's order, so it must match BIT FOR BIT (stronger than the
 * bound); wasm-simd with 1 and 2 threads must match each other bit for bit.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { Backend } from '../../src/backend/backend.js';
import { createBackend } from '../../src/backend/create.js';
import { WasmSimdBackend } from '../../src/backend/wasm-simd.js';
import { dotErrorBound } from '../helpers/close.js';
import { seededUniform } from '../../src/model/random.js';

export interface BackendUnderTest {
  readonly label: string;
  readonly kind: 'scalar' | 'ts-fast' | 'wasm-simd';
  readonly threads: number;
  /** Results must equal the scalar oracle bit for bit (else: within the derived bound). */
  readonly exact: boolean;
}

export const BACKENDS: readonly BackendUnderTest[] = [
  { label: 'scalar', kind: 'scalar', threads: 1, exact: true },
  { label: 'ts-fast', kind: 'ts-fast', threads: 1, exact: true },
  { label: 'wasm-simd 1 thread', kind: 'wasm-simd', threads: 1, exact: false },
  { label: 'wasm-simd 2 threads', kind: 'wasm-simd', threads: 2, exact: false },
];

/**
 * Creates and initialises the backend. wasm-simd is built directly with `adaptive: false`, so a
 * 2-thread backend really uses its worker even while other processes load the machine (by default
 * it would then run layers on the main thread alone, which would leave the threading untested).
 */
export async function makeBackend(b: BackendUnderTest): Promise<Backend> {
  if (b.kind === 'wasm-simd') {
    const w = new WasmSimdBackend({ threads: b.threads, adaptive: false });
    await w.init();
    return w;
  }
  return createBackend(b.kind, { threads: b.threads });
}

/** Deterministic float32 values uniform in [lo, hi) (the project's one seeded generator). */
export function data(length: number, seed: number, lo = -2, hi = 2): Float32Array {
  const next = seededUniform(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.fround(lo + (hi - lo) * next());
  return out;
}

export const abs = (a: Float32Array): Float32Array => a.map(Math.abs);

/** Bitwise equality (NaN equals NaN; +0 and −0 differ). */
export function expectBitIdentical(actual: Float32Array, expected: Float32Array, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  let mismatches = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    const same = a[i] === e[i] || (Number.isNaN(actual[i]) && Number.isNaN(expected[i]));
    if (!same) {
      if (first < 0) first = i;
      mismatches++;
    }
  }
  if (mismatches > 0) {
    expect.fail(`${label}: ${mismatches} of ${a.length} elements differ bitwise; first at [${first}]: ${actual[first]} vs ${expected[first]}`);
  }
}

/**
 * Asserts `actual` matches the scalar result `expected`: bit for bit when `exact`, else within
 * dotErrorBound(K, A·(1 + 2⁻²⁰)) per element, with A from `magnitude` (the scalar kernel on
 * |x|, |w|, |b|) — see the file comment. NaN must be NaN in both; ±Inf must match exactly.
 */
export function expectMatchesOracle(
  actual: Float32Array, expected: Float32Array, magnitude: Float32Array, K: number, exact: boolean, label: string,
): void {
  if (exact) {
    expectBitIdentical(actual, expected, label);
    return;
  }
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (!(Number.isNaN(e) && Number.isNaN(a))) expect.fail(`${label}: [${i}] is ${a}, expected ${e} (NaN must match NaN)`);
      continue;
    }
    if (a === e) continue;
    const bound = dotErrorBound(K, magnitude[i]! * (1 + 2 ** -20));
    const diff = Math.abs(a - e);
    // |ŷ − ô| ≤ K·2⁻²⁴·(|b| + Σ|xᵢwᵢ|) + 2⁻¹⁴⁹, derived in the file comment.
    if (!(diff <= bound)) {
      expect.fail(`${label}: [${i}] = ${a}, expected ${e}: |diff| ${diff.toExponential(3)} > bound ${bound.toExponential(3)} (K = ${K}, Σ|xw| = ${magnitude[i]})`);
    }
  }
}

/**
 * Registers a wasm-simd backend on 1 thread and one on 2 threads for the enclosing describe block
 * (created before its tests, disposed after them), for the "same bits on 1 and N threads" checks.
 */
export function wasmThreadPair(): { one: WasmSimdBackend; two: WasmSimdBackend } {
  const pair = {} as { one: WasmSimdBackend; two: WasmSimdBackend };
  beforeAll(async () => {
    pair.one = (await makeBackend({ label: '1 thread', kind: 'wasm-simd', threads: 1, exact: false })) as WasmSimdBackend;
    pair.two = (await makeBackend({ label: '2 threads', kind: 'wasm-simd', threads: 2, exact: false })) as WasmSimdBackend;
  });
  afterAll(async () => {
    await pair.one?.disposeAsync();
    await pair.two?.disposeAsync();
  });
  return pair;
}
