/* I2S x int8 matmul, AVX2. Codes c in {0,1,2} (w = c - 1) multiply unsigned-by-signed with maddubs,
 * so sum_j w_j x_j = sum_j c_j x_j - sum_j x_j; the activation sum is computed once per call.
 *
 * Layout: byte j of a 32-byte block holds the codes of activations j, j+32, j+64, j+96 in bits 7:6,
 * 5:4, 3:2, 1:0, so a block decodes to four 32-byte code vectors that pair with four contiguous
 * 32-byte activation loads.
 *
 * GEMV (m = 1) is bound by vector ALU throughput when the weights are in cache, so its decode uses
 * one shift and four ands per block instead of three shifts and four ands: with t = p >> 4
 * (16-bit shift; each mask keeps only bits that come from the same byte)
 *   t & 0x0C = 4 c(j)     t & 0x03 = c(j+32)     p & 0x0C = 4 c(j+64)     p & 0x03 = c(j+96).
 * Products of the codes scaled by 4 go to accumulator B, the others to A; at each flush to int32
 * lanes, 4 A + B = 4 sum c x (madd with 4s and 1s), and the final >> 2 is exact since every term
 * is a multiple of 4.
 *
 * Overflow bounds (valid for any code 0..3 and any int8, -128 included): a maddubs lane is
 * c0 x0 + c1 x1 with |.| <= 2 * 3 * 128 = 768, so per block an A lane adds two of them (1536) and
 * a B lane two scaled by 4 (6144): five blocks fit an int16 lane (30720 < 32767) before they are
 * widened. An int32 lane then holds 4 x (a sixteenth of the row), |.| <= 4 * 384 * k / 16 < 2^31
 * for k <= 2^22 (the entry point's limit). The m > 1 path decodes without scaling (3072 per block
 * and lane), so eight blocks fit (24576).
 *
 * When the matrix streams from DRAM, four rows read side by side are four interleaved streams that
 * the hardware prefetchers follow poorly; the next group of four rows is contiguous, so it is
 * prefetched as one sequential stream, 128 bytes per block step, one group ahead. */
#include "x86-common.h"

#include <string.h>

#define GEMV_BLOCKS_PER_FLUSH 5
#define GEMM_BLOCKS_PER_FLUSH 8
/* GEMV: longest activation row copied to an aligned stack buffer (2B-4T rows are 2560 and 6912). */
#define GEMV_ALIGN_MAX_K 8192
/* m > 1: weight rows kept hot in L1/L2 while every group of activation rows passes over them. */
#define ROW_TILE 16
/* m > 1: activation rows whose sums are kept on the stack at once. */
#define GEMM_ROW_BLOCK 64

/* One block of one row for the GEMV: codes from the 32 bytes at wp, activations xb[0..128). */
static inline __m256i bn_load_x(const int8_t* p) { return _mm256_loadu_si256((const __m256i*)p); }

#define BN_GEMV_STEP(wp, A, B)                                                                                         \
    do {                                                                                                               \
        const __m256i p = _mm256_loadu_si256((const __m256i*)(wp));                                                    \
        const __m256i t = _mm256_srli_epi16(p, 4);                                                                     \
        A = _mm256_add_epi16(A, _mm256_maddubs_epi16(_mm256_and_si256(t, m3), bn_load_x(xb + 32)));                    \
        B = _mm256_add_epi16(B, _mm256_maddubs_epi16(_mm256_and_si256(t, mc), bn_load_x(xb + 0)));                     \
        A = _mm256_add_epi16(A, _mm256_maddubs_epi16(_mm256_and_si256(p, m3), bn_load_x(xb + 96)));                    \
        B = _mm256_add_epi16(B, _mm256_maddubs_epi16(_mm256_and_si256(p, mc), bn_load_x(xb + 64)));                    \
    } while (0)

/* 4 A + B of one row, widened to int32 lanes. */
#define BN_GEMV_FLUSH(acc, A, B)                                                                                       \
    acc = _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(A, fours), _mm256_madd_epi16(B, ones)))

/* GCC's tree-PRE pass hoists the intrinsics' __m256i <-> int16-vector view conversions of the eight
 * GEMV accumulators into loop-header phis, so both views stay live and the register allocator spills
 * four accumulators to the stack on every block (GCC 12: 8-15 % slower). The GEMV loop opts out of
 * that one pass (the GEMM loops are faster with it); clang allocates either way without spills. */
