/* Q5_K matrix x int8 activation rows, AVX2. Bit-exact with bn_matmul_q5_k_q8__ref through the shared
 * walk of kquant-x86.h.
 *
 * Per 32 weights (one sub-block s): the 5-bit codes c (0..31) are the low or high nibbles of a 32-byte
 * chunk plus bit s of the qh bytes moved to bit 4, vpmaddubsw multiplies them (unsigned) by the int8 activations (any value, -128 included) into
 * int16 pair sums of at most 2 * 31 * 128 = 7936, and vpmaddwd multiplies those by the 6-bit scale
 * sc_s into int32 lanes: the lanes sum to I_b. The mins need only the activation sums of the eight
 * sub-blocks: M_b = sum_s m_s xsum_s, one vpmaddwd. Bounds: a lane gains at most
 * 8 * 2 * 7936 * 63 < 2^23 per block. */
#include "x86-common.h"
#include "bn_kquants.h"

#define KQ_BLOCK BN_QK_BLOCK
#define KQ_BLOCK_BYTES BN_Q5_K_BLOCK_BYTES
#define KQ_GROUP 32
#define KQ_D_AT 0
#define KQ_DMIN_AT 2

#include "kquant-x86.h"

/* pshufb of the eight int16 scales (in both lanes) giving scale s in every word */
static _Alignas(32) const uint8_t k_pick[8][32] = {{KQ_R16(0, 1)},   {KQ_R16(2, 3)},   {KQ_R16(4, 5)},   {KQ_R16(6, 7)},
                                                  {KQ_R16(8, 9)},   {KQ_R16(10, 11)}, {KQ_R16(12, 13)}, {KQ_R16(14, 15)}};
static _Alignas(32) const uint8_t k_bit[8][32] = {{KQ_R32(0x01)}, {KQ_R32(0x02)}, {KQ_R32(0x04)}, {KQ_R32(0x08)},
                                                 {KQ_R32(0x10)}, {KQ_R32(0x20)}, {KQ_R32(0x40)}, {KQ_R32(0x80)}};

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes) {
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    for (int r = 0; r < R; r++) {
        uint64_t sc8, mn8;
        bn_k4_scales_mins(w[r] + BN_Q5_K_SCALES_AT, &sc8, &mn8);
        const __m128i mn16 = _mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)mn8));
        const __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(_mm_cvtsi64_si128((long long)sc8)));
        const __m256i qh = _mm256_loadu_si256((const __m256i*)(w[r] + BN_Q5_K_QH_AT));
        __m256i acc[4];
        for (int t = 0; t < T; t++) {
            mlanes[r * T + t] = _mm_madd_epi16(mn16, _mm_loadu_si128((const __m128i*)xs[t]));
            acc[t] = _mm256_setzero_si256();
        }
        for (int p = 0; p < 4; p++) {
            const __m256i q = _mm256_loadu_si256((const __m256i*)(w[r] + BN_Q5_K_QS_AT + 32 * p));
            const __m256i nib[2] = {_mm256_and_si256(q, m4), _mm256_and_si256(_mm256_srli_epi16(q, 4), m4)};
            for (int h = 0; h < 2; h++) {
                const int s = 2 * p + h; /* every word = sc_s */
                /* bit s of each qh byte to bit 4 (a 16-bit shift of masked bytes stays inside its byte) */
                const __m256i bit = _mm256_and_si256(qh, _mm256_load_si256((const __m256i*)k_bit[s]));
                const __m256i c = _mm256_or_si256(nib[h], s <= 4 ? _mm256_slli_epi16(bit, 4 - s) : _mm256_srli_epi16(bit, s - 4));
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

void bn_matmul_q5_k_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { kq_matmul(a, i_begin, i_end); }
