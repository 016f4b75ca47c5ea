// SPDX-License-Identifier: Apache-2.0
/**
 * The Faster R-CNN box coder (10, 10, 5, 5) against torchvision's BoxCoder (goldens in
 * data/reference/ssd/ssd_goldens.json) and decode ∘ encode = identity.
 *
 * Order conversion: torchvision codes are (dx, dy, dw, dh) for (x1, y1, x2, y2) boxes; ours are
 * (ty, tx, th, tw) for (ymin, xmin, ymax, xmax) boxes and (ycenter, xcenter, h, w) anchors.
 *
 * Tolerance for decode (derived, per output coordinate, x shown; y is the same):
 *   torchvision in float32: wa = x2 − x1, xa = x1 + ½wa, dx = code/10, dw = min(code/5, clip),
 *   x̂ = dx·wa + xa, ŵ = exp(dw)·wa, x1' = x̂ − ½ŵ: at most 10 roundings (exp within 1 ulp), each
 *   ≤ u = 2⁻²⁴ times the magnitude of its result, every one of which is ≤ M = |xa| + wa + |dx·wa| + ŵ.
 *   Ours: the anchor's centre form is rounded to float32 (2 roundings ≤ u·M), then float64 math
 *   (negligible) and one final rounding (≤ u·M). Total ≤ 13·u·M; we allow 16·u·M.
 * A real bug (x/y swapped, scale 10 vs 5, corner vs centre) is off by ≥ 1e-3, i.e. 10⁴× the bound.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeBoxes, encodeBoxes, SSD_BOX_CODER_SCALES, TORCHVISION_BBOX_XFORM_CLIP } from '../../../src/model/ssd/box-coder.js';
import { cornersToCenterSize } from '../../helpers/boxes.js';
import { TINY, U32 } from '../../helpers/close.js';
import { loadSsdGoldens, xyxyToYxyx } from './helpers.js';

const goldens = loadSsdGoldens();

/** torchvision (dx, dy, dw, dh) → our (ty, tx, th, tw): swap within each pair. */
function swapPairs(v: readonly number[]): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i += 4) {
    out[i] = v[i + 1]!;
    out[i + 1] = v[i]!;
    out[i + 2] = v[i + 3]!;
    out[i + 3] = v[i + 2]!;
  }
  return out;
}

describe('decode against torchvision BoxCoder(weights=(10, 10, 5, 5))', () => {
  it('torchvision\'s clip constant is log(1000/16)', () => {
    for (const g of goldens.decode) expect(g.bbox_xform_clip).toBeCloseTo(TORCHVISION_BBOX_XFORM_CLIP, 14);
  });

  it.each(goldens.decode.map((g) => [g.name, g] as const))('%s', (_, g) => {
    const count = g.codes.length / 4;
    const anchors = cornersToCenterSize(xyxyToYxyx(g.anchors), count);
    const codes = swapPairs(g.codes);
    const clip = g.name.includes('clip') ? { maxLogScale: g.bbox_xform_clip } : {};
    const ours = decodeBoxes(codes, anchors, count, clip);
    const want = xyxyToYxyx(g.boxes);
    for (let a = 0; a < count; a++) {
      for (let k = 0; k < 4; k++) {
        const axis = k % 2; // 0: y, 1: x
        const ca = anchors[4 * a + axis]!, sa = anchors[4 * a + 2 + axis]!;
        const t = codes[4 * a + axis]! / (axis === 0 ? 10 : 10);
        const logS = Math.min(codes[4 * a + 2 + axis]! / 5, clip.maxLogScale ?? Infinity);
        const M = Math.abs(ca) + sa + Math.abs(t * sa) + Math.exp(logS) * sa;
        const err = Math.abs(ours[4 * a + k]! - want[4 * a + k]!);
        expect(err, `${g.name} anchor ${a} coord ${k}`).toBeLessThanOrEqual(16 * U32 * M + TINY);
      }
    }
  });

  it('without the clamp (TF), the clip cases really differ: the option matters', () => {
    const g = goldens.decode.find((d) => d.name.includes('clip'))!;
    const count = g.codes.length / 4;
    const anchors = cornersToCenterSize(xyxyToYxyx(g.anchors), count);
    const unclamped = decodeBoxes(swapPairs(g.codes), anchors, count);
    const want = xyxyToYxyx(g.boxes);
    const worst = Math.max(...Array.from(unclamped, (v, i) => Math.abs(v - want[i]!)));
    expect(worst).toBeGreaterThan(1);
  });
});

