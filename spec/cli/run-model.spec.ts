// SPDX-License-Identifier: Apache-2.0
/**
 * `run --model FILE.tflite`: a TFLite file on a raw NHWC tensor in its own input dtype. On the
 * shared uint8 classifier the written output is the interpreter's own output, byte for byte; the
 * taps carry their quantization and `compare` reads them as integer taps.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED, sharedPath } from '../helpers/shared.js';
import { loadTfliteInterpreter, type TfliteInterpreter } from '../helpers/tflite-oracle.js';
import { main } from '../../src/cli/main.js';
import { load } from '../../src/api.js';
import { readNpyTypedFile, writeNpyTypedFile } from '../../src/io/npy.js';

const MODEL = 'mobilenet_v2_1.0_224_quant.tflite';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err };
}

describe.skipIf(!HAVE_SHARED)('run --model FILE.tflite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mnv2-run-model-'));
  const input = join(dir, 'x.npy');
  let interpreter: TfliteInterpreter;
  let pixels: Uint8Array;
  beforeAll(async () => {
    const model = await load({ model: sharedPath('models', MODEL), allowDownload: false });
    pixels = (await model.prepare(sharedPath('images', 'cat.bmp'))).quantized as Uint8Array;
    model.dispose();
    writeNpyTypedFile(input, pixels, [1, 224, 224, 3]);
    interpreter = await loadTfliteInterpreter(new Uint8Array(readFileSync(sharedPath('models', MODEL))));
  }, 120_000);
  afterAll(() => interpreter?.dispose());

  it('integer path: the output is the interpreter\'s uint8 softmax byte for byte; taps with their quantization compare as integer taps', async () => {
    const output = join(dir, 'y.npy');
    const taps = join(dir, 'taps');
    const r = await cli(['run', '--model', sharedPath('models', MODEL), '--input', input, '--output', output, '--taps', taps]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/integer arithmetic \(tflite-wasm\), wrote .*probabilities \[1, 1001\]/);
    const y = readNpyTypedFile(output);
    expect(y.dtype).toBe('uint8');
    const [theirs] = interpreter.run([pixels]);
    expect(Array.from(y.data as Uint8Array)).toEqual(Array.from(theirs as Uint8Array));
    const meta = JSON.parse(readFileSync(join(taps, 'conventions.json'), 'utf8')) as { arithmetic: string; taps: { name: string; scale?: number; zeroPoint?: number }[] };
    expect(meta.arithmetic).toBe('integer');
    const stem = meta.taps.find((t) => t.name === 'features.0')!;
    expect(stem.scale).toBeGreaterThan(0);
    expect(readNpyTypedFile(join(taps, 'features.0.npy')).dtype).toBe('uint8');
    const same = await cli(['compare', taps, taps]);
    expect(same.code, same.err + same.out).toBe(0);
  }, 120_000);

  it('float path on the same file: float32 logits; a float32 input to the integer path is a one-line DTYPE error', async () => {
    const output = join(dir, 'yf.npy');
    const r = await cli(['run', '--model', sharedPath('models', MODEL), '--input', input, '--output', output, '--arithmetic', 'float']);
    expect(r.code, r.err).toBe(0);
    const y = readNpyTypedFile(output);
    expect([y.dtype, y.shape]).toEqual(['float32', [1, 1001]]);
    const floatInput = join(dir, 'xf.npy');
    writeNpyTypedFile(floatInput, new Float32Array(224 * 224 * 3), [1, 224, 224, 3]);
    const bad = await cli(['run', '--model', sharedPath('models', MODEL), '--input', floatInput, '--output', join(dir, 'z.npy')]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/^mobilenetv2: error: .*input tensor is float32; this model runs in integer arithmetic on uint8 input \(its own input dtype, scale 0\.0078125, zero point 128\)$/);
    expect(bad.err.split('\n').filter(Boolean)).toHaveLength(1);
  }, 120_000);
});
