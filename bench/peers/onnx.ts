// SPDX-License-Identifier: Apache-2.0
/**
 * Peers: ONNX Runtime Web (WASM, SIMD; `threads` = ort.env.wasm.numThreads, real worker_threads
 * under Node) and native onnxruntime-node (MLAS; intraOpNumThreads = threads, sequential), on an
 * ONNX export of torchvision mobilenet_v2 loaded with the bench's exact weights.
 *
 * The ONNX file (several MB, never committed) is generated at bench time into
 * bench/results/.cache/ by bench/peers/export_onnx.py (needs /usr/bin/python3 with torch and
 * torchvision); without them the ORT rows are reported as skipped.
 * ONNX is NCHW: the NHWC input is transposed once, outside the timed region (as in
 * docs/peer-benchmarks.md). Timed region: tensor wrap → session.run → logits Float32Array
 * (bench/peers/ort-session.ts, shared with the in-browser bench page).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BuiltModel } from '../models.js';
import type { GoldenTensor } from '../../spec/helpers/golden-weights.js';
import type { StateDictManifest } from '../classifier.js';
import { repoPath } from '../paths.js';
import { ortRunner, type Ort } from './ort-session.js';
import type { PeerRunner } from './tfjs.js';

export const PYTHON = process.env.MOBILENETV2_PYTHON ?? '/usr/bin/python3';
export const CACHE_DIR = repoPath('bench', 'results', '.cache');

/**
 * Why a runtime's npm package cannot be used here, or null when it resolves. The ORT packages are
 * devDependencies (never installed for users of the package); a checkout installed with
 * `npm ci --omit=dev`, or one where a peer was removed, reports those rows as skipped instead of
 * failing every job.
 */
export function peerPackageMissing(runtime: 'ort-web' | 'ort-node'): string | null {
  const name = runtime === 'ort-web' ? 'onnxruntime-web' : 'onnxruntime-node';
  try {
    createRequire(import.meta.url).resolve(name);
    return null;
  } catch {
    return `${name} is not installed (a devDependency: 'npm ci' in a checkout installs it)`;
  }
}

/**
 * Writes a state dict as `<stem>.f32` (every tensor's values, little-endian float32, in order) and
 * `<stem>.json` (the manifest: `meta` plus the blob's path and each tensor's key, shape, dtype,
 * offset and length): what export_onnx.py reads, and what the in-browser bench page rebuilds the
 * classifier from (readStateDict, bench/classifier.ts). Returns the manifest's path.
 */
export function writeStateDict(stateDict: ReadonlyMap<string, GoldenTensor>, stem: string, meta: Pick<StateDictManifest, 'width' | 'classes' | 'resolution'>): string {
  const tensors: Array<StateDictManifest['tensors'][number]> = [];
  let total = 0;
  for (const [key, t] of stateDict) {
    tensors.push({ key, shape: t.shape, dtype: t.dtype, offset: total, length: t.data.length });
    total += t.data.length;
  }
  const blob = new Float32Array(total);
  for (const [i, t] of [...stateDict.values()].entries()) blob.set(t.data, tensors[i]!.offset);
  mkdirSync(dirname(stem), { recursive: true });
  writeFileSync(`${stem}.f32`, new Uint8Array(blob.buffer));
  writeFileSync(`${stem}.json`, JSON.stringify({ ...meta, blob: `${stem}.f32`, tensors } satisfies StateDictManifest));
  return `${stem}.json`;
}

/** Path of the model's ONNX file, exporting it first if needed; throws with the reason if it cannot. */
export function ensureOnnx(m: BuiltModel): string {
  const c = m.config;
  if (m.net.kind !== 'classifier') throw new Error(`no ONNX export for ${m.net.kind} networks (the exporter rebuilds torchvision's classifier only)`);
  const stateDict = m.net.stateDict;
  const slug = `mobilenet_v2_${c.width}_${c.resolution}_c${c.classes}_seed${c.seed}_recipe1`;
  const onnxPath = join(CACHE_DIR, `${slug}.onnx`);
  if (existsSync(onnxPath)) return onnxPath;
  const manifestPath = writeStateDict(stateDict, join(CACHE_DIR, slug), { width: c.width, classes: c.classes, resolution: c.resolution });
  const r = spawnSync(PYTHON, [repoPath('bench', 'peers', 'export_onnx.py'), manifestPath, onnxPath], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(onnxPath)) {
    throw new Error(`ONNX export failed (${PYTHON} with torch + torchvision needed): ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-2).join(' ')}`);
  }
  return onnxPath;
}

export async function createOrtRunner(flavour: 'web' | 'node', threads: number, m: BuiltModel, onnxPath: string): Promise<PeerRunner> {
  const ort: Ort = flavour === 'web' ? await import('onnxruntime-web') : ((await import('onnxruntime-node')) as unknown as Ort);
  return ortRunner(ort, flavour, threads, m, onnxPath);
}
