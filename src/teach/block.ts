// SPDX-License-Identifier: Apache-2.0
/**
 * One inverted residual block (Table 1) walked through on a real image: the expansion 1×1 conv with
 * ReLU6, the 3×3 depthwise conv with ReLU6, the linear 1×1 projection, and the shortcut add — with,
 * at each step, the tensor shapes, multiply-adds, parameters and the memory live during the step,
 * and the feature maps of every tensor drawn as image grids.
 *
 * Memory here is LAYER-WISE and simple: during a step, its input and output tensors are live, plus
 * the block input while a shortcut still needs it (float32, 4 bytes a value; the paper's Table 3
 * counts 16-bit floats, half of this). The paper's §5.1 point is the contrast with the block's
 * bottleneck tensors: computing the expansion in slices ("F(x) = Σᵢ (Aᵢ ∘ N ∘ Bᵢ)(x)") only the
 * block's input and output need to exist whole, "as low as |s²k| + |s′²k′| + O(max(s², s′²))".
 * Beside that, the whole-network memory plan (src/model/memory-plan.ts, paper Eq. (2)) says what is
 * live across the network while each of the block's ops runs, layer by layer and with the block
 * fused (the memory-efficient execution of §5.1, row tiles as the runner uses them).
 */
import type { Backend } from '../backend/backend.js';
import { forward, type Tap } from '../model/forward.js';
import type { ConvPlan } from '../model/plan.js';
import type { MobileNetV2Model } from '../api.js';
import { unsupportedError, usageError } from '../errors.js';
import { classifierMemoryPlan, type PlannedOp } from '../model/memory-plan.js';
import { channelImage, createFigure, figurePng, label } from './plot.js';

export const BYTES_PER_VALUE = 4;

export interface BlockStep {
  /** 'expansion' | 'depthwise' | 'projection' | 'shortcut add' */
  readonly step: string;
  /** Tap name of the step's output. */
  readonly tap: string;
  readonly operator: string;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly madds: number;
  readonly params: number;
  /** Tensors live during the step (names) and their total bytes at float32. */
  readonly live: readonly string[];
  readonly liveBytes: number;
}

export interface BlockWalk {
  readonly block: string;
  readonly image: string;
  readonly t: number;
  readonly stride: number;
  readonly residual: boolean;
  readonly inShape: readonly [number, number, number];
  readonly outShape: readonly [number, number, number];
  readonly steps: readonly BlockStep[];
  readonly madds: number;
  /** The paper's h·w·d′·t(d′ + k² + d″), written for stride 1; null for stride-2 or t = 1 blocks, where it does not apply as printed. */
  readonly paperMadds: number | null;
  /** The same count with the depthwise and projection at the output size and no expansion when t = 1. */
  readonly formulaMadds: number;
  readonly params: number;
  readonly peakLiveBytes: number;
  /** §5.1: block input + block output only (the bound's leading terms). */
  readonly bottleneckBytes: number;
  /** From the whole-network memory plan (float32, batch 1): this block's ops layer by layer, and the block as one fused op. */
  readonly memoryPlan: { readonly layerwise: readonly PlannedOp[]; readonly fused: PlannedOp | null };
  /** The tensors, for drawing: block input, each conv output, block output. */
  readonly tensors: ReadonlyArray<{ readonly name: string; readonly part: string; readonly role: string; readonly tap: Tap }>;
}

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function operatorOf(c: ConvPlan): string {
  const act = c.activation === 'linear' ? 'linear' : c.activation === 'relu6' ? 'ReLU6' : 'ReLU';
  if (c.kind === 'depthwise') return `${c.kernel}x${c.kernel} depthwise, stride ${c.stride}${c.dilation > 1 ? `, dilation ${c.dilation}` : ''}, ${act}`;
  return `1x1 conv ${c.inC}→${c.outC}, ${act}`;
}

