// SPDX-License-Identifier: Apache-2.0
/**
 * Whole Mobile DeepLabv3 and SSDLite networks (deeplabForward / ssdliteForward) on every backend,
 * against the scalar backend, with seeded random folded weights (src/io/tflite/export.ts: variance
 * gain²/fan-in, so activations stay of order 1 through the network):
 *
 *   DeepLab width 0.5, 21 classes: OS 16 and OS 8 without ASPP (the paper's mobile head), OS 16
 *   with plain ASPP and OS 8 with separable ASPP (default rates 6/12/18 and 12/24/36, dilated far
 *   into the padding of the small maps), align-corners and half-pixel upsampling, 65 and 97 pixels
 *   (odd sizes: TF SAME's asymmetric pads), batch 2 and 1;
 *   SSDLite width 0.35 at 128 (batch 2) and 1.0 at 150 (odd map sizes 10, 5, 3, 2, 1), 91 classes.
 *
 * Every tap (backbone, ASPP branches, image pooling and its broadcast, concat, projection, extra
 * layers, every predictor) and the outputs (DeepLab's logits at both sizes; SSDLite's concatenated
 * box encodings and class logits) are compared. Tolerance as in network.spec.ts: within
 * 1e-4 × max|oracle tap|, derived there (float32 dot products of K ≤ 1281 terms, errors ~√K·2⁻²⁴
 * per layer adding up over ~20 layers to ~1e-5 of the scale; here the longest reductions are the
 * concat projection's 4·256 = 1024 and the ASPP 3×3's 9·160 = 1440 — the same order). Bilinear
 * resizing and concatenation add no error of their own (the same scalar-equivalent arithmetic on
 * every backend, weights summing to 1), and ReLU / ReLU6 are 1-Lipschitz. ts-fast must be
 * bit-identical to the scalar backend, and wasm-simd with 2 threads bit-identical to 1 thread.
 *
 * Zero-copy: deeplabForward and ssdliteForward run inside the backend's zero-copy scope (as
 * forward() does). The last block checks that the scope changes no bit: wasm-simd with its scope,
 * and the same backend seen through a wrapper without beginScope/scratch/endScope (so every op
 * gets fresh arrays, copied in and out), give identical taps and outputs, and the returned arrays
 * stay valid (they are not views into backend memory) after later runs reuse that memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.js';
import { createScalarBackend } from '../../src/backend/scalar.js';
import { buildDeeplabPlan, deeplabForward, type DeeplabForwardResult, type DeeplabOptions } from '../../src/model/deeplab.js';
import { buildSsdlitePlan, ssdliteForward, type SsdliteOutput } from '../../src/model/ssdlite.js';
import type { Tap } from '../../src/model/forward.js';
import { randomDeeplabWeights, randomSsdliteWeights } from '../../src/io/tflite/export.js';
import { BACKENDS, data, expectBitIdentical, makeBackend, wasmThreadPair } from './support.js';

const REL_BOUND = 1e-4;

interface HeadCase {
  readonly name: string;
  /** Runs the network on `b`; returns every tap and the outputs, by name. */
  run(b: Backend): Map<string, Tap>;
}

function deeplabCase(name: string, options: DeeplabOptions, batch: number, seed: number): HeadCase {
  const plan = buildDeeplabPlan({ classes: 21, ...options });
  const weights = randomDeeplabWeights(plan, seed);
  const { inputH: h, inputW: w } = plan.options;
  const input = data(batch * h * w * 3, seed, -1, 1);
  const shape = [batch, h, w, 3] as const;
  return {
    name,
    run(b) {
      const r: DeeplabForwardResult = deeplabForward(b, plan, weights, input, shape, { taps: 'all' });
      return new Map([...r.taps, ['(logits)', r.logits], ['(featureLogits)', r.featureLogits]]);
    },
  };
}

function ssdliteCase(name: string, width: number, resolution: number, batch: number, seed: number): HeadCase {
  const plan = buildSsdlitePlan({ width, resolution, classes: 91 });
  const weights = randomSsdliteWeights(plan, seed);
  const input = data(batch * resolution * resolution * 3, seed, -1, 1);
  const shape = [batch, resolution, resolution, 3] as const;
  return {
    name,
    run(b) {
      const r: SsdliteOutput = ssdliteForward(b, plan, weights, input, shape, { taps: 'all' });
      return new Map([
        ...r.taps,
        ['(boxEncodings)', { data: r.boxEncodings, shape: [batch, r.anchors, 4] }],
        ['(classLogits)', { data: r.classLogits, shape: [batch, r.anchors, r.classes] }],
      ]);
    },
  };
}

