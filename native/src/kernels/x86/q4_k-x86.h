/* The Q4_K and Q5_K blocks (../q4_k-block.h) on x86, for the AVX2 and AVX-512 VNNI kernels. A 256-weight block: fp16
 * d and dmin, eight 6-bit scales sc_s and mins m_s packed in 12 bytes, then the codes of its eight 32-weight
 * sub-blocks: 4-bit nibbles of 32-byte chunks (chunk p: low nibbles sub-block 2 p, high nibbles 2 p + 1), for Q5_K
 * plus bit s of the 32 qh bytes as the fifth bit of sub-block s. Per block the shared walk (kernels/kquant-walk.h)
 * gets I_b = sum_s sc_s (sum_{j in s} c_j x_j) in the pair lanes and M_b = sum_s m_s xsum_s (the mins need only
 * the activation sums, one vpmaddwd) in the min lanes.
 *
 * AVX2, per sub-block: vpmaddubsw multiplies the unsigned codes (at most 31) by the int8 activations (any value,
 * -128 included) into int16 pair sums of at most 2 * 31 * 128 = 7936, and vpmaddwd multiplies those by sc_s into
 * int32 lanes. A lane gains at most 8 * 2 * 7936 * 63 < 2^23 per block.
 *
 * AVX-512 VNNI, 64 weights per vector: a 32-byte chunk broadcast to both 256-bit halves gives its low nibbles
 * (sub-block 2 p) in the low half and its high nibbles (2 p + 1) in the high half, which is the activations'
 * order; for Q5_K the fifth bits (bit s of the qh bytes, also broadcast) become a mask that adds 16 to their
 * codes; vpmaddubsw makes the int16 pair sums and vpdpwssd multiplies them by the sub-block scales and
 * accumulates in int32. A lane gains at most 4 * 2 * 7936 * 63 < 2^22 per block. */
#ifndef BN_Q4_K_X86_H
#define BN_Q4_K_X86_H

#include "kquant-x86.h"
#include "../q4_k-block.h"

/* The eight scales sc_s of a block as int16, and its min lanes for the T activation rows with sums xs[t]. */
static inline __attribute__((always_inline)) __m128i kq_k4_scales(const uint8_t* block, const int16_t* const* xs,
                                                                  const int T, __m128i* mlanes) {
    uint64_t sc8, mn8;
    bn_k4_scales_mins(block + BN_Q4_K_SCALES_AT, &sc8, &mn8);
    const __m128i mn16 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)mn8));
    for (int t = 0; t < T; t++) mlanes[t] = _mm_madd_epi16(mn16, _mm_loadu_si128((const __m128i*)xs[t]));
    return _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)sc8));
}

#if BN_AVX512VNNI
/* shift the high 256-bit half right by 4 (the high nibbles) */
static _Alignas(64) const uint16_t k_high4[32] = {KQ_R16(0), KQ_R16(4)};
/* pshufb of the eight int16 scales to vector p: scale 2 p in the low half, 2 p + 1 in the high half */
static _Alignas(64) const uint8_t k_pick[4][64] = {{KQ_R16(0, 1), KQ_R16(2, 3)}, {KQ_R16(4, 5), KQ_R16(6, 7)},
                                                  {KQ_R16(8, 9), KQ_R16(10, 11)}, {KQ_R16(12, 13), KQ_R16(14, 15)}};
#  if KQ_Q5_K
/* the qh bit of sub-block 2 p in the low half, of 2 p + 1 in the high half */
static _Alignas(64) const uint8_t k_bits[4][64] = {{KQ_R32(0x01), KQ_R32(0x02)}, {KQ_R32(0x04), KQ_R32(0x08)},
                                                  {KQ_R32(0x10), KQ_R32(0x20)}, {KQ_R32(0x40), KQ_R32(0x80)}};
