// SPDX-License-Identifier: Apache-2.0
/**
 * The browser platform (every environment but Node: the `default` condition of `#platform`,
 * package.json). Models come from URLs (registry names mean their official URL), bytes, Blobs or
 * Responses; downloads report progress, are checked against a known sha256 with SubtleCrypto and
 * kept for offline use in the Cache API (or a store of yours). Images come from URLs, Blobs and
 * every drawable DOM image. (Threads and the WASM module: ./host.ts.) No `node:*` import anywhere
 * in this graph (checked by spec/browser/bundle.spec.ts).
 *
 * The project compiles without the DOM lib, so the few DOM APIs used are typed locally (dom.ts).
 */
import { findRegistryEntry, REGISTRY, type RegistryEntry } from '../io/registry-entries.js';
import { decodeImage, detectImageFormat } from '../io/image/decode.js';
import type { RgbImage } from '../io/image/image.js';
import { formatError, integrityError, notFoundError, unsupportedError, usageError } from '../errors.js';
import { host } from './host.js';
import { bytesOfSource, describeSource, isBlob, isInMemorySource, isResponse, readResponse } from '../platform/sources.js';
import type { ModelSource, ModelStore, Platform, ResolveModelOptions, ResolvedModel, RgbaPixels } from '../platform/platform.js';
import { dom } from './dom.js';

/** The Cache API cache that holds downloaded models (default `cache` of load()). */
export const MODEL_CACHE_NAME = 'mobilenetv2-models';

async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = dom().crypto?.subtle;
  if (subtle === undefined) return null; // not a secure context (https or localhost)
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Refuses bytes whose sha256 differs from `expected`; says so when the page cannot hash. */
async function verify(bytes: Uint8Array, expected: string | undefined, where: string): Promise<string | null> {
  const got = await sha256Hex(bytes);
  if (expected === undefined) return got;
  if (got === null) {
    host.warn(`${where}: sha256 not checked — SubtleCrypto needs a secure context (https or localhost)`);
    return null;
  }
  if (got !== expected.toLowerCase()) throw integrityError(`${where}: sha256 ${got}, expected ${expected}; refusing to use it`);
  return got;
}

function modelStore(cache: ModelStore | false | undefined): ModelStore | null {
  if (cache === false) return null;
  if (cache !== undefined) return cache;
  const caches = dom().caches;
  if (caches === undefined) return null;
  return {
    async get(key) {
      const c = await caches.open(MODEL_CACHE_NAME);
      const hit = await c.match(key);
      return hit ? new Uint8Array(await hit.arrayBuffer()) : null;
    },
    async put(key, bytes) {
      const c = await caches.open(MODEL_CACHE_NAME);
      await c.put(key, new (dom().Response!)(bytes, { headers: { 'content-type': 'application/octet-stream' } }));
    },
  };
}

function baseUrl(): string | undefined {
  return dom().location?.href;
}

async function fetchModel(url: string, entry: RegistryEntry | null, options: ResolveModelOptions): Promise<ResolvedModel> {
  const expected = options.sha256 ?? entry?.sha256;
  const store = modelStore(options.cache);
  if (store !== null) {
    try {
      const hit = await store.get(url);
      if (hit) {
        const bytes = hit instanceof Uint8Array ? hit : new Uint8Array(hit);
        const got = await sha256Hex(bytes);
        // A stale or damaged cached copy is ignored (and replaced below), never used.
        if (expected === undefined || got === null || got === expected.toLowerCase()) {
          options.onProgress?.(bytes.length, bytes.length);
          return { bytes, path: url, entry: entry ?? (got === null ? null : REGISTRY.find((e) => e.sha256 === got) ?? null) };
        }
      }
    } catch (e) {
      options.log?.(`model cache unavailable (${(e as Error).message}); downloading`);
    }
  }
  if (options.allowDownload === false) throw notFoundError(`model ${url} is not in the offline cache and downloads are off`);
  options.log?.(`downloading ${url}`);
  let res;
  try {
    res = await dom().fetch!(url);
  } catch (e) {
    throw notFoundError(`model ${url} could not be fetched (${e instanceof Error ? e.message : String(e)}); offline? load it once online so it is cached, or pass its bytes`);
  }
  if (!res.ok) throw notFoundError(`model ${url}: HTTP ${res.status}; expected the model file`);
  const bytes = await readResponse(res, options.onProgress);
  const got = await verify(bytes, expected, url);
  const resolved = { bytes, path: url, entry: entry ?? (got === null ? null : REGISTRY.find((e) => e.sha256 === got) ?? null) };
  if (store !== null) {
    try {
      await store.put(url, bytes);
    } catch (e) {
      options.log?.(`model not cached (${(e as Error).message})`);
    }
  }
  return resolved;
}

