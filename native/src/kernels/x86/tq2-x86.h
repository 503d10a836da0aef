/* The TQ2_0 block on x86 (the AVX2 and AVX-512 VNNI kernels) on the shared walk of kernels/kquant-walk.h, bit-exact
 * with bn_matmul_tq2_q8__ref: per 256-weight block the exact int32 dot, then sum = sum + (float)dot_b * d_b over
 * the blocks in order, then y = sum * (x_scales[r] * w_scale).
 *
 * Layout (llama.cpp TQ2_0): block = qs[64] + fp16 d (66 bytes, so rows and blocks are unaligned). Codes c in
 * {0,1,2} (w = c - 1) are multiplied unsigned by the signed activations; the block's activation sum X_b, once per
 * block for all weight rows, is subtracted after the horizontal sum (KQ_ACT_OFFSET): dot_b = sum c x - X_b.
 *
 * The including file supplies the block arithmetic, then includes this file:
 *   tq2_block_dot(block, x)          int32 lanes of sum c x of one block against its 256 activations, for the
 *                                    m = 1 path where ALU throughput decides;
 *   tq2_block_dots4(block, x, part)  part[t]: the lanes of one block against activation blocks x[0..3], the codes
 *                                    decoded once for the four. */
#ifndef BN_TQ2_X86_H
#define BN_TQ2_X86_H

#include "kquant-x86.h"

#define KQ_BLOCK BN_TQ_BLOCK
#define KQ_BLOCK_BYTES BN_TQ2_BLOCK_BYTES
#define KQ_GROUP BN_TQ_BLOCK
#define KQ_D_AT 64
#define KQ_DMIN_AT (-1)
#define KQ_ACT_OFFSET 1
#define KQ_W_SCALE 1

static inline __attribute__((always_inline)) void kq_block(const uint8_t* const* w, const int R,
                                                           const int8_t* const* x, const int16_t* const* xs,
                                                           const int T, __m256i* lanes, __m128i* mlanes) {
    (void)xs;
    (void)mlanes;
    if (T == 1)
        for (int r = 0; r < R; r++) lanes[r] = tq2_block_dot(w[r], x[0]);
    else
        tq2_block_dots4(w[0], x, lanes);
}

#include "../kquant-walk.h"

#endif
