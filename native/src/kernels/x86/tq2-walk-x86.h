/* The walk the TQ2_0 x int8 kernels on x86 share (AVX2 and AVX-512 VNNI files alike), bit-exact with
 * bn_matmul_tq2_q8__ref: per 256-weight block the exact int32 dot, then sum = sum + (float)dot_b * d_b over the
 * blocks in order (one float lane per output, mul then add, never fused), then y = sum * (x_scales[r] * w_scale).
 * Codes c in {0,1,2} (w = c - 1) are multiplied unsigned by the signed activations; the block's activation sum,
 * computed once per call, is subtracted after the horizontal sum: dot_b = sum c x - sum x.
 *
 * The including file supplies the block arithmetic:
 *   tq2_block_dot(block, x)             int32 lanes of sum c x of one block (66 bytes: qs[64], fp16 d) against
 *                                       its 256 activations, for the m = 1 path where ALU throughput decides;
 *   tq2_block_dots4(block, x, b, part)  part[r]: the lanes of block b against activation rows x[0..3], the
 *                                       codes decoded once for the four. */
#ifndef BN_TQ2_WALK_X86_H
#define BN_TQ2_WALK_X86_H

#include "x86-common.h"
#include "../row-groups.h"

/* Blocks whose activation sums are kept on the stack at once. Longer rows are processed in chunks
 * of this many blocks; between chunks the running float sums wait in y (storing and reloading a
 * float is exact, so the per-block order of the reference is kept). */
#define TQ2_CHUNK 64
/* m > 1: weight rows kept hot in L1/L2 while every group of four activation rows passes over them. */
#define TQ2_ROW_TILE 32

/* Four weight rows (w[0..3], 66-byte blocks) against one activation row, blocks [0, nb): the running
 * sums of the four outputs advance block by block in the lanes of *sum. next, when not NULL, is the
 * next group of four rows, prefetched as one stream (four interleaved row streams alone: 3-4 GB/s
 * from DRAM on Zen 4). */
static inline __attribute__((always_inline)) void tq2_rows4(const uint8_t* const w[4], const int8_t* x,
                                                            const int32_t* bsum, int32_t nb, const uint8_t* next,
                                                            __m128* sum) {
    __m128 acc = *sum;
    for (int32_t b = 0; b < nb; b++) {
        const int64_t off = (int64_t)b * BN_TQ2_BLOCK_BYTES;
        const int8_t* xb = x + (int64_t)b * BN_TQ_BLOCK;
        if (next) bn_prefetch_bytes(next + 4 * off, 4 * BN_TQ2_BLOCK_BYTES);
        __m128i dot = bn_hsum4_epi32_avx2(tq2_block_dot(w[0] + off, xb), tq2_block_dot(w[1] + off, xb),
                                          tq2_block_dot(w[2] + off, xb), tq2_block_dot(w[3] + off, xb));
        dot = _mm_sub_epi32(dot, _mm_set1_epi32(bsum[b]));
        __m128 d = bn_fp16x4_to_ps(w[0] + off + 64, w[1] + off + 64, w[2] + off + 64, w[3] + off + 64);
        acc = _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(dot), d));
    }
    *sum = acc;
}

/* One weight row against four activation rows x[0..3] (k apart), blocks [0, nb): the code decode
 * is shared; bsum4[4 b + r] is block b's activation sum of row r. */
static inline void tq2_acts4(const uint8_t* w, const int8_t* const x[4], const int32_t* bsum4, int32_t nb,
                             __m128* sum) {
    __m128 acc = *sum;
    for (int32_t b = 0; b < nb; b++) {
        const uint8_t* block = w + (int64_t)b * BN_TQ2_BLOCK_BYTES;
        __m256i part[4];
        tq2_block_dots4(block, x, b, part);
        __m128i dot = bn_hsum4_epi32_avx2(part[0], part[1], part[2], part[3]);
        dot = _mm_sub_epi32(dot, _mm_loadu_si128((const __m128i*)(bsum4 + 4 * b)));
        acc = _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(dot), bn_fp16_to_ps_bcast(block + 64)));
    }
    *sum = acc;
}