#  endif

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes) {
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    const __m512i high4 = _mm512_load_si512((const void*)k_high4);
    for (int r = 0; r < R; r++) {
        /* the eight int16 scales in every 128-bit lane; vector p takes scale 2 p in its low half, 2 p + 1 in its
         * high half */
        const __m512i sc16 = _mm512_broadcast_i32x4(kq_k4_scales(w[r], xs, T, mlanes + r * T));
#  if KQ_Q5_K
        const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(w[r] + BN_Q5_K_QH_AT)));
#  endif
        __m512i acc[4];
        for (int t = 0; t < T; t++) acc[t] = _mm512_setzero_si512();
        for (int p = 0; p < 4; p++) {
            const __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(w[r] + KQ_QS_AT + 32 * p)));
            __m512i c = _mm512_and_si512(_mm512_srlv_epi16(q, high4), m4);
#  if KQ_Q5_K
            c = _mm512_mask_add_epi8(c, _mm512_test_epi8_mask(qh, _mm512_load_si512((const void*)k_bits[p])), c,
                                     _mm512_set1_epi8(16));
#  endif
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
#else
/* pshufb of the eight int16 scales (in both lanes) giving scale s in every word */
static _Alignas(32) const uint8_t k_pick[8][32] = {{KQ_R16(0, 1)},   {KQ_R16(2, 3)},   {KQ_R16(4, 5)},   {KQ_R16(6, 7)},
                                                  {KQ_R16(8, 9)},   {KQ_R16(10, 11)}, {KQ_R16(12, 13)}, {KQ_R16(14, 15)}};
#  if KQ_Q5_K
static _Alignas(32) const uint8_t k_bit[8][32] = {{KQ_R32(0x01)}, {KQ_R32(0x02)}, {KQ_R32(0x04)}, {KQ_R32(0x08)},
                                                 {KQ_R32(0x10)}, {KQ_R32(0x20)}, {KQ_R32(0x40)}, {KQ_R32(0x80)}};
#  endif

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes) {
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    for (int r = 0; r < R; r++) {
        const __m256i sc16 = _mm256_broadcastsi128_si256(kq_k4_scales(w[r], xs, T, mlanes + r * T));
#  if KQ_Q5_K
        const __m256i qh = _mm256_loadu_si256((const __m256i*)(w[r] + BN_Q5_K_QH_AT));
#  endif
        __m256i acc[4];
        for (int t = 0; t < T; t++) acc[t] = _mm256_setzero_si256();
        for (int p = 0; p < 4; p++) {
            const __m256i q = _mm256_loadu_si256((const __m256i*)(w[r] + KQ_QS_AT + 32 * p));
            const __m256i nib[2] = {_mm256_and_si256(q, m4), _mm256_and_si256(_mm256_srli_epi16(q, 4), m4)};
            for (int h = 0; h < 2; h++) {
                const int s = 2 * p + h; /* every word = sc_s */
                __m256i c = nib[h];
#  if KQ_Q5_K /* bit s of each qh byte to bit 4 (a 16-bit shift of masked bytes stays in its byte) */
                const __m256i bit = _mm256_and_si256(qh, _mm256_load_si256((const __m256i*)k_bit[s]));
                c = _mm256_or_si256(c, s <= 4 ? _mm256_slli_epi16(bit, 4 - s) : _mm256_srli_epi16(bit, s - 4));
#  endif
                const __m256i scale = _mm256_shuffle_epi8(sc16, _mm256_load_si256((const __m256i*)k_pick[s]));
                for (int t = 0; t < T; t++) {
                    const __m256i xv = _mm256_loadu_si256((const __m256i*)(x[t] + 32 * s));
                    acc[t] = _mm256_add_epi32(acc[t], _mm256_madd_epi16(_mm256_maddubs_epi16(c, xv), scale));
                }
            }
        }
        for (int t = 0; t < T; t++) lanes[r * T + t] = acc[t];
    }
}
#endif

#include "../kquant-walk.h"

#endif
