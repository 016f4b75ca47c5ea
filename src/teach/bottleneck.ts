// SPDX-License-Identifier: Apache-2.0
/**
 * The linear-bottleneck and inverted-residual arguments (§3.2, §3.3, Figure 6) measured on a real
 * trained network. This is an ABLATION OF A TRAINED NETWORK, NOT THE PAPER'S EXPERIMENT: the paper
 * retrains each variant from scratch (Figure 6 plots ImageNet accuracy during training); here the
 * trained weights are kept and only the graph changes, so the numbers say how much the trained
 * network relies on its linear bottlenecks and shortcuts, not what a retrained variant would reach.
 *
 * Variants are plan transformations — the plan is data, `forward` is unchanged:
 *  - `withBottleneckActivation(plan, 'relu6' | 'relu')`: every projection ConvPlan gets an
 *    activation (the "ReLU6 in bottleneck" curve of Figure 6a);
 *  - `withoutShortcuts(plan)`: every block's `residual` flag is cleared (Figure 6b's "no residual").
 *
 * Per-block statistics come from the UNMODIFIED network's bottleneck tensors (the projection
 * outputs, before the shortcut add), pooled over the images:
 *  - negative values: what any ReLU would zero; above 6: what ReLU6 would also clip;
 *  - dead channels: channels ≤ 0 at every position of an image (a ReLU removes the whole channel);
 *  - effective rank: the participation ratio (Σλ)² / Σλ² of the eigenvalues λ of the channel
 *    covariance over positions, computed as tr(Σ)² / ‖Σ‖²_F, before and after the activation —
 *    how many dimensions the bottleneck manifold spreads over, and how many survive the ReLU.
 */
import type { Backend } from '../backend/backend.js';
import { forward } from '../model/forward.js';
import type { BlockPlan, MobileNetV2Plan } from '../model/plan.js';
import type { MobileNetV2Model } from '../api.js';
import { unsupportedError } from '../errors.js';

export type BottleneckActivation = 'relu6' | 'relu';
export type VariantName = 'linear' | 'relu6-in-bottleneck' | 'relu-in-bottleneck' | 'no-shortcuts';

/** The plan with an activation after every projection (the linear bottleneck made non-linear). */
export function withBottleneckActivation(plan: MobileNetV2Plan, activation: BottleneckActivation): MobileNetV2Plan {
  return {
    ...plan,
    blocks: plan.blocks.map((b) => b.kind !== 'bottleneck' ? b : {
      ...b, convs: b.convs.map((c) => (c.role === 'projection' ? { ...c, activation } : c)),
    }),
  };
}

/** The plan with every inverted-residual shortcut removed. */
export function withoutShortcuts(plan: MobileNetV2Plan): MobileNetV2Plan {
  return { ...plan, blocks: plan.blocks.map((b) => (b.residual ? { ...b, residual: false } : b)) };
}

/** The projection (bottleneck) conv of a block. */
export function projectionOf(b: BlockPlan): string {
  const p = b.convs.find((c) => c.role === 'projection');
  if (!p) throw unsupportedError(`${b.name} has no projection conv`);
  return p.name;
}

export interface BlockCounts {
  readonly block: string;
  /** [H, W, C] of the bottleneck tensor. */
  readonly shape: readonly [number, number, number];
  readonly residual: boolean;
  /** Values over all images. */
  readonly values: number;
  readonly negative: number;
  readonly aboveSix: number;
  /** Channel × image pairs. */
  readonly channels: number;
  readonly deadChannels: number;
  /** Participation-ratio effective rank, averaged over images: linear tensor, after ReLU6/ReLU. */
  readonly effectiveRank: number;
  readonly effectiveRankAfter: number;
}

export interface ImageOutcome {
  readonly image: string;
  readonly top1: Readonly<Record<VariantName, { readonly index: number; readonly label: string }>>;
  /** Cosine of the logits of each variant with the unmodified network's (float64). */
  readonly cosine: Readonly<Partial<Record<VariantName, number>>>;
}

export interface BottleneckResult {
  readonly model: string;
  readonly activation: BottleneckActivation;
  readonly variants: readonly VariantName[];
  readonly images: readonly ImageOutcome[];
  readonly blocks: readonly BlockCounts[];
  /** Per variant: images whose top-1 equals the unmodified network's, and the mean logit cosine. */
  readonly summary: Readonly<Partial<Record<VariantName, { readonly agree: number; readonly meanCosine: number; readonly minCosine: number }>>>;
}

