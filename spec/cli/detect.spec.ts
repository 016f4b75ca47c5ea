// SPDX-License-Identifier: Apache-2.0
/**
 * `mobilenetv2 detect` as a user runs it: an SSDLite .tflite (here a seeded random one written by
 * `mobilenetv2 convert --head ssdlite`, 160×160 to keep it quick), an image, printed detections,
 * `--json`, and `--out` writing a PNG at the image's original resolution with labelled boxes — plus
 * one-line errors for a non-image, a missing model, a classifier given to detect and bad options.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { decodeImage, encodePng } from '../../src/io/image/decode.js';
import { classColor, layoutDetections, type DrawableDetection, type Rect } from '../../src/io/image/draw.js';
import { HAVE_SHARED, sharedPath } from '../helpers/shared.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += t + '\n'; }, err: (t) => { err += t + '\n'; } });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'mnv2-detect-'));
const SSD = join(dir, 'ssdlite_random.tflite');
const CLS = join(dir, 'classifier_random.tflite');
const PICTURE = join(dir, 'picture.png');

/** A 201×149 RGB test picture (odd size: the output PNG must keep it). */
function writePicture(): void {
  const width = 201, height = 149;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + Math.floor(i / 603) * 11) % 256;
  writeFileSync(PICTURE, encodePng({ data, width, height, channels: 3, format: 'raw' }));
}

beforeAll(async () => {
  writePicture();
  const a = await cli('convert', '--to', 'tflite', '--random-seed', '5', '--head', 'ssdlite', '--resolution', '160', '--max-detections', '15', '--out', SSD);
  expect(a.code, a.err).toBe(0);
  const b = await cli('convert', '--to', 'tflite', '--random-seed', '1', '--width', '0.35', '--resolution', '64', '--out', CLS);
  expect(b.code, b.err).toBe(0);
});

describe.skipIf(!HAVE_SHARED)('detect on ../shared/images/street_dog_bicycle_truck.jpg', () => {
  const IMAGE = HAVE_SHARED ? sharedPath('images', 'street_dog_bicycle_truck.jpg') : '';

  it('prints the detections and writes a PNG at the original resolution with the boxes drawn', async () => {
    const out = join(dir, 'boxes.png');
    const r = await cli('detect', IMAGE, '--model', SSD, '--out', out, '--score', '0.3');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/street_dog_bicycle_truck\.jpg {2}768x576/);
    expect(lines[1]).toMatch(/^ {2}\d+ detections?: nms tflite, score >= 0\.3, IoU > 0\.6 suppressed, max 15$/);
    const dets = lines.slice(2);
    expect(dets.length).toBeGreaterThan(0);
    expect(dets[0]).toMatch(/^ +\d+\.\d%  .+ \(COCO id \d+\) +x -?\d+\.\d  y -?\d+\.\d  w \d+\.\d  h \d+\.\d$/);
    expect(r.err).toMatch(/wrote .*boxes\.png \(768x576, \d+ boxes\)/);
    const png = decodeImage(new Uint8Array(readFileSync(out)), out);
    expect([png.width, png.height]).toEqual([768, 576]);
    const original = decodeImage(new Uint8Array(readFileSync(IMAGE)), IMAGE);
    let changed = 0;
    for (let i = 0; i < png.data.length; i++) if (png.data[i] !== original.data[i]) changed++;
    expect(changed).toBeGreaterThan(1000);
  });

  it('--out: no label is drawn over another (label rectangles from layoutDetections, checked on the PNG read back)', async () => {
    const out = join(dir, 'labels.png');
    const r = await cli('detect', IMAGE, '--model', SSD, '--out', out, '--score', '0.2', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { detections: DrawableDetection[] };
    expect(j.detections.length).toBeGreaterThan(1);
    const png = decodeImage(new Uint8Array(readFileSync(out)), out);
    const L = layoutDetections(png.width, png.height, j.detections);
    const placed = L.labels.filter((l) => !l.overlaps);
    expect(placed.length).toBe(L.labels.length);
    const hit = (a: Rect, b: Rect): boolean => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
    for (const [i, a] of placed.entries()) {
      for (const b of placed.slice(i + 1)) expect(hit(a.rect, b.rect)).toBe(false);
      // the label's padding band (no text there) is all its colour: nothing was drawn over it
      for (let x = a.rect.x0; x < a.rect.x1; x++) {
        for (let y = a.rect.y0; y < a.rect.y0 + L.pad; y++) expect(Array.from(png.data.subarray((y * png.width + x) * 3, (y * png.width + x) * 3 + 3))).toEqual([...a.color]);
      }
    }
  });

  it('--json: boxes normalised and in pixels, label, COCO id, the full score vector', async () => {
    const r = await cli('detect', IMAGE, '--model', SSD, '--json', '--score', '0.3', '--nms', 'class-agnostic', '--iou', '0.5');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as {
      width: number; height: number; postprocessing: { nms: string; iouThreshold: number; clippedToImage: boolean };
      detections: Array<{ label: string; classIndex: number; cocoId: number; score: number; box: { xmin: number; xmax: number }; boxPixels: { x: number; width: number }; scores: number[] }>;
    };
    expect([j.width, j.height]).toEqual([768, 576]);
    expect(j.postprocessing).toMatchObject({ nms: 'class-agnostic', iouThreshold: 0.5, clippedToImage: true });
    expect(j.detections.length).toBeGreaterThan(0);
    for (const d of j.detections) {
      expect(d.cocoId).toBe(d.classIndex + 1);
      expect(d.score).toBeGreaterThan(0.3);
      expect(d.scores.length).toBe(90);
      expect(d.scores[d.classIndex]).toBeCloseTo(d.score, 6);
      expect(d.boxPixels.x).toBeCloseTo(d.box.xmin * 768, 2);
      expect(d.boxPixels.width).toBeCloseTo((d.box.xmax - d.box.xmin) * 768, 2);
    }
  });
});

