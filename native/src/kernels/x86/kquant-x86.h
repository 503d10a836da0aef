/* The walk every Q4_0 / Q4_K / Q5_K / Q6_K x int8 kernel on x86 shares (AVX2 and AVX-512 files alike):
 * which rows and blocks go together, the exact reduction of each block to its integer sums and the float
 * epilogue of the references (matmul-q*-q8-ref.c), so every variant gives their bits. The including file
 * defines the block geometry before including this header and the block arithmetic after it:
 *
 *   KQ_BLOCK, KQ_BLOCK_BYTES   weights and bytes per block
 *   KQ_GROUP                   activations per entry of the activation sums (16 or 32), or 0 for none
 *   KQ_D_AT, KQ_DMIN_AT        byte offsets of the fp16 d and dmin in a block (KQ_DMIN_AT -1: no min term)
 *   kq_block(w, R, x, xs, T, lanes, mlanes)
 *       for the R weight blocks w[0..R) and the T activation blocks x[0..T) (with their activation sums
 *       xs[t], KQ_BLOCK / KQ_GROUP of them) writes, for pair p = r * T + t, eight int32 lanes[p] summing
 *       to I_b and (with a min term) four int32 mlanes[p] summing to M_b. Called with (R, T) = (1, 1) and
 *       (1, 4) as constants, so it unrolls into registers.
 *
 * m = 1 (decoding: a head streams from DRAM): one row after another, so the matrix is one sequential
 * stream the hardware prefetchers follow; four consecutive blocks of the row share one reduction. Measured
 * on Zen 4 (Q6_K, the 2B-4T head, alternating runs): rows side by side lose the hardware prefetchers (two
 * rows: ~6 GB/s; four rows with the next group software-prefetched: 14-19 GB/s, its prefetches spread one
 * line per vector step, bursts were worse) while one row at a time streams at 19-22 GB/s, at the price of
 * ~15 % of the cache-resident rate. m > 1 (a prompt batch, rarely the head): tiles of KQ_ROW_TILE weight
 * rows stay in cache while groups of four activation rows pass over them, and each weight block is decoded
 * once per four activation rows. A short group repeats its last row; the extra results are computed and
 * dropped.
 *
 * Rows longer than KQ_CHUNK_WEIGHTS go in chunks whose activation sums fit on the stack; the running float
 * sums wait in y in between (a float store and reload is exact). */
#ifndef BN_KQUANT_X86_H
#define BN_KQUANT_X86_H

#include "x86-common.h"

/* Constant vectors of the kernels live in static tables (one load, or a memory operand): built from
 * set1 / insert they were rematerialized for every block (movabs, broadcast, insert). KQ_R8(...) ...
 * KQ_R32(...): the arguments repeated. */
#define KQ_R8(...) __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__
#define KQ_R16(...) KQ_R8(__VA_ARGS__), KQ_R8(__VA_ARGS__)
#define KQ_R32(...) KQ_R16(__VA_ARGS__), KQ_R16(__VA_ARGS__)

/* The kernel file's block arithmetic (see above), defined after this header. */
static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes);

/* Weights per pass when the kernel needs activation sums (their stack array): every head and embedding
 * width we meet (2B-4T: 2560) is one pass. Without sums a row is always one pass. */
#define KQ_CHUNK_WEIGHTS 16384
#define KQ_CHUNK (KQ_GROUP > 0 ? KQ_CHUNK_WEIGHTS / KQ_BLOCK : INT32_MAX)
#define KQ_SUMS_CAPACITY (KQ_GROUP > 0 ? KQ_CHUNK_WEIGHTS / KQ_GROUP : 1)
#define KQ_ROW_TILE 32
#define KQ_SUMS_PER_BLOCK (KQ_BLOCK / (KQ_GROUP > 0 ? KQ_GROUP : KQ_BLOCK))

/* out[g] = sum of activations [KQ_GROUP g, KQ_GROUP (g + 1)) of x[0 .. count); count a multiple of 32.
 * vpsadbw sums eight bytes of x + 128 (as unsigned) into a 64-bit lane; |out| <= 32 * 128 fits int16. */
static inline void kq_act_sums(const int8_t* x, int32_t count, int16_t* out) {
    if (KQ_GROUP == 0) return;
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    for (int32_t j = 0; j < count; j += 32) {
        const __m256i v = _mm256_xor_si256(_mm256_loadu_si256((const __m256i*)(x + j)), bias);
        __m256i s = _mm256_sad_epu8(v, _mm256_setzero_si256());
        s = _mm256_add_epi64(s, _mm256_srli_si256(s, 8)); /* 16-byte sums in lanes 0 and 2 */
        const int32_t lo = _mm_cvtsi128_si32(_mm256_castsi256_si128(s)) - 16 * 128;
        const int32_t hi = _mm_cvtsi128_si32(_mm256_extracti128_si256(s, 1)) - 16 * 128;
        if (KQ_GROUP == 16) {
            out[j / 16] = (int16_t)lo;
            out[j / 16 + 1] = (int16_t)hi;
        } else {
            out[j / 32] = (int16_t)(lo + hi);
        }
    }
}

