// SPDX-License-Identifier: Apache-2.0
/**
 * `mobilenetv2 teach <manifold|bottleneck|block>`: the paper's arguments, rerun in one command each
 * (src/teach/, docs/teach.md).
 */
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command, CliIo } from '../command.js';
import { choiceOption, numberOption, parse } from '../args.js';
import { load } from '../../api.js';
import { BACKEND_KINDS, type BackendKind } from '../../backend/create.js';
import { createBackend } from '../../backend/create.js';
import { writeFileBytes } from '../../io/files.js';
import { usageError } from '../../errors.js';
import { FIGURE1_DIMS, formatManifold, manifoldExperiment, manifoldFigure } from '../../teach/manifold.js';
import { bottleneckAblation, formatBottleneck, type BottleneckActivation } from '../../teach/bottleneck.js';
import { blockFigures, formatBlock, walkBlock } from '../../teach/block.js';
import { defaultClassifier, defaultImage, sharedImages } from '../../teach/inputs.js';

const USAGE = `usage: mobilenetv2 teach manifold [--dims 2,3,5,15,30] [--draws N] [--seed S] [--points P] [--out fig1.png] [--json]
       mobilenetv2 teach bottleneck [IMAGE...] [--model NAME|PATH] [--activation relu6|relu] [--backend B] [--json]
       mobilenetv2 teach block [IMAGE] [--block I] [--model NAME|PATH] [--channels K] [--out-dir DIR] [--backend B] [--json]

The paper's arguments, each rerun on demand (docs/teach.md has the setups and figures).

manifold    Figure 1: a 2-D spiral embedded into n dimensions by a random T [n, 2], ReLU, projected
            back with T's pseudo-inverse. Prints, per n, the fraction of collapsed points and the
            reconstruction errors over seeded draws; --out writes the grid of plots (PNG).
  --dims LIST    embedding dimensions (default ${FIGURE1_DIMS.join(',')})
  --draws N      seeded draws of T per n (default 8)   --seed S   base seed (default 1)
  --points P     spiral points (default 500)           --rows R   draws shown in the PNG (1-16, default 3)

bottleneck  §3.2/§3.3 and Figure 6 on a TRAINED network (ablation, not the paper's retraining): ReLU6
            (or ReLU) after every projection, and separately every shortcut removed, weights kept.
            Prints top-1 agreement and logit cosine with the unmodified network per image, and per
            block how much of the linear bottleneck a ReLU would zero and its effective rank.
  IMAGE...       images (default: the shared photographs, ../shared/images)
  --model M      registry name or .tflite classifier (default: the shared mobilenet_v2_1.0_224_quant)
  --activation A relu6 (default, Figure 6a's "ReLU6 in bottleneck") or relu

block       One inverted residual block walked through on a real image: per step the operator,
            shape, MAdds, parameters and live memory, and feature-map grids (PNG) of its tensors.
  IMAGE          default: the shared cat.bmp
  --block I      features.I, a bottleneck from 1 to 17 (default 3)
  --channels K   channels drawn per tensor (default 16)
  --out-dir DIR  write block-I-<tensor>.png there

common:
  --backend B    auto (default: WASM SIMD if available, else ts-fast), scalar (the float64-accumulating
                 reference), ts-fast (bit-identical to scalar), wasm-simd
  --json         machine-readable output`;

function intList(raw: unknown): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = String(raw).split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => p === '') || nums.some((n) => !Number.isInteger(n) || n < 1 || n > 4096)) {
    throw usageError(`teach manifold: --dims must be a comma-separated list of integers from 1 to 4096, got '${String(raw)}'`);
  }
  return nums;
}

function backendOption(command: string, raw: unknown): BackendKind {
  return choiceOption(command, 'backend', raw, BACKEND_KINDS) ?? 'auto';
}

