/* Float-weight (fp16, bf16, f32 or FP8 blocks) matrix x float activation rows, NEON (FCVTL / shift widening or
 * plain loads + FMLA): the tile walk the F16, BF16, F32 and F8 kernels share, the weight format a compile-time
 * constant after inlining.
 *
 * Tiles of up to 4 weight rows x 2 activation rows as in dense-float-avx2.h: each 8-column step
 * widens every weight row once and multiplies it into both activation rows. Every (row, token)
 * result has two 4-lane accumulators (columns 8c..8c+3 and 8c+4..8c+7) over the whole 8-column
 * blocks and a sequential scalar tail, whatever tile computed it, so results do not depend on how
 * rows are split over threads. */
#ifndef BN_DENSE_FLOAT_NEON_H
#define BN_DENSE_FLOAT_NEON_H

#include "arm-decode.h"

#include "../dense-float.h"

/* F8 rows: k is a multiple of 32, so every 8-column step lies inside one block. */

/* Eight weights of row w from column j (a multiple of 8) as two 4-lane floats, exactly. */
BN_ALWAYS_INLINE void bn_dense_load8_neon(const uint8_t* w, int32_t j, const int fmt, float32x4_t* lo,
                                          float32x4_t* hi) {
    if (fmt == BN_DENSE_F16) {
        bn_load_f16x8_neon((const uint16_t*)(w + 2 * (int64_t)j), lo, hi);
    } else if (fmt == BN_DENSE_BF16) {
        const uint16x8_t h = vld1q_u16((const uint16_t*)(w + 2 * (int64_t)j));
        *lo = vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(h), 16));
        *hi = vreinterpretq_f32_u32(vshll_high_n_u16(h, 16));
    } else if (fmt == BN_DENSE_F32) {
        *lo = vld1q_f32((const float*)(w + 4 * (int64_t)j));
        *hi = vld1q_f32((const float*)(w + 4 * (int64_t)j) + 4);
    } else {
        const uint8_t* block = w + (int64_t)(j / BN_F8_BLOCK) * BN_F8_BLOCK_BYTES;
        const uint16x8_t q = vmovl_u8(vld1_u8(block + 2 + j % BN_F8_BLOCK));
        const uint16x8_t h = vorrq_u16(vshlq_n_u16(vandq_u16(q, vdupq_n_u16(0x7f)), 7),
                                       vshlq_n_u16(vandq_u16(q, vdupq_n_u16(0x80)), 8));
        const float32x4_t d256 = vdupq_n_f32(bn_f16_to_f32_neon((uint16_t)(block[0] | (block[1] << 8))) * 256.0f);
        const float16x8_t hf = vreinterpretq_f16_u16(h);
        *lo = vmulq_f32(vcvt_f32_f16(vget_low_f16(hf)), d256);
        *hi = vmulq_f32(vcvt_high_f32_f16(hf), d256);
    }
}

BN_ALWAYS_INLINE void bn_dense_tile_neon(const bn_matmul_args* a, int32_t i0, const int R, int32_t r0, const int T,
                                         const int fmt) {
    const int32_t k = a->k;
    const uint8_t* w[4];
    const float* x[2];
    for (int r = 0; r < R; r++) w[r] = a->w + (int64_t)(i0 + r) * a->row_bytes;
    for (int t = 0; t < T; t++) x[t] = a->x + (int64_t)(r0 + t) * k;
    float32x4_t lo[4][2], hi[4][2];
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) lo[r][t] = hi[r][t] = vdupq_n_f32(0.0f);
    int32_t j = 0;
    for (; j + 8 <= k; j += 8) {
        float32x4_t xl[2], xh[2];
        for (int t = 0; t < T; t++) {
            xl[t] = vld1q_f32(x[t] + j);
            xh[t] = vld1q_f32(x[t] + j + 4);
        }
        for (int r = 0; r < R; r++) {
            float32x4_t wl, wh;
            bn_dense_load8_neon(w[r], j, fmt, &wl, &wh);
            for (int t = 0; t < T; t++) {
                lo[r][t] = vfmaq_f32(lo[r][t], wl, xl[t]);
                hi[r][t] = vfmaq_f32(hi[r][t], wh, xh[t]);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int t = 0; t < T; t++) {
            float sum = vaddvq_f32(vaddq_f32(lo[r][t], hi[r][t]));
            for (int32_t jj = j; jj < k; jj++) sum += bn_dense_weight(w[r], jj, fmt) * x[t][jj];
            a->y[(int64_t)(r0 + t) * a->n + i0 + r] = sum;
        }
}

BN_ALWAYS_INLINE void bn_dense_token_groups_neon(const bn_matmul_args* a, int32_t i0, const int R, const int fmt) {
    int32_t r0 = 0;
    for (; r0 + 2 <= a->m; r0 += 2) bn_dense_tile_neon(a, i0, R, r0, 2, fmt);
    if (r0 < a->m) bn_dense_tile_neon(a, i0, R, r0, 1, fmt);
}

BN_ALWAYS_INLINE void bn_dense_rows_neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end, const int fmt) {
    int32_t i = i_begin;
    for (; i + 4 <= i_end; i += 4) bn_dense_token_groups_neon(a, i, 4, fmt);
    for (; i < i_end; i++) bn_dense_token_groups_neon(a, i, 1, fmt);
}

#endif
