#include "CDetoxKernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)
#define DETOX_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DETOX_CLONES
#endif

// Cephes-style expf: e^x = 2^n · e^r with n = round(x / ln 2), |r| ≤ ln 2 / 2, and a degree-6
// polynomial for e^r. Branch-free so that loops over it vectorize.
static inline __attribute__((always_inline)) float detox_expf(float x) {
    float clamped = x < -87.33654f ? -87.33654f : (x > 88.37626f ? 88.37626f : x);
    // Round to nearest by adding and subtracting 1.5·2^23 (no libm call, vectorizes on any x86-64).
    float n = (clamped * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = clamped - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return x < -87.33654f ? 0.0f : p * scale;
}

DETOX_CLONES
float detox_max(const float *values, long count) {
    // Sixteen running maxima (one vector register), so the comparison loop vectorizes.
    float lanes[16];
    for (int l = 0; l < 16; l++) lanes[l] = -INFINITY;
    long j = 0;
    for (; j + 16 <= count; j += 16)
        for (int l = 0; l < 16; l++) lanes[l] = values[j + l] > lanes[l] ? values[j + l] : lanes[l];
    float m = -INFINITY;
    for (int l = 0; l < 16; l++) m = lanes[l] > m ? lanes[l] : m;
    for (; j < count; j++) m = values[j] > m ? values[j] : m;
    return m;
}

DETOX_CLONES
float detox_sum_exp(const float *values, long count, float shift, float *out) {
    #pragma clang fp reassociate(on)
    float total = 0;
    if (out) {
        // `out` may be `values` itself (in place): each element is read before it is written.
        #pragma clang loop vectorize(assume_safety)
        for (long j = 0; j < count; j++) {
            float e = detox_expf(values[j] - shift);
            out[j] = e;
            total += e;
        }
    } else {
        for (long j = 0; j < count; j++) total += detox_expf(values[j] - shift);
    }
    return total;
}

// σ(x) from e = exp(−|x|), which never overflows: 1/(1 + e) for x ≥ 0, e/(1 + e) below (so
// σ(−∞) = 0 and σ(∞) = 1); branch-free, so the loop vectorizes.
DETOX_CLONES
void detox_sigmoid(const float *x, float *out, long count) {
    #pragma clang loop vectorize(assume_safety)
    for (long j = 0; j < count; j++) {
        float v = x[j];
        float e = detox_expf(-fabsf(v));
        float s = 1.0f / (1.0f + e);
        out[j] = v >= 0 ? s : e * s;
    }
}

// The block sum is reassociated (a vector sum); the scan inside the block where the running sum
// crosses `target` adds one weight at a time, so the result differs from a fully serial scan only
// when `target` lies within rounding of a block boundary's running sum.
DETOX_CLONES
long detox_first_crossing(const float *weights, long count, double target) {
    double cumulative = 0;
    long j = 0;
    for (; j + 64 <= count; j += 64) {
        double block = 0;
        {
            #pragma clang fp reassociate(on)
            for (long l = 0; l < 64; l++) block += weights[j + l];
        }
        if (cumulative + block > target) break;
        cumulative += block;
    }
    for (; j < count; j++) {
        cumulative += weights[j];
        if (cumulative > target) return j;
    }
    return -1;
}

DETOX_CLONES
float detox_sum_exp_dot(const float *values, long count, float shift, float *weighted) {
    #pragma clang fp reassociate(on)
    float total = 0, dot = 0;
    for (long j = 0; j < count; j++) {
        float e = detox_expf(values[j] - shift);
        total += e;
        dot += e * values[j];
    }
    *weighted = dot;
    return total;
}

DETOX_CLONES
void detox_exp_scaled(const float *values, long count, float shift, float scale, float *out) {
    #pragma clang loop vectorize(assume_safety)
    for (long j = 0; j < count; j++) out[j] = detox_expf(values[j] - shift) * scale;
}

DETOX_CLONES
void detox_scale(float *values, long count, float scale) {
    for (long j = 0; j < count; j++) values[j] *= scale;
}

// Σ a[j]·b[j], summed in vector lanes; inlined into the kernels that need it.
static inline __attribute__((always_inline)) float detox_dot_inline(const float *a, const float *b, long count) {
    #pragma clang fp reassociate(on)
    float total = 0;
    for (long j = 0; j < count; j++) total += a[j] * b[j];
    return total;
}

DETOX_CLONES
float detox_rms_norm_row(const float *x, const float *weight, long count, float epsilon, float *out) {
    float inverse = 1.0f / sqrtf(detox_dot_inline(x, x, count) / (float)count + epsilon);
    #pragma clang loop vectorize(assume_safety)
    for (long j = 0; j < count; j++) out[j] = x[j] * inverse * weight[j];
    return inverse;
}

DETOX_CLONES
void detox_rms_norm_backward_row(const float *x, const float *weight, const float *grad, long count,
                                 float inverse, float *out) {
    #pragma clang fp reassociate(on)
    float dot = 0;
    for (long j = 0; j < count; j++) dot += grad[j] * weight[j] * x[j];
    float correction = inverse * inverse * dot / (float)count;
    #pragma clang loop vectorize(assume_safety)
    for (long j = 0; j < count; j++) out[j] = inverse * (grad[j] * weight[j] - x[j] * correction);
}

DETOX_CLONES
float detox_layer_norm_row(const float *x, const float *weight, const float *bias, long count, float epsilon,
                           float *normalized, float *out) {
    #pragma clang fp reassociate(on)
    float sum = 0;
    for (long j = 0; j < count; j++) sum += x[j];
    float mean = sum / (float)count;
    float squares = 0;
    for (long j = 0; j < count; j++) squares += (x[j] - mean) * (x[j] - mean);
    float inverse = 1.0f / sqrtf(squares / (float)count + epsilon);
    if (normalized) {
        #pragma clang loop vectorize(assume_safety)
        for (long j = 0; j < count; j++) {
            float h = (x[j] - mean) * inverse;
            normalized[j] = h;
            out[j] = h * weight[j] + bias[j];
        }
    } else {
        #pragma clang loop vectorize(assume_safety)
        for (long j = 0; j < count; j++) out[j] = (x[j] - mean) * inverse * weight[j] + bias[j];
    }
    return inverse;
}

DETOX_CLONES
void detox_layer_norm_backward_row(const float *normalized, const float *weight, const float *grad, long count,
                                   float inverse, float *out) {
    #pragma clang fp reassociate(on)
    float meanD = 0, meanDH = 0;
    for (long j = 0; j < count; j++) {
        float d = grad[j] * weight[j];
        meanD += d;
        meanDH += d * normalized[j];
    }
    meanD /= (float)count;
    meanDH /= (float)count;
    #pragma clang loop vectorize(assume_safety)
    for (long j = 0; j < count; j++) out[j] = inverse * (grad[j] * weight[j] - meanD - normalized[j] * meanDH);
}

DETOX_CLONES
void detox_softmax_rows(float *scores, const float *bias, long rows, long columns) {
    for (long r = 0; r < rows; r++) {
        float *row = scores + r * columns;
        const float *add = bias + r * columns;
        // The bias is added in the pass that finds the maximum (sixteen running maxima, as detox_max).
        float lanes[16];
        for (int l = 0; l < 16; l++) lanes[l] = -INFINITY;
        long j = 0;
        for (; j + 16 <= columns; j += 16)
            for (int l = 0; l < 16; l++) {
                float v = row[j + l] + add[j + l];
                row[j + l] = v;
                lanes[l] = v > lanes[l] ? v : lanes[l];
            }
        float m = -INFINITY;
        for (int l = 0; l < 16; l++) m = lanes[l] > m ? lanes[l] : m;
        for (; j < columns; j++) {
            row[j] += add[j];
            m = row[j] > m ? row[j] : m;
        }
        if (m == -INFINITY) m = 0;   // a fully masked row: exp(-inf - 0) = 0, as the unfused path
        detox_scale(row, columns, 1.0f / detox_sum_exp(row, columns, m, row));
    }
}

DETOX_CLONES
void detox_softmax_backward_rows(const float *weights, float *grad, long rows, long columns) {
    for (long r = 0; r < rows; r++) {
        const float *p = weights + r * columns;
        float *d = grad + r * columns;
        float dot = detox_dot_inline(p, d, columns);
        #pragma clang loop vectorize(assume_safety)
        for (long j = 0; j < columns; j++) d[j] = p[j] * (d[j] - dot);
    }
}

// One element of `detox_adam_update`: returns the new parameter, updates m and v in place, and
// folds v into *vMax when `amsgrad`. Every branch is a select, so loops over it vectorize.
static inline __attribute__((always_inline)) float detox_adam_element(
    float p, float g, float *m, float *v, float *vMax, int amsgrad, const struct detox_adam_scalars *s,
    int smallWeight, float largeWeightCoefficient) {
    #pragma clang fp contract(off)
    p = s->decoupledDecay ? p * s->decayFactor : p;              // param.mul_(1 - lr * weight_decay)
    g = s->l2Decay ? fmaf(s->l2, p, g) : g;                       // grad.add(param, alpha=weight_decay)
    const float m0 = *m;                                          // exp_avg.lerp_(grad, 1 - beta1)
    const float m1 = smallWeight ? fmaf(s->lerpWeight, g - m0, m0) : fmaf(largeWeightCoefficient, g - m0, g);
    *m = m1;
    const float v1 = fmaf(s->oneMinusBeta2 * g, g, *v * s->beta2); // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
    *v = v1;
    float second = v1;
    if (amsgrad) {
        const float previous = *vMax;                             // torch.maximum, which propagates NaN
        second = (previous != previous || previous > v1) ? previous : v1;
        *vMax = second;
    }
    // denom = (sqrt(v) / sqrt(bias_correction2)).add_(eps); param.addcdiv_(exp_avg, denom, value=-step_size)
    const float denominator = __builtin_elementwise_sqrt(second) / s->biasCorrection2Sqrt + s->epsilon;
    return p + s->negativeStepSize * m1 / denominator;
}

DETOX_CLONES
void detox_adam_update(const float *param, const float *grad, float *out, float *expAvg, float *expAvgSq,
                       float *maxExpAvgSq, long count, const struct detox_adam_scalars *scalars) {
    // Exactly the operations of torch.optim.Adam's single-tensor path: fused multiply-adds only
    // where PyTorch's kernels fuse (fmaf), every other product and sum rounded on its own.
    const struct detox_adam_scalars s = *scalars;
    // torch.lerp switches formula at weight 0.5 for accuracy; both branches are mirrored.
    const int smallWeight = fabsf(s.lerpWeight) < 0.5f;
    const float largeWeightCoefficient = s.lerpWeight - 1.0f;
    if (maxExpAvgSq) {
        #pragma clang loop vectorize(assume_safety)
        for (long i = 0; i < count; i++)
            out[i] = detox_adam_element(param[i], grad[i], expAvg + i, expAvgSq + i, maxExpAvgSq + i, 1, &s,
                                        smallWeight, largeWeightCoefficient);
    } else {
        #pragma clang loop vectorize(assume_safety)
        for (long i = 0; i < count; i++)
            out[i] = detox_adam_element(param[i], grad[i], expAvg + i, expAvgSq + i, NULL, 0, &s,
                                        smallWeight, largeWeightCoefficient);
    }
}

DETOX_CLONES
void detox_dropout(const float *x, float *out, long count, float keep, float scale,
                   unsigned long long seed, unsigned long long offset) {
    #pragma clang loop vectorize(assume_safety)
    for (long j = 0; j < count; j++) {
        uint64_t z = seed + ((uint64_t)offset + (uint64_t)j + 1) * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        float uniform = (float)(uint32_t)(z >> 40) * (1.0f / 16777216.0f);
        out[j] = uniform < keep ? x[j] * scale : 0.0f;
    }
}

DETOX_CLONES
void detox_attend_one(const float *query, const float *keys, const float *values, long stride,
                      long length, long dimension, const float *bias, const float *mask,
                      float *scores, float *out) {
    #pragma clang fp reassociate(on)
    float maximum = -INFINITY;
    for (long j = 0; j < length; j++) {
        const float *k = keys + j * stride;
        float s = 0;
        for (long d = 0; d < dimension; d++) s += query[d] * k[d];
        if (bias) s += bias[j];
        if (mask) s += mask[j];
        scores[j] = s;
        maximum = s > maximum ? s : maximum;
    }
    if (maximum == -INFINITY) maximum = 0;
    float total = 0;
    for (long j = 0; j < length; j++) {
        float e = detox_expf(scores[j] - maximum);
        scores[j] = e;
        total += e;
    }
    float inverse = 1.0f / total;
    for (long d = 0; d < dimension; d++) out[d] = 0;
    for (long j = 0; j < length; j++) {
        const float *v = values + j * stride;
        float w = scores[j] * inverse;
        for (long d = 0; d < dimension; d++) out[d] += w * v[d];
    }
}

// MARK: - GELU

// Φ(−|x|) = erfc(|x|/√2)/2, the lower tail of the standard normal, branch-free (loops over it
// vectorize). Below |x|/√2 = 0.5 from the Taylor series of erf (truncation under 1e-9); above,
// the Chebyshev-fitted erfc of Numerical Recipes (erfcc, relative error under 1.2e-7 for all
// arguments): erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2). Exactly 0 from |x| ≈ 13.2 on
// (exp underflows), so Φ(−∞) = 0; NaN stays NaN.
static inline __attribute__((always_inline)) float detox_normal_lower_tail(float x) {
    float z = fabsf(x) * 0.70710678118654752f;
    float z2 = z * z;
    float s = -1.4925650358e-05f;
    s = s * z2 + 1.2055332982e-04f;
    s = s * z2 - 8.5483270235e-04f;
    s = s * z2 + 5.2239776254e-03f;
    s = s * z2 - 2.6866170645e-02f;
    s = s * z2 + 1.1283791671e-01f;
    s = s * z2 - 3.7612638903e-01f;
    s = s * z2 + 1.1283791671e+00f;
    float nearTail = 0.5f - 0.5f * (z * s);
    float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    float farTail = 0.5f * t * detox_expf(p - z2);
    return z < 0.5f ? nearTail : farTail;
}

// Φ(x) = P(N(0,1) ≤ x).
static inline __attribute__((always_inline)) float detox_normal_cdf(float x) {
    float tail = detox_normal_lower_tail(x);
    return x < 0 ? tail : 1.0f - tail;
}

DETOX_CLONES
void detox_gelu(const float *x, float *out, long count) {
    #pragma clang loop vectorize(assume_safety)
    for (long j = 0; j < count; j++) out[j] = x[j] * detox_normal_cdf(x[j]);
}

DETOX_CLONES
void detox_gelu_backward(const float *x, const float *grad, float *out, long count) {
    #pragma clang loop vectorize(assume_safety)
    for (long j = 0; j < count; j++) {
        float v = x[j];
        float density = detox_expf(-0.5f * v * v) * 0.3989422804014327f;
        out[j] = grad[j] * (detox_normal_cdf(v) + v * density);
    }
}

// σ(2u) = (1 + tanh u)/2 for u = √(2/π)·(x + 0.044715·x³), and e^(−2u): tanh GELU is x·σ(2u),
// with no cancellation near u = 0 or for negative u. σ is exactly 0 once e^(−2u) passes float's
// range (as 1 + tanh u rounds to 0 there), so −∞ gives NaN and a huge negative x gives −0, as the
// tanh formula does.
static inline __attribute__((always_inline)) float detox_gelu_tanh_gate(float x, float *complement) {
    float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
    float e = detox_expf(-2.0f * u);
    *complement = e;
    return -2.0f * u > 88.0f ? 0.0f : 1.0f / (1.0f + e);
}

DETOX_CLONES
void detox_gelu_tanh(const float *x, float *out, long count) {
    #pragma clang loop vectorize(assume_safety)
    for (long j = 0; j < count; j++) {
        float e;
        out[j] = x[j] * detox_gelu_tanh_gate(x[j], &e);
    }
}

DETOX_CLONES
void detox_gelu_tanh_backward(const float *x, const float *grad, float *out, long count) {
    #pragma clang loop vectorize(assume_safety)
    for (long j = 0; j < count; j++) {
        float v = x[j];
        float e;
        float s = detox_gelu_tanh_gate(v, &e);
        float slope = 0.7978845608028654f * (1.0f + 3.0f * 0.044715f * v * v);
        // d/dx x·σ(2u) = σ + x·2σ(1 − σ)·u′ with 1 − σ = e·σ (no cancellation as σ nears 1); the
        // order of the products keeps NaN where the tanh formula gives it (x = ±∞, |x| > 1e13).
        out[j] = grad[j] * (s + v * (2.0f * (e * s) * s) * slope);
    }
}

// MARK: - Products with few rows

// Sixteen floats; the AVX-512 clone keeps one in a zmm register, the others split it across
// narrower registers. The helpers taking or returning one are always inlined into each clone, so
// the calling-convention warning about 64-byte vectors without AVX-512 does not apply.
typedef float detox_v16 __attribute__((vector_size(64)));
#pragma clang diagnostic ignored "-Wpsabi"

// Sixteen floats from any address (memcpy: no alignment or aliasing assumptions; one vector load).
static inline __attribute__((always_inline)) detox_v16 detox_load16(const float *p) {
    detox_v16 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) float detox_lane_sum(detox_v16 v) {
    typedef float v8 __attribute__((vector_size(32)));
    typedef float v4 __attribute__((vector_size(16)));
    v8 h = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7)
         + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    v4 q = __builtin_shufflevector(h, h, 0, 1, 2, 3) + __builtin_shufflevector(h, h, 4, 5, 6, 7);
    return (q[0] + q[2]) + (q[1] + q[3]);
}

