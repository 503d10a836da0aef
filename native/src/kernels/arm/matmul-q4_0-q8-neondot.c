/* Q4_0 matrix x int8 activation rows, NEON with SDOT (Armv8.2 dot product): q4_0-arm.h's kernel, its block dot
 * products by two SDOTs. Within bitnative.h's Q4_0 tolerance of bn_matmul_q4_0_q8__ref. */
#define BN_NEONDOT 1
#include "q4_0-arm.h"

void bn_matmul_q4_0_q8__neondot(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_q4_0_matmul(a, i_begin, i_end);
}
