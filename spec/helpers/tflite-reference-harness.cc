// SPDX-License-Identifier: Apache-2.0
// Test harness around TensorFlow Lite's own reference kernels (../shared/tflite-reference, compiled
// at test time by spec/helpers/tflite-reference.ts; none of that code is in this repository).
//
// Protocol: one case per line on stdin, whitespace-separated tokens, the op name first; one line
// of integers out per case (float outputs as their IEEE-754 bit patterns). The field order of each
// op is the one written by spec/helpers/tflite-reference.ts. Preparation of multipliers from the
// float32 scales follows TFLite's kernel Prepare functions (kernel_util.cc, add.cc, reduce.cc,
// activations.cc); the arithmetic itself is the reference kernels'.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "tensorflow/lite/kernels/internal/common.h"
#include "tensorflow/lite/kernels/internal/quantization_util.h"
#include "tensorflow/lite/kernels/internal/reference/add.h"
#include "tensorflow/lite/kernels/internal/reference/arg_min_max.h"
#include "tensorflow/lite/kernels/internal/reference/concatenation.h"
#include "tensorflow/lite/kernels/internal/reference/conv.h"
#include "tensorflow/lite/kernels/internal/reference/depthwiseconv_uint8.h"
#include "tensorflow/lite/kernels/internal/reference/dequantize.h"
#include "tensorflow/lite/kernels/internal/reference/fully_connected.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/add.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/conv.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/depthwise_conv.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/fully_connected.h"
#include "tensorflow/lite/kernels/internal/reference/integer_ops/pooling.h"
#include "tensorflow/lite/kernels/internal/reference/pad.h"
#include "tensorflow/lite/kernels/internal/reference/pooling.h"
#include "tensorflow/lite/kernels/internal/reference/quantize.h"
#include "tensorflow/lite/kernels/internal/reference/reduce.h"
#include "tensorflow/lite/kernels/internal/reference/requantize.h"
#include "tensorflow/lite/kernels/internal/reference/resize_bilinear.h"
#include "tensorflow/lite/kernels/internal/reference/softmax.h"
#include "tensorflow/lite/kernels/internal/runtime_shape.h"

using tflite::RuntimeShape;

static RuntimeShape S(std::initializer_list<int32_t> dims) {
  std::vector<int32_t> d(dims);
  return RuntimeShape(static_cast<int>(d.size()), d.data());
}

static std::string tok() { std::string s; std::cin >> s; return s; }
static long long geti() { return std::strtoll(tok().c_str(), nullptr, 10); }
static double getd() { return std::strtod(tok().c_str(), nullptr); }
template <typename T> static std::vector<T> getv(size_t n) {
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(geti());
  return v;
}
template <typename T> static void put(const std::vector<T>& v) {
  for (size_t i = 0; i < v.size(); i++) std::printf(i ? " %lld" : "%lld", static_cast<long long>(v[i]));
  std::printf("\n");
}

// QuantizeMultiplier as TFLite's prepare functions use it, shift = exponent (positive = left).
static void qm(double real, int32_t* m, int* shift) { tflite::QuantizeMultiplier(real, m, shift); }

struct ConvCase {
  bool u8; int n, h, w, ic, oc, kh, kw, sh, sw, dh, dw, padTop, padLeft, oh, ow;
  int32_t inZp, filterZp, outZp, actMin, actMax; float inScale, outScale; std::vector<float> filterScales;
  bool hasBias; std::vector<int32_t> bias;
};

static ConvCase readConvHeader(bool depthwise) {
  ConvCase c{};
  c.u8 = tok() == "u8";
  c.n = geti(); c.h = geti(); c.w = geti(); c.ic = geti(); c.oc = depthwise ? c.ic : geti();
  c.kh = geti(); c.kw = geti(); c.sh = geti(); c.sw = geti(); c.dh = geti(); c.dw = geti();
  c.padTop = geti(); c.padLeft = geti(); c.oh = geti(); c.ow = geti();
  c.inZp = geti(); c.filterZp = geti(); c.outZp = geti(); c.actMin = geti(); c.actMax = geti();
  c.inScale = static_cast<float>(getd()); c.outScale = static_cast<float>(getd());
  int ns = geti();
  for (int i = 0; i < ns; i++) c.filterScales.push_back(static_cast<float>(getd()));
  c.hasBias = geti() != 0;
  if (c.hasBias) c.bias = getv<int32_t>(c.oc);
  return c;
}

