// SPDX-License-Identifier: Apache-2.0
/**
 * The integer side of `compare`, `vectors` and `check-vectors`, through the real binary
 * (bin/mobilenetv2.js → dist/; needs `npm run build`), as a kernel author uses them:
 *   - two integer tap directories (TFLite tensor names, uint8 + int32, a conventions.json tap list
 *     with scales) → exit 1, the first tap in execution order with a difference, its count and
 *     LSB histogram, real units; identical → exit 0; uint8 vs float32 → a one-line DTYPE error;
 *   - `vectors` writes integer cases with their dtypes and quantization; results that are the
 *     expected outputs pass; one value off by 1 fails exactly that case with "1:1"; a float32 file
 *     for a uint8 case fails with the dtype named; an implementation that rounds twice where the
 *     case says single rounding fails only the single-rounding cases, by 1 LSB.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpyTypedFile, writeNpyTypedFile, type NpyInput } from '../../src/io/npy.js';
import { tapRecords, writeTapMetadata } from '../../src/oracle/taps.js';
import type { VectorManifest } from '../../src/oracle/vectors.js';
import { Q8_VECTOR_KERNELS } from '../../src/oracle/vectors/format.js';
import { REPO_ROOT } from '../helpers/shared.js';

const BIN = join(REPO_ROOT, 'bin', 'mobilenetv2.js');
const BUILT = existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'));
const dir = mkdtempSync(join(tmpdir(), 'mnv2-int-cli-'));

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MOBILENETV2_OFFLINE: '1' }, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function tapDir(name: string, taps: Array<{ name: string; data: NpyInput; shape: number[]; scale?: number; zeroPoint?: number }>): string {
  const d = join(dir, name);
  for (const t of taps) {
    const p = join(d, `${t.name}.npy`);
    mkdirSync(dirname(p), { recursive: true });
    writeNpyTypedFile(p, t.data, t.shape);
  }
  writeTapMetadata(d, tapRecords(taps.map((t) => ({ name: t.name, quantization: t.scale === undefined ? null : { scale: t.scale, zeroPoint: t.zeroPoint ?? 0 } }))), { arithmetic: 'integer', requantization: 'tflite-wasm' });
  return d;
}

const STEM = Uint8Array.from({ length: 32 }, (_, i) => (i * 29) % 256);
const LATER = Uint8Array.from({ length: 16 }, (_, i) => 40 + i);
const ACC = Int32Array.from([2 ** 30, 5, -7]);
const taps = (stem: Uint8Array, later: Uint8Array, acc: Int32Array | Float32Array = ACC) => [
  { name: 'MobilenetV2/Conv/Relu6', data: stem, shape: [1, 2, 2, 8], scale: 0.0235, zeroPoint: 0 },
  { name: 'MobilenetV2/Logits/AvgPool', data: later, shape: [1, 16], scale: 0.02, zeroPoint: 3 },
  { name: 'MobilenetV2/Logits/acc', data: acc, shape: [3] },
];

describe.skipIf(!BUILT)('compare on integer taps (spawned binary)', () => {
  it('names the first tap in execution order with a difference, with its count, LSB histogram and real units', () => {
    const b = tapDir('B', taps(STEM, LATER));
    const stem = STEM.slice(); stem[5]! += 1; stem[6]! += 1; stem[7]! -= 3;
    const later = LATER.slice(); later[0]! += 1;
    const a = tapDir('A', taps(stem, later));
    const r = cli('compare', a, b);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/exact match required/);
    expect(r.out).toMatch(/MobilenetV2\/Conv\/Relu6\s+uint8\s+\[1, 2, 2, 8\]\s+3\/32\s+3\s+1:2 3:1\s+7\.05e-2\s+FAIL/);
    expect(r.out).toMatch(/first tap with a difference: MobilenetV2\/Conv\/Relu6/);
    expect(r.out).toMatch(/first at \[0, 0, 0, 5\]: A \d+, B \d+ \(1 LSB = 2\.350e-2 real\)/);
    expect(r.out).toMatch(/FAIL: 2 of 3 taps differ; 4 of 51 integer values differ/);
    const j = JSON.parse(cli('compare', a, b, '--json').out);
    expect(j.firstDifference).toBe('MobilenetV2/Conv/Relu6');
    expect(j.taps[0].difference.histogram).toEqual([[1, 2], [3, 1]]);
    expect(j.a.requantization).toBe('tflite-wasm');
  });

  it('identical integer directories pass (exit 0, 0 differing values)', () => {
    const r = cli('compare', tapDir('C', taps(STEM, LATER)), tapDir('D', taps(STEM, LATER)));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/PASS: 3 integer taps identical \(51 values, 0 differing\)/);
  });

  it('an integer tap against a float32 one is a one-line DTYPE error', () => {
    const r = cli('compare', tapDir('E', taps(STEM, LATER)), tapDir('F', taps(STEM, LATER, Float32Array.from(ACC))));
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^mobilenetv2: error: compare: tap 'MobilenetV2\/Logits\/acc' is int32 in A .* but float32 in B/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe.skipIf(!BUILT)('integer vectors and check-vectors (spawned binary)', () => {
  const SUITE = join(dir, 'suite');
  let manifest: VectorManifest;
  const q8 = (): VectorManifest['cases'] => manifest.cases.filter((c) => c.kernel.startsWith('q8-'));
  const KERNELS = Q8_VECTOR_KERNELS.join(',');

  /** A results dir holding the expected output of every integer case (optionally edited). */
  function results(name: string, edit: (caseName: string, path: string) => void = () => {}): string {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    for (const c of q8()) {
      const p = join(d, `${c.name}.npy`);
      copyFileSync(join(SUITE, c.expected.file), p);
      edit(c.name, p);
    }
    return d;
  }

  beforeAll(() => {
    const r = cli('vectors', '--out', SUITE);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/q8-conv2d \d+/);
    manifest = JSON.parse(readFileSync(join(SUITE, 'manifest.json'), 'utf8')) as VectorManifest;
  }, 300_000);

  it('writes integer cases with dtypes, quantization parameters and the README formulas', () => {
    expect(manifest.format_version).toBe(2);
    const conv = q8().find((c) => c.kernel === 'q8-conv2d' && c.name.includes('i8-per-channel-single-rounding'))!;
    expect(conv.inputs.x!.dtype).toBe('int8');
    expect(conv.inputs.b!.dtype).toBe('int32');
    expect(conv.expected.dtype).toBe('int8');
    expect(readNpyTypedFile(join(SUITE, conv.expected.file)).dtype).toBe('int8');
    const p = conv.params as { filter: { scale: number[]; zeroPoint: number }; requantization: { convention: string; formula: string; multiplier: number[]; shift: number[] }; activationRange: number[] };
    expect(p.filter.scale.length).toBe(conv.expected.shape[3]);
    expect(p.filter.zeroPoint).toBe(0);
    expect(p.requantization).toMatchObject({ convention: 'single-rounding', formula: 'single-rounding' });
    expect(p.requantization.multiplier.length).toBe(conv.expected.shape[3]);
    expect(p.activationRange).toHaveLength(2);
    const readme = readFileSync(join(SUITE, 'README.txt'), 'utf8');
    for (const s of ['Integer cases', 'SaturatingRoundingDoublingHighMul', 'fp32-round-half-even', 'QuantizeMultiplier', 'q8-softmax']) expect(readme).toContain(s);
  });

  it('the expected outputs as results pass every integer case; --backend scalar passes too', () => {
    const r = cli('check-vectors', SUITE, results('exact'), '--kernel', KERNELS);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`PASS: ${q8().length} cases`));
    const s = cli('check-vectors', SUITE, '--backend', 'scalar', '--kernel', KERNELS);
    expect(s.code, s.out).toBe(0);
  });

  it('one value off by one fails that case alone, with the LSB histogram; a float32 result for a uint8 case names the dtype', () => {
    const victim = q8().find((c) => c.kernel === 'q8-depthwise' && c.name.includes('u8-tflite-reference') && !c.name.endsWith('ties'))!;
    const dtypeVictim = q8().find((c) => c.kernel === 'q8-add' && c.name.includes('u8'))!;
    const d = results('broken', (name, p) => {
      if (name === victim.name) {
        const a = readNpyTypedFile(p);
        const data = a.data as Uint8Array;
        data[4] = data[4]! === 255 ? 254 : data[4]! + 1;
        writeNpyTypedFile(p, data, a.shape);
      }
      if (name === dtypeVictim.name) {
        const a = readNpyTypedFile(p);
        writeNpyTypedFile(p, Float32Array.from(a.data as Uint8Array), a.shape);
      }
    });
    const r = cli('check-vectors', SUITE, d, '--kernel', KERNELS, '--json');
    expect(r.code).toBe(1);
    const g = JSON.parse(r.out) as { cases: Array<{ name: string; status: string; detail: string; lsb?: { differing: number; histogram: number[][] } }> };
    const failing = g.cases.filter((c) => c.status !== 'pass');
    expect(failing.map((c) => c.name).sort()).toEqual([victim.name, dtypeVictim.name].sort());
    const v = failing.find((c) => c.name === victim.name)!;
    expect(v.lsb).toMatchObject({ differing: 1, histogram: [[1, 1]] });
    expect(v.detail).toMatch(/1 of \d+ values differ \(\|result − expected\| in LSB: 1:1\); first at \[4\]/);
    expect(failing.find((c) => c.name === dtypeVictim.name)!.detail).toBe('result dtype float32, expected uint8');
  });

  it('rounding twice where the case says single rounding fails the single-rounding cases (by 1 LSB) and nothing else', () => {
    // The three conventions of a conv-like case share their tensors: submit the 'tflite-reference'
    // output everywhere, as an implementation with only the default TFLite rounding would.
    const d = results('double-everywhere', (name, p) => {
      const sibling = name.replace(/-(single-rounding|xnnpack-fp32)(-ties)?$/, '-tflite-reference$2');
      const c = q8().find((x) => x.name === sibling);
      if (sibling !== name && c && /^q8-(conv2d|depthwise|pointwise|fully-connected)$/.test(c.kernel)) copyFileSync(join(SUITE, c.expected.file), p);
    });
    const r = cli('check-vectors', SUITE, d, '--kernel', 'q8-conv2d,q8-depthwise,q8-pointwise,q8-fully-connected', '--json');
    expect(r.code).toBe(1);
    const g = JSON.parse(r.out) as { cases: Array<{ name: string; status: string; lsb?: { maxLsb: number } }> };
    const failing = g.cases.filter((c) => c.status === 'fail');
    expect(failing.length).toBeGreaterThan(0);
    for (const c of failing) expect(c.name).toMatch(/-(single-rounding|xnnpack-fp32)(-ties)?$/);
    expect(failing.some((c) => /single-rounding-ties$/.test(c.name))).toBe(true);
    expect(failing.some((c) => /xnnpack-fp32-ties$/.test(c.name))).toBe(true);
    for (const c of failing.filter((x) => x.name.endsWith('-ties'))) expect(c.lsb!.maxLsb).toBe(1);
    expect(g.cases.filter((c) => c.name.includes('tflite-reference')).every((c) => c.status === 'pass')).toBe(true);
  });
});
