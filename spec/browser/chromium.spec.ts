// SPDX-License-Identifier: Apache-2.0
/**
 * The library in a real Chromium (Debian's, driven by playwright-core; see chromium.ts), pages
 * served from a loopback server this test starts (demo/serve.mjs), with and without the COOP/COEP
 * headers that make a page crossOriginIsolated:
 *
 *  - the backend conformance suite (spec/backend/cases.ts) on every backend in the page, checked
 *    against the page's scalar oracle as in Node, and each output bit-identical to Node's;
 *  - the shared uint8 classifier: the same top-5 and the same logits bits as Node, with Web Workers
 *    on (1 and 2 threads) and off (no isolation: one thread and a visible warning);
 *  - image sources (URL, Blob, HTMLImageElement, ImageBitmap, ImageData, canvas) and the typed
 *    one-line errors (404, wrong bytes, hash mismatch, undecodable image).
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startServer, type DemoServer } from '../../demo/serve.mjs';
import { HAVE_CHROMIUM, launch, openHarness, type Browser } from './chromium.js';
import { HAVE_SHARED, sharedPath } from '../helpers/shared.js';
import { allCases } from '../backend/cases.js';
import { makeBackend } from '../backend/support.js';
import { bitsHash } from './page/hash.js';
import type { CaseResult, ClassifyRun, PageBackend } from './page/harness.js';
import { load } from '../../src/api.js';

const MODEL = 'mobilenet_v2_1.0_224_quant.tflite';
/**
 * The page runs every 2nd conformance case of each group by default (every group and shape class
 * is still covered; the whole list runs in Node's spec/backend/conformance.spec.ts);
 * MOBILENETV2_BROWSER_CASES=all runs them all here too.
 */
const EVERY = process.env.MOBILENETV2_BROWSER_CASES === 'all' ? 1 : 2;
const MODEL_SHA = '7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776';

type Harness = typeof import('./page/harness.js');
declare const harness: Harness;

