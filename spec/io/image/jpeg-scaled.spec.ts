// SPDX-License-Identifier: Apache-2.0
/**
 * src/io/image/jpeg-scaled.ts (JPEG decoding with DCT-domain downscaling) against jpeg-js's
 * full-size decode, which we did not write.
 *
 * What is compared. Per colour component, our plane at 1/g per axis (g = 2, 4, 8) against the
 * mean of each g×g box of jpeg-js's full-size component plane (colour transform off, so the
 * comparison is before any colour conversion; subsampled components are read at their own
 * resolution).
 *
 * Tolerance, derived. Let s(y,x) be the exact (real-valued) IDCT of a block plus 128.
 *   - ours = round(mean over the box of s): |ours − mean(s)| ≤ 0.5 (the mean is computed in the
 *     DCT domain in float64; its own error is ~1e-12);
 *   - jpeg-js's sample p = clamp(s + e) rounded, with its integer IDCT's error |e| bounded by the
 *     IEEE 1180 accuracy test every JPEG IDCT is held to: peak error ≤ 1 level per sample,
 *     rounding included; so |mean(p) − mean(s)| ≤ 1 where no sample of the box was clamped;
 *   ⇒ |ours − mean(p)| ≤ 1.5 on every box none of whose jpeg-js samples is 0 or 255 (clamping
 *     moves a sample by an amount we cannot see; such boxes are counted and left out).
 * The mean signed difference over all compared boxes must also be small (|mean| ≤ 0.25: the
 * rounding errors of an unbiased IDCT average out; a wrong basis, scale or offset shows here).
 * Edge boxes that reach past the component's own size are left out: there the encoder's padding
 * (which a full decode crops away) enters the scaled decode, as in libjpeg.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodePng } from '../../../src/io/image/decode.js';
import { chooseJpegScale, decodeJpegScaledPlanes } from '../../../src/io/image/jpeg-scaled.js';
import { MobileNetV2Error } from '../../../src/errors.js';
import { HAVE_SHARED, REPO_ROOT, sharedPath } from '../../helpers/shared.js';
import { syntheticPhotoJpeg } from '../../helpers/synthetic-photo.js';

const PER_BOX_BOUND = 1.5;
const MEAN_SIGNED_BOUND = 0.25;

const refs = JSON.parse(readFileSync(join(REPO_ROOT, 'data', 'reference', 'images', 'image_refs.json'), 'utf8')) as {
  fixtures: { name: string; format: string; file: string }[];
};
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

/** SOF components (h, v) of a JPEG file. */
function sampling(b: Uint8Array): { h: number; v: number }[] {
  for (let i = 2; i < b.length;) {
    if (b[i] !== 0xff) { i++; continue; }
    const m = b[i + 1];
    if (m >= 0xc0 && m <= 0xc2) {
      const n = b[i + 9];
      return Array.from({ length: n }, (_, k) => ({ h: b[i + 11 + 3 * k] >> 4, v: b[i + 11 + 3 * k] & 15 }));
    }
    i += 2 + ((b[i + 2] << 8) | b[i + 3]);
  }
  throw new Error('no SOF');
}

interface Stats { boxes: number; clamped: number; max: number; meanSigned: number }

function compareWithJpegJs(file: Uint8Array, g: 2 | 4 | 8): Stats {
  const full = jpeg.decode(file, { useTArray: true, formatAsRGBA: false, colorTransform: false, tolerantDecoding: false });
  const W = full.width;
  const H = full.height;
  const comps = sampling(file);
  const maxH = Math.max(...comps.map((c) => c.h));
  const maxV = Math.max(...comps.map((c) => c.v));
  const ours = decodeJpegScaledPlanes(file, 'x.jpg', g);
  expect([ours.width, ours.height]).toEqual([W, H]);
  let boxes = 0;
  let clamped = 0;
  let max = 0;
  let signed = 0;
  comps.forEach((c, k) => {
    const rx = maxH / c.h;
    const ry = maxV / c.v;
    const cw = Math.ceil((W * c.h) / maxH);
    const ch = Math.ceil((H * c.v) / maxV);
    const plane = ours.planes[k];
    const gx = Math.max(1, g / rx);
    const gy = Math.max(1, g / ry);
    // jpeg-js with colour transform off: component k of the sample (cy, cx) sits at pixel (cy·ry, cx·rx)
    const channels = full.data.length / (W * H);
    const native = (cy: number, cx: number): number => full.data[(cy * ry * W + cx * rx) * channels + (comps.length === 1 ? 0 : k)];
    for (let i = 0; (i + 1) * gy <= ch; i++) {
      for (let j = 0; (j + 1) * gx <= cw; j++) {
        let s = 0;
        let clip = false;
        for (let y = i * gy; y < (i + 1) * gy; y++) {
          for (let x = j * gx; x < (j + 1) * gx; x++) {
            const p = native(y, x);
            if (p === 0 || p === 255) clip = true;
            s += p;
          }
        }
        if (clip) { clamped++; continue; }
        const d = plane.data[i * plane.width + j] - s / (gx * gy);
        boxes++;
        signed += d;
        max = Math.max(max, Math.abs(d));
      }
    }
  });
  return { boxes, clamped, max, meanSigned: signed / boxes };
}

function checkFile(name: string, file: Uint8Array): void {
  for (const g of [2, 4, 8] as const) {
    const st = compareWithJpegJs(file, g);
    console.log(`[jpeg-scaled] ${name} 1/${g}: ${st.boxes} boxes, max |Δ| ${st.max.toFixed(3)}, mean Δ ${st.meanSigned.toFixed(4)} (${st.clamped} boxes with clamped samples left out)`);
    expect(st.boxes).toBeGreaterThan(0);
    expect(st.max).toBeLessThanOrEqual(PER_BOX_BOUND);
    expect(Math.abs(st.meanSigned)).toBeLessThanOrEqual(MEAN_SIGNED_BOUND);
  }
}

