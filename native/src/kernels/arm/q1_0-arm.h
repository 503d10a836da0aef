/* The bit expansion of a Q1_0 block on AArch64, shared by the NEON and NEON dotprod kernels: two code bytes (16
 * weights, LSB first) become 16 int8 weights +1 or -1 in weight order. TBL copies each byte to the eight positions
 * of its weights, CMTST tests that position's bit (all ones where set), and (t & 2) - 1 maps set to +1, clear to -1. */
#ifndef BN_Q1_0_ARM_H
#define BN_Q1_0_ARM_H

#include "arm-common.h"

/* Weights 16 v .. 16 v + 15 of the block whose 16 code bytes are q. */
BN_ALWAYS_INLINE int8x16_t bn_q1_0_signs(uint8x16_t q, int v) {
    static const uint8_t select[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8_t lo = (uint8_t)(2 * v), hi = (uint8_t)(2 * v + 1);
    const uint8_t idx[16] = {lo, lo, lo, lo, lo, lo, lo, lo, hi, hi, hi, hi, hi, hi, hi, hi};
    const uint8x16_t set = vtstq_u8(vqtbl1q_u8(q, vld1q_u8(idx)), vld1q_u8(select));
    return vsubq_s8(vreinterpretq_s8_u8(vandq_u8(set, vdupq_n_u8(2))), vdupq_n_s8(1));
}

#endif
