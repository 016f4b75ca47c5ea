// SPDX-License-Identifier: Apache-2.0
/**
 * Where the teaching commands find a real trained network and real images when the user names
 * none: the project's shared data folder (`$MOBILENETV2_SHARED`, else `../shared` beside the
 * package root), which holds the TFLite classifier and a handful of photographs. Without it the
 * user passes `--model` and image paths; the registry name works too (looked up in
 * `$MOBILENETV2_MODELS`, downloaded when allowed).
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CLASSIFIER } from '../io/registry.js';
import { notFoundError } from '../errors.js';

/** The package root: the nearest folder above this file with our package.json (works from src/ and dist/src/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'kernels'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export function sharedDir(): string {
  return process.env.MOBILENETV2_SHARED ?? resolve(packageRoot(), '..', 'shared');
}

/** The shared uint8 classifier if present, else the registry's default classifier name. */
export function defaultClassifier(): string {
  const p = join(sharedDir(), 'models', `${DEFAULT_CLASSIFIER}.tflite`);
  return existsSync(p) ? p : DEFAULT_CLASSIFIER;
}

/** The shared photographs (not the segmentation mask), sorted; a NOT_FOUND error when the folder is absent. */
export function sharedImages(): string[] {
  const dir = join(sharedDir(), 'images');
  if (!existsSync(dir)) throw notFoundError(`no images given and the shared image folder ${dir} does not exist; pass image paths`);
  return readdirSync(dir)
    .filter((f) => /\.(bmp|jpe?g|png)$/i.test(f) && !/_mask\./i.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** The default image of the block walk-through. */
export function defaultImage(): string {
  const p = join(sharedDir(), 'images', 'cat.bmp');
  if (!existsSync(p)) throw notFoundError(`no image given and ${p} does not exist; pass an image path`);
  return p;
}
