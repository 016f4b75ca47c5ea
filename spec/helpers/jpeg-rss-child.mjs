// SPDX-License-Identifier: Apache-2.0
// Child process for the large-JPEG memory check and bench:
//   node [--expose-gc] jpeg-rss-child.mjs FILE full|scaled [minW minH] [--warm]
// Decodes FILE with the compiled library (dist/) and prints one JSON line
//   { width, height, factor, ms, rssBefore, peakRss, fileBytes }   (bytes)
// rssBefore: resident size after the file is read and the module loaded; peakRss: the process's
// peak resident size. With --warm (Linux only) the file is decoded once first (JIT, heap growth),
// then garbage is collected and the kernel's peak counter is reset (/proc/self/clear_refs "5"), so
// peakRss − rssBefore is what one decode adds; without it peakRss is getrusage's ru_maxrss.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { decodeImage } = await import(join(here, '..', '..', 'dist', 'src', 'io', 'image', 'decode.js'));
const argv = process.argv.slice(2);
const warm = argv.includes('--warm');
const [file, mode, minW = '224', minH = '224'] = argv.filter((a) => a !== '--warm');
const bytes = new Uint8Array(readFileSync(file));
const opts = { maxPixels: 200e6, maxJpegMemoryMB: 8192, ...(mode === 'scaled' ? { jpegScaling: { minWidth: Number(minW), minHeight: Number(minH) } } : {}) };
const status = (key) => Number(/(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(key)))[1]) * 1024;
if (warm) {
  decodeImage(bytes, file, opts);
  globalThis.gc?.();
  writeFileSync('/proc/self/clear_refs', '5');
}
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
const img = decodeImage(bytes, file, opts);
const ms = performance.now() - t0;
const peakRss = warm ? status('VmHWM:') : process.resourceUsage().maxRSS * 1024;
process.stdout.write(JSON.stringify({ width: img.width, height: img.height, factor: img.decodedScale?.factor ?? 1, ms, rssBefore, peakRss, fileBytes: bytes.length }) + '\n');
