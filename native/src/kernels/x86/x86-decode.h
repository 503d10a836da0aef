/* AVX2 helpers of the decode-step kernels (norms, gated activations, attention). Each one performs
 * the float operations of its scalar specification in bn_internal.h in the same order, so the
 * kernels built from them match the reference bit for bit. Included only by files compiled with
 * AVX2 flags or higher. */
#ifndef BN_X86_DECODE_H
#define BN_X86_DECODE_H

#include "x86-common.h"
#include "../quantize-rows.h"

/* How bn_lanes16_avx2 folds a value into its lane. */
enum bn_lane_fold { BN_FOLD_SQUARE_SUM, BN_FOLD_ABS_SUM, BN_FOLD_ABS_MAX };

static inline __attribute__((always_inline)) __m256 bn_fold8_avx2(__m256 a, __m256 v, enum bn_lane_fold fold) {
    const __m256 abs = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
    return fold == BN_FOLD_SQUARE_SUM ? _mm256_add_ps(a, _mm256_mul_ps(v, v))
           : fold == BN_FOLD_ABS_SUM  ? _mm256_add_ps(a, abs)
                                      : _mm256_max_ps(a, abs);
}

/* Element j of x[0..k) folded into lane j % 16, in order (the lane order of bn_sum_squares__ref and
 * bn_q4_abs_sum__ref): lanes 0-7 in *a0, 8-15 in *a1. A tail is folded as a zero-padded group: adding +0 leaves
 * a lane's non-negative sum unchanged, and |0| never raises a maximum. */
static inline __attribute__((always_inline)) void bn_lanes16_avx2(const float* x, int32_t k, enum bn_lane_fold fold,
                                                                  __m256* a0, __m256* a1) {
    __m256 l0 = _mm256_setzero_ps(), l1 = _mm256_setzero_ps();
    int32_t j = 0;
    for (; j + 16 <= k; j += 16) {
        l0 = bn_fold8_avx2(l0, _mm256_loadu_ps(x + j), fold);
        l1 = bn_fold8_avx2(l1, _mm256_loadu_ps(x + j + 8), fold);
    }
    if (j < k) {
        float tail[16] = {0};
        for (int32_t t = 0; j + t < k; t++) tail[t] = x[j + t];
        l0 = bn_fold8_avx2(l0, _mm256_loadu_ps(tail), fold);
        l1 = bn_fold8_avx2(l1, _mm256_loadu_ps(tail + 8), fold);
    }
    *a0 = l0;
    *a1 = l1;
}

/* The reference's halving tree over 16 lanes (0-7 in a0, 8-15 in a1): i + 8, i + 4, i + 2, i + 1. */
static inline float bn_tree16_avx2(__m256 a0, __m256 a1) {
    const __m256 s8 = _mm256_add_ps(a0, a1);
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}

/* Largest of the eight lanes. */
static inline float bn_hmax_ps_avx2(__m256 v) {
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    return _mm_cvtss_f32(_mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1)));
}

/* bn_sum_squares__ref. */
static inline float bn_sum_squares_avx2(const float* x, int32_t k) {
    __m256 a0, a1;
    bn_lanes16_avx2(x, k, BN_FOLD_SQUARE_SUM, &a0, &a1);
    return bn_tree16_avx2(a0, a1);
}

/* y = (x * r) * w for 8 values. */
static inline __m256 bn_norm8_avx2(const float* x, __m256 r, const float* w) {
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x), r), _mm256_loadu_ps(w));
}

/* y = (x * r) * w for one row of k values. */
static inline void bn_norm_row_avx2(const float* x, float r, const float* w, int32_t k, float* y) {
    const __m256 vr = _mm256_set1_ps(r);
    int32_t j = 0;
    for (; j + 8 <= k; j += 8) _mm256_storeu_ps(y + j, bn_norm8_avx2(x + j, vr, w + j));
    for (; j < k; j++) y[j] = x[j] * r * w[j];
}

