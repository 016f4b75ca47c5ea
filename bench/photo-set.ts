// SPDX-License-Identifier: Apache-2.0
/**
 * `node dist/bench/photo-set.js OUT_DIR [--n 500] [--large 20]`: a batch-throughput photo set.
 * Every image in ../shared/images (the photos and BMPs) is rescaled by a factor in 0.6–1.6
 * (bilinear) and re-encoded as a JPEG of quality 75–95 by jpeg-js's encoder, round robin, until
 * n files exist; `--large` of them are phone-camera-like instead: 1600–2400 px on the long side
 * (jpeg-js encodes ~1 µs per pixel, so true 12 MP files would take minutes to write). Seeded, so
 * the same command gives the same set. Then, e.g.:
 *   /usr/bin/time -v node bin/mobilenetv2.js classify OUT_DIR --jsonl --top 1 > /dev/null
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { decodeImage } from '../src/io/image/decode.js';
import type { RgbImage } from '../src/io/image/image.js';
import { repoPath } from './paths.js';

const args = process.argv.slice(2);
const at = (flag: string, d: string): string => (args.includes(flag) ? args[args.indexOf(flag) + 1]! : d);
const outDir = args[0];
if (outDir === undefined || outDir.startsWith('--')) throw new Error('usage: photo-set OUT_DIR [--n 500] [--large 20]');
const n = Number(at('--n', '500'));
const large = Number(at('--large', '20'));

const dir = repoPath('..', 'shared', 'images');
const sources: { name: string; img: RgbImage }[] = readdirSync(dir)
  .filter((f) => /\.(jpg|bmp)$/.test(f) && !f.includes('mask'))
  .map((f) => ({ name: f.replace(/\.\w+$/, ''), img: decodeImage(new Uint8Array(readFileSync(join(dir, f))), f) }));

function resize(img: RgbImage, W: number, H: number): Uint8Array {
  const out = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) {
    const sy = Math.min(img.height - 1, Math.max(0, ((y + 0.5) * img.height) / H - 0.5));
    const y0 = Math.floor(sy), y1 = Math.min(img.height - 1, y0 + 1), fy = sy - y0;
    for (let x = 0; x < W; x++) {
      const sx = Math.min(img.width - 1, Math.max(0, ((x + 0.5) * img.width) / W - 0.5));
      const x0 = Math.floor(sx), x1 = Math.min(img.width - 1, x0 + 1), fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number): number => img.data[(yy * img.width + xx) * 3 + c]!;
        const top = p(y0, x0) * (1 - fx) + p(y0, x1) * fx;
        const bot = p(y1, x0) * (1 - fx) + p(y1, x1) * fx;
        out[(y * W + x) * 4 + c] = Math.round(top * (1 - fy) + bot * fy);
      }
      out[(y * W + x) * 4 + 3] = 255;
    }
  }
  return out;
}

mkdirSync(outDir, { recursive: true });
let seed = 12345;
const rnd = (): number => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 4294967296;
};
const t0 = Date.now();
for (let i = 0; i < n; i++) {
  const { name, img } = sources[i % sources.length]!;
  const isLarge = i % Math.max(1, Math.floor(n / Math.max(1, large))) === 0 && i / Math.floor(n / Math.max(1, large)) < large;
  const f = isLarge ? (1600 + rnd() * 800) / Math.max(img.width, img.height) : 0.6 + rnd();
  const W = Math.max(16, Math.round(img.width * f)), H = Math.max(16, Math.round(img.height * f));
  const q = Math.round(75 + rnd() * 20);
  const file = join(outDir, `${String(i).padStart(4, '0')}-${name}-${W}x${H}.jpg`);
  writeFileSync(file, jpeg.encode({ data: resize(img, W, H), width: W, height: H }, q).data);
}
console.log(`${n} JPEGs in ${outDir} (${large} large), ${((Date.now() - t0) / 1000).toFixed(0)} s`);
