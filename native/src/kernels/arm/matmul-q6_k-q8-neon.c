/* Q6_K matrix x int8 activation rows, plain NEON (CPUs without SDOT). Bit-exact with
 * bn_matmul_q6_k_q8__ref through the shared walk of kquant-arm.h.
 *
 * Per 16 weights (one sub-block s): SLI rebuilds the 6-bit codes from a ql nibble and a qh bit pair,
 * minus 32 they are int8 in [-32, 31], SMULL / SMLAL2 add two products per int16 lane (at most
 * 2 * 32 * 128 = 8192) and SMLAL by the scale sc_s widens them into the int32 lanes. Bounds: a lane
 * gains at most 32 * 8192 * 128 = 2^25 per block. */
#include "arm-common.h"
#include "bn_kquants.h"

#define KQ_BLOCK BN_QK_BLOCK
#define KQ_BLOCK_BYTES BN_Q6_K_BLOCK_BYTES
#define KQ_GROUP 0
#define KQ_D_AT BN_Q6_K_D_AT
#define KQ_DMIN_AT (-1)

#include "kquant-arm.h"

/* The codes minus 32 of weights 128 h + 32 g + 16 u + 0..15 of a block (g = 0..3, u = 0..1). */
BN_ALWAYS_INLINE void q6_codes(const uint8_t* block, int h, int u, int8x16_t c[4]) {
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

BN_ALWAYS_INLINE void kq_block(const uint8_t* const* w, const int R, const int8_t* const* x,
                               const int16_t* const* xs, const int T, int32x4_t* lanes, int32x4_t* mlanes) {
    (void)xs;
    (void)mlanes;
    for (int r = 0; r < R; r++) {
        const int8_t* sc = (const int8_t*)(w[r] + BN_Q6_K_SCALES_AT);
        int32x4_t acc[4];
        for (int t = 0; t < T; t++) acc[t] = vdupq_n_s32(0);
        for (int h = 0; h < 2; h++)
            for (int u = 0; u < 2; u++) {
                int8x16_t c[4];
                q6_codes(w[r], h, u, c);
                for (int g = 0; g < 4; g++) {
                    const int16_t s = sc[8 * h + 2 * g + u];
                    for (int t = 0; t < T; t++) {
                        const int8x16_t xv = vld1q_s8(x[t] + 128 * h + 32 * g + 16 * u);
                        const int16x8_t p = vmlal_high_s8(vmull_s8(vget_low_s8(c[g]), vget_low_s8(xv)), c[g], xv);
                        acc[t] = vmlal_high_n_s16(vmlal_n_s16(acc[t], vget_low_s16(p), s), p, s);
                    }
                }
            }
        for (int t = 0; t < T; t++) lanes[r * T + t] = acc[t];
    }
}

void bn_matmul_q6_k_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { kq_matmul(a, i_begin, i_end); }
