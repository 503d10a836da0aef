/* Reference TQ2_0 x int8 matmul: y[r, i] = (sum_b (float)dot_b * d_b) * (x_scales[r] * w_scale),
 * with dot_b the exact int32 dot of block b and the float sum taken over blocks in order (no FMA:
 * the library is built with -ffp-contract=off). SIMD variants compute the same per-block integers
 * and the same float sequence, so they match bit for bit. */
#include "bn_internal.h"

void bn_matmul_tq2_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t k = a->k;
    const int32_t n_blocks = k / BN_TQ_BLOCK;
    for (int32_t i = i_begin; i < i_end; i++) {
        const uint8_t* row = a->w + (int64_t)i * a->row_bytes;
        for (int32_t r = 0; r < a->m; r++) {
            const int8_t* x = a->xq + (int64_t)r * k;
            float sum = 0.0f;
            for (int32_t b = 0; b < n_blocks; b++) {
                const uint8_t* block = row + (int64_t)b * BN_TQ2_BLOCK_BYTES;
                const int8_t* xb = x + b * BN_TQ_BLOCK;
                int32_t dot = 0;
                for (int32_t h = 0; h < 2; h++)
                    for (int32_t mm = 0; mm < 32; mm++)
                        for (int32_t g = 0; g < 4; g++) {
                            int32_t w = ((block[32 * h + mm] >> (2 * g)) & 3) - 1;
                            dot += w * xb[128 * h + mm + 32 * g];
                        }
                float d = bn_fp16_to_fp32((uint16_t)(block[64] | (block[65] << 8)));
                sum += (float)dot * d;
            }
            a->y[(int64_t)r * a->n + i] = sum * (a->x_scales[r] * a->w_scale);
        }
    }
}
