// SPDX-License-Identifier: Apache-2.0
/**
 * Entry of the one WASM SIMD module (see src/backend/wasm-simd.ts for the JS side).
 * Build: kernels/wasm/build.mjs (`npm run build:wasm`).
 */
export { f32_pwconv_nhwc_4x8, f32_fc_4x8 } from './f32-pwconv-nhwc-4x8';
export { f32_dwconv2d_nhwc_k3c4 } from './f32-dwconv2d-nhwc-k3c4';
export { f32_conv2d_nhwc_c8 } from './f32-conv2d-nhwc-c8';
export { f32_add, f32_gavgpool_nhwc } from './f32-elementwise';
export { f64_resize_rows, f64_resize_blend } from './f64-resize-bilinear';
export { f32x4_peak } from './f32-peak';
export { q8_gemm_4x8 } from './q8-gemm-4x8';
export { q8_dwconv_c8 } from './q8-dwconv-c8';
export { q8_add } from './q8-add';
export { f32_inverted_residual_nhwc } from './f32-inverted-residual-nhwc';
export { q8_add_xnnpack } from './q8-add';
export { q8_resize_bilinear_u8, q8_resize_columns } from './q8-resize-bilinear';
