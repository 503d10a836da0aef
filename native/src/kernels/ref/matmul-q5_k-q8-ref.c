/* Reference Q5_K matrix x int8 activation rows (the specification): per 256-weight block b, t_b of
 * bn_block_k4_ref (matmul-blocks-ref.h) with the 5-bit codes of bn_q5_k_code (Q4_K's nibble, the fifth bit from
 * qh; d, dmin and the packed scales sit where Q4_K keeps them):
 *   t_b = (float)(sum_s sc_s sum_{j in s} c_j xq_j) * d_b - (float)(sum_s m_s sum_{j in s} xq_j) * dmin_b,
 * both sums exact in int32 (|I_b| <= 8 * 63 * 32 * 31 * 128 < 2^26), on the walk of matmul-blocks-ref.h:
 * y[r, i] = (sum_b t_b, summed in block order) * x_scales[r]. */
#include "matmul-blocks-ref.h"

static float term(const uint8_t* block, const int8_t* x) { return bn_block_k4_ref(block, x, bn_q5_k_code); }

void bn_matmul_q5_k_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_matmul_blocks_ref(a, i_begin, i_end, BN_QK_BLOCK, BN_Q5_K_BLOCK_BYTES, term);
}
