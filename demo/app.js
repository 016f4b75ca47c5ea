// SPDX-License-Identifier: Apache-2.0
/**
 * The demo page: the library's browser entry, bundled on request by demo/serve.mjs. Pick, drop or
 * photograph an image; classify (top-5), segment (overlay + legend) or detect (labelled boxes) with
 * the chosen backend and thread count; and explore the network layer by layer: the plan's table
 * (t, c, n, s as in the paper's Table 2, shapes, MAdds, params) where a click shows that layer's
 * feature maps for the current image and the tensor's statistics.
 *
 * URL parameters (handy for links and tests): ?model=URL&backend=auto|wasm-simd|ts-fast|scalar&threads=N
 */
import * as lib from '../src/browser/index.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const state = { model: null, image: null, taps: null, loading: null, selected: null, runs: 0 };

// ------------------------------------------------------------------------------------------------
// Warnings and errors: one line each, visible on the page

lib.onWarning((m) => {
  const li = document.createElement('li');
  li.textContent = `warning: ${m}`;
  $('warnings').append(li);
});

function showError(e) {
  $('error').textContent = e instanceof lib.MobileNetV2Error ? `${e.code}: ${e.message}` : String(e?.message ?? e);
}

// ------------------------------------------------------------------------------------------------
// Controls

const hw = navigator.hardwareConcurrency || 1;
$('threads').max = String(Math.max(1, hw));
$('threads').value = params.get('threads') ?? String(crossOriginIsolated ? Math.min(2, hw) : 1);
$('backend').value = params.get('backend') ?? 'auto';
$('isolation').textContent = crossOriginIsolated
  ? `crossOriginIsolated: wasm-simd can use Web Workers on shared memory (this machine reports ${hw} logical CPUs).`
  : 'Not crossOriginIsolated (no COOP/COEP headers): one thread only. `npm run demo` serves the headers.';
$('isolation').className = crossOriginIsolated ? '' : 'warn';

async function available(url) {
  try {
    return (await fetch(url, { method: 'HEAD' })).ok;
  } catch {
    return false;
  }
}

async function fillModels() {
  const select = $('model');
  for (const e of lib.REGISTRY) {
    const url = `/shared/models/${e.file}`;
    const option = new Option(`${e.name} (${e.task})`, url);
    option.disabled = !(await available(url));
    if (option.disabled) option.textContent += ' — not on this server';
    select.append(option);
  }
  const wanted = params.get('model');
  if (wanted) {
    if (![...select.options].some((o) => o.value === wanted)) select.append(new Option(wanted, wanted));
    select.value = wanted;
  } else {
    const first = [...select.options].find((o) => !o.disabled);
    if (first) select.value = first.value;
  }
}

async function fillSamples() {
  const names = ['cat.bmp', 'grace_hopper.bmp', 'parrot.jpg', 'bird_segmentation.bmp', 'street_dog_bicycle_truck.jpg'];
  for (const n of names) {
    const url = `/shared/images/${n}`;
    if (!(await available(url))) continue;
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = n;
    b.onclick = () => setImage(url, n);
    $('samples').append(b);
  }
  if ($('samples').childElementCount > 0) $('samples').prepend(' or a sample:');
}

// ------------------------------------------------------------------------------------------------
// Model

async function loadModel(source) {
  $('error').textContent = '';
  state.model?.dispose();
  state.model = null;
  state.taps = null;
  const backend = $('backend').value;
  const threads = Number($('threads').value) || 1;
  $('model-status').textContent = 'loading…';
  try {
    const model = await lib.load({
      model: source, backend, threads,
      onProgress: (loaded, total) => { $('model-status').textContent = `loading ${total ? `${Math.round((100 * loaded) / total)} %` : `${(loaded / 1e6).toFixed(1)} MB`}`; },
    });
    state.model = model;
    state.runs = 0;
    const e = model.execution; // the backend 'auto' chose, the threads it really runs, integer or float arithmetic
    $('model-status').textContent = `${model.name}: ${model.imported.head}, ${e.backend}, ${e.threads} thread(s), ${e.arithmetic.kind}${e.arithmetic.requantization ? ` (${e.arithmetic.requantization})` : ''}`;
    $('model-status').dataset.ready = 'true';
    buildTable(model);
    if (state.image) await run();
  } catch (e) {
    $('model-status').textContent = 'not loaded';
    showError(e);
  }
}

