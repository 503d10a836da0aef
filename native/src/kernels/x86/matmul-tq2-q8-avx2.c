/* TQ2_0 x int8 matmul, AVX2. Bit-exact with bn_matmul_tq2_q8__ref: per 256-weight block the exact
 * int32 dot, then sum = sum + (float)dot_b * d_b over the blocks in order (one float lane per output,
 * mul then add, never fused), then y = sum * (x_scales[r] * w_scale).
 *
 * Layout (llama.cpp TQ2_0): block = qs[64] + fp16 d (66 bytes, so rows and blocks are unaligned).
 * Byte m of 32-byte half h holds the codes of weights 128h + m + 32n at bits 2n..2n+1, so
 * (qs >> 2n) & 3 is a 32-byte vector of codes in activation order for activations 128h + 32n.
 * Codes c in {0,1,2} (w = c - 1) multiply unsigned-by-signed with maddubs; the block's activation
 * sum, computed once per call, is subtracted after the horizontal sum: dot_b = sum c x - sum x.
 *
 * Overflow bounds (any code 0..3, any int8 including -128): a maddubs lane is c0 x0 + c1 x1 with
 * |.| <= 2 * 3 * 128 = 768 (no saturation); one block adds eight of them per int16 lane (6144).
 * Every block is widened to int32 on its own, since each needs its own exact dot. */
#include "x86-common.h"

/* Blocks whose activation sums are kept on the stack at once. Longer rows are processed in chunks
 * of this many blocks; between chunks the running float sums wait in y (storing and reloading a
 * float is exact, so the per-block order of the reference is kept). */
#define KCHUNK 64
/* m > 1: weight rows kept hot in L1/L2 while every group of four activation rows passes over them. */
#define ROW_TILE 32

/* int32 lanes of sum_j c_j x_j over one whole block, for the m = 1 path where ALU throughput decides.
 * One shift and four ands per half instead of three and four: with t = qs >> 4 (16-bit shift; the
 * masks keep only bits from the same byte), qs & 3 = c(m), qs & 0x0C = 4 c(m+32), t & 3 = c(m+64),
 * t & 0x0C = 4 c(m+96). The unscaled products go to a, the scaled ones to s4, whose lanes are
 * multiples of 4 (|s4| <= 4 * 3072, |a| <= 3072 per block), so a + (s4 >> 2) is exact and fits. */
static inline __m256i block_dot32(const uint8_t* block, const int8_t* x) {
    const __m256i m3 = _mm256_set1_epi8(3), mc = _mm256_set1_epi8(0x0c);
    __m256i a = _mm256_setzero_si256(), s4 = a;
    for (int h = 0; h < 2; h++) {
        const __m256i p = _mm256_loadu_si256((const __m256i*)(block + 32 * h));
        const __m256i t = _mm256_srli_epi16(p, 4);
        const int8_t* xh = x + 128 * h;
        a = _mm256_add_epi16(a, _mm256_maddubs_epi16(_mm256_and_si256(p, m3), _mm256_loadu_si256((const __m256i*)xh)));
        s4 = _mm256_add_epi16(s4, _mm256_maddubs_epi16(_mm256_and_si256(p, mc),
                                                        _mm256_loadu_si256((const __m256i*)(xh + 32))));
        a = _mm256_add_epi16(a, _mm256_maddubs_epi16(_mm256_and_si256(t, m3),
                                                      _mm256_loadu_si256((const __m256i*)(xh + 64))));
        s4 = _mm256_add_epi16(s4, _mm256_maddubs_epi16(_mm256_and_si256(t, mc),
                                                        _mm256_loadu_si256((const __m256i*)(xh + 96))));
    }
    return _mm256_madd_epi16(_mm256_add_epi16(a, _mm256_srai_epi16(s4, 2)), _mm256_set1_epi16(1));
}

/* Four weight rows (w[0..3], 66-byte blocks) against one activation row, blocks [0, nb): the running
 * sums of the four outputs advance block by block in the lanes of *sum. next, when not NULL, is the
 * next group of four rows, prefetched as one stream (four interleaved row streams alone: 3-4 GB/s
 * from DRAM on Zen 4). */
