/* Reference int8 absmax activation quantization, per row:
 * s = 127 / max(max|x|, eps), xq = round_half_even(clamp(x * s, -128, 127)), scale = max(max|x|, eps) / 127. */
#include "bn_internal.h"

void bn_quantize_q8__ref(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        int8_t* out = xq + (int64_t)r * k;
        float amax = 0.0f;
        for (int32_t j = 0; j < k; j++) {
            float a = fabsf(row[j]);
            amax = a > amax ? a : amax;
        }
        if (amax < BN_ACT_EPS) amax = BN_ACT_EPS;
        float s = 127.0f / amax;
        for (int32_t j = 0; j < k; j++) {
            float v = row[j] * s;
            v = v < -128.0f ? -128.0f : (v > 127.0f ? 127.0f : v);
            out[j] = (int8_t)bn_round_even(v);
        }
        scales[r] = amax / 127.0f;
    }
}
