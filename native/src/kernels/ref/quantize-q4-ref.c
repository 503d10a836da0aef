/* Reference int4 activation quantization (BitNet a4.8, arXiv 2411.04965), per row:
 * beta = mean|x|, s = sqrt(7) / max(beta, eps), xq = round_half_even(clamp(x * s, -8, 7)),
 * scale = max(beta, eps) / sqrt(7).
 *
 * The float sum behind the mean is order-dependent, so its order is part of the specification:
 * 16 lane sums (element j goes to lane j % 16, in order), then combined pairwise as
 * ((l0+l8)+(l4+l12)) + ((l2+l10)+(l6+l14)) + ... exactly as below. Every SIMD variant reproduces
 * it (AVX-512: one 16-lane vector; AVX2: two 8-lane vectors; NEON: four 4-lane vectors) and so
 * produces the same bits. */
#include "bn_internal.h"

float bn_q4_abs_sum__ref(const float* row, int32_t k) {
    float lane[16] = {0};
    for (int32_t j = 0; j < k; j++) lane[j % 16] += fabsf(row[j]);
    /* Halving tree: lanes i and i + 8, then i and i + 4, then i + 2, then i + 1. */
    for (int width = 8; width >= 1; width /= 2)
        for (int i = 0; i < width; i++) lane[i] = lane[i] + lane[i + width];
    return lane[0];
}

void bn_quantize_q4__ref(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    const float sqrt7 = 2.64575131106459059f;
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        int8_t* out = xq + (int64_t)r * k;
        float beta = k > 0 ? bn_q4_abs_sum__ref(row, k) / (float)k : 0.0f;
        if (beta < BN_ACT_EPS) beta = BN_ACT_EPS;
        float s = sqrt7 / beta;
        for (int32_t j = 0; j < k; j++) {
            float v = row[j] * s;
            v = v < -8.0f ? -8.0f : (v > 7.0f ? 7.0f : v);
            out[j] = (int8_t)bn_round_even(v);
        }
        scales[r] = beta / sqrt7;
    }
}
