/* I2ST (transposed I2S) x int8 matmul over a sparse activation row, AVX2 (the algorithm of the AVX-512 VNNI kernel,
 * matmul-i2st-q8-avx512vnni.c, on 256-bit vectors without VNNI).
 *
 * Nonzero columns outside, output rows inside: each column's codes are contiguous, so the columns of a step stream
 * as sequential reads (prefetched into L2 a few steps ahead: a sparse row's columns are scattered), while the thread's
 * int32 sums wait in a small table in L1. Per 128-row tile (32 bytes of a column), four columns' bytes are interleaved
 * into 4-byte groups and each 2-bit field is masked in place; maddubs multiplies the group's (c_j << s) by
 * (x_j0, .., x_j3) into two int16 pair sums and madd adds the pair into the output's int32 lane. The field of bits 7:6
 * is shifted down by 2 first (to <= 48), so a pair sum stays below 2^15: |48 * 128 * 2| = 12288. The shifts (4, 4, 2,
 * 0) are exact and removed once at the end. The dot is sum_j code * x - sum_j x: the reference's bits. */
#include "x86-common.h"

#define CHUNK_TILES 32 /* 4096 output rows: a 16 KiB table of sums */
#define PREFETCH_AHEAD 2

/* The four 4-byte-interleaved vectors of four columns' 32 bytes: q[s] lane L element i is byte 16 L + 4 s + i. */
static inline __attribute__((always_inline)) void interleave4(const uint8_t* const col[4], int64_t off, __m256i q[4]) {
    const __m256i w0 = _mm256_loadu_si256((const __m256i*)(col[0] + off)), w1 = _mm256_loadu_si256((const __m256i*)(col[1] + off));
    const __m256i w2 = _mm256_loadu_si256((const __m256i*)(col[2] + off)), w3 = _mm256_loadu_si256((const __m256i*)(col[3] + off));
    const __m256i t01l = _mm256_unpacklo_epi8(w0, w1), t01h = _mm256_unpackhi_epi8(w0, w1);
    const __m256i t23l = _mm256_unpacklo_epi8(w2, w3), t23h = _mm256_unpackhi_epi8(w2, w3);
    q[0] = _mm256_unpacklo_epi16(t01l, t23l);
    q[1] = _mm256_unpackhi_epi16(t01l, t23l);
    q[2] = _mm256_unpacklo_epi16(t01h, t23h);
    q[3] = _mm256_unpackhi_epi16(t01h, t23h);
}

void bn_matmul_i2st_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t n = a->n;
    const int64_t col_bytes = ((int64_t)n + BN_I2ST_TILE - 1) / BN_I2ST_TILE * (BN_I2ST_TILE / 4);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i masks[4];
    masks[0] = masks[1] = _mm256_set1_epi8(0x30); /* bits 7:6 after >> 2, and bits 5:4 */
    masks[2] = _mm256_set1_epi8(0x0C);
    masks[3] = _mm256_set1_epi8(0x03);
    static const int shifts[4] = {4, 4, 2, 0};
    _Alignas(32) int32_t sums[CHUNK_TILES][4][4][8]; /* [tile][field][quarter][lane] */
    const int32_t tiles_total = (i_end - i_begin + BN_I2ST_TILE - 1) / BN_I2ST_TILE;
    for (int32_t r = 0; r < a->m; r++) {
        const bn_sparse_row x = bn_sparse_row_at(a, r);
        for (int32_t t0 = 0; t0 < tiles_total; t0 += CHUNK_TILES) {
            const int32_t tiles = tiles_total - t0 < CHUNK_TILES ? tiles_total - t0 : CHUNK_TILES;
            const int64_t chunk_bytes = (int64_t)tiles * 32;
            const uint8_t* base = a->w + (int64_t)(i_begin / BN_I2ST_TILE + t0) * 32;
            memset(sums, 0, sizeof(int32_t) * 128 * (size_t)tiles);
            for (int32_t e = 0; e < x.count; e += 4) {
                const uint8_t* col[4];
                for (int c = 0; c < 4; c++) col[c] = base + x.idx[e + c] * col_bytes;
                bn_sparse_prefetch(&x, e + 4 * PREFETCH_AHEAD, 4, base, col_bytes, chunk_bytes);
                int32_t quad;
                memcpy(&quad, x.val + e, 4);
                const __m256i xq = _mm256_set1_epi32(quad);
                for (int32_t t = 0; t < tiles; t++) {
                    __m256i q[4];
                    interleave4(col, 32 * t, q);
                    for (int f = 0; f < 4; f++) {
                        int32_t* s = sums[t][f][0];
                        for (int h = 0; h < 4; h++) {
                            const __m256i v = f == 0 ? _mm256_srli_epi16(q[h], 2) : q[h];
                            const __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_and_si256(v, masks[f]), xq), ones);
                            _mm256_store_si256((__m256i*)(s + 8 * h), _mm256_add_epi32(_mm256_load_si256((const __m256i*)(s + 8 * h)), dot));
                        }
                    }
                }
            }
            /* sums[t][f][q] lane L, element i: byte B = 16 L + 4 q + i of the tile's 32 bytes: output 32 f + B */
            const int32_t first = i_begin + t0 * BN_I2ST_TILE;
            float* y = a->y + (int64_t)r * n + first;
            for (int32_t t = 0; t < tiles; t++)
                for (int f = 0; f < 4; f++)
                    for (int q = 0; q < 4; q++)
                        for (int L = 0; L < 2; L++)
                            for (int i = 0; i < 4; i++) {
                                const int B = 16 * L + 4 * q + i;
                                const int32_t row = t * BN_I2ST_TILE + 32 * f + B;
                                if (first + row < i_end)
                                    y[row] = (float)((sums[t][f][q][4 * L + i] >> shifts[f]) - x.sum) * x.scale;
                            }
        }
    }
}