async function manifold(argv: string[], io: CliIo): Promise<number> {
  const { values } = parse('teach manifold', argv, {
    dims: { type: 'string' }, draws: { type: 'string' }, seed: { type: 'string' }, points: { type: 'string' },
    rows: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' },
  });
  const int = (name: string, lo: number, hi: number): number | undefined =>
    numberOption('teach manifold', name, values[name], (v) => Number.isInteger(v) && v >= lo && v <= hi, `an integer from ${lo} to ${hi}`);
  const r = manifoldExperiment({
    dims: intList(values.dims), draws: int('draws', 1, 1000), seed: int('seed', 0, 0xffffffff), points: int('points', 3, 100_000),
  });
  const rows = int('rows', 1, 16);
  if (typeof values.out === 'string') writeFileBytes(values.out, manifoldFigure(r, { rows }), 'figure');
  if (values.json) {
    io.out(JSON.stringify({ options: r.options, rows: r.rows, draws: r.draws.map((d) => ({ n: d.n, draw: d.draw, seed: d.seed, collapsed: d.collapsed, fitError: d.fitError, rawError: d.rawError })) }, null, 2));
  } else {
    io.out(formatManifold(r));
    if (typeof values.out === 'string') io.out(`figure: ${values.out}`);
  }
  return 0;
}

async function bottleneck(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('teach bottleneck', argv, {
    model: { type: 'string' }, activation: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' },
  }, true);
  const activation = choiceOption<BottleneckActivation>('teach bottleneck', 'activation', values.activation, ['relu6', 'relu']) ?? 'relu6';
  const kind = backendOption('teach bottleneck', values.backend);
  const images = positionals.length > 0 ? positionals : sharedImages();
  const model = await load({ model: (values.model as string | undefined) ?? defaultClassifier(), backend: 'scalar', log: (m) => io.err(m) });
  const backend = await createBackend(kind);
  try {
    const r = await bottleneckAblation(model, backend, images, { activation });
    io.out(values.json ? JSON.stringify(r, null, 2) : formatBottleneck(r, basename));
  } finally {
    backend.dispose();
    model.dispose();
  }
  return 0;
}

async function block(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('teach block', argv, {
    model: { type: 'string' }, block: { type: 'string' }, channels: { type: 'string' }, 'out-dir': { type: 'string' },
    backend: { type: 'string' }, json: { type: 'boolean' },
  }, true);
  if (positionals.length > 1) throw usageError(`teach block: give at most one image, got ${positionals.length}`);
  const index = numberOption('teach block', 'block', values.block, (v) => Number.isInteger(v) && v >= 1 && v <= 17, 'a bottleneck index from 1 to 17') ?? 3;
  const channels = numberOption('teach block', 'channels', values.channels, (v) => Number.isInteger(v) && v >= 1 && v <= 4096, 'an integer from 1 to 4096') ?? 16;
  const kind = backendOption('teach block', values.backend);
  const image = positionals[0] ?? defaultImage();
  const model = await load({ model: (values.model as string | undefined) ?? defaultClassifier(), backend: 'scalar', log: (m) => io.err(m) });
  const backend = await createBackend(kind);
  try {
    const wk = await walkBlock(model, backend, image, index);
    const written: string[] = [];
    const dir = values['out-dir'];
    if (typeof dir === 'string') {
      if (dir === '') throw usageError('teach block: --out-dir is empty');
      mkdirSync(dir, { recursive: true });
      for (const f of blockFigures(wk, { channels })) {
        const path = join(dir, `block-${index}-${f.part}.png`);
        writeFileBytes(path, f.png, 'figure');
        written.push(path);
      }
    }
    if (values.json) {
      const { tensors: _tensors, ...rest } = wk;
      io.out(JSON.stringify({ ...rest, model: model.name, figures: written }, null, 2));
    } else {
      io.out(formatBlock(wk, basename));
      for (const p of written) io.out(`figure: ${p}`);
    }
  } finally {
    backend.dispose();
    model.dispose();
  }
  return 0;
}

const SUBCOMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = { manifold, bottleneck, block };

export const teachCommand: Command = {
  summary: "rerun the paper's arguments: Figure 1 (manifold), linear bottleneck ablation, one block walked through",
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    const run = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!run) throw usageError(`teach: expected one of ${Object.keys(SUBCOMMANDS).join(', ')}${sub === undefined ? '' : `, got '${sub}'`} (see 'mobilenetv2 help teach')`);
    return run(rest, io);
  },
};
