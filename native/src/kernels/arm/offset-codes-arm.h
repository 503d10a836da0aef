/* The block of the formats whose weights are codes minus one offset under one fp16 scale d at the block's start
 * (Q2_0 and Q2_0_G128: c - 1, Q1_0: +1 / -1), NEON and NEON dotprod: the shared walk of
 * kernels/kquant-walk.h with each block reduced to its exact int8 dot product (bn_dot_i8: SDOT, or SMULL / SMLAL2
 * into int16 lanes). The format header defines, before including this file:
 *
 *   KQ_BLOCK, KQ_BLOCK_BYTES   weights and bytes per block
 *   KQ_WEIGHT_VECS             16-weight vectors per block (KQ_BLOCK / 16)
 *   KQ_WEIGHT_MAX              the largest |weight|: the int16 path needs KQ_WEIGHT_VECS * KQ_WEIGHT_MAX <= 127
 *   kq_weights(block, wv)      the block's weights as int8, in weight order, into wv[0 .. KQ_WEIGHT_VECS) */
#ifndef BN_OFFSET_CODES_ARM_H
#define BN_OFFSET_CODES_ARM_H

#include "kquant-arm.h"

#define KQ_GROUP 0
#define KQ_D_AT 0
#define KQ_DMIN_AT (-1)

_Static_assert(KQ_WEIGHT_VECS * KQ_WEIGHT_MAX <= 127, "the int16 lanes of bn_dot_i8 without SDOT stay exact");

BN_ALWAYS_INLINE void kq_block(const uint8_t* const* w, const int R, const int8_t* const* x, const int16_t* const* xs,
                               const int T, int32x4_t* lanes, int32x4_t* mlanes) {
    (void)xs;
    (void)mlanes;
    for (int r = 0; r < R; r++) {
        int8x16_t wv[KQ_WEIGHT_VECS];
        kq_weights(w[r], wv);
        for (int t = 0; t < T; t++) lanes[r * T + t] = bn_dot_i8(wv, x[t], KQ_WEIGHT_VECS);
    }
}

#include "../kquant-walk.h"

#endif
