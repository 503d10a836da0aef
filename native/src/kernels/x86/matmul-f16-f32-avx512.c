/* fp16 matrix x float activation rows, AVX-512F (F16 output heads and embeddings): the shared
 * float-weight tiles of dense-float-avx512.h with 2-byte weights. */
#include "dense-float-avx512.h"

void bn_matmul_f16_f32__avx512(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_dense_rows_avx512(a, i_begin, i_end, 2);
}
