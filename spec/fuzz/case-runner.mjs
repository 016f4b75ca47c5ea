// SPDX-License-Identifier: Apache-2.0
/**
 * The child process that runs fuzz cases (started by harness.ts, one case at a time). It runs the
 * BUILT library (dist/, `npm run build`), so whatever aborts here aborts exactly as it would in a
 * user's process — and only this process: the parent sees the exit code or signal and blames the
 * case. For each case it reports the outcome and the case's peak memory: the resident-set high-water
 * mark (VmHWM, reset through /proc/self/clear_refs before the case) minus the resident set before it.
 *
 * Message in:  { id, parser, name, bytes }      Message out: { id, outcome, code, message, ms, peakBytes }
 * outcome: 'ok' | 'typed' (a MobileNetV2Error with a one-line message) | 'untyped' (anything else).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// FUZZ_DIST: a copy of dist/ to fuzz (a long campaign keeps running on one build while dist/ is rebuilt).
const dist = process.env.FUZZ_DIST ? new URL(`file://${process.env.FUZZ_DIST.replace(/\/?$/, '/')}src/`) : new URL('../../dist/src/', import.meta.url);
const load = (p) => import(fileURLToPath(new URL(p, dist)));
const [{ MobileNetV2Error }, { importTflite }, { readDetectionPostProcessOptions }, { parseSafetensors }, { parseNpy }, { decodeImage }] = await Promise.all([
  load('errors.js'), load('io/tflite/import.js'), load('io/tflite/model.js'), load('io/safetensors.js'), load('io/npy.js'), load('io/image/decode.js'),
]);

// Decoded size, not file size, drives a decoder's memory (a 100 kB JPEG may honestly be 40 MP), so
// images are decoded under an explicit pixel limit (DecodeOptions.maxPixels; the library's default
// is 100 MP) for the per-case bound max(64 MB, 8 × input size) to be checkable. FUZZ_MAX_PIXELS=0
// fuzzes with the library defaults.
const maxPixels = Number(process.env.FUZZ_MAX_PIXELS ?? 2_000_000);
const decodeOptions = maxPixels > 0 ? { maxPixels } : {};

const PARSERS = {
  tflite: (bytes, name) => importTflite(bytes, name),
  flexbuffer: (bytes, name) => readDetectionPostProcessOptions(bytes, name),
  safetensors: (bytes, name) => {
    const f = parseSafetensors(bytes, name);
    for (const [t, info] of f.tensors) {
      if (info.dtype === 'I64') f.readInt64(t);
      else if (['F32', 'F16', 'BF16', 'F64'].includes(info.dtype)) f.readFloat32(t);
    }
    return f;
  },
  npy: (bytes, name) => parseNpy(bytes, name),
  jpeg: (bytes, name) => decodeImage(bytes, name, decodeOptions),
  png: (bytes, name) => decodeImage(bytes, name, decodeOptions),
  bmp: (bytes, name) => decodeImage(bytes, name, decodeOptions),
  // The watchdog's own test (fuzz.spec.ts): what a V8 abort, a loop and a runaway allocation look like.
  'selftest-abort': () => process.abort(),
  'selftest-hang': () => { for (;;); },
  'selftest-grow': () => { const keep = []; for (;;) keep.push(new Uint8Array(2 ** 24).fill(1)); },
};

let procOk = true;
function statusKb(field) {
  if (!procOk) return NaN;
  try {
    const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : NaN;
  } catch {
    procOk = false;
    return NaN;
  }
}
function resetPeak() {
  try { writeFileSync('/proc/self/clear_refs', '5'); } catch { procOk = false; }
}

process.on('message', (msg) => {
  const { id, parser, name, bytes } = msg;
  const run = PARSERS[parser];
  if (globalThis.gc && process.memoryUsage().rss > 512 * 2 ** 20) globalThis.gc();
  resetPeak();
  const before = statusKb('VmRSS');
  const t0 = performance.now();
  let outcome = 'ok';
  let code = null;
  let message = '';
  try {
    if (!run) throw new Error(`unknown parser ${parser}`);
    run(bytes, name);
  } catch (e) {
    if (e instanceof MobileNetV2Error && !/[\n\r]/.test(e.message)) {
      outcome = 'typed';
      code = e.code;
      message = e.message;
    } else {
      outcome = 'untyped';
      message = e instanceof Error ? `${e.name}: ${e.message}`.split('\n')[0] : String(e);
      code = e instanceof MobileNetV2Error ? e.code : null;
    }
  }
  const ms = performance.now() - t0;
  const peakBytes = (statusKb('VmHWM') - before) * 1024;
  process.send({ id, outcome, code, message: message.slice(0, 400), ms, peakBytes: Number.isFinite(peakBytes) ? Math.max(0, peakBytes) : null });
});

process.send({ ready: true });
