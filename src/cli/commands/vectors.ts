// SPDX-License-Identifier: Apache-2.0
import type { Command } from '../command.js';
import { parse } from '../args.js';
import { writeVectors } from '../../oracle/vectors.js';
import { usageError } from '../../errors.js';
import { checkOutputDir } from '../paths.js';

const USAGE = `usage: mobilenetv2 vectors --out DIR

Writes the kernel conformance suite to DIR: manifest.json (every case with its kernel, explicit
parameters — NHWC/OHWI layouts, stride, dilation, Pad4 padding, clamp — input and expected files and
a derived tolerance), the .npy files, and README.txt explaining how to run a kernel against it.
Kernels: conv2d, depthwise, pointwise, pad, padding (TF SAME / symmetric arithmetic), resize, nms,
and whole-network cases (classifier at 32x32, TF SAME and symmetric padding). Integer cases
(q8-conv2d, q8-depthwise incl. dilation, q8-pointwise, q8-fully-connected, q8-add, q8-avgpool,
q8-mean, q8-softmax, q8-resize-bilinear, q8-concat, q8-pad, q8-quantize, q8-dequantize,
q8-requantize, q8-argmax): uint8 per-tensor and int8 per-channel under each requantization
convention (tflite-reference, single-rounding, xnnpack-fp32), each with its scales, zero points,
multipliers/shifts, activation range and convention in the manifest, the formulas in README.txt,
graded exactly.
Grade results with 'mobilenetv2 check-vectors DIR RESULTS'.`;

export const vectorsCommand: Command = {
  summary: 'write the kernel conformance vectors (manifest + .npy) for other implementations',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parse('vectors', argv, { out: { type: 'string' } });
    if (typeof values.out !== 'string') throw usageError("vectors: --out DIR is required (see 'mobilenetv2 help vectors')");
    checkOutputDir('vectors', 'out', values.out);
    const m = writeVectors(values.out);
    const byKernel = new Map<string, number>();
    for (const c of m.cases) byKernel.set(c.kernel, (byKernel.get(c.kernel) ?? 0) + 1);
    io.out(`wrote ${m.cases.length} cases to ${values.out} (${[...byKernel].map(([k, n]) => `${k} ${n}`).join(', ')}); see ${values.out}/README.txt`);
    return 0;
  },
};
