// SPDX-License-Identifier: Apache-2.0
import type { Command } from '../command.js';
import { choiceOption, numberOption, parse } from '../args.js';
import { readSafetensorsStateDict } from '../../io/safetensors-state-dict.js';
import { loadTorchvision } from '../../io/torchvision.js';
import { buildPlan, PADDING_CONVENTIONS, type PaddingConvention } from '../../model/plan.js';
import { buildDeeplabPlan } from '../../model/deeplab.js';
import { deeplabTorchToWeights } from '../../io/deeplab-torch.js';
import { buildSsdlitePlan } from '../../model/ssdlite.js';
import {
  defaultDetectionPostProcessOptions, exportClassifierTflite, exportDeeplabTflite, exportSsdliteTflite,
  randomClassifierWeights, randomDeeplabWeights, randomSsdliteWeights,
} from '../../io/tflite/export.js';
import { writeFileBytes } from '../../io/files.js';
import { readTfliteModel } from '../../io/tflite/model.js';
import { usageError } from '../../errors.js';
import { checkOutputFile } from '../paths.js';
import { planBatch } from '../batch.js';
import { createBackend } from '../../backend/create.js';
import { calibrateClassifier, calibrateSsdlite, type ActivationRanges } from '../../io/tflite/ptq.js';
import type { Backend } from '../../backend/backend.js';
import type { Tap } from '../../model/runner.js';
import { decodeImage } from '../../io/image/decode.js';
import { preprocessImage, type Fit, type ResizeMethod } from '../../io/image/preprocess.js';
import { readFileBytes } from '../../io/files.js';

const USAGE = `usage: mobilenetv2 convert --to tflite (--weights W.safetensors | --random-seed N) --out MODEL.tflite
                         [--head classifier|deeplab|ssdlite] [--width W] [--resolution R] [--classes K]
                         [--padding tf-same|symmetric] [--bn-eps E] [--no-softmax]
                         [--max-detections N] [--regular-nms] [--no-postprocess]
                         [--int8 --calibration IMAGES [--calibration-count N] [--calibration-normalization P]]

Exports a float32 network to a TensorFlow Lite file that the TFLite interpreter runs with exactly our
(BN-folded) weights — or, with --int8, a full-integer int8 classifier or SSDLite quantized as TFLite's
converter does (post-training: calibrated activations, per-channel weights, int32 biases).

  --to tflite        the output format (the only one so far)
  --weights W        classifier: a torchvision mobilenet_v2 state dict (width and classes inferred);
                     deeplab: our Mobile DeepLabv3 PyTorch layout (data/golden/gen/make_deeplab_golden.py)
  --random-seed N    seeded RANDOM weights instead. They recognise nothing: they are for testing
                     kernels, exporters, interpreters and pipelines (e.g. SSDLite, for which no
                     trained weights are loaded here). SSDLite random heads are biased so that a few
                     anchors score above 0.5.
  --head H           classifier (default), deeplab (Mobile DeepLabv3, output stride 16, no ASPP) or
                     ssdlite (TF OD API layout with TFLite_Detection_PostProcess)
  --width W          width multiplier (default 1, or inferred from --weights)
  --resolution R     input size (default 224 classifier, 513 deeplab, 300 ssdlite)
  --classes K        classifier outputs (default 1001 random / from the weights), DeepLab classes
                     (default 21), SSDLite class slots incl. background (default 91 = COCO)
  --padding P        symmetric (default with --weights: torchvision's) or tf-same (default with
                     --random-seed). Pads that TFLite's SAME cannot express become explicit PAD ops.
  --bn-eps E         BatchNorm epsilon used to fold --weights (default 1e-5, PyTorch's)
  --no-softmax       classifier: end at the logits instead of SOFTMAX
  --max-detections N ssdlite: the post-process op's max_detections (default 10, TF's exporter)
  --regular-nms      ssdlite: the op's per-class NMS (use_regular_nms) instead of the fast NMS
  --no-postprocess   ssdlite: end at the raw box encodings and sigmoid class scores
  --int8             classifier or ssdlite: write an int8 model (int8 input; the classifier's SOFTMAX,
                     SSDLite's LOGISTIC at scale 1/256; SSDLite's post-process op behind DEQUANTIZE);
                     every activation's range is calibrated by running the float network on --calibration
  --calibration I    representative images: files, directories or quoted globs, comma-separated;
                     each is resized to the input size (classifier: bilinear, half-pixel; ssdlite:
                     the whole image stretched, TF1's asymmetric bilinear, as 'tf-od-api') and normalized
  --calibration-count N  use the first N images (default 100; TFLite suggests 100–500)
  --calibration-normalization P  how calibration images are normalized (default tf-inception,
                     [−1, 1]: the file's int8 input then takes raw pixels as q = p − 128; with
                     torch-imagenet, load the file with normalization 'torch-imagenet' so inputs
                     are normalized, then quantized with the input's scale)`;

