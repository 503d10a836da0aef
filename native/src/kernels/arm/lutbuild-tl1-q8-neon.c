/* Lookup tables of one int8 activation row for the NEON TL1 kernels (format: lut-arm.h): per unit,
 * the nine-entry tables of the high and low parts of its two pairs. Four units come from one
 * 16-activation vector; a table costs two DUPs, a MUL and an MLA. */
#include "lut-arm.h"

int32_t bn_lutbuild_tl1_q8__neon(const int8_t* x, int32_t k, uint8_t* table) {
    for (int32_t j = 0; j < k; j += 16) {
        int8x16_t xh, xl;
        bn_lut_split_neon(vld1q_s8(x + j), &xh, &xl);
        int8_t* out = (int8_t*)table + (int64_t)(j / 4) * 64;
#pragma GCC unroll 8
        for (int p = 0; p < 8; p++) { /* pair p of the vector: unit p / 2, slot p % 2 */
            vst1q_s8(out + 64 * (p / 2) + 16 * (p % 2), bn_lut_pair_table_neon(xh, p));
            vst1q_s8(out + 64 * (p / 2) + 32 + 16 * (p % 2), bn_lut_pair_table_neon(xl, p));
        }
    }
    return 0;
}
