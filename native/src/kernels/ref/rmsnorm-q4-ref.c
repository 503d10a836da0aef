/* Reference RMSNorm + int4 (BitNet a4.8) quantization, per row: y = (x * r) * w as in
 * bn_rmsnorm_f32__ref, then exactly bn_quantize_q4__ref's rule on y: beta = mean|y| with |y| summed
 * in the specified 16-lane order, s = sqrt(7) / max(beta, eps). */
#include "bn_internal.h"

#include <string.h>

int32_t bn_rmsnorm_q4__ref(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end,
                           int8_t* xq, float* scales) {
    const float sqrt7 = 2.64575131106459059f;
    int32_t bad = -1;
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        int8_t* out = xq + (int64_t)r * k;
        const float rf = bn_rms_factor(bn_sum_squares__ref(row, k), k, eps);
        if (rf == 0.0f) {
            memset(out, 0, (size_t)k);
            scales[r] = 0.0f;
            if (bad < 0) bad = r;
            continue;
        }
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
        scales[r] = beta / sqrt7;
    }
    return bad;
}
