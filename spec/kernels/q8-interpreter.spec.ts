// SPDX-License-Identifier: Apache-2.0
/**
 * Which requantization does the TFLite interpreter that runs here (@tensorflow/tfjs-tflite, WASM,
 * XNNPACK delegate always on) apply, per operator? Measured, not assumed: single-operator quantized
 * models (written with the spec's own FlatBuffers builder, spec/io/tflite/fb-builder.ts) run in the
 * interpreter on random inputs, and our kernels run under each convention of REQUANTIZATIONS on the
 * same tensors; every output value is compared.
 *
 * The finding is the profile TFLITE_WASM_PROFILE below (0 differing values), and the other
 * conventions are shown to differ on the same cases (so the choice is a real one).
 */
import { describe, expect, it } from 'vitest';
import { conv2dGeometry } from '../../kernels/geometry.js';
import { convRequantizer, quantizedActivationRange, REQUANTIZATION_PROFILES, REQUANTIZATIONS, type Requantization } from '../../kernels/q-requantize.js';
import { q8Conv2dNhwc } from '../../kernels/q8-conv2d-nhwc.js';
import { q8DwConv2dNhwc } from '../../kernels/q8-dwconv2d-nhwc.js';
import { addRequantization, q8Add } from '../../kernels/q8-add.js';
import { q8AvgPool2dNhwc } from '../../kernels/q8-avgpool-nhwc.js';
import { q8Softmax, softmaxRequantization } from '../../kernels/q8-softmax.js';
import { seededRandom } from '../helpers/arbitraries.js';
import { loadTfliteInterpreter } from '../helpers/tflite-oracle.js';
import { bytesOfI32, INT8, INT32, s, singleOpModel, table, UINT8, type QTensor } from '../helpers/tflite-single-op.js';
import { logisticParams, q8Logistic } from '../../kernels/q8-logistic.js';

/** The profile these measurements establish (kernels/q-requantize.ts). */
const TFLITE_WASM_PROFILE = REQUANTIZATION_PROFILES['tflite-wasm'];

interface Tally { cases: number; values: number; differing: Record<Requantization, number> }
const emptyTally = (): Tally => ({ cases: 0, values: 0, differing: { 'tflite-reference': 0, 'single-rounding': 0, 'xnnpack-fp32': 0 } });

