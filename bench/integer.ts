// SPDX-License-Identifier: Apache-2.0
/**
 * The integer path on the real quantized files beside the TFLite interpreter on the same file and
 * the same uint8 input, one process per runtime, all in the same run (ratios are what count on a
 * shared machine). Before timing, each of our runs is checked against the interpreter's output
 * byte for byte (a differing row reads WRONG).
 *
 *   node dist/bench/integer.js [--reps N] [--rounds R] [--models classifier,deeplab,int8-ptq,ssd-int8] [--ops]
 *
 * 'int8-ptq' is an int8 per-channel classifier made by our exporter from the uint8 classifier's
 * weights (see writeInt8Classifier); 'ssd-int8' an int8 SSDLite 1.0/300 (COCO layout, 91 slots,
 * seeded random weights: no trained SSD weights here) ending at its raw outputs, box encodings and
 * LOGISTIC scores (see writeInt8Ssdlite; the post-process op is not timed). Both are written to the
 * temp directory for the run.
 *
 * --rounds R runs the whole sequence of processes R times and pools their samples (on a shared
 * machine the load drifts; interleaving the runtimes spreads it over all of them). --ops adds, for
 * our runs, the time per Q8Backend op kind: each op call's minimum over the reps, summed per kind
 * ("rest" = the run's minimum minus the ops: pooling, softmax, the runner), measured in a separate
 * pass after the timed one (the timers cost a little).
 *
 * Needs ../shared (or MOBILENETV2_MODELS) for the model files and images.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from '../src/api.js';
import { loadTfliteInterpreter } from '../spec/helpers/tflite-oracle.js';
import { createBackend } from '../src/backend/create.js';
import { defaultDetectionPostProcessOptions, exportClassifierTflite, exportSsdliteTflite, randomSsdliteWeights } from '../src/io/tflite/export.js';
import { calibrateClassifier, calibrateSsdlite } from '../src/io/tflite/ptq.js';
import { buildSsdlitePlan } from '../src/model/ssdlite.js';
import { importTflite } from '../src/io/tflite/import.js';
import { sharedPhotoCalibration, UINT8_CLASSIFIER } from '../spec/helpers/int8-calibration.js';

const MODELS = {
  classifier: { file: UINT8_CLASSIFIER, image: 'cat.bmp', outputs: ['probabilities'] },
  deeplab: { file: 'deeplabv3_mnv2_pascal_quant.tflite', image: 'bird_segmentation.bmp', outputs: ['class_map'] },
  // int8 per-channel: the classifier's ImageNet weights re-quantized by our exporter (written by the parent run).
  'int8-ptq': { file: null, image: 'cat.bmp', outputs: ['probabilities'] },
  // int8 SSDLite from our exporter (written by the parent run); the interpreter's outputs in the file's order.
  'ssd-int8': { file: null, image: 'street_dog_bicycle_truck.jpg', outputs: ['box_encodings', 'scores'] },
} as const;
const GENERATED_FILE_ENV: Record<string, string> = { 'int8-ptq': 'MOBILENETV2_BENCH_INT8_FILE', 'ssd-int8': 'MOBILENETV2_BENCH_SSD_INT8_FILE' };
type ModelName = keyof typeof MODELS;
const RUNTIMES = ['tflite', 'ours-wasm-1T', 'ours-wasm-2T'] as const;
type Runtime = (typeof RUNTIMES)[number];

const here = fileURLToPath(new URL('.', import.meta.url));
const sharedDir = process.env.MOBILENETV2_SHARED ?? resolve(here, '..', '..', '..', 'shared');
const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : undefined; };

interface Row { model: ModelName; runtime: Runtime; ok: boolean; medianMs?: number; minMs?: number; identical?: boolean; error?: string; times?: number[]; ops?: Record<string, number> }

const OP_KINDS = ['conv2d', 'depthwiseConv2d', 'pointwiseConv', 'add', 'resizeBilinear'] as const;

/** Per op kind: each call's minimum over `reps` runs, summed; 'rest' = the run's minimum minus them. */
function opKindTimes(q8: Record<string, unknown>, call: () => void, reps: number): Record<string, number> {
  const mins: number[] = [];
  const kinds: string[] = [];
  let index = 0;
  const originals = new Map<string, unknown>();
  for (const op of OP_KINDS) {
    const f = q8[op] as (...a: unknown[]) => void;
    originals.set(op, f);
    q8[op] = (...a: unknown[]): void => {
      const t0 = performance.now();
      f.apply(q8, a);
      const dt = performance.now() - t0;
      const i = index++;
      kinds[i] = op;
      mins[i] = Math.min(mins[i] ?? Infinity, dt);
    };
  }
  let runMin = Infinity;
  try {
    for (let r = 0; r < reps; r++) {
      index = 0;
      const t0 = performance.now();
      call();
      runMin = Math.min(runMin, performance.now() - t0);
    }
  } finally {
    for (const [op, f] of originals) q8[op] = f;
  }
  const out: Record<string, number> = {};
  let sum = 0;
  mins.forEach((ms, i) => { out[kinds[i]!] = (out[kinds[i]!] ?? 0) + ms; sum += ms; });
  out.rest = runMin - sum;
  return out;
}

