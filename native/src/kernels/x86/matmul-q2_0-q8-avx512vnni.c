/* Q2_0 matrix x int8 activation rows, AVX-512 VNNI (F/BW/VL/VNNI). Bit-exact with bn_matmul_q2_0_q8__ref through
 * the shared walk of kquant-x86.h.
 *
 * As the AVX2 kernel, with 256-bit vpdpbusd: two instructions multiply a block's 64 unsigned codes (0..3, in
 * weight order: q2_0-x86.h) by the int8 activations and add groups of four products to int32 lanes that start at
 * minus the block's activation sum in lane 0 (the -1 of every code; the walk's sums, once per activation row). */
#include "x86-common.h"
#include "bn_kquants.h"
#include "q2_0-x86.h"

#define KQ_BLOCK BN_Q2_0_BLOCK
#define KQ_BLOCK_BYTES BN_Q2_0_BLOCK_BYTES
#define KQ_GROUP 32
#define KQ_D_AT 0
#define KQ_DMIN_AT (-1)

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes) {
    (void)mlanes;
    for (int r = 0; r < R; r++) {
        __m256i c0, c1;
        bn_q2_0_codes(w[r], &c0, &c1);
        for (int t = 0; t < T; t++) {
            const __m256i x0 = _mm256_loadu_si256((const __m256i*)x[t]), x1 = _mm256_loadu_si256((const __m256i*)(x[t] + 32));
            const __m256i neg = _mm256_setr_epi32(-(xs[t][0] + xs[t][1]), 0, 0, 0, 0, 0, 0, 0);
            lanes[r * T + t] = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(neg, c0, x0), c1, x1);
        }
    }
}

#include "kquant-x86.h"

void bn_matmul_q2_0_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    kq_matmul(a, i_begin, i_end);
}
