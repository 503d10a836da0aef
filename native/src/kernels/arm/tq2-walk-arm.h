/* The walk the TQ2_0 x int8 kernels on AArch64 share (NEON and NEON dotprod files alike): m = 1 in tiles of four
 * weight rows against the one activation row, the rows left over and m > 1 one weight row against up to four
 * activation rows. The including file defines (after including this file, with tq2_add_blocks4 for the float
 * step of a block)
 *   rows4_x1(a, i, y)       y[0..3] for weight rows i..i+3 and activation row 0;
 *   row1_xn(a, i, r0, C)    y for weight row i and activation rows r0..r0+C-1 (C constant, 1..4). */
#ifndef BN_TQ2_WALK_ARM_H
#define BN_TQ2_WALK_ARM_H

#include "arm-common.h"

/* sum + (float)dots * d for the blocks at offset off of the four weight rows w[0..3] (d the fp16 after their 64
 * code bytes), as the reference adds a block: multiply, then add. */
BN_ALWAYS_INLINE float32x4_t tq2_add_blocks4(float32x4_t sum, const uint8_t* const w[4], int64_t off, int32x4_t dots) {
    const float32x4_t d = bn_fp16x4_to_f32(bn_read_u16(w[0] + off + 64), bn_read_u16(w[1] + off + 64),
                                           bn_read_u16(w[2] + off + 64), bn_read_u16(w[3] + off + 64));
    return vaddq_f32(sum, vmulq_f32(vcvtq_f32_s32(dots), d));
}

static void rows4_x1(const bn_matmul_args* a, int32_t i, float* y);
BN_ALWAYS_INLINE void row1_xn(const bn_matmul_args* a, int32_t i, int32_t r0, const int C);

BN_ALWAYS_INLINE void tq2_matmul(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    int32_t i = i_begin;
    if (a->m == 1) {
        for (; i + 4 <= i_end; i += 4) rows4_x1(a, i, a->y + i);
        for (; i < i_end; i++) row1_xn(a, i, 0, 1);
        return;
    }
    for (int32_t r0 = 0; r0 < a->m; r0 += 4) {
        const int32_t nr = a->m - r0 < 4 ? a->m - r0 : 4;
        for (i = i_begin; i < i_end; i++) {
            switch (nr) {
            case 4: row1_xn(a, i, r0, 4); break;
            case 3: row1_xn(a, i, r0, 3); break;
            case 2: row1_xn(a, i, r0, 2); break;
            default: row1_xn(a, i, r0, 1); break;
            }
        }
    }
}

#endif
