/* Q6_K matrix x int8 activation rows, AVX-512 VNNI (F/BW/VL/VNNI). Bit-exact with
 * bn_matmul_q6_k_q8__ref through the shared walk of kquant-walk.h.
 *
 * As the AVX2 kernel with 64 weights per vector: the 64 ql bytes of a half give the low nibbles of
 * weights 128 h + 0..63 and the high nibbles of 128 h + 64..127; the 32 qh bytes, broadcast to both
 * 256-bit halves, give their bit pairs with one variable 16-bit shift per vector (the masks keep only
 * bits that stay inside their byte). vpmaddubsw makes int16 pair sums of unsigned code x int8 activation
 * (at most 2 * 63 * 128 = 16128: exact for every int8, -128 included) and vpdpwssd multiplies them by
 * the sub-block scales (128-bit lane q of vector v is sub-block 4 v + q) and accumulates in int32. The
 * -32 of every code is one term per block from the activation sums of the sixteen sub-blocks.
 * Bounds: a lane gains at most 4 * 2 * 16128 * 128 < 2^24 per block. */
#include "q6_k-x86.h"

/* low half: bits 0..1 to 4..5 (<< 4); high half: bits 2..3 to 4..5 (<< 2) */
static _Alignas(64) const uint8_t k_mask_lo[64] = {KQ_R32(0x03), KQ_R32(0x0c)};
static _Alignas(64) const uint16_t k_shift_lo[32] = {KQ_R16(4), KQ_R16(2)};
/* low half: bits 4..5 stay; high half: bits 6..7 to 4..5 (>> 2) */
static _Alignas(64) const uint8_t k_mask_hi[64] = {KQ_R32(0x30), KQ_R32(0xc0)};
static _Alignas(64) const uint16_t k_shift_hi[32] = {KQ_R16(0), KQ_R16(2)};
/* the sixteen int16 scales to vector v: 128-bit lane q takes scale 4 v + q in all eight words */
static _Alignas(64) const uint16_t k_spread[4][32] = {{KQ_R8(0), KQ_R8(1), KQ_R8(2), KQ_R8(3)},
                                                     {KQ_R8(4), KQ_R8(5), KQ_R8(6), KQ_R8(7)},
                                                     {KQ_R8(8), KQ_R8(9), KQ_R8(10), KQ_R8(11)},
                                                     {KQ_R8(12), KQ_R8(13), KQ_R8(14), KQ_R8(15)}};

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes) {
    (void)mlanes;
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    const __m512i mask_lo = _mm512_load_si512((const void*)k_mask_lo), shift_lo = _mm512_load_si512((const void*)k_shift_lo);
    const __m512i mask_hi = _mm512_load_si512((const void*)k_mask_hi), shift_hi = _mm512_load_si512((const void*)k_shift_hi);
    __m512i acc[4][4];
    __m256i off[4][4];
    for (int r = 0; r < R; r++) {
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(w[r] + BN_Q6_K_SCALES_AT)));
        const __m512i sc = _mm512_castsi256_si512(sc16);
        __m512i c[4];
        for (int h = 0; h < 2; h++) {
            const __m512i l = _mm512_loadu_si512((const void*)(w[r] + 64 * h));
            const __m512i hb = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(w[r] + BN_Q6_K_QH_AT + 32 * h)));
            /* (l & 0x0f) | bits: vpternlogd with 0xF8 = A | (B & C) */
            c[2 * h] = _mm512_ternarylogic_epi32(_mm512_sllv_epi16(_mm512_and_si512(hb, mask_lo), shift_lo), l, m4, 0xF8);
            c[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_srlv_epi16(_mm512_and_si512(hb, mask_hi), shift_hi),
                                                     _mm512_srli_epi16(l, 4), m4, 0xF8);
        }
        for (int t = 0; t < T; t++) {
            off[r][t] = _mm256_madd_epi16(sc16, _mm256_loadu_si256((const __m256i*)xs[t]));
            acc[r][t] = _mm512_setzero_si512();
        }
        for (int v = 0; v < 4; v++) {
            const __m512i scale = _mm512_permutexvar_epi16(_mm512_load_si512((const void*)k_spread[v]), sc);
            for (int t = 0; t < T; t++) {
                const __m512i xv = _mm512_loadu_si512((const void*)(x[t] + 64 * v));
                acc[r][t] = _mm512_dpwssd_epi32(acc[r][t], _mm512_maddubs_epi16(c[v], xv), scale);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) {
            const __m256i folded = _mm256_add_epi32(_mm512_castsi512_si256(acc[r][t]), _mm512_extracti64x4_epi64(acc[r][t], 1));
            lanes[r * T + t] = _mm256_sub_epi32(folded, _mm256_slli_epi32(off[r][t], 5));
        }
}

#include "../kquant-walk.h"

void bn_matmul_q6_k_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    kq_matmul(a, i_begin, i_end);
}
