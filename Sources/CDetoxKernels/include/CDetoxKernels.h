#ifndef DETOX_CKERNELS_H
#define DETOX_CKERNELS_H
// Kernels that the compiler vectorizes for the CPU it runs on (AVX-512, AVX2 or baseline x86-64,
// chosen once at load time; Swift code compiles for baseline x86-64 only): rows around exp(),
// decoding-step attention, dropout, RMS- and layer-norm rows, GELU, the Adam update and products
// with few rows. exp() here is a polynomial within 2 ulp of libm's expf over the range softmax
// uses, and exactly 0 below -87.3 (masked scores). Also the entry to oneDNN's matmul primitive
// (matmul.c).

/// The largest of `count` values (-inf when empty).
float detox_max(const float *values, long count);

/// Σ exp(values[j] - shift); also stores each exp(values[j] - shift) into `out` when it is not NULL
/// (`out` may be `values`; otherwise the two must not overlap, as for every kernel here).
float detox_sum_exp(const float *values, long count, float shift, float *out);

/// Σ exp(values[j] - shift), with Σ exp(values[j] - shift)·values[j] stored in `*weighted`
/// (the two sums of a softmax's entropy).
float detox_sum_exp_dot(const float *values, long count, float shift, float *weighted);

/// The first index at which the running sum of `weights` (non-negative, summed in double) exceeds
/// `target`, or -1 when it never does: a multinomial draw's inverse-CDF search. Whole blocks of 64
/// whose sum keeps the running sum at or below `target` are skipped with one vector sum each.
long detox_first_crossing(const float *weights, long count, double target);

/// out[j] = 1 / (1 + exp(-x[j])), the logistic sigmoid (`out` may be `x`).
void detox_sigmoid(const float *x, float *out, long count);

/// out[j] = exp(values[j] - shift) * scale.
void detox_exp_scaled(const float *values, long count, float shift, float scale, float *out);

/// values[j] *= scale.
void detox_scale(float *values, long count, float scale);

/// One query's attention over `length` cached keys and values (a decoding step): rows `j` of
/// `keys` and `values` start at `j·stride`; scores are q·k_j plus `bias[j]` and `mask[j]` when
/// given, softmax in f32, and `out` (dimension floats) receives Σ_j w_j·v_j. `scores` is scratch
/// for `length` floats.
void detox_attend_one(const float *query, const float *keys, const float *values, long stride,
                      long length, long dimension, const float *bias, const float *mask,
                      float *scores, float *out);

/// One row of T5's RMS norm: out[j] = x[j] · r · weight[j] with r = 1/√(mean(x²) + epsilon);
/// returns r.
float detox_rms_norm_row(const float *x, const float *weight, long count, float epsilon, float *out);

/// The input gradient of one RMS-norm row, given the row's `inverse` r from the forward pass:
/// out[j] = r · (grad[j]·weight[j] − x[j] · r² · Σ_i grad[i]·weight[i]·x[i] / count).
void detox_rms_norm_backward_row(const float *x, const float *weight, const float *grad, long count,
                                 float inverse, float *out);

/// One row of `nn.LayerNorm`: h[j] = (x[j] − mean)·r with r = 1/√(biased variance + epsilon), stored in
/// `normalized` unless it is NULL, and out[j] = h[j]·weight[j] + bias[j]; returns r.
float detox_layer_norm_row(const float *x, const float *weight, const float *bias, long count, float epsilon,
                           float *normalized, float *out);

/// The input gradient of one layer-norm row from its normalized values h and the row's r:
/// out[j] = r·(grad[j]·weight[j] − mean(grad·weight) − h[j]·mean(grad·weight·h)).
void detox_layer_norm_backward_row(const float *normalized, const float *weight, const float *grad, long count,
                                   float inverse, float *out);

/// Softmax of each of `rows` rows of `columns` scores after adding `bias` (laid out as `scores`),
/// in place: attention's weights from its scores and its position bias plus mask.
void detox_softmax_rows(float *scores, const float *bias, long rows, long columns);

