// SPDX-License-Identifier: Apache-2.0
/**
 * Memory-efficient execution (fused bottlenecks in a measured arena) against the layer-by-layer
 * path: BIT-IDENTICAL outputs and block taps on every backend (the fused block runs the backend's
 * own kernels on row tiles, each value computed from the same operands in the same order), on the
 * PyTorch goldens (also compared with torch like spec/model/golden.spec.ts, same 1e-4 bound), on
 * DeepLab and SSDLite; and the measured peak (arena high-water mark + tile scratch + input, counted
 * where allocated) equals the memory plan's footprint and stays within 1.25× of Eq. (2)'s |x| + |y|.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.js';
import { createScalarBackend } from '../../src/backend/scalar.js';
import { createTsFastBackend } from '../../src/backend/ts-fast.js';
import { forward, type Tap } from '../../src/model/forward.js';
import { buildPlan, type MobileNetV2Plan } from '../../src/model/plan.js';
import { memoryEfficientBackend, memoryExecutionFor, runnerCapacityBytes } from '../../src/model/memory-efficient.js';
import { classifierMemoryPlan, deeplabMemoryPlan, ssdliteMemoryPlan } from '../../src/model/memory-plan.js';
import { buildDeeplabPlan, deeplabForward } from '../../src/model/deeplab.js';
import { buildSsdlitePlan, ssdliteForward } from '../../src/model/ssdlite.js';
import { randomClassifierWeights, randomDeeplabWeights, randomSsdliteWeights } from '../../src/io/tflite/export.js';
import type { MobileNetV2Weights } from '../../src/model/weights.js';
import { readNpyFile } from '../../src/io/npy.js';
import { loadTorchvision, type StateDict } from '../../src/io/torchvision.js';
import { nchwToNhwc, nhwcToNchw } from '../../src/model/layout.js';
import { goldenPath, goldenStateDict, loadGoldenManifest } from '../helpers/golden-weights.js';
import { readSafetensorsStateDict } from '../../src/io/safetensors-state-dict.js';
import { data, expectBitIdentical, wasmThreadPair } from '../backend/support.js';

function classifierRun(inner: Backend, plan: MobileNetV2Plan, weights: MobileNetV2Weights, input: Float32Array, n: number, memory?: 'efficient' | 'layerwise') {
  const taps = plan.blocks.map((b) => b.name);
  const shape = [n, plan.options.inputH, plan.options.inputW, 3];
  if (!memory) return { result: forward(inner, plan, weights, input, shape, { taps }), stats: null };
  const mp = classifierMemoryPlan(plan, { execution: memory, batch: n });
  // sized by memoryExecutionFor: the plan's arena plus what the backend's own fused block needs beyond the plan's tile (wasm-simd: a slot per thread)
  const { backend, stats } = memoryExecutionFor(inner, { head: 'classifier', plan }, { memory, batch: n });
  return { result: forward(backend, plan, weights, input, shape, { taps }), stats: stats(), mp };
}

function expectSameTaps(a: ReadonlyMap<string, Tap>, b: ReadonlyMap<string, Tap>, label: string): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [name, t] of a) expectBitIdentical(t.data, b.get(name)!.data, `${label} ${name}`);
}

describe('PyTorch goldens through the fused path', () => {
  const recipe = (name: string): StateDict => {
    const m = loadGoldenManifest(name);
    const sd = goldenStateDict({ width: m.config.width, numClasses: m.config.num_classes, seed: m.config.seed });
    return new Map([...sd].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, read: () => t.data }]));
  };
  for (const [name, sd] of [
    ['a-w100-r32', () => recipe('a-w100-r32')],
    ['b-w035-r33', () => recipe('b-w035-r33')],
    ['c-real', () => readSafetensorsStateDict(goldenPath('c-real', 'weights.safetensors'))],
  ] as const) {
    it(`${name}: bit-identical to the layer-by-layer path, and within 1e-4 of each golden block tap`, () => {
      const m = loadGoldenManifest(name);
      const x = readNpyFile(goldenPath(name, m.input.file));
      const [n, c, h, w] = x.shape as [number, number, number, number];
      const { plan, weights } = loadTorchvision(sd(), { resolution: [h, w], padding: 'symmetric' }, { bnEps: m.config.bn_eps, source: name });
      const input = nchwToNhwc(x.data, n, c, h, w);
      const ref = classifierRun(createScalarBackend(), plan, weights, input, n);
      const fused = classifierRun(createScalarBackend(), plan, weights, input, n, 'efficient');
      expect(fused.stats!.fusedBlocks).toBe(17);
      expectSameTaps(fused.result.taps, ref.result.taps, name);
      expectBitIdentical(fused.result.output.data, ref.result.output.data, `${name} logits`);
      let checked = 0;
      for (const tap of m.taps) {
        const ours = fused.result.taps.get(tap.name) ?? (tap.name === 'classifier' ? fused.result.output : undefined);
        if (!ours) continue;
        const ref4 = readNpyFile(goldenPath(name, tap.file));
        const d = ours.shape.length === 4 ? nhwcToNchw(ours.data, ...(ours.shape as [number, number, number, number])) : ours.data;
        let maxDiff = 0;
        for (let i = 0; i < d.length; i++) maxDiff = Math.max(maxDiff, Math.abs(d[i]! - ref4.data[i]!));
        // the golden spec's derived bound: 1e-4 × the tap's scale (logits: 1e-4 absolute, they are O(1))
        expect(maxDiff, `${name} ${tap.name}`).toBeLessThanOrEqual(1e-4 * Math.max(tap.scale, tap.name === 'classifier' ? 1 : 0));
        checked++;
      }
      expect(checked).toBeGreaterThanOrEqual(20); // features.0 … features.18 and the logits
    });
  }
});

describe('measured peak activation bytes', () => {
  it('1.0/224 on ts-fast: bit-identical to layer by layer, peak = the plan\'s footprint, ≤ 1.25 × Eq. (2)\'s |x| + |y|', () => {
    const plan = buildPlan({ classes: 1001 });
    const weights = randomClassifierWeights(plan, 5);
    const input = data(224 * 224 * 3, 3, -1, 1);
    const ref = classifierRun(createTsFastBackend(), plan, weights, input, 1);
    const eff = classifierRun(createTsFastBackend(), plan, weights, input, 1, 'efficient');
    expectSameTaps(eff.result.taps, ref.result.taps, 'ts-fast 224');
    expectBitIdentical(eff.result.output.data, ref.result.output.data, 'logits');
    const s = eff.stats!;
    expect(s.peakBytes).toBe(eff.mp!.footprintBytes);
    const b1 = eff.mp!.ops.find((o) => o.name === 'features.1')!;
    const thin = b1.eq2Bytes - b1.scratchBytes; // 112²·(32 + 16)·4 = 2,408,448
    expect(thin).toBe(2_408_448);
    console.log(`1.0/224 measured peak ${s.peakBytes} B = ${(s.peakBytes / thin).toFixed(3)} × |x|+|y| of the largest block; tile scratch ${s.tileScratchBytes} B`);
    expect(s.peakBytes).toBeLessThanOrEqual(1.25 * thin);
    // layer by layer in the same arena needs the expanded tensors: well above
    const lw = classifierRun(createTsFastBackend(), plan, weights, input, 1, 'layerwise');
    expectBitIdentical(lw.result.output.data, ref.result.output.data, 'layerwise arena logits');
    expect(lw.stats!.peakBytes).toBeGreaterThan(2 * s.peakBytes);
  });
});

describe('taps inside fused blocks', () => {
  it('asking for a tap a fused block never materialises is a one-line usage error, not a silently missing tap; materialize makes it exist', () => {
    const plan = buildPlan({ resolution: 64, width: 0.35, classes: 10 });
    const weights = randomClassifierWeights(plan, 7);
    const input = data(64 * 64 * 3, 4, -1, 1);
    const run = (materialize: string[]) => {
      const { backend } = memoryExecutionFor(createTsFastBackend(), { head: 'classifier', plan }, { memory: 'efficient', materialize });
      return forward(backend, plan, weights, input, [1, 64, 64, 3], { taps: ['features.3.conv.0', 'features.3'] });
    };
    expect(() => run([])).toThrow(/tap 'features\.3\.conv\.0' is inside a fused block \(memory 'efficient'\)/);
    const ref = forward(createTsFastBackend(), plan, weights, input, [1, 64, 64, 3], { taps: ['features.3.conv.0', 'features.3'] });
    const got = run(['features.3.conv.0']);
    expectBitIdentical(got.taps.get('features.3.conv.0')!.data, ref.taps.get('features.3.conv.0')!.data, 'materialized tap');
    expectBitIdentical(got.taps.get('features.3')!.data, ref.taps.get('features.3')!.data, 'block output');
  });
});

describe('heads', () => {
  it('DeepLab (OS 8, separable ASPP, width 0.5, 65²) and SSDLite (0.35, 128): bit-identical, SSDLite keeps features.14 layer by layer', () => {
    const dl = buildDeeplabPlan({ width: 0.5, resolution: 65, outputStride: 8, aspp: 'separable' });
    const dw = randomDeeplabWeights(dl, 2);
    const x = data(65 * 65 * 3, 4, -1, 1);
    const refD = deeplabForward(createScalarBackend(), dl, dw, x, [1, 65, 65, 3]);
    const { backend, stats } = memoryEfficientBackend(createScalarBackend(), { capacityBytes: runnerCapacityBytes(deeplabMemoryPlan(dl, { execution: 'efficient' })) });
    const effD = deeplabForward(backend, dl, dw, x, [1, 65, 65, 3]);
    expectBitIdentical(effD.logits.data, refD.logits.data, 'deeplab logits');
    expect(stats().fusedBlocks).toBe(17); // the backbone is cut after features.17: every bottleneck fuses

    const ss = buildSsdlitePlan({ width: 0.35, resolution: 128 });
    const sw = randomSsdliteWeights(ss, 3);
    const xs = data(2 * 128 * 128 * 3, 6, -1, 1);
    const refS = ssdliteForward(createScalarBackend(), ss, sw, xs, [2, 128, 128, 3]);
    const mp = ssdliteMemoryPlan(ss, { execution: 'efficient', batch: 2 });
    const eff = memoryEfficientBackend(createScalarBackend(), { capacityBytes: runnerCapacityBytes(mp), materialize: ss.featureMaps.map((m) => m.name) });
    const effS = ssdliteForward(eff.backend, ss, sw, xs, [2, 128, 128, 3]);
    expectBitIdentical(effS.boxEncodings, refS.boxEncodings, 'ssdlite boxes');
    expectBitIdentical(effS.classLogits, refS.classLogits, 'ssdlite classes');
    expect(eff.stats().fusedBlocks).toBe(16); // 17 bottlenecks but features.14 (its expansion is map 0)
    expect(eff.stats().layerwiseBlocks).toBe(3); // features.0, features.14, features.18
  });
});

describe('wasm-simd: the fused path runs the same WASM kernels on tiles', () => {
  const pair = wasmThreadPair();
  it('1 and 2 threads: fused = layer by layer on the same backend, bit for bit (0.35/96 and 1.0/224)', () => {
    for (const [width, res] of [[0.35, 96], [1, 224]] as const) {
      const plan = buildPlan({ width, resolution: res, classes: 1001 });
      const weights = randomClassifierWeights(plan, 9);
      const input = data(res * res * 3, 1, -1, 1);
      const outs: Float32Array[] = [];
      for (const b of [pair.one, pair.two]) {
        const ref = classifierRun(b, plan, weights, input, 1);
        const eff = classifierRun(b, plan, weights, input, 1, 'efficient');
        expectSameTaps(eff.result.taps, ref.result.taps, `wasm ${b.name} ${width}/${res}`);
        expectBitIdentical(eff.result.output.data, ref.result.output.data, `wasm ${width}/${res} logits`);
        outs.push(eff.result.output.data);
      }
      expectBitIdentical(outs[1]!, outs[0]!, `wasm 2 threads vs 1 thread ${width}/${res}`);
    }
  });
});

describe('the stem trick (Table 3 footnote): the stem conv as the expansion of features.1', () => {
  const pair = wasmThreadPair();
  it('bit-identical to layer by layer on ts-fast and wasm-simd 1/2 threads; measured peak = the stem-trick plan\'s footprint, below the plain efficient peak', () => {
    const plan = buildPlan({ width: 1, resolution: 224, classes: 1001 });
    const weights = randomClassifierWeights(plan, 11);
    const input = data(224 * 224 * 3, 12, -1, 1);
    const shape = [1, 224, 224, 3];
    const taps = plan.blocks.slice(1).map((b) => b.name); // features.0 is never materialised, so not offered
    for (const inner of [createTsFastBackend(), pair.one, pair.two]) {
      const ref = forward(inner, plan, weights, input, shape, { taps });
      const plain = memoryExecutionFor(inner, { head: 'classifier', plan }, { stemTrick: false });
      forward(plain.backend, plan, weights, input, shape);
      expect(plain.stats().stemFolded).toBe(false);
      // By default the trick is on where the backend runs it as one call of its own (wasm-simd), off elsewhere.
      const auto = memoryExecutionFor(inner, { head: 'classifier', plan });
      forward(auto.backend, plan, weights, input, shape);
      expect(auto.stats().stemFolded).toBe(inner.name === 'wasm-simd');
      const st = memoryExecutionFor(inner, { head: 'classifier', plan }, { stemTrick: true });
      const got = forward(st.backend, plan, weights, input, shape, { taps });
      const label = `stem trick on ${inner.name}`;
      expect(st.stats().stemFolded).toBe(true);
      expect(got.taps.has('features.0')).toBe(false);
      expectSameTaps(got.taps, ref.taps, label);
      expectBitIdentical(got.output.data, ref.output.data, `${label} logits`);
      if (inner.name === 'ts-fast') {
        // ts-fast's fused block needs exactly the plan's scratch, so the measured peak is the plan's footprint.
        expect(st.stats().peakBytes).toBe(classifierMemoryPlan(plan, { execution: 'efficient', stemTrick: true }).footprintBytes);
      }
      // The 112²·32 stem output (1,605,632 B) is gone; what takes its place is the fused stem's
      // scratch (the plan's band + tile, or wasm-simd's slots: ≤ 256 KiB per thread plus staging),
      // so the peak drops by more than half of it, and stays within the 1.25 × Eq. (2) of
      // the stem-trick plan.
      expect(st.stats().peakBytes).toBeLessThan(plain.stats().peakBytes - 1_605_632 / 2);
      expect(st.stats().peakBytes).toBeLessThanOrEqual(1.25 * classifierMemoryPlan(plan, { execution: 'efficient', stemTrick: true }).eq2Bytes);
    }
  });
});
