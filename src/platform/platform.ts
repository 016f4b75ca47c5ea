// SPDX-License-Identifier: Apache-2.0
/**
 * What the application tier (api.ts, image input) needs from the JavaScript host: model bytes from
 * any source and images from host objects, so that the same code runs in Node and in a browser.
 * (The backends' half — WASM bytes, worker threads — is src/platform/host.ts, `#host`.)
 *
 * The implementation is chosen by the package's `imports` field (`#platform`, package.json):
 * the `node` condition gives src/node/platform.ts (files, the registry cache, node:crypto), every
 * other environment src/browser/platform.ts (fetch, SubtleCrypto, the Cache API, canvas). A
 * browser bundle therefore never sees a `node:*` import.
 */
import type { RegistryEntry } from '../io/registry-entries.js';
import type { RgbImage, DecodeOptions } from '../io/image/image.js';
import type { BlobLike, ResponseLike } from './host.js';

export type { BlobLike, ResponseLike };

/**
 * Where a model comes from. Node: a registry name or a .tflite path. Browser: a URL (string or
 * URL object; a registry name means its official URL). Both: the file's bytes, a Blob/File or a
 * fetch Response.
 */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer | BlobLike | ResponseLike;

/** A key/value store for downloaded models (e.g. IndexedDB); the Cache API is the browser default. */
export interface ModelStore {
  get(key: string): Promise<Uint8Array | ArrayBuffer | null | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

export interface ResolveModelOptions {
  /** Allow a download when a named model is missing locally (Node: default true unless MOBILENETV2_OFFLINE=1). */
  readonly allowDownload?: boolean;
  readonly log?: (message: string) => void;
  /** Expected sha256 (hex) of the model file; a registry model's is known already. Refused on mismatch. */
  readonly sha256?: string;
  /** Download progress: bytes so far and the total (0 when the server does not say). */
  readonly onProgress?: (loaded: number, total: number) => void;
  /**
   * Browser: where downloaded models are kept for offline use — the Cache API by default
   * (cache 'mobilenetv2-models'), a ModelStore of your own, or false for no caching.
   */
  readonly cache?: ModelStore | false;
}

export interface ResolvedModel {
  readonly bytes: Uint8Array;
  /** A path, URL or "<bytes>"-style description, used in messages. */
  readonly path: string;
  readonly entry: RegistryEntry | null;
}

/** 8-bit RGBA pixels read from a browser image object (canvas getImageData). */
export interface RgbaPixels {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  readonly channels: 4;
}

export interface Platform {
  readonly name: 'node' | 'browser';
  /** Model bytes and registry entry from any ModelSource this host understands. */
  resolveModel(source: ModelSource, options: ResolveModelOptions): Promise<ResolvedModel>;
  /**
   * Images the portable code cannot read itself: a path (Node) or URL (browser), a Blob/File,
   * an HTMLImageElement, ImageBitmap, canvas or video frame (browser).
   */
  readImage(input: unknown, options: DecodeOptions & { source?: string }): Promise<RgbImage | RgbaPixels>;
  /** A warning the user must see (the host's: src/platform/host.ts). */
  warn(message: string): void;
}
