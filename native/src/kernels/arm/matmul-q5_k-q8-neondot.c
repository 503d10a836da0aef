/* Q5_K matrix x int8 activation rows, NEON with SDOT (Armv8.2 dot product). Bit-exact with
 * bn_matmul_q5_k_q8__ref through the shared walk of kquant-arm.h.
 *
 * Per 32 weights (one sub-block s): the codes (0..31, non-negative int8) are nibbles of a 32-byte
 * chunk with bit s of the qh bytes as their fifth bit, two SDOTs add eight products per int32 lane and MLA by the 6-bit scale sc_s accumulates them;
 * the mins need only the activation sums, M_b = sum_s m_s xsum_s. Bounds: a lane gains at most
 * 8 * 8 * 31 * 128 * 63 < 2^24 per block. */
#include "arm-common.h"
#include "bn_kquants.h"

#define KQ_BLOCK BN_QK_BLOCK
#define KQ_BLOCK_BYTES BN_Q5_K_BLOCK_BYTES
#define KQ_GROUP 32
#define KQ_D_AT 0
#define KQ_DMIN_AT 2

#include "kquant-arm.h"

/* The codes of sub-block 2 p + hi, weights 32 (2 p + hi) + 16 u + 0..15 in c[hi][u]: a nibble, plus 16
 * where bit 2 p + hi of qh[16 u + 0..15] is set. */
BN_ALWAYS_INLINE void k5_codes(const uint8_t* block, int p, uint8x16_t c[2][2]) {
    const uint8x16_t m4 = vdupq_n_u8(15), sixteen = vdupq_n_u8(16);
    for (int u = 0; u < 2; u++) {
        const uint8x16_t q = vld1q_u8(block + BN_Q5_K_QS_AT + 32 * p + 16 * u);
        const uint8x16_t qh = vld1q_u8(block + BN_Q5_K_QH_AT + 16 * u);
        c[0][u] = vorrq_u8(vandq_u8(q, m4), vandq_u8(vtstq_u8(qh, vdupq_n_u8((uint8_t)(1 << 2 * p))), sixteen));
        c[1][u] = vorrq_u8(vshrq_n_u8(q, 4), vandq_u8(vtstq_u8(qh, vdupq_n_u8((uint8_t)(2 << 2 * p))), sixteen));
    }
}

/* M_b's four lanes: the eight mins times the eight activation sums. */
BN_ALWAYS_INLINE int32x4_t k4_min_lanes(uint64_t mn8, const int16_t* xs) {
    const int16x8_t mn = vreinterpretq_s16_u16(vmovl_u8(vcreate_u8(mn8)));
    const int16x8_t s = vld1q_s16(xs);
    return vmlal_high_s16(vmull_s16(vget_low_s16(mn), vget_low_s16(s)), mn, s);
}

BN_ALWAYS_INLINE void kq_block(const uint8_t* const* w, const int R, const int8_t* const* x,
                               const int16_t* const* xs, const int T, int32x4_t* lanes, int32x4_t* mlanes) {
    for (int r = 0; r < R; r++) {
        uint64_t sc8, mn8;
        bn_k4_scales_mins(w[r] + BN_Q5_K_SCALES_AT, &sc8, &mn8);
        int32x4_t acc[4];
        for (int t = 0; t < T; t++) {
            mlanes[r * T + t] = k4_min_lanes(mn8, xs[t]);
            acc[t] = vdupq_n_s32(0);
        }
        for (int p = 0; p < 4; p++) {
            uint8x16_t c[2][2];
            k5_codes(w[r], p, c);
            for (int hi = 0; hi < 2; hi++) {
                const int s = 2 * p + hi;
                const int32_t scale = (int32_t)((sc8 >> 8 * s) & 0xff);
                const int8x16_t c0 = vreinterpretq_s8_u8(c[hi][0]), c1 = vreinterpretq_s8_u8(c[hi][1]);
                for (int t = 0; t < T; t++) {
                    const int8x16_t x0 = vld1q_s8(x[t] + 32 * s), x1 = vld1q_s8(x[t] + 32 * s + 16);
                    acc[t] = vmlaq_n_s32(acc[t], vdotq_s32(vdotq_s32(vdupq_n_s32(0), c0, x0), c1, x1), scale);
                }
            }
        }
        for (int t = 0; t < T; t++) lanes[r * T + t] = acc[t];
    }
}

void bn_matmul_q5_k_q8__neondot(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { kq_matmul(a, i_begin, i_end); }
