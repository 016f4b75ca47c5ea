// SPDX-License-Identifier: Apache-2.0
/**
 * Batch runs for classify, segment and detect: many images, directories and globs in; one model
 * load; decoding overlapped with inference; results streamed as JSON lines; per-image errors kept;
 * a deterministic shard of the list for job arrays; resume from a previous run's JSON lines.
 *
 *   inputs     each argument is a file, a directory (its .jpg/.jpeg/.png/.bmp files, sorted; with
 *              --recursive also those of its subdirectories) or a quoted glob (`*`, `?`, `[…]`
 *              within a path segment, `**` for any depth), expanded here so that it works the same
 *              in every shell and beyond ARG_MAX; duplicates are dropped, first occurrence kept
 *   --shard K/N  keep list positions i with i mod N = K (K is 0-based, as JOB_COMPLETION_INDEX and
 *              SLURM_ARRAY_TASK_ID are): every machine that expands the same arguments gets a
 *              disjoint part, and together they cover the list
 *   --skip-done F.jsonl  skip images with a successful record in F (a missing F is an empty run):
 *              re-running the same command after a crash continues where it stopped
 *   --jsonl    one JSON object per line on stdout as each image finishes: { image, ok: true, … }
 *              or { image, ok: false, error: { code, message } }
 *   --keep-going  a failing image (unreadable, not an image, too large) is recorded and the run
 *              goes on; the exit code is then 3 when some images failed (0 when none did)
 *   progress   on stderr, only when stderr is a terminal: done/total, images/s, ETA
 *
 * Decoding runs in a worker thread (decode-worker.ts) two images ahead of the network, so on a
 * machine with a free core the decode time hides behind inference. From TypeScript sources (tests
 * importing src/), where the worker's .js file does not exist, decoding runs inline.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { MobileNetV2Error, usageError, type ErrorCode } from '../errors.js';
import { readImageFile } from '../io/image/node.js';
import type { DecodeOptions, RgbImage } from '../io/image/image.js';
import type { CliIo } from './command.js';
import { checkOutputDir, checkOutputFile, PNG_OUTPUT } from './paths.js';
import { numberOption, type OptionSpec } from './args.js';

export const BATCH_OPTIONS = {
  recursive: { type: 'boolean' }, jsonl: { type: 'boolean' }, 'keep-going': { type: 'boolean' },
  shard: { type: 'string' }, 'skip-done': { type: 'string' }, 'max-megapixels': { type: 'string' },
} as const satisfies OptionSpec;

/** Default --max-megapixels: a 48 MP phone photo passes, a hostile 30000×30000 header does not. */
export const DEFAULT_MAX_MEGAPIXELS = 64;
/** jpeg-js working memory allowed per megapixel of --max-megapixels (component planes + RGBA output ≈ 8–11 bytes/pixel). */
const JPEG_MB_PER_MEGAPIXEL = 16;

export const BATCH_USAGE = `Batch (any number of IMAGE arguments: files, directories, quoted globs such as 'photos/**/*.jpg'):
  --recursive        also take the images in subdirectories of a directory argument
  --jsonl            print one JSON object per line as each image finishes ({ image, ok, ... })
  --keep-going       record a failing image ({ ok: false, error }) and go on; exit code 3 if any failed
  --shard K/N        only list positions i with i mod N = K (K from 0), for job arrays
  --skip-done F      skip images with a successful record in the JSON lines file F (resume)
  --max-megapixels M refuse images larger than M megapixels before decoding them (default ${DEFAULT_MAX_MEGAPIXELS})
  Progress (done/total, images/s, ETA) goes to stderr when it is a terminal.`;

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.bmp']);

export interface BatchSettings {
  readonly images: string[];
  /** Images left out by --skip-done. */
  readonly skipped: number;
  readonly jsonl: boolean;
  readonly keepGoing: boolean;
  /** Decoder limits from --max-megapixels, named after the flag in error messages. */
  readonly decode: DecodeOptions;
}

function listDir(dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      if (recursive) out.push(...listDir(p, true));
    } else if (IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) out.push(p);
  }
  return out;
}

