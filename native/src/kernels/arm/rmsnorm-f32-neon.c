/* RMSNorm, NEON: the reference's sum of squares in its 16-lane order, then y = (x * r) * w four at a
 * time (bn_norm_row_neon), on the row loop of rmsnorm-rows.h; identical bits. */
#include "arm-decode.h"
#include "../rmsnorm-rows.h"

int32_t bn_rmsnorm_f32__neon(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end,
                             float* y) {
    return bn_rmsnorm_f32_rows(x, w, eps, k, r_begin, r_end, y, bn_sum_squares_neon, bn_norm_row_neon);
}
