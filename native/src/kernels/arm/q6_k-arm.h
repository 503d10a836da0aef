/* The Q6_K block on AArch64 (the NEON and NEON dotprod kernels): 256 weights d sc_s (c_j - 32) with 6-bit codes c_j,
 * sixteen int8 scales sc_s of 16-weight sub-blocks and the fp16 d at the end; the shared walk of
 * kernels/kquant-walk.h gets I_b = sum_s sc_s (sum_{j in s} (c_j - 32) x_j) in the pair lanes.
 *
 * Per 16 weights (one sub-block s): SLI rebuilds the 6-bit codes from a ql nibble and a qh bit pair, minus 32 they
 * are int8 in [-32, 31], and bn_dot_i8_mla multiplies them by the activations and the scale: with SDOT, four
 * products per int32 lane and MLA by sc_s (a lane gains at most 16 * 4 * 32 * 128 * 128 = 2^25 per block);
 * without, SMULL / SMLAL2 add two products per int16 lane (at most 2 * 32 * 128 = 8192) and SMLAL by sc_s widens
 * them (32 * 8192 * 128 = 2^25 per block). */
#ifndef BN_Q6_K_ARM_H
#define BN_Q6_K_ARM_H

#include "kquant-arm.h"

#define KQ_BLOCK BN_QK_BLOCK
#define KQ_BLOCK_BYTES BN_Q6_K_BLOCK_BYTES
#define KQ_GROUP 0
#define KQ_D_AT BN_Q6_K_D_AT
#define KQ_DMIN_AT (-1)

/* The codes minus 32 of weights 128 h + 32 g + 16 u + 0..15 of a block (g = 0..3, u = 0..1). */
BN_ALWAYS_INLINE void kq_codes(const uint8_t* block, int h, int u, int8x16_t c[4]) {
    const uint8x16_t l0 = vld1q_u8(block + 64 * h + 16 * u), l1 = vld1q_u8(block + 64 * h + 32 + 16 * u);
    const uint8x16_t hb = vld1q_u8(block + BN_Q6_K_QH_AT + 32 * h + 16 * u);
    const uint8x16_t three = vdupq_n_u8(3);
    const int8x16_t m32 = vdupq_n_s8(32);
    /* vsliq_n_u8(a, b, 4) = (b << 4) | (a & 15) */
    c[0] = vsubq_s8(vreinterpretq_s8_u8(vsliq_n_u8(l0, vandq_u8(hb, three), 4)), m32);
    c[1] = vsubq_s8(vreinterpretq_s8_u8(vsliq_n_u8(l1, vandq_u8(vshrq_n_u8(hb, 2), three), 4)), m32);
    c[2] = vsubq_s8(vreinterpretq_s8_u8(vsliq_n_u8(vshrq_n_u8(l0, 4), vandq_u8(vshrq_n_u8(hb, 4), three), 4)), m32);
    c[3] = vsubq_s8(vreinterpretq_s8_u8(vsliq_n_u8(vshrq_n_u8(l1, 4), vshrq_n_u8(hb, 6), 4)), m32);
}

BN_ALWAYS_INLINE void kq_block(const uint8_t* const* w, const int R, const int8_t* const* x, const int16_t* const* xs,
                               const int T, int32x4_t* lanes, int32x4_t* mlanes) {
    (void)xs;
    (void)mlanes;
    for (int r = 0; r < R; r++) {
        const int8_t* sc = (const int8_t*)(w[r] + BN_Q6_K_SCALES_AT);
        int32x4_t acc[4];
        for (int t = 0; t < T; t++) acc[t] = vdupq_n_s32(0);
        for (int h = 0; h < 2; h++)
            for (int u = 0; u < 2; u++) {
                int8x16_t c[4];
                kq_codes(w[r], h, u, c);
                for (int g = 0; g < 4; g++) {
                    const int32_t scale = sc[8 * h + 2 * g + u];
                    for (int t = 0; t < T; t++)
                        acc[t] = bn_dot_i8_mla(acc[t], &c[g], x[t] + 128 * h + 32 * g + 16 * u, 1, scale);
                }
            }
        for (int t = 0; t < T; t++) lanes[r * T + t] = acc[t];
    }
}

#include "../kquant-walk.h"

#endif