/* m = 1: groups of four weight rows share every activation load. A short last group repeats its
 * last row (the extra lanes are computed and dropped), so there is one code path. */
static void tq2_matmul_x1(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t nb = a->k / BN_TQ_BLOCK;
    const float scale = a->x_scales[0] * a->w_scale;
    int32_t bsum[TQ2_CHUNK];
    for (int32_t c0 = 0; c0 == 0 || c0 < nb; c0 += TQ2_CHUNK) { /* k = 0 still writes y = 0 * scale */
        const int32_t cn = nb - c0 < TQ2_CHUNK ? nb - c0 : TQ2_CHUNK;
        const int last = c0 + cn == nb;
        const int8_t* x = a->xq + (int64_t)c0 * BN_TQ_BLOCK;
        bn_block_sums_256_avx2(x, cn, bsum);
        for (int32_t i = i_begin; i < i_end; i += 4) {
            const uint8_t* w[4];
            float part[4];
            const int32_t nr = bn_weight_group4(a, i, i_end, (int64_t)c0 * BN_TQ2_BLOCK_BYTES, w);
            bn_group_sums_load(a->y + i, 1, nr, c0 == 0, part);
            __m128 sum = _mm_loadu_ps(part);
            /* the next group of rows, contiguous when the rows are one chunk: one prefetched stream */
            const uint8_t* next = cn == nb && i + 8 <= i_end ? a->w + (int64_t)(i + 4) * a->row_bytes : NULL;
            tq2_rows4(w, x, bsum, cn, next, &sum);
            if (last) sum = _mm_mul_ps(sum, _mm_set1_ps(scale));
            _mm_storeu_ps(part, sum);
            bn_group_sums_store(a->y + i, 1, nr, part);
        }
    }
}

/* m > 1: each weight row's decode is shared by four activation rows (a short last group repeats its
 * last row); weight rows are visited in tiles so a tile stays in cache across activation groups. */
static void tq2_matmul_xm(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t nb = a->k / BN_TQ_BLOCK;
    int32_t bsum[4][TQ2_CHUNK], bsum4[4 * TQ2_CHUNK];
    for (int32_t c0 = 0; c0 == 0 || c0 < nb; c0 += TQ2_CHUNK) { /* k = 0 still writes y = 0 * scale */
        const int32_t cn = nb - c0 < TQ2_CHUNK ? nb - c0 : TQ2_CHUNK;
        const int last = c0 + cn == nb;
        for (int32_t t0 = i_begin; t0 < i_end; t0 += TQ2_ROW_TILE) {
            const int32_t t1 = i_end - t0 < TQ2_ROW_TILE ? i_end : t0 + TQ2_ROW_TILE;
            for (int32_t r0 = 0; r0 < a->m; r0 += 4) {
                const int8_t* x[4];
                float scale[4];
                const int32_t nr = bn_act_group4(a, r0, (int64_t)c0 * BN_TQ_BLOCK, a->w_scale, x, scale);
                for (int32_t r = 0; r < 4; r++) bn_block_sums_256_avx2(x[r], cn, bsum[r]);
                for (int32_t b = 0; b < cn; b++)
                    for (int32_t r = 0; r < 4; r++) bsum4[4 * b + r] = bsum[r][b];
                const __m128 vscale = _mm_loadu_ps(scale);
                for (int32_t i = t0; i < t1; i++) {
                    float part[4];
                    bn_group_sums_load(a->y + (int64_t)r0 * a->n + i, a->n, nr, c0 == 0, part);
                    __m128 sum = _mm_loadu_ps(part);
                    tq2_acts4(a->w + (int64_t)i * a->row_bytes + (int64_t)c0 * BN_TQ2_BLOCK_BYTES, x, bsum4, cn, &sum);
                    if (last) sum = _mm_mul_ps(sum, vscale);
                    _mm_storeu_ps(part, sum);
                    bn_group_sums_store(a->y + (int64_t)r0 * a->n + i, a->n, nr, part);
                }
            }
        }
    }
}

static inline void tq2_matmul(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    if (i_begin >= i_end || a->m == 0) return;
    if (a->m == 1) tq2_matmul_x1(a, i_begin, i_end);
    else tq2_matmul_xm(a, i_begin, i_end);
}

#endif
