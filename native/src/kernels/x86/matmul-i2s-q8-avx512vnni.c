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
 * Overflow bounds (any code 0..3, any int8 including -128): a low lane adds 8 products of
 * |4 c x| <= 1536 per block, and k <= 2^22 gives at most 2^15 blocks: 2^15 * 8 * 1536 < 2^29. */
#include "x86-common.h"

/* m > 1: weight rows kept hot in L1/L2 while every group of four activation rows passes over them. */
#define ROW_TILE 32

/* [0x0C x 32 | 0x03 x 32]: the decode masks of the low and high halves. */
static inline __m512i decode_mask(void) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi8(0x0c)), _mm256_set1_epi8(0x03), 1);
}

/* Exact sum_j c_j x_j of an accumulator built as above. */
static inline int32_t finish_dot(__m512i acc) {
    __m256i lo4 = _mm512_castsi512_si256(acc);        /* terms scaled by 4 */
    __m256i hi1 = _mm512_extracti64x4_epi64(acc, 1);  /* unscaled terms */
    return bn_hsum_epi32_avx2(_mm256_add_epi32(_mm256_srai_epi32(lo4, 2), hi1));
}

/* Four weight rows against one activation row: the two activation vectors of a block are loaded
 * once for all four rows. */
static void rows4_x1(const uint8_t* const w[4], const int8_t* x, int32_t n_blocks, int32_t dots[4]) {
    const __m512i mask = decode_mask();
    __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int32_t b = 0; b < n_blocks; b++) {
        const __m512i x0 = _mm512_loadu_si512((const void*)(x + (int64_t)b * BN_I2S_BLOCK));
        const __m512i x1 = _mm512_loadu_si512((const void*)(x + (int64_t)b * BN_I2S_BLOCK + 64));
#define BN_ROW_STEP(r, acc)                                                                                            \
    do {                                                                                                               \
        __m512i p = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(w[r] + (int64_t)b * 32)));              \
        acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(_mm512_srli_epi16(p, 4), mask), x0);                           \
        acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(p, mask), x1);                                                 \
    } while (0)
        BN_ROW_STEP(0, acc0);
        BN_ROW_STEP(1, acc1);
        BN_ROW_STEP(2, acc2);
        BN_ROW_STEP(3, acc3);
#undef BN_ROW_STEP
    }
    dots[0] = finish_dot(acc0);
    dots[1] = finish_dot(acc1);
    dots[2] = finish_dot(acc2);
    dots[3] = finish_dot(acc3);
}

/* One weight row against four activation rows x[0..3]: the decode is shared. */
static void row1_x4(const uint8_t* w, const int8_t* const x[4], int32_t n_blocks, int32_t dots[4]) {
    const __m512i mask = decode_mask();
    __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int32_t b = 0; b < n_blocks; b++) {
        const __m512i p = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(w + (int64_t)b * 32)));
        const __m512i z1 = _mm512_and_si512(_mm512_srli_epi16(p, 4), mask);
        const __m512i z2 = _mm512_and_si512(p, mask);
        const int64_t off = (int64_t)b * BN_I2S_BLOCK;
        acc0 = _mm512_dpbusd_epi32(acc0, z1, _mm512_loadu_si512((const void*)(x[0] + off)));
        acc0 = _mm512_dpbusd_epi32(acc0, z2, _mm512_loadu_si512((const void*)(x[0] + off + 64)));
        acc1 = _mm512_dpbusd_epi32(acc1, z1, _mm512_loadu_si512((const void*)(x[1] + off)));
        acc1 = _mm512_dpbusd_epi32(acc1, z2, _mm512_loadu_si512((const void*)(x[1] + off + 64)));
        acc2 = _mm512_dpbusd_epi32(acc2, z1, _mm512_loadu_si512((const void*)(x[2] + off)));
        acc2 = _mm512_dpbusd_epi32(acc2, z2, _mm512_loadu_si512((const void*)(x[2] + off + 64)));
        acc3 = _mm512_dpbusd_epi32(acc3, z1, _mm512_loadu_si512((const void*)(x[3] + off)));
        acc3 = _mm512_dpbusd_epi32(acc3, z2, _mm512_loadu_si512((const void*)(x[3] + off + 64)));
    }
    dots[0] = finish_dot(acc0);
    dots[1] = finish_dot(acc1);
    dots[2] = finish_dot(acc2);
    dots[3] = finish_dot(acc3);
}

void bn_matmul_i2s_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t k = a->k, n_blocks = k / BN_I2S_BLOCK;
    if (a->m == 1) {
        /* Groups of four rows; a short last group repeats its last row and drops the extra results. */
        const int32_t x_sum = bn_sum_i8_avx2(a->xq, k);
        const float scale = a->x_scales[0] * a->w_scale;
        for (int32_t i = i_begin; i < i_end; i += 4) {
            const int32_t nr = i_end - i < 4 ? i_end - i : 4;
            const uint8_t* w[4];
            int32_t dots[4];
            for (int32_t r = 0; r < 4; r++) w[r] = a->w + (int64_t)(i + (r < nr ? r : nr - 1)) * a->row_bytes;
            rows4_x1(w, a->xq, n_blocks, dots);
            for (int32_t r = 0; r < nr; r++) a->y[i + r] = (float)(dots[r] - x_sum) * scale;
        }
        return;
    }
    for (int32_t t0 = i_begin; t0 < i_end; t0 += ROW_TILE) {
        const int32_t t1 = i_end - t0 < ROW_TILE ? i_end : t0 + ROW_TILE;
        for (int32_t r0 = 0; r0 < a->m; r0 += 4) {
            const int32_t nr = a->m - r0 < 4 ? a->m - r0 : 4;
            const int8_t* x[4];
            int32_t x_sums[4];
            for (int32_t r = 0; r < 4; r++) {
                x[r] = a->xq + (int64_t)(r0 + (r < nr ? r : nr - 1)) * k;
                x_sums[r] = r < nr ? bn_sum_i8_avx2(x[r], k) : 0;
            }
            for (int32_t i = t0; i < t1; i++) {
                int32_t dots[4];
                row1_x4(a->w + (int64_t)i * a->row_bytes, x, n_blocks, dots);
                for (int32_t r = 0; r < nr; r++) {
                    const float scale = a->x_scales[r0 + r] * a->w_scale;
                    a->y[(int64_t)(r0 + r) * a->n + i] = (float)(dots[r] - x_sums[r]) * scale;
                }
            }
        }
    }
}
