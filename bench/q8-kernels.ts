// SPDX-License-Identifier: Apache-2.0
/**
 * Integer kernel bench: every conv of MobileNetV2 1.0/224 (data/shapes/mobilenet_v2_1.0_224.tsv:
 * the stem, depthwise 3×3 and pointwise 1×1 layers; the classifier is not a Q8Backend op) as a
 * quantized layer on the integer backends — scalar (the definition), wasm-simd 1 and 2 threads —
 * in two configurations: uint8 per-tensor under the 'tflite-wasm' profile (XNNPACK's float32
 * requantization, what the TFLite interpreter runs) and int8 per-channel under 'tflite-reference'
 * (the per-lane-shift path of the fixed-point requantization). GOPS = 2·MAdds / median time.
 * Each wasm output is first compared with the scalar kernel's: any differing value marks the cell
 * WRONG instead of timing it (they are promised bit-identical). The timed call is the Q8Backend op
 * as the integer runner uses it (copy in, staging, kernel, copy out).
 *
 * Run alone: `npm run build && node dist/bench/q8-kernels.js [--quick] [--time MS]`; `npm run bench`
 * includes it (skip with --no-q8). Numbers taken while other processes use the cores are
 * contended: each row prints the cores the rest of the machine used.
 */
import { Bench } from 'tinybench';
import { fileURLToPath } from 'node:url';
import { convRequantizer, quantizedActivationRange, REQUANTIZATION_PROFILES, q8Range, type Q8Type, type Requantization } from '../kernels/q-requantize.js';
import type { Q8ConvParams } from '../kernels/q8-conv2d-nhwc.js';
import { createQ8Backend } from '../src/backend/q8-wasm.js';
import type { Q8Array, Q8Backend } from '../src/backend/q8-backend.js';
import { startLoadProbe } from './machine.js';
import { readShapes, type LayerShape } from './shapes.js';
import { repoPath } from './paths.js';

interface Config {
  readonly label: string;
  readonly type: Q8Type;
  readonly perChannel: boolean;
  readonly rounding: (kind: LayerShape['kind']) => Requantization;
}

const CONFIGS: readonly Config[] = [
  {
    label: 'uint8 per-tensor, tflite-wasm',
    type: 'uint8',
    perChannel: false,
    rounding: (kind) => (kind === 'depthwise' ? REQUANTIZATION_PROFILES['tflite-wasm'].DEPTHWISE_CONV_2D : REQUANTIZATION_PROFILES['tflite-wasm'].CONV_2D),
  },
  { label: 'int8 per-channel, tflite-reference', type: 'int8', perChannel: true, rounding: () => 'tflite-reference' },
];

const BACKENDS = [
  { label: 'scalar', kind: 'scalar', threads: 1 },
  { label: 'wasm 1T', kind: 'wasm-simd', threads: 1 },
  { label: 'wasm 2T', kind: 'wasm-simd', threads: 2 },
] as const;

/** Deterministic bytes over the dtype's range (xorshift). */
function bytes(type: Q8Type, length: number, seed: number): Q8Array {
  const [lo, hi] = q8Range(type);
  const a = type === 'uint8' ? new Uint8Array(length) : new Int8Array(length);
  let s = seed | 1;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    a[i] = lo + ((s >>> 8) % (hi - lo + 1));
  }
  return a;
}

