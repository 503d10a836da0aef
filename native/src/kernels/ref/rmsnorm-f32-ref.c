/* Reference RMSNorm, per row: ss = sum x^2 in the specified 16-lane order, r = 1 / sqrt(ss / k + eps),
 * y = (x * r) * w. A row whose ss is not finite gets zeros and is reported. */
#include "bn_internal.h"

#include <string.h>

int32_t bn_rmsnorm_f32__ref(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end,
                            float* y) {
    int32_t bad = -1;
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        float* out = y + (int64_t)r * k;
        const float rf = bn_rms_factor(bn_sum_squares__ref(row, k), k, eps);
        if (rf == 0.0f) {
            memset(out, 0, (size_t)k * sizeof(float));
            if (bad < 0) bad = r;
            continue;
        }
        for (int32_t j = 0; j < k; j++) out[j] = row[j] * rf * w[j];
    }
    return bad;
}
