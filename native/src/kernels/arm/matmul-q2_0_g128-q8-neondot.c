/* Q2_0_G128 (PrismML's 128-weight Q2_0) matrix x int8 activation rows, NEON with SDOT (Armv8.2 dot product).
 * Bit-exact with bn_matmul_q2_0_g128_q8__ref through the shared walk of kquant-arm.h.
 *
 * The block's two halves expand as Q2_0's (q2_0-arm.h, the second half read at block + 16) into weights c - 1 in
 * [-1, 2]; eight SDOTs add 32 products per int32 lane, exact for every int8 activation. */
#include "arm-common.h"
#include "bn_kquants.h"
#include "q2_0-arm.h"

#define KQ_BLOCK BN_Q2_0_G128_BLOCK
#define KQ_BLOCK_BYTES BN_Q2_0_G128_BLOCK_BYTES
#define KQ_GROUP 0
#define KQ_D_AT 0
#define KQ_DMIN_AT (-1)

BN_ALWAYS_INLINE void kq_block(const uint8_t* const* w, const int R, const int8_t* const* x,
                               const int16_t* const* xs, const int T, int32x4_t* lanes, int32x4_t* mlanes) {
    (void)xs;
    (void)mlanes;
    for (int r = 0; r < R; r++) {
        int8x16_t c[8];
        bn_q2_0_weights(w[r], c);
        bn_q2_0_weights(w[r] + 16, c + 4);
        for (int t = 0; t < T; t++) {
            int32x4_t acc = vdupq_n_s32(0);
            for (int v = 0; v < 8; v++) acc = vdotq_s32(acc, c[v], vld1q_s8(x[t] + 16 * v));
            lanes[r * T + t] = acc;
        }
    }
}

#include "kquant-arm.h"

void bn_matmul_q2_0_g128_q8__neondot(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    kq_matmul(a, i_begin, i_end);
}
