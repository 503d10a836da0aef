/* The walk the TQ2_0 x int8 kernels on AArch64 share (NEON and NEON dotprod files alike): m = 1 in tiles of four
 * weight rows against the one activation row, the rows left over and m > 1 one weight row against up to four
 * activation rows. The including file supplies
 *   rows4_x1(a, i, y)       y[0..3] for weight rows i..i+3 and activation row 0;
 *   row1_xn(a, i, r0, C)    y for weight row i and activation rows r0..r0+C-1 (C constant, 1..4). */
#ifndef BN_TQ2_WALK_ARM_H
#define BN_TQ2_WALK_ARM_H

#include "arm-common.h"

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