/** One layer as a closure over its inputs, for any integer backend. */
function layerCall(shape: LayerShape, config: Config, seed: number): { out: Q8Array; run(b: Q8Backend): void } {
  const { type } = config;
  const g = shape.geometry;
  const n = shape.n;
  const outC = shape.kind === 'depthwise' ? shape.inC : shape.outC;
  const filter = config.perChannel ? Array.from({ length: outC }, (_, c) => 0.002 * (1 + (c % 13) / 4)) : [0.004];
  const so = 0.05;
  const q: Q8ConvParams = {
    inputZeroPoint: type === 'uint8' ? 2 : -3,
    filterZeroPoint: type === 'uint8' ? 127 : 0,
    requantizer: convRequantizer({ type, input: 0.0235, output: so, filter }, config.rounding(shape.kind)),
    output: quantizedActivationRange(type, so, type === 'uint8' ? 4 : -124, shape.activation === 'relu6' ? 'relu6' : shape.activation === 'relu' ? 'relu' : 'none'),
  };
  const bias = Int32Array.from({ length: outC }, (_, c) => ((c * 7919) % 4001) - 2000);
  const out = type === 'uint8' ? new Uint8Array(n * g.outH * g.outW * outC) : new Int8Array(n * g.outH * g.outW * outC);
  const x = bytes(type, n * g.inH * g.inW * shape.inC, seed);
  switch (shape.kind) {
    case 'conv': {
      const w = bytes(type, outC * g.kH * g.kW * shape.inC, seed + 1);
      return { out, run: (b) => b.conv2d(out, x, w, bias, { n, inC: shape.inC, outC }, g, q) };
    }
    case 'depthwise': {
      const w = bytes(type, g.kH * g.kW * outC, seed + 1);
      return { out, run: (b) => b.depthwiseConv2d(out, x, w, bias, { n, channels: outC }, g, q) };
    }
    default: {
      const w = bytes(type, outC * shape.inC, seed + 1);
      const pixels = n * g.inH * g.inW;
      return { out, run: (b) => b.pointwiseConv(out, x, w, bias, { pixels, inC: shape.inC, outC }, q) };
    }
  }
}

interface Cell { readonly ms: number }

