/* Q5_K matrix x int8 activation rows, plain NEON (CPUs without SDOT): the block of q4_k-arm.h on the shared walk of
 * kquant-walk.h. Bit-exact with bn_matmul_q5_k_q8__ref. */
#define KQ_Q5_K 1
#include "q4_k-arm.h"

void bn_matmul_q5_k_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { kq_matmul(a, i_begin, i_end); }
