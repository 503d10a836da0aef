/* Q4_0 matrix x int8 activation rows, plain NEON (CPUs without SDOT): q4_0-arm.h's kernel, its block dot products
 * by SMULL / SMLAL2 and SADDLP. Within bitnative.h's Q4_0 tolerance of bn_matmul_q4_0_q8__ref. */
#include "q4_0-arm.h"

void bn_matmul_q4_0_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_q4_0_matmul(a, i_begin, i_end);
}
