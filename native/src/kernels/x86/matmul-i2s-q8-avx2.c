/* I2S x int8 matmul, AVX2. Codes c in {0,1,2} (w = c - 1) multiply unsigned-by-signed with maddubs,
 * so sum_j w_j x_j = sum_j c_j x_j - sum_j x_j; the activation sum is computed once per call.
 *
 * Overflow bounds (valid for any code 0..3 and any int8, -128 included): one maddubs lane is
 * c0 x0 + c1 x1 with |.| <= 2 * 3 * 128 = 768; a block adds four of them (3072); eight blocks fit in
 * an int16 lane (24576 < 32767) before madd_epi16 widens them to int32. */
#include "x86-common.h"

#define BLOCKS_PER_FLUSH 8

/* Codes of one 32-byte I2S block, in activation order: weights j, j+32, j+64, j+96 of byte j. */
static inline void decode_block(const uint8_t* codes, __m256i c[4]) {
    const __m256i mask = _mm256_set1_epi8(3);
    __m256i packed = _mm256_loadu_si256((const __m256i*)codes);
    c[0] = _mm256_and_si256(_mm256_srli_epi16(packed, 6), mask);
    c[1] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask);
    c[2] = _mm256_and_si256(_mm256_srli_epi16(packed, 2), mask);
    c[3] = _mm256_and_si256(packed, mask);
}

static inline __m256i block_dot16(const __m256i c[4], const int8_t* x) {
    __m256i p0 = _mm256_maddubs_epi16(c[0], _mm256_loadu_si256((const __m256i*)(x + 0)));
    __m256i p1 = _mm256_maddubs_epi16(c[1], _mm256_loadu_si256((const __m256i*)(x + 32)));
    __m256i p2 = _mm256_maddubs_epi16(c[2], _mm256_loadu_si256((const __m256i*)(x + 64)));
    __m256i p3 = _mm256_maddubs_epi16(c[3], _mm256_loadu_si256((const __m256i*)(x + 96)));
    return _mm256_add_epi16(_mm256_add_epi16(p0, p1), _mm256_add_epi16(p2, p3));
}

/* Four weight rows against one activation row: the activation loads are shared. */
static void rows4_x1(const bn_matmul_args* a, int32_t i, const int8_t* x, int32_t x_sum, float* y) {
    const __m256i ones16 = _mm256_set1_epi16(1);
    const int32_t n_blocks = a->k / BN_I2S_BLOCK;
    const uint8_t* w0 = a->w + (int64_t)i * a->row_bytes;
    const uint8_t* w1 = w0 + a->row_bytes;
    const uint8_t* w2 = w1 + a->row_bytes;
    const uint8_t* w3 = w2 + a->row_bytes;
    __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int32_t b0 = 0; b0 < n_blocks; b0 += BLOCKS_PER_FLUSH) {
        int32_t b_end = b0 + BLOCKS_PER_FLUSH < n_blocks ? b0 + BLOCKS_PER_FLUSH : n_blocks;
        __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
        for (int32_t b = b0; b < b_end; b++) {
            const int8_t* xb = x + b * BN_I2S_BLOCK;
            __m256i x0 = _mm256_loadu_si256((const __m256i*)(xb + 0));
            __m256i x1 = _mm256_loadu_si256((const __m256i*)(xb + 32));
            __m256i x2 = _mm256_loadu_si256((const __m256i*)(xb + 64));
            __m256i x3 = _mm256_loadu_si256((const __m256i*)(xb + 96));
            const __m256i mask = _mm256_set1_epi8(3);
#define BN_ROW_STEP(wp, s)                                                                                            \
    do {                                                                                                               \
        __m256i packed = _mm256_loadu_si256((const __m256i*)((wp) + b * 32));                                          \
        __m256i p0 = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(packed, 6), mask), x0);                   \
        __m256i p1 = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(packed, 4), mask), x1);                   \
        __m256i p2 = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(packed, 2), mask), x2);                   \
        __m256i p3 = _mm256_maddubs_epi16(_mm256_and_si256(packed, mask), x3);                                         \
        s = _mm256_add_epi16(s, _mm256_add_epi16(_mm256_add_epi16(p0, p1), _mm256_add_epi16(p2, p3)));                 \
    } while (0)
            BN_ROW_STEP(w0, s0);
            BN_ROW_STEP(w1, s1);
            BN_ROW_STEP(w2, s2);
            BN_ROW_STEP(w3, s3);
#undef BN_ROW_STEP
        }
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(s0, ones16));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(s1, ones16));
        acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(s2, ones16));
        acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(s3, ones16));
    }
    y[0] = (float)(bn_hsum_epi32_avx2(acc0) - x_sum);
    y[1] = (float)(bn_hsum_epi32_avx2(acc1) - x_sum);
    y[2] = (float)(bn_hsum_epi32_avx2(acc2) - x_sum);
    y[3] = (float)(bn_hsum_epi32_avx2(acc3) - x_sum);
}

/* One weight row against up to four activation rows: the code decode is shared. */
static void row1_xn(const bn_matmul_args* a, int32_t i, int32_t r0, int32_t nr, const int32_t* x_sums, int32_t* dots) {
    const __m256i ones16 = _mm256_set1_epi16(1);
    const int32_t n_blocks = a->k / BN_I2S_BLOCK;
    const uint8_t* w = a->w + (int64_t)i * a->row_bytes;
    __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int32_t b0 = 0; b0 < n_blocks; b0 += BLOCKS_PER_FLUSH) {
        int32_t b_end = b0 + BLOCKS_PER_FLUSH < n_blocks ? b0 + BLOCKS_PER_FLUSH : n_blocks;
        __m256i s[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
        for (int32_t b = b0; b < b_end; b++) {
            __m256i c[4];
            decode_block(w + b * 32, c);
            for (int32_t r = 0; r < nr; r++)
                s[r] = _mm256_add_epi16(s[r], block_dot16(c, a->xq + (int64_t)(r0 + r) * a->k + b * BN_I2S_BLOCK));
        }
        for (int32_t r = 0; r < nr; r++) acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(s[r], ones16));
    }
    for (int32_t r = 0; r < nr; r++) dots[r] = bn_hsum_epi32_avx2(acc[r]) - x_sums[r];
}

void bn_matmul_i2s_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t k = a->k;
    if (a->m == 1) {
        const int32_t x_sum = bn_sum_i8_avx2(a->xq, k);
        const float scale = a->x_scales[0] * a->w_scale;
        int32_t i = i_begin;
        for (; i + 4 <= i_end; i += 4) {
            float dots[4];
            rows4_x1(a, i, a->xq, x_sum, dots);
            for (int r = 0; r < 4; r++) a->y[i + r] = dots[r] * scale;
        }
        for (; i < i_end; i++) {
            int32_t dot;
            row1_xn(a, i, 0, 1, &x_sum, &dot);
            a->y[i] = (float)dot * scale;
        }
        return;
    }
    for (int32_t r0 = 0; r0 < a->m; r0 += 4) {
        const int32_t nr = a->m - r0 < 4 ? a->m - r0 : 4;
        int32_t x_sums[4];
        for (int32_t r = 0; r < nr; r++) x_sums[r] = bn_sum_i8_avx2(a->xq + (int64_t)(r0 + r) * k, k);
        for (int32_t i = i_begin; i < i_end; i++) {
            int32_t dots[4];
            row1_xn(a, i, r0, nr, x_sums, dots);
            for (int32_t r = 0; r < nr; r++)
                a->y[(int64_t)(r0 + r) * a->n + i] = (float)dots[r] * (a->x_scales[r0 + r] * a->w_scale);
        }
    }
}
