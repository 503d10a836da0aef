/* The bit expansion of a Q1_0 block on x86, shared by the AVX2 and AVX-512 VNNI kernels: four code bytes (32
 * weights, LSB first) become 32 bytes of 2 b_j in {0, 2}, in weight order. Each byte is copied to the eight
 * positions of its weights (vpshufb), and compared with that position's bit (ggml's bytes_from_bits_32). The
 * weight 2 b - 1 (+1 or -1) is then applied as 2 b x - x: vpsignb would get x = -128 times -1 wrong. */
#ifndef BN_Q1_0_X86_H
#define BN_Q1_0_X86_H

#include "x86-common.h"

#include <string.h>

static inline __attribute__((always_inline)) __m256i bn_q1_0_twice_bits(const uint8_t* bits4) {
    uint32_t word;
    memcpy(&word, bits4, 4);
    const __m256i spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32((int32_t)word),
        _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303));
    const __m256i select = _mm256_set1_epi64x((int64_t)0x8040201008040201);
    const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select);
    return _mm256_and_si256(set, _mm256_set1_epi8(2));
}

#endif
