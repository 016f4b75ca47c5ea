// SPDX-License-Identifier: Apache-2.0
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { choiceOption, numberOption, parse } from '../args.js';
import { PADDING_CONVENTIONS } from '../../model/plan.js';
import { readNpyFile, readNpyTypedFile, writeNpyFile, writeNpyTypedFile } from '../../io/npy.js';
import { load } from '../../api.js';
import { ARITHMETICS, DEFAULT_REQUANTIZATION, REQUANTIZATION_PROFILE_NAMES } from '../../app/arithmetic.js';
import type { TensorData } from '../../app/run-tensor.js';
import { BACKEND_KINDS } from '../../backend/create.js';
import { threadsOption } from '../options.js';
import { canonicalTapName, tapRecords, writeTapMetadata } from '../../oracle/taps.js';
import { readSafetensorsStateDict } from '../../io/safetensors-state-dict.js';
import { loadTorchvision } from '../../io/torchvision.js';
import { forward } from '../../model/forward.js';
import { firstNonFinite, nchwToNhwc, nhwcToNchw, unravel, type ActivationLayout } from '../../model/layout.js';
import { createScalarBackend } from '../../backend/scalar.js';
import { dtypeError, fmtShape, shapeError, usageError, valueError } from '../../errors.js';
import { parseProfileName, PROFILE_NAMES, resolveConventions, type ProfileName } from '../../io/conventions.js';
import { checkOutputDir, checkOutputFile } from '../paths.js';

const USAGE = `usage: mobilenetv2 run --weights W.safetensors --input X.npy --output Y.npy [--layout nchw|nhwc]
                      [--profile ${PROFILE_NAMES.join('|')}] [--width W]
                      [--padding symmetric|tf-same] [--bn-eps E] [--taps DIR]

Runs a torchvision mobilenet_v2 state dict (safetensors, F32 or F16) on the batch in X.npy
(float32) and writes the logits [N, K] to Y.npy. Width and class count are inferred from the
tensor shapes; the resolution from the input.

  --profile P    convention profile (default torchvision): sets padding, BN ε and the layout
                 assumed when the shape cannot tell; each can be overridden by the flags below
  --layout L     layout of X.npy: nchw (PyTorch) or nhwc; detected from the shape when omitted
  --width W      width multiplier, when inference from the shapes should be bypassed
  --padding P    symmetric (PyTorch) or tf-same (TensorFlow SAME); default from the profile
  --bn-eps E     BatchNorm ε used to fold BN; default from the profile (torchvision 1e-5,
                 tf-slim/keras 1e-3)
  --taps DIR     also write every named layer's output to DIR/<tap>.npy, in the input's layout,
                 and the convention record to DIR/conventions.json`;

/** Decides NCHW vs NHWC from a 4-D shape, or uses the explicit choice. */
function resolveLayout(shape: readonly number[], explicit: ActivationLayout | undefined, source: string, fallback?: ActivationLayout): ActivationLayout {
  if (shape.length !== 4) throw shapeError(`${source}: input has shape ${fmtShape(shape)}, expected a 4-D batch [N, 3, H, W] (nchw) or [N, H, W, 3] (nhwc)`);
  if (explicit) {
    const c = explicit === 'nchw' ? shape[1] : shape[3];
    if (c !== 3) throw shapeError(`${source}: input has shape ${fmtShape(shape)}, which is not ${explicit === 'nchw' ? '[N, 3, H, W]' : '[N, H, W, 3]'} (--layout ${explicit})`);
    return explicit;
  }
  if (shape[1] === 3 && shape[3] !== 3) return 'nchw';
  if (shape[3] === 3 && shape[1] !== 3) return 'nhwc';
  if (fallback && shape[1] === 3 && shape[3] === 3) return fallback;
  throw shapeError(`${source}: cannot tell the layout of input shape ${fmtShape(shape)}; expected [N, 3, H, W] or [N, H, W, 3] — pass --layout`);
}

