/* Reference Q8_0 matrix x int8 activation rows: per 32-weight block b, dot_b = sum_j w_j xq_j exactly in int32
 * (|dot_b| <= 32 * 128 * 128 = 2^19, exact as a float too), t_b = (float)dot_b * d_b, on the walk of
 * matmul-blocks-ref.h: y[r, i] = (sum_b t_b, summed in block order) * x_scales[r]. */
#include "matmul-blocks-ref.h"

static int weight(const uint8_t* block, int j) { return (int8_t)block[2 + j]; }
static float term(const uint8_t* block, const int8_t* x) { return bn_block_dot_d_ref(block, x, BN_Q8_0_BLOCK, weight); }

void bn_matmul_q8_0_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_matmul_blocks_ref(a, i_begin, i_end, BN_Q8_0_BLOCK, BN_Q8_0_BLOCK_BYTES, term);
}
