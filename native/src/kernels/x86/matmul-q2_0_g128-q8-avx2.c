/* Q2_0_G128 (PrismML's 128-weight Q2_0) matrix x int8 activation rows, AVX2. Bit-exact with
 * bn_matmul_q2_0_g128_q8__ref through the shared walk of kquant-x86.h.
 *
 * A block is two halves laid out as Q2_0's codes (q2_0-x86.h reads 16 code bytes after a 2-byte offset, so the second
 * half is read at block + 16). Per half, vpmaddubsw pairs stay within 2 * 3 * 128 = 768 and two of them within 1536;
 * the four vectors of int16 pair sums are widened by vpmaddwd separately, so the int32 lanes hold at most 4 * 3072.
 * The -1 of every code is the lanes' activation sums, subtracted once per activation block. */
#include "x86-common.h"
#include "bn_kquants.h"
#include "q2_0-x86.h"

#define KQ_BLOCK BN_Q2_0_G128_BLOCK
#define KQ_BLOCK_BYTES BN_Q2_0_G128_BLOCK_BYTES
#define KQ_GROUP 0
#define KQ_D_AT 0
#define KQ_DMIN_AT (-1)

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes) {
    (void)xs;
    (void)mlanes;
    const __m256i one8 = _mm256_set1_epi8(1), ones = _mm256_set1_epi16(1);
    __m256i xv[4][4], xsum[4];
    for (int t = 0; t < T; t++) {
        __m256i s = _mm256_setzero_si256();
        for (int v = 0; v < 4; v++) {
            xv[t][v] = _mm256_loadu_si256((const __m256i*)(x[t] + 32 * v));
            s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_maddubs_epi16(one8, xv[t][v]), ones));
        }
        xsum[t] = s;
    }
    for (int r = 0; r < R; r++) {
        __m256i c[4];
        bn_q2_0_codes(w[r], &c[0], &c[1]);
        bn_q2_0_codes(w[r] + 16, &c[2], &c[3]);
        for (int t = 0; t < T; t++) {
            const __m256i lo = _mm256_add_epi16(_mm256_maddubs_epi16(c[0], xv[t][0]), _mm256_maddubs_epi16(c[1], xv[t][1]));
            const __m256i hi = _mm256_add_epi16(_mm256_maddubs_epi16(c[2], xv[t][2]), _mm256_maddubs_epi16(c[3], xv[t][3]));
            const __m256i sum = _mm256_add_epi32(_mm256_madd_epi16(lo, ones), _mm256_madd_epi16(hi, ones));
            lanes[r * T + t] = _mm256_sub_epi32(sum, xsum[t]);
        }
    }
}

#include "kquant-x86.h"

void bn_matmul_q2_0_g128_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { kq_matmul(a, i_begin, i_end); }
