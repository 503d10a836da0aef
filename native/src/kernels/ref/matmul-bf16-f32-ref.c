/* Reference bfloat16 matrix x float activations: y[r, i] = sum_j W[i, j] x[r, j], every product and sum a float
 * operation in column order (as the F16 reference, with each weight widened from its top-half bits). */
#include "bn_internal.h"

void bn_matmul_bf16_f32__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    for (int32_t i = i_begin; i < i_end; i++) {
        const uint8_t* row = a->w + (int64_t)i * a->row_bytes;
        for (int32_t r = 0; r < a->m; r++) {
            const float* x = a->x + (int64_t)r * a->k;
            float sum = 0.0f;
            for (int32_t j = 0; j < a->k; j++)
                sum += bn_bf16_to_fp32((uint16_t)(row[2 * (int64_t)j] | (row[2 * (int64_t)j + 1] << 8))) * x[j];
            a->y[(int64_t)r * a->n + i] = sum;
        }
    }
}
