/* I2ST (transposed I2S) x int8 matmul over a sparse activation row, AVX-512 VNNI. Four nonzero columns
 * a step over two 128-row tiles (64 bytes of each column): each 2-bit field of the four columns is
 * interleaved into 4-byte groups (code_j0, code_j1, code_j2, code_j3) per output, and one vpdpbusd
 * adds their dot with (x_j0, x_j1, x_j2, x_j3) into the output's int32 lane: no int16 stage, no
 * overflow (|sum| <= 3 * 128 * k). The dot is sum_j code * x - sum_j x, exact: the reference's bits.
 * A range with an odd number of tiles ends with one tile of the AVX2 kernel (same bits). */
#include "x86-common.h"

void bn_matmul_i2st_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t k = a->k, n = a->n;
    const int64_t col_bytes = ((int64_t)n + BN_I2ST_TILE - 1) / BN_I2ST_TILE * (BN_I2ST_TILE / 4);
    const int32_t pair_end = i_begin + (i_end - i_begin) / (2 * BN_I2ST_TILE) * (2 * BN_I2ST_TILE);
    const __m512i mask = _mm512_set1_epi8(3);
    for (int32_t r = 0; r < a->m; r++) {
        const uint8_t* table = a->tables + (int64_t)r * a->table_bytes;
        const int32_t count = bn_sparse_count(table), xsum = bn_sparse_sum(table);
        const int32_t* idx = bn_sparse_idx(table);
        const int8_t* val = bn_sparse_val(table, k);
        const float scale = a->x_scales[r] * a->w_scale;
        for (int32_t i0 = i_begin; i0 < pair_end; i0 += 2 * BN_I2ST_TILE) {
            const uint8_t* tiles = a->w + (int64_t)(i0 / BN_I2ST_TILE) * 32;
            __m512i acc[4][4];
            for (int f = 0; f < 4; f++)
                for (int q = 0; q < 4; q++) acc[f][q] = _mm512_setzero_si512();
            for (int32_t e = 0; e < count; e += 4) {
                const __m512i c0 = _mm512_loadu_si512((const void*)(tiles + idx[e] * col_bytes));
                const __m512i c1 = _mm512_loadu_si512((const void*)(tiles + idx[e + 1] * col_bytes));
                const __m512i c2 = _mm512_loadu_si512((const void*)(tiles + idx[e + 2] * col_bytes));
                const __m512i c3 = _mm512_loadu_si512((const void*)(tiles + idx[e + 3] * col_bytes));
                int32_t quad;
                memcpy(&quad, val + e, 4);
                const __m512i xq = _mm512_set1_epi32(quad);
                for (int f = 0; f < 4; f++) {
                    const int shift = 6 - 2 * f;
                    const __m512i f0 = _mm512_and_si512(_mm512_srli_epi16(c0, shift), mask);
                    const __m512i f1 = _mm512_and_si512(_mm512_srli_epi16(c1, shift), mask);
                    const __m512i f2 = _mm512_and_si512(_mm512_srli_epi16(c2, shift), mask);
                    const __m512i f3 = _mm512_and_si512(_mm512_srli_epi16(c3, shift), mask);
                    const __m512i t01l = _mm512_unpacklo_epi8(f0, f1), t01h = _mm512_unpackhi_epi8(f0, f1);
                    const __m512i t23l = _mm512_unpacklo_epi8(f2, f3), t23h = _mm512_unpackhi_epi8(f2, f3);
                    acc[f][0] = _mm512_dpbusd_epi32(acc[f][0], _mm512_unpacklo_epi16(t01l, t23l), xq);
                    acc[f][1] = _mm512_dpbusd_epi32(acc[f][1], _mm512_unpackhi_epi16(t01l, t23l), xq);
                    acc[f][2] = _mm512_dpbusd_epi32(acc[f][2], _mm512_unpacklo_epi16(t01h, t23h), xq);
                    acc[f][3] = _mm512_dpbusd_epi32(acc[f][3], _mm512_unpackhi_epi16(t01h, t23h), xq);
                }
            }
            /* acc[f][q] lane L, element i is byte B = 16 L + 4 q + i of the two tiles' 64 bytes:
             * output (B / 32) * 128 + 32 f + B % 32 */
            _Alignas(64) int32_t lanes[16];
            int32_t out[2 * BN_I2ST_TILE];
            for (int f = 0; f < 4; f++)
                for (int q = 0; q < 4; q++) {
                    _mm512_store_si512((void*)lanes, acc[f][q]);
                    for (int L = 0; L < 4; L++)
                        for (int i = 0; i < 4; i++) {
                            const int B = 16 * L + 4 * q + i;
                            out[(B / 32) * BN_I2ST_TILE + 32 * f + B % 32] = lanes[4 * L + i];
                        }
                }
            const int32_t rows = i_end - i0 < 2 * BN_I2ST_TILE ? i_end - i0 : 2 * BN_I2ST_TILE;
            float* y = a->y + (int64_t)r * n + i0;
            for (int32_t i = 0; i < rows && i0 + i < n; i++) y[i] = (float)(out[i] - xsum) * scale;
        }
    }
    if (pair_end < i_end) bn_matmul_i2st_q8__avx2(a, pair_end, i_end);
}