function reload() {
  const file = $('model-file').files?.[0];
  state.loading = loadModel(file ?? $('model').value);
}

$('model').onchange = () => { $('model-file').value = ''; reload(); };
$('model-file').onchange = reload;
$('backend').onchange = reload;
$('threads').onchange = reload;

// ------------------------------------------------------------------------------------------------
// Image input: file, drop, camera, samples

function drawRgb(img) {
  const canvas = $('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  const rgba = new Uint8ClampedArray(img.width * img.height * 4);
  for (let p = 0; p < img.width * img.height; p++) {
    rgba[p * 4] = img.data[p * 3];
    rgba[p * 4 + 1] = img.data[p * 3 + 1];
    rgba[p * 4 + 2] = img.data[p * 3 + 2];
    rgba[p * 4 + 3] = 255;
  }
  canvas.getContext('2d').putImageData(new ImageData(rgba, img.width, img.height), 0, 0);
}

async function setImage(input, name) {
  $('error').textContent = '';
  try {
    state.image = await lib.loadImage(input, { source: name });
    state.taps = null;
    drawRgb(state.image);
    await state.loading;
    await run();
    if (state.selected) await showBlock(state.selected);
  } catch (e) {
    showError(e);
  }
}

$('file').onchange = () => { const f = $('file').files?.[0]; if (f) setImage(f, f.name); };
const drop = $('drop');
drop.ondragover = (e) => { e.preventDefault(); drop.classList.add('over'); };
drop.ondragleave = () => drop.classList.remove('over');
drop.ondrop = (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer?.files?.[0];
  if (f) setImage(f, f.name);
};
$('camera').onclick = async () => {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true });
    const video = $('video');
    video.srcObject = stream;
    video.hidden = false;
    $('snap').hidden = false;
    await video.play();
  } catch (e) {
    showError(new Error(`camera unavailable: ${e.message}`));
  }
};
$('snap').onclick = async () => setImage(await createImageBitmap($('video')), 'camera');

// ------------------------------------------------------------------------------------------------
// Running the model's head

function vocColor(id) {
  // PASCAL VOC colormap (bit-interleaved), the palette renderOverlay uses; here for detection boxes.
  let r = 0, g = 0, b = 0;
  for (let s = 7, c = id; c > 0 && s >= 0; s--, c >>= 3) {
    r |= (c & 1) << s; g |= ((c >> 1) & 1) << s; b |= ((c >> 2) & 1) << s;
  }
  return `rgb(${r},${g},${b})`;
}