static inline __attribute__((always_inline)) void rows4_x1(const uint8_t* const w[4], const int8_t* x,
                                                           const int32_t* bsum, int32_t nb, const uint8_t* next,
                                                           __m128* sum) {
    __m128 acc = *sum;
    for (int32_t b = 0; b < nb; b++) {
        const int64_t off = (int64_t)b * BN_TQ2_BLOCK_BYTES;
        const int8_t* xb = x + (int64_t)b * BN_TQ_BLOCK;
        if (next) bn_prefetch_bytes(next + 4 * off, 4 * BN_TQ2_BLOCK_BYTES);
        __m128i dot = bn_hsum4_epi32_avx2(block_dot32(w[0] + off, xb), block_dot32(w[1] + off, xb),
                                          block_dot32(w[2] + off, xb), block_dot32(w[3] + off, xb));
        dot = _mm_sub_epi32(dot, _mm_set1_epi32(bsum[b]));
        __m128 d = bn_fp16x4_to_ps(w[0] + off + 64, w[1] + off + 64, w[2] + off + 64, w[3] + off + 64);
        acc = _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(dot), d));
    }
    *sum = acc;
}

/* One weight row against four activation rows x[0..3] (k apart), blocks [0, nb): the code decode
 * is shared; bsum4[4 b + r] is block b's activation sum of row r. */
static inline void row1_x4(const uint8_t* w, const int8_t* const x[4], const int32_t* bsum4, int32_t nb,
                           __m128* sum) {
    const __m256i mask = _mm256_set1_epi8(3), ones16 = _mm256_set1_epi16(1);
    __m128 acc = *sum;
    for (int32_t b = 0; b < nb; b++) {
        const uint8_t* block = w + (int64_t)b * BN_TQ2_BLOCK_BYTES;
        __m256i s[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                        _mm256_setzero_si256()};
        for (int h = 0; h < 2; h++) {
            __m256i packed = _mm256_loadu_si256((const __m256i*)(block + 32 * h));
            __m256i c[4] = {_mm256_and_si256(packed, mask), _mm256_and_si256(_mm256_srli_epi16(packed, 2), mask),
                            _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask),
                            _mm256_and_si256(_mm256_srli_epi16(packed, 6), mask)};
            for (int r = 0; r < 4; r++) {
                const int8_t* xh = x[r] + (int64_t)b * BN_TQ_BLOCK + 128 * h;
                __m256i p0 = _mm256_maddubs_epi16(c[0], _mm256_loadu_si256((const __m256i*)(xh + 0)));
                __m256i p1 = _mm256_maddubs_epi16(c[1], _mm256_loadu_si256((const __m256i*)(xh + 32)));
                __m256i p2 = _mm256_maddubs_epi16(c[2], _mm256_loadu_si256((const __m256i*)(xh + 64)));
                __m256i p3 = _mm256_maddubs_epi16(c[3], _mm256_loadu_si256((const __m256i*)(xh + 96)));
                s[r] = _mm256_add_epi16(s[r], _mm256_add_epi16(_mm256_add_epi16(p0, p1), _mm256_add_epi16(p2, p3)));
            }
        }
        __m128i dot = bn_hsum4_epi32_avx2(_mm256_madd_epi16(s[0], ones16), _mm256_madd_epi16(s[1], ones16),
                                          _mm256_madd_epi16(s[2], ones16), _mm256_madd_epi16(s[3], ones16));
        dot = _mm_sub_epi32(dot, _mm_loadu_si128((const __m128i*)(bsum4 + 4 * b)));
        const __m128 d = bn_fp16_to_ps_bcast(block + 64);
        acc = _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(dot), d));
    }
    *sum = acc;
}

/* m = 1: groups of four weight rows share every activation load. A short last group repeats its
 * last row (the extra lanes are computed and dropped), so there is one code path. */
