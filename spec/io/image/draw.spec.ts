// SPDX-License-Identifier: Apache-2.0
/**
 * src/io/image/draw.ts: detection labels that never overlap, and the segmentation overlay's legend
 * (render-segmentation.ts) — checked on the pixels of the PNG written and read back.
 */
import { describe, expect, it } from 'vitest';
import { decodeImage, encodePng } from '../../../src/io/image/decode.js';
import { classColor, drawDetections, layoutDetections, legendLayout, LEGEND_BACKGROUND, LEGEND_INK, type DrawableDetection, type Rect } from '../../../src/io/image/draw.js';
import { overlayLegendEntries, renderOverlay } from '../../../src/io/image/render-segmentation.js';
import { vocColormap, type ClassMap } from '../../../src/model/segmentation.js';
import type { RgbImage } from '../../../src/io/image/image.js';

const intersects = (a: Rect, b: Rect): boolean => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
const px = (img: RgbImage, x: number, y: number): number[] => Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));
const roundTrip = (img: { data: Uint8Array; width: number; height: number }): RgbImage => decodeImage(encodePng({ ...img, channels: 3 }), 'out.png');

function grey(width: number, height: number): RgbImage {
  return { data: new Uint8Array(width * height * 3).fill(128), width, height, channels: 3, format: 'raw' };
}

/** Six boxes crowded together (a street scene's cars and people): same top edges, overlapping. */
const crowd: DrawableDetection[] = [
  { boxPixels: { x: 40, y: 60, width: 90, height: 120 }, label: 'person', score: 0.91, classIndex: 0 },
  { boxPixels: { x: 55, y: 62, width: 80, height: 110 }, label: 'person', score: 0.85, classIndex: 0 },
  { boxPixels: { x: 70, y: 58, width: 120, height: 80 }, label: 'bicycle', score: 0.77, classIndex: 1 },
  { boxPixels: { x: 45, y: 64, width: 150, height: 90 }, label: 'car', score: 0.66, classIndex: 2 },
  { boxPixels: { x: 300, y: 0, width: 20, height: 30 }, label: 'traffic light', score: 0.55, classIndex: 9 },
  { boxPixels: { x: 250, y: 200, width: 70, height: 40 }, label: 'dog', score: 0.52, classIndex: 17 },
];

describe('detection labels', () => {
  it('the crowded scene would collide with one label per box above its top-left corner (the old rule)', () => {
    const L = layoutDetections(320, 240, crowd);
    const naive = L.boxes.map(({ rect }, i) => {
      const w = L.labels[i]!.rect.x1 - L.labels[i]!.rect.x0, h = L.labels[i]!.rect.y1 - L.labels[i]!.rect.y0;
      const x = Math.max(0, Math.min(rect.x0, 320 - w));
      const y = rect.y0 - h >= 0 ? rect.y0 - h : rect.y0;
      return { x0: x, y0: y, x1: x + w, y1: y + h };
    });
    expect(naive.some((a, i) => naive.some((b, j) => i < j && intersects(a, b)))).toBe(true);
  });

  it('are placed pairwise disjoint and inside the image; the written PNG shows each label intact', () => {
    const W = 320, H = 240;
    const L = layoutDetections(W, H, crowd);
    expect(L.labels).toHaveLength(crowd.length);
    for (const [i, a] of L.labels.entries()) {
      expect(a.overlaps).toBe(false);
      expect(a.rect.x0).toBeGreaterThanOrEqual(0);
      expect(a.rect.y0).toBeGreaterThanOrEqual(0);
      expect(a.rect.x1).toBeLessThanOrEqual(W);
      expect(a.rect.y1).toBeLessThanOrEqual(H);
      for (const b of L.labels.slice(i + 1)) expect(intersects(a.rect, b.rect)).toBe(false);
    }
    // Read back: a label's padding band (the first `pad` rows and columns of its rectangle carry no
    // text) is entirely its own colour, so no other label (opaque, drawn later) covers any part
    // of that band; and every label's text has ink of the contrasting colour inside.
    const png = roundTrip(drawDetections(grey(W, H), crowd));
    for (const { rect, color } of L.labels) {
      for (let y = rect.y0; y < rect.y0 + L.pad; y++) for (let x = rect.x0; x < rect.x1; x++) expect(px(png, x, y)).toEqual([...color]);
      for (let y = rect.y0; y < rect.y1; y++) for (let x = rect.x0; x < rect.x0 + L.pad; x++) expect(px(png, x, y)).toEqual([...color]);
      let ink = 0;
      for (let y = rect.y0 + L.pad; y < rect.y1 - L.pad; y++) for (let x = rect.x0 + L.pad; x < rect.x1 - L.pad; x++) if (px(png, x, y).join() !== color.join()) ink++;
      expect(ink).toBeGreaterThan(0);
    }
  });

  it('the best-scoring box keeps its first choice, just above its top-left corner', () => {
    const L = layoutDetections(320, 240, crowd);
    const best = L.labels[L.labels.length - 1]!;
    expect(L.boxes[L.boxes.length - 1]!.detection.score).toBe(0.91);
    expect([best.rect.x0, best.rect.y1]).toEqual([40, 60]);
    expect(best.color).toEqual(classColor(0));
  });

  it('more labels than the image can hold: the overflow is marked, nothing is lost or thrown', () => {
    const many: DrawableDetection[] = Array.from({ length: 40 }, (_, i) => ({ boxPixels: { x: 10, y: 10, width: 30, height: 20 }, label: `thing ${i}`, score: 0.5 + i / 100, classIndex: i }));
    const L = layoutDetections(64, 48, many);
    expect(L.labels).toHaveLength(40);
    expect(L.labels.some((l) => l.overlaps)).toBe(true);
    expect(drawDetections(grey(64, 48), many).width).toBe(64);
  });
});

