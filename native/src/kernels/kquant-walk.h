/* The walk every block-quantized x int8 kernel (Q4_0, Q4_K, Q5_K, Q6_K, Q2_0, Q2_0_G128, Q1_0) shares on every
 * ISA: which rows and blocks go together, the prefetches, and the float epilogue of the references
 * (ref/matmul-blocks-ref.h), so every variant gives their bits. It is written once over a small vector
 * vocabulary that kernels/x86/kquant-x86.h and kernels/arm/kquant-arm.h map to their instructions (as ggml's
 * simd-mappings do), and the format supplies the block arithmetic:
 *
 *   KQ_BLOCK, KQ_BLOCK_BYTES   weights and bytes per block
 *   KQ_GROUP                   activations per entry of the activation sums (16 or 32), or 0 for none
 *   KQ_D_AT, KQ_DMIN_AT        byte offsets of the fp16 d and dmin in a block (KQ_DMIN_AT -1: no min term)
 *   kq_block(w, R, x, xs, T, lanes, mlanes)
 *       for the R weight blocks w[0..R) and the T activation blocks x[0..T) (with their activation sums
 *       xs[t], KQ_BLOCK / KQ_GROUP of them) writes, for pair p = r * T + t, int32 lanes[p] summing to I_b
 *       and (with a min term) int32 mlanes[p] summing to M_b. Called with (R, T) = (4, 1) and (1, 4) as
 *       constants, so it unrolls into registers.
 * Each block b then adds t_b = (float)I_b * d_b (- (float)M_b * dmin_b), one rounding per operation, to the
 * running float sum in block order, and y = sum * x_scales[r].
 *
 * The ISA header provides, before including this file:
 *   kq_f4                      four floats; kq_f4_load / _store / _set1 / _add / _sub / _mul / _from_i4
 *   kq_lanes, kq_mlanes        what kq_block writes per pair; kq_isum4 / kq_msum4 (four pairs' lanes -> the
 *                              four exact sums, in pair order)
 *   kq_fp16x4, kq_fp16x1       four fp16 values (one per pointer) or one in all lanes, widened exactly
 *   kq_prefetch(p, bytes)      the lines of [p, p + bytes)
 *   kq_act_sums(x, count, group, out)
 *                              out[g] = sum of activations [group g, group (g + 1)) of x[0 .. count)
 *
 * m = 1 (decoding, DRAM-bound for a head): groups of four consecutive rows share every activation load;
 * the next group is contiguous, so it is prefetched as one sequential stream, one block step of it per
 * block step here (four interleaved row streams alone reach a half or less of the plain-read bandwidth
 * on Zen 3 and Zen 4; see bn_prefetch_bytes). m > 1 (a prompt batch, rarely the head): tiles of
 * KQ_ROW_TILE weight rows stay in cache while groups of four activation rows pass over them, and each
 * weight block is decoded once per four activation rows. A short group repeats its last row; the extra
 * results are computed and dropped.
 *
 * Rows longer than KQ_CHUNK blocks go in chunks whose activation sums fit on the stack; the running
 * float sums wait in y in between (a float store and reload is exact). */
#ifndef BN_KQUANT_WALK_H
#define BN_KQUANT_WALK_H

#include "row-groups.h"

#define KQ_CHUNK 64
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

/* Four weight rows w[0..3] (at the chunk's first block) against one activation row, blocks [0, nb). */
KQ_INLINE kq_f4 kq_rows4(const uint8_t* const w[4], const int8_t* x, const int16_t* xs, int32_t nb,
                         const uint8_t* next, kq_f4 sum) {
    for (int32_t b = 0; b < nb; b++) {
        const int64_t off = (int64_t)b * KQ_BLOCK_BYTES;
        kq_prefetch(next + 4 * off, 4 * KQ_BLOCK_BYTES);
        const uint8_t* wb[4] = {w[0] + off, w[1] + off, w[2] + off, w[3] + off};
        const int8_t* xb[1] = {x + (int64_t)b * KQ_BLOCK};
        const int16_t* xsb[1] = {xs + (int64_t)b * KQ_SUMS_PER_BLOCK};
        kq_lanes lanes[4];
        kq_mlanes mlanes[4];
        kq_block(wb, 4, xb, xsb, 1, lanes, mlanes);
        const kq_f4 d = kq_fp16x4(wb[0] + KQ_D_AT, wb[1] + KQ_D_AT, wb[2] + KQ_D_AT, wb[3] + KQ_D_AT);
        const kq_f4 dmin = KQ_DMIN_AT >= 0 ? kq_fp16x4(wb[0] + KQ_DMIN_AT, wb[1] + KQ_DMIN_AT, wb[2] + KQ_DMIN_AT,
                                                       wb[3] + KQ_DMIN_AT)
                                           : d;
        sum = kq_epilogue(lanes, mlanes, d, dmin, sum);
    }
    return sum;
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

/* m = 1: groups of four rows; the group after the last one is the last one again (its prefetch is then
 * of lines already on their way). */
KQ_INLINE void kq_gemv(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t nb = a->k / KQ_BLOCK;
    int16_t xs[KQ_CHUNK * KQ_SUMS_PER_BLOCK];
    for (int32_t c0 = 0; c0 == 0 || c0 < nb; c0 += KQ_CHUNK) { /* k = 0 still writes y = 0 * scale */
        const int32_t cn = nb - c0 < KQ_CHUNK ? nb - c0 : KQ_CHUNK;
        const int8_t* x = a->xq + (int64_t)c0 * KQ_BLOCK;
        if (KQ_GROUP > 0) kq_act_sums(x, cn * KQ_BLOCK, KQ_GROUP, xs);
        for (int32_t i = i_begin; i < i_end; i += 4) {
            /* the group written out, not with bn_weight_group4 / bn_group_sums_load: with those GCC ran the Q4_0
             * AVX-512 loop a row pointer short of registers (a spill per block, 5-7 % slower from cache) */
            const int32_t nr = i_end - i < 4 ? i_end - i : 4;
            const uint8_t* w[4];
            float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            for (int32_t r = 0; r < 4; r++)
                w[r] = a->w + (int64_t)(i + (r < nr ? r : nr - 1)) * a->row_bytes + (int64_t)c0 * KQ_BLOCK_BYTES;
            if (c0 > 0)
                for (int32_t r = 0; r < nr; r++) part[r] = a->y[i + r];
            const uint8_t* next = a->w + (int64_t)(i + 4 < i_end ? i + 4 : i) * a->row_bytes;
            kq_f4 sum = kq_rows4(w, x, xs, cn, next + (int64_t)c0 * 4 * KQ_BLOCK_BYTES, kq_f4_load(part));
            if (c0 + cn == nb) sum = kq_f4_mul(sum, kq_f4_set1(a->x_scales[0]));
            kq_f4_store(part, sum);
            for (int32_t r = 0; r < nr; r++) a->y[i + r] = part[r];
        }
    }
}

/* m > 1: KQ_ROW_TILE weight rows at a time, each against groups of four activation rows. */
KQ_INLINE void kq_gemm(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t nb = a->k / KQ_BLOCK;
    int16_t xs[4][KQ_CHUNK * KQ_SUMS_PER_BLOCK];
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
