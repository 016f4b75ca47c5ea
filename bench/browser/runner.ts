// SPDX-License-Identifier: Apache-2.0
/**
 * The in-browser row of `npm run bench`: Debian's Chromium (driven by playwright-core with
 * executablePath; never a browser download) opens bench/browser/index.html from demo/serve.mjs's
 * loopback server with COOP/COEP (crossOriginIsolated: SharedArrayBuffer, so Web Workers for
 * every runtime), once per peer thread count, and page.ts times ours (wasm-simd 1T, 2T), TF.js
 * WASM and ONNX Runtime Web side by side on the classifier 1.0/224 of bench/models.ts.
 *
 * Node builds the model exactly as the Node bench does (buildModel), and serves the page its
 * state dict (writeStateDict), the oracle logits (writeOracle) and the ONNX export (ensureOnnx;
 * without /usr/bin/python3 + torch the ORT cells say so); the peers' .wasm files come from
 * node_modules through the server's mounts. Without Chromium the result is a skip reason.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildModel, MODEL_CONFIGS, type ModelConfig } from '../models.js';
import { writeOracle } from '../oracle.js';
import { CACHE_DIR, ensureOnnx, writeStateDict } from '../peers/onnx.js';
import { repoPath } from '../paths.js';
import type { PageJob, PageResult } from './page.js';

/** The network of the browser row: MobileNetV2 1.0/224, float, golden-recipe weights. */
export const BROWSER_MODEL = 'classifier 1.0/224';
export const CHROMIUM = process.env.MOBILENETV2_CHROMIUM ?? '/usr/bin/chromium';

export interface BrowserBenchOptions {
  /** One page per entry: the threads TF.js WASM and ORT Web get in it (default [1, 2]). */
  readonly peerThreads?: readonly number[];
  /** Timed runs per runtime = rounds × runsPerRound (rounds 0: correctness only). */
  readonly rounds?: number;
  readonly runsPerRound?: number;
  readonly warmupMs?: number;
  readonly log?: (line: string) => void;
}

export type BrowserBench =
  | { readonly ok: true; readonly model: ModelConfig; readonly chromium: string; readonly pages: PageResult[]; readonly notes: string[] }
  | { readonly ok: false; readonly skipped: string };

type Harness = typeof import('./page.js');
declare const bench: Harness;

/** The folder of a package's main file: dist/ for both peers (their .wasm and ESM files live there). */
const mainDir = (name: string): string => dirname(createRequire(import.meta.url).resolve(name));

export async function runBrowserBench(options: BrowserBenchOptions = {}): Promise<BrowserBench> {
  const log = options.log ?? (() => {});
  if (!existsSync(CHROMIUM)) {
    return { ok: false, skipped: `${CHROMIUM} not found — install it with \`sudo apt-get install -y chromium\` (Debian) or set MOBILENETV2_CHROMIUM` };
  }
  const model = MODEL_CONFIGS.find((c) => c.name === BROWSER_MODEL)!;
  const notes: string[] = [];
  const m = buildModel(model);
  if (m.net.kind !== 'classifier') throw new Error(`${BROWSER_MODEL} is not a classifier`);
  const c = m.config;
  const stem = join(CACHE_DIR, `browser-mobilenet_v2_${c.width}_${c.resolution}_seed${c.seed}`);
  writeStateDict(m.net.stateDict, stem, { width: c.width, classes: c.classes, resolution: c.resolution });
  await writeOracle(m, `${stem}.oracle.f32`);
  let onnxUrl: string | null = null;
  try {
    onnxUrl = `/bench-cache/${ensureOnnx(m).slice(CACHE_DIR.length + 1)}`;
  } catch (e) {
    notes.push(`ORT Web not run: ${(e as Error).message}`);
  }

  // Dynamic, so a machine without Chromium or playwright never loads them.
  const { launch } = await import('../../spec/browser/chromium.js');
  const serve = (await import(pathToFileURL(repoPath('demo', 'serve.mjs')).href)) as typeof import('../../demo/serve.mjs');
  const serverLog: string[] = [];
  const server = await serve.startServer({
    isolated: true,
    log: (l) => serverLog.push(l),
    mounts: {
      '/peers/tfjs-wasm/': mainDir('@tensorflow/tfjs-backend-wasm'),
      '/peers/ort/': mainDir('onnxruntime-web'),
      '/bench-cache/': CACHE_DIR,
    },
  });
  const browser = await launch();
  const pages: PageResult[] = [];
  try {
    for (const peerThreads of options.peerThreads ?? [1, 2]) {
      log(`browser: ${BROWSER_MODEL}, peers at ${peerThreads} thread${peerThreads > 1 ? 's' : ''}`);
      const page = await browser.newPage();
      const console: string[] = [];
      page.on('console', (msg) => { if (msg.type() === 'error') console.push(msg.text()); });
      page.on('pageerror', (e) => console.push(e.message));
      try {
        await page.goto(`${server.url}/bench/browser/index.html`);
        await page.waitForFunction("document.title === 'ready'", null, { timeout: 60_000 });
        const job: PageJob = {
          config: model,
          manifestUrl: `/bench-cache/${stem.slice(CACHE_DIR.length + 1)}.json`,
          blobUrl: `/bench-cache/${stem.slice(CACHE_DIR.length + 1)}.f32`,
          oracleUrl: `/bench-cache/${stem.slice(CACHE_DIR.length + 1)}.oracle.f32`,
          onnxUrl,
          tfjsWasmPrefix: '/peers/tfjs-wasm/',
          ortPrefix: '/peers/ort/',
          peerThreads,
          rounds: options.rounds ?? 4,
          runsPerRound: options.runsPerRound ?? 5,
          warmupMs: options.warmupMs ?? 1500,
        };
        const result = await page.evaluate((j) => bench.run(j), job);
        for (const r of result.rows) log(`  ${r.label}: ${r.error !== undefined ? `FAILED ${r.error}` : r.medianMs !== undefined ? `${r.medianMs.toFixed(1)} ms` : 'checked'}`);
        pages.push(result);
      } catch (e) {
        notes.push(`page with peers at ${peerThreads} thread(s) failed: ${(e as Error).message.split('\n')[0]}${console.length > 0 ? ` (page: ${console.slice(-2).join(' / ')})` : ''}`);
      } finally {
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  if (serverLog.length > 0) notes.push(`server: ${serverLog.slice(-3).join(' / ')}`);
  return { ok: true, model, chromium: CHROMIUM, pages, notes };
}
