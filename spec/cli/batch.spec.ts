// SPDX-License-Identifier: Apache-2.0
/**
 * Batch runs through the real binary: directories, --recursive, quoted globs, --jsonl streaming,
 * --keep-going with a broken image (exit 3), --shard K/N covering the list disjointly, --skip-done
 * resume, and several images for segment/detect with --out DIR. Needs `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandGlob } from '../../src/cli/batch.js';
import { HAVE_SHARED, REPO_ROOT, sharedPath } from '../helpers/shared.js';

const BIN = join(REPO_ROOT, 'bin', 'mobilenetv2.js');
const BUILT = existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'batch.js'));

function cli(args: string[], cwd = REPO_ROOT): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, MOBILENETV2_OFFLINE: '1' }, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const jsonLines = (text: string): Array<{ image: string; ok: boolean; error?: { code: string; message: string }; predictions?: Array<{ index: number }> }> =>
  text.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));

describe('glob expansion', () => {
  it('*, ?, […] within a segment and ** across directories; dot files only when asked', () => {
    const d = mkdtempSync(join(tmpdir(), 'mnv2-glob-'));
    for (const f of ['a.jpg', 'b.JPG', 'c.png', 'x/d.jpg', 'x/y/e.jpg', '.hidden.jpg', 'x/f.txt']) {
      mkdirSync(join(d, f, '..'), { recursive: true });
      writeFileSync(join(d, f), '');
    }
    const rel = (ps: string[]): string[] => ps.map((p) => p.slice(d.length + 1)).sort();
    expect(rel(expandGlob(`${d}/*.jpg`))).toEqual(['a.jpg']);
    expect(rel(expandGlob(`${d}/?.[jJ][pP][gG]`))).toEqual(['a.jpg', 'b.JPG']);
    expect(rel(expandGlob(`${d}/**/*.jpg`))).toEqual(['a.jpg', 'x/d.jpg', 'x/y/e.jpg']);
    expect(rel(expandGlob(`${d}/.*.jpg`))).toEqual(['.hidden.jpg']);
  });
});

describe.skipIf(!BUILT || !HAVE_SHARED)('batch classify / segment / detect (spawned binary)', () => {
  const model = sharedPath('models', 'mobilenet_v2_1.0_224_quant.tflite');
  const root = mkdtempSync(join(tmpdir(), 'mnv2-batch-'));
  const imgs = join(root, 'imgs');
  mkdirSync(join(imgs, 'sub'), { recursive: true });
  for (const f of ['cat.bmp', 'grace_hopper.bmp', 'hot_dog.jpg', 'parrot.jpg']) copyFileSync(sharedPath('images', f), join(imgs, f));
  copyFileSync(sharedPath('images', 'bird.bmp'), join(imgs, 'sub', 'bird.bmp'));
  writeFileSync(join(imgs, 'broken.jpg'), 'this is not a jpeg');

  it('a directory (with and without --recursive), --jsonl streams one record per image, --keep-going records the broken one and exits 3', () => {
    const r = cli(['classify', imgs, '--model', model, '--jsonl', '--keep-going', '--top', '1']);
    expect(r.code, r.err).toBe(3);
    const recs = jsonLines(r.out);
    expect(recs.map((x) => x.image.slice(imgs.length + 1))).toEqual(['broken.jpg', 'cat.bmp', 'grace_hopper.bmp', 'hot_dog.jpg', 'parrot.jpg']);
    expect(recs[0]).toMatchObject({ ok: false, error: { code: 'FORMAT' } });
    expect(recs[0]!.error!.message).toMatch(/not a JPEG, PNG or BMP image/);
    expect(recs.slice(1).map((x) => x.predictions![0]!.index)).toEqual([286, 653, 935, 89]); // ../shared/README.md known answers
    expect(r.err).toMatch(/classify: 1 of 5 images failed \(--keep-going\)/);
    // Not a TTY: no progress output on stderr.
    expect(r.err).not.toMatch(/images\/s/);
    const rec = cli(['classify', imgs, '--recursive', '--model', model, '--jsonl', '--keep-going', '--top', '1']);
    expect(jsonLines(rec.out).map((x) => x.image.slice(imgs.length + 1))).toContain('sub/bird.bmp');
    // Without --keep-going the first bad image stops the run with its one-line error.
    const stop = cli(['classify', imgs, '--model', model, '--top', '1']);
    expect(stop.code).toBe(1);
    expect(stop.err.trim().split('\n')).toHaveLength(1);
    expect(stop.err).toMatch(/broken\.jpg: not a JPEG, PNG or BMP image/);
  }, 300_000);

  it('quoted globs, --shard K/N (disjoint, covering) and --skip-done resume', () => {
    const all = jsonLines(cli(['classify', `${imgs}/*.bmp`, `${imgs}/*.jpg`, '--model', model, '--jsonl', '--keep-going', '--top', '1']).out).map((x) => x.image);
    expect(all).toHaveLength(5);
    const shards = [0, 1].map((k) => jsonLines(cli(['classify', `${imgs}/**/*.*`, '--model', model, '--jsonl', '--keep-going', '--top', '1', '--shard', `${k}/2`]).out).map((x) => x.image));
    const union = shards.flat().sort();
    expect(new Set(union).size).toBe(union.length); // disjoint
    expect(union).toEqual(jsonLines(cli(['classify', `${imgs}/**/*.*`, '--model', model, '--jsonl', '--keep-going', '--top', '1']).out).map((x) => x.image).sort());
    expect(cli(['classify', imgs, '--shard', '3/3']).err).toMatch(/--shard must be K\/N with N ≥ 1 and K from 0 to N − 1/);
    expect(cli(['classify', `${imgs}/*.gif`]).err).toMatch(/no image matches/);
    // Resume: the first run's successes are skipped, the failure runs again.
    const done = join(root, 'done.jsonl');
    const first = cli(['classify', imgs, '--model', model, '--jsonl', '--keep-going', '--top', '1', '--shard', '0/2']);
    writeFileSync(done, first.out);
    const second = cli(['classify', imgs, '--model', model, '--jsonl', '--keep-going', '--top', '1', '--skip-done', done]);
    const okFirst = jsonLines(first.out).filter((x) => x.ok).map((x) => x.image);
    const again = jsonLines(second.out).map((x) => x.image);
    expect(again.filter((x) => okFirst.includes(x))).toEqual([]);
    expect(again.length).toBe(5 - okFirst.length);
    expect(second.err).toMatch(new RegExp(`skipping ${okFirst.length} images? already done`));
  }, 300_000);

  it('segment and detect take several images; --out is then a directory of PNGs named after the images', () => {
    const seg = sharedPath('models', 'deeplabv3_257_mv_gpu.tflite');
    const outDir = join(root, 'overlays');
    const r = cli(['segment', join(imgs, 'cat.bmp'), join(imgs, 'parrot.jpg'), '--model', seg, '--out', outDir, '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as Array<{ image: string; overlay: string }>;
    expect(j.map((x) => x.overlay)).toEqual([join(outDir, 'cat.png'), join(outDir, 'parrot.png')]);
    expect(readdirSync(outDir).sort()).toEqual(['cat.png', 'parrot.png']);
    // Two images with the same name would write the same file: refused before the model runs.
    mkdirSync(join(root, 'other'), { recursive: true });
    copyFileSync(sharedPath('images', 'cat.bmp'), join(root, 'other', 'cat.bmp'));
    const clash = cli(['segment', join(imgs, 'cat.bmp'), join(root, 'other', 'cat.bmp'), '--model', seg, '--out', outDir]);
    expect(clash.code).toBe(2);
    expect(clash.err).toMatch(/would both write .*cat\.png/);
  }, 300_000);
});
