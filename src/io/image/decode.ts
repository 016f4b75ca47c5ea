// SPDX-License-Identifier: Apache-2.0
/**
 * Image files → RgbImage, with no native dependency (works in Node, browsers and workers).
 *
 * The format is detected from the first bytes, never from the file name:
 *   JPEG  FF D8 FF              → jpeg.ts (jpeg-js behind a marker walk and size checks)
 *   PNG   89 50 4E 47 0D 0A 1A 0A → png.ts (fast-png behind a chunk walk and size checks)
 *   BMP   42 4D ('BM')          → bmp.ts (our own decoder)
 * GIF, WebP and TIFF are recognised only to say they are not supported; anything else is
 * "not a JPEG, PNG or BMP image (starts with bytes …)".
 *
 * Every decoder refuses, before allocating, headers that claim more pixels than the file can hold
 * or more than `maxPixels` (default 100 MP), and refuses truncated files instead of returning a
 * partly grey image. Errors are MobileNetV2Error FORMAT (corrupt/truncated/not an image) or
 * UNSUPPORTED (a valid file we do not decode, or over the size limit), and name `source`.
 */
import { formatError, unsupportedError, usageError } from '../../errors.js';
import { decodeBmp } from './bmp.js';
import {
  DEFAULT_MAX_JPEG_MEMORY_MB,
  DEFAULT_MAX_PIXELS,
  hexBytes,
  type DecodeOptions,
  type ImageFormat,
  type RgbImage,
} from './image.js';
import { decodeJpeg } from './jpeg.js';
import { decodePng, encodePngPixels, type EncodablePixels } from './png.js';

export type { DecodeOptions, ImageFormat, RgbImage } from './image.js';
export { DEFAULT_MAX_JPEG_MEMORY_MB, DEFAULT_MAX_PIXELS } from './image.js';
export type { EncodablePixels } from './png.js';

function startsWith(b: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (b.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[at + i] !== sig[i]) return false;
  return true;
}
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/** The container format by magic bytes, or null. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, [0x42, 0x4d])) return 'bmp';
  return null;
}

function otherFormatName(b: Uint8Array): string | null {
  if (startsWith(b, ascii('GIF87a')) || startsWith(b, ascii('GIF89a'))) return 'GIF';
  if (startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBP'), 8)) return 'WebP';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (startsWith(b, ascii('ftyp'), 4) && (startsWith(b, ascii('avif'), 8) || startsWith(b, ascii('heic'), 8))) return 'AVIF/HEIC';
  return null;
}

function limit(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || !Number.isFinite(value)) throw usageError(`${what} must be a positive number, got ${String(value)}`);
  return value;
}

function jpegScaling(s: DecodeOptions['jpegScaling']): DecodeOptions['jpegScaling'] {
  if (s === undefined) return undefined;
  const ok = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  if (typeof s !== 'object' || s === null || !ok(s.minWidth) || !ok(s.minHeight)) {
    throw usageError(`DecodeOptions.jpegScaling must be {minWidth, minHeight} with positive integers, got ${JSON.stringify(s)}`);
  }
  return s;
}

/**
 * Decodes a JPEG, PNG or BMP file. `source` (a path or a label such as "<buffer>") is used only in
 * error messages. The result is 8-bit RGB, HWC, top row first; alpha is dropped.
 */
export function decodeImage(bytes: Uint8Array, source: string, options: DecodeOptions = {}): RgbImage {
  const maxPixels = limit(options.maxPixels, DEFAULT_MAX_PIXELS, 'DecodeOptions.maxPixels');
  const maxMem = limit(options.maxJpegMemoryMB, DEFAULT_MAX_JPEG_MEMORY_MB, 'DecodeOptions.maxJpegMemoryMB');
  switch (detectImageFormat(bytes)) {
    case 'jpeg':
      return decodeJpeg(bytes, source, maxPixels, maxMem, options.limitNames, jpegScaling(options.jpegScaling));
    case 'png':
      return decodePng(bytes, source, maxPixels, options.limitNames?.maxPixels);
    case 'bmp':
      return decodeBmp(bytes, source, maxPixels, options.limitNames?.maxPixels);
    case null: {
      if (bytes.length === 0) throw formatError(`${source}: not a JPEG, PNG or BMP image (the file is empty)`);
      const other = otherFormatName(bytes);
      if (other !== null) throw unsupportedError(`${source}: ${other} images are not supported; convert it to PNG, JPEG or BMP`);
      throw formatError(`${source}: not a JPEG, PNG or BMP image (starts with bytes ${hexBytes(bytes)})`);
    }
  }
}

/**
 * Encodes 8-bit HWC pixels (1 = grey, 3 = RGB, 4 = RGBA channels) as a lossless PNG, e.g. for
 * segmentation masks and overlays. Throws SHAPE if data.length ≠ width·height·channels.
 */
export function encodePng(img: RgbImage | EncodablePixels): Uint8Array {
  return encodePngPixels({ data: img.data, width: img.width, height: img.height, channels: img.channels });
}
