// SPDX-License-Identifier: Apache-2.0
/**
 * Runs fuzz cases in a child process (case-runner.mjs) under a watchdog, and campaigns of them.
 *
 * Isolation: a case that aborts V8 ("Fatal JavaScript invalid size error", exit 133), overflows
 * memory or segfaults kills only the child; the parent records a *crash* for that case and starts
 * a fresh child for the next. A case that runs past its time limit is a *hang* (the child is
 * killed). The parent also polls the child's resident set and kills it above a hard limit (a
 * runaway allocation is a crash, not a stalled machine). Peak memory per case is measured in the
 * child (VmHWM − VmRSS before the case) and compared with the bound max(64 MB, 8 × input size).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyEdits, mutate, type Edit, type Parser } from './mutations.js';
import type { Base } from './corpus.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CASE_RUNNER = join(HERE, 'case-runner.mjs');
export const BUILT = existsSync(join(HERE, '..', '..', 'dist', 'src', 'io', 'tflite', 'import.js'));

export type Outcome = 'ok' | 'typed' | 'untyped' | 'hang' | 'crash';

export interface CaseResult {
  readonly outcome: Outcome;
  readonly code: string | null;
  readonly message: string;
  readonly ms: number;
  /** Peak resident-memory growth during the case (null where /proc is unavailable). */
  readonly peakBytes: number | null;
  readonly inputBytes: number;
}

export interface Limits {
  /** Per-case wall-clock limit (ms) before the case counts as a hang. */
  readonly timeoutMs: number;
  /** Resident-set size (MB) at which the watchdog kills the child. */
  readonly hardMemoryMB: number;
}

export const DEFAULT_LIMITS: Limits = { timeoutMs: 30_000, hardMemoryMB: 2048 };

/** The acceptance bound on a case's memory: max(64 MB, 8 × the input's size). */
export const memoryBound = (inputBytes: number): number => Math.max(64 * 2 ** 20, 8 * inputBytes);

function rssMB(pid: number): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

interface Reply { id: number; outcome: Outcome; code: string | null; message: string; ms: number; peakBytes: number | null }

/** One child process at a time, restarted after a crash or hang. */
export class CaseRunner {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private nextId = 1;
  private stderr = '';

  constructor(private readonly limits: Limits = DEFAULT_LIMITS) {}

