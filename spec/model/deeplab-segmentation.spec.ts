// SPDX-License-Identifier: Apache-2.0
/**
 * Mobile DeepLabv3 output handling (src/model/segmentation.ts): logits at the model resolution →
 * class map at the original image's resolution through the preprocessing record (undo the
 * padding, undo the resize), argmax ties, probabilities, per-class fractions, the VOC legend and
 * palette, and the PNG-ready renderings.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { f32ArgmaxLastAxis } from '../../kernels/f32-argmax-nhwc.js';
import { f32ResizeBilinearNhwc, f32ResizeNearestNhwc } from '../../kernels/f32-resize-nhwc.js';
import { decodeImage, encodePng } from '../../src/io/image/decode.js';
import type { RgbImage } from '../../src/io/image/image.js';
import { preprocessImage } from '../../src/io/image/preprocess.js';
import { NO_PREDICTION, vocColor, vocColormap } from '../../src/model/segmentation.js';
import { segmentationFromLogits, type SegmentationMapping } from '../../src/app/segment.js';
import { PASCAL_VOC_LABELS } from '../../src/io/labels.js';
import { MobileNetV2Error } from '../../src/errors.js';
import { HAVE_SHARED, sharedPath } from '../helpers/shared.js';
import { seededUniform } from '../../src/model/random.js';
import { renderClassMap, renderOverlay } from '../../src/io/image/render-segmentation.js';

/** Deterministic uniform floats: the project's one seeded generator. */
const rng = seededUniform;

function mapping(sourceW: number, sourceH: number, content: { x: number; y: number; width: number; height: number }, crop?: { x: number; y: number; width: number; height: number }): SegmentationMapping {
  const c = crop ?? { x: 0, y: 0, width: sourceW, height: sourceH };
  return { source: { width: sourceW, height: sourceH }, crop: c, content };
}

/** A synthetic RGB image: grey background, a pure-red rectangle [x0, x1) × [y0, y1). */
function rectangleImage(w: number, h: number, r: { x0: number; x1: number; y0: number; y1: number }): RgbImage {
  const data = new Uint8Array(w * h * 3).fill(40);
  for (let y = r.y0; y < r.y1; y++) for (let x = r.x0; x < r.x1; x++) data.set([255, 0, 0], (y * w + x) * 3);
  return { data, width: w, height: h, channels: 3, format: 'raw' };
}

/** Two-class "network": class 1 scores the red channel (−1 … 1 after tf-inception), class 0 scores 0. */
function redLogits(tensor: Float32Array, H: number, W: number): { data: Float32Array; shape: number[] } {
  const out = new Float32Array(H * W * 2);
  for (let p = 0; p < H * W; p++) out[p * 2 + 1] = tensor[p * 3]!;
  return { data: out, shape: [1, H, W, 2] };
}

describe('legend and palette', () => {
  it('the 21 PASCAL VOC names, 0 = background, as in ../shared/labels/pascal_voc_21.txt', () => {
    expect(PASCAL_VOC_LABELS).toHaveLength(21);
    expect(PASCAL_VOC_LABELS[0]).toBe('background');
    expect(PASCAL_VOC_LABELS[15]).toBe('person');
    if (!HAVE_SHARED) return;
    const lines = readFileSync(sharedPath('labels', 'pascal_voc_21.txt'), 'utf8').split('\n');
    expect(lines.slice(0, 21)).toEqual([...PASCAL_VOC_LABELS]);
  });

  it('the VOC colormap (bit-interleaved): known entries, and 256 distinct colours', () => {
    expect(vocColor(0)).toEqual([0, 0, 0]);
    expect(vocColor(1)).toEqual([128, 0, 0]);
    expect(vocColor(2)).toEqual([0, 128, 0]);
    expect(vocColor(3)).toEqual([128, 128, 0]);
    expect(vocColor(4)).toEqual([0, 0, 128]);
    expect(vocColor(8)).toEqual([64, 0, 0]);
    expect(vocColor(12)).toEqual([64, 0, 128]); // dog
    expect(vocColor(15)).toEqual([192, 128, 128]); // person
    expect(vocColor(20)).toEqual([0, 64, 128]); // tvmonitor
    expect(vocColor(255)).toEqual([224, 224, 192]); // void
    const cm = vocColormap();
    expect(cm).toHaveLength(768);
    const seen = new Set<number>();
    for (let i = 0; i < 256; i++) seen.add((cm[i * 3]! << 16) | (cm[i * 3 + 1]! << 8) | cm[i * 3 + 2]!);
    expect(seen.size).toBe(256);
  });
});

