/* int4 (BitNet a4.8) activation quantization, Armv8 NEON, on the row loop of quantize-rows.h. Bit-exact with
 * bn_quantize_q4__ref.
 *
 * The mean |x| is a float sum, so its order is part of the specification (bn_q4_abs_sum__ref): sixteen lane sums,
 * element j into lane j % 16 in order, then the halving tree l[i] += l[i + 8] (i < 8), l[i] += l[i + 4],
 * l[i] += l[i + 2], l[0] += l[1]. Here the sixteen lanes are four float32x4 accumulators holding lanes 0-3, 4-7,
 * 8-11, 12-15, a partial last group of 16 added zero-padded (bn_lanes16_neon), and bn_tree16_f32 makes the same
 * additions on the same operands, hence the same bits.
 *
 * Quantization: bn_quantize_row_neon (x * s, FCVTNS, saturating narrows, then SMAX/SMIN to [-8, 7]). */
#include "arm-decode.h"

static inline float abs_sum(const float* row, int32_t k) {
    float32x4_t a[4];
    bn_lanes16_neon(row, k, BN_FOLD_ABS_SUM, a);
    return bn_tree16_f32(a[0], a[1], a[2], a[3]);
}

void bn_quantize_q4__neon(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    bn_quantize_q4_rows(x, k, r_begin, r_end, xq, scales, abs_sum, bn_quantize_row_neon);
}
