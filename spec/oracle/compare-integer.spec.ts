// SPDX-License-Identifier: Apache-2.0
/**
 * `compare` on integer taps (src/oracle/compare.ts compareIntegerTapDirs): exact match, differing
 * counts, the LSB histogram, the first tap in execution order with a difference, real units from
 * the conventions.json sidecar, and typed errors for dtype mismatches and bad sidecars. The taps
 * are hand-made with known differences, so every expected number below is counted by hand.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeNpyTypedFile, type NpyInput } from '../../src/io/npy.js';
import { compareIntegerTapDirs, prepareComparison } from '../../src/oracle/compare.js';
import { integerDifference } from '../../src/oracle/integer-diff.js';
import { readTapDir, tapRecords, writeTapMetadata, type TapRecord } from '../../src/oracle/taps.js';
import { MobileNetV2Error } from '../../src/errors.js';
import { tempDir } from './helpers.js';

const root = tempDir('mnv2-compare-int-');
let serial = 0;

interface TapSpec { name: string; data: NpyInput; shape: number[]; scale?: number | number[]; zeroPoint?: number | number[]; axis?: number }

/** A tap directory; `list` writes the conventions.json tap list (in the order given). */
function tapDir(taps: TapSpec[], list = true): string {
  const dir = join(root, `d${serial++}`);
  mkdirSync(dir, { recursive: true });
  for (const t of taps) {
    const p = join(dir, `${t.name}.npy`);
    mkdirSync(dirname(p), { recursive: true });
    writeNpyTypedFile(p, t.data, t.shape);
  }
  if (list) {
    writeTapMetadata(dir, tapRecords(taps.map((t) => ({
      name: t.name, quantization: t.scale === undefined ? null : { scale: t.scale, zeroPoint: t.zeroPoint ?? 0, ...(t.axis === undefined ? {} : { axis: t.axis }) },
    }))), { arithmetic: 'integer', requantization: 'tflite-reference' });
  }
  return dir;
}

// TFLite-style names, listed in an execution order that is NOT alphabetical.
const STEM = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37) % 256);
const BLOCK = Uint8Array.from({ length: 2 * 2 * 8 }, (_, i) => (i * 11 + 5) % 256);
const HEAD = Uint8Array.from({ length: 10 }, (_, i) => 100 + i);
const ACC = Int32Array.from([2 ** 30, -(2 ** 30), 7, 0]);

function reference(): TapSpec[] {
  return [
    { name: 'MobilenetV2/Conv/Relu6', data: STEM, shape: [1, 2, 3, 4], scale: 0.0235, zeroPoint: 0 },
    { name: 'MobilenetV2/expanded_conv/project/add_fold', data: BLOCK, shape: [1, 2, 2, 8], scale: 0.5, zeroPoint: 128 },
    { name: 'MobilenetV2/Logits/acc', data: ACC, shape: [4] },
    { name: 'MobilenetV2/Logits/Conv2d_1c_1x1/BiasAdd', data: HEAD, shape: [1, 10], scale: 0.1, zeroPoint: 60 },
  ];
}

describe('integerDifference', () => {
  it('counts differing values and their LSB histogram exactly', () => {
    const d = integerDifference([1, 2, 3, 4, 5, 6], [1, 3, 1, 4, 5, 9]);
    expect(d).toEqual({ count: 6, differing: 3, maxLsb: 3, histogram: [[1, 1], [2, 1], [3, 1]], first: 1, worst: 5 });
    expect(integerDifference(Uint8Array.of(0, 255), Uint8Array.of(0, 255)).differing).toBe(0);
  });
});

