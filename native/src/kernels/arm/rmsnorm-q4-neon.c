/* RMSNorm + int4 (BitNet a4.8) quantization, NEON; see rmsnorm-q8-neon.c. */
#include "arm-decode.h"
#include "../rmsnorm-rows.h"

int32_t bn_rmsnorm_q4__neon(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end,
                            int8_t* xq, float* scales) {
    return bn_rmsnorm_quant_rows(x, w, eps, k, r_begin, r_end, xq, scales, bn_sum_squares_neon, bn_quantize_norm_q4_neon);
}
