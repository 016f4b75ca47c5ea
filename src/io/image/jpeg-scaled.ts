// SPDX-License-Identifier: Apache-2.0
/**
 * JPEG decoding with DCT-domain downscaling (libjpeg's `scale_denom` idea), written from the JPEG
 * specification (ITU-T T.81: Annex B syntax, Annex F sequential Huffman decoding, Annex G
 * progressive decoding). A photo of W×H decoded at scale 1/f (f = 2, 4 or 8) comes out
 * ⌈W/f⌉×⌈H/f⌉ and the decoder never holds the full-size pixels.
 *
 * What the scaled IDCT computes. An 8×8 block's samples are the 2-D inverse DCT of its
 * dequantized coefficients F(v,u):
 *   s(y,x) = 128 + ¼ Σ_v Σ_u C(v)C(u) F(v,u) cos((2y+1)vπ/16) cos((2x+1)uπ/16),  C(0) = 1/√2, else 1.
 * Decoding at 1/g per axis here means the EXACT mean of s over each g×g box of the block:
 *   out(i,j) = 128 + Σ_v Σ_u F(v,u) · M_g[i][v] · M_g[j][u],
 *   M_g[i][u] = (1/g) Σ_{x = i·g}^{i·g+g−1} (C(u)/2) cos((2x+1)uπ/16),
 * computed in float64, then rounded half up and clamped to [0, 255]. For g = 8 every AC basis
 * function sums to zero over the block, so out = 128 + F(0,0)/8: the DC term alone. (libjpeg's
 * jidctred.c drops the high-frequency coefficients instead; the box mean keeps the decode equal to
 * "full decode, then average each g×g box" up to rounding and clamping, which is what the spec
 * checks against jpeg-js.)
 *
 * Colour. A component subsampled by r (= maxH/h) horizontally is IDCT'd at 1/(f/r) so that every
 * component lands on the output grid (as libjpeg does when scaling: no chroma upsampling); if
 * r > f it is decoded at 1/1 and replicated r/f times. YCbCr → RGB is libjpeg's fixed-point
 * conversion (jpeg.ts). Grey and RGB (Adobe transform 0 or 'R','G','B' ids) are supported;
 * 4-component (CMYK/YCCK) files and sampling ratios other than 1, 2, 4 are not scaled (the caller
 * decodes them at full size).
 *
 * Memory. Baseline/extended (sequential) files are decoded block by block straight into the
 * scaled component planes: peak = the input bytes + the scaled planes (Σ components ⌈W/f⌉⌈H/f⌉
 * bytes, + the RGB output, 3⌈W/f⌉⌈H/f⌉). Progressive files must keep every coefficient until the
 * last scan: 2 bytes × 64 per 8×8 block of every component (2 bytes per full-size sample) on top.
 */
import { formatError } from '../../errors.js';
import type { RgbImage } from './image.js';

export type JpegScale = 1 | 2 | 4 | 8;

/** The largest f ∈ {8, 4, 2, 1} with ⌈width/f⌉ ≥ minWidth and ⌈height/f⌉ ≥ minHeight. */
export function chooseJpegScale(width: number, height: number, minWidth: number, minHeight: number): JpegScale {
  for (const f of [8, 4, 2] as const) {
    if (Math.ceil(width / f) >= minWidth && Math.ceil(height / f) >= minHeight) return f;
  }
  return 1;
}

// Zig-zag order: the k-th coefficient in the file is at natural (row-major) position ZIGZAG[k].
const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

