// SPDX-License-Identifier: Apache-2.0
/** Runs a case on one of our Backends (the reference results, and a way to grade our fast backends) and writes a results directory. (Conformance vectors: see ../vectors.ts.) */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../../backend/backend.js';
import { conv2dGeometry, type Conv2dGeometry, type Pad4 } from '../../../kernels/geometry.js';
import type { Clamp } from '../../../kernels/clamp.js';
import { f32ResizeNearestNhwc, type ResizeCoordinateMode } from '../../../kernels/f32-resize-nhwc.js';
import { nonMaxSuppression } from '../../model/ssd/nms.js';
import { buildPlan, type PaddingConvention } from '../../model/plan.js';
import { buildDeeplabPlan, deeplabForward } from '../../model/deeplab.js';
import { forward } from '../../model/forward.js';
import { type ConvWeights, type MobileNetV2Weights } from '../../model/weights.js';
import { readNpyFile, writeNpyTypedFile } from '../../io/npy.js';
import { formatError } from '../../errors.js';
import { isQ8Kernel, prod, type TensorFile, type VectorCase, type VectorData } from './format.js';
import { runQ8VectorCase } from './runner-q8.js';
import { readVectorManifest } from './writer.js';
// ---------------------------------------------------------------------------------------------
// Running a case on our backends (reference results, and grading our fast backends).

export function load(dir: string, t: TensorFile): Float32Array {
  return readNpyFile(join(dir, t.file)).data;
}

function geometryFrom(p: Record<string, unknown>): Conv2dGeometry {
  const g = p as { inH: number; inW: number; kH: number; kW: number; stride: [number, number]; dilation: [number, number]; pad: Pad4 };
  return conv2dGeometry({ inH: g.inH, inW: g.inW, kH: g.kH, kW: g.kW, stride: g.stride, dilation: g.dilation, padding: g.pad });
}

const clampFrom = (c: unknown): Clamp | null => (Array.isArray(c) ? { min: c[0] as number, max: (c[1] as number | null) ?? Infinity } : null);

/**
 * Runs one case with `backend` for conv-like ops (our kernels for the rest); returns the output.
 * Integer (q8-*) cases always run on our scalar q8 kernels (runner-q8.ts), whatever `backend`.
 */