export const runCommand: Command = {
  summary: 'run torchvision weights (safetensors) on an .npy batch; write logits and taps',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parse('run', argv, {
      weights: { type: 'string' }, input: { type: 'string' }, output: { type: 'string' }, layout: { type: 'string' },
      width: { type: 'string' }, padding: { type: 'string' }, 'bn-eps': { type: 'string' }, taps: { type: 'string' },
      profile: { type: 'string' }, model: { type: 'string' }, arithmetic: { type: 'string' }, requantization: { type: 'string' },
      backend: { type: 'string' }, threads: { type: 'string' },
    });
    if (typeof values.model === 'string') return runModelFile(values, io);
    for (const required of ['weights', 'input', 'output'] as const) {
      if (typeof values[required] !== 'string') throw usageError(`run: --${required} is required (see 'mobilenetv2 help run')`);
    }
    checkOutputFile('run', 'output', values.output as string);
    if (typeof values.taps === 'string') checkOutputDir('run', 'taps', values.taps);
    const layoutOpt = choiceOption('run', 'layout', values.layout, ['nchw', 'nhwc'] as const);
    const paddingOpt = choiceOption('run', 'padding', values.padding, PADDING_CONVENTIONS);
    const width = numberOption('run', 'width', values.width, (v) => v > 0, 'a positive number');
    const bnEpsOpt = numberOption('run', 'bn-eps', values['bn-eps'], (v) => v >= 0, 'a non-negative number');
    const profile: ProfileName | null = values.profile === undefined ? null : parseProfileName(values.profile);
    // The profile's values, with the user's flags on top; layout and classes are settled below.
    const chosen = resolveConventions(profile, { padding: paddingOpt, bnEps: bnEpsOpt });
    const padding = chosen.padding;
    const bnEps = chosen.bnEps ?? 1e-5;

    const inputPath = values.input as string;
    const x = readNpyFile(inputPath);
    const layout = resolveLayout(x.shape, layoutOpt, inputPath, chosen.activationLayout === 'NCHW' ? 'nchw' : 'nhwc');
    const [n, d1, d2, d3] = x.shape as [number, number, number, number];
    const [h, w] = layout === 'nchw' ? [d2, d3] : [d1, d2];
    if (h < 32 || w < 32) throw shapeError(`${inputPath}: input is ${h}x${w}, expected at least 32x32`);
    const bad = firstNonFinite(x.data);
    if (bad >= 0) throw valueError(`${inputPath}: input value at ${fmtShape(unravel(bad, x.shape))} is ${x.data[bad]}; expected finite numbers`);
    const nhwc = layout === 'nchw' ? nchwToNhwc(x.data, n, 3, h, w) : x.data;

    const weightsPath = values.weights as string;
    const sd = readSafetensorsStateDict(weightsPath);
    const { plan, weights } = loadTorchvision(sd, { width, resolution: [h, w], padding }, { bnEps, source: weightsPath });
    const result = forward(createScalarBackend(), plan, weights, nhwc, [n, h, w, 3], { taps: values.taps ? 'all' : undefined });
    // The record of this result: a torchvision state dict is OIHW whatever the profile says.
    const conventions = resolveConventions(profile, { padding: paddingOpt, bnEps: bnEpsOpt, activationLayout: layout === 'nchw' ? 'NCHW' : 'NHWC' }, {
      weightLayout: 'OIHW', classes: plan.classifier?.classes ?? 0, ...(chosen.bnEps === null ? { bnEps } : {}),
      notes: { weightLayout: 'the weights file is a torchvision state dict', bnEps: 'the state dict has unfolded BatchNorm; the profile has no ε (folded), so torch\'s 1e-5 is used' },
    });

    writeNpyFile(values.output as string, result.output.data, result.output.shape);
    if (typeof values.taps === 'string') {
      mkdirSync(values.taps, { recursive: true });
      for (const [name, t] of result.taps) {
        const [tn, th, tw, tc] = t.shape as number[];
        if (t.shape.length === 4 && layout === 'nchw') writeNpyFile(join(values.taps, `${name}.npy`), nhwcToNchw(t.data, tn!, th!, tw!, tc!), [tn!, tc!, th!, tw!]);
        else writeNpyFile(join(values.taps, `${name}.npy`), t.data, t.shape);
      }
      writeFileSync(join(values.taps, 'conventions.json'), JSON.stringify({ width: plan.options.width, resolution: [h, w], conventions }, null, 2) + '\n');
    }
    io.err(`MobileNetV2 width ${plan.options.width}, ${h}x${w}, ${plan.classifier?.classes ?? 0} classes, padding ${padding}, BN ε ${bnEps}, input ${layout}: ` +
      `wrote ${values.output} ${fmtShape(result.output.shape)}${values.taps ? ` and ${result.taps.size} taps to ${values.taps}` : ''}`);
    return 0;
  },
};

