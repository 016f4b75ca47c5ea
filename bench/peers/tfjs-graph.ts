// SPDX-License-Identifier: Apache-2.0
/**
 * Peer: TensorFlow.js (4.9.0) running the SAME network from OUR folded weights — NHWC, fused
 * conv2d / depthwiseConv2d with bias + activation, the plan's explicit padding (torchvision's
 * symmetric pad 1, or TF SAME), dilations for DeepLab's atrous layers, add, mean, fused matMul, and
 * for the heads concat and image.resizeBilinear (DeepLab: align-corners or half-pixel, as the plan
 * says). No Node import: Node's bench (bench/peers/tfjs.ts: WASM or CPU backend) and the in-browser
 * bench page (bench/browser/page.ts) build the graph with this one function, on a `tf` whose backend
 * is already set and ready.
 *
 * Graphs: classifier = backbone → mean → matMul; DeepLab = backbone → [mean → 1×1 → resize] ‖ 1×1
 * (‖ ASPP) → concat → 1×1 → 1×1 → resize to the input size; SSDLite = backbone (keeping the
 * features.14 expansion output) → extra layers → per map box/class depthwise + 1×1 → reshape
 * [1, H·W·anchors, D] → concat over the maps (TF's order, = ours).
 *
 * Timed region per call: Float32Array input → tf tensor → graph → dataSync() → Float32Array
 * outputs, like our forward(). Weight tensors are created once, outside.
 */
import type { BuiltModel } from '../models.js';
import type { ConvPlan, MobileNetV2Plan } from '../../src/model/plan.js';
import type { MobileNetV2Weights } from '../../src/model/weights.js';

export type Tf = typeof import('@tensorflow/tfjs-core');
type T4 = import('@tensorflow/tfjs-core').Tensor4D;
type T1 = import('@tensorflow/tfjs-core').Tensor1D;

export interface PeerRunner {
  readonly label: string;
  /** The compared outputs (see bench/models.ts), in our layout. */
  run(): Float32Array[] | Promise<Float32Array[]>;
  dispose(): void | Promise<void>;
}

