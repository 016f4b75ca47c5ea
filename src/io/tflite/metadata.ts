// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite Model Metadata: what a .tflite file says about itself (name, version, author, licence,
 * input normalization and range, label files), read with our flatbuffer reader.
 *
 * Where it lives (tensorflow/lite schema.fbs): Model field 6 `metadata: [Metadata]`, each
 * Metadata { name: string (0), buffer: uint (1) }; the entry named "TFLITE_METADATA" points at a
 * buffer holding a ModelMetadata flatbuffer (file identifier "M001"). The associated files it names
 * (label lists…) are packed into a zip archive appended to the model file (src/io/zip.ts).
 *
 * Field ids (tflite-support metadata_schema.fbs, declaration order; a union takes two slots):
 *   ModelMetadata:    name 0, description 1, version 2, subgraph_metadata 3, author 4, license 5,
 *                     associated_files 6, min_parser_version 7
 *   SubGraphMetadata: name 0, description 1, input_tensor_metadata 2, output_tensor_metadata 3,
 *                     associated_files 4, input_process_units 5, output_process_units 6
 *   TensorMetadata:   name 0, description 1, dimension_names 2, content 3, process_units 4, stats 5,
 *                     associated_files 6
 *   Content:          content_properties_type 0, content_properties 1, range 2
 *   ImageProperties:  color_space 0 (byte: 0 UNKNOWN, 1 RGB, 2 GRAYSCALE), default_size 1
 *   ProcessUnit:      options_type 0, options 1 (1 NormalizationOptions, 2 ScoreCalibrationOptions,
 *                     3 ScoreThresholdingOptions, 4 BertTokenizerOptions, 5 SentencePieceTokenizerOptions)
 *   NormalizationOptions: mean 0 [float], std 1 [float]   ((x − mean) / std, per channel; one value = all)
 *   Stats:            max 0 [float], min 1 [float]
 *   AssociatedFile:   name 0, description 1, type 2 (byte: 0 UNKNOWN, 1 DESCRIPTIONS,
 *                     2 TENSOR_AXIS_LABELS, 3 TENSOR_VALUE_LABELS, 4 TENSOR_AXIS_SCORE_CALIBRATION,
 *                     5 VOCABULARY), locale 3
 */
import { formatError } from '../../errors.js';
import { openZip, type ZipArchive } from '../zip.js';
import { FlatBufferReader, type FbTable } from './flatbuffer.js';

export const METADATA_NAME = 'TFLITE_METADATA';
export const METADATA_FILE_IDENTIFIER = 'M001';

export const ASSOCIATED_FILE_TYPES = ['UNKNOWN', 'DESCRIPTIONS', 'TENSOR_AXIS_LABELS', 'TENSOR_VALUE_LABELS', 'TENSOR_AXIS_SCORE_CALIBRATION', 'VOCABULARY'] as const;
export type AssociatedFileType = (typeof ASSOCIATED_FILE_TYPES)[number];
const COLOR_SPACES = ['UNKNOWN', 'RGB', 'GRAYSCALE'] as const;

export interface AssociatedFileInfo {
  readonly name: string;
  readonly description: string | null;
  readonly type: AssociatedFileType;
  readonly locale: string | null;
}

export interface TensorMetadataInfo {
  readonly name: string | null;
  readonly description: string | null;
  readonly colorSpace: (typeof COLOR_SPACES)[number] | null;
  /** NormalizationOptions: real = (x − mean[c]) / std[c] on the tensor's values (pixels 0..255 for images). */
  readonly normalization: { readonly mean: readonly number[]; readonly std: readonly number[] } | null;
  /** Stats: the tensor's value range after normalization. */
  readonly range: { readonly min: readonly number[]; readonly max: readonly number[] } | null;
  readonly associatedFiles: readonly AssociatedFileInfo[];
}

export interface ModelMetadataInfo {
  readonly name: string | null;
  readonly description: string | null;
  readonly version: string | null;
  readonly author: string | null;
  readonly license: string | null;
  readonly minParserVersion: string | null;
  readonly associatedFiles: readonly AssociatedFileInfo[];
  readonly inputs: readonly TensorMetadataInfo[];
  readonly outputs: readonly TensorMetadataInfo[];
}

export interface TfliteMetadata {
  /** Null when the file has no TFLITE_METADATA entry. */
  readonly metadata: ModelMetadataInfo | null;
  /** The zip archive appended to the model, or null. */
  readonly archive: ZipArchive | null;
  /** Names of every Model.metadata entry (e.g. min_runtime_version, TFLITE_METADATA). */
  readonly entries: readonly string[];
}

function files(t: FbTable, id: number): AssociatedFileInfo[] {
  const v = t.vector(id, 'associated_files', 4);
  const out: AssociatedFileInfo[] = [];
  for (let i = 0; i < (v?.length ?? 0); i++) {
    const f = v!.table(i);
    const type = f.i8(2, 'type');
    out.push({
      name: f.string(0, 'name') ?? '',
      description: f.string(1, 'description'),
      type: ASSOCIATED_FILE_TYPES[type] ?? 'UNKNOWN',
      locale: f.string(3, 'locale'),
    });
  }
  return out;
}

