// SPDX-License-Identifier: Apache-2.0
/**
 * Channel CONCATENATION of quantized NHWC tensors (Mobile DeepLabv3 joins its image-pooling and
 * 1×1 ASPP branches this way; each branch may carry its own scale and zero point).
 *
 *   parts[i].data  [P, C_i]   P = N·H·W pixels; real = s_i·(q − z_i)
 *   out            [P, ΣC_i]  real = so·(q − zo); channels of part 0 first, then part 1, …
 *
 * A part whose (scale, zero point) equals the output's is copied bit for bit. Otherwise (uint8
 * only, TFLite's ConcatenationWithScaling) it is rescaled in float32, exactly as the reference:
 *   k = f32(s_i · f32(1/so)),  b = f32(−z_i · k),  q = clamp(zo + roundHalfAway(f32(f32(x·k) + b)), 0, 255)
 * int8 CONCATENATION in TFLite requires equal quantization; a differing int8 part is an error.
 * A rescaled value beyond int32 saturates (the reference's float → int32 cast is undefined there).
 */
import { checkDims, checkLength, KernelArgumentError } from './check.js';
import { roundHalfAwayFromZero } from './q-requantize.js';
import { checkSameQ8Type, checkZeroPoint, q8TypeOf, type Q8Array } from './q8-check.js';

export interface Q8ConcatPart {
  readonly data: Q8Array;
  readonly channels: number;
  readonly scale: number;
  readonly zeroPoint: number;
}

export function q8ConcatChannelsNhwc(out: Q8Array, parts: readonly Q8ConcatPart[], pixels: number, output: { readonly scale: number; readonly zeroPoint: number }): void {
  checkDims('q8-concat', { pixels });
  const type = q8TypeOf(out);
  checkZeroPoint('q8-concat', 'output', output.zeroPoint, type);
  let total = 0;
  for (const [i, p] of parts.entries()) {
    checkDims('q8-concat', { [`C${i}`]: p.channels });
    checkLength(p.data, { P: pixels, [`C${i}`]: p.channels }, `q8-concat: part ${i}`);
    checkSameQ8Type('q8-concat', { out, [`part ${i}`]: p.data });
    checkZeroPoint('q8-concat', `part ${i}`, p.zeroPoint, type);
    const same = p.zeroPoint === output.zeroPoint && Math.fround(p.scale) === Math.fround(output.scale);
    if (!same && type === 'int8') {
      throw new KernelArgumentError(`q8-concat: int8 part ${i} has scale ${p.scale} / zero point ${p.zeroPoint} but the output has ${output.scale} / ${output.zeroPoint}; int8 concatenation needs equal quantization`);
    }
    if (!same && !(p.scale > 0 && output.scale > 0)) throw new KernelArgumentError(`q8-concat: scales must be > 0`);
    total += p.channels;
  }
  checkLength(out, { P: pixels, C: total }, 'q8-concat: out');
  const f = Math.fround;
  const inverseOutputScale = f(1 / f(output.scale));
  let offset = 0;
  for (const p of parts) {
    const same = p.zeroPoint === output.zeroPoint && f(p.scale) === f(output.scale);
    const k = f(f(p.scale) * inverseOutputScale);
    const b = f(-p.zeroPoint * k);
    for (let px = 0; px < pixels; px++) {
      const src = px * p.channels;
      const dst = px * total + offset;
      for (let c = 0; c < p.channels; c++) {
        const v = p.data[src + c]!;
        if (same) { out[dst + c] = v; continue; }
        const q = output.zeroPoint + roundHalfAwayFromZero(f(f(v * k) + b));
        out[dst + c] = q < 0 ? 0 : q > 255 ? 255 : q;
      }
    }
    offset += p.channels;
  }
}
