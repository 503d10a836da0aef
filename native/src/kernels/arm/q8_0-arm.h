/* The Q8_0 x int8 kernels on AArch64 (the 8-bit output head; NEON and NEON dotprod). A 32-weight block's dot
 * product is exact in int32: with SDOT two instructions, four products of at most 2^14 per lane; without, SMULL /
 * SMULL2 widen every int8 product to int16 (|product| <= 2^14, so two of them could overflow an int16 lane) and
 * SADDLP / SADALP add pairs into int32. The four int32 lanes are converted to float and accumulated lane-wise
 * times the block scale; the lanes are summed once per row. Four weight rows share each activation block; each
 * (row, token) result has the same operations in every tile. */
#ifndef BN_Q8_0_ARM_H
#define BN_Q8_0_ARM_H

#include "arm-decode.h"

BN_ALWAYS_INLINE int32x4_t q8_0_block_dot(const int8_t* w, int8x16_t x0, int8x16_t x1) {
    const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16);
#if BN_NEONDOT
    return vdotq_s32(vdotq_s32(vdupq_n_s32(0), w0, x0), w1, x1);
#else
    int32x4_t acc = vpaddlq_s16(vmull_s8(vget_low_s8(w0), vget_low_s8(x0)));
    acc = vpadalq_s16(acc, vmull_high_s8(w0, x0));
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(w1), vget_low_s8(x1)));
    return vpadalq_s16(acc, vmull_high_s8(w1, x1));
#endif
}

BN_ALWAYS_INLINE void q8_0_tile(const bn_matmul_args* a, int32_t i0, const int R, int32_t r) {
    const int32_t n_blocks = a->k / BN_Q8_0_BLOCK;
    const int8_t* x = a->xq + (int64_t)r * a->k;
    const uint8_t* w[4];
    float32x4_t acc[4];
    for (int i = 0; i < R; i++) {
        w[i] = a->w + (int64_t)(i0 + i) * a->row_bytes;
        acc[i] = vdupq_n_f32(0.0f);
    }
    for (int32_t b = 0; b < n_blocks; b++) {
        const int8x16_t x0 = vld1q_s8(x + 32 * b), x1 = vld1q_s8(x + 32 * b + 16);
        for (int i = 0; i < R; i++) {
            const uint8_t* blk = w[i] + (int64_t)b * BN_Q8_0_BLOCK_BYTES;
            const float d = bn_f16_to_f32_neon(bn_read_u16(blk));
            acc[i] = vfmaq_n_f32(acc[i], vcvtq_f32_s32(q8_0_block_dot((const int8_t*)(blk + 2), x0, x1)), d);
        }
    }
    for (int i = 0; i < R; i++) a->y[(int64_t)r * a->n + i0 + i] = vaddvq_f32(acc[i]) * a->x_scales[r];
}

BN_ALWAYS_INLINE void q8_0_matmul(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    int32_t i = i_begin;
    for (; i + 4 <= i_end; i += 4)
        for (int32_t r = 0; r < a->m; r++) q8_0_tile(a, i, 4, r);
    for (; i < i_end; i++)
        for (int32_t r = 0; r < a->m; r++) q8_0_tile(a, i, 1, r);
}

#endif