async function one(model: ModelName, runtime: Runtime, reps: number): Promise<Row> {
  const { file, image, outputs } = MODELS[model];
  const path = file === null ? process.env[GENERATED_FILE_ENV[model]!]! : resolve(sharedDir, 'models', file);
  const m = await load({ model: path, backend: 'wasm-simd', threads: runtime === 'ours-wasm-2T' ? 2 : 1, arithmetic: 'integer', allowDownload: false });
  const pixels = (await m.prepare(resolve(sharedDir, 'images', image))).quantized!;
  const interpreter = await loadTfliteInterpreter(new Uint8Array(readFileSync(path)), { variant: 'tflite_web_api_cc_simd' });
  const reference = interpreter.run([pixels]);
  // Ours: the outputs the file has, in its order (the classifier's logits and DeepLab's upsampled logits are inside).
  let call: () => readonly ArrayLike<number | bigint>[];
  if (runtime === 'tflite') call = () => interpreter.run([pixels]);
  else {
    call = () => {
      const r = m.runTensor(pixels, [1, ...m.imported.input.shape.slice(1)]);
      return outputs.map((name) => r.outputs.find((o) => o.name === name)?.data ?? new Uint8Array(0));
    };
  }
  const first = call();
  let identical = first.length === reference.length;
  for (let o = 0; identical && o < first.length; o++) {
    const [ours, theirs] = [first[o]!, reference[o]!];
    identical = ours.length === theirs.length;
    for (let i = 0; identical && i < ours.length; i++) identical = BigInt(ours[i]!) === BigInt(theirs[i]!);
  }
  for (let i = 0; i < 2; i++) call();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); call(); times.push(performance.now() - t0); }
  const ops = runtime !== 'tflite' && process.argv.includes('--ops') && m.integer ? opKindTimes(m.integer.q8 as unknown as Record<string, unknown>, call, reps) : undefined;
  times.sort((a, b) => a - b);
  interpreter.dispose();
  m.dispose();
  return { model, runtime, ok: true, medianMs: times[times.length >> 1]!, minMs: times[0]!, identical, times, ...(ops ? { ops } : {}) };
}

/**
 * The int8 per-channel model of the 'int8-ptq' rows: the shared uint8 classifier's weights,
 * dequantized, calibrated on the shared photos but cat.bmp, exported by exportClassifierTflite
 * ({ int8 }) — as spec/io/tflite/export-int8.spec.ts checks it against the interpreter.
 */
async function writeInt8Classifier(): Promise<string> {
  const uint8 = importTflite(new Uint8Array(readFileSync(resolve(sharedDir, 'models', UINT8_CLASSIFIER))), UINT8_CLASSIFIER);
  const inputs = await sharedPhotoCalibration(sharedDir);
  const ranges = calibrateClassifier(await createBackend('ts-fast'), uint8.plan, uint8.weights, inputs);
  const path = join(tmpdir(), `mobilenetv2-bench-int8-ptq-${process.pid}.tflite`);
  writeFileSync(path, exportClassifierTflite(uint8.plan, uint8.weights, { int8: { ranges, calibrationRuns: inputs.length } }));
  return path;
}

/**
 * The int8 SSDLite of the 'ssd-int8' rows: 1.0/300, 91 slots, seeded random weights, calibrated on
 * the shared photos but cat.bmp prepared as the detector's inputs, exported without the post-process
 * op — as spec/io/tflite/export-ssd-int8.spec.ts checks its COCO-layout file against the interpreter.
 */
async function writeInt8Ssdlite(): Promise<string> {
  const plan = buildSsdlitePlan({ width: 1, resolution: 300, classes: 91 });
  const weights = randomSsdliteWeights(plan, 2026);
  const floatPath = join(tmpdir(), `mobilenetv2-bench-ssd-float-${process.pid}.tflite`);
  writeFileSync(floatPath, exportSsdliteTflite(plan, weights, { postprocess: defaultDetectionPostProcessOptions(91) }));
  const inputs = await sharedPhotoCalibration(sharedDir, floatPath);
  const ranges = calibrateSsdlite(await createBackend('ts-fast'), plan, weights, inputs);
  const path = join(tmpdir(), `mobilenetv2-bench-ssd-int8-${process.pid}.tflite`);
  writeFileSync(path, exportSsdliteTflite(plan, weights, { postprocess: null, int8: { ranges, calibrationRuns: inputs.length } }));
  return path;
}

