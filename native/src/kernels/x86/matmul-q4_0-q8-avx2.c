/* Q4_0 matrix x int8 activation rows, AVX2. Bit-exact with bn_matmul_q4_0_q8__ref through the shared
 * walk of kquant-x86.h (one 32-weight block reduced to its exact dot, then the float epilogue).
 *
 * A block's sixteen bytes become 32 codes c (0..15: low nibbles in the low 128-bit lane, high nibbles
 * in the high one, matching the activations' order), vpmaddubsw multiplies them (unsigned) by the int8
 * activations (any value, -128 included) into int16 pair sums of at most 2 * 15 * 128 = 3840, and
 * vpmaddwd with ones gives eight int32 lanes. The -8 of every code is subtracted lane by lane: the
 * same two instructions on the constant 8 give eight times the lanes' activation sums, once per
 * activation block for all weight rows. */
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
    const __m256i m4 = _mm256_set1_epi8(0x0f), ones = _mm256_set1_epi16(1);
    __m256i xv[4], x8[4];
    for (int t = 0; t < T; t++) {
        xv[t] = _mm256_loadu_si256((const __m256i*)x[t]);
        x8[t] = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(8), xv[t]), ones);
    }
    for (int r = 0; r < R; r++) {
        kq_prefetch_slot(pf, r);
        const __m128i q = _mm_loadu_si128((const __m128i*)(w[r] + 2));
        const __m256i c = _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(q), _mm_srli_epi16(q, 4), 1), m4);
        for (int t = 0; t < T; t++)
            lanes[r * T + t] = _mm256_sub_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(c, xv[t]), ones), x8[t]);
    }
}

void bn_matmul_q4_0_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { kq_matmul(a, i_begin, i_end); }