#if defined(__GNUC__) && !defined(__clang__)
#  define BN_GEMV_ATTRIBUTES __attribute__((noinline, optimize("no-tree-pre")))
#else
#  define BN_GEMV_ATTRIBUTES
#endif

/* sum_j c_j x_j of four consecutive rows starting at w (row_bytes apart) against x; prefetches the
 * contiguous bytes at next (the following group, or this one again for the last group). */
BN_GEMV_ATTRIBUTES static void gemv_rows4(const uint8_t* w, int64_t row_bytes, const uint8_t* next, const int8_t* x,
                                          int32_t n_blocks, int32_t dots[4]) {
    const __m256i m3 = _mm256_set1_epi8(3), mc = _mm256_set1_epi8(0x0c);
    const __m256i ones = _mm256_set1_epi16(1), fours = _mm256_set1_epi16(4);
    const uint8_t* w0 = w;
    const uint8_t* w1 = w0 + row_bytes;
    const uint8_t* w2 = w1 + row_bytes;
    const uint8_t* w3 = w2 + row_bytes;
    __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    for (int32_t b0 = 0; b0 < n_blocks; b0 += GEMV_BLOCKS_PER_FLUSH) {
        const int32_t b_end = n_blocks - b0 < GEMV_BLOCKS_PER_FLUSH ? n_blocks : b0 + GEMV_BLOCKS_PER_FLUSH;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, s0 = a0, s1 = a0, s2 = a0, s3 = a0;
        for (int32_t b = b0; b < b_end; b++) {
            _mm_prefetch((const char*)next + (int64_t)b * 128, _MM_HINT_T0);
            _mm_prefetch((const char*)next + (int64_t)b * 128 + 64, _MM_HINT_T0);
            const int8_t* xb = x + (int64_t)b * BN_I2S_BLOCK;
            const int64_t off = (int64_t)b * 32;
            BN_GEMV_STEP(w0 + off, a0, s0);
            BN_GEMV_STEP(w1 + off, a1, s1);
            BN_GEMV_STEP(w2 + off, a2, s2);
            BN_GEMV_STEP(w3 + off, a3, s3);
        }
        BN_GEMV_FLUSH(acc0, a0, s0);
        BN_GEMV_FLUSH(acc1, a1, s1);
        BN_GEMV_FLUSH(acc2, a2, s2);
        BN_GEMV_FLUSH(acc3, a3, s3);
    }
    dots[0] = bn_hsum_epi32_avx2(_mm256_srai_epi32(acc0, 2));
    dots[1] = bn_hsum_epi32_avx2(_mm256_srai_epi32(acc1, 2));
    dots[2] = bn_hsum_epi32_avx2(_mm256_srai_epi32(acc2, 2));
    dots[3] = bn_hsum_epi32_avx2(_mm256_srai_epi32(acc3, 2));
}

/* sum_j c_j x_j of one row (ranges of fewer than four rows). */
static int32_t gemv_row1(const uint8_t* w, const int8_t* x, int32_t n_blocks) {
    const __m256i m3 = _mm256_set1_epi8(3), mc = _mm256_set1_epi8(0x0c);
    const __m256i ones = _mm256_set1_epi16(1), fours = _mm256_set1_epi16(4);
    __m256i acc = _mm256_setzero_si256();
    for (int32_t b0 = 0; b0 < n_blocks; b0 += GEMV_BLOCKS_PER_FLUSH) {
        const int32_t b_end = n_blocks - b0 < GEMV_BLOCKS_PER_FLUSH ? n_blocks : b0 + GEMV_BLOCKS_PER_FLUSH;
        __m256i a0 = _mm256_setzero_si256(), s0 = a0;
        for (int32_t b = b0; b < b_end; b++) {
            const int8_t* xb = x + (int64_t)b * BN_I2S_BLOCK;
            BN_GEMV_STEP(w + (int64_t)b * 32, a0, s0);
        }
        BN_GEMV_FLUSH(acc, a0, s0);
    }
    return bn_hsum_epi32_avx2(_mm256_srai_epi32(acc, 2));
}

/* m = 1: groups of four rows share every activation load. The last group of a short range starts
 * earlier so it stays four rows wide (some rows are computed twice, with identical results). */
