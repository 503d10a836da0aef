/* Lookup tables of one int4 activation row for the NEON TL1 kernels (format: lut-arm.h): per unit,
 * the tables of its two pairs, straight from the activations. Reports activations outside [-8, 7],
 * which the tables cannot represent (the entry point rejects them). */
#include "lut-arm.h"

int32_t bn_lutbuild_tl1_q4__neon(const int8_t* x, int32_t k, uint8_t* table) {
    uint8x16_t bad = vdupq_n_u8(0);
    for (int32_t j = 0; j < k; j += 16) {
        const int8x16_t v = vld1q_s8(x + j);
        bad = vorrq_u8(bad, vorrq_u8(vcgtq_s8(v, vdupq_n_s8(7)), vcltq_s8(v, vdupq_n_s8(-8))));
        int8_t* out = (int8_t*)table + (int64_t)(j / 4) * 32;
#pragma GCC unroll 8
        for (int p = 0; p < 8; p++) vst1q_s8(out + 32 * (p / 2) + 16 * (p % 2), bn_lut_pair_table_neon(v, p));
    }
    /* the entry point needs "any": the number of byte lanes that saw one */
    return (int32_t)vaddvq_u8(vandq_u8(bad, vdupq_n_u8(1)));
}
