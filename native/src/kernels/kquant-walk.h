/* The walk every block-quantized x int8 kernel (Q4_K, Q5_K, Q6_K, Q2_0, Q2_0_G128, Q1_0) shares on every ISA:
 * which rows and blocks go together and the float epilogue of the references (ref/matmul-blocks-ref.h), so every
 * variant gives their bits. It is written once over a small vector vocabulary that kernels/x86/kquant-x86.h and
 * kernels/arm/kquant-arm.h map to their instructions (as ggml's simd-mappings do), and the format supplies the
 * block arithmetic (Q4_0 has kernels of its own: it sums its blocks in float lanes, with Q8_0's tolerance):
 *
 *   KQ_BLOCK, KQ_BLOCK_BYTES   weights and bytes per block
 *   KQ_GROUP                   activations per entry of the activation sums (16 or 32), or 0 for none
 *   KQ_D_AT, KQ_DMIN_AT        byte offsets of the fp16 d and dmin in a block (KQ_DMIN_AT -1: no min term)
 *   kq_block(w, R, x, xs, T, lanes, mlanes)
 *       for the R weight blocks w[0..R) and the T activation blocks x[0..T) (with their activation sums
 *       xs[t], KQ_BLOCK / KQ_GROUP of them) writes, for pair p = r * T + t, int32 lanes[p] summing to I_b
 *       and (with a min term) int32 mlanes[p] summing to M_b. Called with (R, T) = (1, 1) and (1, 4) as
 *       constants, so it unrolls into registers.
 * Each block b then adds t_b = (float)I_b * d_b (- (float)M_b * dmin_b), one rounding per operation, to the
 * running float sum in block order, and y = sum * x_scales[r].
 *
 * The ISA header provides, before including this file:
 *   kq_f4                      four floats; kq_f4_load / _store / _set1 / _add / _sub / _mul / _from_i4
 *   kq_acc                     a running float sum of one row (x86 keeps it in a vector's lane 0, as the loop
 *                              adds lanes of vectors to it); kq_acc_set(float), kq_acc_get(acc) and
 *                              kq_acc_add_lane(acc, v, q): acc + lane q (a constant) of v
 *   kq_lanes, kq_mlanes        what kq_block writes per pair; kq_isum4 / kq_msum4 (four pairs' lanes -> the
 *                              four exact sums, in pair order)
 *   kq_fp16x4, kq_fp16x1       four fp16 values (one per pointer) or one in all lanes, widened exactly
 *   kq_act_sums(x, count, group, out)
 *                              out[g] = sum of activations [group g, group (g + 1)) of x[0 .. count)
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
#ifndef BN_KQUANT_WALK_H
#define BN_KQUANT_WALK_H

#include "row-groups.h"

/* Weights per pass when the kernel needs activation sums (their stack array): every head and embedding width we
 * meet (2B-4T: 2560) is one pass. Without sums a row is always one pass. */
#define KQ_CHUNK_WEIGHTS 16384
#define KQ_CHUNK (KQ_GROUP > 0 ? KQ_CHUNK_WEIGHTS / KQ_BLOCK : INT32_MAX)
#define KQ_SUMS_CAPACITY (KQ_GROUP > 0 ? KQ_CHUNK_WEIGHTS / KQ_GROUP : 1)
#define KQ_ROW_TILE 32
#define KQ_SUMS_PER_BLOCK (KQ_BLOCK / (KQ_GROUP > 0 ? KQ_GROUP : KQ_BLOCK))
#define KQ_INLINE static inline __attribute__((always_inline))

/* sum + t_b for one block of four (weight row, activation row) pairs, as the reference computes it. */
KQ_INLINE kq_f4 kq_epilogue(const kq_lanes lanes[4], const kq_mlanes mlanes[4], kq_f4 d, kq_f4 dmin, kq_f4 sum) {
    kq_f4 t = kq_f4_mul(kq_f4_from_i4(kq_isum4(lanes)), d);
    if (KQ_DMIN_AT >= 0) t = kq_f4_sub(t, kq_f4_mul(kq_f4_from_i4(kq_msum4(mlanes)), dmin));
    (void)mlanes;
    (void)dmin;
    return kq_f4_add(sum, t);
}

/* Blocks [b, b + NQ) of row w against the activation row x (NQ = 1..4, a constant): their exact sums in one
 * reduction, then sum + t_b block by block, as the reference adds them. */
KQ_INLINE kq_acc kq_row_group(const uint8_t* w, const int8_t* x, const int16_t* xs, int32_t b, const int NQ,
                              kq_acc sum) {
    const uint8_t* wb[4];
    kq_lanes lanes[4];
    kq_mlanes mlanes[4];
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
    const kq_f4 d = kq_fp16x4(wb[0] + KQ_D_AT, wb[1] + KQ_D_AT, wb[2] + KQ_D_AT, wb[3] + KQ_D_AT);
    const kq_f4 dmin = KQ_DMIN_AT >= 0 ? kq_fp16x4(wb[0] + KQ_DMIN_AT, wb[1] + KQ_DMIN_AT, wb[2] + KQ_DMIN_AT,
                                                   wb[3] + KQ_DMIN_AT)
                                       : d;
    const kq_f4 t = kq_epilogue(lanes, mlanes, d, dmin, kq_f4_set1(0.0f));
    sum = kq_acc_add_lane(sum, t, 0);
    if (NQ > 1) sum = kq_acc_add_lane(sum, t, 1);
    if (NQ > 2) sum = kq_acc_add_lane(sum, t, 2);
    if (NQ > 3) sum = kq_acc_add_lane(sum, t, 3);
    return sum;
}

