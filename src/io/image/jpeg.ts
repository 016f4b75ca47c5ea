// SPDX-License-Identifier: Apache-2.0
/**
 * JPEG decoding via jpeg-js (pure JS, BSD-3), behind our own marker walk:
 *
 *   1. walk the marker segments (SOI, APPn/DQT/DHT/SOF/SOS…, entropy-coded data, EOI), checking
 *      every segment length against the file; a file that ends before EOI is TRUNCATED (libjpeg
 *      would warn "Premature end of JPEG file" and grey-fill; PIL raises) and is refused;
 *   2. read the frame header (SOF0/1/2 = baseline, extended, progressive Huffman, 8-bit);
 *      lossless, hierarchical, arithmetic-coded and 12-bit JPEGs are UNSUPPORTED (as in jpeg-js);
 *   3. before jpeg-js allocates anything, refuse sizes the file cannot hold: every 8×8 block of
 *      every component costs at least 2 bits of entropy-coded data in a sequential JPEG (a DC and
 *      an AC code) and 1 bit in a progressive one (its DC code), so a frame needs
 *      ≥ (bits per block · blocks of all components) / 8 bytes of scan data — a 60-byte file
 *      cannot claim 30000×30000 pixels — and width·height ≤ maxPixels;
 *   4. decode with jpeg-js (`tolerantDecoding: false`, `maxResolutionInMP`, `maxMemoryUsageInMB`)
 *      into raw component planes, then upsample chroma and convert YCbCr → RGB exactly as
 *      libjpeg(-turbo) does by default (libjpegColour below);
 *   4′. or, with DecodeOptions.jpegScaling and a frame it can scale (1 or 3 components), decode at
 *      1/2, 1/4 or 1/8 in the DCT domain with our own decoder (jpeg-scaled.ts).
 *
 * Result vs libjpeg-turbo (PIL, TF, Chrome): only the IDCT rounding differs; measured over every
 * pixel of the shared photos max |Δ| = 3 levels, mean 0.13–0.15 (jpeg-js's own chroma
 * replication and truncating colour conversion gave max 34 / mean 0.91 on a 4:2:2 photo). See
 * spec/io/image/decode.spec.ts. EXIF orientation is NOT applied (PIL's Image.open does not apply
 * it either). CMYK/YCCK JPEGs with an Adobe marker use jpeg-js's own conversion (a PIL-written
 * CMYK file matches PIL within 1 level).
 */
import jpeg from 'jpeg-js';
import { formatError, MobileNetV2Error, unsupportedError } from '../../errors.js';
import { fmtPixels, type RgbImage } from './image.js';
import { canDecodeScaled, chooseJpegScale, decodeJpegScaled, libjpegYccToRgbInPlace } from './jpeg-scaled.js';

interface JpegFrame {
  readonly marker: number;
  readonly precision: number;
  readonly width: number;
  readonly height: number;
  readonly components: readonly { readonly id: number; readonly h: number; readonly v: number }[];
}

interface JpegScanInfo {
  readonly frame: JpegFrame;
  /** Total bytes of entropy-coded data (all scans). */
  readonly entropyBytes: number;
  readonly jfif: boolean;
  /** File offset of the Adobe APP14 colour-transform byte, or −1 without an Adobe marker. */
  readonly adobeTransformAt: number;
}

const SOF_NAMES: Record<number, string> = {
  0xc3: 'lossless',
  0xc5: 'hierarchical (differential sequential)',
  0xc6: 'hierarchical (differential progressive)',
  0xc7: 'hierarchical (differential lossless)',
  0xc9: 'arithmetic-coded (extended)',
  0xca: 'arithmetic-coded (progressive)',
  0xcb: 'arithmetic-coded (lossless)',
  0xcd: 'arithmetic-coded (differential sequential)',
  0xce: 'arithmetic-coded (differential progressive)',
  0xcf: 'arithmetic-coded (differential lossless)',
};

