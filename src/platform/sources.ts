// SPDX-License-Identifier: Apache-2.0
/**
 * In-memory sources of file bytes that both hosts accept: Uint8Array, ArrayBuffer, a Blob/File
 * and a fetch Response (read with progress). Portable: no DOM or Node types, only the shapes.
 */
import { notFoundError, usageError } from '../errors.js';
import type { BlobLike, ResponseLike } from './host.js';

export type InMemorySource = Uint8Array | ArrayBuffer | BlobLike | ResponseLike;

export function isResponse(v: unknown): v is ResponseLike {
  return typeof v === 'object' && v !== null && 'ok' in v && 'status' in v && 'headers' in v && typeof (v as ResponseLike).arrayBuffer === 'function';
}

export function isBlob(v: unknown): v is BlobLike {
  return typeof v === 'object' && v !== null && !isResponse(v) && typeof (v as BlobLike).arrayBuffer === 'function' && typeof (v as BlobLike).size === 'number';
}

export function isInMemorySource(v: unknown): v is InMemorySource {
  return v instanceof Uint8Array || v instanceof ArrayBuffer || isBlob(v) || isResponse(v);
}

export function describeSource(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v;
}

interface Reader { read(): Promise<{ done: boolean; value?: Uint8Array }> }

/**
 * Reads a Response body chunk by chunk so `onProgress(loaded, total)` sees every step (total = the
 * Content-Length, 0 when the server does not send one). A non-2xx response is a NOT_FOUND error.
 */
export async function readResponse(res: ResponseLike, onProgress?: (loaded: number, total: number) => void): Promise<Uint8Array> {
  const where = res.url || '<response>';
  if (!res.ok) throw notFoundError(`${where}: HTTP ${res.status}; expected the model file`);
  const total = Number(res.headers.get('content-length') ?? 0) || 0;
  const body = res.body as { getReader?: () => Reader } | null;
  if (onProgress === undefined || body === null || typeof body.getReader !== 'function') {
    const bytes = new Uint8Array(await res.arrayBuffer());
    onProgress?.(bytes.length, total || bytes.length);
    return bytes;
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value === undefined) continue;
    chunks.push(value);
    loaded += value.length;
    onProgress(loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  return bytes;
}

/** The bytes of an in-memory source and a name for messages (`what`: 'model', 'image', … names anonymous bytes). */
export async function bytesOfSource(source: InMemorySource, onProgress?: (loaded: number, total: number) => void, what = 'file'): Promise<{ bytes: Uint8Array; name: string }> {
  if (source instanceof Uint8Array) return { bytes: source, name: `<${source.byteLength}-byte ${what}>` };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), name: `<${source.byteLength}-byte ${what}>` };
  if (isResponse(source)) return { bytes: await readResponse(source, onProgress), name: source.url || '<response>' };
  if (isBlob(source)) {
    const name = typeof (source as { name?: unknown }).name === 'string' ? (source as unknown as { name: string }).name : '<blob>';
    const bytes = new Uint8Array(await source.arrayBuffer());
    onProgress?.(bytes.length, bytes.length);
    return { bytes, name };
  }
  throw usageError(`unsupported source: ${describeSource(source)}`);
}