static void gemv(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t n_blocks = a->k / BN_I2S_BLOCK;
    const int32_t x_sum = bn_sum_i8_avx2(a->xq, a->k);
    const float scale = a->x_scales[0] * a->w_scale;
    /* Every row reads the whole activation vector again; when it is not 32-byte aligned, half of
     * those loads would cross a cache line (measured ~5 % slower), so a short one is copied first. */
    _Alignas(32) int8_t x_aligned[GEMV_ALIGN_MAX_K];
    const int8_t* x = a->xq;
    if (((uintptr_t)x & 31) != 0 && a->k <= GEMV_ALIGN_MAX_K) {
        memcpy(x_aligned, x, (size_t)a->k);
        x = x_aligned;
    }
    if (i_end - i_begin < 4) {
        for (int32_t i = i_begin; i < i_end; i++)
            a->y[i] = (float)(gemv_row1(a->w + (int64_t)i * a->row_bytes, x, n_blocks) - x_sum) * scale;
        return;
    }
    for (int32_t i = i_begin; i < i_end; i += 4) {
        const int32_t i0 = i + 4 <= i_end ? i : i_end - 4;
        const uint8_t* w = a->w + (int64_t)i0 * a->row_bytes;
        const uint8_t* next = i0 + 8 <= i_end ? w + 4 * a->row_bytes : w;
        int32_t dots[4];
        gemv_rows4(w, a->row_bytes, next, x, n_blocks, dots);
        for (int32_t r = 0; r < 4; r++) a->y[i0 + r] = (float)(dots[r] - x_sum) * scale;
    }
}

/* The eight sums of v[0..7], in that order. int32 adds wrap, but each true total fits, so the result
 * is exact whatever the grouping. */
static inline __m256i hsum8_epi32(const __m256i v[8]) {
    __m256i q0 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
    __m256i q1 = _mm256_hadd_epi32(_mm256_hadd_epi32(v[4], v[5]), _mm256_hadd_epi32(v[6], v[7]));
    /* q0 = [v0..v3 over low 128 bits | v0..v3 over high 128 bits], q1 likewise for v4..v7 */
    return _mm256_add_epi32(_mm256_permute2x128_si256(q0, q1, 0x20), _mm256_permute2x128_si256(q0, q1, 0x31));
}

/* dots[r] += sum_j c_j x_j of one weight row against R activation rows (k apart), over n_blocks <=
 * GEMM_BLOCKS_PER_FLUSH blocks: one int16 accumulator per activation row, no widening inside, so
 * the accumulators, the four code vectors and the mask fit the 16 registers. R is a compile-time
 * constant after inlining; the decode is shared by all R rows. */
static inline __attribute__((always_inline)) void gemm_row(const uint8_t* w, const int8_t* x, int64_t k,
                                                           int32_t n_blocks, const int R, int32_t* dots) {
    const __m256i mask = _mm256_set1_epi8(3);
    __m256i s[8];
    for (int r = 0; r < R; r++) s[r] = _mm256_setzero_si256();
    for (int32_t b = 0; b < n_blocks; b++) {
        const __m256i p = _mm256_loadu_si256((const __m256i*)(w + (int64_t)b * 32));
        const __m256i c0 = _mm256_and_si256(_mm256_srli_epi16(p, 6), mask);
        const __m256i c1 = _mm256_and_si256(_mm256_srli_epi16(p, 4), mask);
        const __m256i c2 = _mm256_and_si256(_mm256_srli_epi16(p, 2), mask);
        const __m256i c3 = _mm256_and_si256(p, mask);
        for (int r = 0; r < R; r++) {
            /* Added one product at a time, so only one temporary is live (eight rows give enough
             * independent chains to hide the add latency). */
            const int8_t* xb = x + r * k + (int64_t)b * BN_I2S_BLOCK;
            s[r] = _mm256_add_epi16(s[r], _mm256_maddubs_epi16(c0, _mm256_loadu_si256((const __m256i*)(xb + 0))));
            s[r] = _mm256_add_epi16(s[r], _mm256_maddubs_epi16(c1, _mm256_loadu_si256((const __m256i*)(xb + 32))));
            s[r] = _mm256_add_epi16(s[r], _mm256_maddubs_epi16(c2, _mm256_loadu_si256((const __m256i*)(xb + 64))));
            s[r] = _mm256_add_epi16(s[r], _mm256_maddubs_epi16(c3, _mm256_loadu_si256((const __m256i*)(xb + 96))));
        }
    }
    const __m256i ones = _mm256_set1_epi16(1);
    for (int r = 0; r < R; r++) s[r] = _mm256_madd_epi16(s[r], ones);
    if (R == 8) {
        _mm256_storeu_si256((__m256i*)dots,
                            _mm256_add_epi32(_mm256_loadu_si256((const __m256i*)dots), hsum8_epi32(s)));
    } else if (R == 4) {
        _mm_storeu_si128((__m128i*)dots, _mm_add_epi32(_mm_loadu_si128((const __m128i*)dots),
                                                       bn_hsum4_epi32_avx2(s[0], s[1], s[2], s[3])));
    } else {
        for (int r = 0; r < R; r++) dots[r] += bn_hsum_epi32_avx2(s[r]);
    }
}

