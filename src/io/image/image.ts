// SPDX-License-Identifier: Apache-2.0
/**
 * The decoded-image type every image path in the library produces, and the limits decoders
 * enforce. Decoders live beside this file: bmp.ts (written here), jpeg.ts (jpeg-js), png.ts
 * (fast-png); decode.ts picks one by magic bytes.
 */

/** Container formats we decode; 'raw' marks pixels handed in directly (no file). */
export type ImageFormat = 'jpeg' | 'png' | 'bmp';

/**
 * 8-bit RGB pixels, row-major HWC: pixel (y, x) channel k is `data[(y·width + x)·3 + k]`,
 * y = 0 is the TOP row (whatever the file's own row order). Alpha is always dropped (not
 * composited), like PIL's `convert('RGB')`.
 */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
  readonly format: ImageFormat | 'raw';
  /**
   * Palette images only (BMP with ≤ 8 bits per pixel, PNG colour type 3): the palette index of
   * every pixel, row-major [H, W]. For label masks (PASCAL VOC PNGs, the shared
   * bird_segmentation_mask.bmp) this is the class id, whatever colours the palette shows.
   */
  readonly indices?: Uint8Array;
  /**
   * Set when a JPEG was decoded with DCT scaling (DecodeOptions.jpegScaling): the factor f and the
   * file's own size; `width`/`height` above are then ⌈fullWidth/f⌉ × ⌈fullHeight/f⌉.
   */
  readonly decodedScale?: { readonly factor: 2 | 4 | 8; readonly fullWidth: number; readonly fullHeight: number };
}

/** Limits that keep a hostile header from allocating gigabytes. */
export interface DecodeOptions {
  /** Largest width·height accepted (default 100 000 000 = 100 MP). */
  readonly maxPixels?: number;
  /** jpeg-js's working-memory cap in MB (default 512, jpeg-js's own default). */
  readonly maxJpegMemoryMB?: number;
  /**
   * How the two limits are named in error messages (default: these option names). The CLI passes
   * its own flag, so a user is told what they can change: '--max-megapixels'.
   */
  readonly limitNames?: { readonly maxPixels: string; readonly maxJpegMemoryMB: string };
  /**
   * JPEG DCT scaling (libjpeg's scale_denom): decode at the smallest of 1/1, 1/2, 1/4, 1/8 size
   * whose sides stay ≥ minWidth × minHeight (the size the preprocessing needs), so a 48 MP photo
   * never exists at full size in memory. Each output pixel is the mean of an f×f box of the full
   * decode (computed in the DCT domain; see jpeg-scaled.ts for the bound). Absent (the default
   * of decodeImage): full size. PNG and BMP ignore it; CMYK/YCCK JPEGs are decoded at full size.
   * The result's `decodedScale` says which factor was used. With `minPixels`, only photos of more
   * than that many pixels are scaled (smaller ones decode at full size).
   */
  readonly jpegScaling?: { readonly minWidth: number; readonly minHeight: number; readonly minPixels?: number };
}

export const DEFAULT_MAX_PIXELS = 100_000_000;
export const DEFAULT_MAX_JPEG_MEMORY_MB = 512;

/** "74 68 69 73" — the first `n` bytes in hex, for "not an image" messages. */
export function hexBytes(bytes: Uint8Array, n = 4): string {
  return Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** "1920x1080 = 2.07 MP" */
export function fmtPixels(width: number, height: number): string {
  return `${width}x${height} = ${((width * height) / 1e6).toFixed(2)} MP`;
}
