// SPDX-License-Identifier: Apache-2.0
/**
 * PNG decoding and encoding via fast-png (pure JS, MIT), behind our own chunk walk:
 *
 *   1. walk the chunks (length, type, data, CRC) from the signature to IEND, checking each length
 *      against the file: a file that ends before IEND is TRUNCATED and refused;
 *   2. validate IHDR (size, bit depth / colour type combination, interlace method);
 *   3. refuse sizes the file cannot hold before fast-png allocates: deflate expands at most
 *      ~1032:1 (a 258-byte match in 2 bits), so the filtered image (height·(1 + row bytes)) must
 *      be ≤ 1100 × (IDAT bytes) + 4096; and width·height ≤ maxPixels;
 *   4. decode with fast-png (CRCs checked; a truncated or corrupt zlib stream throws).
 *      Known gap: a COMPLETE zlib stream that inflates to fewer bytes than the image needs is
 *      zero-filled by fast-png without an error (libpng says "Not enough image data"); detecting
 *      it needs the inflated length, which fast-png does not expose.
 *
 * Conversion to 8-bit RGB (alpha dropped, never composited, as PIL's convert('RGB')):
 *   grey 1/2/4-bit  v·255/(2^d − 1) (exact: ×255, ×85, ×17)       grey 8  v → (v, v, v)
 *   16-bit samples  round(v/257) = round(v·255/65535), libpng's png_set_scale_16 rule
 *                   (PIL instead keeps the high byte v >> 8, so it can be 1 level lower)
 *   palette         palette[index] (RGB part); the indices are kept in RgbImage.indices
 *   grey+alpha, RGBA: alpha dropped. tRNS chunks are ignored.
 * Adam7-interlaced PNGs with fewer than 8 bits per sample are UNSUPPORTED (fast-png 8.0.0
 * mis-decodes them); all other interlaced PNGs work.
 */
import { decode as fastPngDecode, encode as fastPngEncode } from 'fast-png';
import { formatError, MobileNetV2Error, unsupportedError } from '../../errors.js';
import { fmtPixels, type RgbImage } from './image.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Allowed bit depths per colour type (PNG spec table 11.1). */
const DEPTHS: Record<number, { name: string; channels: number; depths: readonly number[] }> = {
  0: { name: 'greyscale', channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { name: 'truecolour', channels: 3, depths: [8, 16] },
  3: { name: 'indexed-colour', channels: 1, depths: [1, 2, 4, 8] },
  4: { name: 'greyscale with alpha', channels: 2, depths: [8, 16] },
  6: { name: 'truecolour with alpha', channels: 4, depths: [8, 16] },
};

export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly depth: number;
  readonly colorType: number;
  readonly interlace: number;
  readonly idatBytes: number;
}

