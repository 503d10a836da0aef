/* The row loop every RMSNorm kernel shares (bn_rmsnorm_f32 / _q8 / _q4, each ISA): r = the RMS factor of the
 * row's sum of squares; a row whose sum is not finite gets zeros (and scale 0) and is reported (the first such
 * row is returned, -1 if none); otherwise the kernel's step writes y = (x * r) * w, as floats or quantized to
 * int8 / int4 values with the row's scale. */
#ifndef BN_RMSNORM_ROWS_H
#define BN_RMSNORM_ROWS_H

#include "../core/bn_internal.h"

#include <string.h>

/* sum of x[j]^2 in the 16-lane order of bn_sum_squares__ref. */
typedef float (*bn_sum_squares_fn)(const float* x, int32_t k);
/* Quantizes y = (x * r) * w of one row into out; returns its scale. */
typedef float (*bn_quantize_norm_fn)(const float* x, float r, const float* w, int32_t k, int8_t* out);

/* y = (x * r) * w of one row into out. */
typedef void (*bn_norm_row_fn)(const float* x, float r, const float* w, int32_t k, float* out);

/* The loop: float rows into y with norm_row, or (y NULL) quantized rows into xq and scales with quantize_norm. */
static inline __attribute__((always_inline)) int32_t
bn_rmsnorm_rows(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end, float* y,
                int8_t* xq, float* scales, bn_sum_squares_fn sum_squares, bn_norm_row_fn norm_row,
                bn_quantize_norm_fn quantize_norm) {
    int32_t bad = -1;
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        const float rf = bn_rms_factor(sum_squares(row, k), k, eps);
        if (rf == 0.0f) {
            if (y) {
                memset(y + (int64_t)r * k, 0, (size_t)k * sizeof(float));
            } else {
                memset(xq + (int64_t)r * k, 0, (size_t)k);
                scales[r] = 0.0f;
            }
            if (bad < 0) bad = r;
            continue;
        }
        if (y) norm_row(row, rf, w, k, y + (int64_t)r * k);
        else scales[r] = quantize_norm(row, rf, w, k, xq + (int64_t)r * k);
    }
    return bad;
}

static inline __attribute__((always_inline)) int32_t
bn_rmsnorm_f32_rows(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end, float* y,
                    bn_sum_squares_fn sum_squares, bn_norm_row_fn norm_row) {
    return bn_rmsnorm_rows(x, w, eps, k, r_begin, r_end, y, NULL, NULL, sum_squares, norm_row, NULL);
}

static inline __attribute__((always_inline)) int32_t
bn_rmsnorm_quant_rows(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq,
                      float* scales, bn_sum_squares_fn sum_squares, bn_quantize_norm_fn quantize_norm) {
    return bn_rmsnorm_rows(x, w, eps, k, r_begin, r_end, NULL, xq, scales, sum_squares, NULL, quantize_norm);
}

/* The fused FFN hidden step (bn_glu_rmsnorm_q8, each ISA): per row, h = act(gate) * up written over gate by the
 * ISA's gated activation (so SiLU's exp runs once per element), then, while the row is still in L1, its RMSNorm +
 * int8 kernel on that row. */
static inline __attribute__((always_inline)) int32_t
bn_glu_rmsnorm_rows(float* gate, const float* up, bn_activation act, const float* w, float eps, int32_t k,
                    int32_t r_begin, int32_t r_end, int8_t* xq, float* scales, bn_glu_f32_fn glu,
                    bn_rmsnorm_quant_fn rmsnorm_q8) {
    int32_t bad = -1;
    for (int32_t r = r_begin; r < r_end; r++) {
        float* h = gate + (int64_t)r * k;
        glu(h, up + (int64_t)r * k, act, 0, k, h);
        const int32_t row_bad = rmsnorm_q8(gate, w, eps, k, r, r + 1, xq, scales);
        if (bad < 0) bad = row_bad;
    }
    return bad;
}

#endif /* BN_RMSNORM_ROWS_H */
