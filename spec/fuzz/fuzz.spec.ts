// SPDX-License-Identifier: Apache-2.0
/**
 * Fuzzing every file parser with seeded structure-aware mutations (mutations.ts) of real and
 * generated inputs (corpus.ts), each case in a watched child process (harness.ts).
 *
 *   npm test                              a few cases per parser (FUZZ_CASES, default 8) + every regression
 *   FUZZ_CASES=10000 npm run fuzz         the full campaign: a summary table per parser
 *   FUZZ_PARSERS=png,bmp FUZZ_SEED=7 …    a subset, another seed
 *
 * Every case must end in a result or a typed one-line error (MobileNetV2Error), within the time
 * limit, without killing its process, and with peak memory ≤ max(64 MB, 8 × input size). Failures
 * are written (parser, base, seed, edits) to $FUZZ_OUT/failures.json (default: a temp folder)
 * ready to be pasted into regressions.ts; the table goes to $FUZZ_OUT/summary.md.
 * The child runs the built library: `npm run build` first (npm test and npm run fuzz do).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyEdits, type Parser } from './mutations.js';
import { baseById, corpus } from './corpus.js';
import { BUILT, CaseRunner, DEFAULT_LIMITS, memoryBound, runCampaign, summaryTable, type Failure, type ParserSummary } from './harness.js';
import { REGRESSIONS } from './regressions.js';

const CASES = Number(process.env.FUZZ_CASES ?? 8);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
const PARSERS: Parser[] = (process.env.FUZZ_PARSERS?.split(',') ?? ['tflite', 'flexbuffer', 'safetensors', 'npy', 'jpeg', 'png', 'bmp']) as Parser[];
const OUT = process.env.FUZZ_OUT ?? join(tmpdir(), 'mobilenetv2-fuzz');
// Generous: a contended 2-core machine can be 10× slower than a quiet one; a loop never answers at all.
const PER_CASE_MS = Number(process.env.FUZZ_CASE_TIMEOUT_MS ?? DEFAULT_LIMITS.timeoutMs);

if (!BUILT) console.warn('[mobilenetv2] dist/ not built: the fuzz cases (which run the built library in a child process) are SKIPPED; run npm run build');

describe.skipIf(!BUILT)('fuzz: every parser, every case in a watched child process', () => {
  const runner = new CaseRunner({ ...DEFAULT_LIMITS, timeoutMs: PER_CASE_MS });
  const rows: ParserSummary[] = [];
  const failures: Failure[] = [];
  const write = () => {
    mkdirSync(OUT, { recursive: true });
    writeFileSync(join(OUT, 'failures.json'), JSON.stringify(failures, null, 1));
    writeFileSync(join(OUT, 'summary.md'), `${summaryTable(rows)}\n\n${CASES} cases per parser, seed ${SEED}\n`);
  };
  afterAll(() => {
    runner.close();
    write();
    console.log(`fuzz summary (${CASES} cases per parser, seed ${SEED}; failures in ${join(OUT, 'failures.json')}):\n${summaryTable(rows)}`);
  });

  it('the watchdog catches what it is there for: an abort is a crash, a loop a hang, a runaway allocation a crash', async () => {
    const watched = new CaseRunner({ timeoutMs: 3000, hardMemoryMB: 300 });
    try {
      const abort = await watched.run('selftest-abort' as Parser, 'abort', new Uint8Array(1));
      expect([abort.outcome, abort.message]).toEqual(['crash', expect.stringMatching(/signal SIGABRT/)]);
      expect((await watched.run('selftest-hang' as Parser, 'hang', new Uint8Array(1))).outcome).toBe('hang');
      const grow = await watched.run('selftest-grow' as Parser, 'grow', new Uint8Array(1));
      expect([grow.outcome, grow.message]).toEqual(['crash', expect.stringMatching(/watchdog/)]);
      expect((await watched.run('npy', 'after', new Uint8Array(3))).outcome).toBe('typed'); // a fresh child takes over
    } finally {
      watched.close();
    }
  }, 60_000);

  it.each(REGRESSIONS.map((r, i) => [i, r.note, r] as const))('regression %i (%s) ends in a result or a typed error, within the memory bound', async (_i, _note, r) => {
    const base = baseById(r.base);
    if (base === null) { console.warn(`[mobilenetv2] regression on ${r.base} SKIPPED: ../shared is absent`); return; }
    const bytes = applyEdits(base.bytes, r.edits);
    const res = await runner.run(r.parser, `${r.base}+edits`, bytes);
    expect(['ok', 'typed'], `${res.outcome}: ${res.message}`).toContain(res.outcome);
    if (res.peakBytes !== null) expect(res.peakBytes).toBeLessThanOrEqual(memoryBound(bytes.length));
  }, 120_000);

  it.each(PARSERS)('%s: 0 untyped errors, 0 hangs, 0 crashes, peak memory within max(64 MB, 8 × size)', async (parser) => {
    const bases = corpus()[parser];
    expect(bases.length, `no base inputs for ${parser}`).toBeGreaterThan(0);
    const found: Failure[] = [];
    const s = await runCampaign(runner, parser, bases, CASES, SEED, (f) => { found.push(f); failures.push(f); write(); }, (p) => {
      rows.splice(rows.findIndex((x) => x.parser === parser) >>> 0, 1, { ...p });
      if (CASES >= 1000) { write(); console.log(`[fuzz] ${parser}: ${p.cases}/${CASES} cases, ${p.seconds.toFixed(0)} s`); }
    });
    const at = rows.findIndex((x) => x.parser === parser);
    if (at >= 0) rows[at] = s; else rows.push(s);
    write();
    const show = found.slice(0, 5).map((f) => `${f.outcome} on ${f.base} seed ${f.seed}${f.overMemoryBound ? ` (peak ${((f.peakBytes ?? 0) / 2 ** 20).toFixed(0)} MB)` : ''}: ${f.message}`).join('\n');
    expect(s.untyped + s.hangs + s.crashes + s.overMemory, show).toBe(0);
    expect(s.cases).toBe(CASES);
  }, Math.max(120_000, CASES * PER_CASE_MS));
});
