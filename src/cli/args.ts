// SPDX-License-Identifier: Apache-2.0
/** Small, strict command-line parsing on top of node:util parseArgs, with usage errors instead of stack traces. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { usageError } from '../errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export function parse(command: string, argv: string[], options: OptionSpec, allowPositionals = false): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: joinNegativeNumbers(argv, options), options, allowPositionals, strict: true });
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    throw usageError(`${command}: ${msg.replace(/\. To specify a positional argument.*$/, '')} (see 'mobilenetv2 help ${command}')`);
  }
}

/**
 * `--top -3` → `--top=-3`: node's parseArgs reads a value starting with '-' as another option
 * ("ambiguous"), so the range check would never get to say what is wrong with the number.
 */
function joinNegativeNumbers(argv: string[], options: OptionSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a.startsWith('--') && !a.includes('=') && options[a.slice(2)]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export function numberOption(command: string, name: string, raw: unknown, check: (v: number) => boolean, what: string): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v) || !check(v)) {
    throw usageError(`${command}: --${name} must be ${what}, got '${String(raw)}'`);
  }
  return v;
}

export function choiceOption<T extends string>(command: string, name: string, raw: unknown, choices: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw)) {
    throw usageError(`${command}: --${name} must be one of ${choices.join(', ')}, got '${String(raw)}'`);
  }
  return raw as T;
}
