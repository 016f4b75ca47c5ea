// SPDX-License-Identifier: Apache-2.0
/**
 * TensorFlow Lite's reference integer kernels as a test oracle: spec/helpers/tflite-reference-harness.cc
 * (ours: a reader/writer around their kernels) is compiled with g++ against
 * ../shared/tflite-reference (theirs, never copied here) into a cache directory outside git, once
 * per harness source, g++ version and variant:
 *
 *   'double-rounding'  the default build (gemmlowp double rounding) → our 'tflite-reference'
 *   'single-rounding'  -DTFLITE_SINGLE_ROUNDING=1                     → our 'single-rounding'
 *
 * Both are built with -fwrapv, so the reference's int32 accumulator overflow (undefined in C++)
 * wraps in two's complement, which is what our kernels define, and with -DNDEBUG like a release
 * TFLite: TFLITE_DCHECKs are off (e.g. uint8 ADD's DCHECK against a zero point of 255), while
 * TFLITE_CHECKs still abort (a case the reference rejects is reported with its line).
 *
 * Absent g++ or ../shared: tests skip with a visible message; under CI=true that is a failure.
 * Many cases go through one process (one line per case on stdin, one line out), so 10,000 cases
 * cost one spawn.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARED_DIR } from './shared.js';

export type ReferenceVariant = 'double-rounding' | 'single-rounding';

const here = dirname(fileURLToPath(import.meta.url));
const HARNESS_SOURCE = join(here, 'tflite-reference-harness.cc');
const REFERENCE_DIR = join(SHARED_DIR, 'tflite-reference');
const CACHE_DIR = process.env.MOBILENETV2_REFERENCE_CACHE ?? join(tmpdir(), 'mobilenetv2-tflite-reference');

function gppVersion(): string | null {
  try {
    return execFileSync('g++', ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  } catch {
    return null;
  }
}

const GPP = gppVersion();
const missing = GPP === null ? 'g++ is not installed' : !existsSync(join(REFERENCE_DIR, 'README.md')) ? `${REFERENCE_DIR} is missing` : null;

/** True when the reference harness can be built here. */
export const HAVE_REFERENCE = missing === null;

if (missing !== null) {
  if (process.env.CI === 'true') {
    throw new Error(`CI=true but TFLite's reference kernels cannot be built: ${missing}`);
  }
  console.warn(`[mobilenetv2] ${missing}: bit-exactness tests against TFLite's reference kernels are SKIPPED`);
}

function flagsOf(variant: ReferenceVariant): string[] {
  return ['-std=c++17', '-O2', '-fwrapv', '-DNDEBUG', ...(variant === 'single-rounding' ? ['-DTFLITE_SINGLE_ROUNDING=1'] : [])];
}

function binaryPath(variant: ReferenceVariant): string {
  const key = createHash('sha256')
    .update(readFileSync(HARNESS_SOURCE))
    .update(GPP ?? '')
    .update(REFERENCE_DIR)
    .update(flagsOf(variant).join(' '))
    .digest('hex')
    .slice(0, 16);
  return join(CACHE_DIR, `harness-${variant}-${key}`);
}

function compile(variant: ReferenceVariant): Promise<string> {
  const out = binaryPath(variant);
  if (existsSync(out)) return Promise.resolve(out);
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const internal = join(REFERENCE_DIR, 'tensorflow/lite/kernels/internal');
  const args = [
    ...flagsOf(variant), `-I${REFERENCE_DIR}`, HARNESS_SOURCE,
    join(internal, 'quantization_util.cc'), join(internal, 'common.cc'), join(internal, 'runtime_shape.cc'), '-o', tmp,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('g++', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => {
      if (code !== 0) { reject(new Error(`g++ failed building the TFLite reference harness (${variant}):\n${stderr.slice(0, 4000)}`)); return; }
      renameSync(tmp, out); // atomic: concurrent workers may both compile, the last rename wins
      resolve(out);
    });
  });
}

const built = new Map<ReferenceVariant, Promise<string>>();

/** Builds (or finds in the cache) both variants; call from a beforeAll with a generous timeout. */
export function buildReference(): Promise<void> {
  for (const v of ['double-rounding', 'single-rounding'] as const) {
    if (!built.has(v)) built.set(v, compile(v));
  }
  return Promise.all(built.values()).then(() => undefined);
}

/**
 * Runs `lines` (one case each, the harness's protocol) through the reference and returns one
 * array of integers per case.
 */
export async function runReference(variant: ReferenceVariant, lines: readonly string[]): Promise<number[][]> {
  if (!built.has(variant)) built.set(variant, compile(variant));
  const binary = await built.get(variant)!;
  const run = (subset: readonly string[]) => spawnSync(binary, [], { input: subset.join('\n') + '\n', maxBuffer: 1 << 30, encoding: 'utf8' });
  const result = run(lines);
  if (result.status !== 0) {
    // Find the first case the reference rejects (a TFLITE_CHECK abort), by bisection on prefixes.
    let lo = 0;
    let hi = lines.length;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (run(lines.slice(0, mid)).status === 0) lo = mid; else hi = mid;
    }
    throw new Error(`reference harness failed (${result.status ?? result.signal}) on case ${lo}: ${result.stderr.slice(0, 1000)}\n${lines[lo]!.slice(0, 600)}`);
  }
  const out = result.stdout.split('\n');
  if (out.length < lines.length) throw new Error(`reference harness answered ${out.length} of ${lines.length} cases`);
  return out.slice(0, lines.length).map((l) => (l.length === 0 ? [] : l.split(' ').map(Number)));
}

/** The number of generated cases per kernel kind: INT_CASES from the environment, else `fallback`. */
export function caseCount(fallback: number): number {
  const v = Number(process.env.INT_CASES);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}
