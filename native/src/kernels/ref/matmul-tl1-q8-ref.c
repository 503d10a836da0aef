/* Reference TL1 x int8 matmul: the specification every LUT variant must reproduce bit for bit.
 * y[r, i] = (float)(sum_p w0(c) * x[2p] + w1(c) * x[2p + 1]) * (x_scales[r] * w_scale), c the pair
 * code of row i and column pair p, the dot exact in int32 (the entry point bounds k). That is
 * exactly what a lookup table of the nine pair sums yields, entry c of pair p being
 * w0(c) x[2p] + w1(c) x[2p + 1] (codes 9..15: 0). The epilogue is the I2S kernels', so a TL1 matrix
 * repacked from I2S gives their bits. No tables here: the reference reads activations.
 *
 * int4 activations (BitNet a4.8, values in [-8, 7] held in int8) are a range restriction, not a
 * different formula: the dispatch config uses this function as the q4 reference too, and the entry
 * point rejects values outside [-8, 7] before any kernel runs (the SIMD q4 tables assume the range). */
#include "bn_internal.h"

void bn_matmul_tl1_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t k = a->k;
    for (int32_t row = i_begin; row < i_end; row++) {
        const uint8_t* tile = a->w + (int64_t)(row / BN_TL1_ROW_TILE) * BN_TL1_TILE_BYTES(k);
        for (int32_t r = 0; r < a->m; r++) {
            const int8_t* x = a->xq + (int64_t)r * k;
            int32_t dot = 0;
            for (int32_t p = 0; p < k / 2; p++) {
                const int c = bn_tl1_code(tile, p, row % BN_TL1_ROW_TILE);
                dot += bn_tl1_w0(c) * x[2 * p] + bn_tl1_w1(c) * x[2 * p + 1];
            }
            a->y[(int64_t)r * a->n + row] = (float)dot * (a->x_scales[r] * a->w_scale);
        }
    }
}