describe('detect without ../shared', () => {
  it('a PNG of odd size: the output keeps 201×149 and shows the best box in its class colour', async () => {
    const out = join(dir, 'picture-boxes.png');
    const r = await cli('detect', PICTURE, '--model', SSD, '--out', out, '--score', '0.2', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as { detections: Array<{ classIndex: number }> };
    expect(j.detections.length).toBeGreaterThan(0);
    const png = decodeImage(new Uint8Array(readFileSync(out)), out);
    expect([png.width, png.height]).toEqual([201, 149]);
    const [cr, cg, cb] = classColor(j.detections[0]!.classIndex);
    let colored = 0;
    for (let i = 0; i < png.data.length; i += 3) if (png.data[i] === cr && png.data[i + 1] === cg && png.data[i + 2] === cb) colored++;
    expect(colored).toBeGreaterThan(50);
  });

  it('one-line errors: not an image, missing model, a classifier given to detect, bad options', async () => {
    const text = join(dir, 'notes.jpg');
    writeFileSync(text, 'these are not pixels\n');
    const cases: Array<[string[], number, RegExp]> = [
      [['detect', text, '--model', SSD], 1, /notes\.jpg: not a JPEG, PNG or BMP image/],
      [['detect', PICTURE, '--model', join(dir, 'missing.tflite')], 1, /model file '.*missing\.tflite' does not exist/],
      [['detect', PICTURE, '--model', CLS], 1, /is a classifier model; detect needs an SSD detector/],
      [['detect', PICTURE], 2, /--model PATH is required/],
      [['detect', '--model', SSD], 2, /give at least one image/],
      [['detect', PICTURE, '--model', SSD, '--score', '2'], 2, /--score must be a number in \[0, 1\]/],
      [['detect', PICTURE, '--model', SSD, '--nms', 'soft'], 2, /--nms must be one of tflite, per-class, class-agnostic/],
      [['detect', join(dir, 'nope.png'), '--model', SSD], 1, /nope\.png' does not exist/],
    ];
    for (const [argv, code, msg] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(code);
      expect(r.err).toMatch(msg);
      // The test's detector has random weights: load() says so on its own 'warning:' line.
      const errLines = r.err.trim().split('\n').filter((l) => !l.startsWith('warning: '));
      expect(errLines).toHaveLength(1);
      expect(errLines[0]).toMatch(/^mobilenetv2: error: /);
    }
  });

  it('help describes the options and the label convention', async () => {
    const r = await cli('help', 'detect');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--nms M +tflite: exactly what the file's TFLite_Detection_PostProcess op computes/);
    expect(r.out).toContain("'N/A' for the 10");
  });
});
