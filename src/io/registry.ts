// SPDX-License-Identifier: Apache-2.0
/**
 * Named models: where the official file lives, its sha256, its labels and the preprocessing it
 * was evaluated with. Nothing is fetched implicitly by tests: a local models directory
 * (MOBILENETV2_MODELS, else ~/.cache/mobilenetv2) is searched first, and a download — only when a
 * named model is missing and downloads are allowed — lands there and must match the sha256 before
 * it is used. A file given by path is used as it is (its sha256 is still checked if it claims to
 * be a registry model by name).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { readFileBytes } from './files.js';
import { DEFAULT_CLASSIFIER, DEFAULT_SEGMENTER, findRegistryEntry, REGISTRY, type LabelSet, type ModelTask, type RegistryEntry } from './registry-entries.js';
import { integrityError, notFoundError, usageError } from '../errors.js';
import type { ResolvedModel } from '../platform/platform.js';

export type { ResolvedModel };
export { DEFAULT_CLASSIFIER, DEFAULT_SEGMENTER, findRegistryEntry, REGISTRY, type LabelSet, type ModelTask, type RegistryEntry };

/** The local models directory: MOBILENETV2_MODELS, else ~/.cache/mobilenetv2. */
export function modelsDir(): string {
  return process.env.MOBILENETV2_MODELS ?? join(homedir(), '.cache', 'mobilenetv2');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}


export interface ResolveOptions {
  /** Allow a download when a named model is missing locally. Default: true unless MOBILENETV2_OFFLINE=1. */
  readonly allowDownload?: boolean;
  /** Progress messages (downloads). */
  readonly log?: (message: string) => void;
}

async function download(entry: RegistryEntry, dir: string, log: (m: string) => void): Promise<Uint8Array> {
  log(`downloading ${entry.name} from ${entry.url} into ${dir}`);
  let res: Response;
  try {
    res = await fetch(entry.url, { signal: AbortSignal.timeout(120_000), redirect: 'follow' });
  } catch (e) {
    throw notFoundError(`model '${entry.name}' is not in ${dir} and could not be downloaded from ${entry.url} (${e instanceof Error ? e.message : String(e)}); put ${entry.file} there or set MOBILENETV2_MODELS`);
  }
  if (!res.ok) throw notFoundError(`model '${entry.name}' is not in ${dir} and ${entry.url} answered HTTP ${res.status}; put ${entry.file} there or set MOBILENETV2_MODELS`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const got = sha256Hex(bytes);
  if (got !== entry.sha256) throw integrityError(`downloaded ${entry.file} has sha256 ${got}, expected ${entry.sha256}; refusing to use it`);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${entry.file}.${process.pid}.part`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, join(dir, entry.file));
  return bytes;
}

/**
 * Finds a model by registry name or path. A path to an existing file is used directly; a name is
 * looked up in the models directory (then downloaded if allowed). Registry files are always checked
 * against their sha256 and refused on mismatch.
 */
export async function resolveModel(nameOrPath: string, options: ResolveOptions = {}): Promise<ResolvedModel> {
  const log = options.log ?? (() => {});
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.includes('\\') || nameOrPath.endsWith('.tflite');
  if (looksLikePath || existsSync(nameOrPath)) {
    const path = resolve(nameOrPath);
    if (existsSync(path) && statSync(path).isFile()) {
      const bytes = readFileBytes(path, 'model file');
      const digest = sha256Hex(bytes);
      const entry = REGISTRY.find((e) => e.sha256 === digest) ?? null;
      const claimed = findRegistryEntry(nameOrPath);
      if (!entry && claimed && basename(path) === claimed.file) {
        throw integrityError(`${path}: sha256 ${digest} does not match registry model '${claimed.name}' (expected ${claimed.sha256}); refusing to use a modified or corrupt copy — rename the file to use it as an unregistered model`);
      }
      return { bytes, path, entry };
    }
    if (looksLikePath && !findRegistryEntry(nameOrPath)) throw notFoundError(`model file '${nameOrPath}' does not exist`);
  }
  const entry = findRegistryEntry(nameOrPath);
  if (!entry) {
    throw usageError(`unknown model '${nameOrPath}': not a file and not a registry name (${REGISTRY.map((e) => e.name).join(', ')})`);
  }
  const dir = modelsDir();
  const local = join(dir, entry.file);
  if (existsSync(local)) {
    const bytes = readFileBytes(local, 'model file');
    const digest = sha256Hex(bytes);
    if (digest !== entry.sha256) {
      throw integrityError(`${local}: sha256 ${digest} does not match registry model '${entry.name}' (expected ${entry.sha256}); refusing to use it — delete it to download a fresh copy`);
    }
    return { bytes, path: local, entry };
  }
  const allow = options.allowDownload ?? process.env.MOBILENETV2_OFFLINE !== '1';
  if (!allow) throw notFoundError(`model '${entry.name}' is not in ${dir} (downloads are off); get it from ${entry.url} or set MOBILENETV2_MODELS`);
  const bytes = await download(entry, dir, log);
  return { bytes, path: local, entry };
}