/// The gradient of each softmax row's input from its output `weights` and output gradient `grad`,
/// in place: grad[j] = weights[j] · (grad[j] − Σ_i grad[i]·weights[i]).
void detox_softmax_backward_rows(const float *weights, float *grad, long rows, long columns);

/// Per-step scalars of one Adam update (see `detox_adam_update`).
struct detox_adam_scalars {
    float decayFactor;          // AdamW: 1 - lr * weight_decay
    int decoupledDecay;         // apply decayFactor to the parameter (AdamW)
    float l2;                   // Adam: weight_decay, added to the gradient as wd * param
    int l2Decay;                // apply l2 (Adam with weight decay)
    float lerpWeight;           // 1 - beta1
    float beta2;
    float oneMinusBeta2;
    float biasCorrection2Sqrt;
    float epsilon;
    float negativeStepSize;     // -lr / (1 - beta1^t)
};

/// One step of torch.optim.Adam/AdamW's single-tensor update over `count` values, bit for bit:
/// updates the moments (and the running maximum, when `maxExpAvgSq` is not NULL: amsgrad) in
/// place and writes the new parameter values to `out`.
void detox_adam_update(const float *param, const float *grad, float *out, float *expAvg, float *expAvgSq,
                       float *maxExpAvgSq, long count, const struct detox_adam_scalars *scalars);

/// Dropout with a counter-based mask: out[j] = x[j] · scale when uniform(seed, offset + j) < keep,
/// else 0, where uniform is SplitMix64's output function over seed + (index + 1)·golden-ratio, top
/// 24 bits. The mask of element i is the same whoever computes it, so chunks can run on any thread
/// and the backward pass regenerates it instead of storing it. `out` may be `x`.
void detox_dropout(const float *x, float *out, long count, float keep, float scale,
                   unsigned long long seed, unsigned long long offset);

/// Exact GELU, out[j] = x[j]·Φ(x[j]) with Φ the standard normal CDF (PyTorch's `gelu`): absolute
/// error under 4e-7 over [-20, 20] (as 0.5·x·(1 + erff(x/√2)) with libm's erff), x itself above
/// 6, and ±∞ and NaN give what that formula gives. `out` may be `x`.
void detox_gelu(const float *x, float *out, long count);

/// The input gradient of exact GELU: out[j] = grad[j]·(Φ(x[j]) + x[j]·φ(x[j])). `out` may be `grad`.
void detox_gelu_backward(const float *x, const float *grad, float *out, long count);

/// Tanh GELU (`gelu_new`), out[j] = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed as x·σ(2u)
/// (no cancellation); ±∞ and NaN as the tanh formula. `out` may be `x`.
void detox_gelu_tanh(const float *x, float *out, long count);

/// The input gradient of tanh GELU. `out` may be `grad`.
void detox_gelu_tanh_backward(const float *x, const float *grad, float *out, long count);

/// c = a·bᵀ + beta·c for a `[m, k]` (row stride lda), b `[n, k]` (row stride ldb), c `[m, n]`
/// (row stride ldc), for few rows m: streams each row of b once from memory and reuses it for
/// every row of a from L1, where sgemm's packing of b costs more than the product. Each c[i][j]
/// is one dot product whatever the caller's split of n, so chunks of n may run on any thread.
void detox_gemm_nt_small(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                         float beta, float *c, long ldc);

/// c = op(a)·op(b) + beta·c through oneDNN's matmul primitive (row-major, leading dimensions as
/// sgemm's; op transposes when the flag is nonzero). Primitives are made once per shape and cached.
/// Returns 0 when done; 1 when it did not run and left c untouched (no oneDNN on this platform, a
/// shape it refuses, or another thread inside it), so the caller should use sgemm; 2 when
/// oneDNN failed while running.
int detox_matmul(int transposeA, int transposeB, long m, long n, long k, const float *a, long lda,
                 const float *b, long ldb, float beta, float *c, long ldc);

#endif
