/* Q6_K matrix x int8 activation rows, NEON with SDOT (Armv8.2 dot product): the block of q6_k-arm.h on the shared
 * walk of kquant-walk.h. Bit-exact with bn_matmul_q6_k_q8__ref. */
#define BN_NEONDOT 1
#include "q6_k-arm.h"

void bn_matmul_q6_k_q8__neondot(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    kq_matmul(a, i_begin, i_end);
}
