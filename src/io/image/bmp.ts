// SPDX-License-Identifier: Apache-2.0
/**
 * Windows BMP decoder (no dependency). Layout (all little-endian):
 *
 *   BITMAPFILEHEADER  14 bytes: 'BM', file size (ignored, often wrong), 2 reserved, pixel offset
 *   DIB header        12 (OS/2 BITMAPCOREHEADER: u16 width/height), 40 (BITMAPINFOHEADER),
 *                     52/56 (V2/V3: + RGB(A) masks), 108 (V4), 124 (V5: what PIL and most tools
 *                     write). V4/V5 colour-space fields are ignored (pixels are taken as sRGB).
 *   [masks]           with a 40-byte header and BI_BITFIELDS (3) / BI_ALPHABITFIELDS (6): 12 or 16
 *                     bytes of R, G, B(, A) masks right after the header
 *   [palette]         bpp ≤ 8: biClrUsed entries (0 → 2^bpp), 4 bytes B,G,R,x (3 bytes for OS/2)
 *   pixel array       at the pixel offset; rows padded to a multiple of 4 bytes;
 *                     bottom-up when height > 0, top-down when height < 0
 *
 * Supported: 1/4/8-bit palette, 16-bit (BI_RGB = X1R5G5B5, or BI_BITFIELDS e.g. R5G6B5),
 * 24-bit BGR, 32-bit (BI_RGB = BGRX, or BI_BITFIELDS / BI_ALPHABITFIELDS with any masks).
 * Not supported (UNSUPPORTED error): RLE4/RLE8, embedded JPEG/PNG, OS/2 2.x 64-byte headers.
 *
 * Channel values from a bit field of n bits are scaled to 8 bits as round(v·255/(2ⁿ − 1))
 * (exact for 8-bit fields; PIL truncates for 5/6-bit fields, so 16-bit BMPs can differ from PIL
 * by 1 level). Alpha fields and the 4th byte of BI_RGB 32-bit pixels are ignored. A palette index
 * past the end of the palette gives black (as browsers do); `indices` still holds the raw index.
 *
 * Every size is checked against the file length before anything is allocated.
 */
import { formatError, unsupportedError } from '../../errors.js';
import { fmtPixels, type RgbImage } from './image.js';

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const BI_JPEG = 4;
const BI_PNG = 5;
const BI_ALPHABITFIELDS = 6;

interface Field {
  readonly mask: number;
  readonly shift: number;
  readonly max: number; // mask >>> shift
}