export function runVectorCase(dir: string, c: VectorCase, backend: Backend): VectorData {
  if (isQ8Kernel(c.kernel)) return runQ8VectorCase(dir, c);
  const p = c.params as Record<string, unknown>;
  const out = new Float32Array(prod(c.expected.shape));
  switch (c.kernel) {
    case 'conv2d': {
      const g = geometryFrom(p.geometry as Record<string, unknown>);
      const [n, , , ic] = c.inputs.x!.shape as number[];
      const oc = c.expected.shape[3]!;
      backend.conv2d(out, load(dir, c.inputs.x!), load(dir, c.inputs.w!), c.inputs.b ? load(dir, c.inputs.b) : null, { n: n!, inC: ic!, outC: oc }, g, clampFrom(p.clamp));
      return out;
    }
    case 'depthwise': {
      const g = geometryFrom(p.geometry as Record<string, unknown>);
      const [n, , , ch] = c.inputs.x!.shape as number[];
      backend.depthwiseConv2d(out, load(dir, c.inputs.x!), load(dir, c.inputs.w!), c.inputs.b ? load(dir, c.inputs.b) : null, { n: n!, channels: ch! }, g, clampFrom(p.clamp));
      return out;
    }
    case 'pointwise': {
      const [pixels, ic] = c.inputs.x!.shape as number[];
      backend.pointwiseConv(out, load(dir, c.inputs.x!), load(dir, c.inputs.w!), c.inputs.b ? load(dir, c.inputs.b) : null, { pixels: pixels!, inC: ic!, outC: c.expected.shape[1]! }, clampFrom(p.clamp));
      return out;
    }
    case 'pad': {
      const pad = p.pad as Pad4;
      const [, h, w, ch] = c.inputs.x!.shape as number[];
      const x = load(dir, c.inputs.x!);
      const W = w! + pad.left + pad.right;
      for (let i = 0; i < h!; i++) for (let j = 0; j < w!; j++) for (let k = 0; k < ch!; k++) out[((i + pad.top) * W + j + pad.left) * ch! + k] = x[(i * w! + j) * ch! + k]!;
      return out;
    }
    case 'padding': {
      const t = load(dir, c.inputs.table!);
      for (let r = 0; r < t.length / 4; r++) {
        const [n, k, s, d] = [t[4 * r]!, t[4 * r + 1]!, t[4 * r + 2]!, t[4 * r + 3]!];
        const g = conv2dGeometry({ inH: n, inW: 1, kH: k, kW: 1, stride: [s, 1], dilation: [d, 1], padding: p.convention as 'tf-same' | 'symmetric' });
        out.set([g.outH, g.pad.top, g.pad.bottom], 3 * r);
      }
      return out;
    }
    case 'resize': {
      const dims = { n: 1, inH: p.inH as number, inW: p.inW as number, c: c.inputs.x!.shape[3]!, outH: p.outH as number, outW: p.outW as number };
      const x = load(dir, c.inputs.x!);
      if (p.kind === 'bilinear') backend.resizeBilinear(out, x, dims, p.mode as ResizeCoordinateMode);
      else f32ResizeNearestNhwc(out, x, dims, p.mode as ResizeCoordinateMode);
      return out;
    }
    case 'nms': {
      const keep = nonMaxSuppression(load(dir, c.inputs.boxes!), load(dir, c.inputs.scores!), {
        iouThreshold: p.iouThreshold as number, scoreThreshold: p.scoreThreshold as number, maxOutput: (p.maxOutput as number | null) ?? Infinity,
      });
      return Float32Array.from(keep);
    }
    case 'network': {
      const padding = p.padding as PaddingConvention;
      const res = p.resolution as [number, number];
      const graph = p.graph as Array<Record<string, unknown>>;
      const convs = new Map<string, ConvWeights>();
      for (const node of graph) {
        if (node.weight && node.op !== 'fully_connected') convs.set(node.name as string, { weight: load(dir, node.weight as TensorFile), bias: load(dir, node.bias as TensorFile) });
      }
      if (p.head === 'deeplab') {
        const plan = buildDeeplabPlan({
          width: p.width as number, resolution: res, outputStride: p.outputStride as 16, aspp: p.aspp as 'none', classes: p.classes as number,
          depth: p.depth as number, padding, upsampling: p.upsampling as 'align-corners', concatOrder: p.concatOrder as 'pooling-first',
        });
        return deeplabForward(backend, plan, { convs, classifier: null }, load(dir, c.inputs.x!), c.inputs.x!.shape).logits.data;
      }
      const plan = buildPlan({ width: p.width as number, resolution: res, classes: p.classes as number, padding });
      const clsNode = graph.find((n) => n.op === 'fully_connected')!;
      const weights: MobileNetV2Weights = { convs, classifier: { weight: load(dir, clsNode.weight as TensorFile), bias: load(dir, clsNode.bias as TensorFile) } };
      return forward(backend, plan, weights, load(dir, c.inputs.x!), c.inputs.x!.shape).output.data;
    }
    default:
      throw formatError(`case '${c.name}': unknown kernel '${c.kernel}'`);
  }
}

/** Writes our results for every case (RESULTS/<case>.npy), computed on `backend`. */
export function writeVectorResults(dir: string, resultsDir: string, backend: Backend, transform?: (c: VectorCase, out: VectorData) => VectorData): void {
  const m = readVectorManifest(dir);
  mkdirSync(resultsDir, { recursive: true });
  for (const c of m.cases) {
    let out = runVectorCase(dir, c, backend);
    if (transform) out = transform(c, out);
    writeNpyTypedFile(join(resultsDir, `${c.name}.npy`), out, c.kernel === 'nms' ? [out.length] : c.expected.shape);
  }
}
