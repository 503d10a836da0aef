/* The Q4_K and Q5_K blocks (../q4_k-block.h) on AArch64, for the NEON and NEON dotprod kernels. A 256-weight block:
 * fp16 d and dmin, eight 6-bit scales sc_s and mins m_s packed in 12 bytes, then the codes of its eight 32-weight
 * sub-blocks: 4-bit nibbles of 32-byte chunks (chunk p: low nibbles sub-block 2 p, high nibbles 2 p + 1), for Q5_K
 * plus bit s of the 32 qh bytes as the fifth bit of sub-block s. Per block the shared walk (kernels/kquant-walk.h)
 * gets I_b = sum_s sc_s (sum_{j in s} c_j x_j) in the pair lanes and M_b = sum_s m_s xsum_s (the mins need only the
 * activation sums) in the min lanes.
 *
 * Per sub-block the codes (0..31, non-negative int8) go through bn_dot_i8_mla, which multiplies by the scale:
 * with SDOT, two SDOTs add eight products per int32 lane and MLA by sc_s accumulates them (a lane gains at most
 * 8 * 8 * 31 * 128 * 63 < 2^24 per block); without, SMULL / SMLAL2 add four products per int16 lane (at most
 * 4 * 31 * 128 = 15872) and SMLAL by sc_s widens them (16 * 15872 * 63 < 2^24 per block). */
#ifndef BN_Q4_K_ARM_H
#define BN_Q4_K_ARM_H

#include "kquant-arm.h"
#include "../q4_k-block.h"

/* The codes of sub-block 2 p + hi, weights 32 (2 p + hi) + 16 u + 0..15 in c[hi][u]: a nibble, for Q5_K plus 16
 * where bit 2 p + hi of qh[16 u + 0..15] is set. */
BN_ALWAYS_INLINE void kq_codes(const uint8_t* block, int p, int8x16_t c[2][2]) {
    const uint8x16_t m4 = vdupq_n_u8(15), sixteen = vdupq_n_u8(16);
    for (int u = 0; u < 2; u++) {
        const uint8x16_t q = vld1q_u8(block + KQ_QS_AT + 32 * p + 16 * u);
        uint8x16_t lo = vandq_u8(q, m4), hi = vshrq_n_u8(q, 4);
        if (KQ_Q5_K) {
            const uint8x16_t qh = vld1q_u8(block + BN_Q5_K_QH_AT + 16 * u);
            lo = vorrq_u8(lo, vandq_u8(vtstq_u8(qh, vdupq_n_u8((uint8_t)(1 << 2 * p))), sixteen));
            hi = vorrq_u8(hi, vandq_u8(vtstq_u8(qh, vdupq_n_u8((uint8_t)(2 << 2 * p))), sixteen));
        }
        c[0][u] = vreinterpretq_s8_u8(lo);
        c[1][u] = vreinterpretq_s8_u8(hi);
    }
}

/* M_b's four lanes: the eight mins times the eight activation sums. */
BN_ALWAYS_INLINE int32x4_t kq_min_lanes(uint64_t mn8, const int16_t* xs) {
    const int16x8_t mn = vreinterpretq_s16_u16(vmovl_u8(vcreate_u8(mn8)));
    const int16x8_t s = vld1q_s16(xs);
    return vmlal_high_s16(vmull_s16(vget_low_s16(mn), vget_low_s16(s)), mn, s);
}

BN_ALWAYS_INLINE void kq_block(const uint8_t* const* w, const int R, const int8_t* const* x, const int16_t* const* xs,
                               const int T, int32x4_t* lanes, int32x4_t* mlanes) {
    for (int r = 0; r < R; r++) {
        uint64_t sc8, mn8;
        bn_k4_scales_mins(w[r] + BN_Q4_K_SCALES_AT, &sc8, &mn8);
        int32x4_t acc[4];
        for (int t = 0; t < T; t++) {
            mlanes[r * T + t] = kq_min_lanes(mn8, xs[t]);
            acc[t] = vdupq_n_s32(0);
        }
        for (int p = 0; p < 4; p++) {
            int8x16_t c[2][2];
            kq_codes(w[r], p, c);
            for (int hi = 0; hi < 2; hi++) {
                const int s = 2 * p + hi;
                const int32_t scale = (int32_t)((sc8 >> 8 * s) & 0xff);
                for (int t = 0; t < T; t++) acc[t] = bn_dot_i8_mla(acc[t], c[hi], x[t] + 32 * s, 2, scale);
            }
        }
        for (int t = 0; t < T; t++) lanes[r * T + t] = acc[t];
    }
}

#include "../kquant-walk.h"

#endif
