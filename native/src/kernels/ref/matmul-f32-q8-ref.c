/* Reference f32 matrix x int8 activation rows: y[r, i] = (sum_j W[i, j] (float)xq[r, j]) * x_scales[r],
 * every product and sum a float operation in column order (as the f32 x f32 reference); bn_matmul
 * applies w_scale after it. This is transformers' AutoBitLinear in quantization_mode "offline" with
 * weights that are not ternary: the weight is used as stored and only the activations are quantized
 * (int8 absmax per token). Such checkpoints are rare, so the pair has this one kernel, which every
 * ISA's config inherits. */
#include "bn_internal.h"

#include <string.h>

void bn_matmul_f32_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    for (int32_t i = i_begin; i < i_end; i++) {
        const uint8_t* row = a->w + (int64_t)i * a->row_bytes;
        for (int32_t r = 0; r < a->m; r++) {
            const int8_t* x = a->xq + (int64_t)r * a->k;
            float sum = 0.0f;
            for (int32_t j = 0; j < a->k; j++) {
                float w;
                memcpy(&w, row + 4 * (int64_t)j, sizeof w);
                sum += w * (float)x[j];
            }
            a->y[(int64_t)r * a->n + i] = sum * a->x_scales[r];
        }
    }
}