const GLOB_CHARS = /[*?[]/;

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = seg.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Files matching a glob (segments with * ? […], and ** for any number of directories), sorted. */
export function expandGlob(pattern: string): string[] {
  const abs = pattern.startsWith('/');
  const segs = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  const results: string[] = [];
  const walk = (base: string, i: number): void => {
    if (i === segs.length) {
      try {
        if (statSync(base).isFile()) results.push(base);
      } catch { /* vanished */ }
      return;
    }
    const seg = segs[i]!;
    const here = base === '' ? '.' : base;
    const join2 = (name: string): string => (base === '' ? name : base === '/' ? `/${name}` : `${base}/${name}`);
    if (seg === '**') {
      walk(base, i + 1);
      let names: string[] = [];
      try { names = readdirSync(here).sort(); } catch { return; }
      for (const n of names) {
        if (n.startsWith('.')) continue;
        try { if (statSync(join2(n)).isDirectory()) walk(join2(n), i); } catch { /* skip */ }
      }
      return;
    }
    if (!GLOB_CHARS.test(seg)) {
      walk(join2(seg), i + 1);
      return;
    }
    const re = segmentRegex(seg);
    let names: string[] = [];
    try { names = readdirSync(here).sort(); } catch { return; }
    for (const n of names) if (re.test(n) && (!n.startsWith('.') || seg.startsWith('.'))) walk(join2(n), i + 1);
  };
  if (abs) walk('/', segs[0] === '' ? 1 : 0);
  else walk('', 0);
  return [...new Set(results)];
}

function parseShard(command: string, raw: unknown): { k: number; n: number } | null {
  if (raw === undefined) return null;
  const m = typeof raw === 'string' ? /^(\d+)\/(\d+)$/.exec(raw) : null;
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || !(n >= 1) || !(k >= 0 && k < n)) {
    throw usageError(`${command}: --shard must be K/N with N ≥ 1 and K from 0 to N − 1 (0-based, like JOB_COMPLETION_INDEX), got '${String(raw)}'`);
  }
  return { k, n };
}

/** Images with a successful record in a JSON lines file (a missing file has none). */
export function doneImages(command: string, path: string): Set<string> {
  const done = new Set<string>();
  if (!existsSync(path)) return done;
  const text = readFileSync(path, 'utf8');
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      continue; // a line cut short by a crash: that image runs again
    }
    const r = rec as { image?: unknown; ok?: unknown };
    if (typeof r.image === 'string' && r.ok !== false) done.add(r.image);
  }
  if (done.size === 0 && text.trim() !== '' && !text.includes('"image"')) {
    throw usageError(`${command}: --skip-done '${path}' has no JSON lines with an "image" field; expected the output of an earlier --jsonl run`);
  }
  return done;
}

/** Expands the IMAGE arguments and applies --shard and --skip-done. */
export function planBatch(command: string, args: readonly string[], values: Record<string, unknown>): BatchSettings {
  if (args.length === 0) throw usageError(`${command}: give at least one image, directory or quoted glob (see 'mobilenetv2 help ${command}')`);
  const recursive = values.recursive === true;
  const seen = new Set<string>();
  const images: string[] = [];
  const add = (p: string): void => {
    if (!seen.has(p)) { seen.add(p); images.push(p); }
  };
  for (const a of args) {
    let st = null;
    try { st = statSync(a); } catch { /* not a path: maybe a glob */ }
    if (st?.isDirectory()) {
      const found = listDir(a, recursive);
      if (found.length === 0) throw usageError(`${command}: directory '${a}' has no .jpg, .jpeg, .png or .bmp files${recursive ? '' : ' (add --recursive for its subdirectories)'}`);
      found.forEach(add);
    } else if (st === null && GLOB_CHARS.test(a)) {
      const found = expandGlob(a).filter((p) => IMAGE_EXTENSIONS.has(extname(p).toLowerCase()) || !GLOB_CHARS.test(basename(a)));
      if (found.length === 0) throw usageError(`${command}: no image matches '${a}'`);
      found.forEach(add);
    } else add(a); // a file, or a missing path reported when its turn comes
  }
  const shard = parseShard(command, values.shard);
  let list = shard ? images.filter((_, i) => i % shard.n === shard.k) : images;
  let skipped = 0;
  if (typeof values['skip-done'] === 'string') {
    const done = doneImages(command, values['skip-done']);
    const before = list.length;
    list = list.filter((p) => !done.has(p));
    skipped = before - list.length;
  }
  const mp = numberOption(command, 'max-megapixels', values['max-megapixels'], (v) => v > 0 && v <= 1000, 'a number of megapixels in (0, 1000]') ?? DEFAULT_MAX_MEGAPIXELS;
  const decode: DecodeOptions = {
    maxPixels: mp * 1e6, maxJpegMemoryMB: Math.max(512, Math.ceil(mp * JPEG_MB_PER_MEGAPIXEL)),
    limitNames: { maxPixels: '--max-megapixels', maxJpegMemoryMB: 'raise it with --max-megapixels' },
  };
  return { images: list, skipped, jsonl: values.jsonl === true, keepGoing: values['keep-going'] === true, decode };
}

/**
 * Where an image output (--out, --mask) goes: the path itself for a single image (it must end in
 * .png), else a directory that receives <image name>.png per image. Checked before any model runs;
 * two images that would write the same file are refused.
 */
export function imageOutputs(command: string, flag: string, value: unknown, images: readonly string[]): ((image: string) => string) | null {
  if (typeof value !== 'string') return null;
  if (images.length === 1 && value.toLowerCase().endsWith('.png')) {
    checkOutputFile(command, flag, value, PNG_OUTPUT);
    return () => value;
  }
  if (images.length === 1 && !existsSync(value)) {
    checkOutputFile(command, flag, value, PNG_OUTPUT); // says "only PNG is written"
  }
  checkOutputDir(command, flag, value);
  mkdirSync(value, { recursive: true });
  const byName = new Map<string, string>();
  for (const img of images) {
    const name = `${basename(img, extname(img))}.png`;
    const other = byName.get(name);
    if (other !== undefined) throw usageError(`${command}: --${flag} ${value}: '${other}' and '${img}' would both write ${join(value, name)}`);
    byName.set(name, img);
  }
  return (image) => join(value, `${basename(image, extname(image))}.png`);
}

