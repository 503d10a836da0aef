/* The row loop every quantizing RMSNorm kernel shares (bn_rmsnorm_q8 / _q4, each ISA): r = the RMS
 * factor of the row's sum of squares; a row whose sum is not finite gets zeros and scale 0 and is
 * reported (the first such row is returned, -1 if none); otherwise the kernel's quantize step writes
 * the int8 / int4 values of y = (x * r) * w and returns the row's scale. */
#ifndef BN_RMSNORM_ROWS_H
#define BN_RMSNORM_ROWS_H

#include "../core/bn_internal.h"

#include <string.h>

/* sum of x[j]^2 in the 16-lane order of bn_sum_squares__ref. */
typedef float (*bn_sum_squares_fn)(const float* x, int32_t k);
/* Quantizes y = (x * r) * w of one row into out; returns its scale. */
typedef float (*bn_quantize_norm_fn)(const float* x, float r, const float* w, int32_t k, int8_t* out);

static inline __attribute__((always_inline)) int32_t
bn_rmsnorm_quant_rows(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq,
                      float* scales, bn_sum_squares_fn sum_squares, bn_quantize_norm_fn quantize_norm) {
    int32_t bad = -1;
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        int8_t* out = xq + (int64_t)r * k;
        const float rf = bn_rms_factor(sum_squares(row, k), k, eps);
        if (rf == 0.0f) {
            memset(out, 0, (size_t)k);
            scales[r] = 0.0f;
            if (bad < 0) bad = r;
            continue;
        }
        scales[r] = quantize_norm(row, rf, w, k, out);
    }
    return bad;
}

#endif /* BN_RMSNORM_ROWS_H */
