// SPDX-License-Identifier: Apache-2.0
/**
 * The SSDLite error-bound derivation (src/oracle/bounds.ts ssdliteErrorBound) against the float64
 * oracle (spec/helpers/oracle-f64.ts, written independently of kernels/): the whole network —
 * backbone, extra layers, box and class predictors — runs once in float64 on the same weights and
 * input, and our float32 outputs must lie within the derived bound of it, element by element.
 * The bound must also mean something: it stays far below the outputs' scale, and the float32
 * errors reach a visible fraction of it (a bound a thousand times too loose would fail).
 */
import { describe, expect, it } from 'vitest';
import { buildSsdlitePlan, ssdliteForward, type SsdlitePlan } from '../../src/model/ssdlite.js';
import type { ConvPlan } from '../../src/model/plan.js';
import type { MobileNetV2Weights } from '../../src/model/weights.js';
import { createScalarBackend } from '../../src/backend/scalar.js';
import { randomSsdliteWeights } from '../../src/io/tflite/export.js';
import { ssdliteErrorBound } from '../../src/oracle/bounds.js';
import { seededUniform } from '../../src/model/random.js';
import { oracleAdd, oracleConv2d, oracleDepthwiseConv2d, oracleMatmulBias, type OracleClamp } from '../helpers/oracle-f64.js';

/** One of our convs in float64 (the oracle's own padding, geometry and loops). */
function oracleConv(c: ConvPlan, x: ArrayLike<number>, n: number, weights: MobileNetV2Weights): Float64Array {
  const w = weights.convs.get(c.name)!;
  const g = c.geometry;
  const clamp: OracleClamp | null = c.activation === 'relu6' ? { min: 0, max: 6 } : c.activation === 'relu' ? { min: 0, max: Infinity } : null;
  const win = { stride: [g.strideH, g.strideW] as const, dilation: [g.dilationH, g.dilationW] as const, pad: g.pad };
  if (c.kind === 'pointwise') return oracleMatmulBias(x, n * g.inH * g.inW, c.inC, w.weight, c.outC, w.bias, clamp).data;
  if (c.kind === 'depthwise') return oracleDepthwiseConv2d(x, [n, g.inH, g.inW, c.inC], w.weight, [c.kernel, c.kernel, c.outC], w.bias, win, clamp).data;
  return oracleConv2d(x, [n, g.inH, g.inW, c.inC], w.weight, [c.outC, c.kernel, c.kernel, c.inC], w.bias, win, clamp).data;
}

/** Every conv output of the SSDLite network in float64, by tap name. */
function oracleSsdlite(plan: SsdlitePlan, weights: MobileNetV2Weights, input: Float32Array, n: number): Map<string, Float64Array> {
  const values = new Map<string, Float64Array>([['input', Float64Array.from(input)]]);
  let blockIn = 'input';
  for (const b of plan.backbone.blocks) {
    let x = values.get(blockIn)!;
    for (const c of b.convs) {
      x = oracleConv(c, x, n, weights);
      values.set(c.name, x);
    }
    values.set(b.name, b.residual ? oracleAdd(x, values.get(blockIn)!) : x);
    blockIn = b.name;
  }
  for (const c of plan.head) values.set(c.name, oracleConv(c, values.get(c.input)!, n, weights));
  return values;
}

describe('ssdliteErrorBound vs the float64 oracle', () => {
  it('every box encoding and class logit of a float32 SSDLite lies within the derived bound of the float64 network', () => {
    const plan = buildSsdlitePlan({ width: 0.35, resolution: 96, classes: 7 });
    const weights = randomSsdliteWeights(plan, 11);
    const n = 2;
    const next = seededUniform(5);
    const input = Float32Array.from({ length: n * 96 * 96 * 3 }, () => Math.fround(next() * 2 - 1));
    const ours = ssdliteForward(createScalarBackend(), plan, weights, input, [n, 96, 96, 3]);
    const bound = ssdliteErrorBound(plan, weights, input, [n, 96, 96, 3]);
    const ref = oracleSsdlite(plan, weights, input, n);

    // The oracle's outputs, placed in anchor order: each predictor's [N, H, W, anchors·D] is
    // [N, H·W·anchors, D] in memory, at its map's anchor offset.
    const A = plan.anchors;
    const K = plan.classes;
    const refBox = new Float64Array(n * A * 4);
    const refClass = new Float64Array(n * A * K);
    for (const c of plan.head) {
      if (c.part !== 'box' && c.part !== 'class') continue;
      const map = plan.featureMaps[c.featureMap]!;
      const d = c.part === 'box' ? 4 : K;
      const per = map.anchorCount * d;
      const y = ref.get(c.name)!;
      for (let b = 0; b < n; b++) (c.part === 'box' ? refBox : refClass).set(y.subarray(b * per, (b + 1) * per), (b * A + map.anchorOffset) * d);
    }

    for (const [name, got, want, tol] of [
      ['box encodings', ours.boxEncodings, refBox, bound.boxEncodings],
      ['class logits', ours.classLogits, refClass, bound.classLogits],
    ] as const) {
      expect(got.length).toBe(want.length);
      expect(tol.length).toBe(want.length);
      let worst = 0;
      let scale = 0;
      let maxBound = 0;
      for (let i = 0; i < got.length; i++) {
        const err = Math.abs(got[i]! - want[i]!);
        if (!(err <= tol[i]!)) expect.fail(`${name}[${i}]: |ours − float64| = ${err} exceeds the bound ${tol[i]}`);
        worst = Math.max(worst, err / tol[i]!);
        scale = Math.max(scale, Math.abs(want[i]!));
        maxBound = Math.max(maxBound, tol[i]!);
      }
      console.log(`${name}: worst |ours − float64| / bound ${worst.toExponential(2)}, largest bound ${maxBound.toExponential(2)} of scale ${scale.toExponential(2)}`);
      // Not vacuous: a float32 network is ~1e-6 of its scale from float64, so a bound beyond 1e-4
      // of the scale would hide real bugs; and 10σ of the accumulated rounding should be approached
      // within three orders of magnitude by the worst of thousands of outputs.
      expect(maxBound).toBeLessThan(1e-4 * scale);
      expect(worst).toBeGreaterThan(1e-3);
    }
  });
});
