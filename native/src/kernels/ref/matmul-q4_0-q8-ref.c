/* Reference Q4_0 matrix x int8 activation rows (the specification): per 32-weight block b,
 * dot_b = sum_j (c_j - 8) xq_j exactly in int32 (|dot_b| <= 32 * 8 * 128 = 2^15), then
 * y[r, i] = (sum_b (float)dot_b * d_b, summed in block order) * x_scales[r]. */
#include "bn_kquants.h"

void bn_matmul_q4_0_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t n_blocks = a->k / BN_Q4_0_BLOCK;
    for (int32_t i = i_begin; i < i_end; i++) {
        const uint8_t* row = a->w + (int64_t)i * a->row_bytes;
        for (int32_t r = 0; r < a->m; r++) {
            const int8_t* x = a->xq + (int64_t)r * a->k;
            float sum = 0.0f;
            for (int32_t b = 0; b < n_blocks; b++) {
                const uint8_t* block = row + (int64_t)b * BN_Q4_0_BLOCK_BYTES;
                const int8_t* xb = x + (int64_t)b * BN_Q4_0_BLOCK;
                int32_t dot = 0;
                for (int j = 0; j < BN_Q4_0_BLOCK; j++) dot += (bn_q4_0_code(block, j) - 8) * xb[j];
                sum = sum + (float)dot * bn_kq_fp16(block);
            }
            a->y[(int64_t)r * a->n + i] = sum * a->x_scales[r];
        }
    }
}
