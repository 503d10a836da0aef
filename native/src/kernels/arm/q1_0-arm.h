/* The Q1_0 block on AArch64 (the NEON and NEON dotprod kernels): 128 weights d s_j, bit j % 8 of byte j / 8 after d
 * set meaning s_j = +1, clear -1. Two code bytes (16 weights, LSB first) become 16 int8 weights in weight order: TBL
 * copies each byte to the eight positions of its weights, CMTST tests that position's bit (all ones where set), and
 * (t & 2) - 1 maps set to +1, clear to -1. The block's arithmetic is offset-codes-arm.h's. */
#ifndef BN_Q1_0_ARM_H
#define BN_Q1_0_ARM_H

#include "kquant-arm.h"

#define KQ_BLOCK BN_Q1_0_BLOCK
#define KQ_BLOCK_BYTES BN_Q1_0_BLOCK_BYTES
#define KQ_WEIGHT_VECS 8
#define KQ_WEIGHT_MAX 1

/* Weights 16 v .. 16 v + 15 of the block whose 16 code bytes are q. */
BN_ALWAYS_INLINE int8x16_t bn_q1_0_signs(uint8x16_t q, int v) {
    static const uint8_t select[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8_t lo = (uint8_t)(2 * v), hi = (uint8_t)(2 * v + 1);
    const uint8_t idx[16] = {lo, lo, lo, lo, lo, lo, lo, lo, hi, hi, hi, hi, hi, hi, hi, hi};
    const uint8x16_t set = vtstq_u8(vqtbl1q_u8(q, vld1q_u8(idx)), vld1q_u8(select));
    return vsubq_s8(vreinterpretq_s8_u8(vandq_u8(set, vdupq_n_u8(2))), vdupq_n_s8(1));
}

BN_ALWAYS_INLINE void kq_weights(const uint8_t* block, int8x16_t* wv) {
    const uint8x16_t q = vld1q_u8(block + 2);
    for (int v = 0; v < 8; v++) wv[v] = bn_q1_0_signs(q, v);
}

#include "offset-codes-arm.h"

#endif
