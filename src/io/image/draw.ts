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

/** Draws `text` with its top-left corner at (x, y), clipped to the canvas and to columns < maxX. */
export function drawText(c: Canvas, x: number, y: number, text: string, scale: number, color: Rgb, maxX = c.width): void {
  let cx = x;
  for (const ch of text) {
    const rows = glyph(ch);
    for (let r = 0; r < GLYPH_H; r++) {
      for (let k = 0; k < GLYPH_W; k++) {
        if (rows[r]![k] === '#') fillRect(c, cx + k * scale, y + r * scale, Math.min(maxX, cx + (k + 1) * scale), y + (r + 1) * scale, color);
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

/** A rectangle [x0, x1) × [y0, y1) in pixels. */
export interface Rect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** Where drawDetections puts each box and its label. */
export interface DetectionLayout {
  readonly lineWidth: number;
  readonly textScale: number;
  /** Padding around label text, in pixels. */
  readonly pad: number;
  /** Drawing order: lowest score first (the best ends on top). */
  readonly boxes: readonly { readonly detection: DrawableDetection; readonly rect: Rect; readonly color: Rgb }[];
  /** One per box, same order; `overlaps` is true only when no free place was found. */
  readonly labels: readonly { readonly text: string; readonly rect: Rect; readonly color: Rgb; readonly overlaps: boolean }[];
}

const intersects = (a: Rect, b: Rect): boolean => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/**
 * Boxes clipped to the image and label rectangles that do not overlap each other. Labels are
 * placed best score first, each at the first free place among: just above the box, inside its
 * top edge, just below it, inside its bottom edge — each left-aligned with the box (or right-
 * aligned when that is the only fit) and shifted to stay inside the image — then the same places
 * moved 1, 2, … label heights further out (above the top / below the bottom). A label that finds
 * no free place takes its first choice and is marked `overlaps`.
 */
export function layoutDetections(width: number, height: number, detections: readonly DrawableDetection[], options: DrawOptions = {}): DetectionLayout {
  const W = width, H = height;
  const minSide = Math.min(W, H);
  const lw = Math.max(1, Math.round(options.lineWidth ?? Math.max(2, Math.round(minSide / 250))));
  const scale = Math.max(1, Math.round(options.textScale ?? Math.max(1, Math.round(minSide / 320))));
  const pad = Math.max(1, Math.round(scale * 1.5));
  const textOf = options.text ?? ((d: DrawableDetection) => `${d.label} ${Math.round(d.score * 100)}%`);
  const order = [...detections].sort((a, b) => a.score - b.score);
  const boxes: Array<{ detection: DrawableDetection; rect: Rect; color: Rgb }> = [];
  for (const d of order) {
    const b = d.boxPixels;
    if (![b.x, b.y, b.width, b.height].every(Number.isFinite)) continue;
    const x0 = Math.max(0, Math.round(b.x)), y0 = Math.max(0, Math.round(b.y));
    const x1 = Math.min(W, Math.round(b.x + b.width)), y1 = Math.min(H, Math.round(b.y + b.height));
    if (x1 <= x0 || y1 <= y0) continue; // entirely outside the image (or empty)
    boxes.push({ detection: d, rect: { x0, y0, x1, y1 }, color: classColor(d.classIndex) });
  }
  const labels: Array<{ text: string; rect: Rect; color: Rgb; overlaps: boolean } | undefined> = boxes.map(() => undefined);
  const placed: Rect[] = [];
  const clampX = (x: number, bw: number): number => Math.max(0, Math.min(x, W - bw));
  for (let i = boxes.length - 1; i >= 0; i--) { // best score first
    const { detection, rect: r, color } = boxes[i]!;
    const text = textOf(detection);
    const t = textSize(text, scale);
    const bw = t.width + 2 * pad, bh = t.height + 2 * pad;
    const candidates: Rect[] = [];
    const maxSteps = Math.ceil(H / bh) + 1;
    for (let step = 0; step <= maxSteps; step++) {
      for (const y of [r.y0 - bh - step * bh, r.y0 + step * bh, r.y1 + step * bh, r.y1 - bh - step * bh]) {
        if (y < 0 || y + bh > H) continue;
        for (const x of [clampX(r.x0, bw), clampX(r.x1 - bw, bw)]) candidates.push({ x0: x, y0: y, x1: x + bw, y1: y + bh });
      }
    }
    const free = candidates.find((c) => !placed.some((p) => intersects(c, p)));
    const first = candidates[0] ?? { x0: clampX(r.x0, bw), y0: Math.max(0, Math.min(r.y0, H - bh)), x1: clampX(r.x0, bw) + bw, y1: Math.max(0, Math.min(r.y0, H - bh)) + bh };
    const rect = free ?? first;
    placed.push(rect);
    labels[i] = { text, rect, color, overlaps: free === undefined };
  }
  return { lineWidth: lw, textScale: scale, pad, boxes, labels: labels as Array<{ text: string; rect: Rect; color: Rgb; overlaps: boolean }> };
}

/**
 * Draws every detection (lowest score first, so the best ends on top, and all labels after all
 * boxes) on a copy of `img`, with the labels where layoutDetections puts them: never over another
 * label, inside the image.
 */
export function drawDetections(img: RgbImage, detections: readonly DrawableDetection[], options: DrawOptions = {}): RgbImage {
  const { width: W, height: H } = img;
  const c: Canvas = { data: img.data.slice(), width: W, height: H };
  const layout = layoutDetections(W, H, detections, options);
  const lw = layout.lineWidth;
  for (const { rect: { x0, y0, x1, y1 }, color } of layout.boxes) {
    fillRect(c, x0, y0, x1, y0 + lw, color);
    fillRect(c, x0, y1 - lw, x1, y1, color);
    fillRect(c, x0, y0, x0 + lw, y1, color);
    fillRect(c, x1 - lw, y0, x1, y1, color);
  }
  for (const { text, rect, color } of layout.labels) {
    fillRect(c, rect.x0, rect.y0, rect.x1, rect.y1, color);
    drawText(c, rect.x0 + layout.pad, rect.y0 + layout.pad, text, layout.textScale, textColorOn(color));
  }
  return { data: c.data, width: W, height: H, channels: 3, format: 'raw' };
}

/** One legend row: a colour swatch and a name. */
export interface LegendEntry {
  readonly name: string;
  readonly color: Rgb;
}

/** Where drawLegend puts the panel, each row's swatch and text. */
export interface LegendLayout {
  readonly textScale: number;
  readonly panel: Rect;
  readonly rows: readonly { readonly name: string; readonly color: Rgb | null; readonly swatch: Rect | null; readonly textAt: { readonly x: number; readonly y: number } }[];
  /** Entries that did not fit (summarised in a last "+N MORE" row). */
  readonly hidden: number;
}

export const LEGEND_BACKGROUND: Rgb = [255, 255, 255];
export const LEGEND_INK: Rgb = [0, 0, 0];

/**
 * A legend panel in the top-left corner: per entry a square swatch of its colour (inside a
 * one-unit black frame) and its name, on white. Font scale as for detection labels:
 * max(1, round(min(W, H) / 320)). Rows that do not fit the image height are replaced by a last row
 * "+N MORE"; text that does not fit the width is clipped. Null when not even one row fits.
 */
export function legendLayout(width: number, height: number, entries: readonly LegendEntry[], options: { textScale?: number } = {}): LegendLayout | null {
  if (entries.length === 0) return null;
  const scale = Math.max(1, Math.round(options.textScale ?? Math.max(1, Math.round(Math.min(width, height) / 320))));
  const pad = 2 * scale;
  const rowH = GLYPH_H * scale + 2 * pad;
  const sw = GLYPH_H * scale + 2 * scale; // swatch side incl. its frame
  const margin = pad;
  const fit = Math.floor((height - 2 * margin - pad) / rowH);
  if (fit < 1) return null;
  let shown = entries.length <= fit ? entries.length : fit - 1;
  const hidden = entries.length - shown;
  const rowsOf: Array<{ name: string; color: Rgb | null }> = entries.slice(0, shown).map((e) => ({ name: e.name, color: e.color }));
  if (hidden > 0) rowsOf.push({ name: `+${hidden} more`, color: null });
  shown = rowsOf.length;
  const textW = Math.max(...rowsOf.map((r) => textSize(r.name, scale).width));
  const panelW = Math.min(width - margin, margin + pad + sw + pad + textW + pad);
  const panel: Rect = { x0: margin, y0: margin, x1: Math.max(margin + 1, panelW), y1: margin + pad + shown * rowH };
  const rows = rowsOf.map((r, i) => {
    const top = panel.y0 + pad + i * rowH;
    const swatch: Rect | null = r.color === null ? null : { x0: panel.x0 + pad, y0: top + (rowH - sw) / 2, x1: panel.x0 + pad + sw, y1: top + (rowH - sw) / 2 + sw };
    return { name: r.name, color: r.color, swatch, textAt: { x: panel.x0 + pad + sw + pad, y: top + pad } };
  });
  return { textScale: scale, panel, rows, hidden };
}

/** Draws the legend of legendLayout on `c` (in place); returns the layout, or null if none fits. */
export function drawLegend(c: Canvas, entries: readonly LegendEntry[], options: { textScale?: number } = {}): LegendLayout | null {
  const layout = legendLayout(c.width, c.height, entries, options);
  if (layout === null) return null;
  const { panel, textScale: s } = layout;
  fillRect(c, panel.x0, panel.y0, panel.x1, panel.y1, LEGEND_BACKGROUND);
  for (const row of layout.rows) {
    if (row.swatch && row.color) {
      const q = row.swatch;
      fillRect(c, q.x0, q.y0, q.x1, q.y1, LEGEND_INK);
      fillRect(c, q.x0 + s, q.y0 + s, q.x1 - s, q.y1 - s, row.color);
    }
    drawText(c, row.textAt.x, row.textAt.y, row.name, s, LEGEND_INK, panel.x1);
  }
  return layout;
}
