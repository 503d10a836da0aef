/* Q8_0 matrix x int8 activation rows, NEON with SDOT (Armv8.2 dot product; the 8-bit output head).
 *
 * As matmul-q8_0-q8-neon.c with each block's dot product from two SDOTs, exact for every int8 pair
 * (four products of at most 2^14 per int32 lane). */
#include "arm-decode.h"

BN_ALWAYS_INLINE void tile(const bn_matmul_args* a, int32_t i0, const int R, int32_t r) {
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
            int32x4_t dot = vdotq_s32(vdupq_n_s32(0), vld1q_s8((const int8_t*)(blk + 2)), x0);
            dot = vdotq_s32(dot, vld1q_s8((const int8_t*)(blk + 18)), x1);
            acc[i] = vfmaq_n_f32(acc[i], vcvtq_f32_s32(dot), d);
        }
    }
    for (int i = 0; i < R; i++) a->y[(int64_t)r * a->n + i0 + i] = vaddvq_f32(acc[i]) * a->x_scales[r];
}

void bn_matmul_q8_0_q8__neondot(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    int32_t i = i_begin;
    for (; i + 4 <= i_end; i += 4)
        for (int32_t r = 0; r < a->m; r++) tile(a, i, 4, r);
    for (; i < i_end; i++)
        for (int32_t r = 0; r < a->m; r++) tile(a, i, 1, r);
}
