// SPDX-License-Identifier: Apache-2.0
/**
 * Bad quantization data in an int8 SSDLite file: the same typed one-line errors as for the
 * classifier and DeepLab (spec/io/tflite/validate.spec.ts), naming the tensor — a scale ≤ 0 or NaN,
 * a zero point outside int8, a per-channel scale count that does not match the channels, a bias
 * that is not int32 — plus what the SSD's integer path adds: a LOGISTIC output that is not TFLite's
 * fixed (1/256, −128), and a CONCATENATION input that is neither the predictor's output at the
 * concatenation's parameters nor a QUANTIZE of that output to them. The file is a small int8 export of seeded random weights, calibrated on seeded noise
 * (no ../shared needed); each case patches one field of a copy.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSsdlitePlan } from '../../../src/model/ssdlite.js';
import { defaultDetectionPostProcessOptions, exportSsdliteTflite, randomSsdliteWeights } from '../../../src/io/tflite/export.js';
import { calibrateSsdlite } from '../../../src/io/tflite/ptq.js';
import { importTflite } from '../../../src/io/tflite/import.js';
import { readTfliteModel } from '../../../src/io/tflite/model.js';
import { createScalarBackend } from '../../../src/backend/scalar.js';
import { seededUniform } from '../../../src/model/random.js';
import { expectError } from '../../helpers/hostile.js';
import { withFloatValue, withQuantization, withQuantizedDimension, withTensorType } from '../../helpers/tflite-patch.js';

const plan = buildSsdlitePlan({ width: 0.35, resolution: 96, classes: 4 });
const weights = randomSsdliteWeights(plan, 11);

describe('int8 SSDLite: bad quantization data is a typed error naming the tensor', () => {
  let bytes: Uint8Array;
  let index: (name: string) => number;

  beforeAll(() => {
    const rand = seededUniform(5);
    const inputs = [0, 1].map(() => ({ data: Float32Array.from({ length: 96 * 96 * 3 }, () => 2 * rand() - 1), shape: [1, 96, 96, 3] }));
    const ranges = calibrateSsdlite(createScalarBackend(), plan, weights, inputs);
    bytes = exportSsdliteTflite(plan, weights, { postprocess: defaultDetectionPostProcessOptions(4), int8: { ranges } });
    const tensors = readTfliteModel(bytes, 'ssd').subgraphs[0]!.tensors;
    index = (name) => {
      const t = tensors.find((x) => x.name === name);
      if (!t) throw new Error(`no tensor '${name}'`);
      return t.index;
    };
  });

  it('the unpatched file imports with an int8 integer view', () => {
    const m = importTflite(bytes, 'ssd.tflite');
    expect(m.integer?.type).toBe('int8');
    expect(m.integer?.logistic?.output).toEqual({ scale: 1 / 256, zeroPoint: -128 });
  });

  it.each([NaN, 0, -1])('a predictor weight scale of %s: VALUE', (scale) => {
    const t = index('BoxPredictor_0/ClassPredictor/weights');
    expectError(() => importTflite(withQuantization(bytes, t, { scale }), 'p.tflite'), 'VALUE', "'BoxPredictor_0/ClassPredictor/weights'", `scale [0] is ${scale}`, 'finite and > 0');
  });

  it('an input zero point outside int8: VALUE', () => {
    expectError(() => importTflite(withQuantization(bytes, index('normalized_input_image_tensor'), { zeroPoint: 200n }), 'z.tflite'), 'VALUE', "'normalized_input_image_tensor'", 'zero point is 200', "outside INT8's [-128, 127]");
  });

  it('per-channel scales along a dimension whose size is not their count: FORMAT', () => {
    const t = index('BoxPredictor_1/BoxEncodingPredictor_depthwise/weights'); // [1, 3, 3, C], C scales along 3
    expectError(() => importTflite(withQuantizedDimension(bytes, t, 0), 'd.tflite'), 'FORMAT', "'BoxPredictor_1/BoxEncodingPredictor_depthwise/weights'", 'per-channel scales along dimension 0');
  });

  it('a bias that is not int32 (finite float32 values): UNSUPPORTED', () => {
    const t = index('BoxPredictor_2/ClassPredictor/biases');
    let patched = withTensorType(bytes, t, 0);
    for (let i = 0; i < plan.head.find((c) => c.name === 'head.class.2.1')!.outC; i++) patched = withFloatValue(patched, t, i, 0.5);
    expectError(() => importTflite(patched, 'b.tflite'), 'UNSUPPORTED', "'BoxPredictor_2/ClassPredictor/biases'", 'is FLOAT32', 'must be INT32');
  });

  it('a LOGISTIC output other than scale 1/256, zero point −128: UNSUPPORTED', () => {
    expectError(() => importTflite(withQuantization(bytes, index('raw_outputs/class_predictions'), { zeroPoint: 0n }), 'l.tflite'), 'UNSUPPORTED', 'LOGISTIC', 'zero point 0', 'requires scale 1/256 and zero point -128');
  });

  it('a CONCATENATION output quantized differently from its (requantized) inputs: UNSUPPORTED', () => {
    expectError(() => importTflite(withQuantization(bytes, index('concat'), { scale: 0.5 }), 'c.tflite'), 'UNSUPPORTED', 'CONCATENATION', 'nor its QUANTIZE to them');
  });

  it('a RESHAPE that changes the parameters between a predictor and its QUANTIZE: UNSUPPORTED (the interpreter would reinterpret the bytes)', () => {
    expectError(() => importTflite(withQuantization(bytes, index('BoxPredictor_3/Reshape_1'), { scale: 0.25 }), 'r.tflite'), 'UNSUPPORTED', 'CONCATENATION', 'input 3', "nor its QUANTIZE to them");
  });
});
