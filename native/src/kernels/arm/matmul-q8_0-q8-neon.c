/* Q8_0 matrix x int8 activation rows, plain NEON (CPUs without SDOT): the tiles of q8_0-arm.h. */
#include "q8_0-arm.h"

void bn_matmul_q8_0_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    q8_0_matmul(a, i_begin, i_end);
}
