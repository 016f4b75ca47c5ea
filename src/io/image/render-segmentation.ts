// SPDX-License-Identifier: Apache-2.0
/**
 * Rendering a segmentation for people: the class map as palette colours or as an 8-bit id mask
 * (VOC convention), and an α-blended overlay on the original image with class outlines. Rendering
 * lives with the images; the model (src/model/segmentation.ts) only computes the class map.
 */
import { VOC_VOID, vocColormap, type ClassMap } from '../../model/segmentation.js';
import { shapeError, usageError } from '../../errors.js';
import { drawLegend, type LegendEntry, type LegendLayout } from './draw.js';

/** 8-bit HWC pixels, ready for encodePng (1 = grey, 3 = RGB channels). */
export interface RenderedPixels {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
}

/** Class map → pixels for encodePng: 'rgb' (default) paints the palette colours; 'ids' writes the ids as grey values (VOC mask convention, NO_PREDICTION → 255). */
export function renderClassMap(map: ClassMap, options: { format?: 'rgb' | 'ids'; palette?: Uint8Array } = {}): RenderedPixels {
  const { width, height, data } = map;
  if (data.length !== width * height) throw shapeError(`renderClassMap: class map has ${data.length} ids, expected ${width}x${height}`);
  if (options.format === 'ids') {
    if (map.classes > VOC_VOID) throw usageError(`renderClassMap: ${map.classes} classes do not fit 8-bit ids (at most ${VOC_VOID}, 255 is void)`);
    const out = new Uint8Array(width * height);
    for (let i = 0; i < out.length; i++) out[i] = data[i]! < 0 ? VOC_VOID : data[i]!;
    return { data: out, width, height, channels: 1 };
  }
  const palette = options.palette ?? vocColormap(Math.max(256, map.classes));
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) {
    const id = data[i]!;
    if (id < 0) continue; // no prediction: black
    if ((id + 1) * 3 > palette.length) throw usageError(`renderClassMap: palette has ${palette.length / 3} colours, class ${id} needs more`);
    out[i * 3] = palette[id * 3]!;
    out[i * 3 + 1] = palette[id * 3 + 1]!;
    out[i * 3 + 2] = palette[id * 3 + 2]!;
  }
  return { data: out, width, height, channels: 3 };
}

export interface OverlayOptions {
  palette?: Uint8Array;
  background?: boolean;
  outline?: number;
  /**
   * A legend in the top-left corner (draw.ts legendLayout): for every class painted in the overlay
   * (present in the map; background only with `background`), most pixels first, its palette colour
   * as a swatch and `names[id]` (or "class id").
   */
  legend?: { readonly names: readonly string[] };
}

/** The legend entries renderOverlay draws: classes painted in the overlay, most pixels first (ties: lower id). */
export function overlayLegendEntries(map: ClassMap, options: OverlayOptions & { legend: { readonly names: readonly string[] } }): (LegendEntry & { id: number; pixels: number })[] {
  const palette = options.palette ?? vocColormap(Math.max(256, map.classes));
  const counts = new Map<number, number>();
  for (let i = 0; i < map.data.length; i++) {
    const id = map.data[i]!;
    if (id < 0 || (id === 0 && options.background !== true)) continue;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([id, pixels]) => ({ id, pixels, name: options.legend.names[id] ?? `class ${id}`, color: [palette[id * 3]!, palette[id * 3 + 1]!, palette[id * 3 + 2]!] as const }));
}

/**
 * Blends the class colours over an RGB image of the same size: out = (1 − α)·image + α·colour,
 * rounded. Background (class 0) and pixels without a prediction are left as they are unless
 * `background` is true. With `legend`, a swatch + name per painted class is drawn on top.
 */
export function renderOverlay(
  image: { readonly data: Uint8Array; readonly width: number; readonly height: number },
  map: ClassMap, alpha = 0.5, options: OverlayOptions = {},
): RenderedPixels & { legend?: LegendLayout | null } {
  if (image.width !== map.width || image.height !== map.height) {
    throw shapeError(`renderOverlay: image is ${image.width}x${image.height} but the class map is ${map.width}x${map.height} (segment with output 'input-size')`);
  }
  if (image.data.length !== image.width * image.height * 3) throw shapeError(`renderOverlay: image data has ${image.data.length} bytes, expected ${image.width}x${image.height}x3`);
  if (!(alpha >= 0 && alpha <= 1)) throw usageError(`renderOverlay: alpha must be in [0, 1], got ${String(alpha)}`);
  const palette = options.palette ?? vocColormap(Math.max(256, map.classes));
  const out = new Uint8Array(image.data);
  for (let i = 0; i < map.data.length; i++) {
    const id = map.data[i]!;
    if (id < 0 || (id === 0 && options.background !== true)) continue;
    if ((id + 1) * 3 > palette.length) throw usageError(`renderOverlay: palette has ${palette.length / 3} colours, class ${id} needs more`);
    for (let ch = 0; ch < 3; ch++) {
      out[i * 3 + ch] = Math.round((1 - alpha) * image.data[i * 3 + ch]! + alpha * palette[id * 3 + ch]!);
    }
  }
  // Outlines: a blend alone hides pale classes on pale objects (VOC's car is mid grey, a white truck
  // stays white), so every segment also gets a solid border, black on light colours, white on dark.
  const outline = options.outline ?? 2;
  if (outline > 0) {
    const { width, height } = map;
    const r = Math.floor(outline);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const id = map.data[y * width + x]!;
        if (id < 0 || (id === 0 && options.background !== true)) continue;
        let edge = false;
        for (let dy = -r; dy <= r && !edge; dy++) {
          for (let dx = -r; dx <= r; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
            if (map.data[yy * width + xx] !== id) { edge = true; break; }
          }
        }
        if (!edge) continue;
        const luma = 0.299 * palette[id * 3]! + 0.587 * palette[id * 3 + 1]! + 0.114 * palette[id * 3 + 2]!;
        const v = luma > 96 ? 0 : 255;
        const o = (y * width + x) * 3;
        out[o] = v; out[o + 1] = v; out[o + 2] = v;
      }
    }
  }
  if (options.legend !== undefined) {
    const legend = drawLegend({ data: out, width: image.width, height: image.height }, overlayLegendEntries(map, { ...options, legend: options.legend }));
    return { data: out, width: image.width, height: image.height, channels: 3, legend };
  }
  return { data: out, width: image.width, height: image.height, channels: 3 };
}