/** Runs the model on the image and walks block `features.<index>` (a bottleneck, 1 … 17). */
export async function walkBlock(model: MobileNetV2Model, backend: Backend, image: string, index: number): Promise<BlockWalk> {
  const plan = model.imported.plan;
  const b = plan.blocks.find((x) => x.index === index);
  if (!Number.isInteger(index) || !b || b.kind !== 'bottleneck') {
    throw usageError(`teach block: --block must be a bottleneck index from 1 to 17, got '${index}'`);
  }
  if (model.imported.head !== 'classifier' && model.imported.head !== 'features') {
    throw unsupportedError(`${model.name} is a ${model.imported.head} model; the block walk-through needs a MobileNetV2 classifier`);
  }
  const inputTap = index === 1 ? 'features.0' : `features.${index - 1}`;
  const taps = [inputTap, ...b.convs.map((c) => c.name), b.name];
  const { tensor } = await model.prepare(image);
  const [, h, w] = model.imported.input.shape as [number, number, number, number];
  const r = forward(backend, plan, model.imported.weights, tensor, [1, h, w, 3], { taps });
  const tap = (name: string): Tap => r.taps.get(name)!;

  const inBytes = size(b.inShape) * BYTES_PER_VALUE;
  const steps: BlockStep[] = [];
  let prevName = `${inputTap} (block input)`;
  let prevShape: readonly number[] = b.inShape;
  let prevBytes = inBytes;
  for (const c of b.convs) {
    const outShape = [c.geometry.outH, c.geometry.outW, c.outC];
    const outBytes = size(outShape) * BYTES_PER_VALUE;
    const keepInput = b.residual && !prevName.startsWith(inputTap);
    const live = [prevName, c.name, ...(keepInput ? [`${inputTap} (kept for the shortcut)`] : [])];
    steps.push({
      step: c.role, tap: c.name, operator: operatorOf(c), inShape: prevShape, outShape, madds: c.madds, params: c.params,
      live, liveBytes: prevBytes + outBytes + (keepInput ? inBytes : 0),
    });
    prevName = c.name;
    prevShape = outShape;
    prevBytes = outBytes;
  }
  if (b.residual) {
    steps.push({
      step: 'shortcut add', tap: b.name, operator: `add ${inputTap} + ${prevName}`, inShape: prevShape, outShape: b.outShape, madds: 0, params: 0,
      live: [inputTap, prevName, b.name], liveBytes: inBytes + 2 * prevBytes,
    });
  }
  const [bh, bw, d1] = b.inShape;
  const d2 = b.outShape[2];
  const hidden = b.convs.find((c) => c.role === 'depthwise')!.outC;
  const k = 3;
  const [oh, ow] = b.outShape;
  const formulaMadds = (b.t !== 1 ? bh * bw * d1 * hidden : 0) + oh * ow * hidden * (k * k + d2);
  const dwStride = b.convs.find((c) => c.role === 'depthwise')!.stride;
  const paperMadds = dwStride === 1 && b.t !== 1 ? bh * bw * d1 * b.t * (d1 + k * k + d2) : null;
  const roles: Record<string, string> = { expansion: 'expansion', depthwise: 'depthwise', projection: 'projection (linear bottleneck)' };
  const tensors = [
    { name: inputTap, part: 'input', role: 'block input', tap: tap(inputTap) },
    ...b.convs.map((c) => ({ name: c.name, part: c.role, role: roles[c.role] ?? c.role, tap: tap(c.name) })),
    ...(b.residual ? [{ name: b.name, part: 'output', role: 'block output (after the shortcut)', tap: tap(b.name) }] : []),
  ];
  return {
    block: b.name, image, t: b.t, stride: dwStride, residual: b.residual,
    inShape: b.inShape, outShape: b.outShape, steps, madds: b.madds, paperMadds, formulaMadds, params: b.params,
    peakLiveBytes: Math.max(...steps.map((s) => s.liveBytes)),
    bottleneckBytes: inBytes + size(b.outShape) * BYTES_PER_VALUE,
    memoryPlan: {
      layerwise: classifierMemoryPlan(plan, { execution: 'layerwise' }).ops.filter((op) => op.outputs.some((t) => taps.includes(t) && t !== inputTap)),
      fused: classifierMemoryPlan(plan, { execution: 'efficient' }).ops.find((op) => op.name === b.name && op.kind === 'bottleneck') ?? null,
    },
    tensors,
  };
}

const fmtInt = (n: number): string => n.toLocaleString('en-US');
const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

