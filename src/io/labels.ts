// SPDX-License-Identifier: Apache-2.0
/**
 * Label sets and their index conventions (user-needs §1 A.6: the offsets that break ports):
 *  - 'imagenet-1001': TF-slim / TFLite classifiers, index 0 = background, ImageNet class k at k + 1;
 *  - 'imagenet-1000': torchvision / Keras, ImageNet class k at k;
 *  - 'voc-21': PASCAL VOC, 0 = background;
 *  - 'coco-91': TF OD API / torchvision detection slots, index = COCO category id, 0 = background,
 *    'N/A' for the 10 ids COCO does not use.
 * The names come from torchvision's metadata (data/labels/make_labels.py).
 */
import imagenet from '../../data/labels/imagenet.json' with { type: 'json' };
import coco from '../../data/labels/coco.json' with { type: 'json' };
import voc from '../../data/labels/voc.json' with { type: 'json' };
import type { LabelSet } from './registry.js';
import { formatError, usageError } from '../errors.js';

/**
 * PASCAL VOC 2012 class names, index = class id as DeepLab predicts it (0 = background; the VOC
 * devkit's `VOCopts.classes` in VOCinit.m are ids 1…20, in this order). Masks use 255 for "void"
 * (ignored in evaluation). Same list as ../shared/labels/pascal_voc_21.txt.
 */
export const PASCAL_VOC_LABELS: readonly string[] = Object.freeze(['background', ...voc.labels.slice(1)]);

export interface Labels {
  /** A shipped list, or 'file' for names given by the model's metadata or by the user. */
  readonly set: LabelSet | 'file';
  /** Offset between the model's output index and the dataset class index (1 for 1001-class models). */
  readonly offset: number;
  /** Label of a model output index. */
  name(index: number): string;
  readonly size: number;
}

export function labelsFor(set: LabelSet): Labels {
  switch (set) {
    case 'imagenet-1001':
      return { set, offset: 1, size: 1001, name: (i) => (i === 0 ? 'background' : imagenet.labels[i - 1] ?? `class ${i}`) };
    case 'imagenet-1000':
      return { set, offset: 0, size: 1000, name: (i) => imagenet.labels[i] ?? `class ${i}` };
    case 'voc-21':
      return { set, offset: 0, size: 21, name: (i) => PASCAL_VOC_LABELS[i] ?? `class ${i}` };
    case 'coco-91':
      return { set, offset: 0, size: 91, name: (i) => (i === 0 ? 'background' : coco.labels[i] ?? `class ${i}`) };
  }
}

/** The label set implied by a classifier's output count. */
export function labelSetForClasses(classes: number): LabelSet | null {
  return classes === 1001 ? 'imagenet-1001' : classes === 1000 ? 'imagenet-1000' : classes === 21 ? 'voc-21' : classes === 91 ? 'coco-91' : null;
}

/** Generic names when no label set fits. */
export function indexLabels(size: number): Labels {
  return { set: 'imagenet-1000', offset: 0, size, name: (i) => `class ${i}` };
}

/**
 * Labels from a list of names (a label file): line k names output k when there are as many lines
 * as outputs; with one line fewer, output 0 is the background class and line k names output k + 1
 * (TF-slim's 1001-way heads with a 1000-line file). Anything else is refused: a shifted list would
 * label every class wrongly without a word.
 */
export function labelsFromNames(names: readonly string[], outputs: number, source: string): Labels {
  if (names.length === outputs) return { set: 'file', offset: 0, size: outputs, name: (i) => names[i] ?? `class ${i}` };
  if (names.length === outputs - 1) return { set: 'file', offset: 1, size: outputs, name: (i) => (i === 0 ? 'background' : names[i - 1] ?? `class ${i}`) };
  throw usageError(`${source} has ${names.length} labels; the model has ${outputs} outputs (expected ${outputs}, or ${outputs - 1} when output 0 is the background)`);
}

// ---------------------------------------------------------------------------------------------
// COCO label files of the 90-class TF OD API detectors
//
// The TF COCO models predict 91 slots: slot 0 is background and slot s (1 … 90) is COCO category
// id s. COCO defines 80 categories over ids 1 … 90, so 10 ids are unused ("n/a"). The label file
// (`coco_90.txt`, one name per line) has line k = COCO id k + 1, so after the background slot is
// dropped, `labels[classIndex]` names the detection and `classIndex + 1` is its COCO id.

/** Marks a COCO id without a category. */
export const COCO_UNUSED_LABEL = 'n/a';

/**
 * Parses a label file with one name per line (line k = COCO id k + 1). Accepts LF or CRLF, trims
 * spaces around names and ignores trailing empty lines; an empty line elsewhere is an error, since
 * it would shift every later id.
 * @returns names indexed by classIndex (COCO id − 1); unused ids keep their "n/a".
 */
export function parseCocoLabels(text: string): string[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw formatError('label file is empty: expected one class name per line (line k = COCO id k + 1)');
  const blank = lines.indexOf('');
  if (blank >= 0) {
    throw formatError(`label file line ${blank + 1} is empty: every COCO id needs a line ("n/a" for unused ids), or later labels shift`);
  }
  return lines;
}

/** The COCO category id of a classIndex (0-based, background dropped). */
export function cocoId(classIndex: number): number {
  return classIndex + 1;
}
