/* RMSNorm + int4 (BitNet a4.8) quantization, AVX2; see rmsnorm-q8-avx2.c. */
#include "x86-decode.h"
#include "../rmsnorm-rows.h"

int32_t bn_rmsnorm_q4__avx2(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end,
                            int8_t* xq, float* scales) {
    return bn_rmsnorm_quant_rows(x, w, eps, k, r_begin, r_end, xq, scales, bn_sum_squares_avx2, bn_quantize_norm_q4_avx2);
}