// Per-tensor (uint8): GetQuantizedConvolutionMultipler, the scale product in float32.
// Per-channel (int8): PopulateConvolutionQuantizationParams, in double.
static void convMultipliers(const ConvCase& c, std::vector<int32_t>& m, std::vector<int32_t>& s) {
  m.assign(c.oc, 0); s.assign(c.oc, 0);
  for (int o = 0; o < c.oc; o++) {
    const float fs = c.filterScales.size() == 1 ? c.filterScales[0] : c.filterScales[o];
    double real = c.u8 ? static_cast<double>(c.inScale * fs) / static_cast<double>(c.outScale)
                       : static_cast<double>(c.inScale) * static_cast<double>(fs) / static_cast<double>(c.outScale);
    int shift; qm(real, &m[o], &shift); s[o] = shift;
  }
}

static void runConv(bool depthwise) {
  ConvCase c = readConvHeader(depthwise);
  const size_t xs = static_cast<size_t>(c.n) * c.h * c.w * c.ic;
  const size_t ws = depthwise ? static_cast<size_t>(c.kh) * c.kw * c.oc : static_cast<size_t>(c.oc) * c.kh * c.kw * c.ic;
  const size_t os = static_cast<size_t>(c.n) * c.oh * c.ow * c.oc;
  std::vector<int32_t> m, s; convMultipliers(c, m, s);
  RuntimeShape xShape = S({c.n, c.h, c.w, c.ic});
  RuntimeShape wShape = depthwise ? S({1, c.kh, c.kw, c.oc}) : S({c.oc, c.kh, c.kw, c.ic});
  RuntimeShape bShape = S({c.oc});
  RuntimeShape oShape = S({c.n, c.oh, c.ow, c.oc});
  const int32_t* bias = c.hasBias ? c.bias.data() : nullptr;
  if (depthwise) {
    tflite::DepthwiseParams p{};
    p.padding_values.height = c.padTop; p.padding_values.width = c.padLeft;
    p.stride_height = c.sh; p.stride_width = c.sw; p.dilation_height_factor = c.dh; p.dilation_width_factor = c.dw;
    p.depth_multiplier = 1; p.input_offset = -c.inZp; p.weights_offset = -c.filterZp; p.output_offset = c.outZp;
    p.output_multiplier = m[0]; p.output_shift = s[0];
    p.quantized_activation_min = c.actMin; p.quantized_activation_max = c.actMax;
    if (c.u8) {
      auto x = getv<uint8_t>(xs); auto w = getv<uint8_t>(ws); std::vector<uint8_t> o(os);
      tflite::reference_ops::DepthwiseConv(p, xShape, x.data(), wShape, w.data(), bShape, bias, oShape, o.data());
      put(o);
    } else {
      auto x = getv<int8_t>(xs); auto w = getv<int8_t>(ws); std::vector<int8_t> o(os);
      tflite::reference_integer_ops::DepthwiseConvPerChannel(p, m.data(), s.data(), xShape, x.data(), wShape, w.data(), bShape, bias, oShape, o.data());
      put(o);
    }
    return;
  }
  tflite::ConvParams p{};
  p.padding_values.height = c.padTop; p.padding_values.width = c.padLeft;
  p.stride_height = c.sh; p.stride_width = c.sw; p.dilation_height_factor = c.dh; p.dilation_width_factor = c.dw;
  p.input_offset = -c.inZp; p.weights_offset = -c.filterZp; p.output_offset = c.outZp;
  p.output_multiplier = m[0]; p.output_shift = s[0];
  p.quantized_activation_min = c.actMin; p.quantized_activation_max = c.actMax;
  if (c.u8) {
    auto x = getv<uint8_t>(xs); auto w = getv<uint8_t>(ws); std::vector<uint8_t> o(os);
    tflite::reference_ops::Conv(p, xShape, x.data(), wShape, w.data(), bShape, bias, oShape, o.data(), RuntimeShape(), nullptr, nullptr);
    put(o);
  } else {
    auto x = getv<int8_t>(xs); auto w = getv<int8_t>(ws); std::vector<int8_t> o(os);
    tflite::reference_integer_ops::ConvPerChannel(p, m.data(), s.data(), xShape, x.data(), wShape, w.data(), bShape, bias, oShape, o.data());
    put(o);
  }
}

