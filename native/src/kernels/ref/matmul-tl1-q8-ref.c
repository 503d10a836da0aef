/* Reference TL1 x int8 matmul: the specification every LUT variant must reproduce bit for bit.
 * y[r, i] = (float)(sum_p w0(c) * x[2p] + w1(c) * x[2p + 1]) * (x_scales[r] * w_scale), c the pair
 * code of row i and column pair p, the dot exact in int32 (the entry point bounds k). That is
 * exactly what a lookup table of the nine pair sums yields, entry c of pair p being
 * w0(c) x[2p] + w1(c) x[2p + 1] (codes 9..15: 0). The epilogue is bn_matmul_i2s_q8's, so a TL1 matrix
 * repacked from I2S gives that kernel's bits. No tables here: the reference reads activations. */
#include "bn_internal.h"

void bn_matmul_tl1_q8__ref(const bn_lut_args* a, int32_t tile_begin, int32_t tile_end) {
    const int32_t k = a->k;
    for (int32_t t = tile_begin; t < tile_end; t++) {
        const uint8_t* tile = a->w + (int64_t)t * BN_TL1_TILE_BYTES(k);
        for (int32_t i = 0; i < BN_LUT_ROW_TILE; i++) {
            const int32_t row = t * BN_LUT_ROW_TILE + i;
            if (row >= a->n) break;
            for (int32_t r = 0; r < a->m; r++) {
                const int8_t* x = a->xq + (int64_t)r * k;
                int32_t dot = 0;
                for (int32_t p = 0; p < k / 2; p++) {
                    const int c = bn_tl1_code(tile, p, i);
                    dot += bn_tl1_w0(c) * x[2 * p] + bn_tl1_w1(c) * x[2 * p + 1];
                }
                a->y[(int64_t)r * a->n + row] = (float)dot * (a->x_scales[r] * a->w_scale);
            }
        }
    }
}
