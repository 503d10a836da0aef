/* RMSNorm + int8 absmax quantization, AVX2, without storing the normalized row: y = (x * r) * w is
 * recomputed by the max pass and the quantize pass (two multiplies, the same bits each time). */
#include "x86-decode.h"
#include "../rmsnorm-rows.h"

int32_t bn_rmsnorm_q8__avx2(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end,
                            int8_t* xq, float* scales) {
    return bn_rmsnorm_quant_rows(x, w, eps, k, r_begin, r_end, xq, scales, bn_sum_squares_avx2, bn_quantize_norm_q8_avx2);
}
