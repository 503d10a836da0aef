/* Reference FP8 (E4M3 blocks) matrix x float activations: y[r, i] = sum_j W[i, j] x[r, j] with W[i, j] =
 * e4m3(q_j) d_b exactly (bn_dense_weight, dense-float-ref.h), every product and sum a float operation in column order. */
#include "dense-float-ref.h"

void bn_matmul_f8_f32__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_dense_float_ref(a, i_begin, i_end, BN_DENSE_F8);
}
