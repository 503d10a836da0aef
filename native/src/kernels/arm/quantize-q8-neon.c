/* int8 absmax activation quantization, Armv8 NEON, on the row loop of quantize-rows.h. Bit-exact with
 * bn_quantize_q8__ref: the same float operations per element (|x| max, which is order-free, in four independent
 * chains so FMAX latency does not serialise the loop; x * s; round half to even; clamp: bn_quantize_row_neon).
 * Inputs are finite (the entry point rejects NaN and infinity). */
#include "arm-decode.h"

static inline float abs_max(const float* row, int32_t k) {
    float32x4_t a[4];
    bn_lanes16_neon(row, k, BN_FOLD_ABS_MAX, a);
    return vmaxvq_f32(vmaxq_f32(vmaxq_f32(a[0], a[1]), vmaxq_f32(a[2], a[3])));
}

void bn_quantize_q8__neon(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    bn_quantize_q8_rows(x, k, r_begin, r_end, xq, scales, abs_max, bn_quantize_row_neon);
}
