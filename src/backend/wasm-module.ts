// SPDX-License-Identifier: Apache-2.0
/**
 * Finding, feature-detecting and compiling the WASM SIMD kernel module (kernels/wasm/, built by
 * `npm run build:wasm`).
 *
 * The host (`#host`: src/node/host.ts or src/browser/host.ts) finds the module's bytes:
 * by default next to the library (kernels/wasm/build/, found with `new URL(…, import.meta.url)`),
 * or wherever `setKernelModuleSource()` / `load({ wasm })` says (bundlers, offline pages). Two
 * builds of the same code exist: on shared memory (threads) and on plain memory (browsers that are
 * not cross-origin isolated, one thread).
 */
import { host } from '#host';
import { MobileNetV2Error } from '../errors.js';
import type { WasmSource } from '../platform/host.js';

/**
 * The slice of the WebAssembly JS API we use, typed locally: the project compiles with lib ES2022
 * and no DOM lib, which is where TypeScript declares `WebAssembly`. Node 20 has all of it.
 */
export interface WasmModule { readonly __wasmModule?: never }
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmInstance { readonly exports: Record<string, unknown> }
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
}
/** `globalThis.WebAssembly`, or undefined on engines without it. */
export const wasmApi: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

/** Maximum memory in 64 KiB pages; must equal MAX_PAGES in kernels/wasm/build.mjs (the module's declared maximum). */
export const WASM_MAX_PAGES = 16384;

/**
 * Where the kernel module comes from instead of its default location: the shared-memory build
 * (`shared`, used with threads), the plain-memory build (`single`), as a URL/path or the bytes.
 */
export interface KernelModuleSource {
  readonly shared?: WasmSource;
  readonly single?: WasmSource;
}
let sources: KernelModuleSource = {};

/** Sets where the kernel modules are read from (before the first wasm-simd backend starts). */
export function setKernelModuleSource(source: KernelModuleSource): void {
  sources = { ...sources, ...source };
  compiled.shared = null;
  compiled.single = null;
}

/** The kernel exports (see kernels/wasm/*.ts for the parameter meanings). Pointers are byte offsets. */
export interface KernelExports {
  f32_pwconv_nhwc_4x8(p0: number, p1: number, y: number, x: number, wp: number, ic: number, oc: number, lo: number, hi: number, scratch: number, slotBytes: number, flags: number, slots: number): void;
  f32_fc_4x8(b0: number, b1: number, y: number, x: number, wp: number, n: number, ic: number, oc: number, lo: number, hi: number, scratch: number, slotBytes: number, flags: number, slots: number): void;
  f32_dwconv2d_nhwc_k3c4(
    r0: number, r1: number, y: number, x: number, wp: number, zero: number, h: number, w: number, c: number, oh: number, ow: number,
    sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, lo: number, hi: number,
  ): void;
  /** params: the P_* word block of kernels/wasm/f32-conv2d-nhwc-c8.ts. */
  f32_conv2d_nhwc_c8(r0: number, r1: number, params: number): void;
  f32_add(i0: number, i1: number, y: number, a: number, b: number): void;
  f32_gavgpool_nhwc(g0: number, g1: number, y: number, x: number, n: number, hw: number, c: number): void;
  f64_resize_rows(r0: number, r1: number, h: number, rowSrc: number, x0s: number, x1s: number, fxs: number, gxs: number, outW: number, c: number): void;
  f64_resize_blend(q0: number, q1: number, y: number, tops: number, bottoms: number, fys: number, gys: number, rowLen: number): void;
  /** Tiles [t0, t1) of a fused inverted residual block — or its expanded channel blocks (P_SPLIT); `params` points at its parameter block (kernels/wasm/f32-inverted-residual-nhwc.ts). */
  f32_inverted_residual_nhwc(t0: number, t1: number, params: number): void;
}

/** Export names in job-op order: a worker job names its kernel by index into this list. */
export const KERNEL_NAMES = [
  'f32_pwconv_nhwc_4x8',
  'f32_fc_4x8',
  'f32_dwconv2d_nhwc_k3c4',
  'f32_conv2d_nhwc_c8',
  'f32_add',
  'f32_gavgpool_nhwc',
  'f64_resize_rows',
  'f64_resize_blend',
  'f32_inverted_residual_nhwc',
] as const satisfies ReadonlyArray<keyof KernelExports>;
export type KernelName = (typeof KERNEL_NAMES)[number];

