// SPDX-License-Identifier: Apache-2.0
/**
 * SSD post-processing as the TF OD API does it (sigmoid, background dropped, per-class NMS, sort,
 * clip, truncate), the Detection fields, class-agnostic NMS and its documented relation to
 * per-class NMS, and the COCO label file.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { convertScores, postprocess, postprocessImage, SSDLITE_COCO_POSTPROCESS, type Detection } from '../../../src/model/ssd/postprocess.js';
import { cocoId, parseCocoLabels } from '../../../src/io/labels.js';
import { iou } from '../../../src/model/ssd/nms.js';
import { HAVE_SHARED, sharedPath } from '../../helpers/shared.js';
import { anchorsFromCorners } from './helpers.js';

const sigmoid = (x: number): number => Math.fround(1 / (1 + Math.exp(-x)));
const boxOf = (d: Detection): number[] => [d.box.ymin, d.box.xmin, d.box.ymax, d.box.xmax];

describe('parseCocoLabels', () => {
  it('inline sample: one name per line, CRLF and trailing blank lines accepted, "n/a" kept in place', () => {
    const labels = parseCocoLabels('person\nbicycle\r\n n/a \ncar\n\n');
    expect(labels).toEqual(['person', 'bicycle', 'n/a', 'car']);
    expect(cocoId(3)).toBe(4); // line 3 (0-based) = COCO id 4
  });

  it('an empty line inside the file is an error (it would shift every later id)', () => {
    expect(() => parseCocoLabels('person\n\ncar\n')).toThrow(/line 2 is empty/);
    expect(() => parseCocoLabels('\n\n')).toThrow(/empty/);
  });

  describe.skipIf(!HAVE_SHARED)('the shared coco_90.txt', () => {
    it('90 lines: classIndex 0 = person (id 1), 11 = n/a (id 12), 89 = toothbrush (id 90); 10 unused ids', () => {
      const labels = parseCocoLabels(readFileSync(sharedPath('labels', 'coco_90.txt'), 'utf8'));
      expect(labels).toHaveLength(90);
      expect([labels[0], labels[2], labels[11], labels[12], labels[89]]).toEqual(['person', 'car', 'n/a', 'stop sign', 'toothbrush']);
      expect(labels.filter((l) => l === 'n/a')).toHaveLength(10);
    });
  });
});

describe('convertScores', () => {
  it('sigmoid on every slot, then slot 0 dropped', () => {
    const s = convertScores(Float32Array.of(9, 0, 2, -1, -3, 4), 2, 3, 'sigmoid', true);
    expect(Array.from(s)).toEqual([0, 2, -3, 4].map(sigmoid));
  });

  it('softmax over all slots INCLUDING background, then the drop (torchvision SSDLite)', () => {
    const s = convertScores(Float32Array.of(0, Math.log(3), 0), 1, 3, 'softmax', true);
    expect(s[0]).toBeCloseTo(0.6, 6);
    expect(s[1]).toBeCloseTo(0.2, 6);
  });
});

/**
 * Four anchors (codes 0, so each decodes to its anchor), slots [background, c0, c1, c2]:
 *   A0 [0.1, 0.1, 0.5, 0.5]   logits [5, 2, −1, −5]      (a high background logit is simply dropped)
 *   A1 [0.12, 0.1, 0.52, 0.5] logits [0, 1, 1.5, −5]     IoU(A0, A1) = 0.152/0.168 = 0.905
 *   A2 [0.6, 0.6, 0.9, 0.9]   logits [0, −5, −5, 3]
 *   A3 [1.2, 1.2, 1.5, 1.5]   logits [0, 4, −5, −5]      outside the image: zero area after clipping
 * Score threshold 0.1 keeps σ(−1) = 0.269 and drops σ(−5) = 0.0067. Per class, IoU 0.6:
 *   c0: A3 (σ4 .982), A0 (σ2 .881), A1 (σ1 .731) → A3, A0 kept; A1 suppressed by A0
 *   c1: A1 (σ1.5 .818), A0 (σ−1 .269)           → A1 kept; A0 suppressed
 *   c2: A2 (σ3 .953)                             → kept
 * sorted: A3/c0, A2/c2, A0/c0, A1/c1; clipping drops A3/c0.
 */
const scene = {
  anchors: anchorsFromCorners([[0.1, 0.1, 0.5, 0.5], [0.12, 0.1, 0.52, 0.5], [0.6, 0.6, 0.9, 0.9], [1.2, 1.2, 1.5, 1.5]], [100, 200]),
  codes: new Float32Array(16),
  logits: Float32Array.of(5, 2, -1, -5, 0, 1, 1.5, -5, 0, -5, -5, 3, 0, 4, -5, -5),
  labels: ['alpha', 'beta', 'gamma'],
};

