// SPDX-License-Identifier: Apache-2.0
/**
 * The browser graph is free of Node built-ins: the package, resolved by its own name exactly as a
 * user's bundler sees it (package.json `exports` / `imports` with the browser conditions), bundled
 * by esbuild for the browser platform. esbuild cannot resolve `node:*` there, so any Node import
 * reachable from the browser entry fails the build; the metafile is checked as well. Prints the
 * min+gzip size of the browser entry (the README quotes it).
 *
 * Needs dist/ (`npm test` builds first).
 */
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const built = existsSync(new URL('dist/src/browser/index.js', root));

async function bundle(contents: string, platform: 'browser' | 'node') {
  return build({
    stdin: { contents, resolveDir: root.pathname },
    // The user's tsconfig, not ours: our `paths` maps #platform to the Node source for tsc.
    tsconfigRaw: {},
    bundle: true,
    platform,
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
}

describe('browser entry (esbuild --platform=browser)', () => {
  it('package.json: exports has node and browser/default conditions with types, imports maps #host and #platform, sideEffects is false', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
    const dot = pkg.exports['.'];
    expect(Object.keys(dot)).toEqual(['node', 'browser', 'default']);
    for (const c of ['node', 'browser', 'default']) expect(dot[c].types).toMatch(/\.d\.ts$/);
    expect(dot.node.default).toBe('./dist/src/index.js');
    expect(dot.browser.default).toBe('./dist/src/browser/index.js');
    expect(pkg.imports['#platform']).toEqual({ node: './dist/src/node/platform.js', default: './dist/src/browser/platform.js' });
    expect(pkg.imports['#host']).toEqual({ node: './dist/src/node/host.js', default: './dist/src/browser/host.js' });
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.exports['./kernels.wasm']).toBe('./dist/kernels/wasm/build/mobilenetv2-simd.wasm');
  });

  it.skipIf(!built && process.env.CI !== 'true')('bundles with no node: import; reports min+gzip size', async () => {
    expect(built, 'dist/src/browser/index.js is missing: run `npm run build`').toBe(true);
    let result;
    try {
      result = await bundle("export * from 'mobilenetv2';", 'browser');
    } catch (e) {
      const errors = (e as { errors?: Array<{ text: string; location?: { file: string } }> }).errors ?? [];
      throw new Error(`the browser graph does not bundle:\n${errors.map((x) => `${x.text} (${x.location?.file ?? '?'})`).join('\n')}`);
    }
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((f) => f.startsWith('node:') || /\/src\/node\//.test(f))).toEqual([]);
    expect(inputs).toContain('dist/src/browser/platform.js');
    expect(inputs).toContain('dist/src/browser/host.js');
    const js = result.outputFiles[0]!.contents;
    expect(new TextDecoder().decode(js)).not.toMatch(/["']node:[a-z_/]+["']/);
    const gz = gzipSync(js, { level: 9 }).length;
    console.log(`browser entry: ${(js.length / 1024).toFixed(1)} KiB minified, ${(gz / 1024).toFixed(1)} KiB min+gzip (esbuild --platform=browser --minify, gzip -9)`);
  });

  it.skipIf(!built && process.env.CI !== 'true')('control: the same check catches a node: import (the Node entry does not bundle for the browser)', async () => {
    await expect(bundle("import 'node:fs';", 'browser')).rejects.toThrow(/node:fs/);
    // and the node condition does select the Node host
    const r = await bundle("export * from 'mobilenetv2';", 'node');
    expect(Object.keys(r.metafile.inputs)).toEqual(expect.arrayContaining(['dist/src/node/platform.js', 'dist/src/node/host.js']));
  });
});
