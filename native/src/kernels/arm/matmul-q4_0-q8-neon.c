/* Q4_0 matrix x int8 activation rows, plain NEON (CPUs without SDOT). Bit-exact with
 * bn_matmul_q4_0_q8__ref through the shared walk of kquant-arm.h.
 *
 * A block's sixteen bytes give the codes minus 8 (int8 in [-8, 7]) of weights 0..15 (low nibbles) and
 * 16..31 (high nibbles); SMULL / SMLAL2 add four products per int16 lane (at most 4 * 8 * 128 = 4096)
 * and SADDLP widens them into the four int32 lanes. */
#include "arm-common.h"
#include "bn_kquants.h"

#define KQ_BLOCK BN_Q4_0_BLOCK
#define KQ_BLOCK_BYTES BN_Q4_0_BLOCK_BYTES
#define KQ_GROUP 0
#define KQ_D_AT 0
#define KQ_DMIN_AT (-1)

#include "kquant-arm.h"

BN_ALWAYS_INLINE void kq_block(const uint8_t* const* w, const int R, const int8_t* const* x,
                               const int16_t* const* xs, const int T, int32x4_t* lanes, int32x4_t* mlanes,
                               const uint8_t* pf) {
    (void)xs;
    (void)mlanes;
    const int8x16_t eight = vdupq_n_s8(8);
    for (int r = 0; r < R; r++) {
        kq_prefetch_slot(pf, r);
        const uint8x16_t q = vld1q_u8(w[r] + 2);
        const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(15))), eight);
        const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
        for (int t = 0; t < T; t++) {
            const int8x16_t x0 = vld1q_s8(x[t]), x1 = vld1q_s8(x[t] + 16);
            int16x8_t p = vmull_s8(vget_low_s8(lo), vget_low_s8(x0));
            p = vmlal_high_s8(p, lo, x0);
            p = vmlal_s8(p, vget_low_s8(hi), vget_low_s8(x1));
            p = vmlal_high_s8(p, hi, x1);
            lanes[r * T + t] = vpaddlq_s16(p);
        }
    }
}

void bn_matmul_q4_0_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { kq_matmul(a, i_begin, i_end); }
