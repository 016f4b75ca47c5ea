// SPDX-License-Identifier: Apache-2.0
import type { Command } from '../command.js';
import { choiceOption, numberOption, parse } from '../args.js';
import { readNpyFile } from '../../io/npy.js';
import { readSafetensorsStateDict } from '../../io/safetensors-state-dict.js';
import { nchwToNhwc } from '../../model/layout.js';
import { parseProfileName, resolveConventions } from '../../io/conventions.js';
import { compareIntegerTapDirs, prepareComparison, type CompareResult, type IntegerCompareResult } from '../../oracle/compare.js';
import { formatLsbHistogram } from '../../oracle/integer-diff.js';
import { diagnose, type Diagnosis } from '../../oracle/diagnose.js';
import { explain, type ExplainResult } from '../../oracle/explain.js';
import { dequantizeTapDir, readTapDir, toNhwc, type Tap } from '../../oracle/taps.js';
import { fmtShape, shapeError, usageError } from '../../errors.js';

const USAGE = `usage: mobilenetv2 compare A B [--atol X] [--rtol R] [--json] [--dequantize]
                          [--layout-a nchw|nhwc] [--layout-b nchw|nhwc] [--resolution H[xW]]
                          [--explain --weights W.safetensors [--input X.npy]
                           [--profile P] [--padding symmetric|tf-same] [--bn-eps E]]

Compares two directories of per-layer outputs (.npy), tap by tap, B being the reference. A tap
directory is what 'mobilenetv2 run --taps DIR' writes, or anyone's .npy files named after our taps
(features.3.conv.1.npy, pool.npy, classifier.npy, input.npy) or their TF-slim / Keras aliases
(layer_4/depthwise_output.npy, block_2_add.npy, Conv1_relu.npy). NCHW or NHWC is detected from the
shapes (or given). For every shared tap it prints max abs, max rel, mean abs, max and median ULP
distance, cosine similarity and SQNR; for the logits top-1/top-5 agreement. It names the first tap
out of tolerance and the likely convention at fault (padding, BN ε, preprocessing, background
class, layout). Exit status 0 when every shared tap agrees, 1 when one does not.

Integer taps (uint8/int8/int32/int64 .npy, e.g. from 'run --model X.tflite --taps DIR' or an
interpreter dump; every .npy of such a directory is a tap, any name): exact match is the criterion,
no tolerance. Per tap: the number of differing values, the LSB histogram (|A − B| = 1, 2, 3 … : count,
and the max), the first differing element; with each tap's scale and zero point in the directory's
conventions.json ("taps": [{"name", "file", "scale", "zeroPoint"}, …], in execution order) also
the largest difference in real units. It names the first tap in execution order with a difference.
A tap that is integer in one directory and float (or another integer type) in the other is an error,
unless --dequantize: then integer taps become real numbers (scale·(q − zero point) from their
conventions.json) and are compared as floats — the quantization drift of an int8/uint8 run against a
float run of the same network, per layer (max |A − B|, cosine, SQNR), each tap within one
quantization step by default.

  --atol X       absolute tolerance (default 1e-4 · max|B| per tap, the policy in docs/tolerances.md)
  --rtol R       relative tolerance, times |B| (default 0)
  --json         print the full report as JSON
  --dequantize   integer taps as real numbers, compared with float taps (quantization drift)
  --layout-a L, --layout-b L   layout of 4-D taps when the shapes cannot tell
  --resolution   input size, when neither directory has an input tap
  --explain      rerun our model on the same weights and input under each alternative convention
                 (the other padding, the other BN ε, each input normalization change) and report
                 which run reproduces A and which B. Needs --weights (a torchvision state dict,
                 safetensors) and the input: --input X.npy, else the input tap of A (or B).
                 The baseline run uses --profile / --padding / --bn-eps (default torchvision).`;

function fmt(v: number, digits = 2): string {
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '-∞';
  if (Number.isNaN(v)) return 'NaN';
  if (v === 0) return '0';
  return v.toExponential(digits);
}

