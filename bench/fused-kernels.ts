// SPDX-License-Identifier: Apache-2.0
/**
 * `node dist/bench/fused-kernels.js [--reps R] [--baseline other.wasm]`: the float WASM SIMD kernels the fused block runs
 * (1×1 GEMM, depthwise 3×3) timed ALONE on cache-resident operands of the shapes one fused tile of
 * MobileNetV2 1.0/224 has (a few rows of the expanded band), 1 thread, against the machine's f32x4
 * peak (kernels/wasm/f32-peak.ts) measured in the same run. This separates the kernels' arithmetic
 * efficiency from memory traffic (bench/fused.ts times whole layers and blocks).
 *
 * Time is this process's CPU time (process.cpuUsage), not wall time, so that being descheduled by
 * other processes on a shared machine does not count; cache sharing with them still does, so the
 * figures are marked contended when the load average says so. `--baseline` takes another build of
 * the module (e.g. from an older commit) and times it interleaved with this one on the same
 * operands, so a kernel change is compared within one run.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { compileKernelModule, instantiateKernels, wasmApi, type KernelExports } from '../src/backend/wasm-module.js';
import { packDepthwise3x3c4, packPointwise8 } from '../src/backend/wasm-pack.js';

const args = process.argv.slice(2);
const reps = Number(args.includes('--reps') ? args[args.indexOf('--reps') + 1] : '7');
const baselinePath = args.includes('--baseline') ? args[args.indexOf('--baseline') + 1]! : null;

interface Peak { f32x4_peak(n: number, seed: number): number }

async function main(): Promise<void> {
  const module = await compileKernelModule();
  const memory = new (wasmApi as unknown as { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBufferLike } }).Memory({ initial: 512, maximum: 16384, shared: true });
  const k = instantiateKernels(module, memory as never) as KernelExports & Peak;
  // The baseline runs on the same memory and operands (kernels have no globals).
  const kb = baselinePath === null ? null : instantiateKernels(await (wasmApi as unknown as { compile(b: Uint8Array): Promise<never> }).compile(readFileSync(baselinePath)), memory as never) as KernelExports & Peak;
  const heap = new Float32Array(memory.buffer);
  let top = 4096;
  const put = (a: Float32Array): number => { const p = top; heap.set(a, p >> 2); top += Math.ceil((a.length * 4 + 64) / 64) * 64; return p; };
  const zeros = (n: number): number => put(new Float32Array(n));
  const rnd = (n: number, s: number): Float32Array => new Float32Array(n).map((_, i) => Math.sin(i * 0.37 + s) * 0.5);
  const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  /** Minimum over `reps` rounds of the CPU time of `inner` calls of each fn (interleaved), in ms per call. */
  const time = (fns: ReadonlyArray<() => void>, inner: number): number[] => {
    for (const fn of fns) for (let i = 0; i < inner; i++) fn();
    const best = fns.map(() => Infinity);
    for (let r = 0; r < reps; r++) {
      fns.forEach((fn, j) => {
        const s = cpuMs();
        for (let i = 0; i < inner; i++) fn();
        best[j] = Math.min(best[j]!, (cpuMs() - s) / inner);
      });
    }
    return best;
  };
  const cases: Array<{ what: string; flops: number; run: (m: KernelExports) => void; inner: number }> = [];
  /** Adds the kernel call `run(kernels)`, timed later with this module (and the baseline): one table row. */
  const report = (what: string, flops: number, run: (m: KernelExports) => void, inner: number): void => {
    cases.push({ what, flops, run, inner });
  };
  // 1×1 GEMMs: P pixels (a tile of a few rows), IC → OC.
  for (const [p, ic, oc] of [[112, 16, 96], [112, 24, 144], [56, 144, 24], [84, 32, 192], [56, 192, 32], [42, 64, 384], [42, 384, 64], [28, 96, 576], [28, 576, 96], [14, 160, 960], [14, 960, 160], [49, 320, 1280]] as const) {
    const x = put(rnd(p * ic, 1));
    const wp = put(packPointwise8(rnd(oc * ic, 2), rnd(oc, 3), oc, ic));
    const y = zeros(p * oc);
    const stage = zeros(32 * ic); const flags = zeros(1);
    report(`pointwise ${p} px ${ic}→${oc}`, 2 * p * ic * oc, (m) => m.f32_pwconv_nhwc_4x8(0, p, y, x, wp, ic, oc, 0, 6, stage, 32 * ic * 4, flags, 1), 200);
  }
  // Depthwise 3×3 on a band: rows output rows of width OW, stride s.
  for (const [h, w, c, s] of [[5, 112, 96, 2], [4, 56, 144, 1], [4, 28, 192, 1], [5, 28, 192, 2], [4, 14, 384, 1], [4, 14, 576, 1], [4, 7, 960, 1]] as const) {
    const oh = s === 1 ? h - 2 : (h - 1) / 2 | 0;
    const ow = s === 1 ? w : w / 2;
    const x = put(rnd(h * w * c, 4));
    const wp = put(packDepthwise3x3c4(rnd(9 * c, 5), rnd(c, 6), c));
    const zero = zeros(w * c + 4);
    const y = zeros(oh * ow * c);
    const pl = s === 1 ? 1 : 0;
    report(`depthwise ${h}×${w}×${c} s${s} → ${oh}×${ow}`, 2 * 9 * oh * ow * c, (m) => m.f32_dwconv2d_nhwc_k3c4(0, oh, y, x, wp, zero, h, w, c, oh, ow, s, s, 1, 1, 0, pl, 0, 6), 200);
  }
  // Warm-up: V8 first runs wasm in its baseline compiler and tiers hot functions up in the
  // background; without this the first rows would time baseline code.
  const warm = performance.now();
  while (performance.now() - warm < 2000) for (const c of cases) { c.run(k); if (kb !== null) c.run(kb); }
  const peakIt = 5_000_000;
  const peak = (64 * peakIt) / (time([() => void k.f32x4_peak(peakIt, 1.0001)], 1)[0]! * 1e6);
  const rows = cases.map(({ what, flops, run, inner }) => {
    const [ms, base] = time(kb === null ? [() => run(k)] : [() => run(k), () => run(kb)], inner) as [number, number | undefined];
    const g = flops / (ms * 1e6);
    const b = base === undefined ? '' : ` ${(base * 1000).toFixed(1)} | ${(base / ms).toFixed(2)}× |`;
    return `| ${what} | ${(flops / 1e6).toFixed(2)} | ${(ms * 1000).toFixed(1)} | ${g.toFixed(1)} | ${((100 * g) / peak).toFixed(0)} % |${b}`;
  });
  process.stdout.write([
    `# Float WASM kernels on cache-resident tiles, 1 thread (load average ${loadavg()[0]!.toFixed(2)}${loadavg()[0]! > 1.5 ? ', CONTENDED' : ''})`, '',
    `f32x4 peak (8 independent mul+add chains, no FMA): **${peak.toFixed(1)} GFLOP/s**`, '',
    kb === null ? '| kernel, shape | MFLOP | µs | GFLOP/s | % of peak |' : `| kernel, shape | MFLOP | µs | GFLOP/s | % of peak | µs baseline (${baselinePath}) | speed-up |`,
    kb === null ? '|---|---:|---:|---:|---:|' : '|---|---:|---:|---:|---:|---:|---:|', ...rows, '',
  ].join('\n'));
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
