/* fp16 matrix x float activation rows, AVX-512F (the F16 output head).
 *
 * As matmul-f16-f32-avx2.c with 16-column steps and tiles of 4 weight rows x 4 activation rows (16
 * zmm accumulators): a prompt batch converts each weight block once per four tokens. Every
 * (row, token) result is one 16-lane accumulator over the 16-column blocks, one 8-lane accumulator
 * for a remaining 8-column block and a sequential scalar tail, whatever tile computed it. */
#include "x86-avx512-decode.h"

static inline __attribute__((always_inline)) void tile(const bn_dense_args* a, int32_t i0, const int R, int32_t r0,
                                                       const int T) {
    const int32_t k = a->k;
    const uint16_t* w[4];
    const float* x[4];
    for (int r = 0; r < R; r++) w[r] = (const uint16_t*)(a->w + (int64_t)(i0 + r) * a->row_bytes);
    for (int t = 0; t < T; t++) x[t] = a->x + (int64_t)(r0 + t) * k;
    __m512 acc[4][4];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) acc[r][t] = _mm512_setzero_ps();
    int32_t j = 0;
    for (; j + 16 <= k; j += 16) {
        __m512 xv[4];
        for (int t = 0; t < T; t++) xv[t] = _mm512_loadu_ps(x[t] + j);
        for (int r = 0; r < R; r++) {
            const __m512 wv = bn_load_f16x16(w[r] + j);
            for (int t = 0; t < T; t++) acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    const int has8 = j + 8 <= k;
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) {
            float sum = bn_hsum_ps_avx512(acc[r][t]);
            int32_t jj = j;
            if (has8) {
                const __m256 wv = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(w[r] + jj)));
                sum += bn_hsum_ps_avx2(_mm256_mul_ps(wv, _mm256_loadu_ps(x[t] + jj)));
                jj += 8;
            }
            for (; jj < k; jj++) sum += bn_fp16_to_fp32(w[r][jj]) * x[t][jj];
            a->y[(int64_t)(r0 + t) * a->n + i0 + r] = sum;
        }
}

static inline __attribute__((always_inline)) void rows(const bn_dense_args* a, int32_t i0, const int R) {
    int32_t r0 = 0;
    for (; r0 + 4 <= a->m; r0 += 4) tile(a, i0, R, r0, 4);
    switch (a->m - r0) {
    case 3: tile(a, i0, R, r0, 3); break;
    case 2: tile(a, i0, R, r0, 2); break;
    case 1: tile(a, i0, R, r0, 1); break;
    default: break;
    }
}

void bn_matmul_f16_f32__avx512(const bn_dense_args* a, int32_t i_begin, int32_t i_end) {
    int32_t i = i_begin;
    for (; i + 4 <= i_end; i += 4) rows(a, i, 4);
    for (; i < i_end; i++) rows(a, i, 1);
}
