// SPDX-License-Identifier: Apache-2.0
/**
 * The layering rule of the README, read from the source: every relative import in kernels/ and
 * src/ must point down (or sideways within a tier) the order
 *
 *   kernels/ ← src/errors.ts ← src/backend/ ← src/model/ ← src/io/, src/oracle/, src/app/ (+ src/api.ts) ← src/cli/ (+ src/index.ts)
 *
 * and no module may reach itself through its imports (no cycles, type-only imports included:
 * a type arrow against the order is still a dependency a reader has to follow).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Tier of a repository-relative source path; higher tiers may import lower ones. */
function tierOf(file: string): { tier: number; name: string } {
  if (file.startsWith('kernels/')) return { tier: 0, name: 'kernels' };
  if (file === 'src/errors.ts') return { tier: 1, name: 'errors' };
  // The JavaScript host under the backends (#host: WASM bytes, worker threads) and its shared pieces.
  if (['src/platform/host.ts', 'src/platform/sources.ts', 'src/node/host.ts', 'src/browser/host.ts', 'src/browser/dom.ts'].includes(file)) return { tier: 1, name: 'host' };
  if (file.startsWith('src/backend/')) return { tier: 2, name: 'backend' };
  if (file.startsWith('src/model/')) return { tier: 3, name: 'model' };
  if (file.startsWith('src/io/')) return { tier: 4, name: 'io' };
  if (file.startsWith('src/oracle/')) return { tier: 4, name: 'oracle' };
  if (file.startsWith('src/app/') || file === 'src/api.ts') return { tier: 4, name: 'app' };
  if (file.startsWith('src/teach/')) return { tier: 4, name: 'app' }; // teaching figures (issue 14): application tier
  // The application tier's host half (#platform: model sources, images).
  if (['src/platform/platform.ts', 'src/node/platform.ts', 'src/browser/platform.ts'].includes(file)) return { tier: 4, name: 'platform' };
  if (file.startsWith('src/cli/') || file === 'src/index.ts' || file === 'src/browser/index.ts') return { tier: 5, name: 'cli' };
  return { tier: -1, name: 'unplaced' };
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir))) {
    const rel = `${dir}/${entry}`;
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (rel.endsWith('.ts') && !rel.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Relative module specifiers of a file: static imports/exports (type-only too) and dynamic import(). */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gms,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) specs.push(m[1]!);
  return specs.filter((s) => s.startsWith('.'));
}

/** The repository-relative .ts file a relative specifier names (NodeNext: written as .js). */
function target(from: string, spec: string): string {
  const abs = resolve(ROOT, dirname(from), spec);
  return relative(ROOT, abs).replace(/\.js$/, '.ts');
}

/**
 * package.json `imports`: `#host` and `#platform` are the Node or the browser file, whichever the
 * condition picks, so an import of either is an arrow to both.
 */
const PACKAGE_IMPORTS: Record<string, string[]> = {
  '#host': ['src/node/host.ts', 'src/browser/host.ts'],
  '#platform': ['src/node/platform.ts', 'src/browser/platform.ts'],
};
function hostImportsOf(text: string): string[] {
  return [...text.matchAll(/\bfrom\s*['"](#[a-z-]+)['"]/g)].flatMap((m) => PACKAGE_IMPORTS[m[1]!] ?? [`unknown package import ${m[1]}`]);
}

const files = [...sourceFiles('kernels'), ...sourceFiles('src')];
const graph = new Map<string, string[]>();
for (const f of files) {
  const text = readFileSync(join(ROOT, f), 'utf8');
  graph.set(f, [...importsOf(text).map((s) => target(f, s)), ...hostImportsOf(text)]);
}

describe('layering: kernels ← backend ← model ← io / oracle / app ← cli', () => {
  it('reads a real import graph (a parser that finds nothing would make this test pass vacuously)', () => {
    expect(files.length).toBeGreaterThan(100);
    const arrows = [...graph.values()].reduce((s, t) => s + t.length, 0);
    expect(arrows).toBeGreaterThan(300);
    expect(graph.get('src/model/forward.ts')).toContain('src/backend/backend.ts');
    expect(importsOf("import type { A } from './a.js';\nexport { b } from '../b.js';\nconst c = await import('./c.js');\nimport {\n  d,\n} from './d.js';"))
      .toEqual(['./a.js', '../b.js', './d.js', './c.js']);
  });

  it('places every source file in a tier', () => {
    expect(files.filter((f) => tierOf(f).tier < 0)).toEqual([]);
  });

  it('has no arrow against the order', () => {
    const against: string[] = [];
    for (const [from, targets] of graph) {
      for (const to of targets) {
        if (to.endsWith('.json')) {
          if (!to.startsWith('data/')) against.push(`${from} → ${to} (JSON outside data/)`);
          continue;
        }
        const a = tierOf(from), b = tierOf(to);
        if (b.tier < 0) against.push(`${from} → ${to} (outside kernels/ and src/)`);
        else if (b.tier > a.tier) against.push(`${from} (${a.name}) → ${to} (${b.name})`);
        else if (a.tier === 0 && !to.startsWith('kernels/')) against.push(`${from} → ${to} (kernels import nothing else)`);
      }
    }
    expect(against).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      stack.push(f);
      for (const t of graph.get(f) ?? []) {
        if (!graph.has(t)) continue;
        const s = state.get(t);
        if (s === 'open') cycles.push([...stack.slice(stack.indexOf(t)), t].join(' → '));
        else if (s === undefined) visit(t);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
