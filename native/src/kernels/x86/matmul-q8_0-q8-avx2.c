/* Q8_0 matrix x int8 activation rows, AVX2 (the 8-bit output head).
 *
 * A 32-weight block's dot product is exact for every int8 pair, -128 included: both operands are
 * sign-extended to int16 and multiplied with vpmaddwd (products <= 2^14, pair sums <= 2^15), which
 * the usual maddubs sign trick is not (it saturates or wraps at -128). The eight int32 partial dots
 * are converted to float and accumulated lane-wise times the block scale d_b; the lanes are summed
 * once per row. Four weight rows share each widened activation block. Each (row, token) result
 * has the same operations in every tile, so it does not depend on the thread split. */
#include "x86-decode.h"

static inline __m256 bcast_f16(const uint8_t* p) {
    return _mm256_broadcastss_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(p[0] | (p[1] << 8))));
}

static inline __attribute__((always_inline)) void tile(const bn_dense_args* a, int32_t i0, const int R, int32_t r) {
    const int32_t n_blocks = a->k / BN_Q8_0_BLOCK;
    const int8_t* x = a->xq + (int64_t)r * a->k;
    const uint8_t* w[4];
    __m256 acc[4];
    for (int i = 0; i < R; i++) {
        w[i] = a->w + (int64_t)(i0 + i) * a->row_bytes;
        acc[i] = _mm256_setzero_ps();
    }
    for (int32_t b = 0; b < n_blocks; b++) {
        const __m256i xlo = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(x + 32 * b)));
        const __m256i xhi = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(x + 32 * b + 16)));
        for (int i = 0; i < R; i++) {
            const uint8_t* blk = w[i] + (int64_t)b * BN_Q8_0_BLOCK_BYTES;
            const __m256i wlo = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(blk + 2)));
            const __m256i whi = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(blk + 18)));
            const __m256i dot = _mm256_add_epi32(_mm256_madd_epi16(wlo, xlo), _mm256_madd_epi16(whi, xhi));
            acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), bcast_f16(blk), acc[i]);
        }
    }
    for (int i = 0; i < R; i++) a->y[(int64_t)r * a->n + i0 + i] = bn_hsum_ps_avx2(acc[i]) * a->x_scales[r];
}

void bn_matmul_q8_0_q8__avx2(const bn_dense_args* a, int32_t i_begin, int32_t i_end) {
    int32_t i = i_begin;
    /* token loop inside: a group's four rows (4 x 34 k / 32 bytes) stay in L1 across a batch */
    for (; i + 4 <= i_end; i += 4)
        for (int32_t r = 0; r < a->m; r++) tile(a, i, 4, r);
    for (; i < i_end; i++)
        for (int32_t r = 0; r < a->m; r++) tile(a, i, 1, r);
}
