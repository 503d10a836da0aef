/* Reference Q1_0 matrix x int8 activation rows (the specification): per 128-weight block b, dot_b = sum_j s_j xq_j
 * with s_j = +1 or -1, exactly in int32 (|dot_b| <= 128 * 128 = 2^14), t_b = (float)dot_b * d_b, on the walk of
 * matmul-blocks-ref.h: y[r, i] = (sum_b t_b, summed in block order) * x_scales[r]. */
#include "matmul-blocks-ref.h"

static float term(const uint8_t* block, const int8_t* x) {
    return bn_block_dot_d_ref(block, x, BN_Q1_0_BLOCK, bn_q1_0_sign);
}

void bn_matmul_q1_0_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_matmul_blocks_ref(a, i_begin, i_end, BN_Q1_0_BLOCK, BN_Q1_0_BLOCK_BYTES, term);
}