/** M_g as a (8/g)×8 row-major Float64Array (see the file comment). */
function boxMeanMatrix(g: number): Float64Array {
  const n = 8 / g;
  const m = new Float64Array(n * 8);
  for (let i = 0; i < n; i++) {
    for (let u = 0; u < 8; u++) {
      const c = u === 0 ? Math.SQRT1_2 : 1;
      let s = 0;
      for (let x = i * g; x < i * g + g; x++) s += (c / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
      m[i * 8 + u] = s / g;
    }
  }
  return m;
}
const BOX_MEAN: Record<number, Float64Array> = { 1: boxMeanMatrix(1), 2: boxMeanMatrix(2), 4: boxMeanMatrix(4), 8: boxMeanMatrix(8) };

/** Huffman table (T.81 F.2.2.3 MAXCODE/VALPTR/MINCODE) plus a 9-bit lookahead table. */
interface Huffman {
  readonly maxcode: Int32Array; // [17], −1 = no codes of that length
  readonly valptr: Int32Array;
  readonly mincode: Int32Array;
  readonly values: Uint8Array;
  /** lookahead of 9 bits → (code length << 8) | value, 0 when the code is longer than 9 bits */
  readonly fast: Uint16Array;
}

const FAST_BITS = 9;

function buildHuffman(counts: Uint8Array, values: Uint8Array, source: string): Huffman {
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  const fast = new Uint16Array(1 << FAST_BITS);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1];
    if (n > 0) {
      valptr[len] = k;
      mincode[len] = code;
      for (let i = 0; i < n; i++, k++, code++) {
        if (len <= FAST_BITS) {
          const shift = FAST_BITS - len;
          for (let j = 0; j < 1 << shift; j++) fast[(code << shift) | j] = (len << 8) | values[k];
        }
      }
      maxcode[len] = code - 1;
    }
    if (code > 1 << len) throw formatError(`${source}: corrupt JPEG: Huffman table has more codes of length ${len} than fit`);
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  return { maxcode, valptr, mincode, values, fast };
}

/** Entropy-coded data reader: removes 0xFF00 stuffing; at a marker it feeds zero bits (as libjpeg). */
class BitReader {
  pos: number;
  private buf = 0;
  private cnt = 0;
  constructor(private readonly b: Uint8Array, start: number, private readonly source: string) {
    this.pos = start;
  }
  private fill(): void {
    const b = this.b;
    while (this.cnt <= 24) {
      let byte = 0;
      if (this.pos < b.length) {
        byte = b[this.pos];
        if (byte === 0xff) {
          const next = b[this.pos + 1];
          if (next === 0x00) this.pos += 2;
          else byte = 0; // a marker: stay on it, pad with zeros
        } else {
          this.pos++;
        }
      }
      this.buf = ((this.buf << 8) | byte) >>> 0;
      this.cnt += 8;
    }
  }
  bits(n: number): number {
    if (n === 0) return 0;
    if (this.cnt < n) this.fill();
    this.cnt -= n;
    return (this.buf >>> this.cnt) & ((1 << n) - 1);
  }
  bit(): number {
    return this.bits(1);
  }
  /** T.81 F.2.2.3 DECODE, with the lookahead table for codes ≤ 9 bits. */
  decode(h: Huffman): number {
    if (this.cnt < 16) this.fill();
    const f = h.fast[(this.buf >>> (this.cnt - FAST_BITS)) & ((1 << FAST_BITS) - 1)];
    if (f !== 0) {
      this.cnt -= f >> 8;
      return f & 0xff;
    }
    let code = 0;
    for (let len = 1; len <= 16; len++) {
      code = (code << 1) | this.bit();
      if (code <= h.maxcode[len]) return h.values[h.valptr[len] + code - h.mincode[len]];
    }
    throw formatError(`${this.source}: corrupt JPEG: invalid Huffman code in the scan data`);
  }
  /** RECEIVE(s) then EXTEND (T.81 F.2.2.1): an s-bit magnitude category to a signed value. */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    if (s > 16) throw formatError(`${this.source}: corrupt JPEG: coefficient magnitude category ${s} (at most 16)`);
    const v = this.bits(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }
  /** At a restart interval: drop the partial byte and step over the RSTn marker. */
  restart(): void {
    this.cnt = 0;
    this.buf = 0;
    const b = this.b;
    while (this.pos + 1 < b.length && !(b[this.pos] === 0xff && b[this.pos + 1] >= 0xd0 && b[this.pos + 1] <= 0xd7)) this.pos++;
    if (this.pos + 1 >= b.length) throw formatError(`${this.source}: corrupt JPEG: restart marker missing`);
    this.pos += 2;
  }
}

interface Component {
  readonly id: number;
  readonly h: number;
  readonly v: number;
  readonly tq: number;
  /** blocks per line / column of the component (non-interleaved extent) */
  readonly bw: number;
  readonly bh: number;
  /** blocks per line / column in the MCU grid (interleaved extent, ≥ bw / bh) */
  readonly bwMcu: number;
  readonly bhMcu: number;
  /** IDCT box sizes per axis (1, 2, 4, 8) and replication after it */
  readonly gx: number;
  readonly gy: number;
  readonly repX: number;
  readonly repY: number;
  /** the scaled plane: pw × ph samples */
  readonly pw: number;
  readonly ph: number;
  readonly plane: Uint8Array;
  /** progressive only: all coefficients, 64 per block over the MCU grid, natural order */
  coefs: Int16Array | null;
  pred: number;
  dcTable: number;
  acTable: number;
}

