/* fp16 matrix x float activation rows, AVX2 + F16C + FMA (the F16 output head).
 *
 * Tiles of up to 4 weight rows x 2 activation rows: each 8-column step converts every weight row
 * once (vcvtph2ps) and multiplies it into both activation rows, so a prompt batch reads the matrix
 * m / 2 times less often; for one token (decode) the four rows are four independent FMA chains,
 * which is plenty since the head streams from DRAM. Every (row, token) result has one 8-lane
 * accumulator over the whole 8-column blocks and a sequential scalar tail, whatever tile it was
 * computed in, so results do not depend on how the rows are split over threads. */
#include "x86-decode.h"

static inline __attribute__((always_inline)) void tile(const bn_dense_args* a, int32_t i0, const int R, int32_t r0,
                                                       const int T) {
    const int32_t k = a->k;
    const uint16_t* w[4];
    const float* x[2];
    for (int r = 0; r < R; r++) w[r] = (const uint16_t*)(a->w + (int64_t)(i0 + r) * a->row_bytes);
    for (int t = 0; t < T; t++) x[t] = a->x + (int64_t)(r0 + t) * k;
    __m256 acc[4][2];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) acc[r][t] = _mm256_setzero_ps();
    int32_t j = 0;
    for (; j + 8 <= k; j += 8) {
        __m256 xv[2];
        for (int t = 0; t < T; t++) xv[t] = _mm256_loadu_ps(x[t] + j);
        for (int r = 0; r < R; r++) {
            const __m256 wv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(w[r] + j)));
            for (int t = 0; t < T; t++) acc[r][t] = _mm256_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) {
            float sum = bn_hsum_ps_avx2(acc[r][t]);
            for (int32_t jj = j; jj < k; jj++) sum += bn_fp16_to_fp32(w[r][jj]) * x[t][jj];
            a->y[(int64_t)(r0 + t) * a->n + i0 + r] = sum;
        }
}

static inline __attribute__((always_inline)) void rows(const bn_dense_args* a, int32_t i0, const int R) {
    int32_t r0 = 0;
    for (; r0 + 2 <= a->m; r0 += 2) tile(a, i0, R, r0, 2);
    if (r0 < a->m) tile(a, i0, R, r0, 1);
}

void bn_matmul_f16_f32__avx2(const bn_dense_args* a, int32_t i_begin, int32_t i_end) {
    int32_t i = i_begin;
    for (; i + 4 <= i_end; i += 4) rows(a, i, 4);
    for (; i < i_end; i++) rows(a, i, 1);
}
