// SPDX-License-Identifier: Apache-2.0
/** Box conversions the SSD specs need to read goldens (src works on centre-size anchors throughout). */

/** [A, 4] corners (ymin, xmin, ymax, xmax) → centre form (ycenter, xcenter, h, w), as TF's `get_center_coordinates_and_sizes`. */
export function cornersToCenterSize(corners: Float32Array, count: number): Float32Array {
  const out = new Float32Array(4 * count);
  for (let a = 0; a < count; a++) {
    const o = 4 * a;
    out[o] = (corners[o]! + corners[o + 2]!) / 2;
    out[o + 1] = (corners[o + 1]! + corners[o + 3]!) / 2;
    out[o + 2] = corners[o + 2]! - corners[o]!;
    out[o + 3] = corners[o + 3]! - corners[o + 1]!;
  }
  return out;
}
