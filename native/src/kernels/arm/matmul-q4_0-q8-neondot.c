/* Q4_0 matrix x int8 activation rows, NEON with SDOT (Armv8.2 dot product). Bit-exact with
 * bn_matmul_q4_0_q8__ref through the shared walk of kquant-arm.h.
 *
 * A block's sixteen bytes give the codes minus 8 (int8 in [-8, 7]) of weights 0..15 (low nibbles) and
 * 16..31 (high nibbles); two SDOTs add eight products per int32 lane, exact for every int8. */
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
        for (int t = 0; t < T; t++)
            lanes[r * T + t] = vdotq_s32(vdotq_s32(vdupq_n_s32(0), lo, vld1q_s8(x[t])), hi, vld1q_s8(x[t] + 16));
    }
}

void bn_matmul_q4_0_q8__neondot(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    kq_matmul(a, i_begin, i_end);
}
