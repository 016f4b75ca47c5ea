// SPDX-License-Identifier: Apache-2.0
/**
 * `mobilenetv2 convert --to tflite` as a user runs it: torchvision weights (data/golden/c-real, with
 * PyTorch's symmetric padding kept through PAD ops) and seeded random networks for the three heads,
 * each file read back (readTfliteModel / importTflite) and, for the classifier, run by the real
 * interpreter against our forward pass; bad command lines give one line and exit 2.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { importTflite } from '../../src/io/tflite/import.js';
import { readTfliteModel, summarizeModel } from '../../src/io/tflite/model.js';
import { readSafetensorsStateDict } from '../../src/io/safetensors-state-dict.js';
import { loadTorchvision } from '../../src/io/torchvision.js';
import { forward } from '../../src/model/forward.js';
import { createScalarBackend } from '../../src/backend/scalar.js';
import { goldenPath } from '../helpers/golden-weights.js';
import { seededF32 } from '../helpers/arbitraries.js';
import { loadTfliteInterpreter } from '../helpers/tflite-oracle.js';
import { syntheticPhotoJpeg } from '../helpers/synthetic-photo.js';
import { load } from '../../src/api.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += t + '\n'; }, err: (t) => { err += t + '\n'; } });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'mnv2-convert-'));
const WEIGHTS = goldenPath('c-real', 'weights.safetensors');
const file = (path: string) => new Uint8Array(readFileSync(path));

describe('convert --to tflite', () => {
  it('torchvision weights: symmetric padding kept with PAD ops; the interpreter gives our logits (1e-4 × scale)', async () => {
    const out = join(dir, 'c-real.tflite');
    const r = await cli('convert', '--to', 'tflite', '--weights', WEIGHTS, '--resolution', '64', '--no-softmax', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/wrote .*c-real\.tflite \(\d+ bytes\): mobilenetv2 export: MobileNetV2 width 0\.35, 64x64, 10 classes, padding symmetric \(5 explicit PAD ops\), float32/);
    expect(r.err).not.toContain('RANDOM');
    const bytes = file(out);
    expect(summarizeModel(readTfliteModel(bytes, out))).toContain('PAD×5');
    const { plan, weights } = loadTorchvision(readSafetensorsStateDict(WEIGHTS), { resolution: 64, padding: 'symmetric' });
    const x = seededF32(64 * 64 * 3, 4, -2, 2);
    const ours = forward(createScalarBackend(), plan, weights, x, [1, 64, 64, 3]).output.data;
    const tfl = await loadTfliteInterpreter(bytes);
    try {
      const [theirs] = tfl.run([x]) as Float32Array[];
      let diff = 0, scale = 0;
      ours.forEach((v, i) => { diff = Math.max(diff, Math.abs(v - theirs![i]!)); scale = Math.max(scale, Math.abs(v)); });
      expect(diff).toBeLessThanOrEqual(1e-4 * scale);
    } finally {
      tfl.dispose();
    }
  });

  it('random classifier (TF SAME) imports back as a classifier with softmax', async () => {
    const out = join(dir, 'cls.tflite');
    const r = await cli('convert', '--to', 'tflite', '--random-seed', '7', '--width', '0.5', '--resolution', '96', '--classes', '5', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/RANDOM weights \(seed 7\) — for testing kernels and pipelines only/);
    const m = importTflite(file(out), out);
    expect([m.head, m.plan.options.width, m.plan.options.inputH, m.plan.classifier!.classes, m.outputs.softmax]).toEqual(['classifier', 0.5, 96, 5, true]);
  });

  it('random DeepLab and SSDLite (with and without the post-process op) import back', async () => {
    const dl = join(dir, 'dl.tflite');
    expect((await cli('convert', '--to', 'tflite', '--random-seed', '1', '--head', 'deeplab', '--width', '0.5', '--resolution', '65', '--classes', '4', '--out', dl)).code).toBe(0);
    const d = importTflite(file(dl), dl);
    expect([d.head, d.deeplab!.options.classes, d.deeplab!.options.outputStride]).toEqual(['deeplab', 4, 16]);

    const ssd = join(dir, 'ssd.tflite');
    expect((await cli('convert', '--to', 'tflite', '--random-seed', '2', '--head', 'ssdlite', '--width', '0.5', '--resolution', '128', '--regular-nms', '--max-detections', '5', '--out', ssd)).code).toBe(0);
    const s = importTflite(file(ssd), ssd).ssdlite!;
    expect([s.plan.anchors, s.plan.classes, s.postprocess!.useRegularNms, s.postprocess!.maxDetections]).toEqual([330, 91, true, 5]);

    const raw = join(dir, 'raw.tflite');
    expect((await cli('convert', '--to', 'tflite', '--random-seed', '2', '--head', 'ssdlite', '--width', '0.5', '--resolution', '128', '--classes', '21', '--no-postprocess', '--out', raw)).code).toBe(0);
    const t = importTflite(file(raw), raw).ssdlite!;
    expect([t.postprocess, t.anchorsSource, t.plan.classes]).toEqual([null, 'generated', 21]);
  });

  it('bad command lines: one line, exit 2 (usage) or 1 (files)', async () => {
    const out = join(dir, 'x.tflite');
    const cases: Array<[string[], number, RegExp]> = [
      [['convert', '--random-seed', '1', '--out', out], 2, /--to tflite is required/],
      [['convert', '--to', 'onnx', '--random-seed', '1', '--out', out], 2, /--to must be one of tflite, got 'onnx'/],
      [['convert', '--to', 'tflite', '--out', out], 2, /give exactly one of --weights W\.safetensors and --random-seed N/],
      [['convert', '--to', 'tflite', '--weights', WEIGHTS, '--random-seed', '1', '--out', out], 2, /give exactly one of/],
      [['convert', '--to', 'tflite', '--random-seed', '1'], 2, /--out MODEL\.tflite is required/],
      [['convert', '--to', 'tflite', '--weights', WEIGHTS, '--head', 'ssdlite', '--out', out], 2, /no SSDLite weight file format is read yet; use --random-seed N/],
      [['convert', '--to', 'tflite', '--random-seed', '1', '--head', 'deeplab', '--no-softmax', '--out', out], 2, /--no-softmax is for --head classifier/],
      [['convert', '--to', 'tflite', '--random-seed', '1', '--max-detections', '5', '--out', out], 2, /are for --head ssdlite/],
      [['convert', '--to', 'tflite', '--random-seed', '1.5', '--out', out], 2, /--random-seed must be an integer/],
      [['convert', '--to', 'tflite', '--random-seed', '1', '--head', 'yolo', '--out', out], 2, /--head must be one of classifier, deeplab, ssdlite/],
      [['convert', '--to', 'tflite', '--weights', join(dir, 'missing.safetensors'), '--out', out], 1, /missing\.safetensors/],
      [['convert', '--to', 'tflite', '--random-seed', '1', '--resolution', '64', '--out', join(dir, 'no', 'such', 'dir.tflite')], 2, /--out '.*dir\.tflite': directory '.*such' does not exist/],
    ];
    for (const [argv, code, msg] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(code);
      expect(r.err, argv.join(' ')).toMatch(msg);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });

  it('--int8: a full-integer int8 classifier calibrated on images; our integer path = the interpreter on its output (0 LSB)', async () => {
    const images = mkdtempSync(join(tmpdir(), 'mnv2-calib-'));
    for (const seed of [1, 2, 3]) writeFileSync(join(images, `photo${seed}.jpg`), syntheticPhotoJpeg({ width: 80, height: 72, seed }));
    const out = join(dir, 'c-real-int8.tflite');
    const r = await cli('convert', '--to', 'tflite', '--weights', WEIGHTS, '--resolution', '64', '--int8', '--calibration', images, '--calibration-count', '2', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('calibrated the activation ranges on 2 images (tf-inception)');
    expect(r.err).toMatch(/int8 post-training quantization \(per-channel weights, calibrated on 2 inputs\)/);
    const bytes = file(out);
    const imported = importTflite(bytes, out);
    expect(imported.integer?.type).toBe('int8');
    const model = await load({ model: out, backend: 'ts-fast', allowDownload: false });
    const tfl = await loadTfliteInterpreter(bytes);
    try {
      const x = Int8Array.from(seededF32(64 * 64 * 3, 9, -128, 127), (v) => Math.round(v));
      const [theirs] = tfl.run([x]);
      const probabilities = model.runTensor(x, [1, 64, 64, 3]).outputs.find((o) => o.name === 'probabilities')!.data;
      expect([...probabilities]).toEqual([...(theirs as Int8Array)]);
    } finally {
      tfl.dispose();
      model.dispose();
    }
    for (const argv of [['--int8'], ['--int8', '--calibration', images, '--head', 'deeplab'], ['--calibration', images]]) {
      const bad = await cli('convert', '--to', 'tflite', '--random-seed', '1', '--out', join(dir, 'x.tflite'), ...argv);
      expect(bad.code).toBe(2);
      expect(bad.err.trim().split('\n')).toHaveLength(1);
    }
  });

  it('help says what random weights are for', async () => {
    const r = await cli('help', 'convert');
    expect(r.out).toMatch(/--random-seed N +seeded RANDOM weights instead\. They recognise nothing/);
  });
});
