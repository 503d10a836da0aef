/* RMSNorm + int8 absmax quantization, NEON, without storing the normalized row (y = (x * r) * w is
 * recomputed by the max and quantize passes, the same bits each time). */
#include "arm-decode.h"
#include "../rmsnorm-rows.h"

int32_t bn_rmsnorm_q8__neon(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end,
                            int8_t* xq, float* scales) {
    return bn_rmsnorm_quant_rows(x, w, eps, k, r_begin, r_end, xq, scales, bn_sum_squares_neon, bn_quantize_norm_q8_neon);
}
