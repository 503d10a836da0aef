/* The Q4_0 block on AArch64 (the NEON and NEON dotprod kernels): 32 weights d (c - 8), the codes c (0..15) the low
 * nibbles of the sixteen bytes after d (weights 0..15) and their high nibbles (16..31), as two vectors of int8
 * weights in [-8, 7]. The block's arithmetic is offset-codes-arm.h's. */
#ifndef BN_Q4_0_ARM_H
#define BN_Q4_0_ARM_H

#include "kquant-arm.h"

#define KQ_BLOCK BN_Q4_0_BLOCK
#define KQ_BLOCK_BYTES BN_Q4_0_BLOCK_BYTES
#define KQ_WEIGHT_VECS 2
#define KQ_WEIGHT_MAX 8

BN_ALWAYS_INLINE void kq_weights(const uint8_t* block, int8x16_t* wv) {
    const int8x16_t eight = vdupq_n_s8(8);
    const uint8x16_t q = vld1q_u8(block + 2);
    wv[0] = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(15))), eight);
    wv[1] = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
}

#include "offset-codes-arm.h"

#endif