describe.skipIf(!HAVE_CHROMIUM)('in Chromium', () => {
  let browser: Browser;
  let isolated: DemoServer;
  let plain: DemoServer;
  const log: string[] = [];
  let iso: Page;
  let noIso: Page;

  beforeAll(async () => {
    isolated = await startServer({ isolated: true, log: (m) => log.push(m) });
    plain = await startServer({ isolated: false, log: (m) => log.push(m) });
    browser = await launch();
    iso = await openHarness(browser, `${isolated.url}/spec/browser/page/index.html`, log);
    noIso = await openHarness(browser, `${plain.url}/spec/browser/page/index.html`, log);
  });

  afterAll(async () => {
    await browser?.close();
    await isolated?.close();
    await plain?.close();
    if (log.length > 0) console.log(`browser log:\n${log.join('\n')}`);
  });

  it('COOP/COEP make the page crossOriginIsolated; without them it is not', async () => {
    expect(await iso.evaluate('crossOriginIsolated')).toBe(true);
    expect(await noIso.evaluate('crossOriginIsolated')).toBe(false);
  });

  it('backend conformance suite on every backend in the page: oracle checks pass and every output has the same bits as in Node', async () => {
    const backends: PageBackend[] = [
      { kind: 'scalar', threads: 1 }, { kind: 'ts-fast', threads: 1 }, { kind: 'wasm-simd', threads: 1 }, { kind: 'wasm-simd', threads: 2 },
    ];
    const { results, workerChunks } = await iso.evaluate(([b, every]) => harness.runConformance(b, every), [backends, EVERY] as const);
    expect(results.length).toBeGreaterThan(200);
    expect(results.filter((r) => r.failure !== null).map((r) => r.failure)).toEqual([]);
    // The 2-thread backend really shared the work with its Web Worker.
    expect(workerChunks['wasm-simd 2T']).toBeGreaterThan(0);

    // Node: the same cases on ts-fast and wasm-simd 1 thread. The page's scalar equals its ts-fast
    // bit for bit (checked above), Node's ts-fast equals Node's scalar (spec/backend/conformance),
    // and thread counts never change bits: so every page backend is compared with Node here.
    const nodeHash = new Map<string, string>();
    for (const b of backends.filter((x) => x.threads === 1 && x.kind !== 'scalar')) {
      const backend = await makeBackend({ label: b.kind, kind: b.kind, threads: 1, exact: false });
      try {
        for (const { cases } of allCases()) for (const c of cases.filter((_, i) => i % EVERY === 0)) nodeHash.set(`${b.kind} 1T ${c.name}`, bitsHash(c.run(backend)));
      } finally {
        backend.dispose();
      }
    }
    const differ = (r: CaseResult, key: string): boolean => nodeHash.get(key) !== r.hash;
    const nodeKey = (r: CaseResult): string => `${r.backend.replace(' 2T', ' 1T').replace('scalar', 'ts-fast')} ${r.name}`;
    const mismatches = results.filter((r) => differ(r, nodeKey(r))).map((r) => `${r.backend} ${r.name}`);
    expect(mismatches, 'page outputs whose bits differ from Node').toEqual([]);
  });

  it.skipIf(!HAVE_SHARED)('classifier on the shared uint8 model: same top-5 and logits bits as Node, Web Workers on (1, 2 threads) and off (no isolation: 1 thread + warning)', async () => {
    const node = await load({ model: sharedPath('models', MODEL), backend: 'wasm-simd' });
    const want = await node.infer(sharedPath('images', 'cat.bmp'));
    node.dispose();
    const wantTop5 = want.predictions.slice(0, 5).map((p) => p.index);
    const wantHash = bitsHash(want.logits);
    expect(wantTop5[0]).toBe(286); // Egyptian cat (../shared/README.md: the TFLite interpreter's answer)

    const run = (page: Page, threads: number, backend: 'wasm-simd' | 'auto' | 'ts-fast' = 'wasm-simd'): Promise<ClassifyRun> =>
      page.evaluate(([m, t, b]) => harness.classify(m, '/shared/images/cat.bmp', { backend: b, threads: t }), [`/shared/models/${MODEL}`, threads, backend] as const);

    const one = await run(iso, 1);
    const two = await run(iso, 2);
    expect(two.threads).toBe(2);
    for (const r of [one, two]) {
      expect(r.top5.map((p) => p.index)).toEqual(wantTop5);
      expect(r.logitsHash).toBe(wantHash);
    }
    await noIso.evaluate(() => harness.takeWarnings());
    const solo = await run(noIso, 2, 'auto');
    expect(solo.threads).toBe(1);
    expect(solo.logitsHash).toBe(wantHash);
    const warned = await noIso.evaluate(() => harness.takeWarnings());
    expect(warned.join('\n')).toMatch(/2 threads requested .*not crossOriginIsolated.*running 1/);
    console.log(`browser classifier, cat.bmp: top-1 ${one.top5[0]!.label} ${(one.top5[0]!.probability * 100).toFixed(2)} %; wasm-simd ${one.ms.toFixed(0)} ms (1T), ${two.ms.toFixed(0)} ms (2T) — contended, not a benchmark`);
  });

  it.skipIf(!HAVE_SHARED)('images from a URL, Blob, HTMLImageElement, ImageBitmap, canvas and ImageData give the same top-5 (lossless BMP: same pixels)', async () => {
    const vias = ['url', 'blob', 'img', 'bitmap', 'canvas', 'imagedata'] as const;
    const runs: ClassifyRun[] = [];
    for (const via of vias) {
      runs.push(await iso.evaluate(([m, v]) => harness.classify(m, '/shared/images/cat.bmp', { backend: 'wasm-simd', threads: 1, via: v }), [`/shared/models/${MODEL}`, via] as const));
    }
    // Decoded by our BMP decoder (url, blob) or by Chromium via a canvas (others): an 8-bit BMP has
    // one right answer, so the logits bits agree too.
    for (const r of runs) expect(r.logitsHash, r.backend).toBe(runs[0]!.logitsHash);
    expect(runs[0]!.top5[0]!.index).toBe(286);
  });

  it.skipIf(!HAVE_SHARED)('downloads report progress, are kept in the Cache API and load again without the network; a store of your own works too', async () => {
    const before = isolated.requests.filter((p) => p.endsWith(MODEL)).length;
    const r = await iso.evaluate(async (url) => {
      const { lib } = harness;
      const progress: Array<[number, number]> = [];
      const first = await lib.load({ model: url, backend: 'ts-fast', onProgress: (l, t) => progress.push([l, t]) });
      first.dispose();
      const second = await lib.load({ model: url, backend: 'ts-fast', allowDownload: false });
      const secondName = second.name;
      second.dispose();
      const kept = new Map<string, Uint8Array>();
      const store = { get: async (k: string) => kept.get(k), put: async (k: string, b: Uint8Array) => { kept.set(k, b); } };
      (await lib.load({ model: url, backend: 'ts-fast', cache: store })).dispose();
      const third = await lib.load({ model: url, backend: 'ts-fast', cache: store, allowDownload: false });
      third.dispose();
      const offline = await harness.errorOf(() => lib.load({ model: url.replace('.tflite', '.missing.tflite'), cache: store, allowDownload: false }));
      return { progress, secondName, keys: [...kept.keys()], sizes: [...kept.values()].map((b) => b.length), offline };
    }, `${isolated.url}/shared/models/${MODEL}`);
    const size = statSync(sharedPath('models', MODEL)).size;
    expect(r.progress.length).toBeGreaterThan(2);
    expect(r.progress[r.progress.length - 1]).toEqual([size, size]);
    expect(r.progress.every(([l, t], i) => t === size && (i === 0 || l >= r.progress[i - 1]![0]))).toBe(true);
    expect(r.secondName).toBe('mobilenet_v2_1.0_224_quant'); // recognised by its sha256
    expect(r.sizes).toEqual([size]);
    expect(r.offline).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/not in the offline cache and downloads are off/) });
    // One download for the Cache API pair, one for the store pair: the second load of each came from the cache.
    expect(isolated.requests.filter((p) => p.endsWith(MODEL)).length - before).toBe(2);
  });

  it.skipIf(!HAVE_SHARED)('bad input gets the typed one-line errors of Node: 404, wrong bytes, hash mismatch, undecodable image', async () => {
    const errors = await iso.evaluate(async ([model, sha]) => {
      const { lib, errorOf } = harness;
      return {
        missing: await errorOf(() => lib.load({ model: '/shared/models/nope.tflite', cache: false })),
        wrongBytes: await errorOf(() => lib.load({ model: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) })),
        htmlAsModel: await errorOf(() => lib.load({ model: '/spec/browser/page/index.html', cache: false })),
        hash: await errorOf(() => lib.load({ model, sha256: sha.replace(/^7/, '8'), cache: false })),
        image: await errorOf(async () => {
          const m = await lib.load({ model, cache: false, backend: 'ts-fast' });
          try { await m.classify(new Blob([new Uint8Array([0x42, 0x4d, 1, 2, 3])])); } finally { m.dispose(); }
        }),
        notImage: await errorOf(async () => {
          const m = await lib.load({ model, cache: false, backend: 'ts-fast' });
          try { await m.classify('/spec/browser/page/index.html'); } finally { m.dispose(); }
        }),
      };
    }, [`/shared/models/${MODEL}`, MODEL_SHA] as const);
    expect(errors.missing).toMatchObject({ name: 'MobileNetV2Error', code: 'NOT_FOUND', message: expect.stringMatching(/nope\.tflite: HTTP 404/) });
    expect(errors.wrongBytes).toMatchObject({ name: 'MobileNetV2Error', code: 'FORMAT' });
    expect(errors.htmlAsModel).toMatchObject({ name: 'MobileNetV2Error', code: 'FORMAT' });
    expect(errors.hash).toMatchObject({ name: 'MobileNetV2Error', code: 'INTEGRITY', message: expect.stringMatching(/sha256 7aad0c74.*expected 8aad0c74/) });
    expect(errors.image).toMatchObject({ name: 'MobileNetV2Error', code: 'FORMAT' });
    expect(errors.notImage).toMatchObject({ name: 'MobileNetV2Error', code: 'FORMAT' });
    for (const e of Object.values(errors)) expect(e!.message).not.toMatch(/\n/);
  });
});
