/* I2ST (transposed I2S) x int8 matmul over a sparse activation row, AVX2: only the nonzero columns
 * are read (the sparse row of bn_sparse_build__ref: their indices and values, padded to a multiple of
 * 4 with zero entries). For one 128-row tile, column j's 32 bytes hold the codes of its 128 outputs
 * in four 2-bit fields; two columns at a time, the fields are interleaved byte by byte and maddubs
 * multiplies each output's (code_j0, code_j1) by (x_j0, x_j1) into int16 lanes. Codes <= 3 and
 * |x| <= 128 bound a pair's sum by 768, so 32 pairs (64 columns) stay below 2^15 before the int16
 * sums are widened into int32. The dot is sum_j code * x - sum_j x, exact: the reference's bits.
 * Rows of a batch run one after another over the tile (the tile's columns stay in cache). */
#include "x86-common.h"

#define PAIRS_PER_FLUSH 32

static inline __attribute__((always_inline)) void widen_into(int32_t acc[BN_I2ST_TILE], __m256i lo[4], __m256i hi[4]) {
    for (int f = 0; f < 4; f++) {
        /* lo[f]: lane 0 outputs 32 f + 0..7, lane 1 outputs 32 f + 16..23; hi[f]: + 8..15 and + 24..31 */
        int32_t* o = acc + 32 * f;
        const __m256i a0 = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(lo[f]));
        const __m256i a1 = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(hi[f]));
        const __m256i a2 = _mm256_cvtepi16_epi32(_mm256_extracti128_si256(lo[f], 1));
        const __m256i a3 = _mm256_cvtepi16_epi32(_mm256_extracti128_si256(hi[f], 1));
        _mm256_storeu_si256((__m256i*)o, _mm256_add_epi32(_mm256_loadu_si256((const __m256i*)o), a0));
        _mm256_storeu_si256((__m256i*)(o + 8), _mm256_add_epi32(_mm256_loadu_si256((const __m256i*)(o + 8)), a1));
        _mm256_storeu_si256((__m256i*)(o + 16), _mm256_add_epi32(_mm256_loadu_si256((const __m256i*)(o + 16)), a2));
        _mm256_storeu_si256((__m256i*)(o + 24), _mm256_add_epi32(_mm256_loadu_si256((const __m256i*)(o + 24)), a3));
        lo[f] = hi[f] = _mm256_setzero_si256();
    }
}

void bn_matmul_i2st_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t k = a->k, n = a->n;
    const int64_t col_bytes = ((int64_t)n + BN_I2ST_TILE - 1) / BN_I2ST_TILE * (BN_I2ST_TILE / 4);
    const __m256i mask = _mm256_set1_epi8(3);
    for (int32_t r = 0; r < a->m; r++) {
        const uint8_t* table = a->tables + (int64_t)r * a->table_bytes;
        const int32_t count = bn_sparse_count(table), xsum = bn_sparse_sum(table);
        const int32_t* idx = bn_sparse_idx(table);
        const int8_t* val = bn_sparse_val(table, k);
        const float scale = a->x_scales[r] * a->w_scale;
        for (int32_t i0 = i_begin; i0 < i_end; i0 += BN_I2ST_TILE) {
            const uint8_t* tile = a->w + (int64_t)(i0 / BN_I2ST_TILE) * 32;
            _Alignas(32) int32_t acc[BN_I2ST_TILE] = {0};
            __m256i lo[4], hi[4];
            for (int f = 0; f < 4; f++) lo[f] = hi[f] = _mm256_setzero_si256();
            int32_t pairs = 0;
            for (int32_t e = 0; e < count; e += 2) {
                const __m256i c0 = _mm256_loadu_si256((const __m256i*)(tile + idx[e] * col_bytes));
                const __m256i c1 = _mm256_loadu_si256((const __m256i*)(tile + idx[e + 1] * col_bytes));
                const __m256i xs = _mm256_set1_epi16((int16_t)((uint16_t)(uint8_t)val[e] | (uint16_t)((uint8_t)val[e + 1]) << 8));
                for (int f = 0; f < 4; f++) {
                    const int shift = 6 - 2 * f;
                    const __m256i f0 = _mm256_and_si256(_mm256_srli_epi16(c0, shift), mask);
                    const __m256i f1 = _mm256_and_si256(_mm256_srli_epi16(c1, shift), mask);
                    lo[f] = _mm256_add_epi16(lo[f], _mm256_maddubs_epi16(_mm256_unpacklo_epi8(f0, f1), xs));
                    hi[f] = _mm256_add_epi16(hi[f], _mm256_maddubs_epi16(_mm256_unpackhi_epi8(f0, f1), xs));
                }
                if (++pairs == PAIRS_PER_FLUSH) {
                    widen_into(acc, lo, hi);
                    pairs = 0;
                }
            }
            if (pairs) widen_into(acc, lo, hi);
            const int32_t rows = i_end - i0 < BN_I2ST_TILE ? i_end - i0 : BN_I2ST_TILE;
            float* y = a->y + (int64_t)r * n + i0;
            for (int32_t i = 0; i < rows; i++) y[i] = (float)(acc[i] - xsum) * scale;
        }
    }
}