async function measureConv(depthwise: boolean, cases: number, seed: number): Promise<Tally> {
  const rnd = seededRandom(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const tally = emptyTally();
  for (let k = 0; k < cases; k++) {
    const h = int(3, 10); const w = int(3, 10); const inC = int(1, 12); const outC = depthwise ? inC : int(1, 12);
    const stride = int(1, 2); const kSize = rnd() < 0.7 ? 3 : 1; const padding = rnd() < 0.5 ? 'tf-same' : 'valid';
    const relu6 = rnd() < 0.5;
    // A third of the models use power-of-two scales: M is then exact and ties (x.5) are frequent,
    // which is where half-away, half-up and half-even rounding part ways.
    const pow2 = rnd() < 1 / 3;
    const sx = pow2 ? 2 ** -int(5, 8) : Math.fround(0.005 + rnd() * 0.05);
    const sw = pow2 ? 2 ** -int(5, 10) : Math.fround(0.001 + rnd() * 0.05);
    const so = pow2 ? 2 ** -int(2, 6) : Math.fround(0.01 + rnd() * 0.2);
    const zx = int(0, 255); const zw = int(0, 255); const zo = int(0, 255);
    const g = conv2dGeometry({ inH: h, inW: w, kH: kSize, kW: kSize, stride, padding });
    const x = Uint8Array.from({ length: h * w * inC }, () => int(0, 255));
    const wt = Uint8Array.from({ length: depthwise ? kSize * kSize * outC : outC * kSize * kSize * inC }, () => int(0, 255));
    const bias = Int32Array.from({ length: outC }, () => int(-5000, 5000));
    const wShape = depthwise ? [1, kSize, kSize, outC] : [outC, kSize, kSize, inC];
    const tensors: QTensor[] = [
      { name: 'x', shape: [1, h, w, inC], type: UINT8, scale: sx, zeroPoint: zx },
      { name: 'w', shape: wShape, type: UINT8, scale: sw, zeroPoint: zw, data: wt },
      { name: 'b', shape: [outC], type: INT32, scale: Math.fround(sx * sw), zeroPoint: 0, data: bytesOfI32(bias) },
      { name: 'y', shape: [1, g.outH, g.outW, outC], type: UINT8, scale: so, zeroPoint: zo },
    ];
    const pad = padding === 'tf-same' ? 0 : 1;
    const act = relu6 ? 3 : 0;
    const options = depthwise
      ? table([[0, s('i8', pad)], [1, s('i32', stride)], [2, s('i32', stride)], [3, s('i32', 1)], [4, s('i8', act)], [5, s('i32', 1)], [6, s('i32', 1)]])
      : table([[0, s('i8', pad)], [1, s('i32', stride)], [2, s('i32', stride)], [3, s('i8', act)], [4, s('i32', 1)], [5, s('i32', 1)]]);
    const bytes = singleOpModel(depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D', tensors, [0, 1, 2], [3], [0], options);
    const interpreter = await loadTfliteInterpreter(bytes);
    const [theirs] = interpreter.run([x]);
    interpreter.dispose();
    const output = quantizedActivationRange('uint8', so, zo, relu6 ? 'relu6' : 'none');
    for (const rounding of REQUANTIZATIONS) {
      const ours = new Uint8Array(g.outH * g.outW * outC);
      const q = { inputZeroPoint: zx, filterZeroPoint: zw, requantizer: convRequantizer({ type: 'uint8', input: sx, output: so, filter: [sw] }, rounding), output };
      if (depthwise) q8DwConv2dNhwc(ours, x, wt, bias, { n: 1, channels: outC }, g, q);
      else q8Conv2dNhwc(ours, x, wt, bias, { n: 1, inC, outC }, g, q);
      for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs![i]) tally.differing[rounding]++;
    }
    tally.cases++;
    tally.values += g.outH * g.outW * outC;
  }
  return tally;
}

describe('the TFLite interpreter here (tfjs-tflite WASM), per operator', () => {
  for (const [op, depthwise] of [['CONV_2D', false], ['DEPTHWISE_CONV_2D', true]] as const) {
    it(`uint8 ${op}: the interpreter requantizes as '${TFLITE_WASM_PROFILE[op]}'; the other conventions differ`, async () => {
      const tally = await measureConv(depthwise, Number(process.env.INT_CASES ?? 0) > 0 ? Math.min(Number(process.env.INT_CASES), 500) : 40, depthwise ? 2 : 1);
      console.log(`[q8-interpreter] uint8 ${op}: ${tally.cases} models, ${tally.values} values; differing values per convention ${JSON.stringify(tally.differing)}`);
      expect(tally.differing[TFLITE_WASM_PROFILE[op]]).toBe(0);
      for (const r of REQUANTIZATIONS) if (r !== TFLITE_WASM_PROFILE[op]) expect(tally.differing[r]).toBeGreaterThan(0);
    });
  }

  it('uint8 ADD, AVERAGE_POOL_2D and SOFTMAX: measured against our fixed-point definitions', async () => {
    const rnd = seededRandom(3);
    const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
    const add = emptyTally();
    const pool = emptyTally();
    const softmax = emptyTally();
    for (let k = 0; k < 40; k++) {
      // ADD: two inputs with their own scales (within 2^±3), output scale ≥ the larger input's.
      const n = int(1, 200);
      const pow2 = rnd() < 1 / 3; // exact multipliers: ties
      const sa = pow2 ? 2 ** -int(3, 7) : Math.fround(0.01 + rnd() * 0.1);
      const sb = pow2 ? 2 ** -int(3, 7) : Math.fround(sa * 2 ** (rnd() * 6 - 3));
      const so = pow2 ? 2 ** -int(1, 3) : Math.fround(Math.max(sa, sb) * (1 + rnd() * 3));
      const za = int(0, 255); const zb = int(0, 255); const zo = int(0, 255);
      const a = Uint8Array.from({ length: n }, () => int(0, 255));
      const b = Uint8Array.from({ length: n }, () => int(0, 255));
      const addModel = singleOpModel('ADD', [
        { name: 'a', shape: [1, n], type: UINT8, scale: sa, zeroPoint: za },
        { name: 'b', shape: [1, n], type: UINT8, scale: sb, zeroPoint: zb },
        { name: 'y', shape: [1, n], type: UINT8, scale: so, zeroPoint: zo },
      ], [0, 1], [2], [0, 1], table([[0, s('i8', 0)]]));
      const addInterp = await loadTfliteInterpreter(addModel);
      const [addTheirs] = addInterp.run([a, b]);
      addInterp.dispose();
      for (const rounding of ['tflite-reference', 'single-rounding', 'xnnpack-fp32'] as const) {
        const ours = new Uint8Array(n);
        q8Add(ours, a, b, n, addRequantization({ a: sa, b: sb, output: so }, { a: za, b: zb }, quantizedActivationRange('uint8', so, zo, 'none'), rounding));
        for (let i = 0; i < n; i++) if (ours[i] !== addTheirs![i]) add.differing[rounding]++;
      }
      add.cases++; add.values += n;

      // AVERAGE_POOL_2D, same quantization in and out.
      const h = int(3, 9); const w = int(3, 9); const c = int(1, 8); const kSize = int(2, 3); const stride = int(1, 2);
      const padding = rnd() < 0.5 ? 'tf-same' : 'valid';
      const g = conv2dGeometry({ inH: h, inW: w, kH: kSize, kW: kSize, stride, padding });
      const x = Uint8Array.from({ length: h * w * c }, () => int(0, 255));
      const poolModel = singleOpModel('AVERAGE_POOL_2D', [
        { name: 'x', shape: [1, h, w, c], type: UINT8, scale: sa, zeroPoint: za },
        { name: 'y', shape: [1, g.outH, g.outW, c], type: UINT8, scale: sa, zeroPoint: za },
      ], [0], [1], [0], table([[0, s('i8', padding === 'tf-same' ? 0 : 1)], [1, s('i32', stride)], [2, s('i32', stride)], [3, s('i32', kSize)], [4, s('i32', kSize)], [5, s('i8', 0)]]));
      const poolInterp = await loadTfliteInterpreter(poolModel);
      const [poolTheirs] = poolInterp.run([x]);
      poolInterp.dispose();
      const pooled = new Uint8Array(g.outH * g.outW * c);
      q8AvgPool2dNhwc(pooled, x, { n: 1, channels: c }, g, { min: 0, max: 255 });
      for (let i = 0; i < pooled.length; i++) if (pooled[i] !== poolTheirs![i]) { pool.differing['tflite-reference']++; pool.differing['single-rounding']++; pool.differing['xnnpack-fp32']++; }
      pool.cases++; pool.values += pooled.length;

      // SOFTMAX: output scale 1/256, zero point 0 (what TFLite requires for uint8).
      const cols = int(2, 50);
      const logits = Uint8Array.from({ length: cols }, () => int(0, 255));
      const smModel = singleOpModel('SOFTMAX', [
        { name: 'x', shape: [1, cols], type: UINT8, scale: sa, zeroPoint: za },
        { name: 'y', shape: [1, cols], type: UINT8, scale: 1 / 256, zeroPoint: 0 },
      ], [0], [1], [0], table([[0, s('f32', 1)]]));
      const smInterp = await loadTfliteInterpreter(smModel);
      const [smTheirs] = smInterp.run([logits]);
      smInterp.dispose();
      for (const rounding of ['tflite-reference', 'single-rounding'] as const) {
        const ours = new Uint8Array(cols);
        q8Softmax(ours, logits, { rows: 1, cols }, softmaxRequantization(sa, 1, rounding));
        for (let i = 0; i < cols; i++) if (ours[i] !== smTheirs![i]) softmax.differing[rounding]++;
      }
      softmax.cases++; softmax.values += cols;
    }
    const fixedPoint = (t: Tally) => ({ cases: t.cases, values: t.values, 'tflite-reference': t.differing['tflite-reference'], 'single-rounding': t.differing['single-rounding'] });
    console.log(`[q8-interpreter] uint8 ADD: ${JSON.stringify({ ...fixedPoint(add), 'xnnpack-fp32': add.differing['xnnpack-fp32'] })}`);
    console.log(`[q8-interpreter] uint8 AVERAGE_POOL_2D: ${pool.cases} models, ${pool.values} values, ${pool.differing['tflite-reference']} differ`);
    console.log(`[q8-interpreter] uint8 SOFTMAX: ${JSON.stringify(fixedPoint(softmax))}`);
    // ADD: the interpreter runs XNNPACK's ADD (one rounding with 2^shift-scaled multipliers, kernels/q8-add.ts).
    // On these random cases single rounding agrees too; on real data it does not (2 of 649,152 values of the
    // shared classifier's residual ADDs, spec/model/integer-interpreter.spec.ts), so the profile names XNNPACK's.
    expect(TFLITE_WASM_PROFILE.ADD).toBe('xnnpack-fp32');
    expect(add.differing['xnnpack-fp32']).toBe(0);
    expect(add.differing['tflite-reference']).toBeGreaterThan(0);
    // AVERAGE_POOL_2D has no requantization; SOFTMAX agrees with the reference definition.
    expect(pool.differing['tflite-reference']).toBe(0);
    expect(softmax.differing[TFLITE_WASM_PROFILE.SOFTMAX]).toBe(0);
  });

  it("int8 LOGISTIC: the interpreter uses the float32 table (profile 'xnnpack-fp32'); the fixed-point reference differs", async () => {
    const rnd = seededRandom(77);
    let models = 0, values = 0, tableDiffers = 0, fixedDiffers = 0;
    const x = Int8Array.from({ length: 256 }, (_, i) => i - 128);
    for (let k = 0; k < 60; k++) {
      // Logit scales from SSD heads (0.01–0.5), a quarter of them powers of two; any zero point.
      const scale = rnd() < 0.25 ? 2 ** -Math.floor(2 + rnd() * 6) : Math.fround(0.01 + rnd() * 0.49);
      const zp = Math.floor(rnd() * 256) - 128;
      const bytes = singleOpModel('LOGISTIC', [
        { name: 'x', shape: [1, 256], type: INT8, scale, zeroPoint: zp },
        { name: 'y', shape: [1, 256], type: INT8, scale: 1 / 256, zeroPoint: -128 },
      ], [0], [1], [0], null);
      const tfl = await loadTfliteInterpreter(bytes);
      const theirs = tfl.run([x])[0] as Int8Array;
      tfl.dispose();
      for (const [rounding, count] of [['xnnpack-fp32', (n: number) => { tableDiffers += n; }], ['tflite-reference', (n: number) => { fixedDiffers += n; }]] as const) {
        const ours = new Int8Array(256);
        q8Logistic(ours, x, 256, logisticParams(scale, zp, 'int8', rounding));
        let d = 0;
        for (let i = 0; i < 256; i++) if (ours[i] !== theirs[i]) d++;
        count(d);
      }
      models++; values += 256;
    }
    console.log(`[q8-interpreter] int8 LOGISTIC: ${models} models, ${values} values; float32 table ${tableDiffers} differ, fixed-point reference ${fixedDiffers} differ`);
    expect(TFLITE_WASM_PROFILE.LOGISTIC).toBe('xnnpack-fp32');
    expect(tableDiffers).toBe(0);
    expect(fixedDiffers).toBeGreaterThan(0);
  });
});
