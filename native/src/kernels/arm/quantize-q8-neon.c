/* int8 absmax activation quantization, Armv8 NEON, on the row loop of quantize-rows.h. Bit-exact with
 * bn_quantize_q8__ref: the same float operations per element (|x| max, which is order-free; x * s; round half to
 * even; clamp: bn_quantize_row_neon). Inputs are finite (the entry point rejects NaN and infinity). */
#include "arm-decode.h"

/* Four independent max chains, so FMAX latency does not serialise the loop. */
BN_ALWAYS_INLINE float abs_max(const float* row, int32_t k) {
    float32x4_t m0 = vdupq_n_f32(0.0f), m1 = m0, m2 = m0, m3 = m0;
    int32_t j = 0;
    for (; j + 16 <= k; j += 16) {
        m0 = vmaxq_f32(m0, vabsq_f32(vld1q_f32(row + j)));
        m1 = vmaxq_f32(m1, vabsq_f32(vld1q_f32(row + j + 4)));
        m2 = vmaxq_f32(m2, vabsq_f32(vld1q_f32(row + j + 8)));
        m3 = vmaxq_f32(m3, vabsq_f32(vld1q_f32(row + j + 12)));
    }
    float amax = vmaxvq_f32(vmaxq_f32(vmaxq_f32(m0, m1), vmaxq_f32(m2, m3)));
    for (; j < k; j++) {
        float v = fabsf(row[j]);
        amax = v > amax ? v : amax;
    }
    return amax;
}

void bn_quantize_q8__neon(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    bn_quantize_q8_rows(x, k, r_begin, r_end, xq, scales, abs_max, bn_quantize_row_neon);
}
