// SPDX-License-Identifier: Apache-2.0
/**
 * A very small plotting helper for the teaching figures: an RGB canvas cut into a grid of panels,
 * scatter plots with autoscaled axes (like matplotlib's default), channel images of a feature map,
 * and titles in the project's bitmap font (src/io/image/draw.ts). Output goes through the project's
 * PNG writer. No antialiasing, no native code: the figures are for reading, the numbers are tested.
 */
import { drawText, fillRect, textSize, type Canvas, type Rgb } from '../io/image/draw.js';
import { encodePng } from '../io/image/decode.js';

export type { Rgb } from '../io/image/draw.js';

export interface Figure extends Canvas {
  readonly data: Uint8Array;
}

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];
export const GREY: Rgb = [160, 160, 160];

export function createFigure(width: number, height: number, background: Rgb = WHITE): Figure {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(background, i * 3);
  return { data, width, height };
}

export function figurePng(f: Figure): Uint8Array {
  return encodePng({ data: f.data, width: f.width, height: f.height, channels: 3 });
}

/** Text with its top-left corner at (x, y); scale is an integer pixel multiplier of the 5×7 font. */
export function label(f: Figure, x: number, y: number, text: string, scale = 1, color: Rgb = BLACK): void {
  drawText(f, x, y, text, scale, color);
}

export function labelWidth(text: string, scale = 1): number {
  return textSize(text, scale).width;
}

/** A one-pixel rectangle outline. */
export function frame(f: Figure, x: number, y: number, w: number, h: number, color: Rgb = GREY): void {
  fillRect(f, x, y, x + w, y + 1, color);
  fillRect(f, x, y + h - 1, x + w, y + h, color);
  fillRect(f, x, y, x + 1, y + h, color);
  fillRect(f, x + w - 1, y, x + w, y + h, color);
}

/** Rainbow-ish colour for a parameter u in [0, 1] (hue 0 → 0.8), to follow a curve along its length. */
export function rampColor(u: number): Rgb {
  const h = Math.min(1, Math.max(0, u)) * 0.8;
  const i = Math.floor(h * 6);
  const fr = h * 6 - i;
  const v = 0.9, s = 0.9;
  const p = v * (1 - s), q = v * (1 - fr * s), t = v * (1 - (1 - fr) * s);
  const [r, g, b] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][i % 6]!;
  return [Math.round(r! * 255), Math.round(g! * 255), Math.round(b! * 255)];
}

/**
 * Scatter plot of points (xs[i], ys[i]) in the panel (x, y, w, h) with equal-aspect autoscaled
 * axes and a small margin; each point a 2×2 dot of colors[i].
 */
export function scatter(f: Figure, x: number, y: number, w: number, h: number, xs: ArrayLike<number>, ys: ArrayLike<number>, colors: readonly Rgb[]): void {
  frame(f, x, y, w, h);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    x0 = Math.min(x0, xs[i]!); x1 = Math.max(x1, xs[i]!);
    y0 = Math.min(y0, ys[i]!); y1 = Math.max(y1, ys[i]!);
  }
  if (!Number.isFinite(x0)) return;
  const span = Math.max(x1 - x0, y1 - y0, 1e-12);
  const scale = (Math.min(w, h) - 12) / span;
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  for (let i = 0; i < xs.length; i++) {
    const px = Math.round(x + w / 2 + (xs[i]! - cx) * scale);
    const py = Math.round(y + h / 2 - (ys[i]! - cy) * scale);
    fillRect(f, px - 1, py - 1, px + 1, py + 1, colors[i]!);
  }
}

/**
 * One channel of an NHWC feature map [H, W, C] (batch 1) drawn at (x, y), each value a zoom×zoom
 * block. `scale` maps values to colour: 'unsigned' paints [0, max] black → white (ReLU6 outputs),
 * 'signed' paints [−max, max] blue → white → red (linear bottlenecks), so zero is always white.
 */
export function channelImage(
  f: Figure, x: number, y: number, data: ArrayLike<number>, shape: readonly [number, number, number],
  channel: number, zoom: number, max: number, scale: 'unsigned' | 'signed',
): void {
  const [h, w, c] = shape;
  const m = max > 0 ? max : 1;
  for (let r = 0; r < h; r++) {
    for (let col = 0; col < w; col++) {
      const v = data[(r * w + col) * c + channel]!;
      let color: Rgb;
      if (scale === 'unsigned') {
        const g = Math.round(255 * Math.min(1, Math.max(0, v / m)));
        color = [g, g, g];
      } else {
        const u = Math.min(1, Math.abs(v) / m);
        const fade = Math.round(255 * (1 - u));
        color = v >= 0 ? [255, fade, fade] : [fade, fade, 255];
      }
      fillRect(f, x + col * zoom, y + r * zoom, x + (col + 1) * zoom, y + (r + 1) * zoom, color);
    }
  }
}