function table(result: CompareResult): string[] {
  const head = ['tap', 'shape (NHWC)', 'max abs', 'max rel', 'mean abs', 'max ULP', 'med ULP', 'cosine', 'SQNR dB', ''];
  const rows = result.taps.map((t) => {
    const m = t.metrics;
    const extra = t.logits ? ` top-1 ${(t.logits.top1 * 100).toFixed(0)}%, top-5 ${(t.logits.top5 * 100).toFixed(0)}%` : '';
    return [
      t.name, fmtShape(t.shape), fmt(m.maxAbs), fmt(m.maxRel), fmt(m.meanAbs), m.maxUlp === Infinity ? '∞' : String(m.maxUlp), String(m.medianUlp),
      m.cosine.toFixed(7), m.sqnrDb === Infinity ? '∞' : m.sqnrDb.toFixed(1), (t.pass ? 'ok' : `FAIL (${t.failures} > ${fmt(t.tolerance.atol, 1)})`) + extra,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

function integerReport(r: IntegerCompareResult): string[] {
  const side = (s: IntegerCompareResult['a']): string => `${s.taps} taps: ${Object.entries(s.dtypes).map(([d, n]) => `${n} ${d}`).join(', ')}${s.arithmetic ? `; ${s.arithmetic} arithmetic` : ''}${s.requantization ? `, requantization ${s.requantization}` : ''}`;
  const out = [
    `A: ${r.a.dir} (${side(r.a)})`,
    `B: ${r.b.dir} (${side(r.b)})  — the reference`,
    `integer taps: exact match required (no tolerance); ${r.taps.length + r.floatTaps.length} shared taps in execution order (${r.orderHow})`,
    '',
  ];
  const head = ['tap', 'dtype', 'shape', 'differing', 'max LSB', 'LSB histogram (|A−B|:count)', 'max |Δ| real', ''];
  const rows = r.taps.map((t) => [
    t.name, t.dtype, fmtShape(t.shape), t.difference.differing === 0 ? '0' : `${t.difference.differing}/${t.difference.count}`, String(t.difference.maxLsb),
    formatLsbHistogram(t.difference), t.realMaxAbs === null ? '' : fmt(t.realMaxAbs), t.pass ? 'ok' : t.quantizationMismatch ? 'FAIL (quantization differs)' : 'FAIL',
  ]);
  for (const t of r.floatTaps) {
    rows.push([t.name, 'float32', fmtShape(t.shape), String(t.failures), '', `max abs ${fmt(t.metrics.maxAbs)} (tolerance ${fmt(t.tolerance.atol, 1)})`, '', t.pass ? 'ok' : 'FAIL']);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: string[]): string => row.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  out.push(line(head), ...rows.map(line));
  for (const m of r.shapeMismatches) out.push(`${m.name}: shapes differ, A ${fmtShape(m.a)} vs B ${fmtShape(m.b)}`);
  if (r.onlyInA.length) out.push(`only in A: ${r.onlyInA.join(', ')}`);
  if (r.onlyInB.length) out.push(`only in B: ${r.onlyInB.join(', ')}`);
  out.push('');
  if (r.firstDifference === null) {
    out.push(`PASS: ${r.taps.length} integer taps identical (${r.comparedValues} values, 0 differing)${r.floatTaps.length ? `; ${r.floatTaps.length} float taps within tolerance` : ''}`);
    return out;
  }
  const t = r.taps.find((x) => x.name === r.firstDifference);
  out.push(`first tap with a difference: ${r.firstDifference}`);
  if (t?.first) {
    const lsb = t.quantization && !Array.isArray(t.quantization.scale) ? ` (1 LSB = ${fmt(t.quantization.scale as number, 3)} real)` : '';
    out.push(`  first at ${fmtShape(t.first.at)}: A ${t.first.a}, B ${t.first.b}${lsb}; largest at ${fmtShape(t.worst!.at)}: A ${t.worst!.a}, B ${t.worst!.b} (${t.difference.maxLsb} LSB)`);
  }
  if (t?.quantizationMismatch) out.push(`  quantization differs: ${t.quantizationMismatch} — the q values mean different reals`);
  out.push(`FAIL: ${r.differingTaps} of ${r.taps.length + r.floatTaps.length} taps differ; ${r.differingValues} of ${r.comparedValues} integer values differ`);
  return out;
}

function parseResolution(raw: unknown): [number, number] | undefined {
  if (raw === undefined) return undefined;
  const m = typeof raw === 'string' ? /^(\d+)(?:x(\d+))?$/.exec(raw) : null;
  if (!m) throw usageError(`compare: --resolution must be H or HxW, got '${String(raw)}'`);
  return [Number(m[1]), Number(m[2] ?? m[1])];
}

function inputTensor(path: string | undefined, taps: { a: ReadonlyMap<string, Tap>; b: ReadonlyMap<string, Tap> }, layout: 'nchw' | 'nhwc' | undefined): Tap {
  if (path === undefined) {
    const t = taps.a.get('input') ?? taps.b.get('input');
    if (!t) throw usageError('compare --explain: give --input X.npy (neither directory has an input tap)');
    return t;
  }
  const x = readNpyFile(path);
  if (x.shape.length !== 4) throw shapeError(`${path}: input has shape ${fmtShape(x.shape)}, expected [N, 3, H, W] or [N, H, W, 3]`);
  const l = layout ?? (x.shape[1] === 3 && x.shape[3] !== 3 ? 'nchw' : 'nhwc');
  if (l === 'nchw') {
    const [n, c, h, w] = x.shape as [number, number, number, number];
    return { data: nchwToNhwc(x.data, n, c, h, w), shape: [n, h, w, c] };
  }
  return toNhwc('input', x, 'nhwc');
}

export const compareCommand: Command = {
  summary: 'compare two tap directories layer by layer; name the first divergence and its likely cause',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse('compare', argv, {
      atol: { type: 'string' }, rtol: { type: 'string' }, json: { type: 'boolean' },
      'layout-a': { type: 'string' }, 'layout-b': { type: 'string' }, resolution: { type: 'string' },
      explain: { type: 'boolean' }, weights: { type: 'string' }, input: { type: 'string' },
      profile: { type: 'string' }, padding: { type: 'string' }, 'bn-eps': { type: 'string' }, 'input-layout': { type: 'string' },
      dequantize: { type: 'boolean' },
    }, true);
    if (positionals.length !== 2) throw usageError(`compare: give exactly two tap directories A and B (got ${positionals.length}; see 'mobilenetv2 help compare')`);
    const atol = numberOption('compare', 'atol', values.atol, (v) => v >= 0, 'a non-negative number');
    const rtol = numberOption('compare', 'rtol', values.rtol, (v) => v >= 0, 'a non-negative number');
    const layoutA = choiceOption('compare', 'layout-a', values['layout-a'], ['nchw', 'nhwc'] as const);
    const layoutB = choiceOption('compare', 'layout-b', values['layout-b'], ['nchw', 'nhwc'] as const);
    const resolution = parseResolution(values.resolution);
    if (values.explain && typeof values.weights !== 'string') throw usageError('compare --explain needs --weights W.safetensors (the torchvision state dict both runs used)');

    let dirA = readTapDir(positionals[0]!), dirB = readTapDir(positionals[1]!);
    let atolByTap: Map<string, number> | undefined;
    if (values.dequantize) {
      if (!dirA.integer && !dirB.integer) throw usageError('compare --dequantize: neither directory holds integer taps');
      if (values.explain) throw usageError('compare --dequantize measures quantization drift; --explain looks for a convention and does not apply');
      atolByTap = new Map();
      for (const side of [dirA, dirB]) {
        if (!side.integer) continue;
        const { dir, steps } = dequantizeTapDir(side);
        for (const [name, step] of steps) atolByTap.set(name, Math.max(step, atolByTap.get(name) ?? 0));
        if (side === dirA) dirA = dir; else dirB = dir;
      }
    }
    if (dirA.integer || dirB.integer) {
      for (const flag of ['explain', 'layout-a', 'layout-b', 'resolution'] as const) {
        if (values[flag] !== undefined) throw usageError(`compare: --${flag} applies to float taps only; ${(dirA.integer ? dirA : dirB).dir} holds integer taps (compared exactly, as stored)`);
      }
      const r = compareIntegerTapDirs(dirA, dirB, { atol, rtol });
      if (values.json) io.out(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2));
      else for (const l of integerReport(r)) io.out(l);
      return r.pass ? 0 : 1;
    }
    const p = prepareComparison(dirA, dirB, { atol, rtol, layoutA, layoutB, resolution, ...(atolByTap ? { atolByTap } : {}) });
    // Dequantized integer taps differ from float ones by quantization, not by a convention: no diagnosis.
    const d: Diagnosis | null = atolByTap ? null : diagnose(p);
    let ex: ExplainResult | null = null;
    if (values.explain) {
      const profile = values.profile === undefined ? null : parseProfileName(values.profile);
      const conv = resolveConventions(profile, {
        padding: choiceOption('compare', 'padding', values.padding, ['symmetric', 'tf-same'] as const),
        bnEps: numberOption('compare', 'bn-eps', values['bn-eps'], (v) => v >= 0, 'a non-negative number'),
      });
      const input = inputTensor(values.input as string | undefined, p, choiceOption('compare', 'input-layout', values['input-layout'], ['nchw', 'nhwc'] as const));
      ex = explain(p, { weights: readSafetensorsStateDict(values.weights as string), weightsSource: values.weights as string, input, padding: conv.padding, bnEps: conv.bnEps ?? 1e-5 });
    }

    const r = p.result;
    if (values.json) {
      io.out(JSON.stringify({ ...r, diagnosis: d, explain: ex }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2));
    } else {
      io.out(`A: ${r.a.dir} (${r.a.taps} taps, ${r.a.layout.toUpperCase()}: ${r.a.layoutHow})`);
      io.out(`B: ${r.b.dir} (${r.b.taps} taps, ${r.b.layout.toUpperCase()}: ${r.b.layoutHow})  — the reference`);
      io.out(`input ${r.resolution[0]}x${r.resolution[1]} (${r.resolutionHow}); ${r.taps.length} shared taps; tolerance ${atol !== undefined ? `atol ${atol}` : atolByTap ? 'one quantization step per tap (dequantized)' : '1e-4 · max|B| per tap'}${rtol ? ` + ${rtol}·|B|` : ''}`);
      io.out('');
      for (const l of table(r)) io.out(l);
      for (const m of r.shapeMismatches) io.out(`${m.name}: shapes differ, A ${fmtShape(m.a)} vs B ${fmtShape(m.b)}`);
      if (r.onlyInA.length) io.out(`only in A: ${r.onlyInA.join(', ')}`);
      if (r.onlyInB.length) io.out(`only in B: ${r.onlyInB.join(', ')}`);
      io.out('');
      if (d === null) {
        const worst = r.taps.reduce((w, t) => (t.metrics.sqnrDb < w.metrics.sqnrDb ? t : w), r.taps[0]!);
        const beyond = r.taps.filter((t) => !t.pass).length;
        io.out(`quantization drift: lowest SQNR ${worst.metrics.sqnrDb.toFixed(1)} dB at ${worst.name}; ${beyond} of ${r.taps.length} taps ` +
          `have values more than one quantization step from the float run${r.firstFailure ? ` (first: ${r.firstFailure})` : ''}`);
      } else if (d.firstDivergence === null) {
        io.out(`PASS: ${d.summary}`);
      } else {
        const t = r.taps.find((x) => x.name === d.firstDivergence);
        io.out(`first divergence: ${d.firstDivergence}${d.layer ? ` — ${d.layer}` : ''}`);
        if (t) io.out(`  max |A − B| ${fmt(t.metrics.maxAbs, 3)} at ${fmtShape(t.worst.at)} (A ${t.worst.a}, B ${t.worst.b}); ${t.failures} of ${t.metrics.count} elements out of tolerance; SQNR ${t.metrics.sqnrDb.toFixed(1)} dB`);
        io.out(`likely cause: ${d.label} (${d.confidence} confidence): ${d.summary}`);
        for (const e of d.evidence) io.out(`  - ${e}`);
      }
      if (ex) {
        io.out('');
        io.out('explain: our model rerun under each convention (✓ = reproduces that side tap for tap)');
        for (const run of ex.runs) {
          const fa = run.matchesA ? '✓' : `✗ from ${run.firstFailureA}`;
          const fb = run.matchesB ? '✓' : `✗ from ${run.firstFailureB}`;
          io.out(`  ${run.name.padEnd(38)} A ${fa.padEnd(24)} B ${fb}`);
        }
        io.out(ex.conclusion);
      }
    }
    return r.pass ? 0 : 1;
  },
};
