// SPDX-License-Identifier: Apache-2.0
/** Options shared by several commands, beyond the plain parsing of args.ts. */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberOption } from './args.js';
import { readFileBytes } from '../io/files.js';
import { labelLines } from '../io/tflite/metadata.js';

/**
 * `--threads N` (1..64). More threads than cores is allowed (a user may know better) but never
 * silent: the extra threads only contend for the same cores.
 */
export function threadsOption(command: string, raw: unknown, warn: (message: string) => void): number | undefined {
  const v = numberOption(command, 'threads', raw, (x) => Number.isInteger(x) && x >= 1 && x <= 64, 'an integer from 1 to 64');
  const cores = availableParallelism();
  if (v !== undefined && v > cores) {
    warn(`${command}: warning: --threads ${v} is more than the ${cores} core${cores === 1 ? '' : 's'} of this machine; the extra threads only contend for them`);
  }
  return v;
}

/** This package's version, from the package.json above this module (src/ or dist/src/). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mobilenetv2' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: go up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

/** `--labels FILE`: one class name per line (the model's outputs, or one fewer when output 0 is the background). */
export function labelsOption(raw: unknown): { names: string[]; source: string } | undefined {
  if (typeof raw !== 'string') return undefined;
  const text = new TextDecoder('utf-8').decode(readFileBytes(raw, '--labels file', { maxBytes: 16 << 20 }));
  return { names: labelLines(text), source: `--labels ${raw}` };
}
