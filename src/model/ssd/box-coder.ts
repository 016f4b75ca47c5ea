// SPDX-License-Identifier: Apache-2.0
/**
 * The Faster R-CNN box coder used by SSD (paper-facts §3.5; TF OD API
 * `box_coders/faster_rcnn_box_coder.py`). A box is coded relative to its anchor
 * (ya, xa, ha, wa) = (centre y, centre x, height, width):
 *
 *   ty = (y − ya)/ha · sy     tx = (x − xa)/wa · sx     th = log(h/ha) · sh     tw = log(w/wa) · sw
 *
 * with scales (sy, sx, sh, sw) = (10, 10, 5, 5) for ssdlite_mobilenet_v2_coco. Order is TF's
 * (y, x, h, w); torchvision's `BoxCoder(weights=(10, 10, 5, 5))` uses (x, y, w, h) with the same
 * numbers, so a torchvision code [dx, dy, dw, dh] is our [ty, tx, th, tw] = [dy, dx, dh, dw].
 *
 * Decoding inverts it and returns corners [ymin, xmin, ymax, xmax], normalised like the anchors.
 * Arithmetic is float64 with one rounding to float32 per output value.
 */
import { usageError } from '../../errors.js';

/** (y, x, h, w) scales; TF's `y_scale, x_scale, height_scale, width_scale`. */
export interface BoxCoderScales {
  readonly y: number;
  readonly x: number;
  readonly h: number;
  readonly w: number;
}

/** `faster_rcnn_box_coder { y_scale: 10.0 x_scale: 10.0 height_scale: 5.0 width_scale: 5.0 }` */
export const SSD_BOX_CODER_SCALES: BoxCoderScales = Object.freeze({ y: 10, x: 10, h: 5, w: 5 });

/** torchvision's `bbox_xform_clip`: the largest log-scale it lets reach exp(). */
export const TORCHVISION_BBOX_XFORM_CLIP = Math.log(1000 / 16);

/** TF's encoder adds this to every height and width so that log(0) and x/0 cannot occur. */
export const TF_ENCODE_EPSILON = 1e-8;

export interface DecodeOptions {
  scales?: BoxCoderScales;
  /**
   * Upper clamp on th/sh and tw/sw before exp(). The TF OD API has none (default ∞); torchvision
   * clamps at log(1000/16) (`TORCHVISION_BBOX_XFORM_CLIP`) so that a wild code cannot overflow.
   */
  maxLogScale?: number;
}

export interface EncodeOptions {
  scales?: BoxCoderScales;
  /** Added to anchor and box heights/widths before dividing and taking logs: TF 1e-8, torchvision 0. */
  epsilon?: number;
}

function checkScales(s: BoxCoderScales): void {
  for (const k of ['y', 'x', 'h', 'w'] as const) {
    if (!(s[k] > 0) || !Number.isFinite(s[k])) throw usageError(`box coder scale ${k} must be a positive number, got ${s[k]}`);
  }
}

function checkLengths(what: string, a: Float32Array, anchors: Float32Array, count: number): void {
  if (!Number.isInteger(count) || count < 0) throw usageError(`${what}: count must be a non-negative integer, got ${count}`);
  if (a.length < 4 * count) throw usageError(`${what}: need ${4 * count} values ([${count}, 4]), got ${a.length}`);
  if (anchors.length < 4 * count) throw usageError(`${what}: anchors need ${4 * count} values ([${count}, 4]), got ${anchors.length}`);
}

/**
 * codes [A, 4] (ty, tx, th, tw), anchors [A, 4] (ycenter, xcenter, h, w) → boxes [A, 4] (ymin, xmin, ymax, xmax).
 */
export function decodeBoxes(codes: Float32Array, anchorsCenterSize: Float32Array, count: number, options: DecodeOptions = {}): Float32Array {
  const s = options.scales ?? SSD_BOX_CODER_SCALES;
  checkScales(s);
  checkLengths('decodeBoxes', codes, anchorsCenterSize, count);
  const clip = options.maxLogScale ?? Infinity;
  const out = new Float32Array(4 * count);
  for (let a = 0; a < count; a++) {
    const o = 4 * a;
    const ya = anchorsCenterSize[o]!, xa = anchorsCenterSize[o + 1]!, ha = anchorsCenterSize[o + 2]!, wa = anchorsCenterSize[o + 3]!;
    const yc = (codes[o]! / s.y) * ha + ya;
    const xc = (codes[o + 1]! / s.x) * wa + xa;
    const h = Math.exp(Math.min(codes[o + 2]! / s.h, clip)) * ha;
    const w = Math.exp(Math.min(codes[o + 3]! / s.w, clip)) * wa;
    out[o] = yc - h / 2;
    out[o + 1] = xc - w / 2;
    out[o + 2] = yc + h / 2;
    out[o + 3] = xc + w / 2;
  }
  return out;
}

/**
 * boxes [A, 4] (ymin, xmin, ymax, xmax), anchors [A, 4] (ycenter, xcenter, h, w) → codes [A, 4] (ty, tx, th, tw).
 * The training-time direction; here it documents the coder and lets specs check decode ∘ encode = id.
 */
export function encodeBoxes(boxes: Float32Array, anchorsCenterSize: Float32Array, count: number, options: EncodeOptions = {}): Float32Array {
  const s = options.scales ?? SSD_BOX_CODER_SCALES;
  checkScales(s);
  checkLengths('encodeBoxes', boxes, anchorsCenterSize, count);
  const eps = options.epsilon ?? TF_ENCODE_EPSILON;
  const out = new Float32Array(4 * count);
  for (let a = 0; a < count; a++) {
    const o = 4 * a;
    const ya = anchorsCenterSize[o]!, xa = anchorsCenterSize[o + 1]!;
    const ha = anchorsCenterSize[o + 2]! + eps, wa = anchorsCenterSize[o + 3]! + eps;
    const y = (boxes[o]! + boxes[o + 2]!) / 2, x = (boxes[o + 1]! + boxes[o + 3]!) / 2;
    const h = boxes[o + 2]! - boxes[o]! + eps, w = boxes[o + 3]! - boxes[o + 1]! + eps;
    out[o] = ((y - ya) / ha) * s.y;
    out[o + 1] = ((x - xa) / wa) * s.x;
    out[o + 2] = Math.log(h / ha) * s.h;
    out[o + 3] = Math.log(w / wa) * s.w;
  }
  return out;
}
