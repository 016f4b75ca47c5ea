// SPDX-License-Identifier: Apache-2.0
/**
 * Every integer conformance case (src/oracle/vectors/catalogue-q8.ts) against something we did not
 * write: TensorFlow Lite's own reference kernels, compiled from ../shared/tflite-reference by
 * spec/helpers/tflite-reference.ts ('tflite-reference' cases on the default build,
 * 'single-rounding' cases on the TFLITE_SINGLE_ROUNDING build). The harness gets each case's
 * stored inputs and its stated scales and zero points and computes its own multipliers, so the
 * expected outputs are TFLite's, value for value.
 *
 * The manifest's own parameters are checked too, because an implementer reads them instead of
 * our code: for conv-like cases, expected = clamp(zo + F(acc)) where acc is summed here from the
 * stored tensors and F is the formula the case names, applied by TFLite's own
 * MultiplyByQuantizedMultiplier (the build matching the formula) with the stored multiplier and
 * shift, or — for 'xnnpack-fp32', which is not in TFLite's reference — by C's lrintf on
 * f32(f32(acc) · fp32Scale) with fp32Scale = f32(f32(sx·sw)/so) as the README defines it. Stored
 * (multiplier, shift) pairs must be TFLite's QuantizeMultiplier of the stored real multiplier.
 *
 * The uint8 'xnnpack-fp32' conv, depthwise and pointwise cases are also run in the real TFLite
 * interpreter (@tensorflow/tfjs-tflite, WASM + XNNPACK: the runtime that defines that convention
 * for those operators, spec/kernels/q8-interpreter.spec.ts) as single-operator models built from
 * the case's own tensors and parameters: every value identical.
 *
 * Absent g++ or ../shared: skipped with a visible message; under CI=true that is a failure.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { REQUANTIZATIONS, q8Range } from '../../kernels/q-requantize.js';
import { buildQ8Cases } from '../../src/oracle/vectors/catalogue-q8.js';
import { Q8_VECTOR_KERNELS, type BuiltCase, type Tensor } from '../../src/oracle/vectors/format.js';
import { buildReference, HAVE_REFERENCE, runReference, type ReferenceVariant } from '../helpers/tflite-reference.js';
import { loadTfliteInterpreter } from '../helpers/tflite-oracle.js';
import { bytesOfI32, INT32, s, singleOpModel, table, UINT8 } from '../helpers/tflite-single-op.js';

const CASES = buildQ8Cases();

type P = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const j = (a: ArrayLike<number>): string => Array.from(a).join(' ');
const t = (dtype: string): string => (dtype === 'uint8' ? 'u8' : 'i8');
const variantOf = (convention: string): ReferenceVariant => (convention === 'single-rounding' ? 'single-rounding' : 'double-rounding');

/** The harness line (spec/helpers/tflite-reference-harness.cc protocol) of a case, or null for 'xnnpack-fp32'. */
function harnessLine(c: BuiltCase): string | null {
  const p = c.params as P;
  const x = c.inputs.x?.data;
  const conventionOf = p.requantization?.convention as string | undefined;
  switch (c.kernel) {
    case 'q8-conv2d': case 'q8-depthwise': case 'q8-pointwise': case 'q8-fully-connected': {
      if (conventionOf === 'xnnpack-fp32') return null;
      const quant = `${p.input.zeroPoint} ${p.filter.zeroPoint} ${p.output.zeroPoint} ${p.activationRange[0]} ${p.activationRange[1]}`;
      const scales = `${p.input.scale} ${p.output.scale} ${p.filter.scale.length} ${j(p.filter.scale)} 1 ${j(c.inputs.b!.data)}`;
      const data = `${j(x!)} ${j(c.inputs.w!.data)}`;
      if (c.kernel === 'q8-fully-connected') {
        const [rows, ic] = c.inputs.x!.shape;
        return `fc ${t(p.dtype)} ${rows} ${ic} ${c.expected.shape[1]} ${quant} ${scales} ${data}`;
      }
      if (c.kernel === 'q8-pointwise') {
        const [rows, ic] = c.inputs.x!.shape;
        return `conv ${t(p.dtype)} 1 1 ${rows} ${ic} ${c.expected.shape[1]} 1 1 1 1 1 1 0 0 1 ${rows} ${quant} ${scales} ${data}`;
      }
      const g = p.geometry;
      const [n, , , ic] = c.inputs.x!.shape;
      const oc = c.kernel === 'q8-conv2d' ? ` ${c.expected.shape[3]}` : '';
      const geometry = `${n} ${g.inH} ${g.inW} ${ic}${oc} ${g.kH} ${g.kW} ${g.stride[0]} ${g.stride[1]} ${g.dilation[0]} ${g.dilation[1]} ${g.pad.top} ${g.pad.left} ${g.outH} ${g.outW}`;
      return `${c.kernel === 'q8-conv2d' ? 'conv' : 'dwconv'} ${t(p.dtype)} ${geometry} ${quant} ${scales} ${data}`;
    }
    case 'q8-add':
      return `add ${t(p.dtype)} ${p.length} ${p.inputA.zeroPoint} ${p.inputB.zeroPoint} ${p.output.zeroPoint} ${p.activationRange[0]} ${p.activationRange[1]} ${p.inputA.scale} ${p.inputB.scale} ${p.output.scale} ${j(c.inputs.a!.data)} ${j(c.inputs.b!.data)}`;
    case 'q8-avgpool': {
      const g = p.geometry;
      const [n, h, w, ch] = c.inputs.x!.shape;
      return `avgpool ${t(p.dtype)} ${n} ${h} ${w} ${ch} ${g.kH} ${g.kW} ${g.stride[0]} ${g.stride[1]} ${g.pad.top} ${g.pad.left} ${g.outH} ${g.outW} ${p.activationRange[0]} ${p.activationRange[1]} ${j(x!)}`;
    }
    case 'q8-mean': {
      const [n, h, w, ch] = c.inputs.x!.shape;
      return `mean ${t(p.dtype)} ${n} ${h} ${w} ${ch} ${p.input.zeroPoint} ${p.output.zeroPoint} ${p.input.scale} ${p.output.scale} ${j(x!)}`;
    }
    case 'q8-softmax': {
      const [rows, cols] = c.inputs.x!.shape;
      return `softmax ${t(p.dtype)} ${rows} ${cols} ${p.input.scale} ${p.beta} ${j(x!)}`;
    }
    case 'q8-logistic':
      // The 'xnnpack-fp32' case runs every int8 value in order: its output is TFLite's own float table (LUTPopulate).
      return conventionOf === 'xnnpack-fp32'
        ? `logistic-table ${t(p.dtype)} ${p.input.zeroPoint} ${p.input.scale}`
        : `logistic ${t(p.dtype)} ${p.input.zeroPoint} ${p.input.scale} ${x!.length} ${j(x!)}`;
    case 'q8-resize-bilinear': {
      const [n, h, w, ch] = c.inputs.x!.shape;
      return `resize ${t(p.dtype)} ${n} ${h} ${w} ${ch} ${p.outH} ${p.outW} ${p.mode} ${j(x!)}`;
    }
    case 'q8-concat': {
      const parts = (p.parts as P[]).map((q) => `${q.channels} ${q.scale} ${q.zeroPoint} ${j(c.inputs[q.input]!.data)}`).join(' ');
      return `concat ${t(p.dtype)} ${c.expected.shape[0]} ${p.parts.length} ${p.output.scale} ${p.output.zeroPoint} ${parts}`;
    }
    case 'q8-pad': {
      const [n, h, w, ch] = c.inputs.x!.shape;
      return `pad ${t(p.dtype)} ${n} ${h} ${w} ${ch} ${p.pad.top} ${p.pad.bottom} ${p.pad.left} ${p.pad.right} ${p.value} ${j(x!)}`;
    }
    case 'q8-quantize':
      return `quantize ${t(p.dtype)} ${x!.length} ${p.output.scale} ${p.output.zeroPoint} ${j(new Uint32Array((x as Float32Array).slice().buffer))}`;
    case 'q8-dequantize':
      return `dequantize ${t(p.dtype)} ${x!.length} ${p.input.scale} ${p.input.zeroPoint} ${j(x!)}`;
    case 'q8-requantize':
      return `requantize ${t(p.dtype)} ${t(p.outputDtype)} ${x!.length} ${p.input.zeroPoint} ${p.output.zeroPoint} ${p.input.scale} ${p.output.scale} ${j(x!)}`;
    case 'q8-argmax': {
      const [rows, cols] = c.inputs.x!.shape;
      return `argmax ${t(p.dtype)} ${rows} ${cols} ${j(x!)}`;
    }
    default:
      throw new Error(`not an integer case: ${c.kernel}`);
  }
}