/* Output rows [t0, t1) (at most ROW_TILE) for activation rows [r0, r0 + R), whose sums and scales are
 * x_sums[0..R) and scales[0..R). k is walked in chunks of GEMM_BLOCKS_PER_FLUSH blocks, so the R
 * activation rows of a chunk (R x 1 KB) stay in L1 while every weight row of the tile passes over
 * them; the int32 dots wait in a small array. */
static inline __attribute__((always_inline)) void gemm_tile(const bn_matmul_args* a, int32_t t0, int32_t t1,
                                                            int32_t r0, const int R, const int32_t* x_sums,
                                                            const float* scales) {
    const int32_t k = a->k, n_blocks = k / BN_I2S_BLOCK;
    const int8_t* x = a->xq + (int64_t)r0 * k;
    int32_t dots[ROW_TILE][8];
    for (int32_t i = 0; i < t1 - t0; i++)
        for (int r = 0; r < R; r++) dots[i][r] = -x_sums[r];
    for (int32_t c0 = 0; c0 < n_blocks; c0 += GEMM_BLOCKS_PER_FLUSH) {
        const int32_t cn = n_blocks - c0 < GEMM_BLOCKS_PER_FLUSH ? n_blocks - c0 : GEMM_BLOCKS_PER_FLUSH;
        for (int32_t i = t0; i < t1; i++)
            gemm_row(a->w + (int64_t)i * a->row_bytes + (int64_t)c0 * 32, x + (int64_t)c0 * BN_I2S_BLOCK, k, cn, R,
                     dots[i - t0]);
    }
    for (int32_t i = t0; i < t1; i++)
        for (int r = 0; r < R; r++) a->y[(int64_t)(r0 + r) * a->n + i] = (float)dots[i - t0][r] * scales[r];
}

/* m > 1: each weight row is decoded once per group of up to eight activation rows; weight rows go in
 * tiles that stay in cache while the activation groups pass. Activation sums and scales are computed
 * once per call for up to GEMM_ROW_BLOCK rows at a time. */
static void gemm(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    int32_t x_sums[GEMM_ROW_BLOCK];
    float scales[GEMM_ROW_BLOCK];
    for (int32_t rb0 = 0; rb0 < a->m; rb0 += GEMM_ROW_BLOCK) {
        const int32_t rb1 = a->m - rb0 < GEMM_ROW_BLOCK ? a->m : rb0 + GEMM_ROW_BLOCK;
        for (int32_t r = rb0; r < rb1; r++) {
            x_sums[r - rb0] = bn_sum_i8_avx2(a->xq + (int64_t)r * a->k, a->k);
            scales[r - rb0] = a->x_scales[r] * a->w_scale;
        }
        for (int32_t t0 = i_begin; t0 < i_end; t0 += ROW_TILE) {
            const int32_t t1 = i_end - t0 < ROW_TILE ? i_end : t0 + ROW_TILE;
            int32_t r0 = rb0;
            for (; r0 + 8 <= rb1; r0 += 8) gemm_tile(a, t0, t1, r0, 8, x_sums + (r0 - rb0), scales + (r0 - rb0));
            if (rb1 - r0 >= 4) {
                gemm_tile(a, t0, t1, r0, 4, x_sums + (r0 - rb0), scales + (r0 - rb0));
                r0 += 4;
            }
            if (rb1 - r0 >= 2) {
                gemm_tile(a, t0, t1, r0, 2, x_sums + (r0 - rb0), scales + (r0 - rb0));
                r0 += 2;
            }
            if (rb1 - r0 >= 1) gemm_tile(a, t0, t1, r0, 1, x_sums + (r0 - rb0), scales + (r0 - rb0));
        }
    }
}

void bn_matmul_i2s_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    if (i_begin >= i_end || a->m == 0) return;
    if (a->m == 1) gemv(a, i_begin, i_end);
    else gemm(a, i_begin, i_end);
}
