/* int4 (BitNet a4.8) activation quantization, AVX-512F, on the row loop of quantize-rows.h. The |x| sum is the
 * reference's specified 16-lane order exactly: element j goes to lane j % 16 of one 16-float accumulator, in
 * order, the tail a zero-padded group (bn_lanes16_avx512); then the same halving tree:
 * lanes i + (i + 8), i + (i + 4), i + (i + 2), i + (i + 1). */
#include "x86-avx512-decode.h"

static inline float abs_sum(const float* row, int32_t k) {
    const __m512 a = bn_lanes16_avx512(row, k, BN_FOLD_ABS_SUM);
    return bn_tree16_avx2(bn_lo256_ps(a), bn_hi256_ps(a));
}

void bn_quantize_q4__avx512(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    bn_quantize_q4_rows(x, k, r_begin, r_end, xq, scales, abs_sum, bn_quantize_row_avx512);
}