/* Eight int32 lanes (each already in [lo, hi] of int8) of q[0..3] packed to 32 int8 in order. */
static inline __m256i bn_pack_4x8_epi32_avx2(const __m256i q[4]) {
    /* packs interleave 128-bit lanes; the final permute restores element order */
    __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* out = round_half_even(clamp(x * s, lo, hi)) for k values, as bn_quantize_values: clamped first, so the
 * saturating packs are exact. */
static inline __attribute__((always_inline)) void bn_quantize_row_avx2(const float* x, int32_t k, float s, float lo,
                                                                      float hi, int8_t* out) {
    const __m256 vs = _mm256_set1_ps(s), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    int32_t j = 0;
    for (; j + 32 <= k; j += 32) {
        __m256i q[4];
        for (int t = 0; t < 4; t++) {
            const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * t), vs);
            q[t] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(v, vlo), vhi));
        }
        _mm256_storeu_si256((__m256i*)(out + j), bn_pack_4x8_epi32_avx2(q));
    }
    bn_quantize_values(x, j, k, s, lo, hi, out);
}

/* Quantizes y = (x * r) * w (k values) with multiplier s and clamp [lo, hi], as the reference:
 * v = y * s, max(v, lo) then min(v, hi) (a NaN becomes lo, like the reference's clamp), round half
 * to even. */
static inline void bn_quantize_norm_row_avx2(const float* x, float r, const float* w, int32_t k, float s, float lo,
                                             float hi, int8_t* out) {
    const __m256 vr = _mm256_set1_ps(r), vs = _mm256_set1_ps(s);
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    int32_t j = 0;
    for (; j + 32 <= k; j += 32) {
        __m256i q[4];
        for (int t = 0; t < 4; t++) {
            const __m256 v = _mm256_mul_ps(bn_norm8_avx2(x + j + 8 * t, vr, w + j + 8 * t), vs);
            q[t] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(v, vlo), vhi));
        }
        _mm256_storeu_si256((__m256i*)(out + j), bn_pack_4x8_epi32_avx2(q));
    }
    for (; j < k; j++) {
        float v = x[j] * r * w[j] * s;
        v = v > lo ? v : lo;
        v = v < hi ? v : hi;
        out[j] = (int8_t)bn_round_even(v);
    }
}

/* The q8 rule on y = (x * r) * w: amax, s = 127 / max(amax, eps); returns the row's scale. */
static inline float bn_quantize_norm_q8_avx2(const float* x, float r, const float* w, int32_t k, int8_t* out) {
    const __m256 sign = _mm256_set1_ps(-0.0f), vr = _mm256_set1_ps(r);
    __m256 vmax = _mm256_setzero_ps();
    int32_t j = 0;
    for (; j + 8 <= k; j += 8) vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, bn_norm8_avx2(x + j, vr, w + j)));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    float amax = _mm_cvtss_f32(m4);
    for (; j < k; j++) {
        float a = fabsf(x[j] * r * w[j]);
        amax = a > amax ? a : amax;
    }
    if (amax < BN_ACT_EPS) amax = BN_ACT_EPS;
    bn_quantize_norm_row_avx2(x, r, w, k, 127.0f / amax, -128.0f, 127.0f, out);
    return amax / 127.0f;
}

/* The q4 rule on y = (x * r) * w: beta = sum |y| in the specified 16-lane order / k,
 * s = sqrt(7) / max(beta, eps); returns the row's scale. */