/** Expected values as the harness prints them (float32 outputs as their bit patterns). */
function expectedInts(e: Tensor): number[] {
  return e.data instanceof Float32Array ? Array.from(new Uint32Array(e.data.slice().buffer)) : Array.from(e.data);
}

/** int32 accumulators of a conv-like case, summed here from the stored tensors (wrapping as int32). */
function accumulators(c: BuiltCase): { acc: number[]; channel: number[] } {
  const p = c.params as P;
  const x = c.inputs.x!.data, w = c.inputs.w!.data, b = c.inputs.b!.data;
  const zx = p.input.zeroPoint as number, zw = p.filter.zeroPoint as number;
  const acc: number[] = [], channel: number[] = [];
  if (c.kernel === 'q8-pointwise' || c.kernel === 'q8-fully-connected') {
    const [rows, ic] = c.inputs.x!.shape as [number, number];
    const oc = c.expected.shape[1]!;
    for (let r = 0; r < rows; r++) for (let o = 0; o < oc; o++) {
      let s = b[o]!;
      for (let i = 0; i < ic; i++) s = (s + (w[o * ic + i]! - zw) * (x[r * ic + i]! - zx)) | 0;
      acc.push(s); channel.push(o);
    }
    return { acc, channel };
  }
  const g = p.geometry;
  const [n, H, W, ic] = c.inputs.x!.shape as [number, number, number, number];
  const dw = c.kernel === 'q8-depthwise';
  const oc = c.expected.shape[3]!;
  for (let bn = 0; bn < n; bn++) for (let oh = 0; oh < g.outH; oh++) for (let ow = 0; ow < g.outW; ow++) for (let o = 0; o < oc; o++) {
    let s = b[o]!;
    for (let kh = 0; kh < g.kH; kh++) for (let kw = 0; kw < g.kW; kw++) {
      const ih = oh * g.stride[0] - g.pad.top + kh * g.dilation[0];
      const iw = ow * g.stride[1] - g.pad.left + kw * g.dilation[1];
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      if (dw) s = (s + (w[(kh * g.kW + kw) * oc + o]! - zw) * (x[((bn * H + ih) * W + iw) * ic + o]! - zx)) | 0;
      else for (let i = 0; i < ic; i++) s = (s + (w[((o * g.kH + kh) * g.kW + kw) * ic + i]! - zw) * (x[((bn * H + ih) * W + iw) * ic + i]! - zx)) | 0;
    }
    acc.push(s); channel.push(o);
  }
  return { acc, channel };
}

