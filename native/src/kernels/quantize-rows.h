/* The row loop every activation quantizer shares (bn_quantize_q8 / _q4, each ISA): per row the statistic m of the
 * row (q8: max |x|; q4: mean |x| from the sum in the order bn_q4_abs_sum__ref specifies, 0 for k = 0), raised to
 * BN_ACT_EPS if smaller, then s = c / m, xq = round_half_even(clamp(x * s, lo, hi)) and scale = m / c. Each kernel
 * supplies the statistic and the quantization of a row (bn_quantize_values below is the rule, and every SIMD
 * kernel's tail). */
#ifndef BN_QUANTIZE_ROWS_H
#define BN_QUANTIZE_ROWS_H

#include "../core/bn_internal.h"

/* max |x| (q8) or the sum of |x| (q4) of one row. */
typedef float (*bn_row_stat_fn)(const float* x, int32_t k);
/* out = round_half_even(clamp(x * s, lo, hi)) for one row of k values. */
typedef void (*bn_quantize_row_fn)(const float* x, int32_t k, float s, float lo, float hi, int8_t* out);

/* out[j] = round_half_even(clamp(x[j] * s, lo, hi)) for j in [j0, k). */
static inline void bn_quantize_values(const float* x, int32_t j0, int32_t k, float s, float lo, float hi, int8_t* out) {
    for (int32_t j = j0; j < k; j++) {
        float v = x[j] * s;
        v = v < lo ? lo : (v > hi ? hi : v);
        out[j] = (int8_t)bn_round_even(v);
    }
}

static inline __attribute__((always_inline)) void bn_quantize_rows(const float* x, int32_t k, int32_t r_begin,
                                                                   int32_t r_end, int8_t* xq, float* scales, int mean,
                                                                   float c, float lo, float hi, bn_row_stat_fn stat,
                                                                   bn_quantize_row_fn quantize_row) {
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        float m = stat(row, k);
        if (mean) m = k > 0 ? m / (float)k : 0.0f;
        if (m < BN_ACT_EPS) m = BN_ACT_EPS;
        quantize_row(row, k, c / m, lo, hi, xq + (int64_t)r * k);
        scales[r] = m / c;
    }
}

/* int8 absmax: s = 127 / max|x|, clamp [-128, 127]. */
static inline __attribute__((always_inline)) void bn_quantize_q8_rows(const float* x, int32_t k, int32_t r_begin,
                                                                      int32_t r_end, int8_t* xq, float* scales,
                                                                      bn_row_stat_fn abs_max,
                                                                      bn_quantize_row_fn quantize_row) {
    bn_quantize_rows(x, k, r_begin, r_end, xq, scales, 0, 127.0f, -128.0f, 127.0f, abs_max, quantize_row);
}

/* int4 (BitNet a4.8, arXiv 2411.04965): s = sqrt(7) / mean|x|, clamp [-8, 7]. */
static inline __attribute__((always_inline)) void bn_quantize_q4_rows(const float* x, int32_t k, int32_t r_begin,
                                                                      int32_t r_end, int8_t* xq, float* scales,
                                                                      bn_row_stat_fn abs_sum,
                                                                      bn_quantize_row_fn quantize_row) {
    bn_quantize_rows(x, k, r_begin, r_end, xq, scales, 1, 2.64575131106459059f, -8.0f, 7.0f, abs_sum, quantize_row);
}

#endif /* BN_QUANTIZE_ROWS_H */
