// SPDX-License-Identifier: Apache-2.0
/**
 * The few browser APIs the browser host uses, typed locally: the project compiles with lib ES2022
 * and Node's types only (no DOM lib), and each of these may be missing (a worker has no document,
 * an insecure page no crypto.subtle, an old engine no OffscreenCanvas), so every one is optional.
 */
import type { BlobLike, ResponseLike } from '../platform/host.js';

export interface Canvas2D {
  drawImage(image: unknown, x: number, y: number, w: number, h: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray; width: number; height: number };
}
export interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d', options?: { willReadFrequently?: boolean }): Canvas2D | null;
}
export interface DomWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  onerror: ((e: { message?: string }) => void) | null;
}
interface CacheLike {
  match(key: string): Promise<ResponseLike | undefined>;
  put(key: string, response: unknown): Promise<void>;
}

export interface Dom {
  readonly document?: { createElement(tag: 'canvas'): CanvasLike };
  readonly location?: { href: string };
  readonly navigator?: { hardwareConcurrency?: number };
  readonly crossOriginIsolated?: boolean;
  readonly crypto?: { subtle?: { digest(alg: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer> } };
  readonly caches?: { open(name: string): Promise<CacheLike> };
  readonly fetch?: (url: string) => Promise<ResponseLike>;
  readonly Response?: new (body: Uint8Array, init?: { headers?: Record<string, string> }) => ResponseLike;
  readonly Blob?: new (parts: Uint8Array[], options?: { type?: string }) => BlobLike;
  readonly OffscreenCanvas?: new (w: number, h: number) => CanvasLike;
  readonly createImageBitmap?: (source: unknown) => Promise<{ width: number; height: number; close?(): void }>;
  readonly Worker?: new (url: string | URL, options?: { type?: 'module' | 'classic' }) => DomWorker;
}

/** globalThis, seen through the browser APIs above. */
export function dom(): Dom {
  return globalThis as unknown as Dom;
}
