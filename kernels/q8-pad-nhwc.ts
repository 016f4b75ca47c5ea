// SPDX-License-Identifier: Apache-2.0
/**
 * PAD of a quantized NHWC tensor in H and W (TFLite PAD / the PAD that our exporter puts before a
 * VALID conv for PyTorch's symmetric padding). The pad value is the zero point: it is real 0.
 *
 *   out [N, H + top + bottom, W + left + right, C]   same 8-bit type as x; must not alias x
 *   x   [N, H, W, C]
 *   pad Pad4 (kernels/geometry.ts), value = the tensor's zero point
 *
 * Exact: a copy plus a fill.
 */
import { checkDims, checkLength, KernelArgumentError } from './check.js';
import type { Pad4 } from './geometry.js';
import { checkSameQ8Type, checkZeroPoint, q8TypeOf, type Q8Array } from './q8-check.js';

export function q8PadNhwc(out: Q8Array, x: Q8Array, dims: { readonly n: number; readonly h: number; readonly w: number; readonly c: number }, pad: Pad4, value: number): void {
  checkDims('q8-pad', { n: dims.n, h: dims.h, w: dims.w, c: dims.c });
  for (const side of ['top', 'bottom', 'left', 'right'] as const) {
    if (!Number.isInteger(pad[side]) || pad[side] < 0) throw new KernelArgumentError(`q8-pad: pad.${side} must be a non-negative integer, got ${pad[side]}`);
  }
  const { n: batch, h: inH, w: inW, c: channels } = dims;
  const outH = inH + pad.top + pad.bottom;
  const outW = inW + pad.left + pad.right;
  checkLength(x, { N: batch, H: inH, W: inW, C: channels }, 'q8-pad: x');
  checkLength(out, { N: batch, OH: outH, OW: outW, C: channels }, 'q8-pad: out');
  checkSameQ8Type('q8-pad', { out, x });
  checkZeroPoint('q8-pad', 'pad value', value, q8TypeOf(x));
  out.fill(value);
  for (let n = 0; n < batch; n++) {
    for (let h = 0; h < inH; h++) {
      const src = ((n * inH + h) * inW) * channels;
      const dst = ((n * outH + h + pad.top) * outW + pad.left) * channels;
      for (let i = 0; i < inW * channels; i++) out[dst + i] = x[src + i]!;
    }
  }
}
