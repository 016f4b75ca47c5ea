// SPDX-License-Identifier: Apache-2.0
/**
 * The command line on a full-integer int8 SSDLite: `convert --head ssdlite --int8 --calibration`
 * writes one (seeded random weights, 0.5/128, 11 class slots, calibrated on synthetic photos), then
 * `run --model` writes the file's int8 LOGISTIC scores — identical to the interpreter's tensor — and
 * `detect` runs on the integer path by default (recorded in --json) with the detections of the
 * file's own TFLite_Detection_PostProcess on the same int8 input, value for value.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { load, type MobileNetV2Model } from '../../src/api.js';
import { readTfliteModel } from '../../src/io/tflite/model.js';
import { readNpyTypedFile, writeNpyTypedFile } from '../../src/io/npy.js';
import { syntheticPhotoJpeg } from '../helpers/synthetic-photo.js';
import { withGraphOutputs } from '../helpers/tflite-patch.js';
import { loadTfliteInterpreter, type TfliteInterpreter } from '../helpers/tflite-oracle.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += t + '\n'; }, err: (t) => { err += t + '\n'; } });
  return { code, out, err };
}

const RES = 128;
const dir = mkdtempSync(join(tmpdir(), 'mnv2-detect-int8-'));
const SSD = join(dir, 'ssdlite_int8.tflite');
const PHOTO = join(dir, 'photo.jpg');

describe('int8 SSDLite from the command line (convert --int8, run --model, detect)', () => {
  let interpreter: TfliteInterpreter;
  let model: MobileNetV2Model;
  beforeAll(async () => {
    const calibration = join(dir, 'calibration');
    mkdirSync(calibration);
    for (const seed of [1, 2, 3]) writeFileSync(join(calibration, `photo${seed}.jpg`), syntheticPhotoJpeg({ width: 180, height: 140, seed }));
    writeFileSync(PHOTO, syntheticPhotoJpeg({ width: 200, height: 150, seed: 9 }));
    const r = await cli('convert', '--to', 'tflite', '--random-seed', '3', '--head', 'ssdlite', '--width', '0.5', '--resolution', String(RES), '--classes', '11',
      '--int8', '--calibration', calibration, '--out', SSD);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('calibrated the activation ranges on 3 images (tf-inception)');
    expect(r.err).toMatch(/int8 post-training quantization \(per-channel weights, calibrated on 3 inputs\)/);
    // The interpreter reads the post-process op's outputs and, made graph outputs, the int8 scores.
    const bytes = new Uint8Array(readFileSync(SSD));
    const tensors = readTfliteModel(bytes, 'ssd').subgraphs[0]!;
    const scores = tensors.tensors.find((t) => t.name === 'raw_outputs/class_predictions')!.index;
    interpreter = await loadTfliteInterpreter(withGraphOutputs(bytes, [...tensors.outputs, scores]));
    model = await load({ model: SSD, backend: 'ts-fast', allowDownload: false });
  }, 120_000);
  afterAll(() => { interpreter?.dispose(); model?.dispose(); });

  it('run --model: int8 input → the file\'s int8 LOGISTIC scores, identical to the interpreter\'s; int8 taps', async () => {
    const { quantized } = await model.prepare(PHOTO);
    const input = join(dir, 'x.npy');
    writeNpyTypedFile(input, quantized!, [1, RES, RES, 3]);
    const output = join(dir, 'y.npy');
    const r = await cli('run', '--model', SSD, '--input', input, '--output', output, '--taps', join(dir, 'taps'));
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/integer arithmetic \(tflite-wasm\), wrote .*scores \[1, \d+, 11\]/);
    const y = readNpyTypedFile(output);
    expect(y.dtype).toBe('int8');
    const theirs = interpreter.run([quantized!])[4] as Int8Array;
    expect(Array.from(y.data as Int8Array)).toEqual(Array.from(theirs));
    expect(readNpyTypedFile(join(dir, 'taps', 'head.class.0.1.npy')).dtype).toBe('int8');
    const meta = JSON.parse(readFileSync(join(dir, 'taps', 'conventions.json'), 'utf8')) as { arithmetic: string };
    expect(meta.arithmetic).toBe('integer');
  }, 60_000);

  it('detect: integer path by default, recorded in --json; the detections of the file\'s post-process op', async () => {
    const r = await cli('detect', PHOTO, '--model', SSD, '--json', '--score', '0.2', '--backend', 'ts-fast');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { arithmetic: unknown; detections: Array<{ classIndex: number; score: number; box: { ymin: number; xmin: number; ymax: number; xmax: number } }> };
    expect(j.arithmetic).toEqual({ kind: 'integer', requantization: 'tflite-wasm' });
    const { quantized } = await model.prepare(PHOTO);
    const [boxes, classes, scores] = interpreter.run([quantized!]) as Float32Array[];
    const op = Array.from(scores!).filter((s) => s >= 0.2).length;
    expect(op, 'the random head scores some anchors above 0.2').toBeGreaterThan(0);
    expect(j.detections.length).toBe(op);
    j.detections.forEach((d, i) => {
      expect(d.classIndex).toBe(classes![i]);
      expect(d.score).toBe(scores![i]);
      expect([d.box.ymin, d.box.xmin, d.box.ymax, d.box.xmax]).toEqual(Array.from(boxes!.subarray(4 * i, 4 * i + 4)));
    });
    const text = await cli('detect', PHOTO, '--model', SSD, '--score', '0.2', '--backend', 'ts-fast');
    expect(text.out.split('\n')[0]).toMatch(/ssdlite_int8.*, integer tflite-wasm\)$/);
    // Per-class NMS on the integer path uses the file's own 8-bit scores: multiples of 1/256.
    const perClass = await cli('detect', PHOTO, '--model', SSD, '--json', '--score', '0.2', '--nms', 'per-class', '--backend', 'ts-fast');
    expect(perClass.code, perClass.err).toBe(0);
    const pc = (JSON.parse(perClass.out) as { detections: Array<{ score: number }> }).detections;
    expect(pc.length).toBeGreaterThan(0);
    for (const d of pc) expect(Number.isInteger(d.score * 256), `score ${d.score}`).toBe(true);
    const float = await cli('detect', PHOTO, '--model', SSD, '--json', '--arithmetic', 'float', '--backend', 'ts-fast');
    expect(float.code, float.err).toBe(0);
    expect((JSON.parse(float.out) as { arithmetic: unknown }).arithmetic).toEqual({ kind: 'float', requantization: null });
  }, 60_000);
});
