/* The code expansion of a Q2_0 block on x86, shared by the AVX2 and AVX-512 VNNI kernels: the 16 code bytes
 * (four consecutive weights per byte, LSB first) become the 64 codes 0..3 in weight order, as two 256-bit
 * vectors (weights 0..31 and 32..63) that line up with the activations. The four bit planes of the bytes
 * (q >> 2p) & 3 hold weights 4m + p; interleaving them byte by byte (planes 0 with 1, 2 with 3) and then in
 * 16-bit pairs puts weight 4m + p at byte 4m + p. About one instruction per four weights. */
#ifndef BN_Q2_0_X86_H
#define BN_Q2_0_X86_H

#include "x86-common.h"

static inline __attribute__((always_inline)) void bn_q2_0_codes(const uint8_t* block, __m256i* lo, __m256i* hi) {
    const __m128i m3 = _mm_set1_epi8(3);
    const __m128i q = _mm_loadu_si128((const __m128i*)(block + 2));
    const __m128i p0 = _mm_and_si128(q, m3), p1 = _mm_and_si128(_mm_srli_epi16(q, 2), m3);
    const __m128i p2 = _mm_and_si128(_mm_srli_epi16(q, 4), m3), p3 = _mm_and_si128(_mm_srli_epi16(q, 6), m3);
    const __m128i a = _mm_unpacklo_epi8(p0, p1), b = _mm_unpackhi_epi8(p0, p1);
    const __m128i c = _mm_unpacklo_epi8(p2, p3), d = _mm_unpackhi_epi8(p2, p3);
    *lo = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_unpacklo_epi16(a, c)), _mm_unpackhi_epi16(a, c), 1);
    *hi = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_unpacklo_epi16(b, d)), _mm_unpackhi_epi16(b, d), 1);
}

#endif
