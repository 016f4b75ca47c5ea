// SPDX-License-Identifier: Apache-2.0
/**
 * `node dist/bench/fused-profile.js layerwise|efficient COUNT`: COUNT forward passes of MobileNetV2
 * 1.0/224 on wasm-simd (1 thread), layer by layer or with fused bottlenecks, and nothing else — a
 * fixed workload for `valgrind --tool=cachegrind --cache-sim=yes`, whose instruction and cache-miss
 * counts do not depend on what other processes do with the cores. Per-pass figures are the
 * difference between COUNT = k and COUNT = 1 divided by k − 1 (start-up, compilation and packing
 * cancel out); README.md (memory-efficient inference) cites the result:
 * valgrind --tool=cachegrind --cache-sim=yes --LL=1048576,16,64 node --no-liftoff --no-wasm-tier-up dist/bench/fused-profile.js efficient 3
 */
import { WasmSimdBackend } from '../src/backend/wasm-simd.js';
import { buildPlan } from '../src/model/plan.js';
import { forward } from '../src/model/forward.js';
import { memoryExecutionFor } from '../src/model/memory-efficient.js';
import { randomClassifierWeights } from '../src/io/tflite/export.js';

const mode = process.argv[2];
const count = Number(process.argv[3] ?? 1);
if (mode !== 'layerwise' && mode !== 'efficient') throw new Error('usage: fused-profile.js layerwise|efficient COUNT');
const plan = buildPlan({ width: 1, resolution: 224, classes: 1001 });
const weights = randomClassifierWeights(plan, 1);
const image = new Float32Array(224 * 224 * 3).map((_, i) => Math.sin(i * 0.37));
const inner = new WasmSimdBackend({ threads: 1 });
await inner.init();
const backend = mode === 'layerwise' ? inner : memoryExecutionFor(inner, { head: 'classifier', plan }).backend;
let sum = 0;
for (let i = 0; i < count; i++) sum += forward(backend, plan, weights, image, [1, 224, 224, 3]).output.data[0]!;
process.stdout.write(`${mode} ×${count}: ${sum}\n`);
await inner.disposeAsync();