/** `m`'s network as a TF.js graph on `tf`'s current backend (`backend` names it: 'wasm' or 'cpu'). */
export function tfjsGraphRunner(tf: Tf, backend: 'wasm' | 'cpu', m: BuiltModel): PeerRunner {
  const simd = backend === 'wasm' ? tf.env().getBool('WASM_HAS_SIMD_SUPPORT') : false;
  const threaded = backend === 'wasm' ? tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') : false;

  const net = m.net;
  const weights: MobileNetV2Weights = net.weights;
  const backbone: MobileNetV2Plan = net.kind === 'classifier' ? net.plan : net.plan.backbone;
  const headConvs: readonly ConvPlan[] = net.kind === 'deeplab' ? net.plan.headConvs : net.kind === 'ssdlite' ? net.plan.head : [];
  // Filters in tfjs layouts, created once.
  const filters = new Map<string, { filter: T4; bias: T1 }>();
  for (const c of [...backbone.blocks.flatMap((b) => b.convs), ...headConvs]) {
    const w = weights.convs.get(c.name)!;
    filters.set(c.name, { filter: toTfjsFilter(tf, c, w.weight), bias: tf.tensor1d(w.bias) });
  }
  const disposables: Array<{ dispose(): void }> = [...[...filters.values()].flatMap((f) => [f.filter, f.bias])];
  const [, h, w] = m.inputShape;

  const conv = (x: T4, c: ConvPlan): T4 => {
    const { filter, bias } = filters.get(c.name)!;
    const g = c.geometry;
    const p = g.pad;
    // The plan's exact pads: one number when symmetric (torchvision), else explicit (conv2d only:
    // tfjs depthwise takes 'same'/'valid'/number, so an asymmetric depthwise pad must be TF SAME).
    const symmetric = p.top === p.bottom && p.left === p.right && p.top === p.left;
    const activation = c.activation === 'relu6' ? 'relu6' : c.activation === 'relu' ? 'relu' : 'linear';
    const common = { x, filter, strides: [g.strideH, g.strideW] as [number, number], dilations: [g.dilationH, g.dilationW] as [number, number], bias, activation } as const;
    if (c.kind === 'depthwise') {
      if (!symmetric && backbone.options.padding !== 'tf-same') throw new Error(`tfjs peer: asymmetric depthwise padding at ${c.name}`);
      return tf.fused.depthwiseConv2d({ ...common, pad: symmetric ? p.top : 'same' });
    }
    const explicit: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]];
    return tf.fused.conv2d({ ...common, pad: symmetric ? p.top : explicit });
  };

  /** The backbone blocks with their shortcuts; `kept` receives every conv and block output by tap name. */
  const runBackbone = (x: T4, kept?: Map<string, T4>): T4 => {
    for (const b of backbone.blocks) {
      const inp = x;
      for (const c of b.convs) {
        x = conv(x, c);
        kept?.set(c.name, x);
      }
      if (b.residual) x = tf.add(x, inp);
      kept?.set(b.name, x);
    }
    return x;
  };

  let graph: (x: T4) => import('@tensorflow/tfjs-core').Tensor[];
  switch (net.kind) {
    case 'classifier': {
      const cls = net.weights.classifier!;
      // Pre-transposed to [IC, OC]: tfjs-backend-wasm 4.9.0's fused matMul with transposeB = true and a
      // bias returns wrong logits for some sizes (|error| ≈ 2.6 on 1280 → 1000; checked against
      // matMul + add and tfjs-cpu), so the classifier uses the plain orientation.
      const { inC, classes } = net.plan.classifier!;
      const wT = new Float32Array(inC * classes);
      for (let o = 0; o < classes; o++) for (let i = 0; i < inC; i++) wT[i * classes + o] = cls.weight[o * inC + i]!;
      const clsW = tf.tensor2d(wT, [inC, classes]);
      const clsB = tf.tensor1d(cls.bias);
      disposables.push(clsW, clsB);
      graph = (x) => {
        const pooled = tf.mean(runBackbone(x), [1, 2]) as import('@tensorflow/tfjs-core').Tensor2D;
        return [tf.fused.matMul({ a: pooled, b: clsW, bias: clsB })];
      };
      break;
    }
    case 'deeplab': {
      const plan = net.plan;
      const [fh, fw] = plan.featureShape;
      const o = plan.options;
      const resize = (t: T4, size: [number, number]): T4 =>
        tf.image.resizeBilinear(t, size, o.upsampling === 'align-corners', o.upsampling === 'half-pixel');
      graph = (x) => {
        const f = runBackbone(x);
        const branches = new Map<string, T4>();
        const pooled = tf.mean(f, [1, 2], true) as T4;
        branches.set('head.image_pooling.upsampled', resize(conv(pooled, plan.imagePooling), [fh, fw]));
        branches.set(plan.aspp0.name, conv(f, plan.aspp0));
        for (const br of plan.asppBranches) {
          let y = f;
          for (const c of br) y = conv(y, c);
          branches.set(br[br.length - 1]!.name, y);
        }
        const cat = tf.concat(plan.concatBranches.map((n) => branches.get(n)!), 3);
        const logits = conv(conv(cat, plan.projection), plan.logits);
        return [resize(logits, [o.inputH, o.inputW])];
      };
      break;
    }
    case 'ssdlite': {
      const plan = net.plan;
      graph = (x) => {
        const kept = new Map<string, T4>();
        runBackbone(x, kept);
        const box: import('@tensorflow/tfjs-core').Tensor[] = [];
        const cls: import('@tensorflow/tfjs-core').Tensor[] = [];
        for (const c of plan.head) {
          const y = conv(kept.get(c.input)!, c);
          kept.set(c.name, y);
          if (c.part === 'box') box.push(tf.reshape(y, [1, -1, 4]));
          else if (c.part === 'class') cls.push(tf.reshape(y, [1, -1, plan.classes]));
        }
        return [tf.concat(box, 1), tf.concat(cls, 1)];
      };
      break;
    }
  }

  return {
    label: `tfjs-${backend}${backend === 'wasm' ? ` (SIMD ${simd ? 'on' : 'off'}, threads ${threaded ? 'on' : 'off'})` : ''}`,
    run() {
      const outs = tf.tidy(() => graph(tf.tensor4d(m.input, [1, h, w, 3])));
      const data = outs.map((t) => t.dataSync() as Float32Array);
      for (const t of outs) t.dispose();
      return data;
    },
    dispose() {
      for (const d of disposables) d.dispose();
    },
  };
}

/** Our layouts → tfjs: OHWI → HWIO; depthwise [KH,KW,C] → [KH,KW,C,1]; pointwise [OC,IC] → [1,1,IC,OC]. */
function toTfjsFilter(tf: Tf, c: ConvPlan, w: Float32Array): import('@tensorflow/tfjs-core').Tensor4D {
  const k = c.kernel;
  if (c.kind === 'depthwise') return tf.tensor4d(w, [k, k, c.outC, 1]);
  const hwio = new Float32Array(w.length);
  const taps = k * k;
  for (let oc = 0; oc < c.outC; oc++) {
    for (let t = 0; t < taps; t++) {
      for (let ic = 0; ic < c.inC; ic++) hwio[(t * c.inC + ic) * c.outC + oc] = w[(oc * taps + t) * c.inC + ic]!;
    }
  }
  return tf.tensor4d(hwio, [k, k, c.inC, c.outC]);
}