/** Walks the marker structure; throws FORMAT on truncation, UNSUPPORTED on exotic frames. */
export function scanJpeg(b: Uint8Array, source: string): JpegScanInfo {
  const n = b.length;
  const truncated = (where: string): never => {
    throw formatError(`${source}: truncated JPEG file (${n} bytes): it ends ${where} before the end-of-image marker`);
  };
  let off = 2; // after SOI
  let frame: JpegFrame | null = null;
  let entropyBytes = 0;
  let jfif = false;
  let adobeTransformAt = -1;
  for (;;) {
    // Find the next marker: 0xFF, optional 0xFF fill bytes, then the code. Garbage between
    // segments is skipped, as libjpeg does ("extraneous bytes before marker").
    while (off < n && b[off] !== 0xff) off++;
    while (off < n && b[off] === 0xff) off++;
    if (off >= n) truncated('between segments');
    const m = b[off++];
    if (m === 0xd9) break; // EOI
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue; // standalone markers
    if (off + 2 > n) truncated(`in the length of a marker 0xFF${m.toString(16).toUpperCase()} segment`);
    const len = (b[off] << 8) | b[off + 1];
    if (len < 2) throw formatError(`${source}: corrupt JPEG: marker 0xFF${m.toString(16).toUpperCase()} has segment length ${len}`);
    if (off + len > n) truncated(`inside a marker 0xFF${m.toString(16).toUpperCase()} segment`);
    const seg = off + 2;
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      const name = SOF_NAMES[m];
      if (name !== undefined) throw unsupportedError(`${source}: ${name} JPEGs are not supported (baseline and progressive Huffman JPEGs are)`);
      if (frame !== null) throw unsupportedError(`${source}: JPEG with more than one frame (SOF) is not supported`);
      if (len < 8) throw formatError(`${source}: corrupt JPEG: frame header too short`);
      const precision = b[seg];
      const height = (b[seg + 1] << 8) | b[seg + 2];
      const width = (b[seg + 3] << 8) | b[seg + 4];
      const nc = b[seg + 5];
      if (len < 8 + 3 * nc) throw formatError(`${source}: corrupt JPEG: frame header declares ${nc} components but is ${len} bytes long`);
      const components: { id: number; h: number; v: number }[] = [];
      for (let i = 0; i < nc; i++) {
        const id = b[seg + 6 + 3 * i];
        const hv = b[seg + 6 + 3 * i + 1];
        const h = hv >> 4;
        const v = hv & 15;
        if (h < 1 || h > 4 || v < 1 || v > 4) throw formatError(`${source}: corrupt JPEG: sampling factors ${h}x${v} (must be 1..4)`);
        components.push({ id, h, v });
      }
      frame = { marker: m, precision, width, height, components };
    }
    if (m === 0xe0 && len >= 7 && b[seg] === 0x4a && b[seg + 1] === 0x46 && b[seg + 2] === 0x49 && b[seg + 3] === 0x46 && b[seg + 4] === 0) jfif = true;
    if (m === 0xee && len >= 14 && b[seg] === 0x41 && b[seg + 1] === 0x64 && b[seg + 2] === 0x6f && b[seg + 3] === 0x62 && b[seg + 4] === 0x65) {
      adobeTransformAt = seg + 11; // 'Adobe', version(2), flags0(2), flags1(2), transform(1)
    }
    off += len;
    if (m === 0xda) {
      // Entropy-coded data up to the next marker that is not a stuffed 0xFF00 or a restart marker.
      const start = off;
      for (;;) {
        while (off < n && b[off] !== 0xff) off++;
        if (off + 1 >= n) truncated('inside entropy-coded scan data');
        const next = b[off + 1];
        if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
          off += next === 0xff ? 1 : 2;
          continue;
        }
        break;
      }
      entropyBytes += off - start;
    }
  }
  if (frame === null) throw formatError(`${source}: corrupt JPEG: no frame header (SOF marker) before the end of the image`);
  return { frame, entropyBytes, jfif, adobeTransformAt };
}

