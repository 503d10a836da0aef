/* AVX-512 helpers of the decode-step kernels, and stand-ins for the AVX-512F intrinsics that SIMDe
 * 0.7.4 (Debian 12) lacks, so the emulated test build (BN_SIMDE, see native/tests/CMakeLists.txt)
 * compiles the same sources. Included only by files compiled with AVX-512 flags, or emulated. */
#ifndef BN_X86_AVX512_DECODE_H
#define BN_X86_AVX512_DECODE_H

#include "x86-decode.h"

/* The 256-bit halves of a 512-bit float vector. */
static inline __m256 bn_lo256_ps(__m512 v) { return _mm512_castps512_ps256(v); }
static inline __m256 bn_hi256_ps(__m512 v) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); }
static inline __m512 bn_join256_ps(__m256 lo, __m256 hi) {
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo)), _mm256_castps_pd(hi), 1));
}

#if defined(BN_SIMDE) && !defined(SIMDE_X86_AVX512F_NATIVE)
/* Defined from their documented semantics (vcvtph2ps: exact widening; vcvtdq2ps: conversion in the
 * current rounding mode) as two native AVX2 halves, which the emulated build has. */
static inline __m512 bn_simde_mm512_cvtph_ps(__m256i h) {
    return bn_join256_ps(_mm256_cvtph_ps(_mm256_castsi256_si128(h)), _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1)));
}
static inline __m512 bn_simde_mm512_cvtepi32_ps(__m512i v) {
    return bn_join256_ps(_mm256_cvtepi32_ps(_mm512_castsi512_si256(v)),
                         _mm256_cvtepi32_ps(_mm512_extracti64x4_epi64(v, 1)));
}
#  undef _mm512_cvtph_ps
#  define _mm512_cvtph_ps bn_simde_mm512_cvtph_ps
#  undef _mm512_cvtepi32_ps
#  define _mm512_cvtepi32_ps bn_simde_mm512_cvtepi32_ps
#endif

/* Sum and maximum of the 16 lanes (any order: the callers' tolerances cover it). */
static inline float bn_hsum_ps_avx512(__m512 v) {
    return bn_hsum_ps_avx2(_mm256_add_ps(bn_lo256_ps(v), bn_hi256_ps(v)));
}
static inline float bn_hmax_ps_avx512(__m512 v) { return bn_hmax_ps_avx2(_mm256_max_ps(bn_lo256_ps(v), bn_hi256_ps(v))); }

/* bn_lanes16_avx2 with the 16 lanes in one vector. */
static inline __attribute__((always_inline)) __m512 bn_lanes16_avx512(const float* x, int32_t k,
                                                                     enum bn_lane_fold fold) {
    __m512 a = _mm512_setzero_ps();
    int32_t j = 0;
    for (; j + 16 <= k; j += 16) {
        const __m512 v = _mm512_loadu_ps(x + j);
        a = fold == BN_FOLD_ABS_SUM ? _mm512_add_ps(a, _mm512_abs_ps(v)) : _mm512_max_ps(a, _mm512_abs_ps(v));
    }
    if (j < k) {
        float tail[16] = {0};
        for (int32_t t = 0; j + t < k; t++) tail[t] = x[j + t];
        const __m512 v = _mm512_loadu_ps(tail);
        a = fold == BN_FOLD_ABS_SUM ? _mm512_add_ps(a, _mm512_abs_ps(v)) : _mm512_max_ps(a, _mm512_abs_ps(v));
    }
    return a;
}

/* out = round_half_even(clamp(x * s, lo, hi)) for k values, as bn_quantize_values: clamped first, so the
 * saturating narrowing is exact. */
static inline __attribute__((always_inline)) void bn_quantize_row_avx512(const float* x, int32_t k, float s, float lo,
                                                                        float hi, int8_t* out) {
    const __m512 vs = _mm512_set1_ps(s), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    int32_t j = 0;
    for (; j + 16 <= k; j += 16) {
        const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(x + j), vs);
        const __m512i q = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(v, vlo), vhi));
        _mm_storeu_si128((__m128i*)(out + j), _mm512_cvtsepi32_epi8(q));
    }
    bn_quantize_values(x, j, k, s, lo, hi, out);
}

/* 16 fp16 values at p as floats, exactly. */
static inline __m512 bn_load_f16x16(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)p));
}

/* bn_expf__ref on 16 lanes: the same operations in the same order as bn_exp_avx2. */
static inline __m512 bn_exp_avx512(__m512 x) {
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(BN_EXP_LOG2E)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(BN_EXP_LN2_HI)));
    r = _mm512_sub_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(BN_EXP_LN2_LO)));
    __m512 p = _mm512_set1_ps(BN_EXP_P0);
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(BN_EXP_P1));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(BN_EXP_P2));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(BN_EXP_P3));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(BN_EXP_P4));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(BN_EXP_P5));
    const __m512 y = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(p, _mm512_mul_ps(r, r)), r), _mm512_set1_ps(1.0f));
    const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    __m512 res = _mm512_mul_ps(y, _mm512_castsi512_ps(e));
    res = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(BN_EXP_LO), _CMP_LT_OQ), res, _mm512_setzero_ps());
    res = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_set1_ps(BN_EXP_HI), _CMP_GT_OQ), res,
                               _mm512_set1_ps(INFINITY));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), res, x);
}

/* bn_max_ps_avx2 / bn_exp_sub_sum_ps_avx2 on 16 lanes: s 64-byte aligned, n a multiple of 16. */
static inline float bn_max_ps_avx512(const float* s, int32_t n) {
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    for (int32_t p = 0; p < n; p += 16) vmax = _mm512_max_ps(vmax, _mm512_load_ps(s + p));
    return bn_hmax_ps_avx512(vmax);
}

static inline float bn_exp_sub_sum_ps_avx512(float* s, int32_t n, float m) {
    const __m512 vm = _mm512_set1_ps(m);
    __m512 lsum = _mm512_setzero_ps();
    for (int32_t p = 0; p < n; p += 16) {
        const __m512 w = bn_exp_avx512(_mm512_sub_ps(_mm512_load_ps(s + p), vm));
        _mm512_store_ps(s + p, w);
        lsum = _mm512_add_ps(lsum, w);
    }
    return bn_hsum_ps_avx512(lsum);
}

#endif