const CONV_KINDS = new Set(['q8-conv2d', 'q8-depthwise', 'q8-pointwise', 'q8-fully-connected']);

describe('the integer vectors: coverage and conventions', () => {
  it('cover every integer kernel; conv-like ones in uint8 and int8 per-channel under every convention; dilation', () => {
    const kinds = new Set(CASES.map((c) => c.kernel));
    for (const k of Q8_VECTOR_KERNELS) expect(kinds, k).toContain(k);
    for (const k of CONV_KINDS) {
      for (const dtype of ['uint8', 'int8']) {
        for (const r of REQUANTIZATIONS) {
          expect(CASES.some((c) => c.kernel === k && (c.params as P).dtype === dtype && (c.params as P).requantization.convention === r), `${k} ${dtype} ${r}`).toBe(true);
        }
      }
    }
    expect(CASES.some((c) => c.kernel === 'q8-depthwise' && (c.params as P).geometry.dilation[0] === 2)).toBe(true);
    expect(CASES.filter((c) => c.kernel === 'q8-conv2d' && (c.params as P).dtype === 'int8').every((c) => (c.params as P).filter.scale.length === c.expected.shape[3])).toBe(true);
  });

  it('the conventions are a real choice: on the ties cases they give different outputs', () => {
    for (const k of CONV_KINDS) {
      for (const dtype of ['uint8', 'int8']) {
        const ties = CASES.filter((c) => c.kernel === k && (c.params as P).dtype === dtype && c.tags.includes('ties'));
        const distinct = new Set(ties.map((c) => j(c.expected.data)));
        expect(distinct.size, `${k} ${dtype}`).toBeGreaterThan(1);
      }
    }
  });
});

