// SPDX-License-Identifier: Apache-2.0
/**
 * Faster bilinear resize and channel concatenation for the fast backends (ts-fast, wasm-simd),
 * BIT-IDENTICAL to the scalar kernels (kernels/f32-resize-nhwc.ts, kernels/f32-concat-nhwc.ts).
 * DeepLab's final upsampling is their main user: 33×33×21 → 513×513×21 is 5.5 M outputs, about
 * an eighth of the whole network's time on the scalar kernel.
 *
 * Resize, separably: the scalar kernel computes, per output element, in float64
 *   top = gx·x[y0,x0] + fx·x[y0,x1],  bottom = gx·x[y1,x0] + fx·x[y1,x1],  out = f32(gy·top + fy·bottom).
 * `top` depends only on (input row y0, output column, channel), so it is computed once per input
 * row that some output row reads (a Float64Array row of outW·C, exact: float64 stores a float64),
 * and every output row only blends two such rows. Same coordinates (resizeSourceCoord), same
 * operations in the same order on the same float64 values, one rounding on store: the same bits,
 * NaN and ±Inf included (0·∞ still meets the same operands). Upsampling 33 → 513 rows then costs
 * 33 horizontal rows instead of 1026.
 *
 * Concat: per pixel, a block copy of each part's channels (copyWithin when the part and the output
 * live in the same buffer — the wasm-simd zero-copy scope — else set() of a subarray), instead of
 * an element loop. A copy either way: every bit passes through.
 *
 * Invalid arguments (and overlapping buffers) go to the scalar kernels, so errors are theirs.
 */
import type { ConcatPart, ResizeDims, ResizeMode } from './backend.js';
import { f32ResizeBilinearNhwc, resizeSourceCoord, RESIZE_COORDINATE_MODES } from '../../kernels/f32-resize-nhwc.js';
import { f32ConcatChannelsNhwc } from '../../kernels/f32-concat-nhwc.js';

const posInt = (v: number): boolean => Number.isInteger(v) && v >= 1;
const overlaps = (a: Float32Array, b: Float32Array): boolean =>
  a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;

/** Horizontal rows, reused across calls (grown on demand). */
let rows = new Float64Array(0);

/** Same contract and bits as f32ResizeBilinearNhwc (see the file comment). */
/**
 * The row half of a separable bilinear resize, shared by the fast backends (TypeScript and WASM):
 * for each output row its two input rows y0, y1 (clamped at the edge) and weights fy = sy − y0,
 * gy = 1 − fy; and the input rows read at all, numbered in first-use order (`slot`, −1 = unread),
 * so each is resized horizontally once.
 */
export interface BilinearRowPlan {
  readonly y0s: Int32Array;
  readonly y1s: Int32Array;
  readonly fys: Float64Array;
  readonly gys: Float64Array;
  readonly slot: Int32Array;
  readonly used: number;
}

export function bilinearRowPlan(inH: number, outH: number, mode: ResizeMode): BilinearRowPlan {
  const y0s = new Int32Array(outH);
  const y1s = new Int32Array(outH);
  const fys = new Float64Array(outH);
  const gys = new Float64Array(outH);
  const slot = new Int32Array(inH).fill(-1);
  let used = 0;
  for (let oy = 0; oy < outH; oy++) {
    const sy = resizeSourceCoord(oy, inH, outH, mode);
    const y0 = Math.floor(sy);
    const y1 = y0 + 1 < inH ? y0 + 1 : inH - 1;
    y0s[oy] = y0;
    y1s[oy] = y1;
    fys[oy] = sy - y0;
    gys[oy] = 1 - (sy - y0);
    if (slot[y0] === -1) slot[y0] = used++;
    if (slot[y1] === -1) slot[y1] = used++;
  }
  return { y0s, y1s, fys, gys, slot, used };
}

