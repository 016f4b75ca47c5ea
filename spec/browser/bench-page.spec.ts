// SPDX-License-Identifier: Apache-2.0
/**
 * Smoke test of the in-browser bench row (bench/browser/): the page loads in Chromium from the
 * loopback server, crossOriginIsolated, and every runtime in it — ours (wasm-simd 1 and 2
 * threads), TF.js WASM, ONNX Runtime Web — gives the oracle's top-1 on the bench input (the
 * oracle: our ts-fast logits computed in Node, bit-identical to the scalar backend). Correctness
 * only: nothing is timed here (speed is measured by `npm run bench`, never asserted).
 *
 * ORT Web needs the ONNX export of the bench weights (/usr/bin/python3 with torch, see
 * bench/peers/onnx.ts); without it the ORT row is checked absent-with-reason and the test says so.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM } from './chromium.js';
import { runBrowserBench } from '../../bench/browser/runner.js';
import { PYTHON } from '../../bench/peers/onnx.js';

const HAVE_TORCH = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' }).status === 0;
if (!HAVE_TORCH) console.warn(`SKIP bench page: ORT Web's top-1 is not checked — ${PYTHON} cannot import torch + torchvision (the ONNX export needs them)`);

describe.skipIf(!HAVE_CHROMIUM)('in-browser bench page in Chromium', () => {
  it('loads crossOriginIsolated; ours 1T/2T, TF.js WASM and ORT Web all give the oracle\'s top-1 on the same weights', async () => {
    const result = await runBrowserBench({ peerThreads: [2], rounds: 0 });
    if (!result.ok) throw new Error(result.skipped);
    expect(result.notes.filter((n) => !n.startsWith('ORT Web not run'))).toEqual([]);
    expect(result.pages).toHaveLength(1);
    const page = result.pages[0]!;
    expect(page.crossOriginIsolated).toBe(true);
    const runtimes = page.rows.map((r) => `${r.runtime} ${r.runtime === 'wasm-simd' ? r.threads : ''}`.trim());
    expect(runtimes).toEqual(['wasm-simd 1', 'wasm-simd 2', 'tfjs-wasm', 'ort-web']);
    const checked = page.rows.filter((r) => r.runtime !== 'ort-web' || HAVE_TORCH);
    for (const r of checked) {
      expect(r.error, r.label).toBeUndefined();
      expect(r.top1, r.label).toBe(r.oracleTop1);
      expect(r.medianMs, 'rounds: 0 times nothing').toBeUndefined();
    }
    if (!HAVE_TORCH) expect(page.rows.find((r) => r.runtime === 'ort-web')!.error).toMatch(/no ONNX file/);
    console.log(`bench page: top-1 ${page.rows[0]!.oracleTop1} for ${checked.map((r) => r.label).join(', ')}`);
  });
});
