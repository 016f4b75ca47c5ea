// SPDX-License-Identifier: Apache-2.0
/**
 * Peer: TensorFlow.js (4.9.0) in Node, on the WASM backend (XNNPACK, SIMD; tfjs disables its
 * threaded build under Node, docs/peer-benchmarks.md) or the pure-JS CPU backend, running the graph
 * of bench/peers/tfjs-graph.ts (the same network from OUR folded weights).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BuiltModel } from '../models.js';
import { tfjsGraphRunner, type PeerRunner, type Tf } from './tfjs-graph.js';

export type { PeerRunner } from './tfjs-graph.js';

export async function createTfjsRunner(backend: 'wasm' | 'cpu', m: BuiltModel): Promise<PeerRunner> {
  const tf: Tf = await import('@tensorflow/tfjs-core');
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  } else {
    await import('@tensorflow/tfjs-backend-cpu');
  }
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
  await tf.ready();
  return tfjsGraphRunner(tf, backend, m);
}