function tensorInfo(t: FbTable): TensorMetadataInfo {
  let colorSpace: TensorMetadataInfo['colorSpace'] = null;
  const content = t.table(3, 'content');
  if (content) {
    const props = content.union(0, 'content_properties');
    if (props.type === 2 && props.table) colorSpace = COLOR_SPACES[props.table.i8(0, 'color_space')] ?? 'UNKNOWN';
  }
  let normalization: TensorMetadataInfo['normalization'] = null;
  const units = t.vector(4, 'process_units', 4);
  for (let i = 0; i < (units?.length ?? 0); i++) {
    const opt = units!.table(i).union(0, 'options');
    if (opt.type === 1 && opt.table) {
      normalization = { mean: opt.table.vector(0, 'mean', 4)?.f32s() ?? [], std: opt.table.vector(1, 'std', 4)?.f32s() ?? [] };
    }
  }
  const stats = t.table(5, 'stats');
  const range = stats ? { max: stats.vector(0, 'max', 4)?.f32s() ?? [], min: stats.vector(1, 'min', 4)?.f32s() ?? [] } : null;
  return { name: t.string(0, 'name'), description: t.string(1, 'description'), colorSpace, normalization, range, associatedFiles: files(t, 6) };
}

/** Parses a ModelMetadata flatbuffer (the bytes of the TFLITE_METADATA buffer). */
export function readModelMetadata(bytes: Uint8Array, source: string): ModelMetadataInfo {
  const fb = new FlatBufferReader(bytes, `${source} (metadata)`);
  if (bytes.length < 8) throw formatError(`${source}: TFLite metadata buffer of ${bytes.length} bytes is too short`);
  const ident = fb.fileIdentifier();
  if (ident !== METADATA_FILE_IDENTIFIER) throw formatError(`${source}: TFLite metadata buffer has file identifier '${ident}', expected '${METADATA_FILE_IDENTIFIER}'`);
  const root = fb.root('metadata');
  const sg = root.vector(3, 'subgraph_metadata', 4);
  const inputs: TensorMetadataInfo[] = [];
  const outputs: TensorMetadataInfo[] = [];
  if (sg && sg.length > 0) {
    const s0 = sg.table(0);
    const iv = s0.vector(2, 'input_tensor_metadata', 4);
    for (let i = 0; i < (iv?.length ?? 0); i++) inputs.push(tensorInfo(iv!.table(i)));
    const ov = s0.vector(3, 'output_tensor_metadata', 4);
    for (let i = 0; i < (ov?.length ?? 0); i++) outputs.push(tensorInfo(ov!.table(i)));
  }
  return {
    name: root.string(0, 'name'), description: root.string(1, 'description'), version: root.string(2, 'version'),
    author: root.string(4, 'author'), license: root.string(5, 'license'), minParserVersion: root.string(7, 'min_parser_version'),
    associatedFiles: files(root, 6), inputs, outputs,
  };
}

/** The bytes of buffer `index` of a .tflite model (inline data only: metadata buffers are small). */
function bufferBytes(model: FbTable, index: number): Uint8Array {
  const buffers = model.vector(4, 'buffers', 4);
  if (!buffers || index >= buffers.length) {
    throw model.fb.error('corrupt', `metadata refers to buffer ${index} of ${buffers?.length ?? 0}`, 'model.metadata');
  }
  return buffers.table(index).vector(0, 'data', 1)?.bytes() ?? new Uint8Array(0);
}

/** Reads the metadata entries and the appended zip archive of a .tflite file. */
export function readTfliteMetadata(bytes: Uint8Array, source: string): TfliteMetadata {
  const fb = new FlatBufferReader(bytes, source);
  const model = fb.root('model');
  const list = model.vector(6, 'metadata', 4);
  const entries: string[] = [];
  let metadata: ModelMetadataInfo | null = null;
  for (let i = 0; i < (list?.length ?? 0); i++) {
    const m = list!.table(i);
    const name = m.string(0, 'name') ?? '';
    entries.push(name);
    if (name === METADATA_NAME && metadata === null) metadata = readModelMetadata(bufferBytes(model, m.u32(1, 'buffer')), source);
  }
  return { metadata, archive: openZip(bytes, source), entries };
}

/**
 * The label file the metadata attaches to output `outputIndex` (TENSOR_AXIS_LABELS for class
 * scores, TENSOR_VALUE_LABELS for a detector's class-index output; the first file of that type
 * without a locale, else the first), read from the archive as lines. Null when there is none.
 */
export function metadataLabels(md: TfliteMetadata, source: string): { names: string[]; file: string } | null {
  if (!md.metadata) return null;
  const candidates: AssociatedFileInfo[] = [];
  for (const t of md.metadata.outputs) candidates.push(...t.associatedFiles.filter((f) => f.type === 'TENSOR_AXIS_LABELS' || f.type === 'TENSOR_VALUE_LABELS'));
  if (candidates.length === 0) return null;
  const file = candidates.find((f) => f.locale === null) ?? candidates[0]!;
  if (!md.archive) throw formatError(`${source}: the metadata names the label file '${file.name}' but the model has no zip archive of associated files`);
  return { names: labelLines(new TextDecoder('utf-8').decode(md.archive.read(file.name))), file: file.name };
}

/** A label file's lines: one name per line, \n or \r\n, a final newline ignored. */
export function labelLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
