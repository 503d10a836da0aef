/* The Q1_0 block on x86 (the AVX2 and AVX-512 VNNI kernels): 128 weights d (2 b_j - 1), bit j % 8 of byte j / 8
 * after d set meaning +1. Four code bytes (32 weights, LSB first) become 32 bytes of 2 b_j in {0, 2}, in weight
 * order: AVX2 copies each byte to the eight positions of its weights (vpshufb) and compares it with that position's
 * bit (ggml's bytes_from_bits_32); AVX-512 uses the 32 bits as a byte mask (one masked move). The weight is then
 * applied as 2 b x - x, with the codes 2 b and the offset 1 of offset-codes-x86.h (vpsignb would get x = -128 times
 * -1 wrong). */
#ifndef BN_Q1_0_X86_H
#define BN_Q1_0_X86_H

#include "kquant-x86.h"

#include <string.h>

#define KQ_BLOCK BN_Q1_0_BLOCK
#define KQ_BLOCK_BYTES BN_Q1_0_BLOCK_BYTES
#define KQ_CODE_VECS 4
#define KQ_CODE_OFFSET 1
#define KQ_CODE_MAX 2

#if !BN_AVX512VNNI
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

static inline __attribute__((always_inline)) void kq_codes(const uint8_t* block, __m256i* u) {
    for (int v = 0; v < 4; v++) {
#if BN_AVX512VNNI /* 32 code bits are a mask register: one masked move makes their bytes 2 b */
        uint32_t bits;
        memcpy(&bits, block + 2 + 4 * v, 4);
        u[v] = _mm256_maskz_mov_epi8((__mmask32)bits, _mm256_set1_epi8(2));
#else
        u[v] = bn_q1_0_twice_bits(block + 2 + 4 * v);
#endif
    }
}

#include "offset-codes-x86.h"

#endif
