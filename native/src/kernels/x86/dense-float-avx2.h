/* Float-weight (fp16 or f32) matrix x float activation rows, AVX2 + F16C + FMA: the tile walk the
 * F16 and F32 kernels share, the weight width a compile-time constant after inlining.
 *
 * Tiles of up to 4 weight rows x 2 activation rows: each 8-column step converts every weight row
 * once (vcvtph2ps, or a plain load for f32) and multiplies it into both activation rows, so a prompt
 * batch reads the matrix m / 2 times less often; for one token (decode) the four rows are four
 * independent FMA chains, and the next group of four rows is prefetched as one stream (see
 * bn_prefetch_bytes). Every (row, token) result has one 8-lane accumulator over the whole 8-column
 * blocks and a sequential scalar tail, whatever tile it was computed in, so results do not depend on
 * how the rows are split over threads. */
#ifndef BN_DENSE_FLOAT_AVX2_H
#define BN_DENSE_FLOAT_AVX2_H

#include "x86-decode.h"

#include <string.h>

/* Eight weights of row w from column j as floats; elem is 2 (fp16) or 4 (f32). */
static inline __attribute__((always_inline)) __m256 bn_dense_load8(const uint8_t* w, int32_t j, const int elem) {
    return elem == 2 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(w + 2 * (int64_t)j)))
                     : _mm256_loadu_ps((const float*)(w + 4 * (int64_t)j));
}

/* One weight of row w at column j as a float. */
static inline __attribute__((always_inline)) float bn_dense_load1(const uint8_t* w, int32_t j, const int elem) {
    if (elem == 4) {
        float v;
        memcpy(&v, w + 4 * (int64_t)j, sizeof v);
        return v;
    }
    uint16_t h;
    memcpy(&h, w + 2 * (int64_t)j, sizeof h);
    return bn_fp16_to_fp32(h);
}

/* Rows [i0, i0 + R) x activation rows [r0, r0 + T); next, when not NULL, is the following group of
 * rows (prefetched, R * 8 * elem bytes per step). */
static inline __attribute__((always_inline)) void bn_dense_tile_avx2(const bn_matmul_args* a, int32_t i0, const int R,
                                                                     int32_t r0, const int T, const int elem,
                                                                     const uint8_t* next) {
    const int32_t k = a->k;
    const uint8_t* w[4];
    const float* x[2];
    for (int r = 0; r < R; r++) w[r] = a->w + (int64_t)(i0 + r) * a->row_bytes;
    for (int t = 0; t < T; t++) x[t] = a->x + (int64_t)(r0 + t) * k;
    __m256 acc[4][2];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) acc[r][t] = _mm256_setzero_ps();
    int32_t j = 0;
    for (; j + 8 <= k; j += 8) {
        if (next) bn_prefetch_bytes(next + (int64_t)R * elem * j, (int64_t)R * elem * 8);
        __m256 xv[2];
        for (int t = 0; t < T; t++) xv[t] = _mm256_loadu_ps(x[t] + j);
        for (int r = 0; r < R; r++) {
            const __m256 wv = bn_dense_load8(w[r], j, elem);
            for (int t = 0; t < T; t++) acc[r][t] = _mm256_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) {
            float sum = bn_hsum_ps_avx2(acc[r][t]);
            for (int32_t jj = j; jj < k; jj++) sum += bn_dense_load1(w[r], jj, elem) * x[t][jj];
            a->y[(int64_t)(r0 + t) * a->n + i0 + r] = sum;
        }
}

/* Output rows [i_begin, i_end): groups of four (the first token pass prefetching the next group),
 * then single rows. */
static inline __attribute__((always_inline)) void bn_dense_rows_avx2(const bn_matmul_args* a, int32_t i_begin,
                                                                     int32_t i_end, const int elem) {
    int32_t i = i_begin;
    for (; i + 4 <= i_end; i += 4) {
        const uint8_t* next = i + 8 <= i_end ? a->w + (int64_t)(i + 4) * a->row_bytes : NULL;
        int32_t r0 = 0;
        for (; r0 + 2 <= a->m; r0 += 2) bn_dense_tile_avx2(a, i, 4, r0, 2, elem, r0 == 0 ? next : NULL);
        if (r0 < a->m) bn_dense_tile_avx2(a, i, 4, r0, 1, elem, r0 == 0 ? next : NULL);
    }
    for (; i < i_end; i++) {
        int32_t r0 = 0;
        for (; r0 + 2 <= a->m; r0 += 2) bn_dense_tile_avx2(a, i, 1, r0, 2, elem, NULL);
        if (r0 < a->m) bn_dense_tile_avx2(a, i, 1, r0, 1, elem, NULL);
    }
}

#endif