export const ABLATION_NOTE =
  "This is an ablation of a TRAINED network (weights kept, graph changed), not the paper's experiment, which retrains every variant (Figure 6).";

/** Cosine similarity in float64. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

/** tr(Σ)² / ‖Σ‖²_F for the channel covariance of x [P, C] (positions × channels), in float64. */
export function participationRatio(x: ArrayLike<number>, positions: number, channels: number, activation: ((v: number) => number) | null = null): number {
  const v = new Float64Array(positions * channels);
  for (let i = 0; i < v.length; i++) v[i] = activation ? activation(x[i]!) : x[i]!;
  const mean = new Float64Array(channels);
  for (let p = 0; p < positions; p++) for (let c = 0; c < channels; c++) mean[c] = mean[c]! + v[p * channels + c]! / positions;
  for (let p = 0; p < positions; p++) for (let c = 0; c < channels; c++) v[p * channels + c] = v[p * channels + c]! - mean[c]!;
  const cov = new Float64Array(channels * channels);
  for (let p = 0; p < positions; p++) {
    const row = p * channels;
    for (let i = 0; i < channels; i++) {
      const vi = v[row + i]!;
      if (vi === 0) continue;
      for (let j = i; j < channels; j++) cov[i * channels + j] = cov[i * channels + j]! + vi * v[row + j]!;
    }
  }
  let trace = 0, frob = 0;
  for (let i = 0; i < channels; i++) {
    trace += cov[i * channels + i]!;
    for (let j = i; j < channels; j++) frob += (i === j ? 1 : 2) * cov[i * channels + j]! ** 2;
  }
  return frob > 0 ? (trace * trace) / frob : 0;
}

const ACT: Record<BottleneckActivation, (v: number) => number> = {
  relu6: (v) => Math.min(6, Math.max(0, v)),
  relu: (v) => Math.max(0, v),
};

export interface BottleneckOptions {
  readonly activation?: BottleneckActivation;
  /** Runs the variants; default all three (the activation's variant and no-shortcuts). */
  readonly variants?: readonly VariantName[];
}

/**
 * Runs the unmodified network and its variants on every image. `model` supplies the plan, the
 * weights, the labels and the image preparation; `backend` runs the layers.
 */
export async function bottleneckAblation(
  model: MobileNetV2Model, backend: Backend, images: readonly string[], options: BottleneckOptions = {},
): Promise<BottleneckResult> {
  const activation = options.activation ?? 'relu6';
  if (model.imported.head !== 'classifier') throw unsupportedError(`${model.name} is a ${model.imported.head} model; the bottleneck ablation needs a classifier`);
  const plan = model.imported.plan;
  const weights = model.imported.weights;
  const actVariant: VariantName = activation === 'relu6' ? 'relu6-in-bottleneck' : 'relu-in-bottleneck';
  const variants: VariantName[] = ['linear', actVariant, 'no-shortcuts'];
  const plans: Partial<Record<VariantName, MobileNetV2Plan>> = {
    linear: plan, [actVariant]: withBottleneckActivation(plan, activation), 'no-shortcuts': withoutShortcuts(plan),
  };
  const bottlenecks = plan.blocks.filter((b) => b.kind === 'bottleneck');
  const taps = bottlenecks.map(projectionOf);
  const [, h, w] = model.imported.input.shape as [number, number, number, number];
  const labels = model.labels;

  const acc = bottlenecks.map((b) => ({ values: 0, negative: 0, aboveSix: 0, channels: 0, deadChannels: 0, rank: 0, rankAfter: 0, block: b }));
  const outcomes: ImageOutcome[] = [];
  for (const image of images) {
    const { tensor } = await model.prepare(image);
    const logits: Partial<Record<VariantName, Float32Array>> = {};
    for (const v of variants) {
      const r = forward(backend, plans[v]!, weights, tensor, [1, h, w, 3], v === 'linear' ? { taps } : {});
      logits[v] = Float32Array.from(r.output.data);
      if (v !== 'linear') continue;
      bottlenecks.forEach((b, k) => {
        const t = r.taps.get(taps[k]!)!.data;
        const [bh, bw, c] = b.outShape;
        const a = acc[k]!;
        const positions = bh * bw;
        a.values += t.length;
        const alive = new Uint8Array(c);
        for (let i = 0; i < t.length; i++) {
          const x = t[i]!;
          if (x < 0) a.negative++;
          if (x > 6) a.aboveSix++;
          if (x > 0) alive[i % c] = 1;
        }
        a.channels += c;
        for (let j = 0; j < c; j++) if (!alive[j]) a.deadChannels++;
        a.rank += participationRatio(t, positions, c);
        a.rankAfter += participationRatio(t, positions, c, ACT[activation]);
      });
    }
    const base = logits.linear!;
    const top1 = {} as Record<VariantName, { index: number; label: string }>;
    const cos: Partial<Record<VariantName, number>> = {};
    for (const v of variants) {
      const i = argmax(logits[v]!);
      top1[v] = { index: i, label: labels.name(i) };
      if (v !== 'linear') cos[v] = cosine(base, logits[v]!);
    }
    outcomes.push({ image, top1, cosine: cos });
  }
  const summary: Partial<Record<VariantName, { agree: number; meanCosine: number; minCosine: number }>> = {};
  for (const v of variants.slice(1)) {
    const c = outcomes.map((o) => o.cosine[v]!);
    summary[v] = {
      agree: outcomes.filter((o) => o.top1[v].index === o.top1.linear.index).length,
      meanCosine: c.reduce((a, b) => a + b, 0) / c.length,
      minCosine: Math.min(...c),
    };
  }
  const n = images.length;
  return {
    model: model.name, activation, variants, images: outcomes, summary,
    blocks: acc.map((a) => ({
      block: a.block.name, shape: a.block.outShape, residual: a.block.residual,
      values: a.values, negative: a.negative, aboveSix: a.aboveSix, channels: a.channels, deadChannels: a.deadChannels,
      effectiveRank: a.rank / n, effectiveRankAfter: a.rankAfter / n,
    })),
  };
}

