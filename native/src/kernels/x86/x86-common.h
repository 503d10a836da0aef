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

#if defined(BN_SIMDE) && !defined(SIMDE_X86_AVX512F_NATIVE)
/* SIMDe 0.7.4 (Debian 12) lacks this AVX-512F intrinsic. Defined from its documented semantics
 * (vcvtps2dq: convert in the current rounding mode, round-half-even by default) as two native AVX2
 * halves, which the emulated test build has. */
static inline __m512i bn_simde_mm512_cvtps_epi32(__m512 v) {
    __m256i lo = _mm256_cvtps_epi32(_mm512_castps512_ps256(v));
    __m256i hi = _mm256_cvtps_epi32(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}
#  undef _mm512_cvtps_epi32
#  define _mm512_cvtps_epi32 bn_simde_mm512_cvtps_epi32
#endif

#if defined(BN_SIMDE) && !defined(SIMDE_X86_AVX512BW_NATIVE)
/* vpaddb adds bytes modulo 256 (Intel SDM: overflow is ignored), and the TL1 lookup kernels rely on
 * it: they sum up to seven biased entries (<= 224) in a byte and read the byte as unsigned (vpdpbusd,
 * vpmaddubsw), so the "overflow" of the signed view is exactly the intended unsigned sum. SIMDe 0.7.4
 * emulates _mm512_add_epi8 as a signed char vector add in C, where overflow is undefined behaviour
 * (UBSan aborts test_avx512_emulated on it, and the compiler may assume it never happens). Two native
 * AVX2 halves give the instruction's wrapping semantics with defined behaviour (GCC's _mm256_add_epi8
 * adds unsigned char vectors). */
static inline __m512i bn_simde_mm512_add_epi8(__m512i a, __m512i b) {
    const __m256i lo = _mm256_add_epi8(_mm512_castsi512_si256(a), _mm512_castsi512_si256(b));
    const __m256i hi = _mm256_add_epi8(_mm512_extracti64x4_epi64(a, 1), _mm512_extracti64x4_epi64(b, 1));
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}
#  undef _mm512_add_epi8
#  define _mm512_add_epi8 bn_simde_mm512_add_epi8
#endif

#include "bn_internal.h"

/* Prefetches the lines of [p, p + bytes) into L1. Kernels that read four or more rows side by side
 * call it with the next group of rows, which is contiguous, so the hardware sees one sequential
 * stream instead of interleaved ones (measured on Zen 3 and Zen 4: interleaved row streams alone
 * reach a half to a quarter of the plain-read bandwidth).
 *
 * always_inline is load-bearing: as a plain static function GCC's pure-const pass finds a prefetch
 * helper "const" (__builtin_prefetch has no side effect it models) and deletes every call. The
 * ctest prefetch_compiled checks that the instructions survive. */
static inline __attribute__((always_inline)) void bn_prefetch_bytes(const uint8_t* p, int64_t bytes) {
    for (int64_t off = 0; off < bytes; off += 64) _mm_prefetch((const char*)p + off, _MM_HINT_T0);
}

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

/* The four sums of a, b, c and d, in that lane order. int32 adds wrap, but each true total fits, so
 * the result is exact whatever the grouping. */
static inline __m128i bn_hsum4_epi32_avx2(__m256i a, __m256i b, __m256i c, __m256i d) {
    __m256i ab = _mm256_hadd_epi32(a, b); /* per 128-bit lane: a01 a23 b01 b23 */
    __m256i cd = _mm256_hadd_epi32(c, d);
    __m256i abcd = _mm256_hadd_epi32(ab, cd);
    return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

/* out[b] = sum of the 256 int8 activations of block b (b < n_blocks): the TQ2 kernels subtract it
 * from sum(code * x) to get sum((code - 1) * x). |out[b]| <= 256 * 128. */
static inline void bn_block_sums_256_avx2(const int8_t* x, int32_t n_blocks, int32_t* out) {
    const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
    for (int32_t b = 0; b < n_blocks; b++) {
        const int8_t* xb = x + (int64_t)b * 256;
        __m256i s = _mm256_setzero_si256(); /* int16 lanes: 8 pair sums, |.| <= 8 * 256 */
        for (int t = 0; t < 8; t++)
            s = _mm256_add_epi16(s, _mm256_maddubs_epi16(ones8, _mm256_loadu_si256((const __m256i*)(xb + 32 * t))));
        out[b] = bn_hsum_epi32_avx2(_mm256_madd_epi16(s, ones16));
    }
}

/* Four fp16 values (little-endian bytes at p0..p3) as floats, exactly: F16C widening is exact,
 * subnormals included, so it agrees with bn_fp16_to_fp32 on every finite value and infinity. */
static inline __m128 bn_fp16x4_to_ps(const uint8_t* p0, const uint8_t* p1, const uint8_t* p2, const uint8_t* p3) {
    uint64_t h = (uint64_t)(p0[0] | (p0[1] << 8)) | (uint64_t)(p1[0] | (p1[1] << 8)) << 16 |
                 (uint64_t)(p2[0] | (p2[1] << 8)) << 32 | (uint64_t)(p3[0] | (p3[1] << 8)) << 48;
    return _mm_cvtph_ps(_mm_cvtsi64_si128((long long)h));
}

/* One fp16 value (little-endian bytes at p) as a float in all four lanes, exactly. */
static inline __m128 bn_fp16_to_ps_bcast(const uint8_t* p) {
    __m128 v = _mm_cvtph_ps(_mm_cvtsi32_si128(p[0] | (p[1] << 8)));
    return _mm_shuffle_ps(v, v, 0);
}

#endif
