/* Q2_0 matrix x int8 activation rows, AVX2. Bit-exact with bn_matmul_q2_0_q8__ref through the shared walk of
 * kquant-x86.h (one 64-weight block reduced to its exact dot, then the float epilogue).
 *
 * A block's codes c (0..3, in weight order: q2_0-x86.h) multiply the int8 activations (any value, -128 included)
 * with vpmaddubsw into int16 pair sums of at most 2 * 3 * 128 = 768, the two halves of the block add to at most
 * 1536, and vpmaddwd with ones gives eight int32 lanes. The -1 of every code is the block's activation sum, taken from
 * the walk's sums (KQ_GROUP 32: computed once per activation row, shared by every weight row) and subtracted from lane 0. */
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
    const __m256i ones = _mm256_set1_epi16(1);
    for (int r = 0; r < R; r++) {
        __m256i c0, c1;
        bn_q2_0_codes(w[r], &c0, &c1);
        for (int t = 0; t < T; t++) {
            const __m256i x0 = _mm256_loadu_si256((const __m256i*)x[t]), x1 = _mm256_loadu_si256((const __m256i*)(x[t] + 32));
            const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(c0, x0), _mm256_maddubs_epi16(c1, x1));
            lanes[r * T + t] = _mm256_sub_epi32(_mm256_madd_epi16(p, ones), _mm256_setr_epi32(xs[t][0] + xs[t][1], 0, 0, 0, 0, 0, 0, 0));
        }
    }
}

#include "kquant-x86.h"

void bn_matmul_q2_0_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { kq_matmul(a, i_begin, i_end); }