async function run() {
  const m = state.model;
  if (!m || !state.image) return;
  for (const id of ['top5', 'legend', 'boxes']) $(id).replaceChildren();
  $('timing').textContent = 'running…';
  try {
    const b = { name: m.execution.backend, threads: m.execution.threads };
    const first = state.runs++ === 0 ? ' · first image: includes packing the weights into the backend' : '';
    const t0 = performance.now();
    if (m.imported.head === 'classifier') {
      const top = await m.classify(state.image, { topK: 5 });
      const ms = performance.now() - t0;
      for (const p of top) {
        const li = document.createElement('li');
        li.textContent = `${p.label} — ${(p.probability * 100).toFixed(2)} % (index ${p.index})`;
        $('top5').append(li);
      }
      $('timing').textContent = `${ms.toFixed(1)} ms per image · ${b.name}, ${b.threads ?? 1} thread(s)${first}`;
    } else if (m.imported.head === 'deeplab') {
      const seg = await m.segment(state.image);
      const ms = performance.now() - t0;
      drawRgb({ ...lib.renderOverlay(state.image, seg.classMap, 0.5), width: state.image.width, height: state.image.height });
      for (const e of seg.legend.filter((x) => x.pixels > 0)) {
        const li = document.createElement('li');
        li.innerHTML = `<span class="swatch" style="background:rgb(${e.color.join(',')})"></span>`;
        li.append(`${e.name} — ${(e.fraction * 100).toFixed(1)} % of pixels`);
        $('legend').append(li);
      }
      $('timing').textContent = `${ms.toFixed(1)} ms per image · ${b.name}, ${b.threads ?? 1} thread(s)${first}`;
    } else {
      const det = await m.detect(state.image, { scoreThreshold: 0.4 });
      const ms = performance.now() - t0;
      drawRgb(state.image);
      const ctx = $('canvas').getContext('2d');
      ctx.lineWidth = Math.max(2, state.image.width / 300);
      ctx.font = `${Math.max(12, state.image.width / 40)}px system-ui`;
      det.detections.forEach((d, i) => {
        const { xmin, ymin, xmax, ymax } = d.boxPixels;
        ctx.strokeStyle = ctx.fillStyle = vocColor(i + 1);
        ctx.strokeRect(xmin, ymin, xmax - xmin, ymax - ymin);
        ctx.fillText(`${d.label} ${(d.score * 100).toFixed(0)} %`, xmin + 3, ymin + 14);
        const li = document.createElement('li');
        li.textContent = `${d.label} ${(d.score * 100).toFixed(1)} % at [${[xmin, ymin, xmax, ymax].map((v) => v.toFixed(0)).join(', ')}]`;
        $('boxes').append(li);
      });
      $('timing').textContent = `${ms.toFixed(1)} ms per image · ${b.name}, ${b.threads ?? 1} thread(s) · ${det.detections.length} boxes${first}`;
    }
  } catch (e) {
    $('timing').textContent = '';
    showError(e);
  }
}

// ------------------------------------------------------------------------------------------------
// Layer explorer

const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n));
const shape = (s) => s.join('×');

function operator(b) {
  const dw = b.convs.find((c) => c.kind === 'depthwise');
  if (b.kind === 'stem') return `conv2d 3×3, stride ${b.convs[0].stride}`;
  if (b.kind === 'conv1x1') return 'conv2d 1×1';
  return `bottleneck, stride ${dw?.stride ?? 1}${dw && dw.dilation > 1 ? `, dilation ${dw.dilation}` : ''}${b.residual ? ' + residual' : ''}`;
}

function buildTable(model) {
  const plan = model.plan;
  const rows = plan.blocks.map((b) => {
    const tr = document.createElement('tr');
    const cells = [b.name, operator(b), b.kind === 'bottleneck' ? b.t : '–', b.c, b.kind === 'bottleneck' ? b.n : 1, b.s, shape(b.inShape), shape(b.outShape), fmt(b.madds), fmt(b.params)];
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = String(c);
      tr.append(td);
    }
    tr.onclick = () => showBlock(b);
    tr.dataset.layer = b.name;
    return tr;
  });
  $('layers').tBodies[0].replaceChildren(...rows);
  $('totals').textContent = `${plan.blocks.length} layers · ${fmt(plan.params)} parameters · ${fmt(plan.madds)} multiply-adds (backbone${plan.classifier ? ' + classifier' : ''}) · width ${plan.options.width}, input ${plan.options.inputH}×${plan.options.inputW}`;
}

async function allTaps() {
  const m = state.model;
  if (state.taps === null) {
    const { tensor } = await m.prepare(state.image);
    const [, h, w] = m.imported.input.shape;
    state.taps = lib.forward(m.backend, m.plan, m.imported.weights, tensor, [1, h, w, 3], { taps: 'all' }).taps;
  }
  return state.taps;
}

