// SPDX-License-Identifier: Apache-2.0
/**
 * Convention profiles: the four named profiles, overrides one field at a time with the change
 * recorded, facts of the weights winning over the profile; and the same torchvision weights run
 * under the torchvision and tf-slim profiles giving different logits, each matching its own
 * PyTorch reference (data/golden for torchvision; spec/oracle/fixtures/make_tf_slim_reference.py
 * for TF SAME + ε 1e-3, computed by torch with explicit asymmetric padding).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROFILE_NAMES, PROFILES, resolveConventions } from '../../src/io/conventions.js';
import { FITS, NORMALIZATION_NAMES, preprocessImage, RESIZE_METHODS } from '../../src/io/image/preprocess.js';
import { buildDeeplabPlan, UPSAMPLING_MODES } from '../../src/model/deeplab.js';
import { segmentationFromLogits } from '../../src/app/segment.js';
import { RESIZE_COORDINATE_MODES } from '../../kernels/f32-resize-nhwc.js';
import { readNpyFile } from '../../src/io/npy.js';
import { MobileNetV2Error } from '../../src/errors.js';
import { goldenPath } from '../helpers/golden-weights.js';
import { cli, goldenWeightsFile, tempDir } from './helpers.js';

const dir = tempDir('mnv2-profiles-');
const INPUT = goldenPath('a-w100-r32', 'input.npy');
const FIXTURE = join(import.meta.dirname, 'fixtures', 'a-w100-r32-tf-slim.npy');

describe('profiles', () => {
  it('the five profiles set every field, with provenance', () => {
    expect(PROFILE_NAMES).toEqual(['torchvision', 'tf-slim', 'keras', 'tflite', 'tf-od-api']);
    const tv = resolveConventions('torchvision');
    expect(tv).toMatchObject({ padding: 'symmetric', bnEps: 1e-5, weightLayout: 'OIHW', activationLayout: 'NCHW', resize: 'bilinear-half-pixel', centralCrop: 0.875, labelOffset: 0, classes: 1000 });
    expect(tv.normalization.name).toBe('torch-imagenet');
    const slim = resolveConventions('tf-slim');
    expect(slim).toMatchObject({ padding: 'tf-same', bnEps: 1e-3, weightLayout: 'HWIO', activationLayout: 'NHWC', resize: 'bilinear-asymmetric', centralCrop: 0.875, labelOffset: 1, classes: 1001 });
    expect(slim.normalization.name).toBe('tf-inception');
    expect(resolveConventions('keras')).toMatchObject({ padding: 'tf-same', bnEps: 1e-3, labelOffset: 0, classes: 1000, centralCrop: 1 });
    expect(resolveConventions('tflite')).toMatchObject({ padding: 'tf-same', bnEps: null, weightLayout: 'OHWI', labelOffset: 1, classes: 1001 });
    // The SSD exports' fixed_shape_resizer: TF1's legacy asymmetric grid over the whole image, where the
    // TFLite classifiers' examples use half-pixel centres; 91 COCO slots with the background at 0.
    const ssd = resolveConventions('tf-od-api');
    expect(ssd).toMatchObject({ padding: 'tf-same', bnEps: null, weightLayout: 'OHWI', resize: 'bilinear-asymmetric', centralCrop: 1, fit: 'stretch', labelOffset: 1, classes: 91 });
    expect(ssd.normalization.name).toBe('tf-inception');
    expect(ssd.resize).not.toBe(resolveConventions('tflite').resize);
    for (const p of PROFILE_NAMES) expect(PROFILES[p].provenance.length).toBeGreaterThanOrEqual(5);
  });

  it('an override changes one field and is recorded; facts of the weights win over the profile', () => {
    const c = resolveConventions('tf-slim', { bnEps: 1e-5, resize: 'bilinear-half-pixel' }, { classes: 1000, weightLayout: 'OIHW' });
    expect(c).toMatchObject({ padding: 'tf-same', bnEps: 1e-5, resize: 'bilinear-half-pixel', classes: 1000, labelOffset: 0, weightLayout: 'OIHW' });
    expect(c.changes.map((x) => [x.field, x.reason])).toEqual([['bnEps', 'override'], ['weightLayout', 'model'], ['resize', 'override'], ['classes', 'model'], ['labelOffset', 'model']]);
    expect(() => resolveConventions('caffe' as never)).toThrow(MobileNetV2Error);
    expect(() => resolveConventions('keras', { centralCrop: 1.5 })).toThrow(/central crop/);
  });
});

describe('one validated list per convention value', () => {
  const img = { data: new Uint8Array(5 * 4 * 3).map((_, i) => (i * 37) % 256), width: 5, height: 4, channels: 3 as const, format: 'raw' as const };

  it('resize methods: every listed one is accepted by the profiles, preprocessing and the loader; anything else is refused naming the list', () => {
    // Two kernels × the kernels' sampling grids, nothing else.
    expect(new Set(RESIZE_METHODS)).toEqual(new Set(['bilinear', 'nearest'].flatMap((k) => RESIZE_COORDINATE_MODES.map((m) => `${k}-${m}`))));
    for (const p of PROFILE_NAMES) expect(RESIZE_METHODS).toContain(PROFILES[p].resize);
    const tensors = RESIZE_METHODS.map((resize) => {
      expect(resolveConventions('tflite', { resize }).resize).toBe(resize);
      return Array.from(preprocessImage(img, { width: 8, height: 7, resize, normalization: 'unit' }).tensor).join();
    });
    expect(new Set(tensors).size).toBe(RESIZE_METHODS.length); // every choice gives different numbers
    expect(() => resolveConventions('tflite', { resize: 'bicubic' as never })).toThrow(`resize must be one of ${RESIZE_METHODS.join(', ')}, got 'bicubic'`);
  });

  it('normalizations and fits: the profiles use only listed values; unknown ones are refused', () => {
    for (const p of PROFILE_NAMES) {
      expect(NORMALIZATION_NAMES).toContain(PROFILES[p].normalization);
      expect(FITS).toContain(PROFILES[p].fit);
    }
    expect(NORMALIZATION_NAMES).toEqual(['tf-inception', 'torch-imagenet', 'unit', 'raw-uint8']);
    expect(() => resolveConventions('tflite', { fit: 'crop' as never })).toThrow("fit must be 'stretch' or 'pad-longer-side', got 'crop'");
    expect(() => resolveConventions('tflite', { normalization: 'caffe' as never })).toThrow(/unknown normalization 'caffe'/);
  });

  it("DeepLab upsampling grids: the plan and segmentation's score resize check the same list", () => {
    expect(UPSAMPLING_MODES).toEqual(['align-corners', 'half-pixel']);
    for (const upsampling of UPSAMPLING_MODES) expect(buildDeeplabPlan({ resolution: 65, width: 0.35, upsampling }).options.upsampling).toBe(upsampling);
    expect(() => buildDeeplabPlan({ resolution: 65, width: 0.35, upsampling: 'asymmetric' as never })).toThrow("upsampling must be 'align-corners' or 'half-pixel', got 'asymmetric'");
    const logits = { data: new Float32Array(2 * 2 * 3), shape: [1, 2, 2, 3] as const };
    expect(() => segmentationFromLogits(logits, null, { output: 'model-size', resize: 'asymmetric' as never }))
      .toThrow("segmentation: resize must be 'align-corners' or 'half-pixel', got 'asymmetric'");
  });
});

describe('run --profile', () => {
  const W = goldenWeightsFile('a-w100-r32', dir);
  const golden = readNpyFile(goldenPath('a-w100-r32', 'taps', 'classifier.npy'));

  async function logits(...flags: string[]): Promise<Float32Array> {
    const out = join(dir, `y${flags.join('_')}.npy`);
    const taps = join(dir, `taps${flags.join('_')}`);
    const r = await cli('run', '--weights', W, '--input', INPUT, '--output', out, '--taps', taps, ...flags);
    expect(r.code, r.err).toBe(0);
    return readNpyFile(out).data;
  }
  const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

  it('torchvision and tf-slim give different logits from the same weights, each matching its PyTorch reference', async () => {
    const tv = await logits('--profile', 'torchvision');
    const slim = await logits('--profile', 'tf-slim');
    const slimRef = readNpyFile(FIXTURE).data;
    // Acceptance bound of the goldens (spec/model/golden.spec.ts): 1e-4 absolute on O(1) logits.
    expect(maxDiff(tv, golden.data)).toBeLessThanOrEqual(1e-4);
    expect(maxDiff(slim, slimRef)).toBeLessThanOrEqual(1e-4);
    expect(maxDiff(tv, slim)).toBeGreaterThan(0.1);
  });

  it('tf-slim matches the real TFLite interpreter running our export of the same weights (TF SAME, BN folded with ε 1e-3)', async () => {
    // The exporter is another issue's work: skip (visibly) if its entry point is not there.
    const mod = (await import('../../src/io/tflite/export.js').catch(() => null)) as unknown as
      { exportClassifierTflite?: (plan: unknown, weights: unknown, o: { softmax: boolean }) => Uint8Array } | null;
    if (!mod?.exportClassifierTflite) { console.warn('[conventions.spec] no TFLite exporter: skipping the interpreter check'); return; }
    const { loadTfliteInterpreter } = await import('../helpers/tflite-oracle.js');
    const { loadTorchvision } = await import('../../src/io/torchvision.js');
    const { readSafetensorsStateDict } = await import('../../src/io/safetensors-state-dict.js');
    const { nchwToNhwc } = await import('../../src/model/layout.js');
    const { plan, weights } = loadTorchvision(readSafetensorsStateDict(W), { resolution: 32, padding: 'tf-same' }, { bnEps: 1e-3 });
    const interpreter = await loadTfliteInterpreter(mod.exportClassifierTflite(plan, weights, { softmax: false }));
    try {
      const slim = await logits('--profile', 'tf-slim');
      const x = readNpyFile(INPUT);
      const nhwc = nchwToNhwc(x.data, 2, 3, 32, 32);
      for (let b = 0; b < 2; b++) {
        const [out] = interpreter.run([nhwc.subarray(b * 32 * 32 * 3, (b + 1) * 32 * 32 * 3)]);
        expect(maxDiff(out as Float32Array, slim.subarray(b * 1000, (b + 1) * 1000))).toBeLessThanOrEqual(1e-4);
      }
    } finally {
      interpreter.dispose();
    }
  });

  it('a single override on top of a profile (tf-slim with --bn-eps 1e-5) is recorded in conventions.json', async () => {
    await logits('--profile', 'tf-slim', '--bn-eps', '1e-5');
    const meta = JSON.parse(readFileSync(join(dir, 'taps--profile_tf-slim_--bn-eps_1e-5', 'conventions.json'), 'utf8'));
    expect(meta.conventions).toMatchObject({ profile: 'tf-slim', padding: 'tf-same', bnEps: 1e-5, weightLayout: 'OIHW', activationLayout: 'NCHW', classes: 1000, labelOffset: 0 });
    expect(meta.conventions.changes.map((c: { field: string; reason: string }) => `${c.field}:${c.reason}`)).toEqual(
      expect.arrayContaining(['bnEps:override', 'weightLayout:model', 'activationLayout:override', 'classes:model', 'labelOffset:model']));
  });

  it('an unknown profile is a one-line usage error', async () => {
    const r = await cli('run', '--weights', W, '--input', INPUT, '--output', join(dir, 'z.npy'), '--profile', 'caffe');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown convention profile 'caffe'/);
  });
});
