// SPDX-License-Identifier: Apache-2.0
/**
 * The valid inputs the fuzz cases start from, per parser: the real files in ../shared (models,
 * photos; read at run time, never committed) and files our own writers produce (TFLite exports of
 * seeded random networks, safetensors, .npy, PNG, JPEG via jpeg-js's encoder, BMP). Each base has a
 * stable id ('shared:models/x.tflite', 'gen:npy-4d') so a recorded case names what it mutated.
 */
import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { encode as fastPngEncode } from 'fast-png';
import { buildPlan } from '../../src/model/plan.js';
import { buildDeeplabPlan } from '../../src/model/deeplab.js';
import { buildSsdlitePlan } from '../../src/model/ssdlite.js';
import {
  defaultDetectionPostProcessOptions, encodeDetectionPostProcessOptions, exportClassifierTflite, exportDeeplabTflite,
  exportSsdliteTflite, randomClassifierWeights, randomDeeplabWeights, randomSsdliteWeights, seededUniform,
} from '../../src/io/tflite/export.js';
import { calibrateClassifier, calibrateSsdlite } from '../../src/io/tflite/ptq.js';
import { createScalarBackend } from '../../src/backend/scalar.js';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import { encodeNpy } from '../../src/io/npy.js';
import { encodePng } from '../../src/io/image/decode.js';
import { HAVE_SHARED, sharedPath } from '../helpers/shared.js';
import type { Parser } from './mutations.js';

export interface Base {
  readonly id: string;
  readonly bytes: Uint8Array;
}

function noise(n: number, seed: number): Float32Array {
  const r = seededUniform(seed);
  return Float32Array.from({ length: n }, () => 2 * r() - 1);
}

function pixels(w: number, h: number, channels: number, seed: number): Uint8Array {
  const r = seededUniform(seed);
  const out = new Uint8Array(w * h * channels);
  // smooth gradients with some noise: compressible like a photo, not like white noise
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) {
    out[(y * w + x) * channels + c] = (x * 5 + y * 3 + c * 60 + Math.floor(r() * 24)) & 255;
  }
  return out;
}

/** A minimal BMP writer for the corpus (24-bit BGR bottom-up, or 8-bit with a grey palette). */
function bmp(w: number, h: number, bpp: 24 | 8, seed: number): Uint8Array {
  const rowBytes = Math.ceil((w * bpp) / 32) * 4;
  const paletteBytes = bpp === 8 ? 256 * 4 : 0;
  const offset = 14 + 40 + paletteBytes;
  const out = new Uint8Array(offset + rowBytes * h);
  const dv = new DataView(out.buffer);
  out[0] = 0x42; out[1] = 0x4d;
  dv.setUint32(2, out.length, true); dv.setUint32(10, offset, true);
  dv.setUint32(14, 40, true); dv.setInt32(18, w, true); dv.setInt32(22, h, true);
  dv.setUint16(26, 1, true); dv.setUint16(28, bpp, true); dv.setUint32(34, rowBytes * h, true);
  for (let i = 0; i < paletteBytes / 4; i++) out.set([i, i, i, 0], 54 + 4 * i);
  const px = pixels(w, h, bpp / 8, seed);
  for (let y = 0; y < h; y++) out.set(px.subarray(y * w * (bpp / 8), (y + 1) * w * (bpp / 8)), offset + (h - 1 - y) * rowBytes);
  return out;
}

function shared(...parts: string[]): Base[] {
  if (!HAVE_SHARED) return [];
  return [{ id: `shared:${parts.join('/')}`, bytes: new Uint8Array(readFileSync(sharedPath(...parts))) }];
}

