/* int4 (BitNet a4.8) activation quantization, AVX2, on the row loop of quantize-rows.h. The |x| sum follows the
 * reference's specified 16-lane order exactly (bn_lanes16_avx2: lanes 0-7 and 8-15 are two 8-float accumulators,
 * the tail a zero-padded group), and the reduction tree is the same. */
#include "x86-decode.h"

static inline float abs_sum(const float* row, int32_t k) {
    __m256 a0, a1;
    bn_lanes16_avx2(row, k, BN_FOLD_ABS_SUM, &a0, &a1);
    return bn_tree16_avx2(a0, a1);
}

void bn_quantize_q4__avx2(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    bn_quantize_q4_rows(x, k, r_begin, r_end, xq, scales, abs_sum, bn_quantize_row_avx2);
}