export function decodeJpeg(
  b: Uint8Array, source: string, maxPixels: number, maxMemoryMB: number,
  limitNames: { readonly maxPixels: string; readonly maxJpegMemoryMB: string } = { maxPixels: 'DecodeOptions.maxPixels', maxJpegMemoryMB: 'DecodeOptions.maxJpegMemoryMB' },
  scaling?: { readonly minWidth: number; readonly minHeight: number; readonly minPixels?: number },
): RgbImage {
  const { frame, entropyBytes, jfif, adobeTransformAt } = scanJpeg(b, source);
  const { width, height, precision, components } = frame;
  if (precision !== 8) throw unsupportedError(`${source}: ${precision}-bit JPEGs are not supported (only 8-bit)`);
  if (width === 0 || height === 0) {
    throw unsupportedError(`${source}: JPEG with image size ${width}x${height} (a height defined later by a DNL marker is not supported)`);
  }
  if (components.length !== 1 && components.length !== 3 && components.length !== 4) {
    throw unsupportedError(`${source}: JPEG with ${components.length} colour components is not supported (1, 3, or 4 with an Adobe marker)`);
  }
  // Every 8×8 block of every component is entropy-coded: in a sequential scan with its DC and its
  // AC codes (≥ 1 bit each), in a progressive file at least with its DC code in the first DC scan.
  // Block counts are the non-interleaved ones (a lower bound for any scan).
  const maxH = Math.max(...components.map((c) => c.h));
  const maxV = Math.max(...components.map((c) => c.v));
  let blocks = 0;
  for (const c of components) {
    const bw = Math.ceil(Math.ceil((width * c.h) / maxH) / 8);
    const bh = Math.ceil(Math.ceil((height * c.v) / maxV) / 8);
    blocks += bw * bh;
  }
  const minBits = blocks * (frame.marker === 0xc2 ? 1 : 2);
  if (entropyBytes * 8 < minBits) {
    throw formatError(
      `${source}: corrupt JPEG: the header claims ${fmtPixels(width, height)} but the file holds only ${entropyBytes} bytes of ` +
        `image data, fewer than the ${Math.ceil(minBits / 8)} such an image needs at the very least`,
    );
  }
  if (width * height > maxPixels) {
    throw unsupportedError(`${source}: JPEG image ${fmtPixels(width, height)} exceeds the limit of ${maxPixels / 1e6} MP (${limitNames.maxPixels})`);
  }

  // Three components: take the raw (IDCT'd) component planes from jpeg-js and do chroma
  // upsampling and YCbCr → RGB ourselves, the libjpeg way (see libjpegColour below). jpeg-js
  // forces its own conversion when an Adobe marker says "YCbCr", so hand it a copy with that
  // flag cleared; the colour space decision is made here, as libjpeg's jdapimin.c does:
  // Adobe transform 0 → RGB, 1 → YCbCr; otherwise JFIF → YCbCr; component ids 'R','G','B' → RGB;
  // else YCbCr.
  let input = b;
  let ycc = true;
  const three = components.length === 3;
  if (three) {
    if (adobeTransformAt >= 0) {
      ycc = b[adobeTransformAt] !== 0;
      if (ycc) {
        input = Uint8Array.prototype.slice.call(b); // a copy even for a Node Buffer (whose slice is a view)
        input[adobeTransformAt] = 0;
      }
    } else if (!jfif && components[0].id === 0x52 && components[1].id === 0x47 && components[2].id === 0x42) {
      ycc = false;
    }
  }
  const scale = scaling === undefined || !canDecodeScaled(components) || width * height <= (scaling.minPixels ?? 0) ? 1 : chooseJpegScale(width, height, scaling.minWidth, scaling.minHeight);
  if (scale !== 1) {
    const img = decodeJpegScaled(b, source, { scale, ycc: three ? ycc : false });
    return { ...img, decodedScale: { factor: scale, fullWidth: width, fullHeight: height } };
  }
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(input, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: Math.max(1, Math.ceil(maxPixels / 1e6)),
      maxMemoryUsageInMB: maxMemoryMB,
      ...(three ? { colorTransform: false } : {}),
    });
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    if (/maxMemoryUsageInMB|maxResolutionInMP|allocate/.test(detail)) {
      throw new MobileNetV2Error(
        'UNSUPPORTED',
        `${source}: JPEG ${fmtPixels(width, height)} needs more decoder memory than allowed (${maxMemoryMB} MB, ${limitNames.maxJpegMemoryMB}): ${detail}`,
        { cause: err },
      );
    }
    throw new MobileNetV2Error('FORMAT', `${source}: corrupt JPEG: ${detail}`, { cause: err });
  }
  if (decoded.width !== width || decoded.height !== height || decoded.data.length !== width * height * 3) {
    throw formatError(`${source}: corrupt JPEG: decoder returned ${decoded.width}x${decoded.height} for a ${width}x${height} frame`);
  }
  const data = three ? libjpegColour(decoded.data, width, height, components, maxH, maxV, ycc) : decoded.data;
  return { data, width, height, channels: 3, format: 'jpeg' };
}

