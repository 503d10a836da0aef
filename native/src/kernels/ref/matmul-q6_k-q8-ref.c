/* Reference Q6_K matrix x int8 activation rows (the specification). Per 256-weight block b, with the
 * 6-bit codes c_j and the int8 scales sc_s of its sixteen 16-weight sub-blocks:
 *   I_b = sum_s sc_s * (sum_{j in s} (c_j - 32) xq_j)   exactly in int32:
 *         |inner| <= 16 * 32 * 128 = 2^16, |sc_s| <= 128, sixteen sub-blocks: |I_b| <= 2^27;
 *   t_b = (float)I_b * d_b,
 * on the walk of matmul-blocks-ref.h: y[r, i] = (sum_b t_b, summed in block order) * x_scales[r].
 * The SIMD kernels compute the same integers and the same float operations, so they give these bits. */
#include "matmul-blocks-ref.h"

static float term(const uint8_t* block, const int8_t* x) {
    const int8_t* sc = (const int8_t*)(block + BN_Q6_K_SCALES_AT);
    int32_t isum = 0;
    for (int s = 0; s < 16; s++) {
        int32_t dot = 0;
        for (int j = 16 * s; j < 16 * s + 16; j++) dot += (bn_q6_k_code(block, j) - 32) * x[j];
        isum += sc[s] * dot;
    }
    return (float)isum * bn_kq_fp16(block + BN_Q6_K_D_AT);
}

void bn_matmul_q6_k_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_matmul_blocks_ref(a, i_begin, i_end, BN_QK_BLOCK, BN_Q6_K_BLOCK_BYTES, term);
}
