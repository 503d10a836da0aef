/* Reference int8 absmax activation quantization, per row (the loop of quantize-rows.h):
 * s = 127 / max(max|x|, eps), xq = round_half_even(clamp(x * s, -128, 127)), scale = max(max|x|, eps) / 127. */
#include "../quantize-rows.h"

static float abs_max(const float* row, int32_t k) {
    float amax = 0.0f;
    for (int32_t j = 0; j < k; j++) {
        float a = fabsf(row[j]);
        amax = a > amax ? a : amax;
    }
    return amax;
}

static void quantize_row(const float* row, int32_t k, float s, float lo, float hi, int8_t* out) {
    bn_quantize_values(row, 0, k, s, lo, hi, out);
}

void bn_quantize_q8__ref(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    bn_quantize_q8_rows(x, k, r_begin, r_end, xq, scales, abs_max, quantize_row);
}