  private start(): Promise<void> {
    this.stderr = '';
    const child = fork(CASE_RUNNER, [], {
      serialization: 'advanced',
      execArgv: ['--expose-gc', `--max-old-space-size=${this.limits.hardMemoryMB}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      const onMsg = (m: { ready?: boolean }) => { if (m.ready) { child.off('exit', onExit); resolve(); } };
      const onExit = (code: number | null, signal: string | null) => reject(new Error(`fuzz case runner exited at start (code ${code}, signal ${signal}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`));
      child.once('message', onMsg);
      child.once('exit', onExit);
    });
    return this.ready;
  }

  async run(parser: Parser, name: string, bytes: Uint8Array): Promise<CaseResult> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) await this.start();
    else await this.ready;
    const child = this.child!;
    const id = this.nextId++;
    return new Promise<CaseResult>((resolve) => {
      let settled = false;
      const finish = (r: Omit<CaseResult, 'inputBytes'>, kill: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(poll);
        child.off('message', onMsg);
        child.off('exit', onExit);
        if (kill) { child.kill('SIGKILL'); this.child = null; }
        resolve({ ...r, inputBytes: bytes.length });
      };
      const onMsg = (m: Reply) => { if (m.id === id) finish({ outcome: m.outcome, code: m.code, message: m.message, ms: m.ms, peakBytes: m.peakBytes }, false); };
      const onExit = (code: number | null, signal: string | null) => {
        this.child = null;
        const last = this.stderr.trim().split('\n').filter((l) => l.trim() !== '').slice(0, 2).join(' | ');
        finish({ outcome: 'crash', code: null, message: `child exited (code ${code}, signal ${signal}): ${last}`.slice(0, 400), ms: performance.now() - t0, peakBytes: null }, false);
      };
      const t0 = performance.now();
      const timer = setTimeout(() => finish({ outcome: 'hang', code: null, message: `no answer within ${this.limits.timeoutMs} ms`, ms: performance.now() - t0, peakBytes: null }, true), this.limits.timeoutMs);
      const poll = setInterval(() => {
        const mb = rssMB(child.pid!);
        if (mb > this.limits.hardMemoryMB) finish({ outcome: 'crash', code: null, message: `resident memory ${mb.toFixed(0)} MB passed the ${this.limits.hardMemoryMB} MB watchdog`, ms: performance.now() - t0, peakBytes: mb * 2 ** 20 }, true);
      }, 25);
      child.on('message', onMsg);
      child.once('exit', onExit);
      child.send({ id, parser, name, bytes });
    });
  }

  close(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Campaigns

export interface FuzzCase {
  readonly parser: Parser;
  readonly base: string;
  readonly seed: number;
  readonly edits: readonly Edit[];
}

export interface Failure extends FuzzCase {
  readonly outcome: Outcome;
  readonly message: string;
  readonly peakBytes: number | null;
  readonly overMemoryBound: boolean;
}

export interface ParserSummary {
  parser: Parser;
  cases: number;
  ok: number;
  typed: number;
  untyped: number;
  hangs: number;
  crashes: number;
  /** Cases whose peak memory exceeded max(64 MB, 8 × input size). */
  overMemory: number;
  peakBytes: number;
  peakInputBytes: number;
  slowestMs: number;
  seconds: number;
}

/** Case i of a campaign with seed S uses seed S·1_000_003 + i (one stream per case, reproducible alone). */
export const caseSeed = (campaignSeed: number, i: number): number => (campaignSeed * 1_000_003 + i) >>> 0;

export async function runCampaign(
  runner: CaseRunner, parser: Parser, bases: readonly Base[], cases: number, campaignSeed: number,
  onFailure: (f: Failure) => void = () => {}, onProgress: (s: ParserSummary) => void = () => {},
): Promise<ParserSummary> {
  const s: ParserSummary = { parser, cases: 0, ok: 0, typed: 0, untyped: 0, hangs: 0, crashes: 0, overMemory: 0, peakBytes: 0, peakInputBytes: 0, slowestMs: 0, seconds: 0 };
  if (bases.length === 0) return s;
  const t0 = performance.now();
  for (let i = 0; i < cases; i++) {
    const base = bases[i % bases.length]!;
    const seed = caseSeed(campaignSeed, i);
    const edits = mutate(parser, base.bytes, seed);
    const bytes = applyEdits(base.bytes, edits);
    const r = await runner.run(parser, `${base.id}#${seed}`, bytes);
    s.cases++;
    const over = r.peakBytes !== null && r.peakBytes > memoryBound(r.inputBytes);
    if (r.outcome === 'ok') s.ok++;
    else if (r.outcome === 'typed') s.typed++;
    else if (r.outcome === 'untyped') s.untyped++;
    else if (r.outcome === 'hang') s.hangs++;
    else s.crashes++;
    if (over) s.overMemory++;
    if ((r.peakBytes ?? 0) > s.peakBytes) { s.peakBytes = r.peakBytes!; s.peakInputBytes = r.inputBytes; }
    s.slowestMs = Math.max(s.slowestMs, r.ms);
    if (over || (r.outcome !== 'ok' && r.outcome !== 'typed')) {
      onFailure({ parser, base: base.id, seed, edits, outcome: r.outcome, message: r.message, peakBytes: r.peakBytes, overMemoryBound: over });
    }
    s.seconds = (performance.now() - t0) / 1000;
    if ((i + 1) % 250 === 0) onProgress(s);
  }
  return s;
}

const mb = (b: number): string => (b / 2 ** 20).toFixed(1);

export function summaryTable(rows: readonly ParserSummary[]): string {
  const lines = [
    '| parser | cases | ok | typed errors | untyped | hangs | crashes | over memory bound | peak memory (MB) [input MB] | slowest case (ms) | time (s) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.parser} | ${r.cases} | ${r.ok} | ${r.typed} | ${r.untyped} | ${r.hangs} | ${r.crashes} | ${r.overMemory} | ${mb(r.peakBytes)} [${mb(r.peakInputBytes)}] | ${r.slowestMs.toFixed(0)} | ${r.seconds.toFixed(0)} |`);
  }
  return lines.join('\n');
}
