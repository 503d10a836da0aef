/* Reference fp16 matrix x float activations: y[r, i] = sum_j W[i, j] x[r, j], every product and
 * sum a float operation in column order. */
#include "bn_internal.h"

#include <string.h>

void bn_matmul_f16_f32__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    for (int32_t i = i_begin; i < i_end; i++) {
        const uint8_t* row = a->w + (int64_t)i * a->row_bytes;
        for (int32_t r = 0; r < a->m; r++) {
            const float* x = a->x + (int64_t)r * a->k;
            float sum = 0.0f;
            for (int32_t j = 0; j < a->k; j++) {
                uint16_t h;
                memcpy(&h, row + 2 * (int64_t)j, sizeof h); /* little-endian fp16 bits */
                sum += bn_fp16_to_fp32(h) * x[j];
            }
            a->y[(int64_t)r * a->n + i] = sum;
        }
    }
}
