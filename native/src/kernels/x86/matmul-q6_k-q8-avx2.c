/* Q6_K matrix x int8 activation rows, AVX2 (llama.cpp's default head and token embedding of ternary
 * files). Bit-exact with bn_matmul_q6_k_q8__ref through the shared walk of kquant-walk.h.
 *
 * Per 32 weights: the 6-bit codes c (0..63) are rebuilt from the ql nibbles and the qh bit pairs,
 * vpmaddubsw multiplies them (unsigned) by the int8 activations (any value, -128 included) into int16
 * pair sums of at most 2 * 63 * 128 = 16128, never saturating, and vpmaddwd multiplies those by the
 * sub-block scale (the low 128-bit lane is sub-block s, the high one s + 1) into int32 lanes. The -32 of
 * every code is one term per block: 32 * sum_s sc_s xsum_s with the activation sums of the 16-weight
 * sub-blocks. Bounds: a lane gains at most 8 * 2 * 16128 * 128 < 2^25 per block. */
#include "q6_k-x86.h"

/* word 2g of a 128-bit lane into the low lane's eight words, word 2g + 1 into the high lane's */
static _Alignas(32) const uint8_t k_pick[4][32] = {{KQ_R8(0, 1), KQ_R8(2, 3)}, {KQ_R8(4, 5), KQ_R8(6, 7)},
                                                  {KQ_R8(8, 9), KQ_R8(10, 11)}, {KQ_R8(12, 13), KQ_R8(14, 15)}};

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes) {
    (void)mlanes;
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256i acc[4][4];
    for (int r = 0; r < R; r++) {
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(w[r] + BN_Q6_K_SCALES_AT)));
        for (int t = 0; t < T; t++) {
            const __m256i off = _mm256_madd_epi16(sc16, _mm256_loadu_si256((const __m256i*)xs[t]));
            acc[r][t] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(off, 5));
        }
    }
    for (int h = 0; h < 2; h++)
        for (int r = 0; r < R; r++) {
            const uint8_t* ql = w[r] + 64 * h;
            const __m256i l0 = _mm256_loadu_si256((const __m256i*)ql);
            const __m256i l1 = _mm256_loadu_si256((const __m256i*)(ql + 32));
            const __m256i hb = _mm256_loadu_si256((const __m256i*)(w[r] + BN_Q6_K_QH_AT + 32 * h));
            /* weights 128 h + 32 g + l, g = 0..3: low nibbles of l0, l1, high nibbles of l0, l1; the qh bit
             * pair 2g..2g+1 moved to bits 4..5 (16-bit shifts of masked bytes stay inside their byte) */
            const __m256i c[4] = {
                _mm256_or_si256(_mm256_and_si256(l0, m4),
                                _mm256_slli_epi16(_mm256_and_si256(hb, _mm256_set1_epi8(0x03)), 4)),
                _mm256_or_si256(_mm256_and_si256(l1, m4),
                                _mm256_slli_epi16(_mm256_and_si256(hb, _mm256_set1_epi8(0x0c)), 2)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                _mm256_and_si256(hb, _mm256_set1_epi8(0x30))),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                _mm256_srli_epi16(_mm256_and_si256(hb, _mm256_set1_epi8((char)0xc0)), 2))};
            /* the eight int16 scales of this half in both 128-bit lanes */
            const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(w[r] + BN_Q6_K_SCALES_AT)));
            const __m256i half = h == 0 ? _mm256_permute4x64_epi64(sc16, 0x44) : _mm256_permute4x64_epi64(sc16, 0xee);
            for (int g = 0; g < 4; g++) {
                const __m256i scale = _mm256_shuffle_epi8(half, _mm256_load_si256((const __m256i*)k_pick[g]));
                for (int t = 0; t < T; t++) {
                    const __m256i xv = _mm256_loadu_si256((const __m256i*)(x[t] + 128 * h + 32 * g));
                    acc[r][t] = _mm256_add_epi32(acc[r][t], _mm256_madd_epi16(_mm256_maddubs_epi16(c[g], xv), scale));
                }
            }
        }
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) lanes[r * T + t] = acc[r][t];
}

#include "../kquant-walk.h"

void bn_matmul_q6_k_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { kq_matmul(a, i_begin, i_end); }
