// SPDX-License-Identifier: Apache-2.0
/** Spawns the real `mobilenetv2` binary (bin/ → dist/), as a user runs it. `npm run build` must have run. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/shared.js';

export interface CliRun { readonly code: number; readonly out: string; readonly err: string }

export function runBinary(...argv: string[]): CliRun {
  if (!existsSync(join(REPO_ROOT, 'dist', 'src', 'cli', 'commands', 'teach.js'))) {
    throw new Error('dist/ has no teach command: run `npm run build` before the CLI specs');
  }
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'mobilenetv2.js'), ...argv], { encoding: 'utf8', cwd: REPO_ROOT, timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** The same command through main() in this process: for the one-line error checks, where a process start buys nothing. */
export async function runMain(...argv: string[]): Promise<CliRun> {
  const { main } = await import('../../src/cli/main.js');
  let out = '', err = '';
  const code = await main(argv, { out: (t) => { out += t + '\n'; }, err: (t) => { err += t + '\n'; } });
  return { code, out, err };
}