describe('postprocessImage (TF OD API order)', () => {
  it('defaults are the ssdlite_mobilenet_v2_coco post_processing block', () => {
    expect(SSDLITE_COCO_POSTPROCESS).toMatchObject({ scoreConverter: 'sigmoid', scoreThreshold: 1e-8, iouThreshold: 0.6, maxPerClass: 100, maxDetections: 100 });
  });

  it('per-class NMS, sort, clip: the hand-worked scene', () => {
    const d = postprocessImage(scene.codes, scene.logits, scene.anchors, { scoreThreshold: 0.1, labels: scene.labels });
    expect(d.map((x) => [x.anchorIndex, x.classIndex, x.slot, x.label])).toEqual([[2, 2, 3, 'gamma'], [0, 0, 1, 'alpha'], [1, 1, 2, 'beta']]);
    expect(d.map((x) => x.score)).toEqual([sigmoid(3), sigmoid(2), sigmoid(1.5)]);
    expect(boxOf(d[0]!)).toEqual([0.6, 0.6, 0.9, 0.9].map(Math.fround));
    expect(Array.from(d[0]!.scores)).toEqual([sigmoid(-5), sigmoid(-5), sigmoid(3)]);
    expect(Array.from(d[1]!.scores)).toEqual([sigmoid(2), sigmoid(-1), sigmoid(-5)]);
  });

  it('boxPixels: x = xmin·W, y = ymin·H in the original image (default: the network input, here 100×200)', () => {
    const [a] = postprocessImage(scene.codes, scene.logits, scene.anchors, { scoreThreshold: 0.1 });
    const p = a!.boxPixels;
    expect([p.x, p.y, p.width, p.height].map((v) => +v.toFixed(4))).toEqual([120, 60, 60, 30]);
    const [b] = postprocessImage(scene.codes, scene.logits, scene.anchors, { scoreThreshold: 0.1, imageSize: { width: 640, height: 480 } });
    const q = b!.boxPixels;
    expect([q.x, q.y, q.width, q.height].map((v) => +v.toFixed(4))).toEqual([384, 288, 192, 144]);
    expect(b!.label).toBe('class 2');
  });

  it('without clipping the outside box survives, unclipped, first', () => {
    const d = postprocessImage(scene.codes, scene.logits, scene.anchors, { scoreThreshold: 0.1, clipToImage: false });
    expect(d.map((x) => x.anchorIndex)).toEqual([3, 2, 0, 1]);
    expect(boxOf(d[0]!)).toEqual([1.2, 1.2, 1.5, 1.5].map(Math.fround));
  });

  it('clipping clamps a box reaching past the image to [0, 1]', () => {
    const anchors = anchorsFromCorners([[-0.2, 0.5, 0.4, 1.3]]);
    const [d] = postprocessImage(new Float32Array(4), Float32Array.of(0, 3), anchors);
    // ymin −0.2 → 0 and xmax 1.3 → 1 exactly; the others are the float32 centre-form round trip.
    const [y0, x0, y1, x1] = boxOf(d!);
    expect([y0, x1]).toEqual([0, 1]);
    expect(x0).toBeCloseTo(0.5, 6);
    expect(y1).toBeCloseTo(0.4, 6);
  });

  it('maxPerClass and maxDetections', () => {
    const rows = Array.from({ length: 6 }, (_, i) => [0.1 * i, 0, 0.1 * i + 0.05, 0.05] as [number, number, number, number]);
    const anchors = anchorsFromCorners(rows);
    const logits = Float32Array.from(rows.flatMap((_, i) => [0, 6 - i, 6 - i - 0.5]));
    expect(postprocessImage(new Float32Array(24), logits, anchors, { maxPerClass: 2 }).map((d) => [d.anchorIndex, d.classIndex]))
      .toEqual([[0, 0], [0, 1], [1, 0], [1, 1]]);
    expect(postprocessImage(new Float32Array(24), logits, anchors, { maxDetections: 3 })).toHaveLength(3);
  });

  it('equal scores: lower classIndex first, then lower anchor (TF concatenates per class, top_k keeps position)', () => {
    const anchors = anchorsFromCorners([[0, 0, 0.2, 0.2], [0.5, 0.5, 0.7, 0.7]]);
    const logits = Float32Array.of(0, 1, 1, 0, 1, 1);
    const d = postprocessImage(new Float32Array(8), logits, anchors);
    expect(d.map((x) => [x.classIndex, x.anchorIndex])).toEqual([[0, 0], [0, 1], [1, 0], [1, 1]]);
  });

  it('score threshold is strict and applied after the sigmoid', () => {
    const anchors = anchorsFromCorners([[0, 0, 0.2, 0.2]]);
    const t = sigmoid(0.5);
    expect(postprocessImage(new Float32Array(4), Float32Array.of(0, 0.5), anchors, { scoreThreshold: t })).toHaveLength(0);
    expect(postprocessImage(new Float32Array(4), Float32Array.of(0, 0.5), anchors, { scoreThreshold: Math.fround(t - 1e-7) })).toHaveLength(1);
  });

  it('batched: one detection list per image', () => {
    const two = {
      boxEncodings: Float32Array.of(...scene.codes, ...scene.codes),
      classLogits: Float32Array.of(...scene.logits, ...scene.logits.map((v, i) => (i % 4 === 0 ? v : -v))),
    };
    const out = postprocess(two, scene.anchors, { scoreThreshold: 0.1 });
    expect(out).toHaveLength(2);
    expect(out[0]!.map((d) => d.anchorIndex)).toEqual([2, 0, 1]);
    expect(out[1]).not.toEqual(out[0]);
  });

  it('shape errors name the expected sizes', () => {
    expect(() => postprocessImage(new Float32Array(12), scene.logits, scene.anchors)).toThrow(/expected \[4, 4\]/);
    expect(() => postprocessImage(scene.codes, new Float32Array(4), scene.anchors)).toThrow(/nothing left/);
  });
});

