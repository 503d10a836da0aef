/* I2ST (transposed I2S) x int8 matmul over a sparse activation row, NEON: one nonzero column at a time
 * over a 128-row tile, its 32 bytes split into four 2-bit fields of 2 x 16 outputs; w = code - 1 (code
 * 3 reads as +2, as in the reference) multiplies the broadcast activation into int16 lanes (SMLAL).
 * |w x| <= 256 per column, so 64 columns stay below 2^15 before the sums are widened into int32: the
 * exact dot, the reference's bits. */
#include "arm-common.h"
#include "bn_internal.h"

#define COLUMNS_PER_FLUSH 64

void bn_matmul_i2st_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t n = a->n;
    const int64_t col_bytes = ((int64_t)n + BN_I2ST_TILE - 1) / BN_I2ST_TILE * (BN_I2ST_TILE / 4);
    const uint8x16_t three = vdupq_n_u8(3);
    const int8x16_t one = vdupq_n_s8(1);
    for (int32_t r = 0; r < a->m; r++) {
        const bn_sparse_row x = bn_sparse_row_at(a, r);
        for (int32_t i0 = i_begin; i0 < i_end; i0 += BN_I2ST_TILE) {
            const uint8_t* tile = a->w + (int64_t)(i0 / BN_I2ST_TILE) * 32;
            int32_t acc[BN_I2ST_TILE] = {0};
            int16x8_t s[4][2][2]; /* field, 16-byte half, 8-lane half */
            for (int f = 0; f < 4; f++)
                for (int h = 0; h < 2; h++) s[f][h][0] = s[f][h][1] = vdupq_n_s16(0);
            int32_t columns = 0;
            for (int32_t e = 0; e < x.count; e++) {
                const uint8_t* col = tile + x.idx[e] * col_bytes;
                const uint8x16_t b0 = vld1q_u8(col), b1 = vld1q_u8(col + 16);
                const int8x16_t xv = vdupq_n_s8(x.val[e]);
#define FIELD(f, shift)                                                                                                \
    do {                                                                                                               \
        const int8x16_t w0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(b0, shift), three)), one);             \
        const int8x16_t w1 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(b1, shift), three)), one);             \
        s[f][0][0] = vmlal_s8(s[f][0][0], vget_low_s8(w0), vget_low_s8(xv));                                           \
        s[f][0][1] = vmlal_high_s8(s[f][0][1], w0, xv);                                                                \
        s[f][1][0] = vmlal_s8(s[f][1][0], vget_low_s8(w1), vget_low_s8(xv));                                           \
        s[f][1][1] = vmlal_high_s8(s[f][1][1], w1, xv);                                                                \
    } while (0)
                FIELD(0, 6);
                FIELD(1, 4);
                FIELD(2, 2);
                {
                    const int8x16_t w0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(b0, three)), one);
                    const int8x16_t w1 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(b1, three)), one);
                    s[3][0][0] = vmlal_s8(s[3][0][0], vget_low_s8(w0), vget_low_s8(xv));
                    s[3][0][1] = vmlal_high_s8(s[3][0][1], w0, xv);
                    s[3][1][0] = vmlal_s8(s[3][1][0], vget_low_s8(w1), vget_low_s8(xv));
                    s[3][1][1] = vmlal_high_s8(s[3][1][1], w1, xv);
                }
#undef FIELD
                if (++columns == COLUMNS_PER_FLUSH || e + 1 == x.count) {
                    /* field f, half h, lanes l: outputs 32 f + 16 h + 8 l .. + 7 */
                    for (int f = 0; f < 4; f++)
                        for (int h = 0; h < 2; h++)
                            for (int l = 0; l < 2; l++) {
                                int32_t* o = acc + 32 * f + 16 * h + 8 * l;
                                vst1q_s32(o, vaddw_s16(vld1q_s32(o), vget_low_s16(s[f][h][l])));
                                vst1q_s32(o + 4, vaddw_high_s16(vld1q_s32(o + 4), s[f][h][l]));
                                s[f][h][l] = vdupq_n_s16(0);
                            }
                    columns = 0;
                }
            }
            const int32_t rows = i_end - i0 < BN_I2ST_TILE ? i_end - i0 : BN_I2ST_TILE;
            float* y = a->y + (int64_t)r * n + i0;
            for (int32_t i = 0; i < rows; i++) y[i] = (float)acc[i] * x.scale;
        }
    }
}
