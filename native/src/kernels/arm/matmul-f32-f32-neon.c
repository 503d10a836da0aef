/* f32 matrix x float activation rows, NEON (F32 heads and the projections of float baselines): the
 * shared float-weight tiles of dense-float-neon.h with 4-byte weights. */
#include "dense-float-neon.h"

void bn_matmul_f32_f32__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_dense_rows_neon(a, i_begin, i_end, BN_DENSE_F32);
}