/** The printed walk-through (the `teach block` output). */
export function formatBlock(wk: BlockWalk, imageName: (p: string) => string = (p) => p): string {
  const lines = [
    `${wk.block}: inverted residual block (Table 1), t = ${wk.t}, stride ${wk.stride}, ${wk.inShape.join('x')} → ${wk.outShape.join('x')}, shortcut: ${wk.residual ? 'yes (stride 1, in = out channels)' : 'no'}; image ${imageName(wk.image)}`,
    '',
    'step            operator                              in            out           MAdds        params   live during the step (float32)',
  ];
  for (const s of wk.steps) {
    lines.push(
      `${s.step.padEnd(16)}${s.operator.padEnd(38)}${s.inShape.join('x').padEnd(14)}${s.outShape.join('x').padEnd(14)}` +
      `${fmtInt(s.madds).padStart(11)}${fmtInt(s.params).padStart(10)}   ${kib(s.liveBytes).padStart(10)}  ${s.live.join(' + ')}`,
    );
  }
  lines.push(
    '',
    `MAdds: ${fmtInt(wk.madds)} (plan)` + (wk.paperMadds !== null ? ` = h·w·d′·t(d′ + k² + d″) = ${fmtInt(wk.paperMadds)} (paper §3.3)` : '') +
      `; with the depthwise and projection at the output size${wk.t === 1 ? ' and no expansion (t = 1)' : ''}: ${fmtInt(wk.formulaMadds)}`,
    `params: ${fmtInt(wk.params)} (conv weights + BatchNorm γ, β, torchvision's count)`,
    `memory: layer-wise peak ${kib(wk.peakLiveBytes)}; block input + output alone (§5.1, the expansion computed in slices): ${kib(wk.bottleneckBytes)}`,
    '(layer-wise live tensors of this block only; the whole network\'s memory plan follows)',
    '',
    'memory plan of the whole network (src/model/memory-plan.ts; float32, batch 1; `mobilenetv2 info --memory` prints every layer):',
    ...wk.memoryPlan.layerwise.map((op) => `  layer by layer  ${op.name.padEnd(22)} Eq. (2) ${kib(op.eq2Bytes).padStart(11)}   live in the network ${kib(op.liveBytes).padStart(11)}`),
    ...(wk.memoryPlan.fused
      ? [`  fused (§5.1)    ${wk.memoryPlan.fused.name.padEnd(22)} Eq. (2) ${kib(wk.memoryPlan.fused.eq2Bytes).padStart(11)}   live in the network ${kib(wk.memoryPlan.fused.liveBytes).padStart(11)}   (tile scratch ${kib(wk.memoryPlan.fused.scratchBytes)}, ${wk.memoryPlan.fused.tileRows} output row${wk.memoryPlan.fused.tileRows === 1 ? '' : 's'} per tile)`]
      : ['  fused (§5.1)    this block is not fused by the plan']),
  );
  return lines.join('\n');
}

export interface BlockFigureOptions {
  /** Channels drawn per tensor (default 16). */
  readonly channels?: number;
}

/**
 * One PNG per tensor: the first K channels in a grid of up to 8 columns, each channel scaled by
 * the 99th percentile of the tensor's |values| (title says which; larger values saturate), unsigned tensors black → white, signed ones
 * blue → white → red (white = 0, so what a ReLU would zero is the blue).
 */
export function blockFigures(wk: BlockWalk, options: BlockFigureOptions = {}): Array<{ name: string; part: string; png: Uint8Array }> {
  return wk.tensors.map(({ name, part, role, tap }) => {
    const [, h, w, c] = tap.shape as [number, number, number, number];
    const k = Math.min(options.channels ?? 16, c);
    // Colour scale: the 99th percentile of |value| over the whole tensor (a few outliers would
    // otherwise wash every channel out); larger values saturate.
    let min = 0;
    for (const v of tap.data) min = Math.min(min, v);
    const signed = min < 0;
    const mags = Float32Array.from(tap.data, Math.abs).sort();
    const max = mags[Math.min(mags.length - 1, Math.floor(0.99 * mags.length))]!;
    const zoom = Math.max(1, Math.round(96 / Math.max(h, w)));
    const cols = Math.min(8, k);
    const rows = Math.ceil(k / cols);
    const gap = 4, header = 28;
    const f = createFigure(gap + cols * (w * zoom + gap), header + rows * (h * zoom + gap));
    label(f, gap, 4, `${name} ${role}`.toUpperCase(), 1);
    label(f, gap, 15, `${h}X${w}X${c}, CHANNELS 0-${k - 1}, ${signed ? `BLUE -${max.toFixed(2)} WHITE 0 RED +${max.toFixed(2)}` : `BLACK 0 WHITE ${max.toFixed(2)}`} (99TH PERCENTILE)`, 1);
    for (let i = 0; i < k; i++) {
      const x = gap + (i % cols) * (w * zoom + gap);
      const y = header + Math.floor(i / cols) * (h * zoom + gap);
      channelImage(f, x, y, tap.data, [h, w, c], i, zoom, max, signed ? 'signed' : 'unsigned');
    }
    return { name, part, png: figurePng(f) };
  });
}

