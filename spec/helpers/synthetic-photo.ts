// SPDX-License-Identifier: Apache-2.0
/**
 * Photo-like synthetic JPEGs for the large-photo checks (spec/io/image/jpeg-scaled.spec.ts,
 * bench/jpeg-decode.ts), encoded by jpeg-js's own encoder (baseline, 4:4:4), so the file under test
 * is not written by our code. Content: smooth colour gradients, a few hard-edged discs and a
 * seeded per-pixel noise of ±`noise` levels, so the entropy-coded size is that of a real photo
 * (a few bits per pixel at quality 90) rather than of a flat image.
 */
import jpeg from 'jpeg-js';

export interface SyntheticPhotoOptions {
  readonly width: number;
  readonly height: number;
  /** jpeg-js quality, default 90 */
  readonly quality?: number;
  /** per-pixel noise amplitude in levels, default 12 */
  readonly noise?: number;
  readonly seed?: number;
}

/** RGBA pixels of the synthetic photo (jpeg-js's encoder input). */
export function syntheticPhotoRgba(o: SyntheticPhotoOptions): Uint8Array {
  const { width: W, height: H } = o;
  const noise = o.noise ?? 12;
  let s = (o.seed ?? 1) >>> 0 || 1;
  const rnd = (): number => {
    // xorshift32
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const discs = Array.from({ length: 12 }, () => ({ x: rnd() * W, y: rnd() * H, r: (0.05 + rnd() * 0.15) * Math.min(W, H), c: [rnd() * 255, rnd() * 255, rnd() * 255] }));
  const out = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let r = (255 * x) / W;
      let g = (255 * y) / H;
      let b = 128 + 100 * Math.sin((x + y) / (0.05 * W + 1));
      for (const d of discs) {
        if ((x - d.x) ** 2 + (y - d.y) ** 2 < d.r * d.r) { r = d.c[0]; g = d.c[1]; b = d.c[2]; }
      }
      const n = (rnd() * 2 - 1) * noise;
      const o4 = (y * W + x) * 4;
      out[o4] = Math.max(0, Math.min(255, r + n));
      out[o4 + 1] = Math.max(0, Math.min(255, g + n));
      out[o4 + 2] = Math.max(0, Math.min(255, b + n));
      out[o4 + 3] = 255;
    }
  }
  return out;
}

/** The synthetic photo as a baseline JPEG written by jpeg-js's encoder. */
export function syntheticPhotoJpeg(o: SyntheticPhotoOptions): Uint8Array {
  const data = syntheticPhotoRgba(o);
  return new Uint8Array(jpeg.encode({ data, width: o.width, height: o.height }, o.quality ?? 90).data);
}