static inline float bn_quantize_norm_q4_avx2(const float* x, float r, const float* w, int32_t k, int8_t* out) {
    const float sqrt7 = 2.64575131106459059f;
    const __m256 sign = _mm256_set1_ps(-0.0f), vr = _mm256_set1_ps(r);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int32_t j = 0;
    for (; j + 16 <= k; j += 16) {
        a0 = _mm256_add_ps(a0, _mm256_andnot_ps(sign, bn_norm8_avx2(x + j, vr, w + j)));
        a1 = _mm256_add_ps(a1, _mm256_andnot_ps(sign, bn_norm8_avx2(x + j + 8, vr, w + j + 8)));
    }
    if (j < k) {
        float tail[16] = {0};
        for (int32_t t = 0; j + t < k; t++) tail[t] = fabsf(x[j + t] * r * w[j + t]);
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(tail));
        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(tail + 8));
    }
    const __m256 s8 = _mm256_add_ps(a0, a1);
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    float beta = _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1))) / (float)k;
    if (beta < BN_ACT_EPS) beta = BN_ACT_EPS;
    bn_quantize_norm_row_avx2(x, r, w, k, sqrt7 / beta, -8.0f, 7.0f, out);
    return beta / sqrt7;
}

/* bn_expf__ref on eight lanes: the same operations in the same order, then the out-of-range and NaN
 * lanes replaced by what the reference returns for them. */
static inline __m256 bn_exp_avx2(__m256 x) {
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(BN_EXP_LOG2E)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(BN_EXP_LN2_HI)));
    r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(BN_EXP_LN2_LO)));
    __m256 p = _mm256_set1_ps(BN_EXP_P0);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(BN_EXP_P1));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(BN_EXP_P2));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(BN_EXP_P3));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(BN_EXP_P4));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(BN_EXP_P5));
    const __m256 y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(p, _mm256_mul_ps(r, r)), r), _mm256_set1_ps(1.0f));
    /* 2^n from its exponent bits; garbage in the lanes replaced below (n out of range or NaN) */
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 res = _mm256_mul_ps(y, _mm256_castsi256_ps(e));
    res = _mm256_blendv_ps(res, _mm256_setzero_ps(), _mm256_cmp_ps(x, _mm256_set1_ps(BN_EXP_LO), _CMP_LT_OQ));
    res = _mm256_blendv_ps(res, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(x, _mm256_set1_ps(BN_EXP_HI), _CMP_GT_OQ));
    return _mm256_blendv_ps(res, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

/* bn_glu__ref on eight lanes. ReLU^2: max(g, 0) returns 0 for a NaN g, like the reference's
 * g > 0 ? g : 0. SiLU: g / (1 + exp(-g)) * u. */
static inline __m256 bn_glu_avx2(__m256 g, __m256 u, bn_activation act) {
    if (act == BN_ACTIVATION_RELU2) {
        const __m256 a = _mm256_max_ps(g, _mm256_setzero_ps());
        return _mm256_mul_ps(_mm256_mul_ps(a, a), u);
    }
    const __m256 e = bn_exp_avx2(_mm256_xor_ps(g, _mm256_set1_ps(-0.0f)));
    return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), u);
}

/* Sum of the eight float lanes (any order: the callers' tolerances cover it). */
static inline float bn_hsum_ps_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps(s, s, 1)));
}

/* A softmax chunk's two vector steps (attention-walk.h's bn_attend_softmax): the largest of s[0..n), and s[p]
 * replaced by exp(s[p] - m) with the sum returned; s 32-byte aligned, n a multiple of 8. */
static inline float bn_max_ps_avx2(const float* s, int32_t n) {
    __m256 vmax = _mm256_set1_ps(-INFINITY);
    for (int32_t p = 0; p < n; p += 8) vmax = _mm256_max_ps(vmax, _mm256_load_ps(s + p));
    return bn_hmax_ps_avx2(vmax);
}

static inline float bn_exp_sub_sum_ps_avx2(float* s, int32_t n, float m) {
    const __m256 vm = _mm256_set1_ps(m);
    __m256 lsum = _mm256_setzero_ps();
    for (int32_t p = 0; p < n; p += 8) {
        const __m256 w = bn_exp_avx2(_mm256_sub_ps(_mm256_load_ps(s + p), vm));
        _mm256_store_ps(s + p, w);
        lsum = _mm256_add_ps(lsum, w);
    }
    return bn_hsum_ps_avx2(lsum);
}

#endif
