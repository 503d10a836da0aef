/* Reference I2S x int8 matmul: the specification every variant must reproduce bit for bit.
 * y[r, i] = (float)(sum_j (code(i, j) - 1) * xq[r, j]) * (x_scales[r] * w_scale), the dot exact in
 * int32 (the entry point bounds k so it cannot overflow). A code of 3, which no valid file holds,
 * counts as +2 here and in every SIMD variant, so even corrupt weights give identical results. */
#include "bn_internal.h"

void bn_matmul_i2s_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t k = a->k;
    for (int32_t i = i_begin; i < i_end; i++) {
        const uint8_t* row = a->w + (int64_t)i * a->row_bytes;
        for (int32_t r = 0; r < a->m; r++) {
            const int8_t* x = a->xq + (int64_t)r * k;
            int32_t acc = 0;
            for (int32_t b = 0; b < k / BN_I2S_BLOCK; b++) {
                const uint8_t* codes = row + b * (BN_I2S_BLOCK / 4);
                const int8_t* xb = x + b * BN_I2S_BLOCK;
                for (int32_t j = 0; j < 32; j++) {
                    for (int32_t g = 0; g < 4; g++) {
                        int32_t w = ((codes[j] >> (6 - 2 * g)) & 3) - 1;
                        acc += w * xb[j + 32 * g];
                    }
                }
            }
            a->y[(int64_t)r * a->n + i] = (float)acc * (a->x_scales[r] * a->w_scale);
        }
    }
}