const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;

/** The printed report (the `teach bottleneck` output). */
export function formatBottleneck(r: BottleneckResult, imageName: (path: string) => string = (p) => p): string {
  const act = r.activation === 'relu6' ? 'ReLU6' : 'ReLU';
  const actVariant = r.variants[1]!;
  const lines = [
    `Linear bottlenecks and inverted residuals, measured on ${imageName(r.model)} (${r.images.length} image${r.images.length === 1 ? '' : 's'})`,
    ABLATION_NOTE,
    '',
    `variant                 what changes in the plan                                top-1 = unmodified   logit cosine mean (min)`,
  ];
  const s = (v: VariantName): string => {
    const m = r.summary[v]!;
    return `${`${m.agree}/${r.images.length}`.padEnd(21)}${m.meanCosine.toFixed(4)} (${m.minCosine.toFixed(4)})`;
  };
  lines.push(`${actVariant.padEnd(24)}${`${act} after every projection (${r.blocks.length} convs)`.padEnd(56)}${s(actVariant)}`);
  lines.push(`${'no-shortcuts'.padEnd(24)}${`residual flag cleared (${r.blocks.filter((b) => b.residual).length} shortcuts)`.padEnd(56)}${s('no-shortcuts')}`);
  lines.push('', 'image                            unmodified top-1              ' + `${actVariant} top-1`.padEnd(30) + 'no-shortcuts top-1');
  for (const o of r.images) {
    const t = (v: VariantName): string => `${o.top1[v].index} ${o.top1[v].label}`.slice(0, 28).padEnd(30);
    lines.push(`${imageName(o.image).padEnd(33)}${t('linear')}${t(actVariant)}${t('no-shortcuts').trimEnd()}`);
  }
  lines.push(
    '',
    `Bottleneck tensors of the unmodified network (projection outputs, before the shortcut), pooled over the images:`,
    `block        shape        shortcut  negative (${act} zeroes)  > 6 (ReLU6 clips)  dead (ch, image)  eff. rank  after ${act}`,
  );
  for (const b of r.blocks) {
    lines.push(
      `${b.block.padEnd(13)}${b.shape.join('x').padEnd(13)}${(b.residual ? 'yes' : 'no').padEnd(10)}` +
      `${pct(b.negative, b.values).padEnd(24)}${pct(b.aboveSix, b.values).padEnd(19)}` +
      `${`${b.deadChannels}/${b.channels}`.padEnd(18)}${b.effectiveRank.toFixed(1).padStart(9)}  ${b.effectiveRankAfter.toFixed(1).padStart(9)}`,
    );
  }
  const neg = r.blocks.reduce((a, b) => a + b.negative, 0);
  const all = r.blocks.reduce((a, b) => a + b.values, 0);
  lines.push(`all ${r.blocks.length} bottlenecks: ${pct(neg, all)} of the values are negative and would be zeroed by ${act}.`);
  return lines.join('\n');
}
