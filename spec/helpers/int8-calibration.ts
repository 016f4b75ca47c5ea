// SPDX-License-Identifier: Apache-2.0
/**
 * The calibration set of our int8 re-quantization of the shared uint8 classifier (its ImageNet
 * weights, dequantized, then `exportClassifierTflite(…, { int8 })`), shared by
 * spec/io/tflite/export-int8.spec.ts and bench/integer.ts ('int8-ptq'): every shared photo except
 * cat.bmp (the image the checks evaluate) and the segmentation copy and mask, each prepared exactly
 * as the uint8 file's own inputs are (or as another model's, for spec/io/tflite/export-ssd-int8.spec.ts).
 * `sharedDir` is passed in: the bench runs from dist/.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load, type MobileNetV2Model } from '../../src/api.js';
import { loadTfliteInterpreter, type TfliteInterpreter } from './tflite-oracle.js';
import type { Tap } from '../../src/model/runner.js';

export const UINT8_CLASSIFIER = 'mobilenet_v2_1.0_224_quant.tflite';

/**
 * The calibration photos prepared as `model` (a .tflite path; default the shared uint8 classifier)
 * prepares its inputs — e.g. a float SSDLite export: the 'tf-od-api' stretch to its input size, x·2/255 − 1.
 */
export async function sharedPhotoCalibration(sharedDir: string, model = join(sharedDir, 'models', UINT8_CLASSIFIER)): Promise<Tap[]> {
  const uint8 = await load({ model, backend: 'ts-fast', allowDownload: false });
  try {
    const photos = readdirSync(join(sharedDir, 'images'))
      .filter((f) => /\.(bmp|jpg|png)$/.test(f) && !f.includes('mask') && f !== 'cat.bmp' && f !== 'bird_segmentation.bmp');
    return await Promise.all(photos.map(async (f) => {
      const p = await uint8.prepare(join(sharedDir, 'images', f));
      return { data: p.tensor, shape: p.shape };
    }));
  } finally {
    uint8.dispose();
  }
}

/**
 * An int8 file written to `dir` and opened twice: by our `load()` (WASM SIMD integer path) and by the
 * TFLite interpreter; `dispose` closes both and removes `dir`.
 */
export async function openWithInterpreter(bytes: Uint8Array, dir: string): Promise<{ model: MobileNetV2Model; interpreter: TfliteInterpreter; path: string; dispose(): void }> {
  const path = join(dir, 'int8.tflite');
  writeFileSync(path, bytes);
  const model = await load({ model: path, backend: 'wasm-simd', allowDownload: false });
  const interpreter = await loadTfliteInterpreter(bytes);
  return {
    model, interpreter, path,
    dispose: () => {
      interpreter.dispose();
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
