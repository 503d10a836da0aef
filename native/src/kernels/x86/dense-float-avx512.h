/* Float-weight (fp16 or f32) matrix x float activation rows, AVX-512F: the tile walk the F16 and F32
 * kernels share, the weight width a compile-time constant after inlining.
 *
 * As dense-float-avx2.h with 16-column steps and tiles of 4 weight rows x 4 activation rows (16 zmm
 * accumulators): a prompt batch converts each weight block once per four tokens; for one token the
 * next group of four rows is prefetched as one stream. Every (row, token) result is one 16-lane
 * accumulator over the 16-column blocks, one 8-lane accumulator for a remaining 8-column block and a
 * sequential scalar tail, whatever tile computed it. */
#ifndef BN_DENSE_FLOAT_AVX512_H
#define BN_DENSE_FLOAT_AVX512_H

#include "x86-avx512-decode.h"
#include "dense-float-avx2.h"

/* Sixteen weights of row w from column j as floats; elem is 2 (fp16) or 4 (f32). */
static inline __attribute__((always_inline)) __m512 bn_dense_load16(const uint8_t* w, int32_t j, const int elem) {
    return elem == 2 ? bn_load_f16x16((const uint16_t*)(w + 2 * (int64_t)j))
                     : _mm512_loadu_ps((const float*)(w + 4 * (int64_t)j));
}

static inline __attribute__((always_inline)) void bn_dense_tile_avx512(const bn_matmul_args* a, int32_t i0,
                                                                       const int R, int32_t r0, const int T,
                                                                       const int elem, const uint8_t* next) {
    const int32_t k = a->k;
    const uint8_t* w[4];
    const float* x[4];
    for (int r = 0; r < R; r++) w[r] = a->w + (int64_t)(i0 + r) * a->row_bytes;
    for (int t = 0; t < T; t++) x[t] = a->x + (int64_t)(r0 + t) * k;
    __m512 acc[4][4];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) acc[r][t] = _mm512_setzero_ps();
    int32_t j = 0;
    for (; j + 16 <= k; j += 16) {
        if (next) bn_prefetch_bytes(next + (int64_t)R * elem * j, (int64_t)R * elem * 16);
        __m512 xv[4];
        for (int t = 0; t < T; t++) xv[t] = _mm512_loadu_ps(x[t] + j);
        for (int r = 0; r < R; r++) {
            const __m512 wv = bn_dense_load16(w[r], j, elem);
            for (int t = 0; t < T; t++) acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    const int has8 = j + 8 <= k;
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) {
            float sum = bn_hsum_ps_avx512(acc[r][t]);
            int32_t jj = j;
            if (has8) {
                sum += bn_hsum_ps_avx2(_mm256_mul_ps(bn_dense_load8(w[r], jj, elem), _mm256_loadu_ps(x[t] + jj)));
                jj += 8;
            }
            for (; jj < k; jj++) sum += bn_dense_load1(w[r], jj, elem) * x[t][jj];
            a->y[(int64_t)(r0 + t) * a->n + i0 + r] = sum;
        }
}

static inline __attribute__((always_inline)) void bn_dense_token_groups_avx512(const bn_matmul_args* a, int32_t i0,
                                                                               const int R, const int elem,
                                                                               const uint8_t* next) {
    int32_t r0 = 0;
    for (; r0 + 4 <= a->m; r0 += 4) bn_dense_tile_avx512(a, i0, R, r0, 4, elem, r0 == 0 ? next : NULL);
    const uint8_t* tail_next = r0 == 0 ? next : NULL;
    switch (a->m - r0) {
    case 3: bn_dense_tile_avx512(a, i0, R, r0, 3, elem, tail_next); break;
    case 2: bn_dense_tile_avx512(a, i0, R, r0, 2, elem, tail_next); break;
    case 1: bn_dense_tile_avx512(a, i0, R, r0, 1, elem, tail_next); break;
    default: break;
    }
}

static inline __attribute__((always_inline)) void bn_dense_rows_avx512(const bn_matmul_args* a, int32_t i_begin,
                                                                       int32_t i_end, const int elem) {
    int32_t i = i_begin;
    for (; i + 4 <= i_end; i += 4)
        bn_dense_token_groups_avx512(a, i, 4, elem, i + 8 <= i_end ? a->w + (int64_t)(i + 4) * a->row_bytes : NULL);
    for (; i < i_end; i++) bn_dense_token_groups_avx512(a, i, 1, elem, NULL);
}

#endif
