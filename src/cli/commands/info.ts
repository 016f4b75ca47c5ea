// SPDX-License-Identifier: Apache-2.0
import type { Command } from '../command.js';
import { parse, numberOption, choiceOption } from '../args.js';
import { usageError } from '../../errors.js';
import { buildPlan } from '../../model/plan.js';
import { formatInfo, planInfo } from '../../model/info.js';
import { ssdliteInfoText } from '../../model/ssd/info-report.js';
import { deeplabInfoText } from '../../model/deeplab-info.js';
import { memoryInfoText } from '../../model/memory-report.js';
import { modelFileInfo } from '../model-info.js';

const USAGE = `usage: mobilenetv2 info MODEL.tflite [--json]
       mobilenetv2 info [--head classifier|ssdlite|deeplab] [--width W] [--resolution R] [--classes K] [--padding symmetric|tf-same] [--memory] [--json]

Prints the layer table of MobileNetV2 (name, operator, t/c/n/s, input and output shape, params,
MAdds) and the totals. Given a .tflite file, prints what the file declares instead: its graph
summary and its TFLite Model Metadata (name, version, author, licence, input normalization and
range, label files) and the files zipped into it. params = conv weights + BN γ/β + classifier weight and bias (torchvision's
count); MAdds = conv and FC multiply-accumulates for one image (the TF-slim convention).

  --width W        width multiplier α (default 1.0; the paper uses 0.35 … 1.4)
  --resolution R   input size, ≥ 32 (default 224)
  --classes K      classifier outputs (default 1000; TF-slim/TFLite use 1001 with background at 0)
  --head H         classifier (default) or ssdlite: SSDLite detection (TF OD API topology; defaults
                   --resolution 300, --classes 91 slots incl. background, --padding tf-same;
                   the paper's Table 6 row is --resolution 320 --classes 81); its JSON adds
                   anchors, featureMaps, headParams, headMadds
                   or deeplab: Mobile DeepLabv3 (defaults --resolution 513, --classes 21,
                   --padding tf-same; channels rounded to 8 only at width 1, as DeepLab does);
                   --os 16|8 output stride (default 16), --aspp adds the 3×3 atrous ASPP
                   branches (plain, as in the paper's Table 7 rows; with --separable, DeepLab's
                   separable ones); its JSON adds head, outputStride, aspp, atrousRates, depth,
                   featureShape, headParams, headMadds
  --memory         activation bytes per layer under layer-by-layer and memory-efficient execution
                   (paper §5.1: fused bottlenecks), the peak and Eq. (2) of each, the stem trick,
                   and for the classifier the paper's Table 3 beside ours (--json: the raw report)
  --json           print { width, resolution, classes, params, madds, layers: [...] }`;

export const infoCommand: Command = {
  summary: 'layer table, parameters and multiply-adds of a configuration',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parse('info', argv, {
      width: { type: 'string' }, resolution: { type: 'string' }, classes: { type: 'string' },
      padding: { type: 'string' }, json: { type: 'boolean' }, head: { type: 'string' },
      os: { type: 'string' }, aspp: { type: 'boolean' }, separable: { type: 'boolean' }, memory: { type: 'boolean' },
    }, true);
    if (positionals.length > 1) throw usageError(`info: give at most one model file, got ${positionals.length}`);
    if (positionals.length === 1) {
      io.out(modelFileInfo(positionals[0]!, values.json === true));
      return 0;
    }
    const head = choiceOption('info', 'head', values.head, ['classifier', 'ssdlite', 'deeplab'] as const);
    const width = numberOption('info', 'width', values.width, (v) => v > 0, 'a positive number');
    const resolution = numberOption('info', 'resolution', values.resolution, (v) => Number.isInteger(v) && v >= 32, 'an integer ≥ 32');
    const classes = numberOption('info', 'classes', values.classes, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
    if (values.memory) {
      const os = choiceOption('info', 'os', values.os, ['8', '16'] as const);
      const padding = values.padding as 'symmetric' | 'tf-same' | undefined;
      io.out(memoryInfoText({
        head: head ?? 'classifier', width, resolution, classes, padding,
        outputStride: os === undefined ? undefined : os === '8' ? 8 : 16,
        aspp: values.aspp ? (values.separable ? 'separable' : 'plain') : 'none',
      }, values.json === true));
      return 0;
    }
    if (head === 'ssdlite') {
      io.out(ssdliteInfoText({ width, resolution, classes, padding: values.padding as 'symmetric' | 'tf-same' | undefined }, values.json === true));
      return 0;
    }
    if (head === 'deeplab') {
      const os = choiceOption('info', 'os', values.os, ['8', '16'] as const);
      const aspp = values.aspp ? (values.separable ? 'separable' : 'plain') : 'none';
      io.out(deeplabInfoText({ width, resolution, classes, padding: values.padding as 'symmetric' | 'tf-same' | undefined, outputStride: os === undefined ? undefined : os === '8' ? 8 : 16, aspp }, values.json === true));
      return 0;
    }
    const plan = buildPlan({ width, resolution, classes, padding: values.padding as 'symmetric' | 'tf-same' | undefined });
    const report = planInfo(plan);
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else io.out(formatInfo(report, `MobileNetV2 width ${plan.options.width}, ${plan.options.inputH}x${plan.options.inputW}, ${report.classes} classes`));
    return 0;
  },
};