export function scanPng(b: Uint8Array, source: string): PngHeader {
  const n = b.length;
  for (let i = 0; i < 8; i++) {
    if (b[i] !== SIGNATURE[i]) throw formatError(`${source}: corrupt PNG signature`);
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const truncated = (where: string): never => {
    throw formatError(`${source}: truncated PNG file (${n} bytes): it ends ${where} before the IEND chunk`);
  };
  let off = 8;
  let header: Omit<PngHeader, 'idatBytes'> | null = null;
  let idatBytes = 0;
  let first = true;
  for (;;) {
    if (off + 8 > n) truncated('in a chunk header');
    const len = dv.getUint32(off);
    // Chunk types are four ASCII letters; anything else is shown escaped so a message stays one line.
    const type = Array.from(b.subarray(off + 4, off + 8), (c) => (c >= 0x21 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`)).join('');
    if (len > 0x7fffffff) throw formatError(`${source}: corrupt PNG: chunk '${type}' has length ${len}`);
    if (off + 12 + len > n) truncated(`inside the '${type}' chunk (needs ${len} data bytes)`);
    const data = off + 8;
    if (first) {
      if (type !== 'IHDR' || len !== 13) throw formatError(`${source}: corrupt PNG: the first chunk must be a 13-byte IHDR, found '${type}' (${len} bytes)`);
      header = {
        width: dv.getUint32(data),
        height: dv.getUint32(data + 4),
        depth: b[data + 8],
        colorType: b[data + 9],
        interlace: b[data + 12],
      };
      first = false;
    } else if (type === 'IDAT') {
      idatBytes += len;
    } else if (type === 'IEND') {
      break;
    }
    off += 12 + len;
  }
  const h = header!;
  const spec = DEPTHS[h.colorType];
  if (spec === undefined) throw formatError(`${source}: corrupt PNG: unknown colour type ${h.colorType}`);
  if (!spec.depths.includes(h.depth)) throw formatError(`${source}: corrupt PNG: bit depth ${h.depth} is not allowed for ${spec.name} images`);
  if (h.width === 0 || h.height === 0 || h.width > 0x7fffffff || h.height > 0x7fffffff) {
    throw formatError(`${source}: corrupt PNG: image size ${h.width}x${h.height}`);
  }
  if (h.interlace > 1) throw formatError(`${source}: corrupt PNG: unknown interlace method ${h.interlace}`);
  if (idatBytes === 0) throw formatError(`${source}: corrupt PNG: no image data (IDAT chunk)`);
  return { ...h, idatBytes };
}

export function decodePng(b: Uint8Array, source: string, maxPixels: number, limitName = 'DecodeOptions.maxPixels'): RgbImage {
  const hdr = scanPng(b, source);
  const { width, height, depth, colorType, interlace } = hdr;
  const spec = DEPTHS[colorType];
  const rowBytes = Math.ceil((width * spec.channels * depth) / 8);
  const filtered = height * (1 + rowBytes);
  if (filtered > 1100 * hdr.idatBytes + 4096) {
    throw formatError(
      `${source}: corrupt PNG: the header claims ${fmtPixels(width, height)} but ${hdr.idatBytes} bytes of compressed data ` +
        `cannot hold the ${filtered} bytes such an image needs`,
    );
  }
  if (width * height > maxPixels) {
    throw unsupportedError(`${source}: PNG image ${fmtPixels(width, height)} exceeds the limit of ${maxPixels / 1e6} MP (${limitName})`);
  }
  if (interlace === 1 && depth < 8) {
    throw unsupportedError(`${source}: interlaced PNGs with ${depth}-bit samples are not supported; re-save it without interlacing`);
  }

  let png: ReturnType<typeof fastPngDecode>;
  try {
    png = fastPngDecode(b, { checkCrc: true });
  } catch (err) {
    const detail = err instanceof Error ? err.message + (err.cause instanceof Error ? `: ${err.cause.message}` : '') : String(err);
    throw new MobileNetV2Error('FORMAT', `${source}: corrupt PNG: ${detail}`, { cause: err });
  }
  if (png.width !== width || png.height !== height) {
    throw formatError(`${source}: corrupt PNG: decoder returned ${png.width}x${png.height} for a ${width}x${height} header`);
  }
  return toRgb(png, hdr, source);
}

function toRgb(png: ReturnType<typeof fastPngDecode>, h: PngHeader, source: string): RgbImage {
  const { width, height, depth, colorType } = h;
  const channels = DEPTHS[colorType].channels;
  const npx = width * height;
  const src = png.data;
  const rowBytes = Math.ceil((width * channels * depth) / 8);
  const expectLen = depth < 8 ? rowBytes * height : npx * channels;
  if (src.length !== expectLen) {
    throw formatError(`${source}: corrupt PNG: decoded ${src.length} samples, expected ${expectLen}`);
  }
  const out = new Uint8Array(npx * 3);
  let indices: Uint8Array | undefined;
  const to8 = depth === 16 ? (v: number): number => Math.round(v / 257) : (v: number): number => v;

  if (depth < 8) {
    // packed greyscale or palette indices, rows byte-aligned, MSB first
    const mask = (1 << depth) - 1;
    const perByte = 8 / depth;
    const greyScale = 255 / mask;
    if (colorType === 3) indices = new Uint8Array(npx);
    const pal = colorType === 3 ? paletteRgb(png.palette, source) : null;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const byte = src[y * rowBytes + Math.floor(x / perByte)];
        const v = (byte >>> (8 - depth * ((x % perByte) + 1))) & mask;
        const p = y * width + x;
        if (pal !== null) {
          indices![p] = v;
          out[p * 3] = pal[v * 3];
          out[p * 3 + 1] = pal[v * 3 + 1];
          out[p * 3 + 2] = pal[v * 3 + 2];
        } else {
          const g = v * greyScale;
          out[p * 3] = g;
          out[p * 3 + 1] = g;
          out[p * 3 + 2] = g;
        }
      }
    }
  } else if (colorType === 3) {
    const pal = paletteRgb(png.palette, source);
    indices = new Uint8Array(npx);
    for (let p = 0; p < npx; p++) {
      const v = src[p];
      indices[p] = v;
      out[p * 3] = pal[v * 3];
      out[p * 3 + 1] = pal[v * 3 + 1];
      out[p * 3 + 2] = pal[v * 3 + 2];
    }
  } else if (channels <= 2) {
    for (let p = 0; p < npx; p++) {
      const g = to8(src[p * channels]);
      out[p * 3] = g;
      out[p * 3 + 1] = g;
      out[p * 3 + 2] = g;
    }
  } else {
    for (let p = 0; p < npx; p++) {
      out[p * 3] = to8(src[p * channels]);
      out[p * 3 + 1] = to8(src[p * channels + 1]);
      out[p * 3 + 2] = to8(src[p * channels + 2]);
    }
  }
  return indices === undefined
    ? { data: out, width, height, channels: 3, format: 'png' }
    : { data: out, width, height, channels: 3, format: 'png', indices };
}

/** 256 RGB entries (missing ones black, as for BMP). */
function paletteRgb(palette: number[][] | undefined, source: string): Uint8Array {
  if (palette === undefined || palette.length === 0) throw formatError(`${source}: corrupt PNG: indexed-colour image without a PLTE chunk`);
  const pal = new Uint8Array(256 * 3);
  for (let i = 0; i < Math.min(palette.length, 256); i++) {
    pal[i * 3] = palette[i][0];
    pal[i * 3 + 1] = palette[i][1];
    pal[i * 3 + 2] = palette[i][2];
  }
  return pal;
}

/** Pixels to encode: HWC 8-bit with 1 (grey), 3 (RGB) or 4 (RGBA) channels. */
export interface EncodablePixels {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3 | 4;
}

/** Lossless 8-bit PNG (non-interlaced) of HWC pixels, via fast-png. */
export function encodePngPixels(img: EncodablePixels): Uint8Array {
  const { width, height, channels } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new MobileNetV2Error('SHAPE', `encodePng: image size must be positive integers, got ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new MobileNetV2Error('SHAPE', `encodePng: channels must be 1, 3 or 4, got ${String(channels)}`);
  }
  const expected = width * height * channels;
  if (img.data.length !== expected) {
    throw new MobileNetV2Error('SHAPE', `encodePng: data has ${img.data.length} bytes, expected ${height}x${width}x${channels} = ${expected}`);
  }
  const data = img.data instanceof Uint8Array ? img.data : new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return fastPngEncode({ width, height, data, depth: 8, channels });
}