function role(block, name) {
  const conv = block.convs.find((c) => c.name === name);
  if (!conv) return name === block.name ? 'block output' : '';
  if (block.kind !== 'bottleneck') return conv.kind;
  if (conv.kind === 'depthwise') return 'depthwise 3×3';
  return conv === block.convs[block.convs.length - 1] ? 'linear bottleneck (projection)' : 'expansion 1×1';
}

async function showBlock(block) {
  state.selected = block;
  for (const tr of $('layers').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.layer === block.name);
  $('tap-title').textContent = `${block.name}: ${operator(block)}`;
  if (!state.image) {
    $('tap-stats').textContent = 'Pick an image first: the feature maps are this layer\'s output for it.';
    return;
  }
  try {
    const taps = await allTaps();
    const names = [...taps.keys()].filter((n) => n === block.name || n.startsWith(`${block.name}.`));
    const buttons = names.map((n) => {
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.textContent = `${n} (${role(block, n)})`;
      btn.onclick = () => showTap(n, taps.get(n), buttons, btn);
      return btn;
    });
    $('tap-select').replaceChildren(...buttons);
    const last = names.includes(block.name) ? names.indexOf(block.name) : names.length - 1;
    if (last >= 0) showTap(names[last], taps.get(names[last]), buttons, buttons[last]);
  } catch (e) {
    showError(e);
  }
}

function stats(data) {
  let min = Infinity, max = -Infinity, sum = 0, sq = 0, zeros = 0, negative = 0;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sq += v * v;
    if (v === 0) zeros++;
    if (v < 0) negative++;
  }
  const mean = sum / data.length;
  return { min, max, mean, std: Math.sqrt(Math.max(0, sq / data.length - mean * mean)), zeros: zeros / data.length, negative: negative / data.length };
}

function showTap(name, tap, buttons, active) {
  for (const b of buttons) b.classList.toggle('selected', b === active);
  const s = stats(tap.data);
  const dims = tap.shape.length === 4 ? tap.shape : [1, 1, 1, tap.data.length];
  const [, h, w, c] = dims;
  $('tap-stats').textContent =
    `${name}: shape [${tap.shape.join(', ')}] (NHWC) · min ${s.min.toPrecision(4)} · max ${s.max.toPrecision(4)} · mean ${s.mean.toPrecision(4)} · ` +
    `std ${s.std.toPrecision(4)} · ${(s.zeros * 100).toFixed(1)} % zeros · ${(s.negative * 100).toFixed(1)} % negative` +
    (c > 64 ? ` · first 64 of ${c} channels shown` : '') + ' · each map scaled from its own min (black) to max (white)';
  const figures = [];
  for (let ch = 0; ch < Math.min(c, 64); ch++) {
    let lo = Infinity, hi = -Infinity;
    for (let p = 0; p < h * w; p++) {
      const v = tap.data[p * c + ch];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const rgba = new Uint8ClampedArray(h * w * 4);
    const span = hi - lo || 1;
    for (let p = 0; p < h * w; p++) {
      const g = Math.round((255 * (tap.data[p * c + ch] - lo)) / span);
      rgba[p * 4] = rgba[p * 4 + 1] = rgba[p * 4 + 2] = g;
      rgba[p * 4 + 3] = 255;
    }
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    canvas.getContext('2d').putImageData(new ImageData(rgba, w, h), 0, 0);
    const fig = document.createElement('figure');
    const cap = document.createElement('figcaption');
    cap.textContent = `ch ${ch}`;
    fig.append(canvas, cap);
    figures.push(fig);
  }
  $('maps').replaceChildren(...figures);
}

// ------------------------------------------------------------------------------------------------

await Promise.all([fillModels(), fillSamples()]);
if ($('model').value) reload();
window.demo = { state, lib };