/* The four sums of four 128-bit vectors, in order. */
static inline __m128i kq_hsum4_128(__m128i a, __m128i b, __m128i c, __m128i d) {
    return _mm_hadd_epi32(_mm_hadd_epi32(a, b), _mm_hadd_epi32(c, d));
}

/* sum + t_b for one block of four (weight row, activation row) pairs: lanes reduced to the exact I_b (and
 * M_b), then t_b = (float)I_b * d (- (float)M_b * dmin), one rounding per operation as in the reference. */
static inline __attribute__((always_inline)) __m128 kq_epilogue(const __m256i lanes[4], const __m128i mlanes[4],
                                                                __m128 d, __m128 dmin, __m128 sum) {
    const __m128i isum = bn_hsum4_epi32_avx2(lanes[0], lanes[1], lanes[2], lanes[3]);
    __m128 t = _mm_mul_ps(_mm_cvtepi32_ps(isum), d);
    if (KQ_DMIN_AT >= 0) {
        const __m128i msum = kq_hsum4_128(mlanes[0], mlanes[1], mlanes[2], mlanes[3]);
        t = _mm_sub_ps(t, _mm_mul_ps(_mm_cvtepi32_ps(msum), dmin));
    }
    (void)dmin;
    return _mm_add_ps(sum, t);
}

/* Blocks [b, b + NQ) of row w against the activation row x (NQ = 1..4, a constant): their exact sums in one
 * reduction, then acc = acc + t_b block by block in lane 0, as the reference adds them. */
static inline __attribute__((always_inline)) __m128 kq_row_group(const uint8_t* w, const int8_t* x, const int16_t* xs,
                                                                int32_t b, const int NQ, __m128 acc) {
    const uint8_t* wb[4];
    __m256i lanes[4];
    __m128i mlanes[4];
#pragma GCC unroll 4 /* the four blocks' lanes stay in registers (a loop kept them on the stack) */
    for (int q = 0; q < NQ; q++) {
        wb[q] = w + (int64_t)(b + q) * KQ_BLOCK_BYTES;
        const int8_t* xb = x + (int64_t)(b + q) * KQ_BLOCK;
        const int16_t* xsb = xs + (int64_t)(b + q) * KQ_SUMS_PER_BLOCK;
        kq_block(&wb[q], 1, &xb, &xsb, 1, &lanes[q], &mlanes[q]);
    }
    for (int q = NQ; q < 4; q++) { /* lanes past the group: copies, reduced and dropped */
        wb[q] = wb[0];
        lanes[q] = lanes[0];
        mlanes[q] = mlanes[0];
    }
    const __m128 d = bn_fp16x4_to_ps(wb[0] + KQ_D_AT, wb[1] + KQ_D_AT, wb[2] + KQ_D_AT, wb[3] + KQ_D_AT);
    const __m128 dmin = KQ_DMIN_AT >= 0 ? bn_fp16x4_to_ps(wb[0] + KQ_DMIN_AT, wb[1] + KQ_DMIN_AT, wb[2] + KQ_DMIN_AT,
                                                          wb[3] + KQ_DMIN_AT)
                                        : d;
    const __m128 t = kq_epilogue(lanes, mlanes, d, dmin, _mm_setzero_ps());
    acc = _mm_add_ss(acc, t);
    if (NQ > 1) acc = _mm_add_ss(acc, _mm_shuffle_ps(t, t, 1));
    if (NQ > 2) acc = _mm_add_ss(acc, _mm_shuffle_ps(t, t, 2));
    if (NQ > 3) acc = _mm_add_ss(acc, _mm_shuffle_ps(t, t, 3));
    return acc;
}

/* sum + t_b for the blocks [0, nb) of row w, in order. */
static inline __attribute__((always_inline)) float kq_row(const uint8_t* w, const int8_t* x, const int16_t* xs, int32_t nb,
                                                          float sum) {
    __m128 acc = _mm_set_ss(sum);
    int32_t b = 0;
    for (; b + 4 <= nb; b += 4) acc = kq_row_group(w, x, xs, b, 4, acc);
    switch (nb - b) {
    case 3: acc = kq_row_group(w, x, xs, b, 3, acc); break;
    case 2: acc = kq_row_group(w, x, xs, b, 2, acc); break;
    case 1: acc = kq_row_group(w, x, xs, b, 1, acc); break;
    default: break;
    }
    return _mm_cvtss_f32(acc);
}

