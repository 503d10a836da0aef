/* f32 matrix x float activation rows, AVX2 + FMA (F32 heads and the projections of float
 * baselines): the shared float-weight tiles of dense-float-avx2.h with 4-byte weights. */
#include "dense-float-avx2.h"

void bn_matmul_f32_f32__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_dense_rows_avx2(a, i_begin, i_end, BN_DENSE_F32);
}