describe.skipIf(!HAVE_REFERENCE)('the integer vectors against TFLite\'s reference kernels', () => {
  beforeAll(async () => { await buildReference(); }, 600_000);

  it('every expected output equals TFLite\'s reference kernel on the stored inputs and scales (0 differing values)', async () => {
    const byVariant = new Map<ReferenceVariant, BuiltCase[]>();
    let skippedFp32 = 0;
    for (const c of CASES) {
      if (harnessLine(c) === null) { skippedFp32++; continue; }
      const v = variantOf((c.params as P).requantization?.convention ?? 'none');
      byVariant.set(v, [...(byVariant.get(v) ?? []), c]);
    }
    let values = 0, differing = 0, checked = 0;
    const bad: string[] = [];
    for (const [variant, cases] of byVariant) {
      const outs = await runReference(variant, cases.map((c) => harnessLine(c)!));
      cases.forEach((c, i) => {
        const want = expectedInts(c.expected);
        const got = outs[i]!;
        let d = got.length === want.length ? 0 : want.length;
        for (let k = 0; k < Math.min(got.length, want.length); k++) if (got[k] !== want[k]) d++;
        if (d) bad.push(`${c.name}: ${d} of ${want.length} differ`);
        values += want.length; differing += d; checked++;
      });
    }
    console.log(`[vectors-q8] ${checked} integer cases vs TFLite's reference kernels: ${values} values, ${differing} differing (${skippedFp32} xnnpack-fp32 cases checked below)`);
    expect(bad).toEqual([]);
    expect(checked).toBe(CASES.length - skippedFp32);
  }, 120_000);

  it('conv-like cases: the stored multiplier/shift (or fp32Scale) and the named formula reproduce every expected value via TFLite\'s MultiplyByQuantizedMultiplier / C lrintf', async () => {
    const lines = new Map<ReferenceVariant, string[]>();
    const checks: Array<{ variant: ReferenceVariant; index: number; expected: number; zo: number; lo: number; hi: number; name: string }> = [];
    const push = (variant: ReferenceVariant, line: string): number => {
      const l = lines.get(variant) ?? [];
      l.push(line);
      lines.set(variant, l);
      return l.length - 1;
    };
    const qmChecks: Array<{ variant: ReferenceVariant; index: number; m: number; s: number; name: string }> = [];
    for (const c of CASES.filter((x) => CONV_KINDS.has(x.kernel))) {
      const p = c.params as P;
      const r = p.requantization;
      const { acc, channel } = accumulators(c);
      const [lo, hi] = p.activationRange as [number, number];
      if (r.convention === 'xnnpack-fp32') {
        expect(r.formula).toBe('fp32-round-half-even');
        (p.filter.scale as number[]).forEach((sw, ch) => {
          expect(r.fp32Scale[ch], `${c.name} fp32Scale[${ch}]`).toBe(Math.fround(Math.fround(p.input.scale * sw) / p.output.scale));
        });
      } else {
        // The stored (multiplier, shift) is TFLite's QuantizeMultiplier of the stored real multiplier.
        (r.realMultiplier as number[]).forEach((real, ch) => {
          qmChecks.push({ variant: variantOf(r.convention), index: push(variantOf(r.convention), `prim qm ${real.toPrecision(17)}`), m: r.multiplier[ch], s: r.shift[ch], name: `${c.name}[${ch}]` });
        });
      }
      acc.forEach((a, i) => {
        const ch = (r.multiplier ?? r.fp32Scale).length === 1 ? 0 : channel[i]!; // per tensor: one entry for every channel
        const formula = r.formula as string;
        const variant: ReferenceVariant = formula === 'single-rounding' ? 'single-rounding' : 'double-rounding';
        const line = formula === 'fp32-round-half-even' ? `fp32 ${a} ${r.fp32Scale[ch]}` : `prim mbqm ${a} ${r.multiplier[ch]} ${r.shift[ch]}`;
        checks.push({ variant, index: push(variant, line), expected: c.expected.data[i]!, zo: p.output.zeroPoint, lo, hi, name: c.name });
      });
    }
    const outs = new Map<ReferenceVariant, number[][]>();
    for (const [variant, l] of lines) outs.set(variant, await runReference(variant, l));
    const wrong: string[] = [];
    for (const k of checks) {
      const v = outs.get(k.variant)![k.index]![0]! + k.zo;
      const q = v < k.lo ? k.lo : v > k.hi ? k.hi : v;
      if (q !== k.expected) wrong.push(`${k.name}: ${q} vs expected ${k.expected}`);
    }
    for (const k of qmChecks) {
      const [m, s] = outs.get(k.variant)![k.index]!;
      if (m !== k.m || s !== k.s) wrong.push(`${k.name}: QuantizeMultiplier gives (${m}, ${s}), stored (${k.m}, ${k.s})`);
    }
    console.log(`[vectors-q8] ${checks.length} conv-like outputs recomputed from the manifest's own parameters; ${qmChecks.length} stored multipliers checked; ${wrong.length} wrong`);
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(checks.length).toBeGreaterThan(1000);
  }, 120_000);

  it('requantize cases: the stored multiplier/shift are TFLite\'s QuantizeMultiplier of the stored real multiplier', async () => {
    const cases = CASES.filter((c) => c.kernel === 'q8-requantize' || c.kernel === 'q8-add');
    for (const c of cases) {
      const r = (c.params as P).requantization;
      const parts: Array<{ realMultiplier: number; multiplier: number; shift: number }> = c.kernel === 'q8-add' ? [r.a, r.b, r.output] : [r];
      const got = await runReference(variantOf(r.convention), parts.map((q) => `prim qm ${q.realMultiplier.toPrecision(17)}`));
      expect(got, c.name).toEqual(parts.map((q) => [q.multiplier, q.shift]));
    }
    // Sanity: the dtype ranges the README states.
    expect(q8Range('int8')).toEqual([-128, 127]);
  }, 60_000);
});