static void runFullyConnected() {
  bool u8 = tok() == "u8";
  int n = geti(), ic = geti(), oc = geti();
  int32_t inZp = geti(), filterZp = geti(), outZp = geti(), actMin = geti(), actMax = geti();
  float inScale = getd(), outScale = getd();
  int ns = geti(); std::vector<float> fs; for (int i = 0; i < ns; i++) fs.push_back(static_cast<float>(getd()));
  bool hasBias = geti() != 0; std::vector<int32_t> bias; if (hasBias) bias = getv<int32_t>(oc);
  ConvCase c{}; c.u8 = u8; c.oc = oc; c.inScale = inScale; c.outScale = outScale; c.filterScales = fs;
  std::vector<int32_t> m, s; convMultipliers(c, m, s);
  tflite::FullyConnectedParams p{};
  p.input_offset = -inZp; p.weights_offset = -filterZp; p.output_offset = outZp;
  p.output_multiplier = m[0]; p.output_shift = s[0];
  p.quantized_activation_min = actMin; p.quantized_activation_max = actMax;
  RuntimeShape xShape = S({n, ic}), wShape = S({oc, ic}), bShape = S({oc}), oShape = S({n, oc});
  const int32_t* b = hasBias ? bias.data() : nullptr;
  if (u8) {
    auto x = getv<uint8_t>(static_cast<size_t>(n) * ic); auto w = getv<uint8_t>(static_cast<size_t>(oc) * ic);
    std::vector<uint8_t> o(static_cast<size_t>(n) * oc);
    tflite::reference_ops::FullyConnected(p, xShape, x.data(), wShape, w.data(), bShape, b, oShape, o.data());
    put(o);
  } else {
    auto x = getv<int8_t>(static_cast<size_t>(n) * ic); auto w = getv<int8_t>(static_cast<size_t>(oc) * ic);
    std::vector<int8_t> o(static_cast<size_t>(n) * oc);
    std::vector<int> si(s.begin(), s.end());
    tflite::reference_integer_ops::FullyConnectedPerChannel<int8_t, int8_t, int8_t, int32_t>(p, m.data(), si.data(), xShape, x.data(), wShape, w.data(), bShape, b, oShape, o.data());
    put(o);
  }
}

// add.cc Prepare for uint8/int8: left_shift 20, twice the larger input scale.
static void runAdd() {
  bool u8 = tok() == "u8";
  int len = geti();
  int32_t aZp = geti(), bZp = geti(), outZp = geti(), actMin = geti(), actMax = geti();
  float aScale = getd(), bScale = getd(), outScale = getd();
  tflite::ArithmeticParams p{};
  p.input1_offset = -aZp; p.input2_offset = -bZp; p.output_offset = outZp; p.left_shift = 20;
  const double twiceMax = 2 * std::max(aScale, bScale);
  const double realA = aScale / twiceMax, realB = bScale / twiceMax;
  const double realOut = twiceMax / ((1 << p.left_shift) * outScale);
  tflite::QuantizeMultiplierSmallerThanOneExp(realA, &p.input1_multiplier, &p.input1_shift);
  tflite::QuantizeMultiplierSmallerThanOneExp(realB, &p.input2_multiplier, &p.input2_shift);
  tflite::QuantizeMultiplierSmallerThanOneExp(realOut, &p.output_multiplier, &p.output_shift);
  p.quantized_activation_min = actMin; p.quantized_activation_max = actMax;
  RuntimeShape shape = S({len});
  if (u8) {
    auto a = getv<uint8_t>(len); auto b = getv<uint8_t>(len); std::vector<uint8_t> o(len);
    tflite::reference_ops::Add(p, shape, a.data(), shape, b.data(), shape, o.data());
    put(o);
  } else {
    auto a = getv<int8_t>(len); auto b = getv<int8_t>(len); std::vector<int8_t> o(len);
    tflite::reference_integer_ops::Add(p, shape, a.data(), shape, b.data(), shape, o.data());
    put(o);
  }
}

