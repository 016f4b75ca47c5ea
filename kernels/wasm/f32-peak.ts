// SPDX-License-Identifier: Apache-2.0
/**
 * The machine's f32x4 arithmetic peak for bench/fused.ts: a tight loop of separate mul and add
 * (FMA-free, like every kernel here) on 8 independent accumulators, so neither latency nor memory
 * limits it. Per iteration: 8 × (mul + add) × 4 lanes = 64 FLOP. Returns a lane sum so the loop
 * cannot be removed. Not used by inference.
 */
import { madd } from './common';

export function f32x4_peak(iterations: i32, seed: f32): f32 {
  const a = f32x4.splat(seed);
  const b = f32x4.splat(0.999);
  let c0 = f32x4.splat(0.0); let c1 = f32x4.splat(1.0); let c2 = f32x4.splat(2.0); let c3 = f32x4.splat(3.0);
  let c4 = f32x4.splat(4.0); let c5 = f32x4.splat(5.0); let c6 = f32x4.splat(6.0); let c7 = f32x4.splat(7.0);
  for (let i = 0; i < iterations; i++) {
    c0 = madd(c0, a, b); c1 = madd(c1, a, b); c2 = madd(c2, a, b); c3 = madd(c3, a, b);
    c4 = madd(c4, a, b); c5 = madd(c5, a, b); c6 = madd(c6, a, b); c7 = madd(c7, a, b);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
