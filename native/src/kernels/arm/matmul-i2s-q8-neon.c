/* I2S x int8 matmul, plain Armv8 NEON (no SDOT), for cores without the dot-product extension
 * (Cortex-A53/A57/A72/A73 class). Bit-exact with bn_matmul_i2s_q8__ref.
 *
 * Arithmetic. We multiply the codes c = w + 1 (0..2; 3 only in a corrupt file, counted as w = +2
 * like the reference) instead of the weights, because a code is just a shifted-and-masked 2-bit
 * field, ready to use as a non-negative int8:
 *     sum_j w_j x_j = sum_j c_j x_j - sum_j x_j,
 * with sum_j x_j computed once per activation row and call. SMLAL / SMLAL2 (vmlal_s8,
 * vmlal_high_s8) multiply eight int8 pairs into int16 lanes and add them there; SADALP
 * (vpadalq_s16) folds the int16 lanes into int32 lanes.
 *
 * Overflow bound (bitnet.cpp's non-dotprod NEON path overflowed its int16 sums exactly here):
 * |c x| <= 3 * 128 = 384 for every code 0..3 and every int8, -128 included. Each (weight row,
 * activation row) pair has two int16 accumulators (low and high halves of the code vectors), and
 * per 128-weight block each of their lanes receives 2 code vectors x 4 fields = 8 products, at most
 * 8 * 384 = 3072. BLOCKS_PER_FLUSH = 8 blocks give at most 24576 < 32767, then SADALP widens them
 * (10 blocks would still fit, 11 would not: test_matmul's all-code-3 x -128 case catches that).
 * The int32 total sum_j c_j x_j is at most 384 k <= 384 * 2^22 < 2^31 (the entry point caps k at
 * 2^22), so no lane, horizontal sum or the final subtraction overflows.
 *
 * Tiles. m == 1 (decoding one token, the hot case): 4 weight rows x 1 activation row, so each
 * activation vector is loaded once for four rows; 8 int16 + 4 int32 accumulators, 4 code vectors
 * and one activation vector are live, well within the 32 registers. m > 1 (a prompt batch):
 * 1 weight row x up to 4 activation rows, so each weight field is decoded once for all of them and
 * every weight row is read once per group of four activation rows. Per 16 code bytes and (weight
 * row, activation row) pair that is 8 multiply-accumulates plus ~8 (m == 1: 1 code load, 6 decode,
 * 1 shared activation load) or ~6 (m > 1: 4 activation loads, a quarter of the decode) others. */
#include "i2s-walk-arm.h"

#define BLOCKS_PER_FLUSH 8

/* dots[r * C + c] = sum_j code(i + r, j) * xq[r0 + c, j] for R weight rows and C activation rows,
 * R * C <= 4. Always inlined with constant R and C. */
BN_ALWAYS_INLINE void tile(const bn_matmul_args* a, int32_t i, int32_t r0, const int R, const int C, int32_t* dots) {
    const int32_t n_blocks = a->k / BN_I2S_BLOCK;
    const uint8_t* w[4];
    const int8_t* x[4];
    bn_tile_rows(a, i, R, r0, C, w, x);
    int32x4_t acc[4];
#pragma GCC unroll 4
    for (int t = 0; t < R * C; t++) acc[t] = vdupq_n_s32(0);

    for (int32_t b0 = 0; b0 < n_blocks; b0 += BLOCKS_PER_FLUSH) {
        const int32_t b_end = b0 + BLOCKS_PER_FLUSH < n_blocks ? b0 + BLOCKS_PER_FLUSH : n_blocks;
        int16x8_t lo[4], hi[4];
#pragma GCC unroll 4
        for (int t = 0; t < R * C; t++) lo[t] = hi[t] = vdupq_n_s16(0);
        for (int32_t b = b0; b < b_end; b++) {
#pragma GCC unroll 2
            for (int q = 0; q < 2; q++) {
                uint8x16_t p[4];
                i2s_codes(w, R, b, q, p);
#pragma GCC unroll 4
                for (int g = 0; g < 4; g++) {
                    int8x16_t code[4];
#pragma GCC unroll 4
                    for (int r = 0; r < R; r++) code[r] = bn_i2s_field(p[r], g);
#pragma GCC unroll 4
                    for (int c = 0; c < C; c++) {
                        /* weights 32g + 16q .. +15 of this block */
                        const int8x16_t xv = vld1q_s8(x[c] + b * BN_I2S_BLOCK + 32 * g + 16 * q);
#pragma GCC unroll 4
                        for (int r = 0; r < R; r++) {
                            lo[r * C + c] = vmlal_s8(lo[r * C + c], vget_low_s8(code[r]), vget_low_s8(xv));
                            hi[r * C + c] = vmlal_high_s8(hi[r * C + c], code[r], xv);
                        }
                    }
                }
            }
        }
#pragma GCC unroll 4
        for (int t = 0; t < R * C; t++) acc[t] = vpadalq_s16(vpadalq_s16(acc[t], lo[t]), hi[t]);
    }
#pragma GCC unroll 4
    for (int t = 0; t < R * C; t++) dots[t] = vaddvq_s32(acc[t]);
}

void bn_matmul_i2s_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { i2s_matmul(a, i_begin, i_end); }
