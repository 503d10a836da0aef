/* I2S x int8 matmul, AVX-512 VNNI (F/BW/VL/VNNI). vpdpbusd multiplies unsigned codes c in {0,1,2}
 * (w = c - 1) by signed int8 activations and adds groups of four products into int32 lanes, so
 * sum_j w_j x_j = sum_j c_j x_j - sum_j x_j, the activation sum computed once per row of x.
 *
 * Decode without rearranging activations: byte j of a 32-byte I2S block holds the codes of
 * activations j, j+32, j+64, j+96 in bits 7:6, 5:4, 3:2, 1:0. The block is broadcast to both
 * 256-bit halves of a zmm; with t = p >> 4 (16-bit shift; the masks below keep only bits that come
 * from the same byte):
 *   z1 = t & [0x0C | 0x03] = [4 c(j) | c(j+32)]    pairs with x[0..64) of the block,
 *   z2 = p & [0x0C | 0x03] = [4 c(j+64) | c(j+96)] pairs with x[64..128),
 * so each activation load is one contiguous 64-byte vector and the decode is one shift and two ands
 * per 128 weights. The low 256-bit half of an accumulator sums codes scaled by 4; it is divided by
 * 4 (exact: every term is a multiple of 4) before the final horizontal sum.
 *
 * GEMV (m = 1) streams the matrix from DRAM when decoding: four rows read side by side are four
 * interleaved streams, which Zen 4's hardware prefetchers follow at a quarter of the bandwidth
 * (measured: 5.5 GB/s against 24 GB/s for a plain read). The next group of four rows is contiguous,
 * so it is prefetched as one sequential stream, 128 bytes per block step, one group ahead: the
 * kernel then streams at the plain-read rate.
 *
 * GEMM (m > 1, prefill) is bound by instruction throughput: a 4 x 4 tile of weight rows x
 * activation rows keeps 16 accumulators in registers (AVX-512 has 32), so every decoded code
 * vector feeds four vpdpbusd and every activation load feeds four, one load per four multiply-adds.
 *
 * Overflow bounds (any code 0..3, any int8 including -128): a low lane adds 8 products of
 * |4 c x| <= 1536 per block, and k <= 2^22 gives at most 2^15 blocks: 2^15 * 8 * 1536 < 2^29. */
#include "x86-common.h"

/* m > 1: weight rows kept hot in L1/L2 while every group of four activation rows passes over them. */
#define ROW_TILE 32

/* [0x0C x 32 | 0x03 x 32]: the decode masks of the low and high halves. */
static inline __m512i decode_mask(void) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi8(0x0c)), _mm256_set1_epi8(0x03), 1);
}

/* One accumulator folded to eight int32 lanes of sum_j c_j x_j: low half / 4 + high half. */
static inline __m256i fold(__m512i acc) {
    return _mm256_add_epi32(_mm256_srai_epi32(_mm512_castsi512_si256(acc), 2), _mm512_extracti64x4_epi64(acc, 1));
}

/* The exact sums sum_j c_j x_j of four accumulators, in lane order. */
static inline __m128i finish4(__m512i a0, __m512i a1, __m512i a2, __m512i a3) {
    return bn_hsum4_epi32_avx2(fold(a0), fold(a1), fold(a2), fold(a3));
}

/* Four consecutive weight rows from w (row_bytes apart) against one activation row; prefetches the
 * bytes at next (the following group, or this one again for the last group). */
static inline __attribute__((always_inline)) __m128i rows4_x1(const uint8_t* w, int64_t row_bytes,
                                                              const uint8_t* next, const int8_t* x,
                                                              int32_t n_blocks) {
    const __m512i mask = decode_mask();
    __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int32_t b = 0; b < n_blocks; b++) {
        _mm_prefetch((const char*)next + (int64_t)b * 128, _MM_HINT_T0);
        _mm_prefetch((const char*)next + (int64_t)b * 128 + 64, _MM_HINT_T0);
        const __m512i x0 = _mm512_loadu_si512((const void*)(x + (int64_t)b * BN_I2S_BLOCK));
        const __m512i x1 = _mm512_loadu_si512((const void*)(x + (int64_t)b * BN_I2S_BLOCK + 64));
        const uint8_t* wb = w + (int64_t)b * 32;
#define BN_ROW_STEP(r, acc)                                                                                            \
    do {                                                                                                               \
        __m512i p = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(wb + (r) * row_bytes)));                \
        acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(_mm512_srli_epi16(p, 4), mask), x0);                           \
        acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(p, mask), x1);                                                 \
    } while (0)
        BN_ROW_STEP(0, acc0);
        BN_ROW_STEP(1, acc1);
        BN_ROW_STEP(2, acc2);
        BN_ROW_STEP(3, acc3);
#undef BN_ROW_STEP
    }
    return finish4(acc0, acc1, acc2, acc3);
}

/* m = 1: groups of four rows. The last group of a range of at least four rows starts earlier so it
 * stays four rows wide (some rows are computed twice, with identical results); a range of fewer
 * than four rows repeats its last row and drops the extra results. */