/**
 * The smallest module that uses SIMD: `(func (result v128) (f32x4.add (v128.const 0) (v128.const 0)))`.
 * WebAssembly.validate on it answers "does this engine have fixed-width SIMD?" without compiling
 * our real module (which also needs threads / shared memory).
 */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x2b, 0x01, 0x29, 0x00, // code section: one body of 41 bytes, no locals
  0xfd, 0x0c, ...new Array<number>(16).fill(0), // v128.const 0
  0xfd, 0x0c, ...new Array<number>(16).fill(0), // v128.const 0
  0xfd, 0xe4, 0x01, // f32x4.add
  0x0b, // end
]);

/** True when the engine validates a fixed-width SIMD module. */
export function wasmSimdSupported(): boolean {
  try {
    return wasmApi !== undefined && wasmApi.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** True when shared WebAssembly memory can be created (SharedArrayBuffer + the threads proposal). */
export function wasmSharedMemorySupported(): boolean {
  try {
    if (typeof SharedArrayBuffer !== 'function' || wasmApi === undefined) return false;
    const m = new wasmApi.Memory({ initial: 1, maximum: 1, shared: true });
    return m.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

const compiled: { shared: Promise<WasmModule> | null; single: Promise<WasmModule> | null } = { shared: null, single: null };

/**
 * Compiles the kernel module once per process (the Module is shared by every backend and worker):
 * the shared-memory build, or with `shared` false the plain-memory one.
 */
export function compileKernelModule(shared = true): Promise<WasmModule> {
  const which = shared ? 'shared' : 'single';
  let p = compiled[which];
  if (p === null) {
    p = (async () => {
      if (wasmApi === undefined) throw new MobileNetV2Error('UNSUPPORTED', 'wasm-simd: this JavaScript engine has no WebAssembly');
      const bytes = await host.wasmModuleBytes(sources[which] ?? null, shared);
      if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
        const head = new TextDecoder().decode(bytes.subarray(0, 16)).replace(/[^\x20-\x7e]/g, '.');
        throw new MobileNetV2Error('FORMAT', `wasm-simd: the kernel module is not WebAssembly (${bytes.length} bytes starting with "${head}"); is the .wasm served from where load({ wasm }) points?`);
      }
      if (!wasmApi.validate(bytes)) {
        throw new MobileNetV2Error('UNSUPPORTED', `wasm-simd: this engine cannot validate the kernel module (needs WebAssembly SIMD${shared ? ' and threads' : ''})`);
      }
      return wasmApi.compile(bytes);
    })();
    compiled[which] = p;
    p.catch(() => { if (compiled[which] === p) compiled[which] = null; }); // let a later call retry (e.g. after a build)
  }
  return p;
}

/**
 * Grows `memory` until it holds at least `bytes` bytes, by at least a quarter of its size at a
 * time (to amortise); `who` names the backend in the error when WASM_MAX_PAGES would be exceeded.
 */
export function growMemoryTo(memory: WasmMemory, bytes: number, who: string): void {
  const page = 65536;
  const have = memory.buffer.byteLength;
  if (bytes <= have) return;
  const pages = Math.ceil((bytes - have) / page);
  if (have / page + pages > WASM_MAX_PAGES) {
    throw new MobileNetV2Error('UNSUPPORTED', `${who}: needs ${(bytes / 2 ** 20).toFixed(0)} MiB of wasm memory, more than the ${WASM_MAX_PAGES / 16} MiB maximum`);
  }
  memory.grow(Math.min(WASM_MAX_PAGES - have / page, Math.max(pages, Math.ceil(have / page / 4))));
}

/** Instantiates the module on `memory` (synchronous: the module is already compiled). */
export function instantiateKernels(module: WasmModule, memory: WasmMemory): KernelExports {
  const instance = new wasmApi!.Instance(module, { env: { memory } });
  return instance.exports as unknown as KernelExports;
}