/**
 * libjpeg(-turbo)'s default decompression colour path (jdsample.c "fancy" upsampling, jdcolor.c
 * fixed-point YCbCr → RGB), applied to jpeg-js's component planes. jpeg-js itself replicates
 * chroma samples and truncates (not rounds) a floating-point colour conversion, which puts it
 * ~0.5 level low on average and up to tens of levels off at chroma edges; this brings it to the
 * IDCT-only difference from PIL/TF/browsers.
 *
 * `planes` is jpeg-js's output with colorTransform off: per pixel the three component samples,
 * subsampled components replicated (sample (cy, cx) of a component with factors (h, v) sits at
 * pixel (cy·maxV/v, cx·maxH/h)). Per component, with rh = maxH/h, rv = maxV/v:
 *   1×1  as is
 *   2×1  (h2v1, 4:2:2) when the subsampled width > 2: out[2i] = (3c[i] + c[i−1] + 1) >> 2,
 *        out[2i+1] = (3c[i] + c[i+1] + 2) >> 2, edges replicated
 *   1×2  (h1v2, 4:4:0) out row 2j = (3r[j] + r[j−1] + 1) >> 2, 2j+1 = (3r[j] + r[j+1] + 2) >> 2
 *   2×2  (h2v2, 4:2:0) when the subsampled width > 2: column sums s = 3·near row + far row
 *        (far = row above for even output rows, below for odd), then
 *        out[2i] = (3s[i] + s[i−1] + 8) >> 4, out[2i+1] = (3s[i] + s[i+1] + 7) >> 4
 *   other integral ratios: replication (libjpeg's int_upsample; what jpeg-js already did).
 * YCbCr → RGB with 16-bit fixed point, FIX(x) = round(x·2¹⁶):
 *   R = Y + ((FIX(1.402)·(Cr−128) + 2¹⁵) >> 16)
 *   G = Y + ((−FIX(0.34414)·(Cb−128) − FIX(0.71414)·(Cr−128) + 2¹⁵) >> 16)
 *   B = Y + ((FIX(1.772)·(Cb−128) + 2¹⁵) >> 16), each clamped to [0, 255].
 */
function libjpegColour(
  planes: Uint8Array,
  W: number,
  H: number,
  components: readonly { readonly h: number; readonly v: number }[],
  maxH: number,
  maxV: number,
  ycc: boolean,
): Uint8Array {
  const out = new Uint8Array(W * H * 3);
  for (let k = 0; k < 3; k++) {
    const { h, v } = components[k];
    const rh = maxH / h;
    const rv = maxV / v;
    const cw = Math.ceil((W * h) / maxH);
    const chh = Math.ceil((H * v) / maxV);
    // libjpeg jdsample.c: fancy h2v1 / h2v2 only when the subsampled width is > 2
    const mode =
      rv === 1 ? (rh === 2 && cw > 2 ? 'h2v1' : null) : rv === 2 ? (rh === 1 ? 'h1v2' : rh === 2 && cw > 2 ? 'h2v2' : null) : null;
    if (mode === null) {
      // full resolution, or replication (what jpeg-js already did)
      for (let p = 0; p < W * H; p++) out[p * 3 + k] = planes[p * 3 + k];
      continue;
    }
    const at = (cy: number, cx: number): number => planes[(cy * rv * W + cx * rh) * 3 + k];
    const rowSum = new Int32Array(cw); // per output row: the component row (h2v1) or 3·near + far
    for (let y = 0; y < H; y++) {
      if (mode === 'h2v1') {
        for (let cx = 0; cx < cw; cx++) rowSum[cx] = at(y, cx);
      } else {
        const cy = y >> 1;
        const far = y & 1 ? Math.min(cy + 1, chh - 1) : Math.max(cy - 1, 0);
        for (let cx = 0; cx < cw; cx++) rowSum[cx] = 3 * at(cy, cx) + at(far, cx);
      }
      const row = y * W;
      if (mode === 'h1v2') {
        const bias = y & 1 ? 2 : 1;
        for (let x = 0; x < W; x++) out[(row + x) * 3 + k] = (rowSum[x] + bias) >> 2;
        continue;
      }
      const shift = mode === 'h2v1' ? 2 : 4;
      const biasEven = mode === 'h2v1' ? 1 : 8;
      const biasOdd = mode === 'h2v1' ? 2 : 7;
      for (let x = 0; x < W; x++) {
        const i = x >> 1;
        const odd = x & 1;
        const nb = odd ? Math.min(i + 1, cw - 1) : Math.max(i - 1, 0);
        out[(row + x) * 3 + k] = (3 * rowSum[i] + rowSum[nb] + (odd ? biasOdd : biasEven)) >> shift;
      }
    }
  }
  if (ycc) libjpegYccToRgbInPlace(out);
  return out;
}