/** Decodes image files ahead of use, in a worker thread when the compiled worker is available. */
class Prefetcher {
  private worker: Worker | null = null;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (img: RgbImage) => void; reject: (e: unknown) => void }>();

  constructor(private readonly options: DecodeOptions) {
    const url = new URL('./decode-worker.js', import.meta.url);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) {
      this.worker = new Worker(url);
      this.worker.unref();
      this.worker.on('message', (m: { id: number; ok: boolean; image?: RgbImage; code?: ErrorCode; message?: string; typed?: boolean }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.image!);
        else p.reject(m.typed ? new MobileNetV2Error(m.code as ErrorCode, m.message!) : new Error(m.message));
      });
      this.worker.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
    }
  }

  decode(path: string): Promise<RgbImage> {
    if (this.worker === null) {
      return new Promise((resolve, reject) => {
        // Inline: let the caller's inference finish first, as the worker would.
        setImmediate(() => {
          try { resolve(readImageFile(path, this.options)); } catch (e) { reject(e); }
        });
      });
    }
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.postMessage({ id, path, options: this.options });
    });
  }

  async close(): Promise<void> {
    if (this.worker) await this.worker.terminate();
  }
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

export interface BatchJob<T> {
  readonly command: string;
  readonly io: CliIo;
  readonly settings: BatchSettings;
  /** --json: print one JSON document at the end (an array; a single object for one image when `singleObject`). */
  readonly json: boolean;
  readonly singleObject?: boolean;
  readonly decode?: DecodeOptions;
  /** Runs the model on one decoded image. */
  run(image: string, img: RgbImage): Promise<T>;
  /** The image's JSON record (without `image` and `ok`). */
  toJson(image: string, result: T): object;
  /** Text output for one image. */
  print(image: string, result: T): void;
  /** Progress bar override (default: stderr is a TTY). */
  readonly progress?: boolean;
}

/** Runs a batch; returns the exit code (0, or 3 when --keep-going recorded failures). */
export async function runBatch<T>(job: BatchJob<T>): Promise<number> {
  const { images, jsonl, keepGoing } = job.settings;
  const io = job.io;
  const progress = (job.progress ?? process.stderr.isTTY === true) && images.length > 1;
  const clear = (): void => { if (progress) process.stderr.write('\r\x1b[K'); };
  const out = (text: string): void => { clear(); io.out(text); };
  const prefetch = new Prefetcher(job.decode ?? job.settings.decode);
  const ahead = 2;
  const decodes: Array<Promise<RgbImage> | undefined> = [];
  const start = (i: number): void => {
    if (i < images.length && decodes[i] === undefined) {
      const p = prefetch.decode(images[i]!);
      p.catch(() => {}); // handled when its turn comes
      decodes[i] = p;
    }
  };
  const collected: object[] = [];
  let failed = 0;
  const t0 = Date.now();
  if (job.settings.skipped > 0) io.err(`${job.command}: skipping ${job.settings.skipped} image${job.settings.skipped === 1 ? '' : 's'} already done (--skip-done)`);
  try {
    for (let i = 0; i < images.length; i++) {
      for (let j = i; j <= i + ahead; j++) start(j);
      const image = images[i]!;
      let record: object;
      try {
        const img = await decodes[i]!;
        decodes[i] = undefined;
        const r = await job.run(image, img);
        record = { image, ok: true, ...job.toJson(image, r) };
        if (!jsonl && !job.json) { clear(); job.print(image, r); }
      } catch (e) {
        decodes[i] = undefined;
        if (!(e instanceof MobileNetV2Error) || !keepGoing) throw e;
        failed++;
        record = { image, ok: false, error: { code: e.code, message: e.message } };
        if (!jsonl) { clear(); io.err(`mobilenetv2: error: ${e.message}`); }
      }
      if (jsonl) out(JSON.stringify(record));
      else if (job.json) collected.push(record);
      if (progress) {
        const done = i + 1;
        const rate = done / ((Date.now() - t0) / 1000);
        process.stderr.write(`\r\x1b[K${job.command}: ${done}/${images.length}  ${rate.toFixed(1)} images/s  ETA ${fmtDuration((images.length - done) / rate)}`);
      }
    }
  } finally {
    clear();
    await prefetch.close();
  }
  if (job.json && !jsonl) {
    const strip = collected.map((r) => {
      const { ok: _ok, ...rest } = r as { ok: boolean };
      return failed > 0 ? r : rest;
    });
    out(JSON.stringify(job.singleObject && images.length === 1 ? strip[0] : strip, null, 2));
  }
  if (failed > 0) {
    io.err(`${job.command}: ${failed} of ${images.length} images failed (--keep-going)`);
    return 3;
  }
  return 0;
}
