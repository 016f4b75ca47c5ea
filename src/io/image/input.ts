// SPDX-License-Identifier: Apache-2.0
/**
 * Every accepted image input → RgbImage (8-bit RGB, HWC, top row first, alpha dropped).
 *
 *   string / URL                 a file path (Node) or a URL (browser): `loadImage` hands these to
 *                                the host (`#platform`), so browser bundles never pull in node:fs
 *   Blob / File, HTMLImageElement, ImageBitmap, canvas, video
 *                                `loadImage` only, through the host (browser: decoded by our own
 *                                JPEG/PNG/BMP decoders when the bytes are available, else drawn
 *                                on a canvas)
 *   Uint8Array / Buffer / ArrayBuffer   the bytes of a JPEG, PNG or BMP file (format by magic bytes)
 *   { data, width, height, channels? }  raw HWC pixels, 8-bit: Uint8Array or Uint8ClampedArray
 *                                (so a canvas ImageData works as is); channels 1 (grey), 3 (RGB)
 *                                or 4 (RGBA, alpha dropped, not composited); when channels is
 *                                omitted it is inferred from data.length / (width·height)
 *   an RgbImage                  returned as is (after validation)
 *
 * A Uint8Array is ALWAYS an encoded file; raw pixels must come wrapped with their width and
 * height (a bare pixel array has no size).
 */
import { platform } from '#platform';
import { shapeError, usageError } from '../../errors.js';
import type { BlobLike } from '../../platform/platform.js';
import { decodeImage } from './decode.js';
import type { DecodeOptions, RgbImage } from './image.js';

/** Raw 8-bit HWC pixels, e.g. a canvas ImageData ({data: Uint8ClampedArray RGBA, width, height}). */
export interface RawPixels {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  readonly channels?: 1 | 3 | 4;
}

/** Everything `toRgbImage` accepts (no paths: use `loadImage` for those). */
export type ImageSource = Uint8Array | ArrayBuffer | RawPixels | RgbImage;
/** A browser image object (HTMLImageElement, ImageBitmap, HTMLCanvasElement, OffscreenCanvas, HTMLVideoElement, VideoFrame). */
export interface DrawableImage {
  readonly width: number;
  readonly height: number;
}
/** Everything `loadImage` accepts. */
export type ImageInput = string | URL | ImageSource | BlobLike | DrawableImage;

export interface ImageInputOptions extends DecodeOptions {
  /** Name used in error messages for in-memory inputs (default "<buffer>" / "<pixels>"). */
  readonly source?: string;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (typeof v === 'object') return `an object with keys {${Object.keys(v as object).join(', ')}}`;
  return typeof v;
}

/** Validates raw pixels and converts them to RGB (copying). */
export function imageFromPixels(px: RawPixels, source = '<pixels>'): RgbImage {
  const { data, width, height } = px;
  if (!(data instanceof Uint8Array) && !(data instanceof Uint8ClampedArray)) {
    throw usageError(
      `${source}: pixel data must be a Uint8Array or Uint8ClampedArray of 8-bit values, got ${describe(data)}` +
        (ArrayBuffer.isView(data) ? ' (float tensors go to the model directly, not through image input)' : ''),
    );
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw shapeError(`${source}: image width and height must be positive integers, got ${String(width)}x${String(height)}`);
  }
  const npx = width * height;
  let channels: number;
  if (px.channels === undefined) {
    channels = data.length / npx;
    if (channels !== 1 && channels !== 3 && channels !== 4) {
      throw shapeError(
        `${source}: ${data.length} bytes of pixel data do not fit a ${width}x${height} image with 1, 3 or 4 channels ` +
          `(expected ${npx}, ${npx * 3} or ${npx * 4})`,
      );
    }
  } else {
    channels = px.channels;
    if (channels !== 1 && channels !== 3 && channels !== 4) {
      throw shapeError(`${source}: channels must be 1, 3 or 4, got ${String(channels)}`);
    }
    if (data.length !== npx * channels) {
      throw shapeError(
        `${source}: pixel data has ${data.length} bytes, expected height x width x channels = ${height}x${width}x${channels} = ${npx * channels}`,
      );
    }
  }
  const out = new Uint8Array(npx * 3);
  if (channels === 3) {
    out.set(data);
  } else {
    for (let p = 0, s = 0; p < npx; p++, s += channels) {
      const r = data[s];
      out[p * 3] = r;
      out[p * 3 + 1] = channels === 1 ? r : data[s + 1];
      out[p * 3 + 2] = channels === 1 ? r : data[s + 2];
    }
  }
  return { data: out, width, height, channels: 3, format: 'raw' };
}

function isRgbImage(v: object): v is RgbImage {
  const o = v as Partial<RgbImage>;
  return o.channels === 3 && o.data instanceof Uint8Array && typeof o.format === 'string';
}

/** Synchronous conversion of in-memory inputs (encoded bytes or raw pixels) to RgbImage. */
export function toRgbImage(input: ImageSource, options: ImageInputOptions = {}): RgbImage {
  if (input instanceof ArrayBuffer) {
    return decodeImage(new Uint8Array(input), options.source ?? '<buffer>', options);
  }
  if (input instanceof Uint8Array) {
    return decodeImage(input, options.source ?? '<buffer>', options);
  }
  if (typeof input === 'object' && input !== null && 'data' in input && 'width' in input && 'height' in input) {
    if (isRgbImage(input)) {
      const { width, height, data } = input;
      if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || data.length !== width * height * 3) {
        throw shapeError(`${options.source ?? '<image>'}: RgbImage ${String(width)}x${String(height)} has ${data.length} bytes, expected ${width * height * 3}`);
      }
      if (input.indices !== undefined && input.indices.length !== width * height) {
        throw shapeError(`${options.source ?? '<image>'}: RgbImage indices have ${input.indices.length} entries, expected ${width * height}`);
      }
      return input;
    }
    return imageFromPixels(input, options.source ?? '<pixels>');
  }
  throw usageError(
    `unsupported image input: ${describe(input)}; expected a file path, the bytes of a JPEG/PNG/BMP file ` +
      `(Uint8Array, Buffer, ArrayBuffer) or raw pixels {data, width, height, channels?}`,
  );
}

function isImageSource(v: unknown): v is ImageSource {
  return v instanceof Uint8Array || v instanceof ArrayBuffer || (typeof v === 'object' && v !== null && 'data' in v && 'width' in v && 'height' in v);
}

/** Any input, including a file path (Node), a URL, Blob or browser image object (browser), to RgbImage. */
export async function loadImage(input: ImageInput, options: ImageInputOptions = {}): Promise<RgbImage> {
  if (isImageSource(input)) return toRgbImage(input, options);
  const read = await platform.readImage(input, options);
  return 'format' in read ? read : imageFromPixels(read, options.source ?? '<image>');
}
