/* RMSNorm, NEON: the reference's sum of squares in its 16-lane order, then y = (x * r) * w four at a
 * time; identical bits. */
#include "arm-decode.h"

int32_t bn_rmsnorm_f32__neon(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end,
                             float* y) {
    int32_t bad = -1;
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        float* out = y + (int64_t)r * k;
        const float rf = bn_rms_factor(bn_sum_squares_neon(row, k), k, eps);
        if (rf == 0.0f) {
            memset(out, 0, (size_t)k * sizeof(float));
            if (bad < 0) bad = r;
            continue;
        }
        const float32x4_t vr = vdupq_n_f32(rf);
        int32_t j = 0;
        for (; j + 4 <= k; j += 4) vst1q_f32(out + j, bn_norm4_neon(row + j, vr, w + j));
        for (; j < k; j++) out[j] = row[j] * rf * w[j];
    }
    return bad;
}
