/* Reference fp16 matrix x float activations: y[r, i] = sum_j W[i, j] x[r, j], every product and
 * sum a float operation in column order (the weights converted exactly; dense-float-ref.h). */
#include "dense-float-ref.h"

void bn_matmul_f16_f32__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end) {
    bn_dense_float_ref(a, i_begin, i_end, BN_DENSE_F16);
}
