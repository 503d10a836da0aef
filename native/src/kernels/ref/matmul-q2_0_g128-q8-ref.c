/* Reference Q2_0_G128 (PrismML's 128-weight Q2_0) matrix x int8 activation rows (the specification): per 128-weight
 * block b, dot_b = sum_j (c_j - 1) xq_j exactly in int32 (|dot_b| <= 128 * 2 * 128 = 2^15), t_b = (float)dot_b *
 * d_b, on the walk of matmul-blocks-ref.h: y[r, i] = (sum_b t_b, summed in block order) * x_scales[r]. */
#include "matmul-blocks-ref.h"

static int weight(const uint8_t* block, int j) { return bn_q2_0_code(block, j) - 1; }
static float term(const uint8_t* block, const int8_t* x) {
    return bn_block_dot_d_ref(block, x, BN_Q2_0_G128_BLOCK, weight);
}

void bn_matmul_q2_0_g128_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_matmul_blocks_ref(a, i_begin, i_end, BN_Q2_0_G128_BLOCK, BN_Q2_0_G128_BLOCK_BYTES, term);
}
