// SPDX-License-Identifier: Apache-2.0
/**
 * Peak memory of a DCT-scaled JPEG decode (src/io/image/jpeg-scaled.ts) is bounded by the scaled
 * image, not the photo. A synthetic photo (spec/helpers/synthetic-photo.ts, written by jpeg-js's
 * encoder: baseline 4:4:4) of JPEG_MEMORY_MP megapixels (default 12, 4:3) is decoded for a
 * 224×224 input in a child process (spec/helpers/jpeg-rss-child.mjs, compiled dist/: `npm run
 * build` first) after one warm-up decode, with the kernel's peak-RSS counter reset in between
 * (Linux /proc; skipped elsewhere).
 *
 * Bound, derived: what a scaled sequential decode allocates is the component planes at the scaled
 * size over the MCU grid (the grid pads each side by < 16 full-size pixels, < 8 scaled ones), so
 * Σ_c pw·ph ≤ 3·(W′+8)(H′+8) bytes with W′ = ⌈W/f⌉, H′ = ⌈H/f⌉, plus the RGB output 3·W′·H′,
 * plus small tables; on top, V8 may grow its young generation by up to one
 * semi-space (16 MiB, Node's 64-bit default maximum) before collecting. So
 *   peak − before ≤ 3(W′+8)(H′+8) + 3W′H′ + 16 MiB.
 * The full-size RGB image alone, 3·W·H bytes (36 MB at 12 MP), is larger than this bound, so a
 * decode that ever materialises the photo at full size fails the test. Timing is not asserted
 * (bench/jpeg-decode.ts reports it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/shared.js';
import { syntheticPhotoJpeg } from '../../helpers/synthetic-photo.js';

const MP = Number(process.env.JPEG_MEMORY_MP ?? '12');
const HEIGHT = Math.round(Math.sqrt((MP * 1e6 * 3) / 4) / 8) * 8;
const WIDTH = Math.round((HEIGHT * 4) / 3 / 8) * 8;
const SEMI_SPACE = 16 * 1024 * 1024;
const LINUX = process.platform === 'linux' && existsSync('/proc/self/clear_refs');
const CHILD = join(REPO_ROOT, 'spec', 'helpers', 'jpeg-rss-child.mjs');

describe.skipIf(!LINUX)(`DCT-scaled decode of a ${WIDTH}x${HEIGHT} JPEG: peak RSS bounded by the scaled image`, () => {
  it('adds at most the scaled planes + output + one V8 semi-space, less than the full-size RGB image', () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'src', 'io', 'image', 'jpeg-scaled.js'))) throw new Error('dist/ is missing or stale: run `npm run build` first');
    const file = join(tmpdir(), `mobilenetv2-synthetic-${WIDTH}x${HEIGHT}-q90.jpg`);
    if (!existsSync(file)) writeFileSync(file, syntheticPhotoJpeg({ width: WIDTH, height: HEIGHT, seed: 12 }));
    const r = spawnSync(process.execPath, ['--expose-gc', CHILD, file, 'scaled', '224', '224', '--warm'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout) as { width: number; height: number; factor: number; ms: number; rssBefore: number; peakRss: number };
    const w = Math.ceil(WIDTH / m.factor);
    const h = Math.ceil(HEIGHT / m.factor);
    expect([m.width, m.height, m.factor]).toEqual([w, h, 8]);
    const bound = 3 * (w + 8) * (h + 8) + 3 * w * h + SEMI_SPACE;
    const added = m.peakRss - m.rssBefore;
    console.log(`[jpeg-memory] ${WIDTH}x${HEIGHT} → ${w}x${h} (1/${m.factor}): decode added ${(added / 1e6).toFixed(1)} MB RSS (bound ${(bound / 1e6).toFixed(1)} MB; the full RGB image alone is ${(3 * WIDTH * HEIGHT / 1e6).toFixed(1)} MB), ${m.ms.toFixed(0)} ms`);
    expect(bound).toBeLessThan(3 * WIDTH * HEIGHT);
    expect(added).toBeLessThanOrEqual(bound);
  }, 180_000);
});
