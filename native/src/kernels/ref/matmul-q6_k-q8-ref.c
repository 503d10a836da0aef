/* Reference Q6_K matrix x int8 activation rows (the specification). Per 256-weight block b, with the
 * 6-bit codes c_j and the int8 scales sc_s of its sixteen 16-weight sub-blocks:
 *   I_b = sum_s sc_s * (sum_{j in s} (c_j - 32) xq_j)   exactly in int32:
 *         |inner| <= 16 * 32 * 128 = 2^16, |sc_s| <= 128, sixteen sub-blocks: |I_b| <= 2^27;
 *   y[r, i] = (sum_b (float)I_b * d_b, summed in block order) * x_scales[r].
 * The SIMD kernels compute the same integers and the same float operations, so they give these bits. */
#include "bn_kquants.h"

void bn_matmul_q6_k_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    const int32_t n_blocks = a->k / BN_QK_BLOCK;
    for (int32_t i = i_begin; i < i_end; i++) {
        const uint8_t* row = a->w + (int64_t)i * a->row_bytes;
        for (int32_t r = 0; r < a->m; r++) {
            const int8_t* x = a->xq + (int64_t)r * a->k;
            float sum = 0.0f;
            for (int32_t b = 0; b < n_blocks; b++) {
                const uint8_t* block = row + (int64_t)b * BN_Q6_K_BLOCK_BYTES;
                const int8_t* xb = x + (int64_t)b * BN_QK_BLOCK;
                const int8_t* sc = (const int8_t*)(block + BN_Q6_K_SCALES_AT);
                int32_t isum = 0;
                for (int s = 0; s < 16; s++) {
                    int32_t dot = 0;
                    for (int j = 16 * s; j < 16 * s + 16; j++) dot += (bn_q6_k_code(block, j) - 32) * xb[j];
                    isum += sc[s] * dot;
                }
                sum = sum + (float)isum * bn_kq_fp16(block + BN_Q6_K_D_AT);
            }
            a->y[(int64_t)r * a->n + i] = sum * a->x_scales[r];
        }
    }
}
