// SPDX-License-Identifier: Apache-2.0
/**
 * What a subcommand of the `mobilenetv2` command line is. Commands import this, and main.ts imports
 * the commands, so the arrows point one way (no main ↔ command circle).
 */
export interface Command {
  readonly summary: string;
  readonly usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}