// `rows` (1...4) rows of a against `columns` (1...4) rows of b: sixteen accumulators that stay in
// registers, one load of each operand per 16-float slice. Missing b rows read row 0 again (and are
// not stored). When `next` is not NULL, prefetches its rows `first`, `first + step`, … (below 4)
// into L2, one cache line of each per slice.
static inline __attribute__((always_inline)) void detox_nt_tile(
    int rows, int columns, const float *a, long lda, const float *b, long ldb, long k,
    float beta, float *c, long ldc, const float *next, int first, int step) {
    detox_v16 acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = (detox_v16){0};
    const float *bRow[4];
    for (int j = 0; j < 4; j++) bRow[j] = b + (j < columns ? j : 0) * ldb;
    long p = 0;
    for (; p + 16 <= k; p += 16) {
        if (next)
            for (int j = first; j < 4; j += step) __builtin_prefetch(next + j * ldb + p, 0, 1);
        detox_v16 bv[4];
        for (int j = 0; j < 4; j++) bv[j] = detox_load16(bRow[j] + p);
        for (int i = 0; i < rows; i++) {
            detox_v16 av = detox_load16(a + i * lda + p);
            for (int j = 0; j < 4; j++) acc[i][j] += av * bv[j];
        }
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < columns; j++) {
            float s = detox_lane_sum(acc[i][j]);
            for (long q = p; q < k; q++) s += a[i * lda + q] * bRow[j][q];
            float *out = c + i * ldc + j;
            *out = beta == 0 ? s : beta * *out + s;
        }
}