describe('the uint8 xnnpack-fp32 vectors against the TFLite interpreter (tfjs-tflite WASM, XNNPACK)', () => {
  it('conv2d, depthwise (incl. dilation) and pointwise: every expected value is the interpreter\'s', async () => {
    const ACTIVATION = { none: 0, relu: 1, 'relu-n1-to-1': 2, relu6: 3 } as const;
    const cases = CASES.filter((c) => ['q8-conv2d', 'q8-depthwise', 'q8-pointwise'].includes(c.kernel)
      && (c.params as P).dtype === 'uint8' && (c.params as P).requantization.convention === 'xnnpack-fp32');
    expect(cases.length).toBe(10);
    let values = 0, differing = 0;
    for (const c of cases) {
      const p = c.params as P;
      const pointwise = c.kernel === 'q8-pointwise';
      const depthwise = c.kernel === 'q8-depthwise';
      const [rows, ic] = c.inputs.x!.shape;
      const oc = c.expected.shape[c.expected.shape.length - 1]!;
      const xShape = pointwise ? [1, 1, rows!, ic!] : c.inputs.x!.shape;
      const wShape = pointwise ? [oc, 1, 1, ic!] : depthwise ? [1, ...c.inputs.w!.shape] : c.inputs.w!.shape;
      const yShape = pointwise ? [1, 1, rows!, oc] : c.expected.shape;
      const g = pointwise ? { stride: [1, 1], dilation: [1, 1] } : p.geometry;
      const pad = pointwise || p.padding === 'valid' ? 1 : 0;
      const act = ACTIVATION[p.activation as keyof typeof ACTIVATION];
      const sx = p.input.scale as number, sw = p.filter.scale[0] as number;
      const bytes = singleOpModel(depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D', [
        { name: 'x', shape: xShape, type: UINT8, scale: sx, zeroPoint: p.input.zeroPoint },
        { name: 'w', shape: wShape, type: UINT8, scale: sw, zeroPoint: p.filter.zeroPoint, data: c.inputs.w!.data as Uint8Array },
        { name: 'b', shape: [oc], type: INT32, scale: Math.fround(sx * sw), zeroPoint: 0, data: bytesOfI32(c.inputs.b!.data as Int32Array) },
        { name: 'y', shape: yShape, type: UINT8, scale: p.output.scale, zeroPoint: p.output.zeroPoint },
      ], [0, 1, 2], [3], [0], depthwise
        ? table([[0, s('i8', pad)], [1, s('i32', g.stride[1])], [2, s('i32', g.stride[0])], [3, s('i32', 1)], [4, s('i8', act)], [5, s('i32', g.dilation[1])], [6, s('i32', g.dilation[0])]])
        : table([[0, s('i8', pad)], [1, s('i32', g.stride[1])], [2, s('i32', g.stride[0])], [3, s('i8', act)], [4, s('i32', g.dilation[1])], [5, s('i32', g.dilation[0])]]));
      const interpreter = await loadTfliteInterpreter(bytes);
      const [theirs] = interpreter.run([c.inputs.x!.data as Uint8Array]);
      interpreter.dispose();
      const want = c.expected.data;
      for (let i = 0; i < want.length; i++) if (theirs![i] !== want[i]) differing++;
      values += want.length;
    }
    console.log(`[vectors-q8] ${cases.length} uint8 xnnpack-fp32 cases in the TFLite interpreter: ${values} values, ${differing} differing`);
    expect(differing).toBe(0);
  }, 120_000);
});
