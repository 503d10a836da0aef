/* Q1_0 matrix x int8 activation rows, AVX-512 VNNI (F/BW/VL/VNNI). Bit-exact with bn_matmul_q1_0_q8__ref through
 * the shared walk of kquant-x86.h.
 *
 * As the AVX2 kernel, with AVX-512's byte masks and 256-bit vpdpbusd: 32 code bits are a mask register, and one
 * masked move makes their 32 bytes 2 b (0 or 2) (AVX2 spreads, tests and masks, q1_0-x86.h); four vpdpbusd multiply
 * them by the int8 activations into int32 lanes that start at minus the block's activation sum (the walk's sums,
 * once per activation row) in lane 0. */
#include "x86-common.h"
#include "bn_kquants.h"
#include "q1_0-x86.h"

#include <string.h>

#define KQ_BLOCK BN_Q1_0_BLOCK
#define KQ_BLOCK_BYTES BN_Q1_0_BLOCK_BYTES
#define KQ_GROUP 32
#define KQ_D_AT 0
#define KQ_DMIN_AT (-1)

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes) {
    (void)mlanes;
    const __m256i two = _mm256_set1_epi8(2);
    for (int r = 0; r < R; r++) {
        __m256i b2[4];
        for (int v = 0; v < 4; v++) {
            uint32_t bits;
            memcpy(&bits, w[r] + 2 + 4 * v, 4);
            b2[v] = _mm256_maskz_mov_epi8((__mmask32)bits, two);
        }
        for (int t = 0; t < T; t++) {
            __m256i acc = _mm256_setr_epi32(-(xs[t][0] + xs[t][1] + xs[t][2] + xs[t][3]), 0, 0, 0, 0, 0, 0, 0);
            for (int v = 0; v < 4; v++) acc = _mm256_dpbusd_epi32(acc, b2[v], _mm256_loadu_si256((const __m256i*)(x[t] + 32 * v)));
            lanes[r * T + t] = acc;
        }
    }
}

#include "kquant-x86.h"

void bn_matmul_q1_0_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    kq_matmul(a, i_begin, i_end);
}
