/* Reference FP8 (E4M3 blocks) matrix x float activations: y[r, i] = sum_j W[i, j] x[r, j] with W[i, j] =
 * e4m3(q_j) d_b exactly (bn_f8_weight), every product and sum a float operation in column order. */
#include "bn_internal.h"

void bn_matmul_f8_f32__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    for (int32_t i = i_begin; i < i_end; i++) {
        const uint8_t* row = a->w + (int64_t)i * a->row_bytes;
        for (int32_t r = 0; r < a->m; r++) {
            const float* x = a->x + (int64_t)r * a->k;
            float sum = 0.0f;
            for (int32_t j = 0; j < a->k; j++)
                sum += bn_f8_weight(row + (int64_t)(j / BN_F8_BLOCK) * BN_F8_BLOCK_BYTES, j % BN_F8_BLOCK) * x[j];
            a->y[(int64_t)r * a->n + i] = sum;
        }
    }
}
