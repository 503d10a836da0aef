/* Q8_0 matrix x int8 activation rows, AVX2 (the 8-bit output head).
 *
 * A 32-weight block's dot product is exact in both of the two paths:
 *  - fast (every activation of the row is > -128, which bn_quantize_q8 and bn_rmsnorm_q8 always
 *    produce since |x s| <= 127): vpmaddubsw on |w| (unsigned, <= 128) and x with w's sign
 *    (|.| <= 127), so a pair sum is at most 2 * 128 * 127 = 32512 and never saturates; vpmaddwd
 *    with ones then gives eight int32 lane sums of four products each;
 *  - exact for any int8 (a row holding -128, which would wrap when negated): both operands
 *    sign-extended to int16 and multiplied with vpmaddwd (products <= 2^14).
 * The int32 lane sums are converted to float and accumulated lane-wise times the block scale d_b;
 * the lanes are summed once per row. Four weight rows share each activation block. The path is
 * chosen per activation row, so a row's result does not depend on how the output rows are split
 * over threads. */
#include "x86-decode.h"

#include <string.h>

/* Activation rows whose -128 check is kept on the stack at once (m is a prompt batch at most). */
#define ROW_BLOCK 64

static inline __m256 bcast_f16(const uint8_t* p) {
    uint16_t h;
    memcpy(&h, p, sizeof h);
    return _mm256_broadcastss_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}

static inline __m256i block_dot_fast(const uint8_t* blk, __m256i x) {
    const __m256i w = _mm256_loadu_si256((const __m256i*)(blk + 2));
    const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
    return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

static inline __m256i block_dot_exact(const uint8_t* blk, __m256i xlo, __m256i xhi) {
    const __m256i wlo = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(blk + 2)));
    const __m256i whi = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(blk + 18)));
    return _mm256_add_epi32(_mm256_madd_epi16(wlo, xlo), _mm256_madd_epi16(whi, xhi));
}

/* The next group of four rows is contiguous with this one: prefetched as one sequential stream, two
 * lines per block step, one group ahead (four interleaved row streams alone keep the hardware
 * prefetchers at ~12 GB/s on Zen 3, 29-32 ms for the 2B-4T head; with this, ~18 GB/s, 19-20 ms;
 * two groups ahead measured the same).
 *
 * always_inline is load-bearing: as a plain static function GCC's pure-const pass finds it "const"
 * (__builtin_prefetch has no side effect it models) and deletes every call, so the kernel shipped
 * without a single prefetch instruction. Check with objdump -d ... | grep prefetch. */
static inline __attribute__((always_inline)) void prefetch_next(const uint8_t* next, int32_t b) {
    _mm_prefetch((const char*)next + (int64_t)b * 4 * BN_Q8_0_BLOCK_BYTES, _MM_HINT_T0);
    _mm_prefetch((const char*)next + (int64_t)b * 4 * BN_Q8_0_BLOCK_BYTES + 64, _MM_HINT_T0);
}

static inline __attribute__((always_inline)) void tile(const bn_matmul_args* a, int32_t i0, const int R, int32_t r,
                                                       int exact, const uint8_t* next) {
    const int32_t n_blocks = a->k / BN_Q8_0_BLOCK;
    const int8_t* x = a->xq + (int64_t)r * a->k;
    const uint8_t* w[4];
    __m256 acc[4];
    for (int i = 0; i < R; i++) {
        w[i] = a->w + (int64_t)(i0 + i) * a->row_bytes;
        acc[i] = _mm256_setzero_ps();
    }
    if (!exact) {
        for (int32_t b = 0; b < n_blocks; b++) {
            const __m256i xv = _mm256_loadu_si256((const __m256i*)(x + 32 * b));
            if (next) prefetch_next(next, b);
            for (int i = 0; i < R; i++) {
                const uint8_t* blk = w[i] + (int64_t)b * BN_Q8_0_BLOCK_BYTES;
                acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(block_dot_fast(blk, xv)), bcast_f16(blk), acc[i]);
            }
        }
    } else {
        for (int32_t b = 0; b < n_blocks; b++) {
            const __m256i xlo = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(x + 32 * b)));
            const __m256i xhi = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(x + 32 * b + 16)));
            if (next) prefetch_next(next, b);
            for (int i = 0; i < R; i++) {
                const uint8_t* blk = w[i] + (int64_t)b * BN_Q8_0_BLOCK_BYTES;
                acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(block_dot_exact(blk, xlo, xhi)), bcast_f16(blk), acc[i]);
            }
        }
    }
    for (int i = 0; i < R; i++) a->y[(int64_t)r * a->n + i0 + i] = bn_hsum_ps_avx2(acc[i]) * a->x_scales[r];
}

/* 1 if the row of k int8 values holds -128. */
static int has_min_int8(const int8_t* x, int32_t k) {
    const __m256i min = _mm256_set1_epi8(-128);
    __m256i any = _mm256_setzero_si256();
    int32_t j = 0;
    for (; j + 32 <= k; j += 32)
        any = _mm256_or_si256(any, _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i*)(x + j)), min));
    return !_mm256_testz_si256(any, any);
}

void bn_matmul_q8_0_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    uint8_t exact[ROW_BLOCK];
    for (int32_t r0 = 0; r0 < a->m; r0 += ROW_BLOCK) {
        const int32_t r1 = a->m - r0 < ROW_BLOCK ? a->m : r0 + ROW_BLOCK;
        for (int32_t r = r0; r < r1; r++) exact[r - r0] = (uint8_t)has_min_int8(a->xq + (int64_t)r * a->k, a->k);
        int32_t i = i_begin;
        /* token loop inside: a group's four rows (4 x 34 k / 32 bytes) stay in L1 across a batch, and
         * only the first token's pass prefetches the next group */
        for (; i + 4 <= i_end; i += 4) {
            const uint8_t* next = i + 8 <= i_end ? a->w + (int64_t)(i + 4) * a->row_bytes : NULL;
            for (int32_t r = r0; r < r1; r++) tile(a, i, 4, r, exact[r - r0], r == r0 ? next : NULL);
        }
        for (; i < i_end; i++)
            for (int32_t r = r0; r < r1; r++) tile(a, i, 1, r, exact[r - r0], NULL);
    }
}
