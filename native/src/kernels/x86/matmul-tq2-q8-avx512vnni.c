/* TQ2_0 x int8 matmul, AVX-512 VNNI (F/BW/VL/VNNI). Bit-exact with bn_matmul_tq2_q8__ref: per
 * 256-weight block the exact int32 dot, then sum = sum + (float)dot_b * d_b over the blocks in order
 * (one float lane per output, mul then add, never fused), then y = sum * (x_scales[r] * w_scale).
 *
 * vpdpbusd multiplies unsigned codes c in {0,1,2} (w = c - 1) by signed int8 activations, adding
 * groups of four products into int32 lanes; the block's activation sum (computed once per call) is
 * subtracted after the horizontal sum: dot_b = sum c x - sum x.
 *
 * Decode without rearranging activations: byte m of 32-byte half h holds the codes of activations
 * 128h + m + 32n at bits 2n..2n+1. The half is broadcast to both 256-bit halves of a zmm; with
 * t = p >> 4 (16-bit shift; the masks keep only bits that come from the same byte):
 *   z1 = p & [0x03 | 0x0C] = [c(m) | 4 c(m+32)]     pairs with x[128h + 0..64),
 *   z2 = t & [0x03 | 0x0C] = [c(m+64) | 4 c(m+96)]  pairs with x[128h + 64..128),
 * so activations are contiguous 64-byte loads. The high 256-bit half of an accumulator sums codes
 * scaled by 4 and is divided by 4 (exact: every term is a multiple of 4) before the horizontal sum.
 * Bounds: a block adds at most 16 products of |4 c x| <= 1536 to one lane; nothing comes close to
 * 2^31. */
#include "x86-common.h"

/* Blocks whose activation sums are kept on the stack at once; longer rows go in chunks, with the
 * running float sums waiting in y in between (a float store and reload is exact). */
#define KCHUNK 64
/* m > 1: weight rows kept hot in L1/L2 while every group of four activation rows passes over them. */
#define ROW_TILE 32

/* [0x03 x 32 | 0x0C x 32]: the decode masks of the low and high halves. */
static inline __m512i decode_mask(void) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi8(0x03)), _mm256_set1_epi8(0x0c), 1);
}

/* The eight int32 partial sums of sum c x of one block from its accumulator (high half / 4). */
static inline __m256i unscale(__m512i acc) {
    return _mm256_add_epi32(_mm512_castsi512_si256(acc), _mm256_srai_epi32(_mm512_extracti64x4_epi64(acc, 1), 2));
}

/* Lanes of sum c x over one block of one weight row against activations xb[0..256). */
static inline __m256i block_dot(const uint8_t* block, const int8_t* xb, __m512i mask) {
    __m512i acc = _mm512_setzero_si512();
    for (int h = 0; h < 2; h++) {
        __m512i p = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(block + 32 * h)));
        acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(p, mask), _mm512_loadu_si512((const void*)(xb + 128 * h)));
        acc = _mm512_dpbusd_epi32(acc, _mm512_and_si512(_mm512_srli_epi16(p, 4), mask),
                                  _mm512_loadu_si512((const void*)(xb + 128 * h + 64)));
    }
    return unscale(acc);
}

/* Four weight rows (w[0..3]) against one activation row, blocks [0, nb): the running sums of the
 * four outputs advance block by block in the lanes of *sum. next, when not NULL, is the next group of
 * four rows, prefetched as one stream (four interleaved row streams alone: 3-4 GB/s from DRAM on
 * Zen 4). */
static inline __attribute__((always_inline)) void rows4_x1(const uint8_t* const w[4], const int8_t* x,
                                                           const int32_t* bsum, int32_t nb, const uint8_t* next,
                                                           __m128* sum) {
    const __m512i mask = decode_mask();
    __m128 acc = *sum;
    for (int32_t b = 0; b < nb; b++) {
        const int64_t off = (int64_t)b * BN_TQ2_BLOCK_BYTES;
        const int8_t* xb = x + (int64_t)b * BN_TQ_BLOCK;
        if (next) bn_prefetch_bytes(next + 4 * off, 4 * BN_TQ2_BLOCK_BYTES);
        __m128i dot = bn_hsum4_epi32_avx2(block_dot(w[0] + off, xb, mask), block_dot(w[1] + off, xb, mask),
                                          block_dot(w[2] + off, xb, mask), block_dot(w[3] + off, xb, mask));
        dot = _mm_sub_epi32(dot, _mm_set1_epi32(bsum[b]));
        __m128 d = bn_fp16x4_to_ps(w[0] + off + 64, w[1] + off + 64, w[2] + off + 64, w[3] + off + 64);
        acc = _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(dot), d));
    }
    *sum = acc;
}

/* One weight row against four activation rows x[0..3], blocks [0, nb): the decode is shared;
 * bsum4[4 b + r] is block b's activation sum of row r. */
static inline void row1_x4(const uint8_t* w, const int8_t* const x[4], const int32_t* bsum4, int32_t nb,
                           __m128* sum) {
    const __m512i mask = decode_mask();
    __m128 acc = *sum;
    for (int32_t b = 0; b < nb; b++) {
        const uint8_t* block = w + (int64_t)b * BN_TQ2_BLOCK_BYTES;
        const __m512i p0 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)block));
        const __m512i p1 = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*)(block + 32)));
        const __m512i z[4] = {_mm512_and_si512(p0, mask), _mm512_and_si512(_mm512_srli_epi16(p0, 4), mask),
                              _mm512_and_si512(p1, mask), _mm512_and_si512(_mm512_srli_epi16(p1, 4), mask)};
        __m256i part[4];
        for (int r = 0; r < 4; r++) {
            const int8_t* xb = x[r] + (int64_t)b * BN_TQ_BLOCK;
            __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), z[0], _mm512_loadu_si512((const void*)xb));
            s = _mm512_dpbusd_epi32(s, z[1], _mm512_loadu_si512((const void*)(xb + 64)));
            s = _mm512_dpbusd_epi32(s, z[2], _mm512_loadu_si512((const void*)(xb + 128)));
            s = _mm512_dpbusd_epi32(s, z[3], _mm512_loadu_si512((const void*)(xb + 192)));
            part[r] = unscale(s);
        }
        __m128i dot = bn_hsum4_epi32_avx2(part[0], part[1], part[2], part[3]);
        dot = _mm_sub_epi32(dot, _mm_loadu_si128((const __m128i*)(bsum4 + 4 * b)));
        acc = _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(dot), bn_fp16_to_ps_bcast(block + 64)));
    }
    *sum = acc;
}

/* m = 1: groups of four weight rows share every activation load; a short last group repeats its
 * last row (the extra lanes are computed and dropped). */
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

void bn_matmul_tq2_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    if (i_begin >= i_end || a->m == 0) return;
    if (a->m == 1) matmul_x1(a, i_begin, i_end);
    else matmul_xm(a, i_begin, i_end);
}