/** Runs the bench and returns its markdown section. */
export async function runQ8KernelBench(opts: { quick: boolean; timeMs: number; log: (s: string) => void }): Promise<string> {
  const all = readShapes(repoPath('data', 'shapes', 'mobilenet_v2_1.0_224.tsv')).filter((s) => s.kind !== 'fc');
  const shapes = opts.quick ? all.filter((_, i) => i === 0 || i % 5 === 1) : all; // quick: the stem and a mix of depthwise and pointwise
  const backends = new Map<string, Q8Backend>();
  for (const b of BACKENDS) backends.set(b.label, await createQ8Backend(b.kind, { threads: b.threads }));
  const md: string[] = [
    '## Integer kernels: MobileNetV2 1.0/224 layers, quantized (data/shapes/mobilenet_v2_1.0_224.tsv)',
    '',
    'Q8Backend ops on ordinary arrays (copy in, int16 staging of the gemm input, kernel, copy out); median of tinybench samples; GOPS = 2·MAdds / median. ' +
      'Every wasm-simd output was first checked bit-identical to the scalar kernel (a differing cell would read WRONG). "other cores": load from the rest of the machine while the row ran (> 0.25 = contended).',
    '',
  ];
  try {
    for (const config of CONFIGS) {
      const head = ['layer', 'kind', 'shape', 'MMAdds', ...BACKENDS.map((b) => `${b.label} ms`), ...BACKENDS.slice(1).map((b) => `${b.label} GOPS`), 'other cores'];
      const lines = [`### ${config.label}`, '', `| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 3 ? '---' : '---:')).join('|')}|`];
      const byKind = new Map<string, { madds: number; ms: Map<string, number> }>();
      for (const [i, shape] of shapes.entries()) {
        const call = layerCall(shape, config, 1000 + 7 * i);
        call.run(backends.get('scalar')!);
        const expected = call.out.slice();
        const cells = new Map<string, Cell | string>();
        const bench = new Bench({ time: opts.timeMs, iterations: 3, warmupTime: Math.min(50, opts.timeMs), warmupIterations: 1, throws: true });
        for (const b of BACKENDS) {
          const backend = backends.get(b.label)!;
          if (b.kind !== 'scalar') {
            call.out.fill(0);
            call.run(backend);
            let differing = 0;
            for (let k = 0; k < expected.length; k++) if (call.out[k] !== expected[k]) differing++;
            if (differing > 0) {
              cells.set(b.label, `WRONG (${differing} values differ)`);
              continue;
            }
          }
          bench.add(b.label, () => call.run(backend));
        }
        const probe = startLoadProbe();
        await bench.run();
        const load = probe.stop();
        for (const task of bench.tasks) {
          const r = task.result;
          cells.set(task.name, r.state === 'completed' ? { ms: r.latency.p50 } : `failed (${r.state})`);
        }
        const g = shape.geometry;
        const kind = byKind.get(shape.kind) ?? { madds: 0, ms: new Map<string, number>() };
        kind.madds += shape.madds;
        byKind.set(shape.kind, kind);
        const msCells = BACKENDS.map((b) => {
          const c = cells.get(b.label);
          if (c === undefined || typeof c === 'string') return c ?? '';
          kind.ms.set(b.label, (kind.ms.get(b.label) ?? 0) + c.ms);
          return c.ms.toFixed(3);
        });
        const gops = BACKENDS.slice(1).map((b) => {
          const c = cells.get(b.label);
          return c === undefined || typeof c === 'string' ? '' : ((2 * shape.madds) / (c.ms * 1e6)).toFixed(1);
        });
        const shapeText = `${g.inH}×${g.inW}×${shape.inC}→${shape.kind === 'depthwise' ? shape.inC : shape.outC} k${g.kH} s${g.strideH}`;
        lines.push(`| ${[shape.layer, shape.kind, shapeText, (shape.madds / 1e6).toFixed(2), ...msCells, ...gops, load.otherCores === null ? 'n/a' : load.otherCores.toFixed(2)].join(' | ')} |`);
        opts.log(`q8 kernels (${config.label}) ${i + 1}/${shapes.length} ${shape.layer}`);
      }
      lines.push('', `Per layer type (sum of medians; GOPS = 2·ΣMAdds / Σms):`, '', `| type | MMAdds | ${BACKENDS.map((b) => `${b.label} ms`).join(' | ')} | ${BACKENDS.map((b) => `${b.label} GOPS`).join(' | ')} |`, `|---|---:|${BACKENDS.map(() => '---:').join('|')}|${BACKENDS.map(() => '---:').join('|')}|`);
      let totalMadds = 0;
      const totalMs = new Map<string, number>();
      for (const [kind, e] of byKind) {
        totalMadds += e.madds;
        for (const [k, v] of e.ms) totalMs.set(k, (totalMs.get(k) ?? 0) + v);
        lines.push(`| ${kind} | ${(e.madds / 1e6).toFixed(1)} | ${BACKENDS.map((b) => e.ms.get(b.label)?.toFixed(2) ?? '').join(' | ')} | ${BACKENDS.map((b) => (e.ms.has(b.label) ? ((2 * e.madds) / (e.ms.get(b.label)! * 1e6)).toFixed(1) : '')).join(' | ')} |`);
      }
      lines.push(`| **all** | ${(totalMadds / 1e6).toFixed(1)} | ${BACKENDS.map((b) => (totalMs.has(b.label) ? `**${totalMs.get(b.label)!.toFixed(2)}**` : '')).join(' | ')} | ${BACKENDS.map((b) => (totalMs.has(b.label) ? `**${((2 * totalMadds) / (totalMs.get(b.label)! * 1e6)).toFixed(1)}**` : '')).join(' | ')} |`, '');
      md.push(...lines);
    }
  } finally {
    for (const b of backends.values()) b.dispose();
  }
  return md.join('\n');
}

// Run alone: node dist/bench/q8-kernels.js [--quick] [--time MS]
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const t = args.indexOf('--time');
  const timeMs = t >= 0 ? Number(args[t + 1]) : quick ? 30 : 250;
  runQ8KernelBench({ quick, timeMs, log: (s) => process.stderr.write(`[bench] ${s}\n`) }).then(
    (md) => { process.stdout.write(md + '\n'); process.exit(0); },
    (e: unknown) => { console.error(e); process.exit(1); },
  );
}