describe('compare on integer taps', () => {
  it('identical directories pass with 0 differing values', () => {
    const r = compareIntegerTapDirs(readTapDir(tapDir(reference())), readTapDir(tapDir(reference())));
    expect(r.pass).toBe(true);
    expect(r.taps).toHaveLength(4);
    expect(r.comparedValues).toBe(24 + 32 + 4 + 10);
    expect(r.differingValues).toBe(0);
    expect(r.orderHow).toMatch(/tap list/);
  });

  it('names the first tap in EXECUTION order with a difference, with counts, histogram and real units', () => {
    const a = reference();
    const block = BLOCK.slice(); block[3]! += 1; block[9]! += 1; block[10]! -= 1; block[20]! += 2;
    const head = HEAD.slice(); head[0]! += 5;
    a[1] = { ...a[1]!, data: block };
    a[3] = { ...a[3]!, data: head };
    const r = compareIntegerTapDirs(readTapDir(tapDir(a)), readTapDir(tapDir(reference())));
    expect(r.pass).toBe(false);
    // 'MobilenetV2/Logits/…' sorts before 'MobilenetV2/expanded_conv/…', but the list says otherwise.
    expect(r.taps.map((t) => t.name)).toEqual(reference().map((t) => t.name));
    expect(r.firstDifference).toBe('MobilenetV2/expanded_conv/project/add_fold');
    const t = r.taps[1]!;
    expect(t.difference.differing).toBe(4);
    expect(t.difference.histogram).toEqual([[1, 3], [2, 1]]);
    expect(t.difference.maxLsb).toBe(2);
    expect(t.first).toEqual({ at: [0, 0, 0, 3], a: BLOCK[3]! + 1, b: BLOCK[3] });
    expect(t.worst!.at).toEqual([0, 1, 0, 4]); // flat 20 in [1, 2, 2, 8]
    expect(t.realMaxAbs).toBe(2 * 0.5);
    expect(r.taps[3]!.realMaxAbs).toBeCloseTo(5 * 0.1, 12);
    expect(r.differingTaps).toBe(2);
    expect(r.differingValues).toBe(5);
  });

  it('int32 taps are compared exactly, beyond float32 precision (2^30 vs 2^30 + 1)', () => {
    const a = reference();
    a[2] = { ...a[2]!, data: Int32Array.from([2 ** 30 + 1, -(2 ** 30), 7, 0]) };
    expect(Math.fround(2 ** 30 + 1)).toBe(2 ** 30); // a float comparison would see nothing
    const r = compareIntegerTapDirs(readTapDir(tapDir(a)), readTapDir(tapDir(reference())));
    expect(r.firstDifference).toBe('MobilenetV2/Logits/acc');
    expect(r.taps[2]!.difference).toMatchObject({ differing: 1, maxLsb: 1 });
    expect(r.taps[2]!.realMaxAbs).toBeNull(); // no scale in the sidecar
  });

  it('a dtype mismatch is a DTYPE error naming the tap and both dtypes', () => {
    const a = reference();
    a[0] = { ...a[0]!, data: Float32Array.from(STEM) };
    const run = () => compareIntegerTapDirs(readTapDir(tapDir(a)), readTapDir(tapDir(reference())));
    expect(run).toThrow(MobileNetV2Error);
    expect(run).toThrow(/tap 'MobilenetV2\/Conv\/Relu6' is float32 in A .* but uint8 in B/);
    try { run(); } catch (e) { expect((e as MobileNetV2Error).code).toBe('DTYPE'); }
    const b = reference();
    b[1] = { ...b[1]!, data: Int8Array.from(BLOCK, (v) => v - 128) };
    expect(() => compareIntegerTapDirs(readTapDir(tapDir(reference())), readTapDir(tapDir(b)))).toThrow(/is uint8 in A .* but int8 in B/);
    // The float comparison refuses integer directories instead of applying a tolerance to them.
    expect(() => prepareComparison(readTapDir(tapDir(reference())), readTapDir(tapDir(reference())))).toThrow(/integer taps/);
  });

  it('different quantization on the two sides fails the tap even when the q values agree', () => {
    const a = reference();
    a[0] = { ...a[0]!, zeroPoint: 1 };
    const r = compareIntegerTapDirs(readTapDir(tapDir(a)), readTapDir(tapDir(reference())));
    expect(r.taps[0]!.difference.differing).toBe(0);
    expect(r.taps[0]!.pass).toBe(false);
    expect(r.taps[0]!.quantizationMismatch).toMatch(/zero point 1.*zero point 0/);
    expect(r.taps[0]!.realMaxAbs).toBeCloseTo(0.0235, 7); // every value moves by one scale step
    expect(r.firstDifference).toBe('MobilenetV2/Conv/Relu6');
  });

  it('per-channel scales (int8 weights along axis 0) give per-element real differences', () => {
    const w = Int8Array.from([10, 20, 30, 40, 50, 60]);
    const spec = (d: Int8Array): TapSpec[] => [{ name: 'w', data: d, shape: [3, 2], scale: [0.5, 0.25, 2], zeroPoint: [0, 0, 0], axis: 0 }];
    const changed = w.slice(); changed[1]! += 1; changed[5]! -= 3; // channel 0 (0.5) and channel 2 (2·3 = 6)
    const r = compareIntegerTapDirs(readTapDir(tapDir(spec(changed))), readTapDir(tapDir(spec(w))));
    expect(r.taps[0]!.difference.histogram).toEqual([[1, 1], [3, 1]]);
    expect(r.taps[0]!.realMaxAbs).toBe(6);
  });

  it('without a tap list, MobileNetV2 names keep layer order and other names sort naturally', () => {
    const t = (name: string): TapSpec => ({ name, data: Uint8Array.of(1), shape: [1] });
    const r = compareIntegerTapDirs(readTapDir(tapDir([t('features.10'), t('features.2'), t('input')], false)), readTapDir(tapDir([t('features.10'), t('features.2'), t('input')], false)));
    expect(r.taps.map((x) => x.name)).toEqual(['input', 'features.2', 'features.10']);
    const s = compareIntegerTapDirs(readTapDir(tapDir([t('op10'), t('op9')], false)), readTapDir(tapDir([t('op10'), t('op9')], false)));
    expect(s.taps.map((x) => x.name)).toEqual(['op9', 'op10']);
    expect(s.orderHow).toMatch(/file names/);
  });

  it('a malformed tap list in conventions.json is a FORMAT error naming the entry', () => {
    const dir = tapDir(reference(), false);
    const bad: unknown[] = [{ name: 'MobilenetV2/Conv/Relu6', scale: -1 }];
    writeFileSync(join(dir, 'conventions.json'), JSON.stringify({ taps: bad }));
    expect(() => readTapDir(dir)).toThrow(/taps\[0\] \('MobilenetV2\/Conv\/Relu6'\): "scale" must be a finite number > 0/);
    writeFileSync(join(dir, 'conventions.json'), JSON.stringify({ taps: [{ name: 'x', scale: [1, 2] }] as TapRecord[] }));
    expect(() => readTapDir(dir)).toThrow(/per-channel .* need "axis"/);
  });
});
