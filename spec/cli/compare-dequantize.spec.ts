// SPDX-License-Identifier: Apache-2.0
/**
 * Quantization drift as a user measures it with the CLI: one torchvision state dict
 * (data/golden/c-real) exported twice — float32, and int8 with `convert --int8` — both run with
 * `run --model … --taps`, the int8 taps dequantized by `compare A B --dequantize` and compared
 * with the float taps layer by layer. Checked: the dequantization is real = scale·(q − zero point)
 * with conventions.json's parameters; without --dequantize the dtypes clash (DTYPE error); the
 * int8 run tracks the float one closely at the stem and drifts with depth (SQNR falls).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readNpyTypedFile, writeNpyTypedFile } from '../../src/io/npy.js';
import { readTapDir, dequantizeTapDir } from '../../src/oracle/taps.js';
import { compareTap } from '../../src/oracle/compare.js';
import { importTflite } from '../../src/io/tflite/import.js';
import { goldenPath } from '../helpers/golden-weights.js';
import { syntheticPhotoJpeg } from '../helpers/synthetic-photo.js';
import { seededF32 } from '../helpers/arbitraries.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += t + '\n'; }, err: (t) => { err += t + '\n'; } });
  return { code, out, err };
}

describe('compare --dequantize: int8 taps against float taps of the same network', () => {
  it('dequantizes with conventions.json, reports drift per layer, and refuses mixed dtypes without the flag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mnv2-drift-'));
    const images = join(dir, 'calibration');
    const WEIGHTS = goldenPath('c-real', 'weights.safetensors');
    (await import('node:fs')).mkdirSync(images);
    for (const seed of [1, 2]) writeFileSync(join(images, `p${seed}.jpg`), syntheticPhotoJpeg({ width: 72, height: 72, seed }));
    const common = ['convert', '--to', 'tflite', '--weights', WEIGHTS, '--resolution', '64', '--no-softmax'];
    expect((await cli(...common, '--out', join(dir, 'float.tflite'))).code).toBe(0);
    expect((await cli(...common, '--int8', '--calibration', images, '--out', join(dir, 'int8.tflite'))).code).toBe(0);

    // The same input for both: int8 pixels, and exactly their real values for the float model.
    const q = importTflite(new Uint8Array(readFileSync(join(dir, 'int8.tflite'))), 'int8').input.quantization!;
    const x = Int8Array.from(seededF32(64 * 64 * 3, 5, -128, 127), (v) => Math.round(v));
    const xf = Float32Array.from(x, (v) => q.scale * (v - q.zeroPoint));
    writeNpyTypedFile(join(dir, 'x.npy'), x, [1, 64, 64, 3]);
    writeNpyTypedFile(join(dir, 'xf.npy'), xf, [1, 64, 64, 3]);
    const A = join(dir, 'A'), B = join(dir, 'B');
    let r = await cli('run', '--model', join(dir, 'int8.tflite'), '--input', join(dir, 'x.npy'), '--output', join(dir, 'y.npy'), '--taps', A);
    expect(r.code, r.err).toBe(0);
    r = await cli('run', '--model', join(dir, 'float.tflite'), '--input', join(dir, 'xf.npy'), '--output', join(dir, 'yf.npy'), '--taps', B);
    expect(r.code, r.err).toBe(0);

    // real = scale·(q − zero point), from the tap list conventions.json wrote.
    const meta = JSON.parse(readFileSync(join(A, 'conventions.json'), 'utf8')) as { taps: Array<{ name: string; file: string; scale: number; zeroPoint: number }> };
    const stem = meta.taps.find((t) => t.name === 'features.0')!;
    const raw = readNpyTypedFile(join(A, stem.file)).data as Int8Array;
    const { dir: real, steps } = dequantizeTapDir(readTapDir(A));
    const dq = real.taps.get('features.0')!.data;
    expect(dq[7]).toBe(Math.fround(stem.scale * (raw[7]! - stem.zeroPoint)));
    expect(steps.get('features.0')).toBe(stem.scale);

    const mixed = await cli('compare', A, B);
    expect(mixed.code).toBe(1);
    expect(mixed.err.trim().split('\n')).toHaveLength(1);
    expect(mixed.err).toMatch(/tap '.*' is int8 in A .* but float32 in B/);

    const drift = await cli('compare', A, B, '--dequantize', '--json');
    const report = JSON.parse(drift.out) as { taps: Array<{ name: string; metrics: { sqnrDb: number | string } }> };
    const sqnr = (name: string): number => Number(report.taps.find((t) => t.name === name)!.metrics.sqnrDb);
    expect(report.taps.length).toBeGreaterThanOrEqual(52);
    // int8 keeps the stem conv close to float (8-bit: ~30 dB and up); error accumulates with depth.
    expect(sqnr('features.0')).toBeGreaterThan(25);
    expect(sqnr('features.0')).toBeGreaterThan(sqnr('features.17'));
    const text = await cli('compare', A, B, '--dequantize');
    expect(text.out).toContain('one quantization step per tap (dequantized)');
    expect(text.out).toMatch(/quantization drift: lowest SQNR [\d.]+ dB at \S+; \d+ of \d+ taps/);
    expect(text.out).not.toContain('likely cause');
    // compareTap on the dequantized stem = the report's row.
    const bStem = readTapDir(B).taps.get('features.0')!;
    expect(compareTap('features.0', { data: dq, shape: bStem.shape }, { data: bStem.data, shape: bStem.shape }).metrics.sqnrDb).toBeCloseTo(sqnr('features.0'), 6);
  }, 120_000);
});