async function mainBench(): Promise<void> {
  if (process.argv.includes('--one')) {
    const [model, runtime, reps] = [arg('--one') as ModelName, arg('--runtime') as Runtime, Number(arg('--reps') ?? 10)];
    try { console.log(JSON.stringify(await one(model, runtime, reps))); } catch (e) { console.log(JSON.stringify({ model, runtime, ok: false, error: String(e) })); }
    return;
  }
  const reps = Number(arg('--reps') ?? 10);
  const rounds = Math.max(1, Number(arg('--rounds') ?? 1));
  const models = (arg('--models')?.split(',') ?? Object.keys(MODELS)) as ModelName[];
  for (const m of models) if (!(m in MODELS)) throw new Error(`unknown model '${m}'; expected ${Object.keys(MODELS).join(', ')}`);
  if (models.includes('int8-ptq')) process.env[GENERATED_FILE_ENV['int8-ptq']!] = await writeInt8Classifier();
  if (models.includes('ssd-int8')) process.env[GENERATED_FILE_ENV['ssd-int8']!] = await writeInt8Ssdlite();
  const extra = process.argv.includes('--ops') ? ['--ops'] : [];
  const rows: Row[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const model of models) {
      for (const runtime of RUNTIMES) {
        const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--one', model, '--runtime', runtime, '--reps', String(reps), ...extra], { encoding: 'utf8', maxBuffer: 1 << 24 });
        const line = (r.stdout ?? '').split('\n').reverse().find((l) => l.startsWith('{'));
        const got: Row = line ? JSON.parse(line) as Row : { model, runtime, ok: false, error: (r.stderr ?? '').trim().split('\n').pop() ?? 'no output' };
        console.error(`${model} ${runtime}: ${got.ok ? `${got.medianMs!.toFixed(1)} ms median, ${got.minMs!.toFixed(1)} min${got.runtime === 'tflite' ? '' : got.identical ? ', output = interpreter' : ', WRONG'}` : got.error}`);
        const prev = rows.find((x) => x.model === model && x.runtime === runtime);
        if (!prev) { rows.push(got); continue; }
        // Pool the rounds' samples; a failed or differing round marks the row.
        if (!got.ok) { Object.assign(prev, { ok: false, error: got.error }); continue; }
        if (!prev.ok) continue;
        const times = [...prev.times!, ...got.times!].sort((a, b) => a - b);
        const ops = prev.ops && got.ops ? Object.fromEntries(Object.keys(prev.ops).map((k) => [k, Math.min(prev.ops![k]!, got.ops![k] ?? Infinity)])) : prev.ops;
        Object.assign(prev, { times, medianMs: times[times.length >> 1]!, minMs: times[0]!, identical: prev.identical === true && got.identical === true, ops });
      }
    }
  }
  console.log('| model | runtime | median ms | min ms | ÷ interpreter (median) | output |');
  console.log('|---|---|---:|---:|---:|---|');
  for (const r of rows) {
    const ref = rows.find((x) => x.model === r.model && x.runtime === 'tflite');
    const ratio = r.ok && ref?.ok ? (r.medianMs! / ref.medianMs!).toFixed(2) : '–';
    console.log(`| ${r.model} | ${r.runtime} | ${r.ok ? r.medianMs!.toFixed(1) : r.error} | ${r.ok ? r.minMs!.toFixed(1) : ''} | ${ratio} | ${r.runtime === 'tflite' ? 'reference' : r.identical ? 'identical' : 'WRONG'} |`);
  }
  const withOps = rows.filter((r) => r.ok && r.ops);
  if (withOps.length > 0) {
    const kinds = [...OP_KINDS, 'rest'];
    console.log('\nPer op kind (ms; each call\'s minimum over the reps, summed; rest = run minimum − ops):\n');
    console.log(`| model | runtime | ${kinds.join(' | ')} |`);
    console.log(`|---|---|${kinds.map(() => '---:').join('|')}|`);
    for (const r of withOps) console.log(`| ${r.model} | ${r.runtime} | ${kinds.map((k) => (r.ops![k] ?? 0).toFixed(2)).join(' | ')} |`);
  }
}

await mainBench();
