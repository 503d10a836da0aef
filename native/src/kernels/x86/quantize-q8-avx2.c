/* int8 absmax activation quantization, AVX2, on the row loop of quantize-rows.h. Same float operations as the
 * reference in the same order (max is order-free; x * s, clamp, round-half-even conversion), so identical bits. */
#include "x86-decode.h"

static inline float abs_max(const float* row, int32_t k) {
    __m256 a0, a1;
    bn_lanes16_avx2(row, k, BN_FOLD_ABS_MAX, &a0, &a1);
    return bn_hmax_ps_avx2(_mm256_max_ps(a0, a1));
}

void bn_quantize_q8__avx2(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    bn_quantize_q8_rows(x, k, r_begin, r_end, xq, scales, abs_max, bn_quantize_row_avx2);
}
