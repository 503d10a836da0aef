/* The Q4_0 block on x86 (the AVX2 and AVX-512 VNNI kernels): 32 weights d (c - 8), the codes c (0..15) the low
 * nibbles of the sixteen bytes after d (weights 0..15) and their high nibbles (16..31), one 256-bit vector with the
 * low nibbles in its low 128-bit lane, the activations' order. The block's arithmetic is offset-codes-x86.h's. */
#ifndef BN_Q4_0_X86_H
#define BN_Q4_0_X86_H

#include "kquant-x86.h"

#define KQ_BLOCK BN_Q4_0_BLOCK
#define KQ_BLOCK_BYTES BN_Q4_0_BLOCK_BYTES
#define KQ_CODE_VECS 1
#define KQ_CODE_OFFSET 8
#define KQ_CODE_MAX 15

static inline __attribute__((always_inline)) void kq_codes(const uint8_t* block, __m256i* u) {
    const __m128i q = _mm_loadu_si128((const __m128i*)(block + 2));
    u[0] = _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(q), _mm_srli_epi16(q, 4), 1),
                            _mm256_set1_epi8(0x0f));
}

#include "offset-codes-x86.h"

#endif