interface Frame {
  readonly progressive: boolean;
  readonly width: number;
  readonly height: number;
  readonly comps: Component[];
  readonly mcusX: number;
  readonly mcusY: number;
}

export interface ScaledJpegOptions {
  /** 2, 4 or 8 */
  readonly scale: 2 | 4 | 8;
  /** Colour interpretation decided by the caller (jpeg.ts: Adobe / JFIF / component ids). */
  readonly ycc: boolean;
}

/** True when decodeJpegScaled can decode this frame (1 or 3 components, sampling ratios 1, 2, 4). */
export function canDecodeScaled(components: readonly { readonly h: number; readonly v: number }[]): boolean {
  if (components.length !== 1 && components.length !== 3) return false;
  const maxH = Math.max(...components.map((c) => c.h));
  const maxV = Math.max(...components.map((c) => c.v));
  return components.every((c) => [1, 2, 4].includes(maxH / c.h) && [1, 2, 4].includes(maxV / c.v));
}

/**
 * Decodes a baseline, extended-sequential or progressive Huffman JPEG at scale 1/`scale`. The
 * caller (jpeg.ts) has already walked the marker structure (truncation, supported frame type,
 * size limits); errors here are FORMAT errors naming `source`.
 */
export function decodeJpegScaled(b: Uint8Array, source: string, options: ScaledJpegOptions): RgbImage {
  const { width, height, comps } = decodeScaledComponents(b, source, options.scale);
  return toRgb(comps, Math.ceil(width / options.scale), Math.ceil(height / options.scale), options.ycc);
}

/** The scaled component planes (before colour conversion): what the spec compares with jpeg-js's planes. */
export function decodeJpegScaledPlanes(b: Uint8Array, source: string, scale: 2 | 4 | 8): {
  width: number; height: number; planes: { data: Uint8Array; width: number; height: number; repX: number; repY: number }[];
} {
  const { width, height, comps } = decodeScaledComponents(b, source, scale);
  return { width, height, planes: comps.map((c) => ({ data: c.plane, width: c.pw, height: c.ph, repX: c.repX, repY: c.repY })) };
}

