/* The walk every Q4_0 / Q4_K / Q5_K / Q6_K x int8 kernel on AArch64 shares (NEON and NEON dotprod files
 * alike), as kernels/x86/kquant-x86.h does on x86: groups of four weight rows with the next group
 * prefetched as one stream (m = 1), tiles of weight rows against groups of four activation rows (m > 1),
 * each block reduced to its exact integer sums and the reference's float epilogue, so every variant gives
 * the reference's bits. The including file supplies the block arithmetic:
 *
 *   KQ_BLOCK, KQ_BLOCK_BYTES   weights and bytes per block
 *   KQ_GROUP                   activations per entry of the activation sums (16 or 32), or 0 for none
 *   KQ_D_AT, KQ_DMIN_AT        byte offsets of the fp16 d and dmin in a block (KQ_DMIN_AT -1: no min term)
 *   kq_block(w, R, x, xs, T, lanes, mlanes, pf)
 *       for the R weight blocks w[0..R) and the T activation blocks x[0..T) (with their activation sums
 *       xs[t]) writes, for pair p = r * T + t, four int32 lanes[p] summing to I_b and (with a min term)
 *       four int32 mlanes[p] summing to M_b. Called with (R, T) = (4, 1) and (1, 4) as constants. Between
 *       its vector steps it calls kq_prefetch_slot(pf, slot), slot = 0, 1, 2, ..., as on x86: the next
 *       group's lines are requested one per vector step rather than in bursts.
 * The block geometry macros come before this header, kq_block after it. */
#ifndef BN_KQUANT_ARM_H
#define BN_KQUANT_ARM_H

#include "arm-common.h"

BN_ALWAYS_INLINE void kq_block(const uint8_t* const* w, const int R, const int8_t* const* x, const int16_t* const* xs,
                               const int T, int32x4_t* lanes, int32x4_t* mlanes, const uint8_t* pf);

/* Line `slot` of the next group's share of the block step (64-byte lines, as on the cores we target). */
BN_ALWAYS_INLINE void kq_prefetch_slot(const uint8_t* pf, const int slot) {
    if (pf && 64 * slot < 4 * KQ_BLOCK_BYTES) __builtin_prefetch(pf + 64 * slot);
}

/* Weights per pass when the kernel needs activation sums (their stack array): every head and embedding
 * width we meet (2B-4T: 2560) is one pass, so the next group's prefetch covers it all. Without sums a row
 * is always one pass. */
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

BN_ALWAYS_INLINE float32x4_t kq_rows4(const uint8_t* const w[4], const int8_t* x, const int16_t* xs, int32_t nb,
                                      const uint8_t* next, float32x4_t sum) {
    for (int32_t b = 0; b < nb; b++) {
        const int64_t off = (int64_t)b * KQ_BLOCK_BYTES;
        const uint8_t* wb[4] = {w[0] + off, w[1] + off, w[2] + off, w[3] + off};
        const int8_t* xb[1] = {x + (int64_t)b * KQ_BLOCK};
        const int16_t* xsb[1] = {xs + (int64_t)b * KQ_SUMS_PER_BLOCK};
        int32x4_t lanes[4], mlanes[4];
        const uint8_t* pf = next + 4 * off;
        if (!pf) __builtin_unreachable(); /* lets kq_prefetch_slot drop its NULL test here */
        kq_block(wb, 4, xb, xsb, 1, lanes, mlanes, pf);
        const float32x4_t d = bn_fp16x4_to_f32(bn_read_u16(wb[0] + KQ_D_AT), bn_read_u16(wb[1] + KQ_D_AT),
                                               bn_read_u16(wb[2] + KQ_D_AT), bn_read_u16(wb[3] + KQ_D_AT));
        const float32x4_t dmin =
            KQ_DMIN_AT >= 0 ? bn_fp16x4_to_f32(bn_read_u16(wb[0] + KQ_DMIN_AT), bn_read_u16(wb[1] + KQ_DMIN_AT),
                                               bn_read_u16(wb[2] + KQ_DMIN_AT), bn_read_u16(wb[3] + KQ_DMIN_AT))
                            : d;
        sum = kq_epilogue(lanes, mlanes, d, dmin, sum);
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
        kq_block(wb, 1, xb, xsb, 4, lanes, mlanes, NULL);
        const uint16_t hd = bn_read_u16(wb[0] + KQ_D_AT);
        const float32x4_t d = bn_fp16x4_to_f32(hd, hd, hd, hd);
        const uint16_t hm = KQ_DMIN_AT >= 0 ? bn_read_u16(wb[0] + KQ_DMIN_AT) : hd;
        const float32x4_t dmin = bn_fp16x4_to_f32(hm, hm, hm, hm);
        sum = kq_epilogue(lanes, mlanes, d, dmin, sum);
    }
    return sum;
}

BN_ALWAYS_INLINE void kq_gemv(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t nb = a->k / KQ_BLOCK;
    int16_t xs[KQ_SUMS_CAPACITY];
    for (int32_t c0 = 0; c0 == 0 || c0 < nb; c0 += KQ_CHUNK) { /* k = 0 still writes y = 0 * scale */
        const int32_t cn = nb - c0 < KQ_CHUNK ? nb - c0 : KQ_CHUNK;
        const int8_t* x = a->xq + (int64_t)c0 * KQ_BLOCK;
        kq_act_sums(x, cn * KQ_BLOCK, xs);
        for (int32_t i = i_begin; i < i_end; i += 4) {
            const int32_t nr = i_end - i < 4 ? i_end - i : 4;
            const uint8_t* w[4];
            float part[4] = {0.0f, 0.0f, 0.0f, 0.0f};
            for (int32_t r = 0; r < 4; r++)
                w[r] = a->w + (int64_t)(i + (r < nr ? r : nr - 1)) * a->row_bytes + (int64_t)c0 * KQ_BLOCK_BYTES;
            if (c0 > 0)
                for (int32_t r = 0; r < nr; r++) part[r] = a->y[i + r];
            const uint8_t* next = a->w + (int64_t)(i + 4 < i_end ? i + 4 : i) * a->row_bytes;
            float32x4_t sum = kq_rows4(w, x, xs, cn, next + (int64_t)c0 * 4 * KQ_BLOCK_BYTES, vld1q_f32(part));
            if (c0 + cn == nb) sum = vmulq_f32(sum, vdupq_n_f32(a->x_scales[0]));
            vst1q_f32(part, sum);
            for (int32_t r = 0; r < nr; r++) a->y[i + r] = part[r];
        }
    }
}

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