/** `run --model FILE.tflite`: a whole TFLite model on a raw tensor, outputs and taps in their own dtypes. */
async function runModelFile(values: Record<string, string | boolean | string[] | undefined>, io: Parameters<Command['run']>[1]): Promise<number> {
  for (const required of ['input', 'output'] as const) {
    if (typeof values[required] !== 'string') throw usageError(`run: --${required} is required (see 'mobilenetv2 help run')`);
  }
  for (const torchOnly of ['weights', 'layout', 'width', 'padding', 'bn-eps', 'profile'] as const) {
    if (values[torchOnly] !== undefined) throw usageError(`run: --${torchOnly} is for --weights (a torchvision state dict); a TFLite file declares its own`);
  }
  checkOutputFile('run', 'output', values.output as string);
  if (typeof values.taps === 'string') checkOutputDir('run', 'taps', values.taps);
  const arithmetic = choiceOption('run', 'arithmetic', values.arithmetic, ARITHMETICS);
  const requantization = choiceOption('run', 'requantization', values.requantization, REQUANTIZATION_PROFILE_NAMES);
  const backend = choiceOption('run', 'backend', values.backend, BACKEND_KINDS) ?? 'auto';
  const threads = threadsOption('run', values.threads, (m) => io.err(m));
  const x = readNpyTypedFile(values.input as string);
  if (x.dtype === 'int64') throw dtypeError(`${values.input as string}: input is int64; expected the model's input dtype (uint8, int8 or float32)`);
  const model = await load({ model: values.model as string, backend, threads, arithmetic, requantization, log: (m) => io.err(m) });
  try {
    const result = model.runTensor(x.data as TensorData, x.shape, { taps: values.taps ? 'all' : undefined });
    const final = result.outputs[result.outputs.length - 1]!;
    writeNpyTypedFile(values.output as string, final.data, final.shape);
    if (typeof values.taps === 'string') {
      mkdirSync(values.taps, { recursive: true });
      // An output that is a tap under another name (the classifier's 'logits') is written once, as the tap.
      const tapOf = (name: string): string => canonicalTapName(name) ?? name;
      const all = [...result.taps, ...result.outputs.filter((o) => !result.taps.some((t) => tapOf(t.name) === tapOf(o.name)))];
      for (const t of all) writeNpyTypedFile(join(values.taps, `${t.name}.npy`), t.data, t.shape);
      writeTapMetadata(values.taps, tapRecords(all.map((t) => ({ name: t.name, shape: t.shape, quantization: t.quantization }))), {
        model: model.name, arithmetic: result.arithmetic.kind, requantization: result.arithmetic.requantization,
      });
    }
    io.err(`${model.name}: ${result.arithmetic.kind} arithmetic${result.arithmetic.requantization ? ` (${result.arithmetic.requantization})` : ''}, ` +
      `wrote ${values.output as string} ${final.name} ${fmtShape(final.shape)}${values.taps ? ` and ${result.taps.length} taps to ${values.taps as string}` : ''}`);
    return 0;
  } finally {
    model.dispose();
  }
}