static void gemv(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t k = a->k, n_blocks = k / BN_I2S_BLOCK;
    const __m128i x_sum = _mm_set1_epi32(bn_sum_i8_avx2(a->xq, k));
    const __m128 scale = _mm_set1_ps(a->x_scales[0] * a->w_scale);
    if (i_end - i_begin < 4) {
        for (int32_t i = i_begin; i < i_end; i++) {
            /* One row, read four times: rows4_x1 with a zero stride. */
            const uint8_t* w = a->w + (int64_t)i * a->row_bytes;
            float y[4];
            _mm_storeu_ps(y, _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(rows4_x1(w, 0, w, a->xq, n_blocks), x_sum)),
                                        scale));
            a->y[i] = y[0];
        }
        return;
    }
    for (int32_t i = i_begin; i < i_end; i += 4) {
        const int32_t i0 = i + 4 <= i_end ? i : i_end - 4;
        const uint8_t* w = a->w + (int64_t)i0 * a->row_bytes;
        const uint8_t* next = i0 + 8 <= i_end ? w + 4 * a->row_bytes : w;
        const __m128i dots = _mm_sub_epi32(rows4_x1(w, a->row_bytes, next, a->xq, n_blocks), x_sum);
        /* (float)dot * scale per lane: the reference's expression, rounded the same way. */
        _mm_storeu_ps(a->y + i0, _mm_mul_ps(_mm_cvtepi32_ps(dots), scale));
    }
}

/* A 4 x 4 tile: weight rows w[0..3] against activation rows x[0..3]; dots[4 * r + c] receives
 * sum_j c_j x_j of weight row c and activation row r. */
static inline __attribute__((always_inline)) void tile4x4(const uint8_t* const w[4], const int8_t* const x[4],
                                                          int32_t n_blocks, __m128i dots[4]) {
    const __m512i mask = decode_mask();
    __m512i acc[4][4];
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) acc[r][c] = _mm512_setzero_si512();
    for (int32_t b = 0; b < n_blocks; b++) {
        const int64_t off = (int64_t)b * BN_I2S_BLOCK;
        __m512i z1[4], z2[4];
        for (int c = 0; c < 4; c++) {
            const __m512i p = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(w[c] + (int64_t)b * 32)));
            z1[c] = _mm512_and_si512(_mm512_srli_epi16(p, 4), mask);
            z2[c] = _mm512_and_si512(p, mask);
        }
        for (int r = 0; r < 4; r++) {
            const __m512i x0 = _mm512_loadu_si512((const void*)(x[r] + off));
            const __m512i x1 = _mm512_loadu_si512((const void*)(x[r] + off + 64));
            for (int c = 0; c < 4; c++) {
                acc[r][c] = _mm512_dpbusd_epi32(acc[r][c], z1[c], x0);
                acc[r][c] = _mm512_dpbusd_epi32(acc[r][c], z2[c], x1);
            }
        }
    }
    for (int r = 0; r < 4; r++) dots[r] = finish4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
}

/* m > 1: weight rows in tiles of ROW_TILE that stay in cache while every group of four activation
 * rows passes over them; each group of four weight rows x four activation rows is one tile4x4. Short
 * groups (fewer than four rows of either kind) repeat their last row and drop the extra results. */
static void gemm(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t k = a->k, n_blocks = k / BN_I2S_BLOCK;
    for (int32_t t0 = i_begin; t0 < i_end; t0 += ROW_TILE) {
        const int32_t t1 = i_end - t0 < ROW_TILE ? i_end : t0 + ROW_TILE;
        for (int32_t r0 = 0; r0 < a->m; r0 += 4) {
            const int32_t nr = a->m - r0 < 4 ? a->m - r0 : 4;
            const int8_t* x[4];
            int32_t x_sums[4];
            float scales[4];
            for (int32_t r = 0; r < 4; r++) {
                const int32_t rr = r0 + (r < nr ? r : nr - 1);
                x[r] = a->xq + (int64_t)rr * k;
                x_sums[r] = bn_sum_i8_avx2(x[r], k);
                scales[r] = a->x_scales[rr] * a->w_scale;
            }
            for (int32_t i = t0; i < t1; i += 4) {
                const int32_t nc = t1 - i < 4 ? t1 - i : 4;
                const uint8_t* w[4];
                for (int32_t c = 0; c < 4; c++) w[c] = a->w + (int64_t)(i + (c < nc ? c : nc - 1)) * a->row_bytes;
                __m128i dots[4];
                tile4x4(w, x, n_blocks, dots);
                for (int32_t r = 0; r < nr; r++) {
                    float y[4];
                    const __m128i d = _mm_sub_epi32(dots[r], _mm_set1_epi32(x_sums[r]));
                    _mm_storeu_ps(y, _mm_mul_ps(_mm_cvtepi32_ps(d), _mm_set1_ps(scales[r])));
                    for (int32_t c = 0; c < nc; c++) a->y[(int64_t)(r0 + r) * a->n + i + c] = y[c];
                }
            }
        }
    }
}

void bn_matmul_i2s_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    if (i_begin >= i_end || a->m == 0) return;
    if (a->m == 1) gemv(a, i_begin, i_end);
    else gemm(a, i_begin, i_end);
}
