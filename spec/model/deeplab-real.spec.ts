// SPDX-License-Identifier: Apache-2.0
/**
 * Mobile DeepLabv3 with real trained weights: ../shared/models/deeplabv3_257_mv_gpu.tflite (float32,
 * width 0.5, OS 8, 257×257), imported by src/io/tflite/import.ts, run by deeplabForward, and
 * compared with the real TFLite interpreter (spec/helpers/tflite-oracle.ts) on the same input
 * tensor; then mapped back with segmentationFromLogits and compared with the ground-truth mask.
 * Skipped when ../shared is absent.
 *
 * Tolerance: the interpreter (XNNPACK) accumulates in float32, we in float64 with one rounding per
 * output; over 19 conv layers with reductions up to K = 960 the float32 error is ~√K·2⁻²⁴ per
 * layer, a few 1e-6 relative typically. Bound: 1e-4 × max |logit|. Class decisions may flip only
 * where two scores are within that bound of each other.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createScalarBackend } from '../../src/backend/scalar.js';
import { decodeImage } from '../../src/io/image/decode.js';
import { preprocessImage } from '../../src/io/image/preprocess.js';
import { importTflite } from '../../src/io/tflite/import.js';
import { deeplabForward } from '../../src/model/deeplab.js';
import { segmentationFromLogits } from '../../src/app/segment.js';
import { HAVE_SHARED, sharedPath } from '../helpers/shared.js';
import { loadTfliteInterpreter } from '../helpers/tflite-oracle.js';

describe.skipIf(!HAVE_SHARED)('Mobile DeepLabv3, real weights (deeplabv3_257_mv_gpu.tflite) on bird_segmentation.bmp', () => {
  it('our logits match the TFLite interpreter; the class map at 513×513 agrees with the ground truth like TFLite does', async () => {
    const file = 'deeplabv3_257_mv_gpu.tflite';
    const bytes = new Uint8Array(readFileSync(sharedPath('models', file)));
    const model = importTflite(bytes, file);
    const plan = model.deeplab!;
    expect(plan.options).toMatchObject({ width: 0.5, inputH: 257, outputStride: 8, aspp: 'none', classes: 21, divisor: 1 });
    expect(plan.featureShape).toEqual([33, 33, 160]);

    const img = decodeImage(new Uint8Array(readFileSync(sharedPath('images', 'bird_segmentation.bmp'))), 'bird_segmentation.bmp');
    const mask = decodeImage(new Uint8Array(readFileSync(sharedPath('images', 'bird_segmentation_mask.bmp'))), 'bird_segmentation_mask.bmp');
    const { tensor, record } = preprocessImage(img, { width: 257, height: 257, resize: 'bilinear-align-corners', normalization: 'tf-inception', fit: 'pad-longer-side' });
    const ours = deeplabForward(createScalarBackend(), plan, model.weights, tensor, [1, 257, 257, 3]).logits;

    const interpreter = await loadTfliteInterpreter(bytes);
    let ref: Float32Array;
    try {
      ref = interpreter.run([tensor])[0] as Float32Array;
    } finally {
      interpreter.dispose();
    }
    expect(ref.length).toBe(ours.data.length);
    let scale = 0;
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) {
      scale = Math.max(scale, Math.abs(ref[i]!));
      maxDiff = Math.max(maxDiff, Math.abs(ref[i]! - ours.data[i]!));
    }
    console.log(`deeplabv3_257_mv_gpu: max |ours − TFLite| ${maxDiff.toExponential(2)}, max |logit| ${scale.toFixed(2)}, relative ${(maxDiff / scale).toExponential(2)}`);
    expect(maxDiff).toBeLessThanOrEqual(1e-4 * scale);

    // Back to the 513×513 image; TFLite's own logits through the same mapping as the reference.
    const seg = segmentationFromLogits(ours, record);
    const refSeg = segmentationFromLogits({ data: ref, shape: [1, 257, 257, 21] }, record);
    const truth = mask.indices ?? Uint8Array.from({ length: mask.width * mask.height }, (_, i) => mask.data[i * 3]!);
    let agreeTruth = 0;
    let agreeTflite = 0;
    for (let i = 0; i < truth.length; i++) {
      if (seg.classMap.data[i] === truth[i]) agreeTruth++;
      if (seg.classMap.data[i] === refSeg.classMap.data[i]) agreeTflite++;
    }
    const n = truth.length;
    console.log(`class map vs ground truth ${(100 * agreeTruth / n).toFixed(2)} %, vs TFLite's logits ${(100 * agreeTflite / n).toFixed(3)} %; ${seg.present.map((id) => `${seg.legend[id]!.name} ${(100 * seg.legend[id]!.fraction).toFixed(1)} %`).join(', ')}`);
    expect(agreeTflite / n).toBeGreaterThan(0.999);
    expect(agreeTruth / n).toBeGreaterThan(0.96);
    expect(seg.present.slice(0, 2).map((id) => seg.legend[id]!.name)).toEqual(['background', 'bird']);
  });
});
