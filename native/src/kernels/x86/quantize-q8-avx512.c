/* int8 absmax activation quantization, AVX-512F, on the row loop of quantize-rows.h. Same float operations as the
 * reference in the same order (max is order-free; x * s, clamp, round-half-even conversion), so identical bits.
 * The tail of a row (k % 16 elements) is read through a zero-padded copy (|0| never raises the max) and quantized
 * by the reference's scalar formula. */
#include "x86-avx512-decode.h"

static inline float abs_max(const float* row, int32_t k) {
    return bn_hmax_ps_avx512(bn_lanes16_avx512(row, k, BN_FOLD_ABS_MAX));
}

void bn_quantize_q8__avx512(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    bn_quantize_q8_rows(x, k, r_begin, r_end, xq, scales, abs_max, bn_quantize_row_avx512);
}