export function fastResizeBilinearNhwc(out: Float32Array, x: Float32Array, dims: ResizeDims, mode: ResizeMode): void {
  const { n: batch, inH, inW, c: C, outH, outW } = dims;
  if (
    !posInt(batch) || !posInt(inH) || !posInt(inW) || !posInt(C) || !posInt(outH) || !posInt(outW) || !RESIZE_COORDINATE_MODES.includes(mode) ||
    x.length !== batch * inH * inW * C || out.length !== batch * outH * outW * C || overlaps(out, x)
  ) {
    f32ResizeBilinearNhwc(out, x, dims, mode); // throws the scalar kernel's error
    return;
  }
  const rowLen = outW * C;
  // Column taps, shared by every row.
  const x0s = new Int32Array(outW);
  const x1s = new Int32Array(outW);
  const fxs = new Float64Array(outW);
  const gxs = new Float64Array(outW);
  for (let ox = 0; ox < outW; ox++) {
    const sx = resizeSourceCoord(ox, inW, outW, mode);
    const x0 = Math.floor(sx);
    x0s[ox] = x0 * C;
    x1s[ox] = (x0 + 1 < inW ? x0 + 1 : inW - 1) * C;
    fxs[ox] = sx - x0;
    gxs[ox] = 1 - (sx - x0);
  }
  // Row taps, and which input rows are read at all.
  const { y0s, y1s, fys, gys, slot, used } = bilinearRowPlan(inH, outH, mode);
  if (rows.length < used * rowLen) rows = new Float64Array(used * rowLen);
  const h = rows;
  const rowStride = inW * C;

  for (let n = 0; n < batch; n++) {
    const xBase = n * inH * rowStride;
    // Horizontal pass: top/bottom of the scalar kernel, once per used input row.
    for (let y = 0; y < inH; y++) {
      const s = slot[y]!;
      if (s < 0) continue;
      const src = xBase + y * rowStride;
      let o = s * rowLen;
      for (let ox = 0; ox < outW; ox++) {
        const p0 = src + x0s[ox]!;
        const p1 = src + x1s[ox]!;
        const fx = fxs[ox]!;
        const gx = gxs[ox]!;
        for (let c = 0; c < C; c++) h[o++] = gx * x[p0 + c]! + fx * x[p1 + c]!;
      }
    }
    // Vertical pass: out = gy·top + fy·bottom, rounded to float32 on store.
    for (let oy = 0; oy < outH; oy++) {
      const t = slot[y0s[oy]!]! * rowLen;
      const b = slot[y1s[oy]!]! * rowLen;
      const fy = fys[oy]!;
      const gy = gys[oy]!;
      const o = (n * outH + oy) * rowLen;
      for (let i = 0; i < rowLen; i++) out[o + i] = gy * h[t + i]! + fy * h[b + i]!;
    }
  }
}

/** Same contract and bits as f32ConcatChannelsNhwc (see the file comment). */
export function fastConcatChannelsNhwc(out: Float32Array, parts: readonly ConcatPart[], pixels: number): void {
  let total = 0;
  let valid = posInt(pixels);
  for (const p of parts) {
    total += p.channels;
    if (!posInt(p.channels) || p.data.length !== pixels * p.channels || overlaps(out, p.data)) valid = false;
  }
  if (!valid || out.length !== pixels * total) {
    f32ConcatChannelsNhwc(out, parts, pixels); // throws the scalar kernel's error (or copies overlapping buffers its way)
    return;
  }
  let offset = 0;
  for (const p of parts) {
    const C = p.channels;
    const d = p.data;
    if (C < 16) {
      for (let px = 0; px < pixels; px++) {
        const src = px * C;
        const dst = px * total + offset;
        for (let c = 0; c < C; c++) out[dst + c] = d[src + c]!;
      }
    } else if (d.buffer === out.buffer) {
      // One view over the shared buffer; copyWithin needs no temporary views.
      const o0 = out.byteOffset / 4;
      const s0 = d.byteOffset / 4;
      const all = new Float32Array(out.buffer, 0, Math.max(o0 + out.length, s0 + d.length));
      for (let px = 0; px < pixels; px++) {
        const src = s0 + px * C;
        all.copyWithin(o0 + px * total + offset, src, src + C);
      }
    } else {
      for (let px = 0; px < pixels; px++) out.set(d.subarray(px * C, px * C + C), px * total + offset);
    }
    offset += C;
  }
}
