/* Q2_0 matrix x int8 activation rows, AVX2. Bit-exact with bn_matmul_q2_0_q8__ref through the shared walk of
 * kquant-x86.h (one 64-weight block reduced to its exact dot, then the float epilogue).
 *
 * A block's codes c (0..3, in weight order: q2_0-x86.h) multiply the int8 activations (any value, -128 included)
 * with vpmaddubsw into int16 pair sums of at most 2 * 3 * 128 = 768, the two halves of the block add to at most
 * 1536, and vpmaddwd with ones gives eight int32 lanes. The -1 of every code is subtracted lane by lane: the same
 * instructions on the constant 1 give the lanes' activation sums, once per activation block for all weight rows. */
#include "x86-common.h"
#include "bn_kquants.h"
#include "q2_0-x86.h"

#define KQ_BLOCK BN_Q2_0_BLOCK
#define KQ_BLOCK_BYTES BN_Q2_0_BLOCK_BYTES
#define KQ_GROUP 0
#define KQ_D_AT 0
#define KQ_DMIN_AT (-1)

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes) {
    (void)xs;
    (void)mlanes;
    const __m256i one8 = _mm256_set1_epi8(1), ones = _mm256_set1_epi16(1);
    __m256i x0[4], x1[4], xsum[4];
    for (int t = 0; t < T; t++) {
        x0[t] = _mm256_loadu_si256((const __m256i*)x[t]);
        x1[t] = _mm256_loadu_si256((const __m256i*)(x[t] + 32));
        xsum[t] = _mm256_madd_epi16(
            _mm256_add_epi16(_mm256_maddubs_epi16(one8, x0[t]), _mm256_maddubs_epi16(one8, x1[t])), ones);
    }
    for (int r = 0; r < R; r++) {
        __m256i c0, c1;
        bn_q2_0_codes(w[r], &c0, &c1);
        for (int t = 0; t < T; t++) {
            const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(c0, x0[t]), _mm256_maddubs_epi16(c1, x1[t]));
            lanes[r * T + t] = _mm256_sub_epi32(_mm256_madd_epi16(p, ones), xsum[t]);
        }
    }
}

#include "kquant-x86.h"

void bn_matmul_q2_0_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { kq_matmul(a, i_begin, i_end); }
