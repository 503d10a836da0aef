/* bfloat16 matrix x float activation rows, NEON: the shared float-weight walk of dense-float-neon.h, each weight
 * widened by a 16-bit shift (SHLL). */
#include "dense-float-neon.h"

void bn_matmul_bf16_f32__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_dense_rows_neon(a, i_begin, i_end, BN_DENSE_BF16);
}
