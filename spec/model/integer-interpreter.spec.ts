// SPDX-License-Identifier: Apache-2.0
/**
 * The integer path against the real TFLite interpreter (@tensorflow/tfjs-tflite's WASM build, its
 * XNNPACK delegate always on), tensor by tensor: both shared quantized models, every shared image.
 * One interpreter run per image exposes every tensor the integer network records
 * (IntegerNetwork.tensors: each conv, each residual ADD, pool, head steps), made graph outputs of a
 * copy of the file (spec/helpers/tflite-patch.ts `withGraphOutputs`; operators and weights
 * untouched). Both sides get the same uint8 input. Integers: compared exactly (0 LSB).
 *
 * Our side runs on the WASM SIMD integer kernels (bit-identical to the scalar definition for any
 * thread count: spec/backend/q8-wasm.spec.ts) on every image, and on the scalar kernels themselves
 * on the first image, so the definition is checked against the interpreter directly too.
 * The classifier's answer through the API (model.infer) is the interpreter's softmax output, value
 * for value.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED, sharedPath } from '../helpers/shared.js';
import { loadTfliteInterpreter, type TfliteInterpreter } from '../helpers/tflite-oracle.js';
import { withGraphOutputs } from '../helpers/tflite-patch.js';
import { importTflite } from '../../src/io/tflite/import.js';
import type { ImportedModel } from '../../src/io/tflite/import-graph.js';
import { integerArithmetic, type QTensor } from '../../src/model/integer.js';
import { runWith } from '../../src/model/runner.js';
import { classifierHead } from '../../src/model/forward.js';
import { deeplabHead } from '../../src/model/deeplab.js';
import { createScalarQ8Backend, type Q8Backend } from '../../src/backend/q8-backend.js';
import { createQ8Backend } from '../../src/backend/q8-wasm.js';
import { load, type MobileNetV2Model } from '../../src/api.js';

const MODELS = ['mobilenet_v2_1.0_224_quant.tflite', 'deeplabv3_mnv2_pascal_quant.tflite'];
const images = HAVE_SHARED ? readdirSync(sharedPath('images')).filter((f) => /\.(bmp|jpg|png)$/.test(f) && !f.includes('mask')) : [];

describe.skipIf(!HAVE_SHARED).each(MODELS)('integer path = TFLite interpreter, every tensor: %s', (file) => {
  let imported: ImportedModel;
  let interpreter: TfliteInterpreter;
  let model: MobileNetV2Model;
  let names: string[];
  let compared = 0;
  let wasm: Q8Backend;

  beforeAll(async () => {
    const bytes = new Uint8Array(readFileSync(sharedPath('models', file)));
    imported = importTflite(bytes, file);
    const net = imported.integer!;
    names = [...net.tensors.keys()].filter((n) => n !== 'input' && n !== 'probabilities');
    interpreter = await loadTfliteInterpreter(withGraphOutputs(bytes, names.map((n) => net.tensors.get(n)!)));
    model = await load({ model: sharedPath('models', file), backend: 'wasm-simd', allowDownload: false });
    wasm = await createQ8Backend('wasm-simd', { threads: 2 });
  }, 120_000);
  afterAll(() => {
    interpreter?.dispose();
    model?.dispose();
    wasm?.dispose();
    console.log(`${file}: ${compared} tensor values compared with the interpreter`);
  });

  it.each(images.map((image, i) => [image, i === 0 ? 'scalar' : 'wasm-simd ×2'] as const))('%s (%s)', async (image, kernels) => {
    const { quantized } = await model.prepare(sharedPath('images', image));
    const theirs = interpreter.run([quantized!]);
    const net = imported.integer!;
    const arithmetic = integerArithmetic(kernels === 'scalar' ? createScalarQ8Backend() : wasm, net, 'tflite-wasm');
    const input = { data: { data: quantized as Uint8Array, ...net.input } as QTensor, shape: imported.input.shape };
    const head = imported.deeplab ? deeplabHead<QTensor>() : classifierHead<QTensor>();
    const plan = imported.deeplab ?? imported.plan;
    const { taps } = runWith(arithmetic, head as never, plan as never, input, { taps: names }) as { taps: ReadonlyMap<string, { data: QTensor }> };
    const report: string[] = [];
    names.forEach((name, i) => {
      const ours = taps.get(name)?.data.data;
      if (!ours) { report.push(`${name}: not tapped`); return; }
      const t = theirs[i]!;
      let diffs = 0, maxd = 0;
      for (let k = 0; k < t.length; k++) { const d = Math.abs(Number(t[k]) - ours[k]!); if (d) { diffs++; maxd = Math.max(maxd, d); } }
      compared += t.length;
      if (diffs) report.push(`${name}: ${diffs}/${t.length} differ (max ${maxd})`);
    });
    expect(report, report.join('\n')).toEqual([]);
  }, 120_000);
});

describe.skipIf(!HAVE_SHARED)('classify on the integer path = the interpreter\'s probabilities', () => {
  const file = MODELS[0]!;
  let interpreter: TfliteInterpreter;
  let model: MobileNetV2Model;
  beforeAll(async () => {
    interpreter = await loadTfliteInterpreter(new Uint8Array(readFileSync(sharedPath('models', file))));
    model = await load({ model: sharedPath('models', file), allowDownload: false });
  }, 120_000);
  afterAll(() => {
    interpreter?.dispose();
    model?.dispose();
  });

  it.each(images)('%s: every probability identical (uint8, multiples of 1/256)', async (image) => {
    const result = await model.infer(sharedPath('images', image));
    expect(result.arithmetic).toEqual({ kind: 'integer', requantization: 'tflite-wasm' });
    const [theirs] = interpreter.run([(await model.prepare(sharedPath('images', image))).quantized!]);
    expect(Array.from(result.quantized!.probabilities!.data)).toEqual(Array.from(theirs as Uint8Array));
    expect(Array.from(result.probabilities)).toEqual(Array.from(theirs as Uint8Array, (q) => q / 256));
  });
});
