// SPDX-License-Identifier: Apache-2.0
/**
 * The hostile files in ../shared/fuzz-regressions: each must end in a typed one-line error, fast
 * and with bounded memory — from the library and from the real `mobilenetv2` binary (a process of
 * its own, so an abort would show as a signal or exit code 133 instead of killing the test run).
 * The binary runs from dist/: `npm run build` first (npm test does).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importTflite } from '../../src/io/tflite/import.js';
import { expectError } from '../helpers/hostile.js';
import { HAVE_SHARED, REPO_ROOT, sharedPath } from '../helpers/shared.js';

const BIN = join(REPO_ROOT, 'bin', 'mobilenetv2.js');

describe.skipIf(!HAVE_SHARED)('../shared/fuzz-regressions', () => {
  const abortFile = () => sharedPath('fuzz-regressions', 'deeplab-import-abort.tflite');

  it('deeplab-import-abort.tflite (an operator writing a tensor an earlier one wrote, so the head walk looped): importTflite gives a FORMAT error naming both operators', () => {
    const bytes = new Uint8Array(readFileSync(abortFile()));
    const t0 = performance.now();
    expectError(() => importTflite(bytes, 'abort.tflite'), 'FORMAT', 'abort.tflite', 'operator #70 (RESIZE_BILINEAR)', "tensor #183 'ResizeBilinear_1'", 'operator #69');
    // Not a timing assertion on speed: a walk that loops runs for minutes before it aborts.
    expect(performance.now() - t0).toBeLessThan(30_000);
  });

  it.skipIf(!existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js')))('mobilenetv2 classify with it: one error line, exit code 1, no signal', () => {
    const r = spawnSync(process.execPath, [BIN, 'classify', sharedPath('images', 'cat.bmp'), '--model', abortFile(), '--backend', 'scalar'], {
      encoding: 'utf8', timeout: 120_000, env: { ...process.env, MOBILENETV2_OFFLINE: '1' },
    });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mobilenetv2: error: .*deeplab-import-abort\.tflite: operator #70 \(RESIZE_BILINEAR\) writes tensor #183 'ResizeBilinear_1', already written by operator #69$/);
  });
});
