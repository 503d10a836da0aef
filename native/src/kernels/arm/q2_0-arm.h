/* The Q2_0 and Q2_0_G128 blocks (../q2_0-block.h: 64 or 128 weights d (c - 1)) on AArch64, for the NEON and NEON
 * dotprod kernels; their arithmetic is offset-codes-arm.h's.
 *
 * 16 code bytes become 64 weights c - 1 (int8 in [-1, 2]) in weight order, as four vectors of 16 that line up with
 * the activations: the bit planes (q >> 2p) & 3 hold weights 4m + p; zipping planes 0 with 1 and 2 with 3 byte by
 * byte, then the results in 16-bit pairs, puts weight 4m + p at byte 4m + p. */
#ifndef BN_Q2_0_ARM_H
#define BN_Q2_0_ARM_H

#include "kquant-arm.h"
#include "../q2_0-block.h"

#define KQ_WEIGHT_VECS (KQ_BLOCK / 16)
#define KQ_WEIGHT_MAX 2

/* The 64 weights of the 16 code bytes at qs. */
BN_ALWAYS_INLINE void bn_q2_0_weights(const uint8_t* qs, int8x16_t out[4]) {
    const uint8x16_t m3 = vdupq_n_u8(3);
    const uint8x16_t q = vld1q_u8(qs);
    const uint8x16_t p0 = vandq_u8(q, m3), p1 = vandq_u8(vshrq_n_u8(q, 2), m3);
    const uint8x16_t p2 = vandq_u8(vshrq_n_u8(q, 4), m3), p3 = vshrq_n_u8(q, 6);
    const uint16x8_t a = vreinterpretq_u16_u8(vzip1q_u8(p0, p1)), b = vreinterpretq_u16_u8(vzip2q_u8(p0, p1));
    const uint16x8_t c = vreinterpretq_u16_u8(vzip1q_u8(p2, p3)), d = vreinterpretq_u16_u8(vzip2q_u8(p2, p3));
    const int8x16_t one = vdupq_n_s8(1);
    out[0] = vsubq_s8(vreinterpretq_s8_u16(vzip1q_u16(a, c)), one);
    out[1] = vsubq_s8(vreinterpretq_s8_u16(vzip2q_u16(a, c)), one);
    out[2] = vsubq_s8(vreinterpretq_s8_u16(vzip1q_u16(b, d)), one);
    out[3] = vsubq_s8(vreinterpretq_s8_u16(vzip2q_u16(b, d)), one);
}

BN_ALWAYS_INLINE void kq_weights(const uint8_t* block, int8x16_t* wv) {
    for (int h = 0; h < KQ_BLOCK / 64; h++) bn_q2_0_weights(block + 2 + 16 * h, wv + 4 * h);
}

#include "offset-codes-arm.h"

#endif
