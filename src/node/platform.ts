// SPDX-License-Identifier: Apache-2.0
/**
 * The Node platform (the `node` condition of `#platform`, package.json): model files and the
 * registry cache on disk, node:crypto, image files. Everything Node-only that the application tier
 * needs goes through this object (src/platform/platform.ts); the backends' half is ./host.ts.
 */
import { fileURLToPath } from 'node:url';
import { resolveModel as resolveRegistryModel, sha256Hex } from '../io/registry.js';
import { REGISTRY } from '../io/registry-entries.js';
import { decodeImage } from '../io/image/decode.js';
import { readImageFile } from '../io/image/node.js';
import { integrityError, usageError } from '../errors.js';
import { host } from './host.js';
import { bytesOfSource, describeSource, isInMemorySource } from '../platform/sources.js';
import type { ModelSource, Platform, ResolveModelOptions, ResolvedModel } from '../platform/platform.js';

async function resolveModel(source: ModelSource, options: ResolveModelOptions): Promise<ResolvedModel> {
  if (typeof source === 'string') {
    const resolved = await resolveRegistryModel(source, options);
    checkExpected(resolved, options.sha256);
    return resolved;
  }
  if (source instanceof URL) {
    if (source.protocol === 'file:') return resolveModel(fileURLToPath(source), options);
    throw usageError(`model URL ${source.href}: Node loads models by registry name or file path; fetch it yourself and pass the Response or its bytes`);
  }
  if (!isInMemorySource(source)) throw usageError(`unsupported model source: ${describeSource(source)}; expected a registry name, a .tflite path, bytes, a Blob or a Response`);
  const { bytes, name } = await bytesOfSource(source, options.onProgress, 'model');
  const digest = sha256Hex(bytes);
  const resolved = { bytes, path: name, entry: REGISTRY.find((e) => e.sha256 === digest) ?? null };
  checkExpected(resolved, options.sha256, digest);
  return resolved;
}

function checkExpected(m: ResolvedModel, expected: string | undefined, digest?: string): void {
  if (expected === undefined) return;
  const got = digest ?? sha256Hex(m.bytes);
  if (got !== expected.toLowerCase()) throw integrityError(`${m.path}: sha256 ${got}, expected ${expected}; refusing to use it`);
}

export const platform: Platform = {
  name: 'node',
  resolveModel,
  async readImage(input, options) {
    if (typeof input === 'string') {
      if (input === '') throw usageError('image path is empty');
      return readImageFile(input, options);
    }
    if (input instanceof URL && input.protocol === 'file:') return readImageFile(fileURLToPath(input), options);
    if (isInMemorySource(input)) {
      const { bytes, name } = await bytesOfSource(input, undefined, 'image');
      return decodeImage(bytes, options.source ?? name, options);
    }
    throw usageError(`unsupported image input: ${describeSource(input)}; expected a file path, the bytes of a JPEG/PNG/BMP file, a Blob or raw pixels {data, width, height, channels?}`);
  },
  warn: host.warn,
};