describe('segmentationFromLogits: back to the original image', () => {
  it('is exactly the kernels: crop the content box, f32ResizeBilinearNhwc to the crop size, f32ArgmaxLastAxis (nearest: argmax then f32ResizeNearestNhwc, as DeepLab exports)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 3, max: 20 }), fc.integer({ min: 3, max: 20 }), fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.constantFrom('align-corners' as const, 'half-pixel' as const),
      fc.integer(), fc.nat(), fc.nat(), fc.nat(), fc.nat(),
      (H, W, K, srcW, srcH, mode, seed, a, b, c, d) => {
        const next = rng(seed);
        const logits = new Float32Array(H * W * K).map(() => Math.fround((next() - 0.5) * 8));
        // A content box anywhere inside the model grid.
        const cw = 1 + (a % W);
        const ch = 1 + (b % H);
        const content = { x: c % (W - cw + 1), y: d % (H - ch + 1), width: cw, height: ch };
        const seg = segmentationFromLogits({ data: logits, shape: [1, H, W, K] }, mapping(srcW, srcH, content), { resize: mode, logits: true });
        const box = new Float32Array(ch * cw * K);
        for (let y = 0; y < ch; y++) box.set(logits.subarray(((content.y + y) * W + content.x) * K, ((content.y + y) * W + content.x + cw) * K), y * cw * K);
        const resized = new Float32Array(srcH * srcW * K);
        f32ResizeBilinearNhwc(resized, box, { n: 1, inH: ch, inW: cw, c: K, outH: srcH, outW: srcW }, mode);
        const ids = new Int32Array(srcH * srcW);
        f32ArgmaxLastAxis(ids, resized, { rows: srcH * srcW, cols: K });
        expect(seg.classMap).toMatchObject({ width: srcW, height: srcH, classes: K });
        expect(seg.classMap.data).toEqual(ids);
        expect(seg.logits!.data).toEqual(resized);
        expect(seg.logits!.shape).toEqual([1, srcH, srcW, K]);
        // 'nearest' = DeepLab's exporter: argmax on the content, then a nearest-neighbour resize of the labels.
        const near = segmentationFromLogits({ data: logits, shape: [1, H, W, K] }, mapping(srcW, srcH, content), { resize: mode, interpolation: 'nearest' });
        const boxIds = new Int32Array(ch * cw);
        f32ArgmaxLastAxis(boxIds, box, { rows: ch * cw, cols: K });
        const labels = new Float32Array(boxIds);
        const resizedLabels = new Float32Array(srcH * srcW);
        f32ResizeNearestNhwc(resizedLabels, labels, { n: 1, inH: ch, inW: cw, c: 1, outH: srcH, outW: srcW }, mode);
        expect(near.classMap.data).toEqual(Int32Array.from(resizedLabels));
        expect(near.policy.interpolation).toBe('nearest');
      }), { numRuns: 200, seed: 99 });
  });

  it('a known rectangle of a 300×200 image comes back at the right place (real preprocessing: pad longer side, 257 and 129, top-left and centred)', () => {
    const rect = { x0: 70, x1: 181, y0: 40, y1: 151 };
    const img = rectangleImage(300, 200, rect);
    for (const [size, padPosition] of [[257, 'top-left'], [129, 'center'], [65, 'top-left']] as const) {
      const { tensor, record } = preprocessImage(img, { width: size, height: size, resize: 'bilinear-align-corners', normalization: 'tf-inception', fit: 'pad-longer-side', padPosition });
      expect(record.content.width).toBe(size);
      expect(record.content.height).toBeLessThan(size); // padded
      const seg = segmentationFromLogits(redLogits(tensor, size, size), record);
      expect([seg.classMap.width, seg.classMap.height]).toEqual([300, 200]);
      // Away from the edge (the down-and-up resize blurs by about one model pixel) the map is the rectangle.
      const margin = Math.ceil(300 / size) + 1;
      let wrong = 0;
      for (let y = 0; y < 200; y++) for (let x = 0; x < 300; x++) {
        const inside = x >= rect.x0 && x < rect.x1 && y >= rect.y0 && y < rect.y1;
        const dist = Math.min(Math.abs(x - rect.x0), Math.abs(x - (rect.x1 - 1)), Math.abs(y - rect.y0), Math.abs(y - (rect.y1 - 1)));
        const id = seg.classMap.data[y * 300 + x]!;
        if (id !== (inside ? 1 : 0)) {
          wrong++;
          expect(dist, `${size} ${padPosition}: pixel (${x}, ${y}) is ${id}`).toBeLessThan(margin);
        }
      }
      expect(wrong).toBeLessThan(2 * (111 + 111) * margin);
      const frac = seg.legend[1]!.fraction;
      expect(Math.abs(frac - (111 * 111) / (300 * 200))).toBeLessThan(0.02);
    }
  });

  it('exact for affine scores: a half-plane at x ≥ x0, y ≥ y0 of any source size maps back to exactly those pixels', () => {
    fc.assert(fc.property(
      fc.integer({ min: 2, max: 400 }), fc.integer({ min: 2, max: 400 }), fc.integer({ min: 33, max: 129 }),
      fc.constantFrom('top-left' as const, 'center' as const), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }),
      (srcW, srcH, size, padPosition, fx, fy) => {
        const { record } = preprocessImage({ data: new Uint8Array(srcW * srcH * 3), width: srcW, height: srcH, channels: 3, format: 'raw' },
          { width: size, height: size, resize: 'bilinear-align-corners', normalization: 'tf-inception', fit: 'pad-longer-side', padPosition });
        const x0 = Math.floor(fx * srcW);
        const y0 = Math.floor(fy * srcH);
        const { content, crop } = record;
        // Content pixel (mx, my) sampled the source point (mx − cx)·(cropW − 1)/(cw − 1) (align corners), same
        // for y. Class 1 scores how far that point lies right of x0 − ½ (class 2: below y0 − ½); class 0
        // scores 0. Padding gets huge class-3 scores: they must never leak into the original image.
        const K = 4;
        const scores = (axis: 'x' | 'y'): Float32Array => {
          const logits = new Float32Array(size * size * K);
          for (let my = 0; my < size; my++) for (let mx = 0; mx < size; mx++) {
            const p = (my * size + mx) * K;
            const inContent = mx >= content.x && mx < content.x + content.width && my >= content.y && my < content.y + content.height;
            if (!inContent) { logits[p + 3] = 1000; continue; }
            if (axis === 'x') {
              const sx = content.width === 1 ? 0 : ((mx - content.x) * (crop.width - 1)) / (content.width - 1);
              logits[p + 1] = sx - (x0 - 0.5);
            } else {
              const sy = content.height === 1 ? 0 : ((my - content.y) * (crop.height - 1)) / (content.height - 1);
              logits[p + 2] = sy - (y0 - 0.5);
            }
          }
          return logits;
        };
        const segX = segmentationFromLogits({ data: scores('x'), shape: [1, size, size, K] }, record);
        const segY = segmentationFromLogits({ data: scores('y'), shape: [1, size, size, K] }, record);
        let firstWrong = '';
        for (let y = 0; y < srcH && !firstWrong; y++) for (let x = 0; x < srcW; x++) {
          // A content of one pixel along an axis cannot carry a boundary: everything takes its value.
          const idX = segX.classMap.data[y * srcW + x]!;
          const idY = segY.classMap.data[y * srcW + x]!;
          if (content.width > 1 && idX !== (x >= x0 ? 1 : 0)) { firstWrong = `x: pixel (${x}, ${y}) is ${idX}, x0 = ${x0}`; break; }
          if (content.height > 1 && idY !== (y >= y0 ? 2 : 0)) { firstWrong = `y: pixel (${x}, ${y}) is ${idY}, y0 = ${y0}`; break; }
        }
        expect(firstWrong).toBe('');
        expect(segX.legend[3]!.pixels).toBe(0);
        expect(segY.legend[3]!.pixels).toBe(0);
      }), { numRuns: 40, seed: 7 });
  });

  it("'model-size' is the plain argmax of the model grid, padding included", () => {
    const next = rng(5);
    const logits = new Float32Array(9 * 7 * 3).map(() => next());
    const seg = segmentationFromLogits({ data: logits, shape: [1, 9, 7, 3] }, null, { output: 'model-size' });
    const ids = new Int32Array(63);
    f32ArgmaxLastAxis(ids, logits, { rows: 63, cols: 3 });
    expect(seg.classMap.data).toEqual(ids);
    expect([seg.classMap.width, seg.classMap.height, seg.policy.resize]).toEqual([7, 9, 'none']);
    expect(() => segmentationFromLogits({ data: logits, shape: [1, 9, 7, 3] }, null)).toThrow(/needs the preprocessing record/);
  });

  it('ties go to the lowest class; probabilities sum to 1 and agree with the class map; fractions, legend and present', () => {
    const flat = segmentationFromLogits({ data: new Float32Array(4 * 4 * 21).fill(2.5), shape: [1, 4, 4, 21] }, mapping(10, 6, { x: 0, y: 0, width: 4, height: 4 }), { probabilities: true });
    expect(new Set(flat.classMap.data)).toEqual(new Set([0]));
    expect(flat.probabilities!.data.every((p) => Math.abs(p - 1 / 21) < 1e-7)).toBe(true);
    expect(flat.legend.map((e) => e.name)).toEqual([...PASCAL_VOC_LABELS]);
    expect(flat.present).toEqual([0]);
    expect(flat.legend[0]).toMatchObject({ id: 0, name: 'background', pixels: 60, fraction: 1 });

    const next = rng(11);
    const K = 5;
    const logits = new Float32Array(2 * 8 * 8 * K).map(() => (next() - 0.5) * 10);
    const seg = segmentationFromLogits({ data: logits, shape: [2, 8, 8, K] }, mapping(31, 17, { x: 1, y: 2, width: 7, height: 5 }),
      { probabilities: true, batchIndex: 1, labels: ['a', 'b', 'c', 'd', 'e'] });
    const probs = seg.probabilities!.data;
    for (let p = 0; p < 31 * 17; p++) {
      const row = probs.subarray(p * K, p * K + K);
      expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-6);
      const best = row.indexOf(Math.max(...row));
      expect(seg.classMap.data[p]).toBe(best);
    }
    expect(seg.legend.reduce((s, e) => s + e.fraction, 0)).toBeCloseTo(1, 12);
    expect(seg.legend.reduce((s, e) => s + e.pixels, 0)).toBe(31 * 17);
    const areas = seg.present.map((id) => seg.legend[id]!.pixels);
    expect([...areas].sort((a, b) => b - a)).toEqual(areas);
    expect(seg.legend.map((e) => e.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(seg.policy.description).toMatch(/content box 7x5 at \(1, 2\) of the 8x8 logits, resized bilinearly \(align-corners\) to 31x17/);
  });

  it('with a central crop, source pixels outside it have no prediction (−1, NaN scores) and do not count', () => {
    const img: RgbImage = { data: new Uint8Array(40 * 20 * 3), width: 40, height: 20, channels: 3, format: 'raw' };
    const { record } = preprocessImage(img, { width: 33, height: 33, resize: 'bilinear-align-corners', normalization: 'tf-inception', centralCrop: 0.5, fit: 'pad-longer-side' });
    expect(record.crop).toMatchObject({ x: 10, y: 5, width: 20, height: 10 });
    const logits = new Float32Array(33 * 33 * 2);
    for (let p = 0; p < 33 * 33; p++) logits[p * 2 + 1] = 1;
    const seg = segmentationFromLogits({ data: logits, shape: [1, 33, 33, 2] }, record, { logits: true, probabilities: true });
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) {
      const inside = x >= 10 && x < 30 && y >= 5 && y < 15;
      expect(seg.classMap.data[y * 40 + x]).toBe(inside ? 1 : NO_PREDICTION);
      expect(Number.isNaN(seg.logits!.data[(y * 40 + x) * 2]!)).toBe(!inside);
      expect(Number.isNaN(seg.probabilities!.data[(y * 40 + x) * 2]!)).toBe(!inside);
    }
    expect(seg.legend[1]).toMatchObject({ pixels: 200, fraction: 1 });
    expect(seg.policy.description).toMatch(/outside the crop are -1/);
  });

  it('a record for another model size, a bad batch index or a bad shape are clear errors', () => {
    const logits = { data: new Float32Array(5 * 5 * 2), shape: [1, 5, 5, 2] };
    const err = (f: () => unknown): MobileNetV2Error => { try { f(); } catch (e) { return e as MobileNetV2Error; } throw new Error('no error'); };
    expect(err(() => segmentationFromLogits(logits, mapping(10, 10, { x: 0, y: 0, width: 9, height: 9 }))).message).toMatch(/does not fit the 5x5 logits/);
    expect(err(() => segmentationFromLogits(logits, mapping(10, 10, { x: 0, y: 0, width: 5, height: 5 }), { batchIndex: 1 })).code).toBe('USAGE');
    expect(err(() => segmentationFromLogits({ data: new Float32Array(10), shape: [5, 2] }, null, { output: 'model-size' })).code).toBe('SHAPE');
    expect(err(() => segmentationFromLogits(logits, null, { output: 'model-size', labels: ['x'] })).message).toMatch(/1 labels given for 2 classes/);
  });
});

