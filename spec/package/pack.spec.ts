// SPDX-License-Identifier: Apache-2.0
/**
 * The package as a user gets it: `npm pack` the built tree, install the tarball into an empty
 * project with no network (`--offline`: dependencies come from the npm cache that `npm ci` filled),
 * and run the README's API example there, unchanged, against the shared models.
 *
 * Needs `npm run build` first (npm test does it); the tarball is packed with --ignore-scripts so
 * the test does not rebuild. The checks on the file list are about what users should (LICENSE,
 * NOTICE, the CLI, the WASM kernels, the labels) and should not (bench, specs, source maps) get.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HAVE_SHARED, REPO_ROOT, sharedPath } from '../helpers/shared.js';

const BUILT = existsSync(join(REPO_ROOT, 'dist', 'src', 'index.js'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface PackInfo { filename: string; integrity: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] }

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 240_000 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/** The first ```ts block under "## API" in the README: what a new user copies. */
function readmeApiExample(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const api = readme.slice(readme.indexOf('## API'));
  const m = /```ts\n([\s\S]*?)```/.exec(api);
  if (!m) throw new Error('README has no ```ts block under ## API');
  return m[1]!;
}

interface LockEntry { version?: string; resolved?: string; integrity?: string; dependencies?: Record<string, string>; dev?: boolean; optional?: boolean; [k: string]: unknown }

/** A lockfile for an app depending on the tarball: the runtime dependency entries are copied from ours. */
function appLockfile(spec: string, integrity: string): object {
  const ours = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const root = ours.packages['']!;
  const packages: Record<string, LockEntry> = {
    '': { name: 'app', version: '1.0.0', dependencies: { mobilenetv2: spec } },
    'node_modules/mobilenetv2': { version: root.version as string, resolved: spec, integrity, dependencies: root.dependencies, bin: root.bin, license: root.license },
  };
  const todo = Object.keys(root.dependencies ?? {});
  while (todo.length > 0) {
    const name = todo.pop()!;
    const key = `node_modules/${name}`;
    if (packages[key]) continue;
    const { dev: _d, optional: _o, ...entry } = ours.packages[key]!;
    packages[key] = entry;
    todo.push(...Object.keys(entry.dependencies ?? {}));
  }
  return { name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

describe.skipIf(!BUILT)('npm pack → offline install → README example', () => {
  const work = mkdtempSync(join(tmpdir(), 'mnv2-pack-'));
  let pack: PackInfo;

  it('packs only what users run, with LICENSE and NOTICE', () => {
    const r = run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', work], REPO_ROOT);
    expect(r.code, r.err).toBe(0);
    pack = (JSON.parse(r.out) as PackInfo[])[0]!;
    const files = pack.files.map((f) => f.path);
    for (const need of ['LICENSE', 'NOTICE', 'README.md', 'package.json', 'bin/mobilenetv2.js', 'dist/src/index.js', 'dist/src/index.d.ts',
      'dist/src/cli/main.js', 'dist/kernels/wasm/build/mobilenetv2-simd.wasm', 'dist/kernels/wasm/build/wasm-worker.cjs', 'dist/data/labels/imagenet.json']) {
      expect(files, need).toContain(need);
    }
    const unwanted = files.filter((f) => /^(dist\/)?(bench|spec|data\/golden|data\/shapes)\//.test(f) || f.endsWith('.map') || f === '.npmrc');
    expect(unwanted).toEqual([]);
    expect(readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/);
    // The README states the size and file count; keep it honest (±15 % size, exact count).
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const stated = /npm pack.*?(\d+(?:\.\d+)?) kB.*?(\d+) files/.exec(readme);
    expect(stated, 'README states the npm pack size and file count').not.toBeNull();
    expect(Number(stated![2])).toBe(pack.entryCount);
    expect(Math.abs(Number(stated![1]) * 1000 - pack.size) / pack.size).toBeLessThan(0.15);
  }, 240_000);

  it.skipIf(!HAVE_SHARED)('installs offline into an empty project and runs the README API example', () => {
    expect(pack, 'the pack step ran').toBeDefined();
    const app = join(work, 'app');
    run('mkdir', ['-p', app], work);
    const spec = `file:../${pack.filename}`;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module', dependencies: { mobilenetv2: spec } }));
    // npm ci reads tarballs from the cache by integrity; the registry's package documents (which
    // `npm ci` in the repo never fetched) are not needed when the app has a lockfile.
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(appLockfile(spec, pack.integrity)));
    const inst = run(npm, ['ci', '--offline', '--no-audit', '--no-fund'], app);
    expect(inst.code, inst.err).toBe(0);
    // Only the two runtime dependencies (and theirs) are installed: no bench peers.
    expect(existsSync(join(app, 'node_modules', 'onnxruntime-node'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'jpeg-js'))).toBe(true);

    copyFileSync(sharedPath('images', 'cat.bmp'), join(app, 'cat.bmp'));
    copyFileSync(sharedPath('images', 'street_dog_bicycle_truck.jpg'), join(app, 'street.jpg'));
    const example = readmeApiExample();
    writeFileSync(join(app, 'example.mjs'), `${example}\nconsole.log(JSON.stringify({ top: top5[0], k: top5.length, classes: logits.length, segW: seg.classMap.width, segH: seg.classMap.height, present: seg.present.map((i) => seg.legend[i].name) }));\n`);
    const r = run(process.execPath, ['example.mjs'], app, { MOBILENETV2_MODELS: sharedPath('models'), MOBILENETV2_OFFLINE: '1' });
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out.trim().split('\n').pop()!);
    // Known answer from ../shared/README.md (TFLite interpreter): cat.bmp → Egyptian cat, index 286.
    expect(j.top.index).toBe(286);
    expect(j.top.label).toBe('Egyptian cat');
    expect(j.k).toBe(5);
    expect(j.classes).toBe(1001);
    expect([j.segW, j.segH]).toEqual([768, 576]);
    expect(j.present).toEqual(expect.arrayContaining(['background', 'dog']));
  }, 240_000);
});
