// SPDX-License-Identifier: Apache-2.0
/**
 * `node dist/bench/jpeg-decode.js [--mp 24,48] [--runs 1]`: peak RSS and time of decoding a large
 * JPEG, full size (jpeg-js + libjpeg colour path) beside DCT-scaled (src/io/image/jpeg-scaled.ts,
 * scaled for a 224×224 input: 1/8 for these sizes). Each decode runs in its own child process
 * (spec/helpers/jpeg-rss-child.mjs) so the peak RSS is that decode's alone. The photos are
 * synthetic (spec/helpers/synthetic-photo.ts), 3:2, written by jpeg-js's encoder (baseline 4:4:4,
 * quality 90), cached in $TMPDIR. Timings on a loaded machine are contended: report them as such.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticPhotoJpeg } from '../spec/helpers/synthetic-photo.js';
import { repoPath } from './paths.js';

const args = process.argv.slice(2);
const at = (flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const sizes = (at('--mp') ?? '24,48').split(',').map(Number);
const runs = Number(at('--runs') ?? '1');

/** A 3:2 photo of about `mp` megapixels: 6000×4000 for 24, 8484×5656 for 48. */
function photo(mp: number): { file: string; width: number; height: number } {
  const height = Math.round(Math.sqrt((mp * 1e6) / 1.5) / 8) * 8;
  const width = Math.round((height * 1.5) / 8) * 8;
  const file = join(tmpdir(), `mobilenetv2-synthetic-${width}x${height}.jpg`);
  if (!existsSync(file)) writeFileSync(file, syntheticPhotoJpeg({ width, height, seed: mp }));
  return { file, width, height };
}

interface ChildResult { width: number; height: number; factor: number; ms: number; rssBefore: number; peakRss: number; fileBytes: number }

function decodeInChild(file: string, mode: 'full' | 'scaled'): ChildResult {
  const r = spawnSync(process.execPath, [repoPath('spec', 'helpers', 'jpeg-rss-child.mjs'), file, mode, '224', '224'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildResult;
}

const MB = (b: number): string => (b / 1e6).toFixed(0);
console.log('| photo | decode | output | time (ms) | peak RSS (MB) | RSS before decode (MB) | added by the decode (MB) |');
console.log('|---|---|---|---|---|---|---|');
for (const mp of sizes) {
  const { file, width, height } = photo(mp);
  for (const mode of ['full', 'scaled'] as const) {
    for (let i = 0; i < runs; i++) {
      const r = decodeInChild(file, mode);
      console.log(`| ${width}x${height} (${(width * height / 1e6).toFixed(1)} MP, ${(r.fileBytes / 1e6).toFixed(1)} MB file) | ${mode === 'full' ? 'full (jpeg-js)' : `DCT-scaled 1/${r.factor}`} | ${r.width}x${r.height} | ${r.ms.toFixed(0)} | ${MB(r.peakRss)} | ${MB(r.rssBefore)} | ${MB(r.peakRss - r.rssBefore)} |`);
    }
  }
}
