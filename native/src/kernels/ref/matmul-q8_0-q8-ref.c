/* Reference Q8_0 matrix x int8 activation rows: per 32-weight block b, dot_b = sum_j w_j xq_j exactly
 * in int32 (|dot_b| <= 32 * 128 * 128 = 2^19, exact as a float too), then
 * y[r, i] = (sum_b d_b * dot_b, summed in block order) * x_scales[r]. */
#include "bn_internal.h"

void bn_matmul_q8_0_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t n_blocks = a->k / BN_Q8_0_BLOCK;
    for (int32_t i = i_begin; i < i_end; i++) {
        const uint8_t* row = a->w + (int64_t)i * a->row_bytes;
        for (int32_t r = 0; r < a->m; r++) {
            const int8_t* x = a->xq + (int64_t)r * a->k;
            float sum = 0.0f;
            for (int32_t b = 0; b < n_blocks; b++) {
                const uint8_t* block = row + (int64_t)b * BN_Q8_0_BLOCK_BYTES;
                const float d = bn_fp16_to_fp32((uint16_t)(block[0] | (block[1] << 8)));
                const int8_t* q = (const int8_t*)(block + 2);
                int32_t dot = 0;
                for (int32_t j = 0; j < BN_Q8_0_BLOCK; j++) dot += q[j] * x[b * BN_Q8_0_BLOCK + j];
                sum += d * (float)dot;
            }
            a->y[(int64_t)r * a->n + i] = sum * a->x_scales[r];
        }
    }
}
