/* int8 absmax activation quantization, AVX2, on the row loop of quantize-rows.h. Same float operations as the
 * reference in the same order (max is order-free; x * s, clamp, round-half-even conversion), so identical bits. */
#include "x86-decode.h"

static inline __attribute__((always_inline)) float abs_max(const float* row, int32_t k) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 vmax = _mm256_setzero_ps();
    int32_t j = 0;
    for (; j + 8 <= k; j += 8) vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, _mm256_loadu_ps(row + j)));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    float amax = _mm_cvtss_f32(m4);
    for (; j < k; j++) {
        float a = fabsf(row[j]);
        amax = a > amax ? a : amax;
    }
    return amax;
}

void bn_quantize_q8__avx2(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    bn_quantize_q8_rows(x, k, r_begin, r_end, xq, scales, abs_max, bn_quantize_row_avx2);
}
