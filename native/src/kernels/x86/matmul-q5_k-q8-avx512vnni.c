/* Q5_K matrix x int8 activation rows, AVX-512 VNNI (F/BW/VL/VNNI). Bit-exact with
 * bn_matmul_q5_k_q8__ref through the shared walk of kquant-x86.h.
 *
 * As the AVX2 kernel with 64 weights per vector: a 32-byte chunk broadcast to both 256-bit halves gives
 * its low nibbles (sub-block 2 p) in the low half and its high nibbles (2 p + 1) in the high half, which
 * is the activations' order; the fifth bits (bit s of the 32 qh bytes, also broadcast) become a mask
 * that adds 16 to their codes; vpmaddubsw makes int16 pair sums (at most 2 * 31 * 128 = 7936, exact for
 * every int8) and vpdpwssd multiplies them by the sub-block scales and accumulates in int32. The mins
 * need only the activation sums: M_b = sum_s m_s xsum_s. Bounds: a lane gains at most
 * 4 * 2 * 7936 * 63 < 2^22 per block. */
#include "x86-common.h"
#include "bn_kquants.h"

#define KQ_BLOCK BN_QK_BLOCK
#define KQ_BLOCK_BYTES BN_Q5_K_BLOCK_BYTES
#define KQ_GROUP 32
#define KQ_D_AT 0
#define KQ_DMIN_AT 2

#include "kquant-x86.h"

/* shift the high 256-bit half right by 4 (the high nibbles) */
static _Alignas(64) const uint16_t k_high4[32] = {KQ_R16(0), KQ_R16(4)};
/* pshufb of the eight int16 scales to vector p: scale 2 p in the low half, 2 p + 1 in the high half */
static _Alignas(64) const uint8_t k_pick[4][64] = {{KQ_R16(0, 1), KQ_R16(2, 3)}, {KQ_R16(4, 5), KQ_R16(6, 7)},
                                                  {KQ_R16(8, 9), KQ_R16(10, 11)}, {KQ_R16(12, 13), KQ_R16(14, 15)}};
/* the qh bit of sub-block 2 p in the low half, of 2 p + 1 in the high half */
static _Alignas(64) const uint8_t k_bits[4][64] = {{KQ_R32(0x01), KQ_R32(0x02)}, {KQ_R32(0x04), KQ_R32(0x08)},
                                                  {KQ_R32(0x10), KQ_R32(0x20)}, {KQ_R32(0x40), KQ_R32(0x80)}};

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes) {
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    const __m512i high4 = _mm512_load_si512((const void*)k_high4), sixteen = _mm512_set1_epi8(16);
    for (int r = 0; r < R; r++) {
        uint64_t sc8, mn8;
        bn_k4_scales_mins(w[r] + BN_Q5_K_SCALES_AT, &sc8, &mn8);
        const __m128i mn16 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)mn8));
        /* the eight int16 scales in every 128-bit lane; vector p takes scale 2 p in its low half, 2 p + 1
         * in its high half */
        const __m512i sc16 = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)sc8)));
        const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(w[r] + BN_Q5_K_QH_AT)));
        __m512i acc[4];
        for (int t = 0; t < T; t++) {
            mlanes[r * T + t] = _mm_madd_epi16(mn16, _mm_loadu_si128((const __m128i*)xs[t]));
            acc[t] = _mm512_setzero_si512();
        }
        for (int p = 0; p < 4; p++) {
            const __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(w[r] + BN_Q5_K_QS_AT + 32 * p)));
            __m512i c = _mm512_and_si512(_mm512_srlv_epi16(q, high4), m4);
            c = _mm512_mask_add_epi8(c, _mm512_test_epi8_mask(qh, _mm512_load_si512((const void*)k_bits[p])), c, sixteen);
            const __m512i scale = _mm512_shuffle_epi8(sc16, _mm512_load_si512((const void*)k_pick[p]));
            for (int t = 0; t < T; t++) {
                const __m512i xv = _mm512_loadu_si512((const void*)(x[t] + 64 * p));
                acc[t] = _mm512_dpwssd_epi32(acc[t], _mm512_maddubs_epi16(c, xv), scale);
            }
        }
        for (int t = 0; t < T; t++)
            lanes[r * T + t] = _mm256_add_epi32(_mm512_castsi512_si256(acc[t]), _mm512_extracti64x4_epi64(acc[t], 1));
    }
}

void bn_matmul_q5_k_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    kq_matmul(a, i_begin, i_end);
}
