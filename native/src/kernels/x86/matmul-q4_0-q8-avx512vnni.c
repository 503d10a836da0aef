/* Q4_0 matrix x int8 activation rows, AVX-512 VNNI (F/BW/VL/VNNI). Bit-exact with
 * bn_matmul_q4_0_q8__ref through the shared walk of kquant-x86.h.
 *
 * As the AVX2 kernel, with 256-bit vpdpbusd: one instruction multiplies the 32 unsigned codes (0..15)
 * by the int8 activations (any value, -128 included) and adds groups of four products to int32 lanes
 * that start at minus eight times the lanes' activation sums (the -8 of every code, computed once per
 * activation block with the same instruction on the constant 8). A 32-weight block is one 256-bit
 * vector: wider vectors would only move its reduction to a later, costlier shuffle. */
#include "x86-common.h"
#include "bn_kquants.h"

#define KQ_BLOCK BN_Q4_0_BLOCK
#define KQ_BLOCK_BYTES BN_Q4_0_BLOCK_BYTES
#define KQ_GROUP 0
#define KQ_D_AT 0
#define KQ_DMIN_AT (-1)

#include "kquant-x86.h"

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes,
                                                           const uint8_t* pf) {
    (void)xs;
    (void)mlanes;
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256i xv[4], neg8[4];
    for (int t = 0; t < T; t++) {
        xv[t] = _mm256_loadu_si256((const __m256i*)x[t]);
        neg8[t] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                   _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(8), xv[t]));
    }
    for (int r = 0; r < R; r++) {
        kq_prefetch_slot(pf, r);
        const __m128i q = _mm_loadu_si128((const __m128i*)(w[r] + 2));
        const __m256i c = _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(q), _mm_srli_epi16(q, 4), 1), m4);
        for (int t = 0; t < T; t++) lanes[r * T + t] = _mm256_dpbusd_epi32(neg8[t], c, xv[t]);
    }
}

void bn_matmul_q4_0_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    kq_matmul(a, i_begin, i_end);
}
