// SPDX-License-Identifier: Apache-2.0
/**
 * The integer path on the real quantized files beside the TFLite interpreter on the same file and
 * the same uint8 input, one process per runtime, all in the same run (ratios are what count on a
 * shared machine). Before timing, each of our runs is checked against the interpreter's output
 * byte for byte (a differing row reads WRONG).
 *
 *   node dist/bench/integer.js [--reps N] [--models classifier,deeplab]
 *
 * Needs ../shared (or MOBILENETV2_MODELS) for the model files and images.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from '../src/api.js';
import { loadTfliteInterpreter } from '../spec/helpers/tflite-oracle.js';

const MODELS = {
  classifier: { file: 'mobilenet_v2_1.0_224_quant.tflite', image: 'cat.bmp' },
  deeplab: { file: 'deeplabv3_mnv2_pascal_quant.tflite', image: 'bird_segmentation.bmp' },
} as const;
type ModelName = keyof typeof MODELS;
const RUNTIMES = ['tflite', 'ours-wasm-1T', 'ours-wasm-2T'] as const;
type Runtime = (typeof RUNTIMES)[number];

const here = fileURLToPath(new URL('.', import.meta.url));
const sharedDir = process.env.MOBILENETV2_SHARED ?? resolve(here, '..', '..', '..', 'shared');
const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : undefined; };

interface Row { model: ModelName; runtime: Runtime; ok: boolean; medianMs?: number; minMs?: number; identical?: boolean; error?: string }

async function one(model: ModelName, runtime: Runtime, reps: number): Promise<Row> {
  const { file, image } = MODELS[model];
  const path = resolve(sharedDir, 'models', file);
  const m = await load({ model: path, backend: 'wasm-simd', threads: runtime === 'ours-wasm-2T' ? 2 : 1, arithmetic: 'integer', allowDownload: false });
  const pixels = (await m.prepare(resolve(sharedDir, 'images', image))).quantized as Uint8Array;
  const interpreter = await loadTfliteInterpreter(new Uint8Array(readFileSync(path)), { variant: 'tflite_web_api_cc_simd' });
  const reference = interpreter.run([pixels])[0]!;
  let call: () => ArrayLike<number | bigint>;
  if (runtime === 'tflite') call = () => interpreter.run([pixels])[0]!;
  else call = () => { const r = m.runTensor(pixels, [1, ...m.imported.input.shape.slice(1)]); return r.outputs[r.outputs.length - 1]!.data; };
  const first = call();
  let identical = first.length === reference.length;
  for (let i = 0; identical && i < first.length; i++) identical = BigInt(first[i]!) === BigInt(reference[i]!);
  for (let i = 0; i < 2; i++) call();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); call(); times.push(performance.now() - t0); }
  times.sort((a, b) => a - b);
  interpreter.dispose();
  m.dispose();
  return { model, runtime, ok: true, medianMs: times[times.length >> 1]!, minMs: times[0]!, identical };
}

async function mainBench(): Promise<void> {
  if (process.argv.includes('--one')) {
    const [model, runtime, reps] = [arg('--one') as ModelName, arg('--runtime') as Runtime, Number(arg('--reps') ?? 10)];
    try { console.log(JSON.stringify(await one(model, runtime, reps))); } catch (e) { console.log(JSON.stringify({ model, runtime, ok: false, error: String(e) })); }
    return;
  }
  const reps = Number(arg('--reps') ?? 10);
  const models = (arg('--models')?.split(',') ?? Object.keys(MODELS)) as ModelName[];
  const rows: Row[] = [];
  for (const model of models) {
    for (const runtime of RUNTIMES) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--one', model, '--runtime', runtime, '--reps', String(reps)], { encoding: 'utf8', maxBuffer: 1 << 24 });
      const line = (r.stdout ?? '').split('\n').reverse().find((l) => l.startsWith('{'));
      rows.push(line ? JSON.parse(line) as Row : { model, runtime, ok: false, error: (r.stderr ?? '').trim().split('\n').pop() ?? 'no output' });
      const last = rows[rows.length - 1]!;
      console.error(`${model} ${runtime}: ${last.ok ? `${last.medianMs!.toFixed(1)} ms median, ${last.minMs!.toFixed(1)} min${last.runtime === 'tflite' ? '' : last.identical ? ', output = interpreter' : ', WRONG'}` : last.error}`);
    }
  }
  console.log('| model | runtime | median ms | min ms | ÷ interpreter (median) | output |');
  console.log('|---|---|---:|---:|---:|---|');
  for (const r of rows) {
    const ref = rows.find((x) => x.model === r.model && x.runtime === 'tflite');
    const ratio = r.ok && ref?.ok ? (r.medianMs! / ref.medianMs!).toFixed(2) : '–';
    console.log(`| ${r.model} | ${r.runtime} | ${r.ok ? r.medianMs!.toFixed(1) : r.error} | ${r.ok ? r.minMs!.toFixed(1) : ''} | ${ratio} | ${r.runtime === 'tflite' ? 'reference' : r.identical ? 'identical' : 'WRONG'} |`);
  }
}

await mainBench();
