// SPDX-License-Identifier: Apache-2.0
/**
 * Loopback server for the demo page (`npm run demo`) and the browser tests (spec/browser/).
 *
 *   /demo/…, /kernels/wasm/build/…, /dist/…,  files of this repository (nothing else is served)
 *   /spec/browser/page/…
 *   /…/NAME.bundle.js                         NAME.ts or NAME.js beside it, bundled on request by
 *                                             esbuild for the browser (`#host`, `#platform` → the browser
 *                                             host's source), so the page runs the current sources
 *   /shared/…                                 ../shared (models, images), when present
 *   /bench/browser/…                          the in-browser bench page (bench/browser/)
 *   MOUNT/…                                   each `mounts` entry { '/MOUNT/': directory } (the bench
 *                                             serves the peers' .wasm files and its weights this way)
 *
 * With `isolated` (the default) every response carries Cross-Origin-Opener-Policy: same-origin and
 * Cross-Origin-Embedder-Policy: require-corp, which make the page crossOriginIsolated: the condition
 * for SharedArrayBuffer, hence for the wasm-simd backend's Web Workers. Without them the library
 * runs one thread and says so.
 *
 * Usage: node demo/serve.mjs [--port 8080] [--no-isolation]. Binds 127.0.0.1 only.
 */
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SHARED = resolve(ROOT, '..', 'shared');
const SERVED = ['demo', 'kernels/wasm/build', 'dist', 'spec/browser/page', 'bench/browser'];

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.cjs': 'text/javascript',
  '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.bmp': 'image/bmp', '.svg': 'image/svg+xml',
  '.tflite': 'application/octet-stream', '.txt': 'text/plain; charset=utf-8',
};

/** Resolves `rel` under `base`, or null when it escapes it. */
function inside(base, rel) {
  const p = normalize(join(base, rel));
  return p === base || p.startsWith(base + sep) ? p : null;
}

async function bundle(entry) {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    sourcemap: 'inline',
    tsconfigRaw: {},
    logLevel: 'silent',
    plugins: [{
      name: 'mobilenetv2-sources',
      setup(b) {
        b.onResolve({ filter: /^#(host|platform)$/ }, (a) => ({ path: join(ROOT, 'src', 'browser', `${a.path.slice(1)}.ts`) }));
        // Specs reused in the page (spec/backend/cases.ts …) import vitest for their assertions.
        b.onResolve({ filter: /^vitest$/ }, () => ({ path: join(ROOT, 'spec', 'browser', 'page', 'vitest-shim.ts') }));
      },
    }],
  });
  return result.outputFiles[0].contents;
}

/**
 * Starts the server. Options: port (0 = any free port), isolated (COOP/COEP, default true),
 * log (function for request errors), mounts ({ '/prefix/': absolute directory }: more folders to
 * serve). Resolves to { url, close(), requests } once listening.
 */
export function startServer({ port = 0, isolated = true, log = () => {}, mounts = {} } = {}) {
  const bundles = new Map();
  const requests = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    requests.push(path);
    const headers = isolated
      ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' }
      : {};
    const send = (status, body, type) => {
      res.writeHead(status, { ...headers, 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    try {
      if (path === '/' || path === '/demo') {
        res.writeHead(302, { ...headers, Location: '/demo/' });
        res.end();
        return;
      }
      if (path.endsWith('.bundle.js')) {
        const stem = path.slice(1, -'.bundle.js'.length);
        const entry = ['.ts', '.js'].map((e) => inside(ROOT, stem + e)).find((p) => p !== null && existsSync(p));
        if (!entry) return send(404, Buffer.from(`no entry for ${path}`), 'text/plain');
        if (!bundles.has(entry)) bundles.set(entry, bundle(entry));
        return send(200, Buffer.from(await bundles.get(entry)), 'text/javascript');
      }
      let file = null;
      const mount = Object.keys(mounts).find((m) => path.startsWith(m));
      if (mount !== undefined) file = inside(resolve(mounts[mount]), path.slice(mount.length));
      else if (path.startsWith('/shared/')) file = inside(SHARED, path.slice('/shared/'.length));
      else if (SERVED.some((d) => path.startsWith(`/${d}/`))) file = inside(ROOT, path.slice(1));
      if (file !== null && existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
      if (file === null || !existsSync(file)) return send(404, Buffer.from(`not found: ${path}`), 'text/plain');
      return send(200, readFileSync(file), TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream');
    } catch (e) {
      log(`${path}: ${e instanceof Error ? e.message : String(e)}`);
      return send(500, Buffer.from(String(e instanceof Error ? e.message : e)), 'text/plain');
    }
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address();
      resolvePromise({
        url: `http://127.0.0.1:${bound}`,
        requests,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args[portAt + 1]) : Number(process.env.PORT ?? 8080);
  const isolated = !args.includes('--no-isolation');
  const { url } = await startServer({ port, isolated, log: (m) => console.error(m) });
  console.log(`mobilenetv2 demo: ${url}/demo/  (${isolated ? 'crossOriginIsolated: threads available' : 'no COOP/COEP: one thread'}; models and images from ${existsSync(SHARED) ? SHARED : 'your own files'}; Ctrl-C stops)`);
}
