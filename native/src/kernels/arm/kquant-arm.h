/* The walk every Q4_0 / Q4_K / Q5_K / Q6_K x int8 kernel on AArch64 shares (NEON and NEON dotprod files
 * alike), as kernels/x86/kquant-x86.h does on x86: one weight row after another for m = 1 (one sequential
 * stream for the hardware prefetchers, four consecutive blocks per exact reduction), tiles of weight rows
 * against groups of four activation rows for m > 1, each block reduced to its exact integer sums and the
 * reference's float epilogue, so every variant gives the reference's bits. The including file defines the
 * block geometry before including this header and the block arithmetic after it:
 *
 *   KQ_BLOCK, KQ_BLOCK_BYTES   weights and bytes per block
 *   KQ_GROUP                   activations per entry of the activation sums (16 or 32), or 0 for none
 *   KQ_D_AT, KQ_DMIN_AT        byte offsets of the fp16 d and dmin in a block (KQ_DMIN_AT -1: no min term)
 *   kq_block(w, R, x, xs, T, lanes, mlanes)
 *       for the R weight blocks w[0..R) and the T activation blocks x[0..T) (with their activation sums
 *       xs[t]) writes, for pair p = r * T + t, four int32 lanes[p] summing to I_b and (with a min term)
 *       four int32 mlanes[p] summing to M_b. Called with (R, T) = (1, 1) and (1, 4) as constants. */
#ifndef BN_KQUANT_ARM_H
#define BN_KQUANT_ARM_H

#include "arm-common.h"

BN_ALWAYS_INLINE void kq_block(const uint8_t* const* w, const int R, const int8_t* const* x, const int16_t* const* xs,
                               const int T, int32x4_t* lanes, int32x4_t* mlanes);

/* Weights per pass when the kernel needs activation sums (their stack array): every head and embedding
 * width we meet (2B-4T: 2560) is one pass. Without sums a row is always one pass. */
#define KQ_CHUNK_WEIGHTS 16384
#define KQ_CHUNK (KQ_GROUP > 0 ? KQ_CHUNK_WEIGHTS / KQ_BLOCK : INT32_MAX)
#define KQ_SUMS_CAPACITY (KQ_GROUP > 0 ? KQ_CHUNK_WEIGHTS / KQ_GROUP : 1)
#define KQ_ROW_TILE 32
#define KQ_SUMS_PER_BLOCK (KQ_BLOCK / (KQ_GROUP > 0 ? KQ_GROUP : KQ_BLOCK))

/* out[g] = sum of activations [KQ_GROUP g, KQ_GROUP (g + 1)) of x[0 .. count); |out| <= 32 * 128. */
static inline void kq_act_sums(const int8_t* x, int32_t count, int16_t* out) {
    if (KQ_GROUP == 0) return;
    for (int32_t j = 0; j < count; j += 16) {
        const int16_t s = vaddlvq_s8(vld1q_s8(x + j));
        if (KQ_GROUP == 16) out[j / 16] = s;
        else if (j % 32 == 0) out[j / 32] = s;
        else out[j / 32] = (int16_t)(out[j / 32] + s);
    }
}

/* sum + t_b for four (weight row, activation row) pairs, as the reference computes it. */
BN_ALWAYS_INLINE float32x4_t kq_epilogue(const int32x4_t lanes[4], const int32x4_t mlanes[4], float32x4_t d,
                                         float32x4_t dmin, float32x4_t sum) {
    const int32x4_t isum = bn_hsum4_s32(lanes[0], lanes[1], lanes[2], lanes[3]);
    float32x4_t t = vmulq_f32(vcvtq_f32_s32(isum), d);
    if (KQ_DMIN_AT >= 0) {
        const int32x4_t msum = bn_hsum4_s32(mlanes[0], mlanes[1], mlanes[2], mlanes[3]);
        t = vsubq_f32(t, vmulq_f32(vcvtq_f32_s32(msum), dmin));
    }
    (void)dmin;
    return vaddq_f32(sum, t);
}

/* Blocks [b, b + NQ) of row w against the activation row x (NQ = 1..4, a constant): their exact sums in one
 * reduction, then sum + t_b block by block, as the reference adds them. */
