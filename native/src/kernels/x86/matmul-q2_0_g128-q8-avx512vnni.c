/* Q2_0_G128 (PrismML's 128-weight Q2_0) matrix x int8 activation rows, AVX-512 VNNI (F/BW/VL/VNNI). Bit-exact
 * with bn_matmul_q2_0_g128_q8__ref through the shared walk of kquant-x86.h.
 *
 * As the Q2_0 kernel over two halves (the second half's codes read at block + 16, q2_0-x86.h): four 256-bit
 * vpdpbusd multiply the 128 unsigned codes by the int8 activations into int32 lanes that start at minus the lanes'
 * activation sums (the -1 of every code). */
#include "x86-common.h"
#include "bn_kquants.h"
#include "q2_0-x86.h"

#define KQ_BLOCK BN_Q2_0_G128_BLOCK
#define KQ_BLOCK_BYTES BN_Q2_0_G128_BLOCK_BYTES
#define KQ_GROUP 0
#define KQ_D_AT 0
#define KQ_DMIN_AT (-1)

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes) {
    (void)xs;
    (void)mlanes;
    const __m256i one8 = _mm256_set1_epi8(1);
    __m256i xv[4][4], neg[4];
    for (int t = 0; t < T; t++) {
        __m256i sum = _mm256_setzero_si256();
        for (int v = 0; v < 4; v++) {
            xv[t][v] = _mm256_loadu_si256((const __m256i*)(x[t] + 32 * v));
            sum = _mm256_dpbusd_epi32(sum, one8, xv[t][v]);
        }
        neg[t] = _mm256_sub_epi32(_mm256_setzero_si256(), sum);
    }
    for (int r = 0; r < R; r++) {
        __m256i c[4];
        bn_q2_0_codes(w[r], &c[0], &c[1]);
        bn_q2_0_codes(w[r] + 16, &c[2], &c[3]);
        for (int t = 0; t < T; t++) {
            __m256i acc = neg[t];
            for (int v = 0; v < 4; v++) acc = _mm256_dpbusd_epi32(acc, c[v], xv[t][v]);
            lanes[r * T + t] = acc;
        }
    }
}

#include "kquant-x86.h"

void bn_matmul_q2_0_g128_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    kq_matmul(a, i_begin, i_end);
}