/* One weight row w (at the chunk's first block) against four activation rows x[0..3], blocks [0, nb). */
static inline __attribute__((always_inline)) __m128 kq_acts4(const uint8_t* w, const int8_t* const x[4],
                                                             const int16_t* const xs[4], int32_t nb, __m128 sum) {
    for (int32_t b = 0; b < nb; b++) {
        const uint8_t* wb[1] = {w + (int64_t)b * KQ_BLOCK_BYTES};
        const int8_t* xb[4];
        const int16_t* xsb[4];
        for (int t = 0; t < 4; t++) {
            xb[t] = x[t] + (int64_t)b * KQ_BLOCK;
            xsb[t] = xs[t] + (int64_t)b * KQ_SUMS_PER_BLOCK;
        }
        __m256i lanes[4];
        __m128i mlanes[4];
        kq_block(wb, 1, xb, xsb, 4, lanes, mlanes);
        const __m128 d = bn_fp16_to_ps_bcast(wb[0] + KQ_D_AT);
        const __m128 dmin = KQ_DMIN_AT >= 0 ? bn_fp16_to_ps_bcast(wb[0] + KQ_DMIN_AT) : d;
        sum = kq_epilogue(lanes, mlanes, d, dmin, sum);
    }
    return sum;
}

/* m = 1: one row after another. */
static inline __attribute__((always_inline)) void kq_gemv(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t nb = a->k / KQ_BLOCK;
    int16_t xs[KQ_SUMS_CAPACITY];
    for (int32_t c0 = 0; c0 == 0 || c0 < nb; c0 += KQ_CHUNK) { /* k = 0 still writes y = 0 * scale */
        const int32_t cn = nb - c0 < KQ_CHUNK ? nb - c0 : KQ_CHUNK;
        const int8_t* x = a->xq + (int64_t)c0 * KQ_BLOCK;
        kq_act_sums(x, cn * KQ_BLOCK, xs);
        const int last = c0 + cn == nb;
        for (int32_t i = i_begin; i < i_end; i++) {
            const float sum = kq_row(a->w + (int64_t)i * a->row_bytes + (int64_t)c0 * KQ_BLOCK_BYTES, x, xs, cn,
                                     c0 > 0 ? a->y[i] : 0.0f);
            a->y[i] = last ? sum * a->x_scales[0] : sum;
        }
    }
}

/* m > 1: KQ_ROW_TILE weight rows at a time, each against groups of four activation rows. */
static inline __attribute__((always_inline)) void kq_gemm(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t nb = a->k / KQ_BLOCK;
    int16_t xs[4][KQ_SUMS_CAPACITY];
    for (int32_t c0 = 0; c0 == 0 || c0 < nb; c0 += KQ_CHUNK) {
        const int32_t cn = nb - c0 < KQ_CHUNK ? nb - c0 : KQ_CHUNK;
        const int last = c0 + cn == nb;
        for (int32_t t0 = i_begin; t0 < i_end; t0 += KQ_ROW_TILE) {
            const int32_t t1 = i_end - t0 < KQ_ROW_TILE ? i_end : t0 + KQ_ROW_TILE;
            for (int32_t r0 = 0; r0 < a->m; r0 += 4) {
                const int32_t nr = a->m - r0 < 4 ? a->m - r0 : 4;
                const int8_t* x[4];
                const int16_t* xsp[4];
                float scale[4];
                for (int32_t t = 0; t < 4; t++) {
                    const int32_t rr = r0 + (t < nr ? t : nr - 1);
                    x[t] = a->xq + (int64_t)rr * a->k + (int64_t)c0 * KQ_BLOCK;
                    scale[t] = a->x_scales[rr];
                    kq_act_sums(x[t], cn * KQ_BLOCK, xs[t]);
                    xsp[t] = xs[t];
                }
                const __m128 vscale = _mm_loadu_ps(scale);
                for (int32_t i = t0; i < t1; i++) {
                    float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                    if (c0 > 0)
                        for (int32_t t = 0; t < nr; t++) part[t] = a->y[(int64_t)(r0 + t) * a->n + i];
                    __m128 sum = kq_acts4(a->w + (int64_t)i * a->row_bytes + (int64_t)c0 * KQ_BLOCK_BYTES, x, xsp, cn,
                                          _mm_loadu_ps(part));
                    if (last) sum = _mm_mul_ps(sum, vscale);
                    _mm_storeu_ps(part, sum);
                    for (int32_t t = 0; t < nr; t++) a->y[(int64_t)(r0 + t) * a->n + i] = part[t];
                }
            }
        }
    }
}

static inline __attribute__((always_inline)) void kq_matmul(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    if (i_begin >= i_end || a->m == 0) return;
    if (a->m == 1) kq_gemv(a, i_begin, i_end);
    else kq_gemm(a, i_begin, i_end);
}

#endif
