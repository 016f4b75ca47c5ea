// SPDX-License-Identifier: Apache-2.0
/**
 * The tolerance policy (docs/tolerances.md), as numbers. Three levels:
 *
 *  kernel      one conv / depthwise / pointwise output against our scalar oracle (float64
 *              accumulation, one rounding). A float32 implementation summing K terms in any order
 *              is within  K·u·A + 2⁻¹⁴⁹  of it, A = |b| + Σ|xᵢwᵢ| the sum of absolute terms,
 *              u = 2⁻²⁴ (Higham §4.2, recursive summation, plus one rounding of ours; the
 *              derivation is in spec/helpers/close.ts). FMA only makes the error smaller.
 *  per layer   a fast backend's layer against the scalar oracle on the same input: the kernel
 *              bound, element by element (self-check).
 *  network     two implementations of the whole network (cross-framework, per tap):
 *              |a − b| ≤ 1e-4 · max|b| per tap (logits: 1e-4 · max(1, max|b|)). Measured: our
 *              scalar oracle vs PyTorch on the goldens, largest max|diff| / max|tap| = 2.4e-5 over
 *              all 71 taps of three configurations.
 */

/** Unit roundoff of float32 (round to nearest). */
export const U32 = 2 ** -24;
/** Half the smallest float32 subnormal: the absolute floor of any float32 rounding. */
export const TINY = 2 ** -149;

/** Network level: per-tap tolerance relative to the tap's scale (max |reference|). */
export const NETWORK_REL_TOLERANCE = 1e-4;

/** Default per-tap tolerance of `compare`: atol = 1e-4 · scale, rtol = 0 (scale = max|reference|, at least 1 for logits). */
export function networkTolerance(scale: number, isLogits: boolean): { atol: number; rtol: number } {
  const s = isLogits ? Math.max(1, scale) : scale;
  return { atol: NETWORK_REL_TOLERANCE * s, rtol: 0 };
}
