/* int4 (BitNet a4.8) activation quantization, Armv8 NEON, on the row loop of quantize-rows.h. Bit-exact with
 * bn_quantize_q4__ref.
 *
 * The mean |x| is a float sum, so its order is part of the specification (bn_q4_abs_sum__ref):
 * sixteen lane sums, element j into lane j % 16 in order, then the halving tree
 * l[i] += l[i + 8] (i < 8), l[i] += l[i + 4], l[i] += l[i + 2], l[0] += l[1]. Here the sixteen
 * lanes are four float32x4 accumulators a0..a3 holding lanes 0-3, 4-7, 8-11, 12-15; a partial last
 * group of 16 is added zero-padded (every lane sum is a non-negative, non-(-0) value, and v + 0 = v
 * for such v, so the padding changes nothing). The tree is then a0 + a2, a1 + a3 (i + 8), their
 * sum (i + 4), low + high half (i + 2), lane 0 + lane 1 (i + 1): the same additions on the same
 * operands, hence the same bits.
 *
 * Quantization: bn_quantize_row_neon (x * s, FCVTNS, saturating narrows, then SMAX/SMIN to [-8, 7]). */
#include "arm-decode.h"

BN_ALWAYS_INLINE float abs_sum(const float* row, int32_t k) {
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
    int32_t j = 0;
    for (; j + 16 <= k; j += 16) {
        a0 = vaddq_f32(a0, vabsq_f32(vld1q_f32(row + j)));
        a1 = vaddq_f32(a1, vabsq_f32(vld1q_f32(row + j + 4)));
        a2 = vaddq_f32(a2, vabsq_f32(vld1q_f32(row + j + 8)));
        a3 = vaddq_f32(a3, vabsq_f32(vld1q_f32(row + j + 12)));
    }
    if (j < k) {
        float tail[16] = {0};
        for (int32_t t = 0; j + t < k; t++) tail[t] = row[j + t];
        a0 = vaddq_f32(a0, vabsq_f32(vld1q_f32(tail)));
        a1 = vaddq_f32(a1, vabsq_f32(vld1q_f32(tail + 4)));
        a2 = vaddq_f32(a2, vabsq_f32(vld1q_f32(tail + 8)));
        a3 = vaddq_f32(a3, vabsq_f32(vld1q_f32(tail + 12)));
    }
    const float32x4_t s8_lo = vaddq_f32(a0, a2);                           /* lanes 0-3: l[i] + l[i + 8] */
    const float32x4_t s8_hi = vaddq_f32(a1, a3);                           /* lanes 4-7: l[i] + l[i + 8] */
    const float32x4_t s4 = vaddq_f32(s8_lo, s8_hi);                        /* i + 4 */
    const float32x2_t s2 = vadd_f32(vget_low_f32(s4), vget_high_f32(s4)); /* i + 2 */
    return vget_lane_f32(s2, 0) + vget_lane_f32(s2, 1);                    /* i + 1 */
}

void bn_quantize_q4__neon(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    bn_quantize_q4_rows(x, k, r_begin, r_end, xq, scales, abs_sum, bn_quantize_row_neon);
}