function decodeScaledComponents(b: Uint8Array, source: string, f: 2 | 4 | 8): { width: number; height: number; comps: Component[] } {
  const corrupt = (what: string): never => {
    throw formatError(`${source}: corrupt JPEG: ${what}`);
  };
  const quant: (Uint16Array | undefined)[] = [];
  const dcTables: (Huffman | undefined)[] = [];
  const acTables: (Huffman | undefined)[] = [];
  let frame = null as Frame | null;
  let restartInterval = 0;
  let eobrun = 0;

  const buildFrame = (seg: number, progressive: boolean): void => {
    const height = (b[seg + 1] << 8) | b[seg + 2];
    const width = (b[seg + 3] << 8) | b[seg + 4];
    const nc = b[seg + 5];
    const raw = [];
    for (let i = 0; i < nc; i++) {
      const o = seg + 6 + 3 * i;
      raw.push({ id: b[o], h: b[o + 1] >> 4, v: b[o + 1] & 15, tq: b[o + 2] });
    }
    const maxH = Math.max(...raw.map((c) => c.h));
    const maxV = Math.max(...raw.map((c) => c.v));
    const mcusX = Math.ceil(width / (8 * maxH));
    const mcusY = Math.ceil(height / (8 * maxV));
    const comps: Component[] = raw.map((c) => {
      const rx = maxH / c.h;
      const ry = maxV / c.v;
      const gx = Math.max(1, f / rx);
      const gy = Math.max(1, f / ry);
      const bwMcu = mcusX * c.h;
      const bhMcu = mcusY * c.v;
      const pw = (bwMcu * 8) / gx;
      const ph = (bhMcu * 8) / gy;
      return {
        ...c,
        bw: Math.ceil(Math.ceil((width * c.h) / maxH) / 8),
        bh: Math.ceil(Math.ceil((height * c.v) / maxV) / 8),
        bwMcu, bhMcu, gx, gy,
        repX: Math.max(1, rx / f),
        repY: Math.max(1, ry / f),
        pw, ph,
        plane: new Uint8Array(pw * ph),
        coefs: progressive ? new Int16Array(bwMcu * bhMcu * 64) : null,
        pred: 0, dcTable: 0, acTable: 0,
      };
    });
    frame = { progressive, width, height, comps, mcusX, mcusY };
  };

  // Dequantize one block (natural order coefficients) and write its box means into the plane.
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  const idctBlock = (c: Component, coef: Int16Array | Int32Array, at: number, by: number, bx: number): void => {
    const q = quant[c.tq];
    if (q === undefined) corrupt(`quantization table ${c.tq} used before it is defined`);
    for (let i = 0; i < 64; i++) block[i] = coef[at + i] * q![i];
    const nx = 8 / c.gx;
    const ny = 8 / c.gy;
    const mx = BOX_MEAN[c.gx];
    const my = BOX_MEAN[c.gy];
    // rows: tmp[v][j] = Σ_u F(v,u) M_gx[j][u]
    for (let v = 0; v < 8; v++) {
      const r = v * 8;
      let any = false;
      for (let u = 0; u < 8; u++) if (block[r + u] !== 0) { any = true; break; }
      for (let j = 0; j < nx; j++) {
        let s = 0;
        if (any) for (let u = 0; u < 8; u++) s += block[r + u] * mx[j * 8 + u];
        tmp[r + j] = s;
      }
    }
    // columns: out[i][j] = 128 + Σ_v M_gy[i][v] tmp[v][j]
    const plane = c.plane;
    for (let i = 0; i < ny; i++) {
      const row = (by * ny + i) * c.pw + bx * nx;
      for (let j = 0; j < nx; j++) {
        let s = 128;
        for (let v = 0; v < 8; v++) s += my[i * 8 + v] * tmp[v * 8 + j];
        const p = Math.floor(s + 0.5);
        plane[row + j] = p < 0 ? 0 : p > 255 ? 255 : p;
      }
    }
  };

  const seqBlock = new Int32Array(64);
  const decodeSequentialBlock = (r: BitReader, c: Component): void => {
    seqBlock.fill(0);
    const dc = dcTables[c.dcTable];
    const ac = acTables[c.acTable];
    if (dc === undefined || ac === undefined) corrupt(`scan uses a Huffman table that is not defined`);
    const t = r.decode(dc!);
    c.pred += r.receiveExtend(t);
    seqBlock[0] = c.pred;
    for (let k = 1; k < 64;) {
      const rs = r.decode(ac!);
      const s = rs & 15;
      const run = rs >> 4;
      if (s === 0) {
        if (run === 15) { k += 16; continue; }
        break;
      }
      k += run;
      if (k > 63) corrupt('AC coefficient index past 63');
      seqBlock[ZIGZAG[k]] = r.receiveExtend(s);
      k++;
    }
  };

  // Progressive decoding procedures (T.81 G.1.2), coefficients kept in natural order.
  const progressiveBlock = (r: BitReader, c: Component, at: number, ss: number, se: number, ah: number, al: number): void => {
    const co = c.coefs!;
    if (ss === 0) {
      if (ah === 0) {
        const dc = dcTables[c.dcTable];
        if (dc === undefined) corrupt('scan uses a DC Huffman table that is not defined');
        const t = r.decode(dc!);
        c.pred += r.receiveExtend(t);
        co[at] = c.pred * (1 << al);
      } else if (r.bit()) {
        co[at] |= 1 << al;
      }
      return;
    }
    const ac = acTables[c.acTable];
    if (ac === undefined) corrupt('scan uses an AC Huffman table that is not defined');
    if (ah === 0) {
      if (eobrun > 0) { eobrun--; return; }
      for (let k = ss; k <= se;) {
        const rs = r.decode(ac!);
        const s = rs & 15;
        const run = rs >> 4;
        if (s === 0) {
          if (run < 15) { eobrun = (1 << run) - 1 + (run ? r.bits(run) : 0); break; }
          k += 16;
          continue;
        }
        k += run;
        if (k > 63) corrupt('AC coefficient index past 63');
        co[at + ZIGZAG[k]] = r.receiveExtend(s) * (1 << al);
        k++;
      }
      return;
    }
    // AC successive-approximation refinement (G.1.2.3)
    const p1 = 1 << al;
    const m1 = -1 << al;
    let k = ss;
    if (eobrun <= 0) {
      for (; k <= se;) {
        const rs = r.decode(ac!);
        const s = rs & 15;
        let run = rs >> 4;
        let value = 0;
        if (s === 0) {
          if (run < 15) {
            eobrun = (1 << run) + (run ? r.bits(run) : 0);
            break;
          }
        } else {
          if (s !== 1) corrupt('refinement scan with a coefficient of magnitude category ≠ 1');
          value = r.bit() ? p1 : m1;
        }
        while (k <= se) {
          const z = at + ZIGZAG[k];
          if (co[z] !== 0) {
            if (r.bit() && (co[z] & p1) === 0) co[z] += co[z] >= 0 ? p1 : m1;
          } else {
            if (run === 0) {
              if (value !== 0) co[z] = value;
              k++;
              break;
            }
            run--;
          }
          k++;
        }
      }
    }
    if (eobrun > 0) {
      for (; k <= se; k++) {
        const z = at + ZIGZAG[k];
        if (co[z] !== 0 && r.bit() && (co[z] & p1) === 0) co[z] += co[z] >= 0 ? p1 : m1;
      }
      eobrun--;
    }
  };

  const decodeScan = (seg: number, len: number): number => {
    const fr = frame;
    if (fr === null) return corrupt('scan (SOS) before the frame header (SOF)');
    const ns = b[seg];
    const scomps: Component[] = [];
    for (let i = 0; i < ns; i++) {
      const id = b[seg + 1 + 2 * i];
      const c = fr!.comps.find((x) => x.id === id);
      if (c === undefined) corrupt(`scan names component ${id}, which the frame does not have`);
      c!.dcTable = b[seg + 2 + 2 * i] >> 4;
      c!.acTable = b[seg + 2 + 2 * i] & 15;
      scomps.push(c!);
    }
    const p = seg + 1 + 2 * ns;
    const ss = b[p];
    const se = b[p + 1];
    const ah = b[p + 2] >> 4;
    const al = b[p + 2] & 15;
    if (fr!.progressive && (se > 63 || ss > se || (ss === 0 && se !== 0) || (ss > 0 && ns !== 1))) corrupt(`invalid progressive scan (Ss ${ss}, Se ${se}, ${ns} components)`);
    for (const c of scomps) c.pred = 0;
    eobrun = 0;
    const r = new BitReader(b, seg + len - 2, source);
    const single = ns === 1;
    const total = single ? scomps[0].bw * scomps[0].bh : fr!.mcusX * fr!.mcusY;
    const run = (c: Component, by: number, bx: number): void => {
      if (fr!.progressive) {
        progressiveBlock(r, c, (by * c.bwMcu + bx) * 64, ss, se, ah, al);
      } else {
        decodeSequentialBlock(r, c);
        idctBlock(c, seqBlock, 0, by, bx);
      }
    };
    for (let n = 0; n < total; n++) {
      if (restartInterval > 0 && n > 0 && n % restartInterval === 0) {
        r.restart();
        for (const c of scomps) c.pred = 0;
        eobrun = 0;
      }
      if (single) {
        const c = scomps[0];
        run(c, Math.floor(n / c.bw), n % c.bw);
      } else {
        const my = Math.floor(n / fr!.mcusX);
        const mx = n % fr!.mcusX;
        for (const c of scomps) {
          for (let y = 0; y < c.v; y++) for (let x = 0; x < c.h; x++) run(c, my * c.v + y, mx * c.h + x);
        }
      }
    }
    // continue after the entropy-coded data: the next marker that is not RSTn or stuffing
    let o = r.pos;
    for (;;) {
      while (o < b.length && b[o] !== 0xff) o++;
      if (o + 1 >= b.length) return b.length;
      const nx = b[o + 1];
      if (nx === 0x00 || nx === 0xff || (nx >= 0xd0 && nx <= 0xd7)) { o += nx === 0xff ? 1 : 2; continue; }
      return o;
    }
  };

  let off = 2;
  while (off < b.length) {
    while (off < b.length && b[off] !== 0xff) off++;
    while (off < b.length && b[off] === 0xff) off++;
    if (off >= b.length) break;
    const m = b[off++];
    if (m === 0xd9) break;
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) continue;
    const len = (b[off] << 8) | b[off + 1];
    const seg = off + 2;
    const end = off + len;
    if (m === 0xdb) {
      for (let p = seg; p < end;) {
        const pq = b[p] >> 4;
        const tq = b[p] & 15;
        p++;
        if (tq > 3) corrupt(`quantization table id ${tq}`);
        const t = new Uint16Array(64);
        for (let k = 0; k < 64; k++) {
          t[ZIGZAG[k]] = pq ? (b[p] << 8) | b[p + 1] : b[p];
          p += pq ? 2 : 1;
        }
        quant[tq] = t;
      }
    } else if (m === 0xc4) {
      for (let p = seg; p < end;) {
        const tc = b[p] >> 4;
        const th = b[p] & 15;
        if (th > 3 || tc > 1) corrupt(`Huffman table class ${tc} id ${th}`);
        const counts = b.subarray(p + 1, p + 17);
        let total = 0;
        for (let i = 0; i < 16; i++) total += counts[i];
        if (p + 17 + total > end) corrupt('Huffman table longer than its segment');
        const values = b.slice(p + 17, p + 17 + total);
        (tc === 0 ? dcTables : acTables)[th] = buildHuffman(counts, values, source);
        p += 17 + total;
      }
    } else if (m === 0xc0 || m === 0xc1 || m === 0xc2) {
      buildFrame(seg, m === 0xc2);
    } else if (m === 0xdd) {
      restartInterval = (b[seg] << 8) | b[seg + 1];
    } else if (m === 0xda) {
      off = decodeScan(seg, len);
      continue;
    }
    off = end;
  }
  const fr = frame as Frame | null;
  if (fr === null) return corrupt('no frame header');
  if (fr.progressive) {
    for (const c of fr.comps) {
      for (let by = 0; by < c.bhMcu; by++) for (let bx = 0; bx < c.bwMcu; bx++) idctBlock(c, c.coefs!, (by * c.bwMcu + bx) * 64, by, bx);
      c.coefs = null;
    }
  }
  return { width: fr.width, height: fr.height, comps: fr.comps };
}