describe('encode against torchvision encode_single', () => {
  // Tolerance: dx = 10·(gx − xa)/wa in float32 has the cancellation gx − xa, whose inputs carry
  // ≤ 3 roundings each (centres from corners): |err| ≤ 10·8u·(|gx| + |xa| + gw + wa)/wa; the log term
  // dw = 5·log(gw/wa) has ≤ 4 roundings of gw, wa and the quotient plus log's ulp: ≤ 5·8u + u·|dw|.
  it.each(goldens.encode.map((g) => [g.name, g] as const))('%s', (_, g) => {
    const count = g.codes.length / 4;
    const anchors = cornersToCenterSize(xyxyToYxyx(g.anchors), count);
    const boxes = xyxyToYxyx(g.boxes);
    const ours = encodeBoxes(boxes, anchors, count, { epsilon: 0 });
    const want = swapPairs(g.codes);
    for (let a = 0; a < count; a++) {
      const gc = cornersToCenterSize(boxes.subarray(4 * a, 4 * a + 4), 1);
      for (let axis = 0; axis < 2; axis++) {
        const ca = anchors[4 * a + axis]!, sa = anchors[4 * a + 2 + axis]!;
        const tolT = (10 * 8 * U32 * (Math.abs(gc[axis]!) + Math.abs(ca) + gc[2 + axis]! + sa)) / sa;
        expect(Math.abs(ours[4 * a + axis]! - want[4 * a + axis]!)).toBeLessThanOrEqual(tolT + TINY);
        const w = want[4 * a + 2 + axis]!;
        expect(Math.abs(ours[4 * a + 2 + axis]! - w)).toBeLessThanOrEqual(5 * 8 * U32 + U32 * Math.abs(w) + TINY);
      }
    }
  });
});

describe('decode ∘ encode = identity', () => {
  const boxArb = fc.record({
    ya: fc.double({ min: 0, max: 1, noNaN: true }), xa: fc.double({ min: 0, max: 1, noNaN: true }),
    ha: fc.double({ min: 0.01, max: 1, noNaN: true }), wa: fc.double({ min: 0.01, max: 1, noNaN: true }),
    y: fc.double({ min: -0.5, max: 1.5, noNaN: true }), x: fc.double({ min: -0.5, max: 1.5, noNaN: true }),
    h: fc.double({ min: 0.01, max: 2, noNaN: true }), w: fc.double({ min: 0.01, max: 2, noNaN: true }),
  });

  // Round trip in float64 except three float32 roundings: the inputs (box corners, anchor), the codes,
  // and the output. A code error of u·|t| moves the centre by u·|t|/10·ha = u·|y − ya| and the size by
  // h·u·|th|/5 = h·u·|log(h/ha)|. With TF's ε = 1e-8 added to h, w, ha, wa the exact round trip is
  // off by ε·|y − ya|/ha in the centre and ε·|h − ha|/ha in the size.
  it.each([['epsilon 0', 0], ['TF epsilon 1e-8', 1e-8]] as const)('%s', (_, eps) => {
    fc.assert(fc.property(boxArb, (b) => {
      const anchors = Float32Array.of(b.ya, b.xa, b.ha, b.wa);
      const boxes = Float32Array.of(b.y - b.h / 2, b.x - b.w / 2, b.y + b.h / 2, b.x + b.w / 2);
      const back = decodeBoxes(encodeBoxes(boxes, anchors, 1, { epsilon: eps }), anchors, 1);
      const pairs = [[b.y, b.ya, b.h, b.ha], [b.x, b.xa, b.w, b.wa]] as const;
      for (let k = 0; k < 4; k++) {
        const [c, ca, s, sa] = pairs[k % 2]!;
        const tol = 8 * U32 * (Math.abs(c) + Math.abs(ca) + s + sa + s * Math.abs(Math.log(s / sa)))
          + (eps * (Math.abs(c - ca) + Math.abs(s - sa) + 1)) / sa;
        expect(Math.abs(back[k]! - boxes[k]!)).toBeLessThanOrEqual(tol);
      }
    }), { numRuns: 300 });
  });

  it('zero codes decode to the anchor itself', () => {
    const anchors = Float32Array.of(0.5, 0.25, 0.2, 0.4);
    const [yc, xc, h, w] = Array.from(anchors);
    const want = [yc! - h! / 2, xc! - w! / 2, yc! + h! / 2, xc! + w! / 2].map(Math.fround);
    expect(Array.from(decodeBoxes(new Float32Array(4), anchors, 1))).toEqual(want);
  });

  it('uses (y, x, h, w) scales 10, 10, 5, 5 by default: ty = 10 moves by one anchor height', () => {
    expect(SSD_BOX_CODER_SCALES).toEqual({ y: 10, x: 10, h: 5, w: 5 });
    const anchors = Float32Array.of(0.5, 0.5, 0.2, 0.1);
    const d = decodeBoxes(Float32Array.of(10, 0, 5 * Math.log(2), 0), anchors, 1);
    // centre y 0.5 + 0.2 = 0.7, h 0.4 → [0.5, 0.45, 0.9, 0.55]
    expect(Array.from(d).map((v) => +v.toFixed(6))).toEqual([0.5, 0.45, 0.9, 0.55]);
  });
});