export const convertCommand: Command = {
  summary: 'export a network (torchvision weights or seeded random) to a .tflite file',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parse('convert', argv, {
      to: { type: 'string' }, weights: { type: 'string' }, 'random-seed': { type: 'string' }, out: { type: 'string' },
      head: { type: 'string' }, width: { type: 'string' }, resolution: { type: 'string' }, classes: { type: 'string' },
      padding: { type: 'string' }, 'bn-eps': { type: 'string' }, 'no-softmax': { type: 'boolean' },
      'max-detections': { type: 'string' }, 'regular-nms': { type: 'boolean' }, 'no-postprocess': { type: 'boolean' },
      int8: { type: 'boolean' }, calibration: { type: 'string' }, 'calibration-count': { type: 'string' }, 'calibration-normalization': { type: 'string' },
    });
    const to = choiceOption('convert', 'to', values.to, ['tflite'] as const);
    if (to === undefined) throw usageError("convert: --to tflite is required (see 'mobilenetv2 help convert')");
    if (typeof values.out !== 'string') throw usageError("convert: --out MODEL.tflite is required (see 'mobilenetv2 help convert')");
    checkOutputFile('convert', 'out', values.out);
    const weightsPath = values.weights as string | undefined;
    const seed = numberOption('convert', 'random-seed', values['random-seed'], (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32, 'an integer from 0 to 2^32 − 1');
    if ((weightsPath === undefined) === (seed === undefined)) throw usageError('convert: give exactly one of --weights W.safetensors and --random-seed N');
    const head = choiceOption('convert', 'head', values.head, ['classifier', 'deeplab', 'ssdlite'] as const) ?? 'classifier';
    const width = numberOption('convert', 'width', values.width, (v) => v > 0 && v <= 4, 'a number in (0, 4]');
    const resolution = numberOption('convert', 'resolution', values.resolution, (v) => Number.isInteger(v) && v >= 32 && v <= 2048, 'an integer from 32 to 2048');
    const classes = numberOption('convert', 'classes', values.classes, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
    const padding: PaddingConvention = choiceOption('convert', 'padding', values.padding, PADDING_CONVENTIONS) ?? (weightsPath ? 'symmetric' : 'tf-same');
    const bnEps = numberOption('convert', 'bn-eps', values['bn-eps'], (v) => v >= 0, 'a non-negative number') ?? 1e-5;
    const maxDetections = numberOption('convert', 'max-detections', values['max-detections'], (v) => Number.isInteger(v) && v >= 1 && v <= 10000, 'an integer from 1 to 10000');
    if (head !== 'classifier' && values['no-softmax']) throw usageError('convert: --no-softmax is for --head classifier');
    if (head !== 'ssdlite' && (maxDetections !== undefined || values['regular-nms'] || values['no-postprocess'])) {
      throw usageError('convert: --max-detections, --regular-nms and --no-postprocess are for --head ssdlite');
    }
    const int8 = values.int8 === true;
    const calibrationCount = numberOption('convert', 'calibration-count', values['calibration-count'], (v) => Number.isInteger(v) && v >= 1 && v <= 100000, 'an integer from 1 to 100000') ?? 100;
    const calibrationNormalization = choiceOption('convert', 'calibration-normalization', values['calibration-normalization'], ['tf-inception', 'torch-imagenet'] as const) ?? 'tf-inception';
    if (int8 && head === 'deeplab') throw usageError('convert: --int8 is for --head classifier or ssdlite (int8 DeepLab export is not written yet)');
    if (int8 && typeof values.calibration !== 'string') throw usageError('convert: --int8 needs --calibration IMAGES (representative images to calibrate the activation ranges)');
    if (!int8 && (values.calibration !== undefined || values['calibration-count'] !== undefined || values['calibration-normalization'] !== undefined)) {
      throw usageError('convert: --calibration, --calibration-count and --calibration-normalization are for --int8');
    }

    /** Activation ranges of the float network over the --calibration images, prepared for its input. */
    const calibrate = async (
      run: (backend: Backend, inputs: Tap[]) => ActivationRanges, size: { inputH: number; inputW: number }, resize: ResizeMethod, fit: Fit,
    ): Promise<{ ranges: ActivationRanges; calibrationRuns: number }> => {
      const images = planBatch('convert', (values.calibration as string).split(','), {}).images.slice(0, calibrationCount);
      const backend = await createBackend('ts-fast');
      const inputs = images.map((path) => {
        const img = decodeImage(readFileBytes(path, 'calibration image'), path);
        const { tensor } = preprocessImage(img, { width: size.inputW, height: size.inputH, resize, fit, normalization: calibrationNormalization });
        return { data: tensor, shape: [1, size.inputH, size.inputW, 3] };
      });
      const ranges = run(backend, inputs);
      io.err(`calibrated the activation ranges on ${inputs.length} image${inputs.length === 1 ? '' : 's'} (${calibrationNormalization})`);
      return { ranges, calibrationRuns: inputs.length };
    };

    let bytes: Uint8Array;
    if (head === 'classifier') {
      let plan, weights;
      if (weightsPath) {
        const sd = readSafetensorsStateDict(weightsPath);
        ({ plan, weights } = loadTorchvision(sd, { width, resolution: resolution ?? 224, padding, classes }, { bnEps, source: weightsPath }));
      } else {
        plan = buildPlan({ width: width ?? 1, resolution: resolution ?? 224, classes: classes ?? 1001, padding });
        weights = randomClassifierWeights(plan, seed!);
      }
      const int8Options = int8 ? await calibrate((backend, inputs) => calibrateClassifier(backend, plan, weights, inputs), plan.options, 'bilinear-half-pixel', 'stretch') : null;
      bytes = exportClassifierTflite(plan, weights, { softmax: !values['no-softmax'], randomSeed: seed, ...(int8Options ? { int8: int8Options } : {}) });
    } else if (head === 'deeplab') {
      const plan = buildDeeplabPlan({ width: width ?? 1, resolution: resolution ?? 513, classes: classes ?? 21, padding });
      const weights = weightsPath
        ? deeplabTorchToWeights(readSafetensorsStateDict(weightsPath), plan, { bnEps, source: weightsPath })
        : randomDeeplabWeights(plan, seed!);
      bytes = exportDeeplabTflite(plan, weights, { randomSeed: seed });
    } else {
      if (weightsPath) throw usageError('convert: no SSDLite weight file format is read yet; use --random-seed N to export a seeded random SSDLite (for testing pipelines)');
      const plan = buildSsdlitePlan({ width: width ?? 1, resolution: resolution ?? 300, classes: classes ?? 91, padding });
      const postprocess = values['no-postprocess'] ? null : {
        ...defaultDetectionPostProcessOptions(plan.classes),
        ...(maxDetections !== undefined ? { maxDetections } : {}),
        useRegularNms: values['regular-nms'] === true,
      };
      const weights = randomSsdliteWeights(plan, seed!);
      // A detector's input: the whole image stretched to the input size ('tf-od-api': TF1 resize_images, bilinear, asymmetric grid).
      const int8Options = int8 ? await calibrate((backend, inputs) => calibrateSsdlite(backend, plan, weights, inputs), plan.options, 'bilinear-asymmetric', 'stretch') : null;
      bytes = exportSsdliteTflite(plan, weights, { postprocess, randomSeed: seed, ...(int8Options ? { int8: int8Options } : {}) });
    }
    const description = readTfliteModel(bytes, values.out).description ?? '';
    writeFileBytes(values.out, bytes, 'output model');
    io.err(`wrote ${values.out} (${bytes.byteLength} bytes): ${description}`);
    return 0;
  },
};
