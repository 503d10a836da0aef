/* Reference int4 activation quantization (BitNet a4.8, arXiv 2411.04965), per row (the loop of quantize-rows.h):
 * beta = mean|x|, s = sqrt(7) / max(beta, eps), xq = round_half_even(clamp(x * s, -8, 7)),
 * scale = max(beta, eps) / sqrt(7).
 *
 * The float sum behind the mean is order-dependent, so its order is part of the specification:
 * 16 lane sums (element j goes to lane j % 16, in order), then combined pairwise as
 * ((l0+l8)+(l4+l12)) + ((l2+l10)+(l6+l14)) + ... exactly as below. Every SIMD variant reproduces
 * it (AVX-512: one 16-lane vector; AVX2: two 8-lane vectors; NEON: four 4-lane vectors) and so
 * produces the same bits. */
#include "../quantize-rows.h"

float bn_q4_abs_sum__ref(const float* row, int32_t k) {
    float lane[16] = {0};
    for (int32_t j = 0; j < k; j++) lane[j % 16] += fabsf(row[j]);
    /* Halving tree: lanes i and i + 8, then i and i + 4, then i + 2, then i + 1. */
    for (int width = 8; width >= 1; width /= 2)
        for (int i = 0; i < width; i++) lane[i] = lane[i] + lane[i + width];
    return lane[0];
}

static void quantize_row(const float* row, int32_t k, float s, float lo, float hi, int8_t* out) {
    bn_quantize_values(row, 0, k, s, lo, hi, out);
}

void bn_quantize_q4__ref(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    bn_quantize_q4_rows(x, k, r_begin, r_end, xq, scales, bn_q4_abs_sum__ref, quantize_row);
}
