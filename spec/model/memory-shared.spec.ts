// SPDX-License-Identifier: Apache-2.0
/**
 * Every shared real model through load({ memory }): the memory-efficient path (fused bottlenecks in
 * a measured arena) gives BIT-IDENTICAL outputs to the layer-by-layer path, on ts-fast and on
 * wasm-simd with 2 threads; and the measured activation peak is far below the layer-by-layer plan.
 */
import { describe, expect, it } from 'vitest';
import { load, type BackendKind } from '../../src/api.js';
import { HAVE_SHARED, sharedPath } from '../helpers/shared.js';
import { expectBitIdentical } from '../backend/support.js';

const images = ['cat.bmp', 'grace_hopper.bmp', 'parrot.jpg'];

describe.skipIf(!HAVE_SHARED)('shared models: memory-efficient ≡ layer by layer', () => {
  for (const [backend, threads] of [['ts-fast', 1], ['wasm-simd', 2]] as const) {
    it(`mobilenet_v2_1.0_224_quant on ${backend}: same logits bit for bit on ${images.length} images`, async () => {
      const path = sharedPath('models', 'mobilenet_v2_1.0_224_quant.tflite');
      const lw = await load({ model: path, backend: backend as BackendKind, threads, allowDownload: false, memory: 'layerwise', arithmetic: 'float' });
      const ef = await load({ model: path, backend: backend as BackendKind, threads, allowDownload: false, memory: 'efficient', arithmetic: 'float' });
      try {
        for (const img of images) {
          const a = await lw.infer(sharedPath('images', img));
          const b = await ef.infer(sharedPath('images', img));
          expectBitIdentical(b.logits, a.logits, `${backend} ${img}`);
        }
        const s = ef.memoryStats()!;
        expect(s.fusedBlocks).toBe(17);
        // |x| + |y| of features.1 at 112² (32 + 16 channels, float32) = 2,408,448 B; the measured peak within 1.25×
        expect(s.peakBytes).toBeLessThanOrEqual(1.25 * 2_408_448);
        expect(lw.memoryStats()).toBeNull();
      } finally {
        lw.dispose();
        ef.dispose();
      }
    });
  }

  for (const file of ['deeplabv3_257_mv_gpu.tflite', 'deeplabv3_mnv2_pascal_quant.tflite']) {
    it(`${file} on wasm-simd: same class map and logits bit for bit`, async () => {
      const path = sharedPath('models', file);
      const lw = await load({ model: path, backend: 'wasm-simd', allowDownload: false, memory: 'layerwise', arithmetic: 'float' });
      const ef = await load({ model: path, backend: 'wasm-simd', allowDownload: false, memory: 'efficient', arithmetic: 'float' });
      try {
        const img = sharedPath('images', 'bird_segmentation.bmp');
        const a = await lw.segment(img, { logits: true });
        const b = await ef.segment(img, { logits: true });
        expectBitIdentical(b.logits!.data, a.logits!.data, `${file} logits`);
        expect(b.classMap.data).toEqual(a.classMap.data);
        expect(ef.memoryStats()!.fusedBlocks).toBe(17);
      } finally {
        lw.dispose();
        ef.dispose();
      }
    });
  }

  it('the default: efficient on wasm-simd (its fused block is the faster path), layerwise on ts-fast', async () => {
    const path = sharedPath('models', 'mobilenet_v2_1.0_224_quant.tflite');
    const w = await load({ model: path, backend: 'wasm-simd', allowDownload: false, arithmetic: 'float' });
    const t = await load({ model: path, backend: 'ts-fast', allowDownload: false, arithmetic: 'float' });
    try {
      expect(w.memory).toBe('efficient');
      expect(t.memory).toBe('layerwise');
      await w.infer(sharedPath('images', 'cat.bmp'));
      expect(w.memoryStats()!.fusedBlocks).toBe(17);
    } finally {
      w.dispose();
      t.dispose();
    }
  });
});
