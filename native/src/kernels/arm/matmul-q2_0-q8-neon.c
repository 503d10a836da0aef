/* Q2_0 matrix x int8 activation rows, plain NEON (CPUs without SDOT): the block of q2_0-arm.h on the shared walk of
 * kquant-walk.h. Bit-exact with bn_matmul_q2_0_q8__ref. */
#include "q2_0-arm.h"

void bn_matmul_q2_0_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) { kq_matmul(a, i_begin, i_end); }