DETOX_CLONES
void detox_gemm_nt_small(long m, long n, long k, const float *a, long lda, const float *b, long ldb,
                         float beta, float *c, long ldc) {
    // Each block of four b rows is read from memory once and found in L1 by the passes for the
    // other rows of a. Meanwhile the block two ahead is prefetched into L2, spread over the passes
    // (pass i fetches rows i, i + passes, …), so memory streams while the passes compute instead
    // of in a burst; L2 prefetches keep more lines in flight than L1's miss buffers allow.
    int passes = (int)((m + 3) / 4);
    for (long j = 0; j < n; j += 4) {
        int columns = n - j < 4 ? (int)(n - j) : 4;
        const float *block = b + j * ldb;
        const float *next = j + 12 <= n ? block + 8 * ldb : 0;
        long i = 0;
        int pass = 0;
        for (; i + 4 <= m; i += 4, pass++)
            detox_nt_tile(4, columns, a + i * lda, lda, block, ldb, k, beta, c + i * ldc + j, ldc, next, pass, passes);
        switch (m - i) {
        case 3: detox_nt_tile(3, columns, a + i * lda, lda, block, ldb, k, beta, c + i * ldc + j, ldc, next, pass, passes); break;
        case 2: detox_nt_tile(2, columns, a + i * lda, lda, block, ldb, k, beta, c + i * ldc + j, ldc, next, pass, passes); break;
        case 1: detox_nt_tile(1, columns, a + i * lda, lda, block, ldb, k, beta, c + i * ldc + j, ldc, next, pass, passes); break;
        default: break;
        }
    }
}
