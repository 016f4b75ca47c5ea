// SPDX-License-Identifier: Apache-2.0
/**
 * Drawing detections on an image: a rectangle per detection in a colour per class, and a label
 * ("PERSON 87%") in a small bitmap font on a filled background of the same colour. Pure pixel
 * arithmetic on RgbImage (no canvas), so it runs anywhere; the result is a copy at the image's own
 * resolution.
 *
 * The font is our own 5×7 design (upper case, digits and a little punctuation; lower case is drawn
 * as upper case, anything else as '?'), scaled by an integer factor so labels stay readable on
 * large images: scale = max(1, round(min(width, height) / 320)). Lines are
 * max(2, round(min(width, height) / 250)) pixels wide, drawn inside the box edge.
 */
import type { RgbImage } from './image.js';

const GLYPH_W = 5;
const GLYPH_H = 7;

/** Glyph rows, top to bottom; '#' = ink. */
const GLYPHS: Record<string, readonly string[]> = {
  A: ['.###.', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  B: ['####.', '#...#', '#...#', '####.', '#...#', '#...#', '####.'],
  C: ['.###.', '#...#', '#....', '#....', '#....', '#...#', '.###.'],
  D: ['####.', '#...#', '#...#', '#...#', '#...#', '#...#', '####.'],
  E: ['#####', '#....', '#....', '####.', '#....', '#....', '#####'],
  F: ['#####', '#....', '#....', '####.', '#....', '#....', '#....'],
  G: ['.###.', '#...#', '#....', '#.###', '#...#', '#...#', '.####'],
  H: ['#...#', '#...#', '#...#', '#####', '#...#', '#...#', '#...#'],
  I: ['.###.', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  J: ['..###', '...#.', '...#.', '...#.', '...#.', '#..#.', '.##..'],
  K: ['#...#', '#..#.', '#.#..', '##...', '#.#..', '#..#.', '#...#'],
  L: ['#....', '#....', '#....', '#....', '#....', '#....', '#####'],
  M: ['#...#', '##.##', '#.#.#', '#.#.#', '#...#', '#...#', '#...#'],
  N: ['#...#', '#...#', '##..#', '#.#.#', '#..##', '#...#', '#...#'],
  O: ['.###.', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  P: ['####.', '#...#', '#...#', '####.', '#....', '#....', '#....'],
  Q: ['.###.', '#...#', '#...#', '#...#', '#.#.#', '#..#.', '.##.#'],
  R: ['####.', '#...#', '#...#', '####.', '#.#..', '#..#.', '#...#'],
  S: ['.####', '#....', '#....', '.###.', '....#', '....#', '####.'],
  T: ['#####', '..#..', '..#..', '..#..', '..#..', '..#..', '..#..'],
  U: ['#...#', '#...#', '#...#', '#...#', '#...#', '#...#', '.###.'],
  V: ['#...#', '#...#', '#...#', '#...#', '#...#', '.#.#.', '..#..'],
  W: ['#...#', '#...#', '#...#', '#.#.#', '#.#.#', '#.#.#', '.#.#.'],
  X: ['#...#', '#...#', '.#.#.', '..#..', '.#.#.', '#...#', '#...#'],
  Y: ['#...#', '#...#', '.#.#.', '..#..', '..#..', '..#..', '..#..'],
  Z: ['#####', '....#', '...#.', '..#..', '.#...', '#....', '#####'],
  0: ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  1: ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  2: ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  3: ['#####', '...#.', '..#..', '...#.', '....#', '#...#', '.###.'],
  4: ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  5: ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  6: ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  7: ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  8: ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  9: ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
  '%': ['##...', '##..#', '...#.', '..#..', '.#...', '#..##', '...##'],
  '.': ['.....', '.....', '.....', '.....', '.....', '.##..', '.##..'],
  ',': ['.....', '.....', '.....', '.....', '.##..', '..#..', '.#...'],
  '-': ['.....', '.....', '.....', '#####', '.....', '.....', '.....'],
  '/': ['.....', '....#', '...#.', '..#..', '.#...', '#....', '.....'],
  ':': ['.....', '.##..', '.##..', '.....', '.##..', '.##..', '.....'],
  '(': ['...#.', '..#..', '.#...', '.#...', '.#...', '..#..', '...#.'],
  ')': ['.#...', '..#..', '...#.', '...#.', '...#.', '..#..', '.#...'],
  '?': ['.###.', '#...#', '....#', '...#.', '..#..', '.....', '..#..'],
  "'": ['..#..', '..#..', '.#...', '.....', '.....', '.....', '.....'],
  _: ['.....', '.....', '.....', '.....', '.....', '.....', '#####'],
  '#': ['.#.#.', '.#.#.', '#####', '.#.#.', '#####', '.#.#.', '.#.#.'],
  '+': ['.....', '..#..', '..#..', '#####', '..#..', '..#..', '.....'],
  '=': ['.....', '.....', '#####', '.....', '#####', '.....', '.....'],
};

function glyph(ch: string): readonly string[] {
  return GLYPHS[ch.toUpperCase()] ?? GLYPHS['?']!;
}

export type Rgb = readonly [number, number, number];

/** A mutable RGB canvas over a copy of the image. */
export interface Canvas {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Fills [x0, x1) × [y0, y1), clipped to the canvas. */
export function fillRect(c: Canvas, x0: number, y0: number, x1: number, y1: number, color: Rgb): void {
  const xa = Math.max(0, Math.floor(x0)), xb = Math.min(c.width, Math.ceil(x1));
  const ya = Math.max(0, Math.floor(y0)), yb = Math.min(c.height, Math.ceil(y1));
  for (let y = ya; y < yb; y++) {
    for (let x = xa; x < xb; x++) {
      const o = (y * c.width + x) * 3;
      c.data[o] = color[0];
      c.data[o + 1] = color[1];
      c.data[o + 2] = color[2];
    }
  }
}

/** Width and height in pixels of `text` at an integer `scale` (one blank column between glyphs). */
export function textSize(text: string, scale: number): { width: number; height: number } {
  const n = [...text].length;
  return { width: n === 0 ? 0 : (n * (GLYPH_W + 1) - 1) * scale, height: GLYPH_H * scale };
}

/** Draws `text` with its top-left corner at (x, y), clipped to the canvas. */
export function drawText(c: Canvas, x: number, y: number, text: string, scale: number, color: Rgb): void {
  let cx = x;
  for (const ch of text) {
    const rows = glyph(ch);
    for (let r = 0; r < GLYPH_H; r++) {
      for (let k = 0; k < GLYPH_W; k++) {
        if (rows[r]![k] === '#') fillRect(c, cx + k * scale, y + r * scale, cx + (k + 1) * scale, y + (r + 1) * scale, color);
      }
    }
    cx += (GLYPH_W + 1) * scale;
  }
}

/** A distinct, saturated colour per class (golden-ratio hue steps). */
export function classColor(classIndex: number): Rgb {
  const h = (((classIndex * 0.618033988749895) % 1) + 1) % 1;
  const s = 0.85, v = 0.95;
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
  const [r, g, b] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][i % 6]!;
  return [Math.round(r! * 255), Math.round(g! * 255), Math.round(b! * 255)];
}

/** Black or white, whichever reads better on `bg` (Rec. 601 luma). */
function textColorOn(bg: Rgb): Rgb {
  return 0.299 * bg[0] + 0.587 * bg[1] + 0.114 * bg[2] > 140 ? [0, 0, 0] : [255, 255, 255];
}

export interface DrawableDetection {
  /** Pixels of the image drawn on; may reach past its border (clipped when drawn). */
  readonly boxPixels: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly label: string;
  readonly score: number;
  /** Picks the colour. */
  readonly classIndex: number;
}

export interface DrawOptions {
  /** Line width in pixels; default max(2, round(min(W, H) / 250)). */
  lineWidth?: number;
  /** Integer font scale; default max(1, round(min(W, H) / 320)). */
  textScale?: number;
  /** Label text; default `${label} ${round(score·100)}%`. */
  text?: (d: DrawableDetection) => string;
}

/**
 * Draws every detection (lowest score first, so the best ends on top, and all labels after all
 * boxes) on a copy of `img`. Labels sit just above the box, or inside its top edge when there is no
 * room above; they are shifted left to stay inside the image.
 */
export function drawDetections(img: RgbImage, detections: readonly DrawableDetection[], options: DrawOptions = {}): RgbImage {
  const { width: W, height: H } = img;
  const c: Canvas = { data: img.data.slice(), width: W, height: H };
  const minSide = Math.min(W, H);
  const lw = Math.max(1, Math.round(options.lineWidth ?? Math.max(2, Math.round(minSide / 250))));
  const scale = Math.max(1, Math.round(options.textScale ?? Math.max(1, Math.round(minSide / 320))));
  const pad = Math.max(1, Math.round(scale * 1.5));
  const textOf = options.text ?? ((d: DrawableDetection) => `${d.label} ${Math.round(d.score * 100)}%`);
  const order = [...detections].sort((a, b) => a.score - b.score);
  const boxes: Array<{ d: DrawableDetection; x0: number; y0: number; x1: number; y1: number; color: Rgb }> = [];
  for (const d of order) {
    const b = d.boxPixels;
    if (![b.x, b.y, b.width, b.height].every(Number.isFinite)) continue;
    const x0 = Math.max(0, Math.round(b.x)), y0 = Math.max(0, Math.round(b.y));
    const x1 = Math.min(W, Math.round(b.x + b.width)), y1 = Math.min(H, Math.round(b.y + b.height));
    if (x1 <= x0 || y1 <= y0) continue; // entirely outside the image (or empty)
    const color = classColor(d.classIndex);
    boxes.push({ d, x0, y0, x1, y1, color });
    fillRect(c, x0, y0, x1, y0 + lw, color);
    fillRect(c, x0, y1 - lw, x1, y1, color);
    fillRect(c, x0, y0, x0 + lw, y1, color);
    fillRect(c, x1 - lw, y0, x1, y1, color);
  }
  for (const { d, x0, y0, color } of boxes) {
    const text = textOf(d);
    const t = textSize(text, scale);
    const bw = t.width + 2 * pad, bh = t.height + 2 * pad;
    let lx = x0;
    if (lx + bw > W) lx = Math.max(0, W - bw);
    const ly = y0 - bh >= 0 ? y0 - bh : y0;
    fillRect(c, lx, ly, lx + bw, ly + bh, color);
    drawText(c, lx + pad, ly + pad, text, scale, textColorOn(color));
  }
  return { data: c.data, width: W, height: H, channels: 3, format: 'raw' };
}