static void runAvgPool() {
  bool u8 = tok() == "u8";
  int n = geti(), h = geti(), w = geti(), c = geti(), kh = geti(), kw = geti(), sh = geti(), sw = geti();
  int padTop = geti(), padLeft = geti(), oh = geti(), ow = geti(), actMin = geti(), actMax = geti();
  tflite::PoolParams p{};
  p.padding_values.height = padTop; p.padding_values.width = padLeft;
  p.stride_height = sh; p.stride_width = sw; p.filter_height = kh; p.filter_width = kw;
  p.quantized_activation_min = actMin; p.quantized_activation_max = actMax;
  RuntimeShape xShape = S({n, h, w, c}), oShape = S({n, oh, ow, c});
  const size_t xs = static_cast<size_t>(n) * h * w * c, os = static_cast<size_t>(n) * oh * ow * c;
  if (u8) {
    auto x = getv<uint8_t>(xs); std::vector<uint8_t> o(os);
    tflite::reference_ops::AveragePool(p, xShape, x.data(), oShape, o.data());
    put(o);
  } else {
    auto x = getv<int8_t>(xs); std::vector<int8_t> o(os);
    tflite::reference_integer_ops::AveragePool(p, xShape, x.data(), oShape, o.data());
    put(o);
  }
}

// reduce.cc Prepare for a quantized MEAN: QuantizeMultiplier(input_scale / output_scale).
template <typename T> static void meanOf(int n, int h, int w, int c, int32_t inZp, int32_t outZp, float inScale, float outScale) {
  auto x = getv<T>(static_cast<size_t>(n) * h * w * c);
  std::vector<T> o(static_cast<size_t>(n) * c);
  int32_t m; int shift;
  qm(static_cast<double>(inScale) / static_cast<double>(outScale), &m, &shift);
  int inDims[4] = {n, h, w, c}, outDims[4] = {n, 1, 1, c}, axis[2] = {1, 2};
  int tempIndex[4], resolved[4];
  std::vector<int32_t> tempSum(o.size());
  tflite::reference_ops::QuantizedMeanOrSum<T, int32_t>(x.data(), inZp, inDims, 4, o.data(), m, shift, outZp, outDims, 4, axis, 2, true, tempIndex, resolved, tempSum.data(), false);
  put(o);
}

static void runMean() {
  bool u8 = tok() == "u8";
  int n = geti(), h = geti(), w = geti(), c = geti();
  int32_t inZp = geti(), outZp = geti();
  float inScale = getd(), outScale = getd();
  if (u8) meanOf<uint8_t>(n, h, w, c, inZp, outZp, inScale, outScale);
  else meanOf<int8_t>(n, h, w, c, inZp, outZp, inScale, outScale);
}

// activations.cc SoftmaxPrepare (reference kernel): PreprocessSoftmaxScaling with 5 integer bits.
template <typename T> static void softmaxOf(int rows, int cols, float inScale, float beta) {
  auto x = getv<T>(static_cast<size_t>(rows) * cols);
  std::vector<T> o(x.size());
  tflite::SoftmaxParams p{};
  int leftShift;
  tflite::PreprocessSoftmaxScaling(static_cast<double>(beta), static_cast<double>(inScale), 5, &p.input_multiplier, &leftShift);
  p.input_left_shift = leftShift;
  p.diff_min = -1.0 * tflite::CalculateInputRadius(5, leftShift);
  RuntimeShape shape = S({rows, cols});
  tflite::reference_ops::Softmax(p, shape, x.data(), shape, o.data());
  put(o);
}

static void runSoftmax() {
  bool u8 = tok() == "u8";
  int rows = geti(), cols = geti();
  float inScale = getd(), beta = getd();
  if (u8) softmaxOf<uint8_t>(rows, cols, inScale, beta); else softmaxOf<int8_t>(rows, cols, inScale, beta);
}