describe('class-agnostic NMS', () => {
  it('the scene: one NMS over each anchor\'s best class', () => {
    const d = postprocessImage(scene.codes, scene.logits, scene.anchors, { scoreThreshold: 0.1, nms: 'class-agnostic' });
    // best: A0 c0 .881, A1 c1 .818, A2 c2 .953, A3 c0 .982 → A3, A2, A0 kept, A1 suppressed by A0; clip drops A3.
    expect(d.map((x) => [x.anchorIndex, x.classIndex])).toEqual([[2, 2], [0, 0]]);
  });

  it('is NOT a subset of per-class NMS: a box can survive because its rival was suppressed by another class', () => {
    // d, b, a side by side; IoU(d, b) = IoU(b, a) = 1/3 > 0.3, IoU(d, a) = 0. Scores given (identity, no background).
    //   per-class: c0 {d}; c1 b (0.8) suppresses a (0.7)            → {d/c0, b/c1}
    //   agnostic:  d (0.9) suppresses b (0.8); a (0.7) does not meet d → {d/c0, a/c1}
    const anchors = anchorsFromCorners([[0, 0, 1, 0.25], [0, 0.125, 1, 0.375], [0, 0.25, 1, 0.5]]);
    const scores = Float32Array.of(0.9, 0, 0, 0.8, 0, 0.7);
    const opts = { scoreConverter: 'identity', background: false, scoreThreshold: 0.01, iouThreshold: 0.3 } as const;
    const per = postprocessImage(new Float32Array(12), scores, anchors, opts);
    const agn = postprocessImage(new Float32Array(12), scores, anchors, { ...opts, nms: 'class-agnostic' });
    expect(per.map((x) => [x.anchorIndex, x.classIndex])).toEqual([[0, 0], [1, 1]]);
    expect(agn.map((x) => [x.anchorIndex, x.classIndex])).toEqual([[0, 0], [2, 1]]);
  });

  const sceneArb = fc.integer({ min: 1, max: 16 }).chain((n) => fc.record({
    rows: fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }))
      .map(([y, x, h, w]) => [y / 16, x / 16, (y + h) / 16, (x + w) / 16] as [number, number, number, number]), { minLength: n, maxLength: n }),
    logits: fc.array(fc.integer({ min: -6, max: 6 }).map((v) => v / 2), { minLength: n * 4, maxLength: n * 4 }),
    iouThreshold: fc.constantFrom(0.2, 0.5, 0.6),
  }));

  it('with one class it equals per-class NMS', () => {
    fc.assert(fc.property(sceneArb, (s) => {
      const anchors = anchorsFromCorners(s.rows);
      const logits = Float32Array.from(s.logits.slice(0, 2 * s.rows.length)); // [background, one class]
      const codes = new Float32Array(4 * s.rows.length);
      const per = postprocessImage(codes, logits, anchors, { iouThreshold: s.iouThreshold });
      const agn = postprocessImage(codes, logits, anchors, { iouThreshold: s.iouThreshold, nms: 'class-agnostic' });
      expect(agn.map((d) => d.anchorIndex)).toEqual(per.map((d) => d.anchorIndex));
    }), { numRuns: 200 });
  });

  // NMS runs on the unclipped boxes (as in TF), and clipping can raise an IoU (a box shrinks, the
  // overlap stays): the guarantee is about the boxes NMS saw, so these checks turn clipping off.
  it('never keeps two boxes with IoU > threshold, whatever their classes; per-class never within a class', () => {
    fc.assert(fc.property(sceneArb, (s) => {
      const anchors = anchorsFromCorners(s.rows);
      const codes = new Float32Array(4 * s.rows.length);
      const logits = Float32Array.from(s.logits);
      const agn = postprocessImage(codes, logits, anchors, { iouThreshold: s.iouThreshold, nms: 'class-agnostic', clipToImage: false });
      const per = postprocessImage(codes, logits, anchors, { iouThreshold: s.iouThreshold, clipToImage: false });
      for (const [list, sameClassOnly] of [[agn, false], [per, true]] as const) {
        for (let i = 0; i < list.length; i++) {
          for (let j = i + 1; j < list.length; j++) {
            if (sameClassOnly && list[i]!.classIndex !== list[j]!.classIndex) continue;
            expect(iou(boxOf(list[i]!), boxOf(list[j]!))).toBeLessThanOrEqual(s.iouThreshold);
          }
        }
      }
      // Each agnostic detection carries its anchor's best class.
      for (const d of agn) expect(d.score).toBe(Math.max(...d.scores));
    }), { numRuns: 200 });
  });
});