static void matmul_x1(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t nb = a->k / BN_TQ_BLOCK;
    const float scale = a->x_scales[0] * a->w_scale;
    int32_t bsum[KCHUNK];
    for (int32_t c0 = 0; c0 == 0 || c0 < nb; c0 += KCHUNK) { /* k = 0 still writes y = 0 * scale */
        const int32_t cn = nb - c0 < KCHUNK ? nb - c0 : KCHUNK;
        const int last = c0 + cn == nb;
        const int8_t* x = a->xq + (int64_t)c0 * BN_TQ_BLOCK;
        bn_block_sums_256_avx2(x, cn, bsum);
        for (int32_t i = i_begin; i < i_end; i += 4) {
            const int32_t nr = i_end - i < 4 ? i_end - i : 4;
            const uint8_t* w[4];
            float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            for (int32_t r = 0; r < 4; r++)
                w[r] = a->w + (int64_t)(i + (r < nr ? r : nr - 1)) * a->row_bytes + (int64_t)c0 * BN_TQ2_BLOCK_BYTES;
            if (c0 > 0)
                for (int32_t r = 0; r < nr; r++) part[r] = a->y[i + r];
            __m128 sum = _mm_loadu_ps(part);
            /* the next group of rows, contiguous when the rows are one chunk: one prefetched stream */
            const uint8_t* next = cn == nb && i + 8 <= i_end ? a->w + (int64_t)(i + 4) * a->row_bytes : NULL;
            rows4_x1(w, x, bsum, cn, next, &sum);
            if (last) sum = _mm_mul_ps(sum, _mm_set1_ps(scale));
            _mm_storeu_ps(part, sum);
            for (int32_t r = 0; r < nr; r++) a->y[i + r] = part[r];
        }
    }
}

/* m > 1: each weight row's decode is shared by four activation rows (a short last group repeats its
 * last row); weight rows are visited in tiles so a tile stays in cache across activation groups. */
static void matmul_xm(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t nb = a->k / BN_TQ_BLOCK;
    int32_t bsum[4][KCHUNK], bsum4[4 * KCHUNK];
    for (int32_t c0 = 0; c0 == 0 || c0 < nb; c0 += KCHUNK) { /* k = 0 still writes y = 0 * scale */
        const int32_t cn = nb - c0 < KCHUNK ? nb - c0 : KCHUNK;
        const int last = c0 + cn == nb;
        for (int32_t t0 = i_begin; t0 < i_end; t0 += ROW_TILE) {
            const int32_t t1 = i_end - t0 < ROW_TILE ? i_end : t0 + ROW_TILE;
            for (int32_t r0 = 0; r0 < a->m; r0 += 4) {
                const int32_t nr = a->m - r0 < 4 ? a->m - r0 : 4;
                const int8_t* x[4];
                float scale[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                for (int32_t r = 0; r < 4; r++) {
                    const int32_t rr = r0 + (r < nr ? r : nr - 1);
                    x[r] = a->xq + (int64_t)rr * a->k + (int64_t)c0 * BN_TQ_BLOCK;
                    scale[r] = a->x_scales[rr] * a->w_scale;
                }
                for (int32_t r = 0; r < 4; r++) bn_block_sums_256_avx2(x[r], cn, bsum[r]);
                for (int32_t b = 0; b < cn; b++)
                    for (int32_t r = 0; r < 4; r++) bsum4[4 * b + r] = bsum[r][b];
                const __m128 vscale = _mm_loadu_ps(scale);
                for (int32_t i = t0; i < t1; i++) {
                    float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                    if (c0 > 0)
                        for (int32_t r = 0; r < nr; r++) part[r] = a->y[(int64_t)(r0 + r) * a->n + i];
                    __m128 sum = _mm_loadu_ps(part);
                    row1_x4(a->w + (int64_t)i * a->row_bytes + (int64_t)c0 * BN_TQ2_BLOCK_BYTES, x, bsum4, cn, &sum);
                    if (last) sum = _mm_mul_ps(sum, vscale);
                    _mm_storeu_ps(part, sum);
                    for (int32_t r = 0; r < nr; r++) a->y[(int64_t)(r0 + r) * a->n + i] = part[r];
                }
            }
        }
    }
}

void bn_matmul_tq2_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    if (i_begin >= i_end || a->m == 0) return;
    if (a->m == 1) matmul_x1(a, i_begin, i_end);
    else matmul_xm(a, i_begin, i_end);
}