// reference_integer_ops::Logistic (integer_ops/logistic.h) and its Prepare are not among the files
// in ../shared/tflite-reference; the kernel is composed here from the parts of the reference that
// are: the Prepare's scaling (s·2^27 → frexp → Q0.31 multiplier, CalculateInputRadius with 4 integer
// bits and 31 total bits), MultiplyByQuantizedMultiplier, gemmlowp::logistic on FixedPoint<int32, 4>,
// and the kernel's rescale to 8 bits (RoundingDivideByPOT by 31 − 8, + the output zero point −128).
static void runLogistic() {
  tok(); // i8: the reference integer kernel is int8 only
  int32_t zp = geti(); float scale = getd(); int n = geti();
  auto x = getv<int8_t>(n);
  std::vector<int8_t> o(x.size());
  const double real = static_cast<double>(scale) * static_cast<double>(1 << (31 - 4));
  int shift;
  const double q = std::frexp(real, &shift);
  const int32_t multiplier = static_cast<int32_t>(tflite::TfLiteRound(q * (1ll << 31)));
  const int32_t radius = tflite::CalculateInputRadius(4, shift, 31);
  for (int i = 0; i < n; i++) {
    const int32_t d = static_cast<int32_t>(x[i]) - zp;
    if (d <= -radius) o[i] = -128;
    else if (d >= radius) o[i] = 127;
    else {
      const int32_t a = tflite::MultiplyByQuantizedMultiplier(d, multiplier, shift);
      const int32_t y = gemmlowp::logistic(gemmlowp::FixedPoint<int32_t, 4>::FromRaw(a)).raw();
      const int32_t v = gemmlowp::RoundingDivideByPOT(y, 31 - 8) - 128;
      o[i] = static_cast<int8_t>(std::min(127, std::max(-128, v)));
    }
  }
  put(o);
}

// TFLite's optimized LOGISTIC for 8-bit tensors: a table from LUTPopulate (common.h) of the
// float sigmoid 1/(1 + exp(−x)); printed from the type's minimum to its maximum.
static float sigmoidOf(float v) { return 1.0f / (1.0f + std::exp(-v)); }

template <typename T> static void logisticTableOf(int32_t zp, float scale) {
  T lut[256];
  const int32_t outZp = std::numeric_limits<T>::min();
  tflite::LUTPopulate<T>(scale, zp, 1.0f / 256, outZp, sigmoidOf, lut);
  std::vector<int32_t> o;
  for (int32_t v = std::numeric_limits<T>::min(); v <= std::numeric_limits<T>::max(); v++) o.push_back(lut[static_cast<uint8_t>(static_cast<T>(v))]);
  put(o);
}

static void runLogisticTable() {
  bool u8 = tok() == "u8";
  int32_t zp = geti(); float scale = getd();
  if (u8) logisticTableOf<uint8_t>(zp, scale); else logisticTableOf<int8_t>(zp, scale);
}

static void runResize() {
  bool u8 = tok() == "u8";
  int n = geti(), h = geti(), w = geti(), c = geti(), oh = geti(), ow = geti();
  std::string mode = tok();
  tflite::ResizeBilinearParams p{};
  p.align_corners = mode == "align-corners"; p.half_pixel_centers = mode == "half-pixel";
  RuntimeShape xShape = S({n, h, w, c}), sizeShape = S({2}), oShape = S({n, oh, ow, c});
  int32_t size[2] = {oh, ow};
  const size_t xs = static_cast<size_t>(n) * h * w * c, os = static_cast<size_t>(n) * oh * ow * c;
  if (u8) {
    auto x = getv<uint8_t>(xs); std::vector<uint8_t> o(os);
    tflite::reference_ops::ResizeBilinear(p, xShape, x.data(), sizeShape, size, oShape, o.data());
    put(o);
  } else {
    auto x = getv<int8_t>(xs); std::vector<int8_t> o(os);
    tflite::reference_ops::ResizeBilinearInteger(p, xShape, x.data(), sizeShape, size, oShape, o.data());
    put(o);
  }
}