function generated(): Record<Parser, Base[]> {
  const classifierPlan = buildPlan({ width: 0.35, resolution: 64, classes: 11, padding: 'tf-same' });
  const deeplabPlan = buildDeeplabPlan({ width: 0.35, resolution: 65, classes: 3, depth: 32 });
  const ssdPlan = buildSsdlitePlan({ resolution: 96, width: 0.35, classes: 4 });
  const pp = defaultDetectionPostProcessOptions(4);
  // Full-integer int8 files (per-channel weights, int32 biases, activation quantization calibrated
  // on two noise inputs): the importer's quantization checks and integer views get mutated too.
  const calibration = (size: number, seed: number) => [0, 1].map((k) => ({ data: noise(size * size * 3, seed + k), shape: [1, size, size, 3] }));
  const ssdWeights = randomSsdliteWeights(ssdPlan, 5);
  const classifierWeights = randomClassifierWeights(classifierPlan, 6);
  const scalar = createScalarBackend();
  return {
    tflite: [
      { id: 'gen:classifier-0.35-64', bytes: exportClassifierTflite(classifierPlan, randomClassifierWeights(classifierPlan, 1)) },
      { id: 'gen:deeplab-0.35-65', bytes: exportDeeplabTflite(deeplabPlan, randomDeeplabWeights(deeplabPlan, 2)) },
      { id: 'gen:ssdlite-0.35-96-postprocess', bytes: exportSsdliteTflite(ssdPlan, randomSsdliteWeights(ssdPlan, 3), { postprocess: pp }) },
      { id: 'gen:ssdlite-0.35-96-raw', bytes: exportSsdliteTflite(ssdPlan, randomSsdliteWeights(ssdPlan, 4), { postprocess: null }) },
      {
        id: 'gen:classifier-0.35-64-int8',
        bytes: exportClassifierTflite(classifierPlan, classifierWeights, { int8: { ranges: calibrateClassifier(scalar, classifierPlan, classifierWeights, calibration(64, 13)) } }),
      },
      {
        id: 'gen:ssdlite-0.35-96-int8',
        bytes: exportSsdliteTflite(ssdPlan, ssdWeights, { postprocess: pp, int8: { ranges: calibrateSsdlite(scalar, ssdPlan, ssdWeights, calibration(96, 15)) } }),
      },
    ],
    flexbuffer: [
      { id: 'gen:postprocess-options', bytes: encodeDetectionPostProcessOptions(pp) },
      { id: 'gen:postprocess-options-regular', bytes: encodeDetectionPostProcessOptions({ ...defaultDetectionPostProcessOptions(91), useRegularNms: true }) },
    ],
    safetensors: [
      {
        id: 'gen:safetensors-mixed',
        bytes: encodeSafetensors([
          { name: 'features.0.0.weight', dtype: 'F32', shape: [4, 3, 3, 3], data: noise(108, 5) },
          { name: 'features.0.1.running_var', dtype: 'F16', shape: [4], data: noise(4, 6) },
          { name: 'features.0.1.num_batches_tracked', dtype: 'I64', shape: [], data: new BigInt64Array([7n]) },
        ], { format: 'pt' }),
      },
      { id: 'gen:safetensors-f32', bytes: encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [2, 3, 8, 8], data: noise(384, 7) }]) },
    ],
    npy: [
      { id: 'gen:npy-4d', bytes: encodeNpy(noise(2 * 3 * 16 * 16, 8), [2, 3, 16, 16]) },
      { id: 'gen:npy-vector', bytes: encodeNpy(noise(10, 9), [10]) },
      { id: 'gen:npy-scalar', bytes: encodeNpy(noise(1, 10), []) },
    ],
    jpeg: [
      { id: 'gen:jpeg-48x32-q50', bytes: new Uint8Array(jpeg.encode({ data: pixels(48, 32, 4, 11), width: 48, height: 32 }, 50).data) },
      { id: 'gen:jpeg-17x9-q90', bytes: new Uint8Array(jpeg.encode({ data: pixels(17, 9, 4, 12), width: 17, height: 9 }, 90).data) },
    ],
    png: [
      { id: 'gen:png-rgb-40x30', bytes: encodePng({ data: pixels(40, 30, 3, 13), width: 40, height: 30, channels: 3 }) },
      { id: 'gen:png-grey-33x7', bytes: encodePng({ data: pixels(33, 7, 1, 14), width: 33, height: 7, channels: 1 }) },
      { id: 'gen:png-rgba-16x16', bytes: encodePng({ data: pixels(16, 16, 4, 15), width: 16, height: 16, channels: 4 }) },
      {
        id: 'gen:png-palette-4bit-20x10',
        bytes: fastPngEncode({ width: 20, height: 10, depth: 4, channels: 1, data: packRows(pixels(20, 10, 1, 16), 20, 10), palette: Array.from({ length: 16 }, (_, i) => [i * 16, 255 - i * 16, i * 8]) }),
      },
    ],
    bmp: [
      { id: 'gen:bmp-24-13x7', bytes: bmp(13, 7, 24, 17) },
      { id: 'gen:bmp-8-21x5', bytes: bmp(21, 5, 8, 18) },
    ],
  };
}

/** 4-bit palette indices, two per byte, rows byte-aligned (PNG packing). */
function packRows(px: Uint8Array, w: number, h: number): Uint8Array {
  const rowBytes = Math.ceil(w / 2);
  const out = new Uint8Array(rowBytes * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * rowBytes + (x >> 1)]! |= (px[y * w + x]! & 15) << (x & 1 ? 0 : 4);
  return out;
}

let cache: Record<Parser, Base[]> | null = null;

/** Every base input per parser (shared files first when ../shared is present). */
export function corpus(): Record<Parser, Base[]> {
  if (cache) return cache;
  const g = generated();
  cache = {
    tflite: [
      ...shared('models', 'mobilenet_v2_1.0_224_quant.tflite'),
      ...shared('models', 'deeplabv3_mnv2_pascal_quant.tflite'),
      ...shared('models', 'deeplabv3_257_mv_gpu.tflite'),
      ...g.tflite,
    ],
    flexbuffer: g.flexbuffer,
    safetensors: g.safetensors,
    npy: g.npy,
    jpeg: [...shared('images', 'hot_dog.jpg'), ...shared('images', 'street_dog_bicycle_truck.jpg'), ...g.jpeg],
    png: g.png,
    bmp: [...shared('images', 'cat.bmp'), ...shared('images', 'bird_segmentation_mask.bmp'), ...g.bmp],
  };
  return cache;
}

/** The base with this id (for replaying recorded cases); null when it is a shared file that is absent. */
export function baseById(id: string): Base | null {
  for (const list of Object.values(corpus())) for (const b of list) if (b.id === id) return b;
  if (id.startsWith('shared:') && !HAVE_SHARED) return null;
  throw new Error(`fuzz corpus has no base '${id}'`);
}
