/* Q4_0 matrix x int8 activation rows on AArch64, the body of the NEON and NEON dotprod kernels, with the numerics
 * bitnative.h states for Q8_0 and Q4_0: each 32-weight block's dot product exact in int32 lanes, the float sum over
 * blocks in SIMD lanes, within 2 (k / 32 + 3) 2^-24 |x_scale| sum_b |d_b| sum_j |(c_j - 8) xq_j| of the reference.
 *
 * A block's sixteen bytes give the codes minus 8 (int8 in [-8, 7]) of weights 0..15 (low nibbles) and 16..31 (high
 * nibbles); bn_dot_i8 makes their exact int32 lanes (SDOT: eight products per lane; without it SMULL / SMLAL2 add
 * four products per int16 lane, at most 4 * 8 * 128 = 4096, and SADDLP widens them), converted exactly and
 * accumulated times d_b (FMLA); the lanes are summed once per row. One row after another (one sequential stream);
 * four activation rows share each decoded block of a prompt batch. */
#ifndef BN_Q4_0_ARM_H
#define BN_Q4_0_ARM_H

#include "arm-decode.h"
#include "bn_kquants.h"

_Static_assert(2 * 8 <= 127, "the int16 lanes of bn_dot_i8 without SDOT stay exact (two vectors, |c - 8| <= 8)");

/* Activation rows whose results one pass over a weight row computes. */
#define Q4_0_ACTS 4

BN_ALWAYS_INLINE void bn_q4_0_row(const bn_matmul_args* a, int32_t i, int32_t r0, const int T) {
    const int32_t n_blocks = a->k / BN_Q4_0_BLOCK;
    const uint8_t* w = a->w + (int64_t)i * a->row_bytes;
    const int8x16_t eight = vdupq_n_s8(8);
    float32x4_t acc[Q4_0_ACTS];
    for (int t = 0; t < T; t++) acc[t] = vdupq_n_f32(0.0f);
    for (int32_t b = 0; b < n_blocks; b++) {
        const uint8_t* blk = w + (int64_t)b * BN_Q4_0_BLOCK_BYTES;
        const uint8x16_t q = vld1q_u8(blk + 2);
        const int8x16_t wv[2] = {vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(15))), eight),
                                 vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight)};
        const float d = bn_f16_to_f32_neon(bn_read_u16(blk));
        for (int t = 0; t < T; t++) {
            const int32x4_t dot = bn_dot_i8(wv, a->xq + (int64_t)(r0 + t) * a->k + 32 * b, 2);
            acc[t] = vfmaq_n_f32(acc[t], vcvtq_f32_s32(dot), d);
        }
    }
    for (int t = 0; t < T; t++) a->y[(int64_t)(r0 + t) * a->n + i] = vaddvq_f32(acc[t]) * a->x_scales[r0 + t];
}

BN_ALWAYS_INLINE void bn_q4_0_matmul(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    for (int32_t i = i_begin; i < i_end; i++) {
        int32_t r0 = 0;
        for (; r0 + Q4_0_ACTS <= a->m; r0 += Q4_0_ACTS) bn_q4_0_row(a, i, r0, Q4_0_ACTS);
        switch (a->m - r0) {
        case 3: bn_q4_0_row(a, i, r0, 3); break;
        case 2: bn_q4_0_row(a, i, r0, 2); break;
        case 1: bn_q4_0_row(a, i, r0, 1); break;
        default: break;
        }
    }
}

#endif