static void runConcat() {
  bool u8 = tok() == "u8";
  int pixels = geti(), parts = geti();
  float outScale = getd(); int32_t outZp = geti();
  std::vector<int> channels(parts); std::vector<float> scales(parts); std::vector<int32_t> zps(parts);
  std::vector<std::vector<long long>> data(parts);
  int total = 0;
  for (int i = 0; i < parts; i++) {
    channels[i] = geti(); scales[i] = getd(); zps[i] = geti();
    data[i] = getv<long long>(static_cast<size_t>(pixels) * channels[i]);
    total += channels[i];
  }
  std::vector<RuntimeShape> shapes; for (int i = 0; i < parts; i++) shapes.push_back(S({pixels, channels[i]}));
  std::vector<const RuntimeShape*> shapePtrs; for (auto& s : shapes) shapePtrs.push_back(&s);
  RuntimeShape oShape = S({pixels, total});
  tflite::ConcatenationParams p{};
  p.axis = 1; p.input_zeropoint = zps.data(); p.input_scale = scales.data(); p.inputs_count = parts;
  p.output_zeropoint = outZp; p.output_scale = outScale;
  if (u8) {
    std::vector<std::vector<uint8_t>> in(parts); std::vector<const uint8_t*> ptrs;
    for (int i = 0; i < parts; i++) { in[i].assign(data[i].begin(), data[i].end()); ptrs.push_back(in[i].data()); }
    std::vector<uint8_t> o(static_cast<size_t>(pixels) * total);
    tflite::reference_ops::ConcatenationWithScaling(p, shapePtrs.data(), ptrs.data(), oShape, o.data());
    put(o);
  } else {
    std::vector<std::vector<int8_t>> in(parts); std::vector<const int8_t*> ptrs;
    for (int i = 0; i < parts; i++) { in[i].assign(data[i].begin(), data[i].end()); ptrs.push_back(in[i].data()); }
    std::vector<int8_t> o(static_cast<size_t>(pixels) * total);
    tflite::reference_ops::Concatenation(p, shapePtrs.data(), ptrs.data(), oShape, o.data());
    put(o);
  }
}

static float bitsToFloat(uint32_t b) { float f; std::memcpy(&f, &b, 4); return f; }
static uint32_t floatToBits(float f) { uint32_t b; std::memcpy(&b, &f, 4); return b; }

static void runQuantize() {
  bool u8 = tok() == "u8";
  int len = geti(); float scale = getd(); int32_t zp = geti();
  std::vector<float> x(len); for (auto& v : x) v = bitsToFloat(static_cast<uint32_t>(geti()));
  tflite::QuantizationParams p{}; p.scale = scale; p.zero_point = zp;
  RuntimeShape shape = S({len});
  if (u8) { std::vector<uint8_t> o(len); tflite::reference_ops::AffineQuantize(p, shape, x.data(), shape, o.data()); put(o); }
  else { std::vector<int8_t> o(len); tflite::reference_ops::AffineQuantize(p, shape, x.data(), shape, o.data()); put(o); }
}

static void runDequantize() {
  bool u8 = tok() == "u8";
  int len = geti(); float scale = getd(); int32_t zp = geti();
  tflite::DequantizationParams p{}; p.scale = scale; p.zero_point = zp;
  RuntimeShape shape = S({len});
  std::vector<float> o(len); std::vector<uint32_t> bits(len);
  if (u8) { auto x = getv<uint8_t>(len); tflite::reference_ops::Dequantize(p, shape, x.data(), shape, o.data()); }
  else { auto x = getv<int8_t>(len); tflite::reference_ops::Dequantize(p, shape, x.data(), shape, o.data()); }
  for (int i = 0; i < len; i++) bits[i] = floatToBits(o[i]);
  put(bits);
}

// quantize.cc Prepare for an 8-bit → 8-bit QUANTIZE: QuantizeMultiplier(input_scale / output_scale).
static void runRequantize() {
  bool inU8 = tok() == "u8", outU8 = tok() == "u8";
  int len = geti(); int32_t inZp = geti(), outZp = geti(); float inScale = getd(), outScale = getd();
  int32_t m; int shift;
  qm(static_cast<double>(inScale) / static_cast<double>(outScale), &m, &shift);
  auto x = getv<long long>(len);
  auto run = [&](auto* in, auto* out) {
    using I = std::remove_pointer_t<decltype(in)>;
    using O = std::remove_pointer_t<decltype(out)>;
    std::vector<I> xi(x.begin(), x.end()); std::vector<O> o(len);
    tflite::reference_ops::Requantize(xi.data(), len, m, shift, inZp, outZp, o.data());
    put(o);
  };
  if (inU8 && outU8) run((uint8_t*)nullptr, (uint8_t*)nullptr);
  else if (inU8) run((uint8_t*)nullptr, (int8_t*)nullptr);
  else if (outU8) run((int8_t*)nullptr, (uint8_t*)nullptr);
  else run((int8_t*)nullptr, (int8_t*)nullptr);
}

