// SPDX-License-Identifier: Apache-2.0
/**
 * Segmentation class maps and the PASCAL VOC palette: what a Mobile DeepLabv3 prediction is (a
 * class id per pixel, NO_PREDICTION where there is none) and how ids are coloured, shared by the
 * application tier (src/app/segment.ts turns logits into a ClassMap of the original image) and the
 * renderers (src/io/image/render-segmentation.ts). The class names live with every other label
 * set in src/io/labels.ts (PASCAL_VOC_LABELS).
 */
import { usageError } from '../errors.js';

/** The class id of a pixel without a prediction (outside the central crop). */
export const NO_PREDICTION = -1;
/** VOC's "void" label: what NO_PREDICTION becomes in an 8-bit id image. */
export const VOC_VOID = 255;

/**
 * The PASCAL VOC colour of class `id` (the devkit's labelcolormap): the three low bits of the id
 * go to the top bits of R, G, B, the next three bits to the next bits, and so on — so
 * 1 = (128, 0, 0), 2 = (0, 128, 0), 15 (person) = (192, 128, 128), 255 = (224, 224, 192).
 */
export function vocColor(id: number): [number, number, number] {
  let r = 0;
  let g = 0;
  let b = 0;
  let c = id;
  for (let bit = 7; bit >= 0 && c > 0; bit--) {
    r |= (c & 1) << bit;
    g |= ((c >> 1) & 1) << bit;
    b |= ((c >> 2) & 1) << bit;
    c >>= 3;
  }
  return [r, g, b];
}

/** [count, 3] RGB palette of vocColor(0 … count − 1); default 256 entries (the VOC PNG palette). */
export function vocColormap(count = 256): Uint8Array {
  if (!Number.isInteger(count) || count < 1) throw usageError(`colormap size must be a positive integer, got ${String(count)}`);
  const out = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) out.set(vocColor(i), i * 3);
  return out;
}

/** Per-pixel class ids, row-major [height, width]; NO_PREDICTION where nothing was predicted. */
export interface ClassMap {
  readonly data: Int32Array;
  readonly width: number;
  readonly height: number;
  /** K, the number of classes the scores had. */
  readonly classes: number;
}
