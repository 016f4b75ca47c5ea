// SPDX-License-Identifier: Apache-2.0
/**
 * `mobilenetv2 classify` on a photo several times larger than the model input (the real binary,
 * dist/: `npm run build` first): decoded DCT-scaled by default (--json records decodedScale and the
 * text output names the file's own size), at full size with --full-decode. The shared hot-dog
 * photo, enlarged ×2.5 (bilinear) and written by jpeg-js's encoder, is a 1280×960 JPEG: 1/4 keeps
 * 320×240 ≥ 224×224. Same top-1 class either way (a confident photo; the two inputs differ by the
 * f×f box mean only, see README "Large photos").
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/io/image/decode.js';
import { HAVE_SHARED, REPO_ROOT, sharedPath } from '../helpers/shared.js';

const BIN = join(REPO_ROOT, 'bin', 'mobilenetv2.js');
const cli = (args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MOBILENETV2_OFFLINE: '1' }, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe.skipIf(!HAVE_SHARED)('classify a large JPEG', () => {
  it('decodes it DCT-scaled by default (recorded), at full size with --full-decode; same top-1', () => {
    const src = decodeImage(new Uint8Array(readFileSync(sharedPath('images', 'hot_dog.jpg'))), 'hot_dog.jpg');
    const W = 1280, H = 960;
    const rgba = new Uint8Array(W * H * 4);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const sy = Math.min(src.height - 1, Math.max(0, ((y + 0.5) * src.height) / H - 0.5));
      const sx = Math.min(src.width - 1, Math.max(0, ((x + 0.5) * src.width) / W - 0.5));
      const y0 = Math.floor(sy), x0 = Math.floor(sx), y1 = Math.min(src.height - 1, y0 + 1), x1 = Math.min(src.width - 1, x0 + 1);
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number): number => src.data[(yy * src.width + xx) * 3 + c]!;
        const fx = sx - x0, fy = sy - y0;
        const v = (p(y0, x0) * (1 - fx) + p(y0, x1) * fx) * (1 - fy) + (p(y1, x0) * (1 - fx) + p(y1, x1) * fx) * fy;
        rgba[(y * W + x) * 4 + c] = Math.round(v);
      }
      rgba[(y * W + x) * 4 + 3] = 255;
    }
    const file = join(mkdtempSync(join(tmpdir(), 'mnv2-large-')), 'hot_dog_1280.jpg');
    writeFileSync(file, jpeg.encode({ data: rgba, width: W, height: H }, 90).data);
    const model = sharedPath('models', 'mobilenet_v2_1.0_224_quant.tflite');

    const scaled = cli(['classify', file, '--model', model, '--json', '--top', '1', '--jpeg-scaling', 'on']);
    expect(scaled.code, scaled.err).toBe(0);
    const a = JSON.parse(scaled.out) as Array<{ decodedScale?: object; predictions: { index: number; label: string }[]; preprocessing: { source: { width: number } } }>;
    expect(a[0]!.decodedScale).toEqual({ factor: 4, fullWidth: 1280, fullHeight: 960 });
    expect(a[0]!.preprocessing.source.width).toBe(320);

    const full = cli(['classify', file, '--model', model, '--json', '--top', '1']); // default 'auto': 1.2 MP is below 16 MP, full decode
    expect(cli(['classify', file, '--model', model, '--json', '--top', '1', '--full-decode']).out).toBe(full.out);
    expect(full.code, full.err).toBe(0);
    const b = JSON.parse(full.out) as typeof a;
    expect(b[0]!.decodedScale).toBeUndefined();
    expect(b[0]!.preprocessing.source.width).toBe(1280);
    expect(a[0]!.predictions[0]!.index).toBe(b[0]!.predictions[0]!.index);
    console.log(`[classify-large] top-1 scaled ${a[0]!.predictions[0]!.label} / full ${b[0]!.predictions[0]!.label}`);

    const text = cli(['classify', file, '--model', model, '--top', '1', '--jpeg-scaling', 'on']);
    expect(text.out.split('\n')[0]).toMatch(/hot_dog_1280\.jpg {2}1280x960 \(decoded at 1\/4\)/);
  }, 300_000);
});