BN_ALWAYS_INLINE float kq_row_group(const uint8_t* w, const int8_t* x, const int16_t* xs, int32_t b, const int NQ,
                                    float sum) {
    const uint8_t* wb[4];
    int32x4_t lanes[4], mlanes[4];
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
    const float32x4_t d = bn_fp16x4_to_f32(bn_read_u16(wb[0] + KQ_D_AT), bn_read_u16(wb[1] + KQ_D_AT),
                                           bn_read_u16(wb[2] + KQ_D_AT), bn_read_u16(wb[3] + KQ_D_AT));
    const float32x4_t dmin =
        KQ_DMIN_AT >= 0 ? bn_fp16x4_to_f32(bn_read_u16(wb[0] + KQ_DMIN_AT), bn_read_u16(wb[1] + KQ_DMIN_AT),
                                           bn_read_u16(wb[2] + KQ_DMIN_AT), bn_read_u16(wb[3] + KQ_DMIN_AT))
                        : d;
    const float32x4_t t = kq_epilogue(lanes, mlanes, d, dmin, vdupq_n_f32(0.0f));
    sum = sum + vgetq_lane_f32(t, 0);
    if (NQ > 1) sum = sum + vgetq_lane_f32(t, 1);
    if (NQ > 2) sum = sum + vgetq_lane_f32(t, 2);
    if (NQ > 3) sum = sum + vgetq_lane_f32(t, 3);
    return sum;
}

/* sum + t_b for the blocks [0, nb) of row w, in order. */
BN_ALWAYS_INLINE float kq_row(const uint8_t* w, const int8_t* x, const int16_t* xs, int32_t nb, float sum) {
    int32_t b = 0;
    for (; b + 4 <= nb; b += 4) sum = kq_row_group(w, x, xs, b, 4, sum);
    switch (nb - b) {
    case 3: sum = kq_row_group(w, x, xs, b, 3, sum); break;
    case 2: sum = kq_row_group(w, x, xs, b, 2, sum); break;
    case 1: sum = kq_row_group(w, x, xs, b, 1, sum); break;
    default: break;
    }
    return sum;
}

BN_ALWAYS_INLINE float32x4_t kq_acts4(const uint8_t* w, const int8_t* const x[4], const int16_t* const xs[4],
                                      int32_t nb, float32x4_t sum) {
    for (int32_t b = 0; b < nb; b++) {
        const uint8_t* wb[1] = {w + (int64_t)b * KQ_BLOCK_BYTES};
        const int8_t* xb[4];
        const int16_t* xsb[4];
        for (int t = 0; t < 4; t++) {
            xb[t] = x[t] + (int64_t)b * KQ_BLOCK;
            xsb[t] = xs[t] + (int64_t)b * KQ_SUMS_PER_BLOCK;
        }
        int32x4_t lanes[4], mlanes[4];
        kq_block(wb, 1, xb, xsb, 4, lanes, mlanes);
        const uint16_t hd = bn_read_u16(wb[0] + KQ_D_AT);
        const float32x4_t d = bn_fp16x4_to_f32(hd, hd, hd, hd);
        const uint16_t hm = KQ_DMIN_AT >= 0 ? bn_read_u16(wb[0] + KQ_DMIN_AT) : hd;
        const float32x4_t dmin = bn_fp16x4_to_f32(hm, hm, hm, hm);
        sum = kq_epilogue(lanes, mlanes, d, dmin, sum);
    }
    return sum;
}

/* m = 1: one row after another. */
BN_ALWAYS_INLINE void kq_gemv(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
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
BN_ALWAYS_INLINE void kq_gemm(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
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
                const float32x4_t vscale = vld1q_f32(scale);
                for (int32_t i = t0; i < t1; i++) {
                    float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                    if (c0 > 0)
                        for (int32_t t = 0; t < nr; t++) part[t] = a->y[(int64_t)(r0 + t) * a->n + i];
                    float32x4_t sum = kq_acts4(a->w + (int64_t)i * a->row_bytes + (int64_t)c0 * KQ_BLOCK_BYTES, x, xsp,
                                               cn, vld1q_f32(part));
                    if (last) sum = vmulq_f32(sum, vscale);
                    vst1q_f32(part, sum);
                    for (int32_t t = 0; t < nr; t++) a->y[(int64_t)(r0 + t) * a->n + i] = part[t];
                }
            }
        }
    }
}

BN_ALWAYS_INLINE void kq_matmul(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    if (i_begin >= i_end || a->m == 0) return;
    if (a->m == 1) kq_gemv(a, i_begin, i_end);
    else kq_gemm(a, i_begin, i_end);
}

#endif
