/* Q1_0 matrix x int8 activation rows, plain NEON (CPUs without SDOT). Bit-exact with bn_matmul_q1_0_q8__ref
 * through the shared walk of kquant-arm.h.
 *
 * A block's 128 weights +1 / -1 (q1_0-arm.h) multiply the activations with SMULL / SMLAL2: sixteen products per
 * int16 lane, each in [-128, 128], so a lane stays within 2048; SADDLP widens them into the four int32 lanes. */
#include "arm-common.h"
#include "bn_kquants.h"
#include "q1_0-arm.h"

#define KQ_BLOCK BN_Q1_0_BLOCK
#define KQ_BLOCK_BYTES BN_Q1_0_BLOCK_BYTES
#define KQ_GROUP 0
#define KQ_D_AT 0
#define KQ_DMIN_AT (-1)

BN_ALWAYS_INLINE void kq_block(const uint8_t* const* w, const int R, const int8_t* const* x,
                               const int16_t* const* xs, const int T, int32x4_t* lanes, int32x4_t* mlanes) {
    (void)xs;
    (void)mlanes;
    for (int r = 0; r < R; r++) {
        const uint8x16_t q = vld1q_u8(w[r] + 2);
        int8x16_t s[8];
        for (int v = 0; v < 8; v++) s[v] = bn_q1_0_signs(q, v);
        for (int t = 0; t < T; t++) {
            int16x8_t p = vdupq_n_s16(0);
            for (int v = 0; v < 8; v++) {
                const int8x16_t xv = vld1q_s8(x[t] + 16 * v);
                p = vmlal_s8(p, vget_low_s8(s[v]), vget_low_s8(xv));
                p = vmlal_high_s8(p, s[v], xv);
            }
            lanes[r * T + t] = vpaddlq_s16(p);
        }
    }
}

#include "kquant-arm.h"

void bn_matmul_q1_0_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { kq_matmul(a, i_begin, i_end); }
