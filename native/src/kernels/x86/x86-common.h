/* Shared helpers for the x86 kernel files. Included only by files compiled with AVX2 flags or
 * higher. With BN_SIMDE defined (the emulated-AVX-512 test build) the intrinsics come from SIMDe,
 * so AVX-512 kernels can be checked against the reference on CPUs without AVX-512. */
#ifndef BN_X86_COMMON_H
#define BN_X86_COMMON_H

#if defined(BN_SIMDE)
#  define SIMDE_ENABLE_NATIVE_ALIASES
#  include <simde/x86/avx512.h>
#else
#  include <immintrin.h>
#endif

#include "bn_internal.h"

/* Sum of the eight int32 lanes. */
static inline int32_t bn_hsum_epi32_avx2(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

/* Sum of k int8 activations (k a multiple of 32 or not: the tail is scalar). */
static inline int32_t bn_sum_i8_avx2(const int8_t* x, int32_t k) {
    const __m256i ones16 = _mm256_set1_epi16(1);
    __m256i acc = _mm256_setzero_si256();
    int32_t j = 0;
    for (; j + 32 <= k; j += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i*)(x + j));
        /* sign-extend to int16 in two halves, then pairwise to int32: exact for any k <= 2^22 */
        __m256i lo = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(v));
        __m256i hi = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(v, 1));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_add_epi16(lo, hi), ones16));
    }
    int32_t sum = bn_hsum_epi32_avx2(acc);
    for (; j < k; j++) sum += x[j];
    return sum;
}

#endif
