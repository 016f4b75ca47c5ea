// SPDX-License-Identifier: Apache-2.0
/**
 * Output paths checked BEFORE any model runs: a run that takes minutes must not end in "cannot
 * write" (or a stack trace) after the work is done. Every refusal is one USAGE line that names the
 * command's flag and the path, says what was expected and what was found.
 *
 * What is refused:
 *   - an empty path; a file path that is an existing directory, or a directory path that is an
 *     existing file;
 *   - a path whose parent directory does not exist or is not writable (checked with access(W_OK);
 *     as root that check always passes, hence the next rule);
 *   - system locations, whatever the permissions: anything under /etc, /bin, /sbin, /boot, /dev,
 *     /proc, /sys, /usr, /lib, /lib64 (writing a PNG over /etc/passwd as root is never meant);
 *   - for image outputs, a name that does not end in `.png`: only PNG is written, and silently
 *     writing PNG bytes into `x.jpg` would hand the user a mislabelled file.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { usageError } from '../errors.js';

const SYSTEM_DIRS = ['/etc', '/bin', '/sbin', '/boot', '/dev', '/proc', '/sys', '/usr', '/lib', '/lib64'];

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function systemLocation(abs: string): string | null {
  if (process.platform === 'win32') return null;
  for (const d of SYSTEM_DIRS) if (abs === d || abs.startsWith(d + sep)) return d;
  return null;
}

function checkParent(command: string, flag: string, path: string, abs: string): void {
  const parent = dirname(abs);
  const st = statOrNull(parent);
  if (st === null) throw usageError(`${command}: --${flag} '${path}': directory '${dirname(path)}' does not exist`);
  if (!st.isDirectory()) throw usageError(`${command}: --${flag} '${path}': '${dirname(path)}' is not a directory`);
  try {
    accessSync(parent, constants.W_OK);
  } catch {
    throw usageError(`${command}: --${flag} '${path}': directory '${dirname(path)}' is not writable`);
  }
}

export interface OutputFileOptions {
  /** Required extension, lower case with the dot (e.g. '.png'); `what` names the format in the message. */
  readonly extension?: { readonly ext: string; readonly what: string };
}

/** Checks that `path` can be created or replaced as a regular file. */
export function checkOutputFile(command: string, flag: string, path: string, options: OutputFileOptions = {}): void {
  if (path === '') throw usageError(`${command}: --${flag} needs a file path, got an empty string`);
  const abs = resolve(path);
  const sys = systemLocation(abs);
  if (sys !== null) throw usageError(`${command}: --${flag} '${path}' is inside the system directory ${sys}; choose another output path`);
  const ext = options.extension;
  if (ext && !path.toLowerCase().endsWith(ext.ext)) {
    throw usageError(`${command}: --${flag} '${path}': only ${ext.what} is written; give a path ending in ${ext.ext}`);
  }
  const st = statOrNull(abs);
  if (st !== null && st.isDirectory()) throw usageError(`${command}: --${flag} '${path}' is a directory; expected a file path`);
  if (st !== null && !st.isFile()) throw usageError(`${command}: --${flag} '${path}' exists and is not a regular file`);
  checkParent(command, flag, path, abs);
  if (st !== null) {
    try {
      accessSync(abs, constants.W_OK);
    } catch {
      throw usageError(`${command}: --${flag} '${path}' exists and is not writable`);
    }
  }
}

/** Checks that `path` is a writable directory or can be created (its parent exists). */
export function checkOutputDir(command: string, flag: string, path: string): void {
  if (path === '') throw usageError(`${command}: --${flag} needs a directory path, got an empty string`);
  const abs = resolve(path);
  const sys = systemLocation(abs);
  if (sys !== null) throw usageError(`${command}: --${flag} '${path}' is inside the system directory ${sys}; choose another output directory`);
  const st = statOrNull(abs);
  if (st !== null && !st.isDirectory()) throw usageError(`${command}: --${flag} '${path}' is a file; expected a directory`);
  if (st !== null) {
    try {
      accessSync(abs, constants.W_OK);
    } catch {
      throw usageError(`${command}: --${flag} '${path}': directory is not writable`);
    }
    return;
  }
  checkParent(command, flag, path, abs);
}

/** The `.png` rule of image outputs, as options for checkOutputFile. */
export const PNG_OUTPUT: OutputFileOptions = { extension: { ext: '.png', what: 'PNG' } };