function field(mask: number): Field {
  mask >>>= 0;
  if (mask === 0) return { mask: 0, shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { mask, shift, max: mask >>> shift };
}

/** 8-bit value of a bit field: round(v·255/max); a zero mask gives 0. */
function fieldValue(px: number, f: Field): number {
  if (f.max === 0) return 0;
  const v = ((px & f.mask) >>> 0) >>> f.shift;
  return f.max === 255 ? v : Math.round((v * 255) / f.max);
}

export function decodeBmp(b: Uint8Array, source: string, maxPixels: number, limitName = 'DecodeOptions.maxPixels'): RgbImage {
  const truncated = (what: string): never => {
    throw formatError(`${source}: truncated BMP file (${b.length} bytes): ${what}`);
  };
  if (b.length < 18) truncated('the file header is incomplete');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const pixelOffset = dv.getUint32(10, true);
  const dibSize = dv.getUint32(14, true);

  let width: number;
  let height: number;
  let bpp: number;
  let compression = BI_RGB;
  let clrUsed = 0;
  let paletteEntrySize = 4;
  let masks: [number, number, number] | null = null;
  let afterHeader = 14 + dibSize;

  if (dibSize === 12) {
    if (b.length < 26) truncated('the OS/2 BITMAPCOREHEADER is incomplete');
    width = dv.getUint16(18, true);
    height = dv.getUint16(20, true);
    bpp = dv.getUint16(24, true);
    paletteEntrySize = 3;
  } else if (dibSize === 40 || dibSize === 52 || dibSize === 56 || dibSize === 108 || dibSize === 124) {
    if (b.length < 14 + dibSize) truncated(`the ${dibSize}-byte DIB header is incomplete`);
    width = dv.getInt32(18, true);
    height = dv.getInt32(22, true);
    bpp = dv.getUint16(28, true);
    compression = dv.getUint32(30, true);
    clrUsed = dv.getUint32(46, true);
    if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
      if (dibSize === 40) {
        // masks follow the 40-byte header: R, G, B (and A for BI_ALPHABITFIELDS)
        const n = compression === BI_ALPHABITFIELDS ? 16 : 12;
        if (b.length < 54 + n) truncated('the colour masks after the header are missing');
        afterHeader += n;
      }
      masks = [dv.getUint32(54, true), dv.getUint32(58, true), dv.getUint32(62, true)];
    }
  } else if (dibSize === 64 || dibSize === 16) {
    throw unsupportedError(`${source}: OS/2 2.x BMP headers (${dibSize} bytes) are not supported; re-save the image as a Windows BMP, PNG or JPEG`);
  } else {
    throw formatError(`${source}: not a valid BMP file: DIB header size ${dibSize} is not one of 12, 40, 52, 56, 108, 124`);
  }

  if (compression === BI_RLE8 || compression === BI_RLE4) {
    throw unsupportedError(`${source}: run-length encoded BMPs (RLE${compression === BI_RLE8 ? 8 : 4}) are not supported; re-save it uncompressed or as PNG`);
  }
  if (compression === BI_JPEG || compression === BI_PNG) {
    throw unsupportedError(`${source}: BMPs wrapping ${compression === BI_JPEG ? 'JPEG' : 'PNG'} data are not supported`);
  }
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    throw formatError(`${source}: not a valid BMP file: unknown compression ${compression}`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) {
    throw formatError(`${source}: not a valid BMP file: ${bpp} bits per pixel (expected 1, 4, 8, 16, 24 or 32)`);
  }
  if (masks !== null && bpp !== 16 && bpp !== 32) {
    throw formatError(`${source}: not a valid BMP file: bit-field masks with ${bpp} bits per pixel (only 16 or 32)`);
  }
  const topDown = height < 0;
  const absHeight = Math.abs(height);
  if (width <= 0 || absHeight === 0 || height === -2147483648) {
    throw formatError(`${source}: not a valid BMP file: image size ${width}x${height}`);
  }

  // --- sizes against the file, before any allocation ---
  const rowStride = Math.floor((bpp * width + 31) / 32) * 4;
  const rowBytes = Math.ceil((bpp * width) / 8);
  // The last row's padding is sometimes omitted by writers; accept that.
  const pixelEnd = pixelOffset + rowStride * (absHeight - 1) + rowBytes;
  if (pixelOffset < afterHeader || pixelEnd > b.length) {
    throw formatError(
      `${source}: truncated or corrupt BMP: ${fmtPixels(width, absHeight)} at ${bpp} bits per pixel needs pixel bytes ` +
        `${pixelOffset}..${pixelEnd} but the file has ${b.length} bytes`,
    );
  }
  if (width * absHeight > maxPixels) {
    throw unsupportedError(`${source}: BMP image ${fmtPixels(width, absHeight)} exceeds the limit of ${maxPixels / 1e6} MP (${limitName})`);
  }

  let palette: Uint8Array | null = null; // RGB triplets
  let paletteSize = 0;
  if (bpp <= 8) {
    const maxColors = 1 << bpp;
    paletteSize = clrUsed === 0 || clrUsed > maxColors ? maxColors : clrUsed;
    // Some writers declare the full palette but leave room for fewer entries before the pixels.
    const room = Math.floor((pixelOffset - afterHeader) / paletteEntrySize);
    paletteSize = Math.min(paletteSize, room);
    if (paletteSize === 0) throw formatError(`${source}: not a valid BMP file: ${bpp}-bit image without a colour palette`);
    palette = new Uint8Array(maxColors * 3); // entries past paletteSize stay black
    for (let i = 0; i < paletteSize; i++) {
      const p = afterHeader + i * paletteEntrySize;
      palette[i * 3] = b[p + 2];
      palette[i * 3 + 1] = b[p + 1];
      palette[i * 3 + 2] = b[p];
    }
  }

  const npx = width * absHeight;
  const data = new Uint8Array(npx * 3);
  const indices = palette !== null ? new Uint8Array(npx) : undefined;

  let fr: Field | null = null;
  let fg: Field | null = null;
  let fb: Field | null = null;
  if (bpp === 16 || bpp === 32) {
    const [mr, mg, mb] = masks ?? (bpp === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0xff00, 0xff]);
    fr = field(mr);
    fg = field(mg);
    fb = field(mb);
  }

  for (let y = 0; y < absHeight; y++) {
    const fileRow = topDown ? y : absHeight - 1 - y;
    const src = pixelOffset + fileRow * rowStride;
    let o = y * width * 3;
    let io = y * width;
    switch (bpp) {
      case 24:
        for (let x = 0, s = src; x < width; x++, s += 3) {
          data[o++] = b[s + 2];
          data[o++] = b[s + 1];
          data[o++] = b[s];
        }
        break;
      case 32:
        for (let x = 0, s = src; x < width; x++, s += 4) {
          const px = dv.getUint32(s, true);
          data[o++] = fieldValue(px, fr!);
          data[o++] = fieldValue(px, fg!);
          data[o++] = fieldValue(px, fb!);
        }
        break;
      case 16:
        for (let x = 0, s = src; x < width; x++, s += 2) {
          const px = dv.getUint16(s, true);
          data[o++] = fieldValue(px, fr!);
          data[o++] = fieldValue(px, fg!);
          data[o++] = fieldValue(px, fb!);
        }
        break;
      default: {
        // 1, 4, 8 bits: palette indices packed MSB first
        const perByte = 8 / bpp;
        const mask = (1 << bpp) - 1;
        for (let x = 0; x < width; x++) {
          const byte = b[src + Math.floor(x / perByte)];
          const idx = (byte >>> (8 - bpp * ((x % perByte) + 1))) & mask;
          indices![io++] = idx;
          data[o++] = palette![idx * 3];
          data[o++] = palette![idx * 3 + 1];
          data[o++] = palette![idx * 3 + 2];
        }
      }
    }
  }
  return indices === undefined
    ? { data, width, height: absHeight, channels: 3, format: 'bmp' }
    : { data, width, height: absHeight, channels: 3, format: 'bmp', indices };
}
