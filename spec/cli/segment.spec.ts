// SPDX-License-Identifier: Apache-2.0
/** `mobilenetv2 segment` as a user runs it: overlay and class-id PNGs at the original image size. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { decodeImage } from '../../src/io/image/decode.js';
import { legendLayout } from '../../src/io/image/draw.js';
import { vocColormap } from '../../src/model/segmentation.js';
import { HAVE_SHARED, sharedPath } from '../helpers/shared.js';
import { loadTfliteInterpreter } from '../helpers/tflite-oracle.js';
import { load } from '../../src/api.js';

const dir = mkdtempSync(join(tmpdir(), 'mnv2-seg-'));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += t + '\n'; }, err: (t) => { err += t + '\n'; } });
  return { code, out, err };
}

describe.skipIf(!HAVE_SHARED)('segment', () => {
  const model = () => sharedPath('models', 'deeplabv3_257_mv_gpu.tflite');

  it('street scene: overlay and class ids at 768×576, dog and bicycle found, JSON fractions sum to 1', async () => {
    const overlay = join(dir, 'overlay.png');
    const mask = join(dir, 'mask.png');
    const r = await cli('segment', sharedPath('images', 'street_dog_bicycle_truck.jpg'), '--model', model(), '--out', overlay, '--mask', mask, '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect([j.width, j.height]).toEqual([768, 576]);
    const names = j.classes.map((c: { name: string }) => c.name);
    expect(names).toEqual(expect.arrayContaining(['background', 'dog', 'bicycle']));
    expect(j.classes.reduce((s: number, c: { fraction: number }) => s + c.fraction, 0)).toBeCloseTo(1, 6);
    const o = decodeImage(new Uint8Array(readFileSync(overlay)), overlay);
    const m = decodeImage(new Uint8Array(readFileSync(mask)), mask);
    expect([o.width, o.height, m.width, m.height]).toEqual([768, 576, 768, 576]);
    const dogPixels = Array.from({ length: m.width * m.height }, (_, i) => m.data[3 * i]).filter((v) => v === 12).length;
    expect(dogPixels / (768 * 576)).toBeCloseTo(j.classes.find((c: { name: string }) => c.name === 'dog').fraction, 6);

    // The overlay's legend: one row per painted class (every class found except background), most
    // pixels first, each swatch in the class's VOC colour — read back from the PNG written.
    const painted = (j.classes as { id: number; name: string; pixels: number }[]).filter((c) => c.id !== 0).sort((a, b) => b.pixels - a.pixels || a.id - b.id);
    const voc = vocColormap(256);
    const L = legendLayout(768, 576, painted.map((c) => ({ name: c.name, color: [voc[c.id * 3]!, voc[c.id * 3 + 1]!, voc[c.id * 3 + 2]!] as const })))!;
    expect(L.rows.map((row) => row.name)).toEqual(painted.map((c) => c.name));
    for (const [i, row] of L.rows.entries()) {
      const id = painted[i]!.id;
      const q = row.swatch!;
      const cx = Math.floor((q.x0 + q.x1) / 2);
      const cy = Math.floor((q.y0 + q.y1) / 2);
      expect(Array.from(o.data.subarray((cy * 768 + cx) * 3, (cy * 768 + cx) * 3 + 3))).toEqual([voc[id * 3], voc[id * 3 + 1], voc[id * 3 + 2]]);
    }
    const noLegend = join(dir, 'overlay-plain.png');
    expect((await cli('segment', sharedPath('images', 'street_dog_bicycle_truck.jpg'), '--model', model(), '--out', noLegend, '--no-legend')).code).toBe(0);
    const p = decodeImage(new Uint8Array(readFileSync(noLegend)), noLegend);
    const { x1, y1 } = L.panel;
    let same = true;
    for (let y = 0; y < 576 && same; y++) for (let x = 0; x < 768; x++) {
      if (x < x1 && y < y1) continue;
      const k = (y * 768 + x) * 3;
      if (o.data[k] !== p.data[k] || o.data[k + 1] !== p.data[k + 1] || o.data[k + 2] !== p.data[k + 2]) { same = false; break; }
    }
    expect(same).toBe(true); // the legend changes nothing outside its panel
  });

  it('the quantized DeepLab runs in integer arithmetic by default (recorded in the header and --json): its class ids = the interpreter\'s ARG_MAX; --arithmetic float and --requantization switch it', async () => {
    const quant = sharedPath('models', 'deeplabv3_mnv2_pascal_quant.tflite');
    const image = sharedPath('images', 'bird_segmentation.bmp'); // 513×513: the model's own grid, no padding
    const mask = join(dir, 'mask-int.png');
    const r = await cli('segment', image, '--model', quant, '--mask', mask, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).arithmetic).toEqual({ kind: 'integer', requantization: 'tflite-wasm' });
    // The file ends in ARG_MAX over its uint8 logits: the interpreter's class per pixel.
    const m = await load({ model: quant, backend: 'scalar', allowDownload: false });
    const pixels = (await m.prepare(image)).quantized!;
    m.dispose();
    const interpreter = await loadTfliteInterpreter(new Uint8Array(readFileSync(quant)));
    const [theirs] = interpreter.run([pixels]);
    interpreter.dispose();
    const ids = decodeImage(new Uint8Array(readFileSync(mask)), mask);
    expect([ids.width, ids.height]).toEqual([513, 513]);
    let differ = 0;
    for (let i = 0; i < 513 * 513; i++) if (ids.data[3 * i] !== Number(theirs![i])) differ++;
    expect(differ).toBe(0);

    const text = await cli('segment', image, '--model', quant);
    expect(text.out.split('\n')[0]).toContain('(deeplabv3_mnv2_pascal_quant, integer tflite-wasm)');
    const float = await cli('segment', image, '--model', quant, '--arithmetic', 'float', '--json');
    expect(JSON.parse(float.out).arithmetic).toEqual({ kind: 'float', requantization: null });
    expect(JSON.parse(float.out).classes).not.toEqual(JSON.parse(r.out).classes); // the two arithmetics differ on this image
    const reference = await cli('segment', image, '--model', quant, '--requantization', 'tflite-reference', '--json');
    expect(JSON.parse(reference.out).arithmetic).toEqual({ kind: 'integer', requantization: 'tflite-reference' });
    for (const [args, pattern] of [
      [['--model', quant, '--arithmetic', 'fixed'], /--arithmetic must be one of integer, float/],
      [['--model', model(), '--arithmetic', 'integer'], /arithmetic 'integer' is not available: it has float weights/],
    ] as const) {
      const bad = await cli('segment', image, ...args);
      expect(bad.code).not.toBe(0);
      expect(bad.err.trim().split('\n')).toHaveLength(1);
      expect(bad.err).toMatch(pattern);
    }
  });

  it('a classifier given to segment, a non-image and a missing file are one-line errors', async () => {
    for (const [args, pattern] of [
      [['segment', sharedPath('images', 'cat.bmp'), '--model', sharedPath('models', 'mobilenet_v2_1.0_224_quant.tflite')], /classifier model; segment needs a Mobile DeepLabv3 model/],
      [['segment', sharedPath('labels', 'pascal_voc_21.txt'), '--model', model()], /not a JPEG, PNG or BMP image/],
      [['segment', join(dir, 'nope.jpg'), '--model', model()], /does not exist/],
    ] as const) {
      const r = await cli(...args);
      expect(r.code).not.toBe(0);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(pattern);
    }
  });
});