const CASES: readonly HeadCase[] = [
  deeplabCase('DeepLab 0.5 @65 OS16, no ASPP, batch 2', { width: 0.5, resolution: 65, outputStride: 16 }, 2, 31),
  deeplabCase('DeepLab 0.5 @65 OS8, no ASPP, half-pixel', { width: 0.5, resolution: 65, outputStride: 8, upsampling: 'half-pixel' }, 1, 32),
  deeplabCase('DeepLab 0.5 @97 OS16, plain ASPP', { width: 0.5, resolution: 97, outputStride: 16, aspp: 'plain' }, 1, 33),
  deeplabCase('DeepLab 0.5 @97 OS8, separable ASPP', { width: 0.5, resolution: 97, outputStride: 8, aspp: 'separable' }, 1, 34),
  ssdliteCase('SSDLite 0.35 @128, batch 2', 0.35, 128, 2, 41),
  ssdliteCase('SSDLite 1.0 @150', 1.0, 150, 1, 42),
];

const reference = CASES.map((c) => c.run(createScalarBackend()));

/** Every tap of `ours` against the scalar run `ref`: bitwise, or within REL_BOUND of each tap's scale. Returns the worst relative error. */
function compare(ours: Map<string, Tap>, ref: Map<string, Tap>, exact: boolean, label: string): { worst: number; tap: string } {
  expect([...ours.keys()].sort(), `${label}: tap names`).toEqual([...ref.keys()].sort());
  let worst = 0;
  let worstTap = '';
  for (const [name, tap] of ref) {
    const got = ours.get(name)!;
    expect(got.shape, `${label} ${name}: shape`).toEqual(tap.shape);
    if (exact) {
      expectBitIdentical(got.data, tap.data, `${label} ${name}`);
      continue;
    }
    let scale = 0;
    for (const v of tap.data) scale = Math.max(scale, Math.abs(v));
    let maxDiff = 0;
    for (let k = 0; k < tap.data.length; k++) maxDiff = Math.max(maxDiff, Math.abs(got.data[k]! - tap.data[k]!));
    // Derived in the file comment (and network.spec.ts): ≤ 1e-4 × max|tap|.
    const bound = REL_BOUND * scale;
    expect(maxDiff, `${label} tap ${name}: max |diff| ${maxDiff.toExponential(2)} > ${bound.toExponential(2)}`).toBeLessThanOrEqual(bound);
    if (scale > 0 && maxDiff / scale > worst) {
      worst = maxDiff / scale;
      worstTap = name;
    }
  }
  return { worst, tap: worstTap };
}

describe.each(BACKENDS.filter((b) => b.kind !== 'scalar'))('DeepLab and SSDLite on $label', (bt) => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await makeBackend(bt);
  });
  afterAll(() => backend.dispose());

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: every tap and the outputs match the scalar backend', (_name, i) => {
    const { worst, tap } = compare(CASES[i]!.run(backend), reference[i]!, bt.exact, `${bt.label} ${CASES[i]!.name}`);
    if (!bt.exact) console.log(`${bt.label} ${CASES[i]!.name}: worst tap ${tap} at ${worst.toExponential(2)} of its scale`);
  });
});

describe('DeepLab and SSDLite: wasm-simd 1 thread vs 2 threads, and with vs without the zero-copy scope', () => {
  const pair = wasmThreadPair();

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: every tap bit-identical on 1 and 2 threads', (_name, i) => {
    const before = pair.two.threadStats().workerChunks;
    compare(CASES[i]!.run(pair.two), CASES[i]!.run(pair.one), true, CASES[i]!.name);
    expect(pair.two.threadStats().workerChunks, 'the worker computed part of the layers').toBeGreaterThan(before);
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: the zero-copy scope changes no bit, and results outlive it', (_name, i) => {
    // The same backend without the scope methods: withScope() then runs every op on fresh arrays.
    const plain: Backend = {
      name: 'wasm-simd (no scope)',
      init: () => pair.one.init(),
      conv2d: (...a) => pair.one.conv2d(...a),
      depthwiseConv2d: (...a) => pair.one.depthwiseConv2d(...a),
      pointwiseConv: (...a) => pair.one.pointwiseConv(...a),
      add: (...a) => pair.one.add(...a),
      globalAvgPool: (...a) => pair.one.globalAvgPool(...a),
      fullyConnected: (...a) => pair.one.fullyConnected(...a),
      resizeBilinear: (...a) => pair.one.resizeBilinear(...a),
      concatChannels: (...a) => pair.one.concatChannels(...a),
      dispose: () => {},
    };
    const scoped = CASES[i]!.run(pair.one);
    const kept = new Map([...scoped].map(([k, t]) => [k, { data: t.data.slice(), shape: t.shape }]));
    const unscoped = CASES[i]!.run(plain);
    // Another scoped run of a different network reuses the scope's memory: the first results must not change.
    CASES[(i + 1) % CASES.length]!.run(pair.one);
    compare(scoped, unscoped, true, `${CASES[i]!.name} scoped vs unscoped`);
    compare(scoped, kept, true, `${CASES[i]!.name} after another run`);
  });
});
