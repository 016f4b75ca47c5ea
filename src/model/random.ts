// SPDX-License-Identifier: Apache-2.0
/**
 * The project's one seeded pseudo-random generator (mulberry32), for random weights and test data
 * that must reproduce by seed. Not for anything that needs statistical quality or secrecy.
 */

/** Uniform values in [0, 1) from a 32-bit seed. */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