/* sum + t_b for the blocks [0, nb) of row w, in order. */
KQ_INLINE float kq_row(const uint8_t* w, const int8_t* x, const int16_t* xs, int32_t nb, float sum0) {
    kq_acc sum = kq_acc_set(sum0);
    int32_t b = 0;
    for (; b + 4 <= nb; b += 4) sum = kq_row_group(w, x, xs, b, 4, sum);
    switch (nb - b) {
    case 3: sum = kq_row_group(w, x, xs, b, 3, sum); break;
    case 2: sum = kq_row_group(w, x, xs, b, 2, sum); break;
    case 1: sum = kq_row_group(w, x, xs, b, 1, sum); break;
    default: break;
    }
    return kq_acc_get(sum);
}

/* One weight row w (at the chunk's first block) against four activation rows x[0..3], blocks [0, nb). */
KQ_INLINE kq_f4 kq_acts4(const uint8_t* w, const int8_t* const x[4], const int16_t* const xs[4], int32_t nb,
                         kq_f4 sum) {
    for (int32_t b = 0; b < nb; b++) {
        const uint8_t* wb[1] = {w + (int64_t)b * KQ_BLOCK_BYTES};
        const int8_t* xb[4];
        const int16_t* xsb[4];
        for (int t = 0; t < 4; t++) {
            xb[t] = x[t] + (int64_t)b * KQ_BLOCK;
            xsb[t] = xs[t] + (int64_t)b * KQ_SUMS_PER_BLOCK;
        }
        kq_lanes lanes[4];
        kq_mlanes mlanes[4];
        kq_block(wb, 1, xb, xsb, 4, lanes, mlanes);
        const kq_f4 d = kq_fp16x1(wb[0] + KQ_D_AT);
        const kq_f4 dmin = KQ_DMIN_AT >= 0 ? kq_fp16x1(wb[0] + KQ_DMIN_AT) : d;
        sum = kq_epilogue(lanes, mlanes, d, dmin, sum);
    }
    return sum;
}

/* m = 1: one row after another. */
KQ_INLINE void kq_gemv(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t nb = a->k / KQ_BLOCK;
    int16_t xs[KQ_SUMS_CAPACITY];
    for (int32_t c0 = 0; c0 == 0 || c0 < nb; c0 += KQ_CHUNK) { /* k = 0 still writes y = 0 * scale */
        const int32_t cn = nb - c0 < KQ_CHUNK ? nb - c0 : KQ_CHUNK;
        const int8_t* x = a->xq + (int64_t)c0 * KQ_BLOCK;
        if (KQ_GROUP > 0) kq_act_sums(x, cn * KQ_BLOCK, KQ_GROUP, xs);
        const int last = c0 + cn == nb;
        for (int32_t i = i_begin; i < i_end; i++) {
            const float sum = kq_row(a->w + (int64_t)i * a->row_bytes + (int64_t)c0 * KQ_BLOCK_BYTES, x, xs, cn,
                                     c0 > 0 ? a->y[i] : 0.0f);
            a->y[i] = last ? sum * a->x_scales[0] : sum;
        }
    }
}

/* m > 1: KQ_ROW_TILE weight rows at a time, each against groups of four activation rows. */
KQ_INLINE void kq_gemm(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t nb = a->k / KQ_BLOCK;
    int16_t xs[4][KQ_SUMS_CAPACITY];
    for (int32_t c0 = 0; c0 == 0 || c0 < nb; c0 += KQ_CHUNK) {
        const int32_t cn = nb - c0 < KQ_CHUNK ? nb - c0 : KQ_CHUNK;
        const int last = c0 + cn == nb;
        for (int32_t t0 = i_begin; t0 < i_end; t0 += KQ_ROW_TILE) {
            const int32_t t1 = i_end - t0 < KQ_ROW_TILE ? i_end : t0 + KQ_ROW_TILE;
            for (int32_t r0 = 0; r0 < a->m; r0 += 4) {
                const int8_t* x[4];
                const int16_t* xsp[4];
                float scale[4];
                const int32_t nr = bn_act_group4(a, r0, (int64_t)c0 * KQ_BLOCK, 1.0f, x, scale);
                for (int32_t t = 0; t < 4; t++) {
                    if (KQ_GROUP > 0) kq_act_sums(x[t], cn * KQ_BLOCK, KQ_GROUP, xs[t]);
                    xsp[t] = xs[t];
                }
                const kq_f4 vscale = kq_f4_load(scale);
                for (int32_t i = t0; i < t1; i++) {
                    float part[4];
                    bn_group_sums_load(a->y + (int64_t)r0 * a->n + i, a->n, nr, c0 == 0, part);
                    kq_f4 sum = kq_acts4(a->w + (int64_t)i * a->row_bytes + (int64_t)c0 * KQ_BLOCK_BYTES, x, xsp, cn,
                                         kq_f4_load(part));
                    if (last) sum = kq_f4_mul(sum, vscale);
                    kq_f4_store(part, sum);
                    bn_group_sums_store(a->y + (int64_t)r0 * a->n + i, a->n, nr, part);
                }
            }
        }
    }
}

KQ_INLINE void kq_matmul(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    if (i_begin >= i_end || a->m == 0) return;
    if (a->m == 1) kq_gemv(a, i_begin, i_end);
    else kq_gemm(a, i_begin, i_end);
}

#endif