async function resolveModel(source: ModelSource, options: ResolveModelOptions): Promise<ResolvedModel> {
  if (typeof source === 'string' || source instanceof URL) {
    const text = String(source);
    if (text === '') throw usageError('model URL is empty');
    const named = REGISTRY.find((e) => e.name === text);
    if (named) return fetchModel(named.url, named, options);
    let url: string;
    try {
      url = new URL(text, baseUrl()).href;
    } catch {
      throw usageError(`model '${text}' is neither a registry name (${REGISTRY.map((e) => e.name).join(', ')}) nor a URL`);
    }
    return fetchModel(url, findRegistryEntry(url) ?? null, options);
  }
  if (!isInMemorySource(source)) throw usageError(`unsupported model source: ${describeSource(source)}; expected a URL, a registry name, bytes, a Blob/File or a Response`);
  const { bytes, name } = await bytesOfSource(source, options.onProgress, 'model');
  const got = await verify(bytes, options.sha256, name);
  return { bytes, path: name, entry: got === null ? null : REGISTRY.find((e) => e.sha256 === got) ?? null };
}

/** Draws any DOM image on a canvas and reads its RGBA pixels (image input turns them into RGB). */
async function pixelsOf(image: unknown, source: string): Promise<RgbaPixels> {
  const d = dom();
  const img = image as { decode?: () => Promise<void>; complete?: boolean; naturalWidth?: number; videoWidth?: number; videoHeight?: number; width: number; height: number; displayWidth?: number; displayHeight?: number };
  if (typeof img.decode === 'function' && img.complete === false) await img.decode();
  const width = img.naturalWidth || img.videoWidth || img.displayWidth || img.width;
  const height = (img.naturalWidth ? (image as { naturalHeight: number }).naturalHeight : 0) || img.videoHeight || img.displayHeight || img.height;
  if (!width || !height) throw formatError(`${source}: the image has no pixels (${String(width)}x${String(height)}); not loaded yet, or broken`);
  const canvas = d.OffscreenCanvas ? new d.OffscreenCanvas(width, height) : d.document!.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw unsupportedError(`${source}: no 2D canvas here to read the image's pixels`);
  ctx.drawImage(image, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height);
  return { data: data.data, width, height, channels: 4 };
}

/** Bytes we can decode ourselves (JPEG/PNG/BMP) are; others (WebP, GIF, AVIF…) go through the browser's decoder. */
async function decodeBytes(bytes: Uint8Array, type: string, source: string, options: Parameters<Platform['readImage']>[1]): Promise<RgbImage | RgbaPixels> {
  if (detectImageFormat(bytes) !== null) return decodeImage(bytes, source, options);
  const d = dom();
  if (d.createImageBitmap === undefined || d.Blob === undefined) return decodeImage(bytes, source, options); // its typed error names what was found
  let bitmap;
  try {
    bitmap = await d.createImageBitmap(new d.Blob([bytes], { type }));
  } catch {
    return decodeImage(bytes, source, options); // FORMAT error: what the bytes look like
  }
  try {
    return await pixelsOf(bitmap, source);
  } finally {
    bitmap.close?.();
  }
}

async function readImage(input: unknown, options: Parameters<Platform['readImage']>[1]): Promise<RgbImage | RgbaPixels> {
  if (typeof input === 'string' || input instanceof URL) {
    const text = String(input);
    if (text === '') throw usageError('image URL is empty');
    const url = new URL(text, baseUrl()).href;
    let res;
    try {
      res = await dom().fetch!(url);
    } catch (e) {
      throw notFoundError(`image ${url} could not be fetched (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!res.ok) throw notFoundError(`image ${url}: HTTP ${res.status}; expected an image`);
    return decodeBytes(new Uint8Array(await res.arrayBuffer()), res.headers.get('content-type') ?? '', options.source ?? url, options);
  }
  if (isResponse(input)) {
    const bytes = await readResponse(input);
    return decodeBytes(bytes, input.headers.get('content-type') ?? '', options.source ?? (input.url || '<response>'), options);
  }
  if (isBlob(input)) {
    const { bytes, name } = await bytesOfSource(input, undefined, 'image');
    return decodeBytes(bytes, input.type, options.source ?? name, options);
  }
  if (typeof input === 'object' && input !== null && 'width' in input && 'height' in input) {
    return pixelsOf(input, options.source ?? `<${describeSource(input)}>`);
  }
  throw usageError(
    `unsupported image input: ${describeSource(input)}; expected a URL, a Blob/File, an HTMLImageElement, ImageBitmap, ` +
      'canvas, ImageData, the bytes of a JPEG/PNG/BMP file or raw pixels {data, width, height, channels?}',
  );
}

export const platform: Platform = {
  name: 'browser',
  resolveModel,
  readImage,
  warn: host.warn,
};
