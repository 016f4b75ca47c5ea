// SPDX-License-Identifier: Apache-2.0
/**
 * The rough edges a new user hits, through the real binary (bin/mobilenetv2.js → dist/): output
 * paths refused before any model runs, numbers out of range, --threads above the core count,
 * --version, consistent headers. Needs `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAVE_SHARED, REPO_ROOT, sharedPath } from '../helpers/shared.js';

const BIN = join(REPO_ROOT, 'bin', 'mobilenetv2.js');
const BUILT = existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'));
const dir = mkdtempSync(join(tmpdir(), 'mnv2-hyg-'));

export function cli(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MOBILENETV2_OFFLINE: '1', ...env }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: Date.now() - t0 };
}

function expectOneLineError(r: { code: number | null; err: string }, pattern: RegExp, code = 2): void {
  expect(r.code, r.err).toBe(code);
  expect(r.err.trim().split('\n'), r.err).toHaveLength(1);
  expect(r.err).toMatch(/^mobilenetv2: error: /);
  expect(r.err).not.toMatch(/internal error|\n\s+at /);
  expect(r.err).toMatch(pattern);
}

describe.skipIf(!BUILT)('CLI hygiene (spawned binary)', () => {
  it('--version and -v print the package version', () => {
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-v']) {
      const r = cli([flag]);
      expect(r.code).toBe(0);
      expect(r.out.trim()).toBe(`mobilenetv2 ${version}`);
    }
  });

  it('negative and out-of-range numbers name the flag and the value', () => {
    expectOneLineError(cli(['classify', 'x.jpg', '--top', '-3']), /classify: --top must be a positive integer, got '-3'/);
    expectOneLineError(cli(['segment', 'x.jpg', '--alpha', '-0.5']), /segment: --alpha must be a number in \[0, 1\], got '-0.5'/);
    expectOneLineError(cli(['detect', 'x.jpg', '--model', 'm.tflite', '--score', '1.5']), /detect: --score must be a number in \[0, 1\], got '1.5'/);
    expectOneLineError(cli(['classify', 'x.jpg', '--threads', '0']), /--threads must be an integer from 1 to 64, got '0'/);
  });

  it('output paths are refused before the model runs: missing dir, a directory, a system file, not .png', () => {
    // No model exists at this path: reaching the model would give a different error.
    const model = join(dir, 'absent.tflite');
    const img = join(dir, 'absent.jpg');
    expectOneLineError(cli(['segment', img, '--model', model, '--out', '/missing/dir/x.png']), /segment: --out '\/missing\/dir\/x.png': directory '\/missing\/dir' does not exist/);
    expectOneLineError(cli(['segment', img, '--model', model, '--mask', join(dir, 'm.gif')]), /segment: --mask '.*m\.gif': only PNG is written; give a path ending in \.png/);
    mkdirSync(join(dir, 'd.png'), { recursive: true });
    expectOneLineError(cli(['segment', img, '--model', model, '--out', join(dir, 'd.png')]), /--out '.*d\.png' is a directory; expected a file path/);
    expectOneLineError(cli(['segment', img, '--model', model, '--out', join(dir, 'x.jpg')]), /segment: --out '.*x\.jpg': only PNG is written; give a path ending in \.png/);
    expectOneLineError(cli(['detect', img, '--model', model, '--out', '/etc/boxes.png']), /detect: --out '\/etc\/boxes.png' is inside the system directory \/etc/);
    expectOneLineError(cli(['vectors', '--out', '/etc/passwd']), /vectors: --out '\/etc\/passwd' is inside the system directory \/etc/);
    writeFileSync(join(dir, 'file'), 'x');
    expectOneLineError(cli(['vectors', '--out', join(dir, 'file')]), /vectors: --out '.*file' is a file; expected a directory/);
    expectOneLineError(cli(['convert', '--to', 'tflite', '--random-seed', '1', '--out', '/nope/m.tflite']), /convert: --out '\/nope\/m.tflite': directory '\/nope' does not exist/);
    expectOneLineError(cli(['run', '--weights', 'w', '--input', 'x', '--output', join(dir, 'd.png')]), /run: --output '.*' is a directory/);
  });

  it.skipIf(!HAVE_SHARED)('--threads above the core count warns; --top above the class count is refused; headers are "IMAGE  WxH  (model)"', () => {
    const model = sharedPath('models', 'mobilenet_v2_1.0_224_quant.tflite');
    const cat = sharedPath('images', 'cat.bmp');
    const many = availableParallelism() + 1;
    const r = cli(['classify', cat, '--model', model, '--threads', String(many), '--top', '1']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(new RegExp(`classify: warning: --threads ${many} is more than the ${availableParallelism()} core`));
    expect(r.out.split('\n')[0]).toMatch(/cat\.bmp {2}\d+x\d+ {2}\(.*mobilenet_v2_1\.0_224_quant.*\)$/);
    expectOneLineError(cli(['classify', cat, '--model', model, '--top', '5000']), /classify: --top 5000 is more than the 1001 classes/);
    // Decoder limits are named by the CLI flag that changes them, not an API field.
    expectOneLineError(cli(['classify', cat, '--model', model, '--max-megapixels', '0.1']), /cat\.bmp: BMP image 512x341 = 0\.17 MP exceeds the limit of 0\.1 MP \(--max-megapixels\)/, 1);
    // Models exported with random weights say so whenever they are loaded.
    const rnd = join(dir, 'random.tflite');
    expect(cli(['convert', '--to', 'tflite', '--random-seed', '5', '--resolution', '64', '--classes', '10', '--out', rnd]).code).toBe(0);
    const rr = cli(['classify', cat, '--model', rnd, '--top', '1']);
    expect(rr.code, rr.err).toBe(0);
    expect(rr.err).toMatch(/warning: .*random\.tflite has RANDOM weights \(made by 'mobilenetv2 convert --random-seed'\): its outputs recognise nothing/);
  });
});
