/* bfloat16 matrix x float activation rows, AVX2 + FMA (BF16 checkpoints' projections and heads): the shared
 * float-weight walk of dense-float-avx2.h, each weight widened by a 16-bit shift. */
#include "dense-float-avx2.h"

void bn_matmul_bf16_f32__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_dense_rows_avx2(a, i_begin, i_end, BN_DENSE_BF16);
}
