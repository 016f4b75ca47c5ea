// SPDX-License-Identifier: Apache-2.0
/**
 * The ONNX Runtime peer's session and timed call, with no Node import: Node's bench
 * (bench/peers/onnx.ts: onnxruntime-web or onnxruntime-node) and the in-browser bench page
 * (bench/browser/page.ts: onnxruntime-web) pass their `ort` module here.
 *
 * ONNX is NCHW: the NHWC input is transposed once, outside the timed region (as in
 * docs/peer-benchmarks.md). Timed region: tensor wrap → session.run → logits Float32Array.
 */
import type { BuiltModel } from '../models.js';
import type { PeerRunner } from './tfjs-graph.js';

export type Ort = typeof import('onnxruntime-web');

function nhwcToNchw(x: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let y = 0; y < h; y++) for (let i = 0; i < w; i++) for (let k = 0; k < c; k++) out[(k * h + y) * w + i] = x[(y * w + i) * c + k]!;
  return out;
}

/**
 * `model`: the ONNX file's path (Node) or URL (browser), or its bytes. `web`: the WASM build,
 * `threads` = ort.env.wasm.numThreads (set before the first session of this realm: ORT reads it
 * once); `node`: native, intraOpNumThreads = threads, sequential.
 */
export async function ortRunner(ort: Ort, flavour: 'web' | 'node', threads: number, m: BuiltModel, model: string | Uint8Array): Promise<PeerRunner> {
  let session: import('onnxruntime-web').InferenceSession;
  if (flavour === 'web') {
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.simd = true;
    const options = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' } as const;
    session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  } else {
    const options = {
      intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    } as import('onnxruntime-web').InferenceSession.SessionOptions;
    session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  }
  const [, h, w, c] = m.inputShape;
  const nchw = nhwcToNchw(m.input, h, w, c);
  return {
    label: flavour === 'web' ? `onnxruntime-web wasm (${threads} thread${threads > 1 ? 's' : ''})` : `onnxruntime-node native (${threads} thread${threads > 1 ? 's' : ''})`,
    async run() {
      const out = await session.run({ input: new ort.Tensor('float32', nchw, [1, c, h, w]) });
      return [out['logits']!.data as Float32Array];
    },
    async dispose() {
      await session.release();
    },
  };
}
