/* Q8_0 matrix x int8 activation rows, NEON with SDOT (Armv8.2 dot product): the tiles of q8_0-arm.h. */
#define BN_NEONDOT 1
#include "q8_0-arm.h"

void bn_matmul_q8_0_q8__neondot(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    q8_0_matmul(a, i_begin, i_end);
}
