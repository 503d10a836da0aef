/* Q4_0 matrix x int8 activation rows, plain NEON (CPUs without SDOT), with the numerics bitnative.h states
 * for Q8_0 and Q4_0: each 32-weight block's dot product exact in int32 lanes, the float sum over blocks in
 * SIMD lanes, within 2 (k / 32 + 3) 2^-24 |x_scale| sum_b |d_b| sum_j |(c_j - 8) xq_j| of the reference.
 *
 * A block's sixteen bytes give the codes minus 8 (int8 in [-8, 7]) of weights 0..15 (low nibbles) and
 * 16..31 (high nibbles); SMULL / SMLAL2 add four products per int16 lane (at most 4 * 8 * 128 = 4096),
 * SADDLP widens them into four int32 lanes, converted exactly and accumulated times d_b (FMLA); the lanes
 * are summed once per row. One row after another (one sequential stream); four activation rows share each
 * decoded block of a prompt batch. */
#include "arm-decode.h"
#include "bn_kquants.h"

#define ACTS 4

BN_ALWAYS_INLINE void row(const bn_matmul_args* a, int32_t i, int32_t r0, const int T) {
    const int32_t n_blocks = a->k / BN_Q4_0_BLOCK;
    const uint8_t* w = a->w + (int64_t)i * a->row_bytes;
    const int8x16_t eight = vdupq_n_s8(8);
    float32x4_t acc[ACTS];
    for (int t = 0; t < T; t++) acc[t] = vdupq_n_f32(0.0f);
    for (int32_t b = 0; b < n_blocks; b++) {
        const uint8_t* blk = w + (int64_t)b * BN_Q4_0_BLOCK_BYTES;
        const uint8x16_t q = vld1q_u8(blk + 2);
        const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(15))), eight);
        const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
        const float d = bn_f16_to_f32_neon(bn_read_u16(blk));
        for (int t = 0; t < T; t++) {
            const int8_t* xb = a->xq + (int64_t)(r0 + t) * a->k + 32 * b;
            const int8x16_t x0 = vld1q_s8(xb), x1 = vld1q_s8(xb + 16);
            int16x8_t p = vmull_s8(vget_low_s8(lo), vget_low_s8(x0));
            p = vmlal_high_s8(p, lo, x0);
            p = vmlal_s8(p, vget_low_s8(hi), vget_low_s8(x1));
            p = vmlal_high_s8(p, hi, x1);
            acc[t] = vfmaq_n_f32(acc[t], vcvtq_f32_s32(vpaddlq_s16(p)), d);
        }
    }
    for (int t = 0; t < T; t++) a->y[(int64_t)(r0 + t) * a->n + i] = vaddvq_f32(acc[t]) * a->x_scales[r0 + t];
}

void bn_matmul_q4_0_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    for (int32_t i = i_begin; i < i_end; i++) {
        int32_t r0 = 0;
        for (; r0 + ACTS <= a->m; r0 += ACTS) row(a, i, r0, ACTS);
        switch (a->m - r0) {
        case 3: row(a, i, r0, 3); break;
        case 2: row(a, i, r0, 2); break;
        case 1: row(a, i, r0, 1); break;
        default: break;
        }
    }
}
