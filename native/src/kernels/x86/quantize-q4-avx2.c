/* int4 (BitNet a4.8) activation quantization, AVX2, on the row loop of quantize-rows.h. The |x| sum follows the
 * reference's specified 16-lane order exactly: lanes 0-7 and 8-15 are two 8-float accumulators, the tail is added
 * as a zero-padded group (adding +0 leaves a lane unchanged), and the reduction tree is the same. */
#include "x86-decode.h"

static inline __attribute__((always_inline)) float abs_sum(const float* row, int32_t k) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int32_t j = 0;
    for (; j + 16 <= k; j += 16) {
        a0 = _mm256_add_ps(a0, _mm256_andnot_ps(sign, _mm256_loadu_ps(row + j)));
        a1 = _mm256_add_ps(a1, _mm256_andnot_ps(sign, _mm256_loadu_ps(row + j + 8)));
    }
    if (j < k) {
        float tail[16] = {0};
        for (int32_t t = 0; j + t < k; t++) tail[t] = row[j + t];
        a0 = _mm256_add_ps(a0, _mm256_andnot_ps(sign, _mm256_loadu_ps(tail)));
        a1 = _mm256_add_ps(a1, _mm256_andnot_ps(sign, _mm256_loadu_ps(tail + 8)));
    }
    __m256 s8 = _mm256_add_ps(a0, a1);                                                   /* i + 8 */
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));    /* i + 4 */
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));                                    /* i + 2 */
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));                      /* i + 1 */
}

void bn_quantize_q4__avx2(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    bn_quantize_q4_rows(x, k, r_begin, r_end, xq, scales, abs_sum, bn_quantize_row_avx2);
}
