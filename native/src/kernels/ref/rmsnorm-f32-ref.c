/* Reference RMSNorm, per row: ss = sum x^2 in the specified 16-lane order, r = 1 / sqrt(ss / k + eps),
 * y = (x * r) * w. A row whose ss is not finite gets zeros and is reported (the loop of rmsnorm-rows.h). */
#include "../rmsnorm-rows.h"

static void norm_row(const float* row, float rf, const float* w, int32_t k, float* out) {
    for (int32_t j = 0; j < k; j++) out[j] = row[j] * rf * w[j];
}

int32_t bn_rmsnorm_f32__ref(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end,
                            float* y) {
    return bn_rmsnorm_f32_rows(x, w, eps, k, r_begin, r_end, y, bn_sum_squares__ref, norm_row);
}
