// SPDX-License-Identifier: Apache-2.0
/** FNV-1a over the bytes of a float32 array: "same bits" between the page and Node in 8 hex digits. */
export function bitsHash(a: Float32Array): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