describe('renderings for encodePng', () => {
  const map = { data: new Int32Array([0, 1, 15, -1, 2, 20]), width: 3, height: 2, classes: 21 };

  it('renderClassMap: palette colours (rgb) or the ids as grey (VOC mask convention, −1 → 255); PNG round trip', () => {
    const rgb = renderClassMap(map);
    expect(rgb.channels).toBe(3);
    expect([...rgb.data]).toEqual([0, 0, 0, 128, 0, 0, 192, 128, 128, 0, 0, 0, 0, 128, 0, 0, 64, 128]);
    const ids = renderClassMap(map, { format: 'ids' });
    expect([ids.channels, ...ids.data]).toEqual([1, 0, 1, 15, 255, 2, 20]);
    const back = decodeImage(encodePng(rgb), 'mask.png');
    expect([back.width, back.height, ...Array.from(back.data)]).toEqual([3, 2, ...Array.from(rgb.data)]);
    expect(() => renderClassMap({ ...map, classes: 300 }, { format: 'ids' })).toThrow(/do not fit 8-bit ids/);
  });

  it('renderOverlay: α blend of the class colours; background and no-prediction pixels untouched; sizes must match', () => {
    const image = { data: new Uint8Array(18).fill(100), width: 3, height: 2 };
    const half = renderOverlay(image, map, 0.5, { outline: 0 });
    expect([...half.data]).toEqual([100, 100, 100, 114, 50, 50, 146, 114, 114, 100, 100, 100, 50, 114, 50, 50, 82, 114]);
    expect([...renderOverlay(image, map, 0, { outline: 0 }).data]).toEqual([...image.data]);
    expect([...renderOverlay(image, map, 1, { background: true, outline: 0 }).data.subarray(0, 3)]).toEqual([0, 0, 0]);
    // Default outlines: every class pixel here touches another class, so each becomes solid white on
    // dark VOC colours (1 (128,0,0), 2 (0,128,0), 20 (0,64,128): luma ≤ 96) and black on light ones
    // (15 person (192,128,128), luma 147); background and no-prediction pixels untouched.
    expect([...renderOverlay(image, map, 0.5).data]).toEqual([100, 100, 100, 255, 255, 255, 0, 0, 0, 100, 100, 100, 255, 255, 255, 255, 255, 255]);
    expect(() => renderOverlay({ ...image, width: 2 }, map)).toThrow(/image is 2x2 but the class map is 3x2/);
    expect(() => renderOverlay(image, map, 1.5)).toThrow(/alpha must be in \[0, 1\]/);
  });
});
