// SPDX-License-Identifier: Apache-2.0
/**
 * TFLite Model Metadata: a generated float classifier and the shared quantized classifier are given
 * metadata (label file, normalization, name/version/licence) the way tflite-support's populator
 * does it (spec/helpers/tflite-metadata.ts: the zip is appended by Python's zipfile), then read
 * back through load(), `info MODEL.tflite`, and `classify --labels`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { load } from '../../../src/api.js';
import { readTfliteModel } from '../../../src/io/tflite/model.js';
import { metadataLabels, readTfliteMetadata } from '../../../src/io/tflite/metadata.js';
import { openZip } from '../../../src/io/zip.js';
import { addModelMetadataEntries, appendZipWithPython, buildModelMetadata } from '../../helpers/tflite-metadata.js';
import { expectError, fuzzByteMutations } from '../../helpers/hostile.js';
import { HAVE_SHARED, sharedPath } from '../../helpers/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'mnv2-md-'));
const NAMES = ['apple', 'banana', 'cherry', 'date', 'elderberry'];
const LABELS_TXT = NAMES.join('\n') + '\n';
// TENSOR_AXIS_LABELS = 2 in AssociatedFileType.
const LABEL_FILE = { name: 'labels.txt', description: 'fruit', type: 2 };

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += t + '\n'; }, err: (t) => { err += t + '\n'; } });
  return { code, out, err };
}

let plainPath = '';
let withMdPath = '';
let withMd: Uint8Array = new Uint8Array();
let havePython = true;

beforeAll(async () => {
  plainPath = join(dir, 'plain.tflite');
  const r = await cli('convert', '--to', 'tflite', '--random-seed', '7', '--resolution', '64', '--classes', '5', '--out', plainPath);
  expect(r.code, r.err).toBe(0);
  const plain = new Uint8Array(readFileSync(plainPath));
  const md = buildModelMetadata({
    name: 'fruit classifier', description: 'five fruits', version: 'v3', author: 'tests', license: 'Apache-2.0',
    input: { name: 'image', mean: [0], std: [255], min: [0], max: [1], colorSpaceRgb: true }, outputFiles: [LABEL_FILE],
  });
  const zipped = appendZipWithPython(addModelMetadataEntries(plain, [{ name: 'min_runtime_version', data: new TextEncoder().encode('1.5.0') }, { name: 'TFLITE_METADATA', data: md }]), { 'labels.txt': LABELS_TXT }, true);
  havePython = zipped !== null;
  withMd = zipped ?? new Uint8Array();
  withMdPath = join(dir, 'with-metadata.tflite');
  if (zipped) writeFileSync(withMdPath, zipped);
}, 120_000);

describe('TFLite Model Metadata', () => {
  it('the rewritten file is still the same graph (our reader), and the metadata reads back field by field', () => {
    if (!havePython) return void console.warn('[metadata.spec] python3 unavailable: zip written by Python skipped');
    const a = readTfliteModel(new Uint8Array(readFileSync(plainPath)), 'plain');
    const b = readTfliteModel(withMd, 'with');
    expect(b.subgraphs[0]!.operators.length).toBe(a.subgraphs[0]!.operators.length);
    expect(b.buffers.length).toBe(a.buffers.length + 2);
    for (let i = 0; i < a.buffers.length; i++) expect(Buffer.compare(a.buffers[i]!, b.buffers[i]!)).toBe(0);
    const md = readTfliteMetadata(withMd, 'with');
    expect(md.entries).toEqual(['min_runtime_version', 'TFLITE_METADATA']);
    const m = md.metadata!;
    expect([m.name, m.description, m.version, m.author, m.license, m.minParserVersion]).toEqual(['fruit classifier', 'five fruits', 'v3', 'tests', 'Apache-2.0', '1.0.1']);
    expect(m.inputs[0]!.normalization).toEqual({ mean: [0], std: [255] });
    expect(m.inputs[0]!.range).toEqual({ min: [0], max: [1] });
    expect(m.inputs[0]!.colorSpace).toBe('RGB');
    expect(m.outputs[0]!.associatedFiles).toEqual([{ name: 'labels.txt', description: 'fruit', type: 'TENSOR_AXIS_LABELS', locale: null }]);
    expect(md.archive!.entries.map((e) => [e.name, e.method])).toEqual([['labels.txt', 'deflate']]);
    expect(metadataLabels(md, 'with')).toEqual({ names: NAMES, file: 'labels.txt' });
  });

  it('load(): labels and normalization come from the metadata, and the record says so', async () => {
    if (!havePython) return;
    const model = await load({ model: withMdPath, backend: 'scalar' });
    // The metadata's (x − 0) / 255 is the 'unit' preset: the same logits as the plain file told 'unit'.
    const plain = await load({ model: plainPath, backend: 'scalar', conventions: { normalization: 'unit' } });
    const img = { data: new Uint8Array(40 * 30 * 3).map((_, i) => (i * 37) % 256), width: 40, height: 30 };
    const a = await model.infer(img);
    const b = await plain.infer(img);
    expect(Array.from(a.logits)).toEqual(Array.from(b.logits));
    const c = a.conventions;
    expect(c.normalization.mean).toEqual([0, 0, 0]);
    expect(c.normalization.std).toEqual([255, 255, 255]);
    expect(c.changes.find((x) => x.field === 'normalization')).toMatchObject({ reason: 'model', note: "the file's TFLite metadata (NormalizationOptions)" });
    expect(c.labelSource).toBe(`${withMdPath}: metadata label file 'labels.txt'`);
    expect(a.predictions.map((p) => p.label).sort()).toEqual([...NAMES].sort());
    expect(model.metadata?.name).toBe('fruit classifier');
    // load({ labels }) overrides the file's list.
    const over = await load({ model: withMdPath, backend: 'scalar', labels: ['a', 'b', 'c', 'd', 'e'] });
    expect((await over.infer(img)).predictions.map((p) => p.label).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(over.conventions().labelSource).toBe('load({ labels })');
    // A list that does not fit the outputs is refused at load.
    await expect(load({ model: withMdPath, backend: 'scalar', labels: ['x', 'y'] })).rejects.toThrow(/has 2 labels; the model has 5 outputs \(expected 5, or 4 when output 0 is the background\)/);
    model.dispose(); plain.dispose(); over.dispose();
  });

  it('load() accepts the model as bytes (Buffer, Uint8Array, ArrayBuffer)', async () => {
    if (!havePython) return;
    const buf = readFileSync(withMdPath);
    for (const bytes of [buf, new Uint8Array(buf), buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)]) {
      const m = await load({ model: bytes, backend: 'scalar' });
      expect(m.metadata?.name).toBe('fruit classifier');
      expect(m.name).toMatch(/byte model/);
      m.dispose();
    }
  });

  it('info MODEL.tflite prints what the file declares; classify --labels overrides', async () => {
    if (!havePython) return;
    const r = await cli('info', withMdPath);
    expect(r.code, r.err).toBe(0);
    for (const s of ['name: fruit classifier', 'version: v3', 'license: Apache-2.0', 'normalization (x − mean) / std: mean [0], std [255]', 'file labels.txt (TENSOR_AXIS_LABELS): fruit', 'labels.txt (36 bytes, deflate)']) expect(r.out).toContain(s);
    const j = JSON.parse((await cli('info', withMdPath, '--json')).out);
    expect(j.metadata.author).toBe('tests');
    const plainInfo = await cli('info', plainPath);
    expect(plainInfo.out).toContain('TFLite Model Metadata: none');
    const labels = join(dir, 'mine.txt');
    writeFileSync(labels, 'v\nw\nx\ny\nz\n');
    const img = join(dir, 'img.png');
    const { encodePng } = await import('../../../src/io/image/decode.js');
    writeFileSync(img, encodePng({ data: new Uint8Array(20 * 20 * 3).fill(90), width: 20, height: 20, channels: 3 }));
    const c = await cli('classify', img, '--model', withMdPath, '--labels', labels, '--top', '5', '--json', '--backend', 'scalar');
    expect(c.code, c.err).toBe(0);
    expect(JSON.parse(c.out)[0].predictions.map((p: { label: string }) => p.label).sort()).toEqual(['v', 'w', 'x', 'y', 'z']);
    const bad = await cli('classify', img, '--model', withMdPath, '--labels', join(dir, 'none.txt'));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--labels file '.*none\.txt' does not exist/);
  });

  it.skipIf(!HAVE_SHARED)('the shared quantized classifier carries real metadata (written by tflite-support): its own label file names the classes', async () => {
    const path = sharedPath('models', 'mobilenet_v2_1.0_224_quant.tflite');
    const md = readTfliteMetadata(new Uint8Array(readFileSync(path)), 'real');
    expect(md.entries).toContain('TFLITE_METADATA');
    expect(md.metadata!.name).toBe('ImageClassifier');
    const labels = metadataLabels(md, 'real')!;
    expect(labels.file).toBe('imagenet_labels.txt');
    expect(labels.names).toHaveLength(1001);
    // The file agrees with ../shared/labels/imagenet_1001.txt line by line (names up to the first comma).
    const shared = readFileSync(sharedPath('labels', 'imagenet_1001.txt'), 'utf8').split('\n');
    for (const k of [0, 1, 286, 653, 1000]) expect(labels.names[k]!.split(',')[0]).toBe(shared[k]!.split(',')[0]);
    const model = await load({ model: path });
    const top = (await model.classify(sharedPath('images', 'cat.bmp'), { topK: 1 }))[0]!;
    expect(top.index).toBe(286);
    expect(top.label).toBe(labels.names[286]);
    expect(model.conventions().labelSource).toBe(`${path}: metadata label file 'imagenet_labels.txt'`);
    const info = await cli('info', path);
    expect(info.out).toContain('name: ImageClassifier');
    expect(info.out).toMatch(/imagenet_labels\.txt \(\d+ bytes, stored\)/);
    model.dispose();
  });

  it('hostile archives and metadata: one FORMAT error, never a crash or a giant allocation', () => {
    if (!havePython) return;
    const z = openZip(withMd, 'm')!;
    const at = z.entries[0]!.localHeaderAt;
    // Damage inside the compressed data → CRC or inflate error.
    const dmg = withMd.slice();
    dmg[at + 30 + 'labels.txt'.length + 2] ^= 0xff;
    expectError(() => openZip(dmg, 'm')!.read('labels.txt'), 'FORMAT', 'corrupt zip archive');
    // A declared size over the limit is refused before inflating.
    expectError(() => openZip(withMd, 'm', { maxEntryBytes: 10 })!.read('labels.txt'), 'FORMAT', 'more than the limit');
    fuzzByteMutations(withMd.subarray(withMd.length - 200), (tail) => {
      const b = withMd.slice();
      b.set(tail, withMd.length - 200);
      try {
        const md = readTfliteMetadata(b, 'fuzz');
        metadataLabels(md, 'fuzz');
      } catch (e) {
        if (!(e instanceof Error) || e.name !== 'MobileNetV2Error') throw e;
      }
    }, 100);
  });
});
