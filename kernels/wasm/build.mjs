// SPDX-License-Identifier: Apache-2.0
/**
 * `npm run build:wasm`: compiles the AssemblyScript kernels (kernels/wasm/*.ts) into one shared-memory
 * SIMD module (plus a plain-memory twin for browsers without cross-origin isolation) and puts it, with the worker script, where the backend looks for it relative to its
 * own file: kernels/wasm/build/ (for src/backend/*.ts run from source, e.g. by vitest) and
 * dist/kernels/wasm/build/ (for dist/src/backend/*.js).
 *
 * Flags (docs: wasm-simd.md §1): SIMD + threads (shared memory), no runtime (kernels allocate
 * nothing, so the module has no globals, data segments or start function and every worker can
 * instantiate it on the same memory), memory imported from JS, -O3, no asserts.
 * MAX_PAGES must equal WASM_MAX_PAGES in src/backend/wasm-module.ts.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const MAX_PAGES = 16384; // 1 GiB
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const outDirs = [join(here, 'build'), join(root, 'dist', 'kernels', 'wasm', 'build')];
const wasmName = 'mobilenetv2-simd.wasm';
const singleName = 'mobilenetv2-simd-st.wasm';
const workerFiles = ['wasm-worker.cjs', 'wasm-worker-web.mjs', 'compute-loop.mjs'];

mkdirSync(outDirs[0], { recursive: true });
// Two builds of the same kernels: on shared memory (worker threads; Node, and browsers when
// crossOriginIsolated) and on plain memory (browsers without isolation, where shared memory cannot
// be created: one thread). A module that imports a shared memory cannot take a plain one.
const variants = [
  { file: wasmName, memory: ['--sharedMemory'] },
  { file: singleName, memory: [] },
];
for (const v of variants) {
  const { error, stderr } = await asc.main([
    join(here, 'index.ts'),
    '--enable', 'simd', '--enable', 'threads',
    '--runtime', 'stub', '--importMemory', ...v.memory, '--maximumMemory', String(MAX_PAGES),
    '-O3', '--noAssert',
    '-o', join(outDirs[0], v.file),
  ]);
  if (error) {
    process.stderr.write(stderr.toString());
    process.stderr.write(`build:wasm: ${error.message}\n`);
    process.exit(1);
  }
}
for (const dir of outDirs.slice(1)) {
  mkdirSync(dir, { recursive: true });
  for (const v of variants) copyFileSync(join(outDirs[0], v.file), join(dir, v.file));
}
// Worker scripts: Node's (CommonJS) and the browser's (module worker), sharing compute-loop.mjs.
for (const dir of outDirs) for (const f of workerFiles) copyFileSync(join(here, f), join(dir, f));
console.log(`build:wasm: ${outDirs.map((d) => join(d, wasmName)).join(', ')}`);
