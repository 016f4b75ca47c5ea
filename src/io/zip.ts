// SPDX-License-Identifier: Apache-2.0
/**
 * A minimal, validating ZIP reader for the archives TFLite Model Metadata appends to a .tflite file
 * (the metadata populator writes the associated files — label lists, vocabularies — as a zip after
 * the flatbuffer, so the whole model file is also a valid zip). Written from the PKWARE APPNOTE
 * layout; only what such files use: stored (method 0) and deflated (method 8) entries, no
 * encryption, no multi-disk, Zip64 refused with a message.
 *
 *   End of central directory (EOCD, last 22..22+65535 bytes): u32 0x06054b50, u16 disk, u16 cd disk,
 *     u16 entries on disk, u16 entries, u32 cd size, u32 cd offset, u16 comment length, comment
 *   Central directory entry: u32 0x02014b50, u16 made by, u16 needed, u16 flags, u16 method,
 *     u16 time, u16 date, u32 crc, u32 compressed, u32 uncompressed, u16 name len, u16 extra len,
 *     u16 comment len, u16 disk, u16 int attr, u32 ext attr, u32 local header offset, name, extra, comment
 *   Local header: u32 0x04034b50, u16 needed, u16 flags, u16 method, u16 time, u16 date, u32 crc,
 *     u32 compressed, u32 uncompressed, u16 name len, u16 extra len, name, extra, data
 *
 * Offsets: a zip appended to other bytes may record offsets relative to the start of the zip
 * rather than of the file (both exist in the wild). The real central directory starts at
 * EOCD position − cd size; the difference to the recorded offset is added to every local header
 * offset (what Info-ZIP's unzip does for "extra bytes at beginning").
 *
 * Hostile input: every offset and length is checked against the file before it is read; sizes are
 * checked against `maxEntryBytes` before anything is inflated, the inflated size must equal the
 * declared one, and the CRC-32 is verified. Errors are MobileNetV2Error FORMAT naming the source.
 */
// fflate (pure JS, already fast-png's inflater) rather than node:zlib: the same code runs in browsers.
import { inflateSync } from 'fflate';
import { formatError, unsupportedError, type MobileNetV2Error } from '../errors.js';

export interface ZipEntry {
  readonly name: string;
  readonly method: 'stored' | 'deflate';
  readonly compressedSize: number;
  readonly size: number;
  readonly crc32: number;
  /** Absolute position of the local header in the file. */
  readonly localHeaderAt: number;
}

export interface ZipArchive {
  readonly entries: readonly ZipEntry[];
  /** Bytes before the archive (the flatbuffer, for a .tflite with metadata). */
  readonly prefixBytes: number;
  /** The entry's uncompressed bytes (checked: size and CRC-32). */
  read(name: string): Uint8Array;
}

const EOCD_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;
/** Default limit on one entry's uncompressed size (label files are kilobytes). */
export const DEFAULT_MAX_ZIP_ENTRY_BYTES = 64 << 20;

