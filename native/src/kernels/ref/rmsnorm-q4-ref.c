/* Reference RMSNorm + int4 (BitNet a4.8) quantization, per row: y = (x * r) * w as in
 * bn_rmsnorm_f32__ref, then exactly bn_quantize_q4__ref's rule on y: beta = mean|y| with |y| summed
 * in the specified 16-lane order, s = sqrt(7) / max(beta, eps). */
#include "../rmsnorm-rows.h"

/* bn_quantize_q4__ref's rule on y = (x * r) * w; returns the row's scale. */
static float quantize_norm_q4(const float* row, float rf, const float* w, int32_t k, int8_t* out) {
    const float sqrt7 = 2.64575131106459059f;
    float lane[16] = {0};
    for (int32_t j = 0; j < k; j++) lane[j % 16] += fabsf(row[j] * rf * w[j]);
    for (int width = 8; width >= 1; width /= 2)
        for (int i = 0; i < width; i++) lane[i] = lane[i] + lane[i + width];
    float beta = lane[0] / (float)k;
    if (beta < BN_ACT_EPS) beta = BN_ACT_EPS;
    const float s = sqrt7 / beta;
    for (int32_t j = 0; j < k; j++) {
        float v = row[j] * rf * w[j] * s;
        v = v > -8.0f ? v : -8.0f; /* NaN-safe clamp, as in rmsnorm-q8-ref.c */
        v = v < 7.0f ? v : 7.0f;
        out[j] = (int8_t)bn_round_even(v);
    }
    return beta / sqrt7;
}

int32_t bn_rmsnorm_q4__ref(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end,
                           int8_t* xq, float* scales) {
    return bn_rmsnorm_quant_rows(x, w, eps, k, r_begin, r_end, xq, scales, bn_sum_squares__ref, quantize_norm_q4);
}
