/* Reference Q4_K matrix x int8 activation rows (the specification): per 256-weight block b, t_b of
 * bn_block_k4_ref (matmul-blocks-ref.h) with the 4-bit codes of bn_q4_k_code:
 *   t_b = (float)(sum_s sc_s sum_{j in s} c_j xq_j) * d_b - (float)(sum_s m_s sum_{j in s} xq_j) * dmin_b,
 * both sums exact in int32 (|I_b| <= 8 * 63 * 32 * 15 * 128 < 2^25), on the walk of matmul-blocks-ref.h:
 * y[r, i] = (sum_b t_b, summed in block order) * x_scales[r]. */
#include "matmul-blocks-ref.h"

static float term(const uint8_t* block, const int8_t* x) { return bn_block_k4_ref(block, x, bn_q4_k_code); }

void bn_matmul_q4_k_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_matmul_blocks_ref(a, i_begin, i_end, BN_QK_BLOCK, BN_Q4_K_BLOCK_BYTES, term);
}
