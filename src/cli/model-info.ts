// SPDX-License-Identifier: Apache-2.0
/** `info MODEL.tflite`: what a model file declares about itself (graph summary and TFLite Model Metadata). */
import { readFileBytes } from '../io/files.js';
import { readTfliteModel, summarizeModel } from '../io/tflite/model.js';
import { readTfliteMetadata, type AssociatedFileInfo, type TensorMetadataInfo } from '../io/tflite/metadata.js';

function fileLine(f: AssociatedFileInfo): string {
  return `${f.name} (${f.type}${f.locale ? `, ${f.locale}` : ''})${f.description ? `: ${f.description}` : ''}`;
}

function tensorLines(kind: string, i: number, t: TensorMetadataInfo): string[] {
  const lines = [`  ${kind} ${i}: ${t.name ?? '(unnamed)'}${t.description ? ` — ${t.description}` : ''}`];
  if (t.colorSpace) lines.push(`    colour space ${t.colorSpace}`);
  if (t.normalization) lines.push(`    normalization (x − mean) / std: mean [${t.normalization.mean.join(', ')}], std [${t.normalization.std.join(', ')}]`);
  if (t.range) lines.push(`    range min [${t.range.min.join(', ')}], max [${t.range.max.join(', ')}]`);
  for (const f of t.associatedFiles) lines.push(`    file ${fileLine(f)}`);
  return lines;
}

/** The report, as text or as JSON ({ file, graph, metadataEntries, metadata, archive }). */
export function modelFileInfo(path: string, json: boolean): string {
  const bytes = readFileBytes(path, 'model file');
  const model = readTfliteModel(bytes, path);
  const md = readTfliteMetadata(bytes, path);
  const archive = md.archive ? md.archive.entries.map((e) => ({ name: e.name, size: e.size, method: e.method })) : null;
  if (json) {
    return JSON.stringify({ file: path, bytes: bytes.byteLength, description: model.description, graph: summarizeModel(model), metadataEntries: md.entries, metadata: md.metadata, archive }, null, 2);
  }
  const lines = [summarizeModel(model), `description: ${model.description ?? '(none)'}`];
  const m = md.metadata;
  if (!m) {
    lines.push(`TFLite Model Metadata: none${md.entries.length ? ` (metadata entries: ${md.entries.join(', ')})` : ''}`);
  } else {
    lines.push('TFLite Model Metadata:');
    for (const [k, v] of [['name', m.name], ['description', m.description], ['version', m.version], ['author', m.author], ['license', m.license], ['min parser version', m.minParserVersion]] as const) {
      if (v !== null) lines.push(`  ${k}: ${v}`);
    }
    for (const f of m.associatedFiles) lines.push(`  file ${fileLine(f)}`);
    m.inputs.forEach((t, i) => lines.push(...tensorLines('input', i, t)));
    m.outputs.forEach((t, i) => lines.push(...tensorLines('output', i, t)));
  }
  if (archive) lines.push(`associated files (zip): ${archive.map((e) => `${e.name} (${e.size} bytes, ${e.method})`).join(', ') || 'none'}`);
  return lines.join('\n');
}
