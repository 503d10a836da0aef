/* The walk the I2S x int8 kernels on AArch64 share (NEON and NEON dotprod files alike): m = 1 in tiles of four
 * weight rows against the one activation row, m > 1 one weight row against up to four activation rows, then
 * y = (float)(sum c x - sum x) * (x_scale * w_scale) as the reference computes it (codes c = w + 1; the activation
 * sums once per row and call). The including file defines, after including this file (with i2s_codes for the code
 * loads),
 *   tile(a, i, r0, R, C, dots): dots[r * C + c] = sum_j code(i + r, j) * xq[r0 + c, j], R * C <= 4, R and C
 *   constant. */
#ifndef BN_I2S_WALK_ARM_H
#define BN_I2S_WALK_ARM_H

#include "arm-common.h"

/* Code bytes 16 q .. 16 q + 15 of block b of the R weight rows w[0..R). */
BN_ALWAYS_INLINE void i2s_codes(const uint8_t* const w[4], const int R, int32_t b, int q, uint8x16_t p[4]) {
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) p[r] = vld1q_u8(w[r] + b * 32 + 16 * q);
}

BN_ALWAYS_INLINE void tile(const bn_matmul_args* a, int32_t i, int32_t r0, const int R, const int C, int32_t* dots);

BN_ALWAYS_INLINE void i2s_matmul(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t k = a->k;
    if (a->m == 1) {
        const int32_t x_sum = bn_sum_i8_neon(a->xq, k);
        const float scale = a->x_scales[0] * a->w_scale;
        int32_t i = i_begin;
        for (; i + 4 <= i_end; i += 4) {
            int32_t dots[4];
            tile(a, i, 0, 4, 1, dots);
            for (int r = 0; r < 4; r++) a->y[i + r] = (float)(dots[r] - x_sum) * scale;
        }
        for (; i < i_end; i++) {
            int32_t dot;
            tile(a, i, 0, 1, 1, &dot);
            a->y[i] = (float)(dot - x_sum) * scale;
        }
        return;
    }
    for (int32_t r0 = 0; r0 < a->m; r0 += 4) {
        const int32_t nr = a->m - r0 < 4 ? a->m - r0 : 4;
        int32_t x_sums[4];
        for (int32_t r = 0; r < nr; r++) x_sums[r] = bn_sum_i8_neon(a->xq + (int64_t)(r0 + r) * k, k);
        for (int32_t i = i_begin; i < i_end; i++) {
            int32_t dots[4];
            switch (nr) {
            case 4: tile(a, i, r0, 1, 4, dots); break;
            case 3: tile(a, i, r0, 1, 3, dots); break;
            case 2: tile(a, i, r0, 1, 2, dots); break;
            default: tile(a, i, r0, 1, 1, dots); break;
            }
            for (int32_t r = 0; r < nr; r++)
                a->y[(int64_t)(r0 + r) * a->n + i] = (float)(dots[r] - x_sums[r]) * (a->x_scales[r0 + r] * a->w_scale);
        }
    }
}

#endif
