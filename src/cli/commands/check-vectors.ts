// SPDX-License-Identifier: Apache-2.0
import type { Command } from '../command.js';
import { choiceOption, parse } from '../args.js';
import { checkVectors, readVectorManifest, runVectorCase, VECTOR_KERNELS, type CaseGrade, type VectorData, type VectorKernel } from '../../oracle/vectors.js';
import { usageError } from '../../errors.js';

const USAGE = `usage: mobilenetv2 check-vectors DIR RESULTS [--allow-missing] [--kernel K[,K…]] [--json] [--verbose]
       mobilenetv2 check-vectors DIR --backend scalar|ts-fast|wasm-simd [--threads N]

Grades an implementation against the suite written by 'mobilenetv2 vectors --out DIR'. RESULTS holds
one .npy per case, named <case name>.npy, in the shape and dtype of the case's expected output
(float32; uint8/int8/int32 for the integer q8-* cases; see DIR/README.txt). Prints one line per
kernel — cases passed, and the worst case with its largest error/bound ratio — and exits 1 if any
case fails. Integer cases are graded exactly: a failing one reports how many values differ and
their LSB histogram (|result − expected| = 1, 2, …). With --backend, the integer cases run on
this package's scalar q8 kernels (the --backend choice applies to the float cases).

  --allow-missing   cases without a result file are skipped instead of failing
  --kernel K        grade only these kernels (${VECTOR_KERNELS.join(', ')})
  --backend B       grade one of this package's own backends instead of a RESULTS directory
  --verbose         one line per case
  --json            the full grade as JSON`;

function ratio(v: number): string {
  return v === Infinity ? '∞' : v === 0 ? '0' : v.toExponential(2);
}

export const checkVectorsCommand: Command = {
  summary: 'grade an implementation\'s outputs against the conformance vectors',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse('check-vectors', argv, {
      'allow-missing': { type: 'boolean' }, kernel: { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean' },
      backend: { type: 'string' }, threads: { type: 'string' },
    }, true);
    const dir = positionals[0];
    if (dir === undefined) throw usageError("check-vectors: give the vectors directory (see 'mobilenetv2 help check-vectors')");
    const kernels = values.kernel === undefined ? undefined : String(values.kernel).split(',').map((k) => choiceOption('check-vectors', 'kernel', k.trim(), VECTOR_KERNELS)!) as VectorKernel[];
    const backendName = choiceOption('check-vectors', 'backend', values.backend, ['scalar', 'ts-fast', 'wasm-simd'] as const);
    let results: string | Map<string, { data: VectorData; shape: readonly number[] }>;
    if (backendName) {
      if (positionals.length !== 1) throw usageError('check-vectors: give either RESULTS or --backend, not both');
      const { createBackend } = await import('../../backend/create.js');
      const threads = values.threads === undefined ? undefined : Number(values.threads);
      const backend = await createBackend(backendName, { threads });
      try {
        const m = readVectorManifest(dir);
        results = new Map(m.cases.filter((c) => !kernels || kernels.includes(c.kernel)).map((c) => {
          const out = runVectorCase(dir, c, backend);
          return [c.name, { data: out, shape: c.kernel === 'nms' ? [out.length] : c.expected.shape }];
        }));
      } finally {
        backend.dispose();
      }
    } else {
      if (positionals.length !== 2) throw usageError("check-vectors: give the vectors directory and the results directory (see 'mobilenetv2 help check-vectors')");
      results = positionals[1]!;
    }
    const g = checkVectors(dir, results, { allowMissing: !!values['allow-missing'], kernels });
    if (values.json) {
      io.out(JSON.stringify(g, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2));
      return g.pass ? 0 : 1;
    }
    const rows = g.kernels.map((k) => [
      k.kernel, `${k.passed}/${k.cases}`, k.failed ? `${k.failed} FAIL` : k.missing === k.cases ? 'missing' : 'pass',
      k.missing ? `${k.missing} missing` : '', !k.worst ? '' : k.worst.worstRatio === 0 ? 'all exact'
        : k.worst.lsb && k.worst.lsb.differing > 0 ? `${k.worst.name} (${k.worst.lsb.differing} values differ, max ${k.worst.lsb.maxLsb} LSB)` : `${k.worst.name} (error/bound ${ratio(k.worst.worstRatio)})`,
    ]);
    const head = ['kernel', 'passed', 'status', '', 'worst case'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    io.out(line(head));
    for (const r of rows) io.out(line(r));
    const show = (c: CaseGrade): void => io.out(`  ${c.status === 'pass' ? 'ok  ' : c.status === 'missing' ? 'skip' : 'FAIL'} ${c.name}: ${c.lsb
      ? c.detail // integer case: exact, the detail counts the differing values and their LSB histogram
      : `error/bound ${ratio(c.worstRatio)}${c.failures ? `, ${c.failures} elements out of tolerance` : ''}; ${c.detail}`}`);
    for (const c of g.cases) if (values.verbose || c.status === 'fail') show(c);
    io.out(g.pass ? `PASS: ${g.cases.filter((c) => c.status === 'pass').length} cases` : `FAIL: ${g.cases.filter((c) => c.status === 'fail').length} of ${g.cases.length} cases failed${g.cases.some((c) => c.status === 'missing') && !values['allow-missing'] ? ' (missing results count as failures; --allow-missing skips them)' : ''}`);
    return g.pass ? 0 : 1;
  },
};
