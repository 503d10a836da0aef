/* Q1_0 matrix x int8 activation rows, AVX2. Bit-exact with bn_matmul_q1_0_q8__ref through the shared walk of
 * kquant-x86.h (one 128-weight block reduced to its exact dot, then the float epilogue).
 *
 * sum_j (2 b_j - 1) x_j = sum_j 2 b_j x_j - sum_j x_j: vpmaddubsw multiplies the unsigned 2 b (q1_0-x86.h) by the
 * int8 activations (any value, -128 included) into int16 pair sums of at most 2 * 2 * 128 = 512, four of them add to
 * at most 2048, and vpmaddwd with ones gives eight int32 lanes. The block's activation sum comes from the walk's sums
 * (KQ_GROUP 32: once per activation row, shared by every weight row), subtracted from lane 0. */
#include "x86-common.h"
#include "bn_kquants.h"
#include "q1_0-x86.h"

#define KQ_BLOCK BN_Q1_0_BLOCK
#define KQ_BLOCK_BYTES BN_Q1_0_BLOCK_BYTES
#define KQ_GROUP 32
#define KQ_D_AT 0
#define KQ_DMIN_AT (-1)

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes) {
    (void)mlanes;
    const __m256i ones = _mm256_set1_epi16(1);
    for (int r = 0; r < R; r++) {
        __m256i b2[4];
        for (int v = 0; v < 4; v++) b2[v] = bn_q1_0_twice_bits(w[r] + 2 + 4 * v);
        for (int t = 0; t < T; t++) {
            __m256i p = _mm256_maddubs_epi16(b2[0], _mm256_loadu_si256((const __m256i*)x[t]));
            for (int v = 1; v < 4; v++) p = _mm256_add_epi16(p, _mm256_maddubs_epi16(b2[v], _mm256_loadu_si256((const __m256i*)(x[t] + 32 * v))));
            const int32_t sum = xs[t][0] + xs[t][1] + xs[t][2] + xs[t][3];
            lanes[r * T + t] = _mm256_sub_epi32(_mm256_madd_epi16(p, ones), _mm256_setr_epi32(sum, 0, 0, 0, 0, 0, 0, 0));
        }
    }
}

#include "kquant-x86.h"

void bn_matmul_q1_0_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { kq_matmul(a, i_begin, i_end); }
