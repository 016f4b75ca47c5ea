// SPDX-License-Identifier: Apache-2.0
/**
 * The `mobilenetv2` command line. Every failure a user can cause prints one line
 * (`mobilenetv2: error: …`) and exits non-zero; stack traces are for our bugs only.
 */
import { MobileNetV2Error } from '../errors.js';
import { infoCommand } from './commands/info.js';
import { runCommand } from './commands/run.js';
import { classifyCommand } from './commands/classify.js';
import { convertCommand } from './commands/convert.js';
import { detectCommand } from './commands/detect.js';
import { compareCommand } from './commands/compare.js';
import { vectorsCommand } from './commands/vectors.js';
import { checkVectorsCommand } from './commands/check-vectors.js';
import { segmentCommand } from './commands/segment.js';
import { teachCommand } from './commands/teach.js';
import { packageVersion } from './options.js';
import type { Command, CliIo } from './command.js';

export type { Command, CliIo } from './command.js';

const COMMANDS: Record<string, Command> = {
  classify: classifyCommand,
  convert: convertCommand,
  detect: detectCommand,
  info: infoCommand,
  run: runCommand,
  segment: segmentCommand,
  compare: compareCommand,
  vectors: vectorsCommand,
  'check-vectors': checkVectorsCommand,
  teach: teachCommand,
};

function helpText(): string {
  const lines = ['usage: mobilenetv2 <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(14)} ${c.summary}`);
  lines.push('', "'mobilenetv2 help <command>' shows a command's options; 'mobilenetv2 --version' the version.");
  return lines.join('\n');
}

export async function main(argv: string[], io: CliIo = { out: (t) => process.stdout.write(t + '\n'), err: (t) => process.stderr.write(t + '\n') }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v' || name === 'version') {
    io.out(`mobilenetv2 ${packageVersion()}`);
    return 0;
  }
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const sub = name === 'help' ? rest[0] : undefined;
    if (sub !== undefined) {
      const c = COMMANDS[sub];
      if (!c) { io.err(`mobilenetv2: error: unknown command '${sub}'`); return 2; }
      io.out(c.usage);
      return 0;
    }
    io.out(helpText());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`mobilenetv2: error: unknown command '${name}'; commands are ${Object.keys(COMMANDS).join(', ')}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof MobileNetV2Error) {
      io.err(`mobilenetv2: error: ${e.message}`);
      return e.code === 'USAGE' ? 2 : 1;
    }
    throw e;
  }
}
