/* I2S x int8 matmul with the Armv8.2 dot-product extension (SDOT). Bit-exact with
 * bn_matmul_i2s_q8__ref.
 *
 * Arithmetic. SDOT (vdotq_s32) multiplies int8 by int8 and adds groups of four products into
 * int32 lanes; no product is ever formed in int8, so x = -128 is harmless. Like the plain NEON
 * variant we multiply codes c = w + 1 (0..2, a corrupt 3 counts as +2 like the reference) and
 * subtract the activation sum once per row: sum_j w_j x_j = sum_j c_j x_j - sum_j x_j.
 *
 * Decoding with one instruction per field. Byte j of a block holds the codes of weights j, j+32,
 * j+64, j+96 in bits 7:6, 5:4, 3:2, 1:0. Instead of shifting every field down to 0..3 (shift +
 * mask, two instructions) we mask the middle fields in place:
 *     p >> 6 = c        (weights j)       -> accumulator acc1
 *     p & 0x30 = 16 c   (weights j + 32)  -> accumulator acc16
 *     p & 0x0C = 4 c    (weights j + 64)  -> accumulator acc4
 *     p & 0x03 = c      (weights j + 96)  -> accumulator acc1
 * All are non-negative int8 (16 c <= 48). At the end sum c x = acc1 + acc4 / 4 + acc16 / 16,
 * done lane-wise with SSRA (shift right and accumulate, vsraq_n_s32); every lane of acc4 is a sum
 * of multiples of 4 (acc16: of 16), so the arithmetic shifts are exact divisions.
 *
 * Overflow bound: per 128-weight block a lane of acc16 gains 2 SDOTs x 4 products x 16 * 3 * 128,
 * i.e. 49152, and k <= 2^22 (the entry point's cap) means at most 32768 blocks: 1.61e9 < 2^31.
 * acc4 and acc1 gain a quarter and an eighth of that. The combined lanes and their horizontal sum
 * equal sum c x, at most 384 k < 2^31. So nothing wraps.
 *
 * Tiles. m == 1: 4 weight rows x 1 activation row (activation loads shared by four rows; 12 int32
 * accumulators, 4 code vectors, 4 activation vectors live). m > 1: 1 weight row x up to 4
 * activation rows (each field decoded once for all of them, weights read once per four rows).
 * Per 16 code bytes and (weight row, activation row) pair: 4 SDOTs plus ~6 (m == 1) or ~5 (m > 1)
 * loads and decode instructions. */
#include "i2s-walk-arm.h"

/* Field g of 16 code bytes in the scaled form described above, and the accumulator it feeds:
 * 0 -> acc1, 1 -> acc16, 2 -> acc4, 3 -> acc1. */
BN_ALWAYS_INLINE int8x16_t scaled_field(uint8x16_t p, int g) {
    switch (g) {
    case 0: return vreinterpretq_s8_u8(vshrq_n_u8(p, 6));
    case 1: return vreinterpretq_s8_u8(vandq_u8(p, vdupq_n_u8(0x30)));
    case 2: return vreinterpretq_s8_u8(vandq_u8(p, vdupq_n_u8(0x0C)));
    default: return vreinterpretq_s8_u8(vandq_u8(p, vdupq_n_u8(0x03)));
    }
}

/* dots[r * C + c] = sum_j code(i + r, j) * xq[r0 + c, j], R * C <= 4, R and C constant. */
BN_ALWAYS_INLINE void tile(const bn_matmul_args* a, int32_t i, int32_t r0, const int R, const int C, int32_t* dots) {
    const int32_t n_blocks = a->k / BN_I2S_BLOCK;
    const uint8_t* w[4];
    const int8_t* x[4];
    bn_tile_rows(a, i, R, r0, C, w, x);
    int32x4_t acc1[4], acc4[4], acc16[4];
#pragma GCC unroll 4
    for (int t = 0; t < R * C; t++) acc1[t] = acc4[t] = acc16[t] = vdupq_n_s32(0);

    for (int32_t b = 0; b < n_blocks; b++) {
#pragma GCC unroll 2
        for (int q = 0; q < 2; q++) {
            uint8x16_t p[4];
            i2s_codes(w, R, b, q, p);
#pragma GCC unroll 4
            for (int c = 0; c < C; c++) {
                /* weights 32g + 16q .. +15 of this block, g = 0..3 */
                const int8_t* xb = x[c] + b * BN_I2S_BLOCK + 16 * q;
                const int8x16_t x0 = vld1q_s8(xb), x1 = vld1q_s8(xb + 32), x2 = vld1q_s8(xb + 64),
                                x3 = vld1q_s8(xb + 96);
#pragma GCC unroll 4
                for (int r = 0; r < R; r++) {
                    const int t = r * C + c;
                    acc1[t] = vdotq_s32(acc1[t], scaled_field(p[r], 0), x0);
                    acc16[t] = vdotq_s32(acc16[t], scaled_field(p[r], 1), x1);
                    acc4[t] = vdotq_s32(acc4[t], scaled_field(p[r], 2), x2);
                    acc1[t] = vdotq_s32(acc1[t], scaled_field(p[r], 3), x3);
                }
            }
        }
    }
#pragma GCC unroll 4
    for (int t = 0; t < R * C; t++) dots[t] = vaddvq_s32(vsraq_n_s32(vsraq_n_s32(acc1[t], acc4[t], 2), acc16[t], 4));
}

void bn_matmul_i2s_q8__neondot(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    i2s_matmul(a, i_begin, i_end);
}