describe('segmentation overlay legend', () => {
  /** 21-class map, 200×150: background, then person (15) on the left half, car (7) bottom right, cat (8) a small square. */
  function map(): ClassMap {
    const width = 200, height = 150;
    const data = new Int32Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let id = 0;
        if (x < 100 && y >= 40) id = 15;
        else if (x >= 120 && y >= 90) id = 7;
        else if (x >= 150 && x < 170 && y >= 20 && y < 40) id = 8;
        data[y * width + x] = id;
      }
    }
    return { data, width, height, classes: 21 } as unknown as ClassMap;
  }
  const names = ['background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor'];

  it('lists exactly the painted classes, most pixels first, each with its VOC colour swatch (read back from the PNG)', () => {
    const m = map();
    const img = grey(200, 150);
    const r = renderOverlay(img, m, 0.5, { legend: { names } });
    const entries = overlayLegendEntries(m, { legend: { names } });
    expect(entries.map((e) => e.name)).toEqual(['person', 'car', 'cat']);
    const L = legendLayout(200, 150, entries)!;
    expect(r.legend).toEqual(L);
    expect(L.rows.map((row) => row.name)).toEqual(['person', 'car', 'cat']);
    const png = roundTrip(r);
    const voc = vocColormap(256);
    for (const [i, row] of L.rows.entries()) {
      const id = entries[i]!.id;
      const q = row.swatch!;
      const s = L.textScale;
      // the swatch interior is the class's palette colour, its frame is black
      for (let y = Math.ceil(q.y0 + s); y < Math.floor(q.y1 - s); y++) {
        for (let x = q.x0 + s; x < q.x1 - s; x++) expect(px(png, x, y)).toEqual([voc[id * 3], voc[id * 3 + 1], voc[id * 3 + 2]]);
      }
      expect(px(png, q.x0, Math.ceil(q.y0))).toEqual([...LEGEND_INK]);
      // the name is written in black on white next to it
      let ink = 0;
      for (let y = row.textAt.y; y < row.textAt.y + 7 * s; y++) for (let x = row.textAt.x; x < L.panel.x1; x++) if (px(png, x, y).join() === LEGEND_INK.join()) ink++;
      expect(ink).toBeGreaterThan(10);
    }
    expect(px(png, L.panel.x1 - 1, L.panel.y1 - 1)).toEqual([...LEGEND_BACKGROUND]);
    // outside the panel the overlay is unchanged by the legend
    const plain = renderOverlay(img, m, 0.5);
    expect(px(png, 199, 149)).toEqual(Array.from(plain.data.subarray((149 * 200 + 199) * 3, (149 * 200 + 199) * 3 + 3)));
  });

  it('no painted class, no legend; a legend taller than the image ends with "+N more"', () => {
    const empty = { data: new Int32Array(40 * 30), width: 40, height: 30, classes: 21 } as unknown as ClassMap;
    expect(renderOverlay(grey(40, 30), empty, 0.5, { legend: { names } }).legend).toBeNull();
    const entries = Array.from({ length: 20 }, (_, i) => ({ name: names[i + 1]!, color: [i, i, i] as const }));
    const L = legendLayout(200, 60, entries)!;
    expect(L.hidden).toBeGreaterThan(0);
    expect(L.rows[L.rows.length - 1]!.name).toBe(`+${L.hidden} more`);
    expect(L.rows.length - 1 + L.hidden).toBe(20);
    expect(L.panel.y1).toBeLessThanOrEqual(60);
  });
});