describe('DCT-scaled decode = box mean of jpeg-js full decode (per component, |Δ| ≤ 1.5 level)', () => {
  for (const f of refs.fixtures.filter((x) => x.format === 'jpeg' && x.name !== 'jpeg-cmyk-adobe')) {
    it(`PIL-written ${f.name} (40x24)`, () => checkFile(f.name, b64(f.file)));
  }
  it('jpeg-js-written 4:4:4 synthetic photo, 331x197 (partial MCUs at both edges)', () => {
    checkFile('synthetic 331x197', syntheticPhotoJpeg({ width: 331, height: 197, quality: 92, seed: 7 }));
  });
  describe.skipIf(!HAVE_SHARED)('shared photos', () => {
    for (const name of ['hot_dog.jpg', 'street_dog_bicycle_truck.jpg']) {
      it(`${name}`, () => checkFile(name, new Uint8Array(readFileSync(sharedPath('images', name)))));
    }
  });
});

describe('decodeImage({ jpegScaling })', () => {
  const photo = syntheticPhotoJpeg({ width: 1000, height: 600, seed: 3 });
  it('picks the largest factor that keeps both sides ≥ the size asked for', () => {
    expect(chooseJpegScale(1000, 600, 224, 224)).toBe(2); // 1/4 would be 250x150
    expect(chooseJpegScale(6000, 4000, 224, 224)).toBe(8);
    expect(chooseJpegScale(6000, 4000, 513, 513)).toBe(4);
    expect(chooseJpegScale(300, 300, 224, 224)).toBe(1);
    expect(chooseJpegScale(1793, 1793, 224, 224)).toBe(8); // ⌈1793/8⌉ = 225
    const img = decodeImage(photo, 'p.jpg', { jpegScaling: { minWidth: 224, minHeight: 224 } });
    expect([img.width, img.height]).toEqual([500, 300]);
    expect(img.decodedScale).toEqual({ factor: 2, fullWidth: 1000, fullHeight: 600 });
    const small = decodeImage(photo, 'p.jpg', { jpegScaling: { minWidth: 100, minHeight: 50 } });
    expect([small.width, small.height, small.decodedScale?.factor]).toEqual([125, 75, 8]);
  });
  it('without the option, or when no factor fits, the full decode is returned unchanged', () => {
    const full = decodeImage(photo, 'p.jpg');
    const same = decodeImage(photo, 'p.jpg', { jpegScaling: { minWidth: 600, minHeight: 600 } });
    expect(full.decodedScale).toBeUndefined();
    expect(Buffer.from(same.data).equals(Buffer.from(full.data))).toBe(true);
  });
  it('RGB at 1/8 is the box mean of the full RGB decode within the colour-converted bound (4:4:4)', () => {
    // Through YCbCr → RGB the per-component bound 1.5 becomes at most 1.5·(1 + 1.772) + 1 (B has
    // the largest coefficient; two roundings of the fixed-point conversion) ≈ 5.2 levels.
    const full = decodeImage(photo, 'p.jpg');
    const small = decodeImage(photo, 'p.jpg', { jpegScaling: { minWidth: 100, minHeight: 50 } });
    let max = 0;
    for (let y = 0; y < 75; y++) for (let x = 0; x < 125; x++) for (let c = 0; c < 3; c++) {
      let s = 0;
      let clip = false;
      for (let dy = 0; dy < 8; dy++) for (let dx = 0; dx < 8; dx++) {
        const p = full.data[((y * 8 + dy) * 1000 + x * 8 + dx) * 3 + c];
        if (p === 0 || p === 255) clip = true;
        s += p;
      }
      if (!clip) max = Math.max(max, Math.abs(small.data[(y * 125 + x) * 3 + c] - s / 64));
    }
    expect(max).toBeLessThanOrEqual(1.5 * (1 + 1.772) + 1);
  });
  it('a bad option is a USAGE error; PNG input ignores the option', () => {
    expect(() => decodeImage(photo, 'p.jpg', { jpegScaling: { minWidth: 0, minHeight: 10 } })).toThrow(MobileNetV2Error);
    const png = encodePng({ data: new Uint8Array(64 * 48 * 3).fill(90), width: 64, height: 48, channels: 3 });
    const img = decodeImage(png, 'p.png', { jpegScaling: { minWidth: 8, minHeight: 8 } });
    expect([img.width, img.height, img.decodedScale]).toEqual([64, 48, undefined]);
  });
});

describe('hostile bytes through the scaled decoder', () => {
  it('byte flips and truncations of every fixture give a valid image or a MobileNetV2Error, nothing else', () => {
    let seed = 99;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const files = [...refs.fixtures.filter((x) => x.format === 'jpeg').map((f) => b64(f.file)), syntheticPhotoJpeg({ width: 64, height: 40, seed: 5 })];
    let typed = 0;
    for (let i = 0; i < 600; i++) {
      const base = files[i % files.length]!;
      const b = i % 5 === 4 ? base.slice(0, rnd(base.length)) : base.slice();
      if (i % 5 !== 4) for (let k = 0; k <= rnd(4); k++) b[rnd(b.length)] = rnd(256);
      try {
        const img = decodeImage(b, 'fuzz.jpg', { jpegScaling: { minWidth: 4, minHeight: 4 } });
        expect(img.data.length).toBe(img.width * img.height * 3);
      } catch (e) {
        if (!(e instanceof MobileNetV2Error)) throw e;
        typed++;
      }
    }
    expect(typed).toBeGreaterThan(0);
  });
});

