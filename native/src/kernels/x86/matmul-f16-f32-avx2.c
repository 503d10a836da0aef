/* fp16 matrix x float activation rows, AVX2 + F16C + FMA (F16 output heads and embeddings): the
 * shared float-weight tiles of dense-float-avx2.h with 2-byte weights. */
#include "dense-float-avx2.h"

void bn_matmul_f16_f32__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_dense_rows_avx2(a, i_begin, i_end, BN_DENSE_F16);
}
