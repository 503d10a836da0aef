/* The Q2_0 and Q2_0_G128 blocks (../q2_0-block.h: 64 or 128 weights d (c - 1)) on x86, for the AVX2 and AVX-512
 * VNNI kernels; their arithmetic is offset-codes-x86.h's.
 *
 * 16 code bytes become 64 codes in weight order, two 256-bit vectors that line up with the activations: the four
 * bit planes (q >> 2p) & 3 hold weights 4m + p; interleaving them byte by byte (planes 0 with 1, 2 with 3) and then
 * in 16-bit pairs puts weight 4m + p at byte 4m + p. About one instruction per four weights. */
#ifndef BN_Q2_0_X86_H
#define BN_Q2_0_X86_H

#include "kquant-x86.h"
#include "../q2_0-block.h"

#define KQ_CODE_VECS (KQ_BLOCK / 32)
#define KQ_CODE_OFFSET 1
#define KQ_CODE_MAX 3

/* The 64 codes of the 16 bytes at qs, weights 0..31 in *lo and 32..63 in *hi. */
static inline __attribute__((always_inline)) void bn_q2_0_codes(const uint8_t* qs, __m256i* lo, __m256i* hi) {
    const __m128i m3 = _mm_set1_epi8(3);
    const __m128i q = _mm_loadu_si128((const __m128i*)qs);
    const __m128i p0 = _mm_and_si128(q, m3), p1 = _mm_and_si128(_mm_srli_epi16(q, 2), m3);
    const __m128i p2 = _mm_and_si128(_mm_srli_epi16(q, 4), m3), p3 = _mm_and_si128(_mm_srli_epi16(q, 6), m3);
    const __m128i a = _mm_unpacklo_epi8(p0, p1), b = _mm_unpackhi_epi8(p0, p1);
    const __m128i c = _mm_unpacklo_epi8(p2, p3), d = _mm_unpackhi_epi8(p2, p3);
    *lo = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_unpacklo_epi16(a, c)), _mm_unpackhi_epi16(a, c), 1);
    *hi = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_unpacklo_epi16(b, d)), _mm_unpackhi_epi16(b, d), 1);
}

static inline __attribute__((always_inline)) void kq_codes(const uint8_t* block, __m256i* u) {
    for (int h = 0; h < KQ_BLOCK / 64; h++) bn_q2_0_codes(block + 2 + 16 * h, &u[2 * h], &u[2 * h + 1]);
}

#include "offset-codes-x86.h"

#endif
