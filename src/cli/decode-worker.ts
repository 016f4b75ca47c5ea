// SPDX-License-Identifier: Apache-2.0
/**
 * Worker thread for batch runs: reads and decodes the next images while the main thread runs the
 * network on the current one. Messages: { id, path, options } → { id, ok: true, image } (the
 * pixel buffer is transferred, not copied) or { id, ok: false, code, message, typed }.
 */
import { parentPort } from 'node:worker_threads';
import { MobileNetV2Error } from '../errors.js';
import { readImageFile } from '../io/image/node.js';
import type { DecodeOptions } from '../io/image/image.js';

parentPort!.on('message', (m: { id: number; path: string; options: DecodeOptions }) => {
  try {
    const image = readImageFile(m.path, m.options);
    const d = image.data;
    const own = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength;
    parentPort!.postMessage({ id: m.id, ok: true, image }, own ? [d.buffer as ArrayBuffer] : []);
  } catch (e) {
    const typed = e instanceof MobileNetV2Error;
    parentPort!.postMessage({ id: m.id, ok: false, typed, code: typed ? e.code : 'INTERNAL', message: e instanceof Error ? (typed ? e.message : e.stack ?? e.message) : String(e) });
  }
});