static void runArgmax() {
  bool u8 = tok() == "u8";
  int rows = geti(), cols = geti();
  RuntimeShape xShape = S({rows, cols}), oShape = S({rows});
  int32_t axis = 1; std::vector<int32_t> o(rows);
  if (u8) { auto x = getv<uint8_t>(static_cast<size_t>(rows) * cols); tflite::reference_ops::ArgMinMax(xShape, x.data(), &axis, oShape, o.data(), true); }
  else { auto x = getv<int8_t>(static_cast<size_t>(rows) * cols); tflite::reference_ops::ArgMinMax(xShape, x.data(), &axis, oShape, o.data(), true); }
  put(o);
}

static void runPad() {
  bool u8 = tok() == "u8";
  int n = geti(), h = geti(), w = geti(), c = geti(), top = geti(), bottom = geti(), left = geti(), right = geti();
  int32_t value = geti();
  tflite::PadParams p{};
  p.left_padding_count = 4; p.right_padding_count = 4;
  int32_t lp[4] = {0, top, left, 0}, rp[4] = {0, bottom, right, 0};
  for (int i = 0; i < 4; i++) { p.left_padding[i] = lp[i]; p.right_padding[i] = rp[i]; }
  const int oh = h + top + bottom, ow = w + left + right;
  RuntimeShape xShape = S({n, h, w, c}), oShape = S({n, oh, ow, c});
  const size_t xs = static_cast<size_t>(n) * h * w * c, os = static_cast<size_t>(n) * oh * ow * c;
  if (u8) { auto x = getv<uint8_t>(xs); std::vector<uint8_t> o(os); tflite::reference_ops::Pad(p, xShape, x.data(), &value, oShape, o.data()); put(o); }
  else { auto x = getv<int8_t>(xs); std::vector<int8_t> o(os); tflite::reference_ops::Pad(p, xShape, x.data(), &value, oShape, o.data()); put(o); }
}

// The fixed-point primitives and QuantizeMultiplier themselves.
static void runPrimitives() {
  std::string what = tok();
  if (what == "srdhm") { int32_t a = geti(), b = geti(); std::printf("%d\n", gemmlowp::SaturatingRoundingDoublingHighMul(a, b)); }
  else if (what == "rdbpot") { int32_t x = geti(); int e = geti(); std::printf("%d\n", gemmlowp::RoundingDivideByPOT(x, e)); }
  else if (what == "mbqm") { int32_t x = geti(), m = geti(); int s = geti(); std::printf("%d\n", tflite::MultiplyByQuantizedMultiplier(x, m, s)); }
  else if (what == "qm") { double r = getd(); int32_t m; int s; qm(r, &m, &s); std::printf("%d %d\n", m, s); }
  else { std::fprintf(stderr, "unknown primitive %s\n", what.c_str()); std::exit(2); }
}

// XNNPACK's fp32 requantization is not in ../shared; this is the C float32 formula
// (lrintf under the default round-to-nearest-even mode) our JS emulation of it is checked against.
static void runFp32() {
  int32_t acc = geti(); float scale = static_cast<float>(getd());
  std::printf("%ld\n", std::lrintf(static_cast<float>(acc) * scale));
}

int main() {
  std::ios::sync_with_stdio(false);
  std::string op;
  while (std::cin >> op) {
    if (op == "conv") runConv(false);
    else if (op == "dwconv") runConv(true);
    else if (op == "fc") runFullyConnected();
    else if (op == "add") runAdd();
    else if (op == "avgpool") runAvgPool();
    else if (op == "mean") runMean();
    else if (op == "softmax") runSoftmax();
    else if (op == "resize") runResize();
    else if (op == "logistic") runLogistic();
    else if (op == "logistic-table") runLogisticTable();
    else if (op == "concat") runConcat();
    else if (op == "quantize") runQuantize();
    else if (op == "dequantize") runDequantize();
    else if (op == "requantize") runRequantize();
    else if (op == "argmax") runArgmax();
    else if (op == "pad") runPad();
    else if (op == "prim") runPrimitives();
    else if (op == "fp32") runFp32();
    else { std::fprintf(stderr, "unknown op %s\n", op.c_str()); return 2; }
    std::fflush(stdout);
  }
  return 0;
}
