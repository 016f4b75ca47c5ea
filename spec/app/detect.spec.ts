// SPDX-License-Identifier: Apache-2.0
/**
 * detect() prepares images through prepare() under the SSD profile 'tf-od-api' unless another is
 * named, honours load({ profile, conventions }) and refuses conventions its boxes could not be
 * mapped back through (a central crop or a letterbox). A generated SSDLite (0.35/96, random
 * weights, our exporter) is enough: these are conventions, not accuracy.
 */
import { describe, expect, it } from 'vitest';
import { load } from '../../src/api.js';
import { buildSsdlitePlan } from '../../src/model/ssdlite.js';
import { defaultDetectionPostProcessOptions, exportSsdliteTflite, randomSsdliteWeights } from '../../src/io/tflite/export.js';
import { MobileNetV2Error } from '../../src/errors.js';

const plan = buildSsdlitePlan({ resolution: 96, width: 0.35, classes: 4 });
const bytes = exportSsdliteTflite(plan, randomSsdliteWeights(plan, 3), { postprocess: defaultDetectionPostProcessOptions(4) });
const image = { data: new Uint8Array(40 * 30 * 3).map((_, i) => (i * 53) % 256), width: 40, height: 30, channels: 3 as const };

describe('detect() and the conventions', () => {
  it("defaults to the 'tf-od-api' profile: the whole image, asymmetric bilinear, x/127.5 − 1; the record says so", async () => {
    const model = await load({ model: bytes, backend: 'scalar' });
    try {
      const r = await model.detect(image);
      expect(r.conventions.profile).toBeNull();
      expect(r.conventions.notes[0]).toBe('no profile named: the tf-od-api defaults apply');
      expect(r.conventions).toMatchObject({ resize: 'bilinear-asymmetric', fit: 'stretch', centralCrop: 1, classes: 4, labelOffset: 1 });
      expect(r.preprocessing.resize.method).toBe('bilinear-asymmetric');
      expect(r.preprocessing.normalization.name).toBe('tf-inception');
      expect(r.preprocessing.crop).toMatchObject({ x: 0, y: 0, width: 40, height: 30 });
    } finally {
      model.dispose();
    }
  });

  it('a named profile or override applies to detection too, and changes the numbers', async () => {
    const ssd = await load({ model: bytes, backend: 'scalar' });
    const tflite = await load({ model: bytes, backend: 'scalar', profile: 'tflite' });
    try {
      const a = await ssd.detect(image);
      const b = await tflite.detect(image);
      expect(b.preprocessing.resize.method).toBe('bilinear-half-pixel');
      expect(Array.from(a.classLogits)).not.toEqual(Array.from(b.classLogits));
    } finally {
      ssd.dispose();
      tflite.dispose();
    }
  });

  it('refuses a central crop or a letterbox, through which its boxes would not map back to the image', async () => {
    for (const conventions of [{ centralCrop: 0.875 }, { fit: 'pad-longer-side' as const }]) {
      const model = await load({ model: bytes, backend: 'scalar', conventions });
      try {
        await expect(model.detect(image)).rejects.toThrow(MobileNetV2Error);
        await expect(model.detect(image)).rejects.toThrow(/detect: boxes map back to the image only for the whole image stretched to the input/);
      } finally {
        model.dispose();
      }
    }
  });
});
