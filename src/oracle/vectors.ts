// SPDX-License-Identifier: Apache-2.0
/**
 * Conformance vectors: a self-describing suite (manifest.json + .npy + README.txt) for the kernels a
 * MobileNetV2 port needs — conv, depthwise, pointwise, zero padding, the padding arithmetic itself,
 * resize and NMS — with the edge cases real kernels get wrong (user-needs §1 B.8: 1×N / N×1
 * depthwise at stride 2 with SAME, odd and even sizes, channel counts off multiples of 4/8/16,
 * dilation, the clamp at exactly 0 and 6, NaN/±Inf propagation, exact IoU ties), plus whole-network
 * cases at a small resolution under both padding conventions. Integer cases (kernels q8-*,
 * catalogue-q8.ts): every quantized TFLite operator of MobileNetV2 in uint8 per-tensor and int8
 * per-channel under each requantization convention, with all quantization parameters in the
 * manifest, graded exactly.
 *
 * Expected outputs come from the scalar oracle (kernels/: float64 accumulation, one rounding).
 * Tolerances are derived per element and stored next to the expected output (`bound.npy`):
 *   dot products (conv, depthwise, pointwise): bound = K·u·A + 2⁻¹⁴⁹, K = number of terms
 *     (kernel taps × input channels, + 1 for the bias), A = |b| + Σ|xᵢwᵢ| for that output,
 *     u = 2⁻²⁴ — what any float32 summation order can lose (docs/tolerances.md);
 *   bilinear resize: bound = u·M·(6·(inH + inW) + 8), M = max|x|: float32 source coordinates carry
 *     an error of a few u·in, and the interpolation is Lipschitz in them;
 *   whole network: 10σ of the rounding error propagated layer by layer (bounds.ts; statistical);
 *   zero padding, padding arithmetic, nearest resize, NMS: exact.
 * An element passes if both are NaN, or both the same infinity, or |r − e| ≤ bound, or the two are
 * within `ulp` float32 steps (ulp is 0 for exact cases). ±0 are equal.
 *
 * `runVectorCase` executes a case on one of our Backends (the reference results, and a way to grade
 * our own fast backends); `checkVectors` grades anyone's results directory.
 *
 * The parts, each in vectors/: format.ts (manifest types, constants, shared data helpers),
 * catalogue.ts (the cases), writer.ts (the suite on disk), runner.ts (our results), grader.ts.
 */
export {
  VECTORS_MAGIC, VECTORS_FORMAT_VERSION, VECTOR_KERNELS, Q8_VECTOR_KERNELS, isQ8Kernel,
  type VectorKernel, type Q8VectorKernel, type VectorData, type VectorDType, type TensorFile, type VectorTolerance, type VectorCase, type VectorManifest,
} from './vectors/format.js';
export { buildQ8Cases, Q8_README } from './vectors/catalogue-q8.js';
export { runQ8VectorCase } from './vectors/runner-q8.js';
export { networkGraph, deeplabGraph } from './vectors/catalogue.js';
export { writeVectors, readVectorManifest } from './vectors/writer.js';
export { runVectorCase, writeVectorResults } from './vectors/runner.js';
export { gradeCase, gradeIntegerCase, checkVectors, type CaseGrade, type KernelGrade, type VectorGrade } from './vectors/grader.js';
