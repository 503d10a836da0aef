/* Reference RMSNorm + int8 absmax quantization, per row: y = (x * r) * w as in bn_rmsnorm_f32__ref,
 * then exactly bn_quantize_q8__ref's rule on y (y is recomputed in each pass instead of stored; the
 * same float expression gives the same value every time). */
#include "../rmsnorm-rows.h"

/* bn_quantize_q8__ref's rule on y = (x * r) * w; returns the row's scale. */
static float quantize_norm_q8(const float* row, float rf, const float* w, int32_t k, int8_t* out) {
    float amax = 0.0f;
    for (int32_t j = 0; j < k; j++) {
        float a = fabsf(row[j] * rf * w[j]);
        amax = a > amax ? a : amax;
    }
    if (amax < BN_ACT_EPS) amax = BN_ACT_EPS;
    const float s = 127.0f / amax;
    for (int32_t j = 0; j < k; j++) {
        float v = row[j] * rf * w[j] * s;
        /* written so that a NaN (possible only from a non-finite weight) clamps to -128, as the
         * SIMD max/min do, instead of reaching an undefined float-to-int conversion */
        v = v > -128.0f ? v : -128.0f;
        v = v < 127.0f ? v : 127.0f;
        out[j] = (int8_t)bn_round_even(v);
    }
    return amax / 127.0f;
}

int32_t bn_rmsnorm_q8__ref(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end,
                           int8_t* xq, float* scales) {
    return bn_rmsnorm_quant_rows(x, w, eps, k, r_begin, r_end, xq, scales, bn_sum_squares__ref, quantize_norm_q8);
}