/** Scaled component planes → RGB at the output size (libjpeg's fixed-point YCbCr → RGB). */
function toRgb(comps: readonly Component[], W: number, H: number, ycc: boolean): RgbImage {
  const out = new Uint8Array(W * H * 3);
  const sample = (c: Component, y: number, x: number): number => c.plane[Math.floor(y / c.repY) * c.pw + Math.floor(x / c.repX)];
  if (comps.length === 1) {
    const c = comps[0];
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const v = sample(c, y, x);
      const o = (y * W + x) * 3;
      out[o] = v; out[o + 1] = v; out[o + 2] = v;
    }
    return { data: out, width: W, height: H, channels: 3, format: 'jpeg' };
  }
  const [c0, c1, c2] = comps;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      out[o] = sample(c0, y, x);
      out[o + 1] = sample(c1, y, x);
      out[o + 2] = sample(c2, y, x);
    }
  }
  if (ycc) libjpegYccToRgbInPlace(out);
  return { data: out, width: W, height: H, channels: 3, format: 'jpeg' };
}

/**
 * libjpeg's jdcolor.c fixed-point YCbCr → RGB over interleaved samples, in place; FIX(x) = round(x·2¹⁶):
 *   R = Y + ((FIX(1.402)·(Cr−128) + 2¹⁵) >> 16)
 *   G = Y + ((−FIX(0.34414)·(Cb−128) − FIX(0.71414)·(Cr−128) + 2¹⁵) >> 16)
 *   B = Y + ((FIX(1.772)·(Cb−128) + 2¹⁵) >> 16), each clamped to [0, 255].
 */
export function libjpegYccToRgbInPlace(data: Uint8Array): void {
  const FIX = (x: number): number => Math.round(x * 65536);
  const cr2r = FIX(1.402);
  const cb2b = FIX(1.772);
  const cb2g = FIX(0.34414);
  const cr2g = FIX(0.71414);
  const clamp = (x: number): number => (x < 0 ? 0 : x > 255 ? 255 : x);
  for (let p = 0; p < data.length; p += 3) {
    const y = data[p];
    const cb = data[p + 1] - 128;
    const cr = data[p + 2] - 128;
    data[p] = clamp(y + ((cr2r * cr + 32768) >> 16));
    data[p + 1] = clamp(y + ((-cb2g * cb - cr2g * cr + 32768) >> 16));
    data[p + 2] = clamp(y + ((cb2b * cb + 32768) >> 16));
  }
}
