// SPDX-License-Identifier: Apache-2.0
/**
 * End to end: the demo page (demo/, served by demo/serve.mjs with COOP/COEP, as `npm run demo`
 * does) in Chromium: load the shared uint8 classifier, classify cat.bmp through the file input,
 * read the top-5 from the DOM, open a layer in the explorer, and save a screenshot whose path is
 * printed. Every request the page makes must go to the loopback server (no external URLs).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type DemoServer } from '../../demo/serve.mjs';
import { HAVE_CHROMIUM, launch, type Browser } from './chromium.js';
import { HAVE_SHARED, sharedPath } from '../helpers/shared.js';

describe.skipIf(!HAVE_CHROMIUM || !HAVE_SHARED)('demo page in Chromium', () => {
  let browser: Browser;
  let server: DemoServer;

  beforeAll(async () => {
    server = await startServer({ isolated: true });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads the model, classifies cat.bmp (top-5 in the DOM), shows a layer\'s feature maps; screenshot saved', async () => {
    const page = await browser.newPage();
    const foreign: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith(server.url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url()); });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.setViewportSize({ width: 1200, height: 1400 });
    await page.goto(`${server.url}/demo/?model=/shared/models/mobilenet_v2_1.0_224_quant.tflite&backend=wasm-simd&threads=2`);
    await page.waitForSelector('#model-status[data-ready="true"]', { timeout: 30_000 });
    expect(await page.textContent('#model-status')).toMatch(/mobilenet_v2_1\.0_224_quant.*classifier, wasm-simd, 2 thread/);

    await page.setInputFiles('#file', sharedPath('images', 'cat.bmp'));
    await page.waitForSelector('#top5 li', { timeout: 30_000 });
    const top5 = await page.$$eval('#top5 li', (lis) => lis.map((li) => li.textContent ?? ''));
    expect(top5).toHaveLength(5);
    // The integer path gives the interpreter's own uint8 softmax: 204/256 (../shared/README.md: ≈ 0.80).
    expect(top5[0]).toBe('Egyptian cat — 79.69 % (index 286)');
    expect(await page.textContent('#timing')).toMatch(/\d+\.\d ms per image · wasm-simd, 2 thread/);

    await page.click('#layers tr[data-layer="features.2"]');
    await page.waitForSelector('#maps canvas', { timeout: 30_000 });
    expect(await page.textContent('#tap-stats')).toMatch(/^features\.2: shape \[1, 56, 56, 24\] \(NHWC\)/);
    expect(await page.$$eval('#maps canvas', (c) => c.length)).toBe(24);
    expect(await page.$$eval('#layers tbody tr', (r) => r.length)).toBe(19); // stem, 17 bottlenecks, 1×1 conv (Table 2)
    expect(await page.textContent('#error')).toBe('');

    const shot = join(tmpdir(), `mobilenetv2-demo-${process.pid}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`demo screenshot: ${shot}`);
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  });
});