let crcTable: Uint32Array | null = null;
/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zip uses. */
export function crc32(bytes: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Where the EOCD record starts, or −1 when the bytes hold no zip. */
function findEocd(b: Uint8Array, view: DataView): number {
  const last = b.length - 22;
  const first = Math.max(0, last - 0xffff);
  for (let p = last; p >= first; p--) {
    if (b[p] === 0x50 && view.getUint32(p, true) === EOCD_SIG) {
      // The comment must end exactly at the end of the file.
      if (p + 22 + view.getUint16(p + 20, true) === b.length) return p;
    }
  }
  return -1;
}

/**
 * Opens the zip archive at the end of `bytes`, or returns null when there is none (no EOCD).
 * A present but inconsistent archive is a FORMAT error.
 */
export function openZip(bytes: Uint8Array, source: string, options: { maxEntryBytes?: number } = {}): ZipArchive | null {
  const maxEntry = options.maxEntryBytes ?? DEFAULT_MAX_ZIP_ENTRY_BYTES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  const bad = (msg: string): MobileNetV2Error => formatError(`${source}: corrupt zip archive: ${msg}`);
  if (n < 22) return null;
  const eocd = findEocd(bytes, view);
  if (eocd < 0) return null;
  const diskEntries = view.getUint16(eocd + 8, true);
  const count = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0 || diskEntries !== count) {
    throw unsupportedError(`${source}: multi-disk zip archives are not supported`);
  }
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw unsupportedError(`${source}: Zip64 archives are not supported`);
  const cdStart = eocd - cdSize;
  if (cdStart < 0) throw bad(`central directory of ${cdSize} bytes does not fit before the end record at ${eocd}`);
  const shift = cdStart - cdOffset;
  if (shift < 0) throw bad(`central directory recorded at ${cdOffset} but it ends at the end record (${eocd})`);
  // Each central entry is at least 46 bytes: a count the directory cannot hold is refused before looping.
  if (count * 46 > cdSize) throw bad(`${count} entries cannot fit a ${cdSize}-byte central directory`);

  const utf8 = new TextDecoder('utf-8');
  const entries: ZipEntry[] = [];
  let p = cdStart;
  for (let i = 0; i < count; i++) {
    if (p + 46 > eocd) throw bad(`central entry ${i} at ${p} runs past the directory`);
    if (view.getUint32(p, true) !== CEN_SIG) throw bad(`central entry ${i} at ${p} has no signature`);
    const flags = view.getUint16(p + 8, true);
    const methodCode = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    const csize = view.getUint32(p + 20, true);
    const usize = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true) + shift;
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > eocd) throw bad(`central entry ${i} at ${p} (name ${nameLen}, extra ${extraLen}, comment ${commentLen} bytes) runs past the directory`);
    const name = utf8.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    if (flags & 1) throw unsupportedError(`${source}: zip entry '${name}' is encrypted`);
    if (methodCode !== 0 && methodCode !== 8) throw unsupportedError(`${source}: zip entry '${name}' uses compression method ${methodCode}; only stored (0) and deflate (8) are supported`);
    if (local < 0 || local + 30 > cdStart) throw bad(`entry '${name}': local header at ${local} is outside the archive data`);
    entries.push({ name, method: methodCode === 0 ? 'stored' : 'deflate', compressedSize: csize, size: usize, crc32: crc, localHeaderAt: local });
    p = end;
  }

  return {
    entries,
    prefixBytes: Math.min(cdStart, ...entries.map((e) => e.localHeaderAt)),
    read(name: string): Uint8Array {
      const e = entries.find((x) => x.name === name);
      if (!e) throw formatError(`${source}: the zip archive has no entry '${name}' (entries: ${entries.map((x) => x.name).join(', ') || 'none'})`);
      const at = e.localHeaderAt;
      if (view.getUint32(at, true) !== LOC_SIG) throw bad(`entry '${name}': no local header signature at ${at}`);
      const dataAt = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
      if (dataAt + e.compressedSize > cdStart) throw bad(`entry '${name}': ${e.compressedSize} bytes of data at ${dataAt} run into the central directory at ${cdStart}`);
      if (e.size > maxEntry) throw formatError(`${source}: zip entry '${name}' declares ${e.size} bytes, more than the limit of ${maxEntry}`);
      const raw = bytes.subarray(dataAt, dataAt + e.compressedSize);
      let data: Uint8Array;
      if (e.method === 'stored') {
        if (e.compressedSize !== e.size) throw bad(`stored entry '${name}' has compressed size ${e.compressedSize} ≠ size ${e.size}`);
        data = raw.slice();
      } else {
        try {
          // Output capped at the declared size (checked against maxEntryBytes above); the CRC below
          // catches a stream that would have inflated to more.
          data = inflateSync(raw, { out: new Uint8Array(e.size) });
        } catch (err) {
          throw bad(`entry '${name}' does not inflate: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        }
        if (data.length !== e.size) throw bad(`entry '${name}' inflates to ${data.length} bytes, declared ${e.size}`);
      }
      const c = crc32(data);
      if (c !== e.crc32) throw bad(`entry '${name}' fails its CRC-32 check (stored ${e.crc32.toString(16)}, computed ${c.toString(16)})`);
      return data;
    },
  };
}
