/* int4 (BitNet a4.8) activation quantization, AVX-512F, on the row loop of quantize-rows.h. The |x| sum is the
 * reference's specified 16-lane order exactly: element j goes to lane j % 16 of one 16-float accumulator, in
 * order; the tail is added as a zero-padded group (adding +0 leaves a lane unchanged); then the same halving
 * tree: lanes i + (i + 8), i + (i + 4), i + (i + 2), i + (i + 1). */
#include "x86-avx512-decode.h"

static inline __attribute__((always_inline)) float abs_sum(const float* row, int32_t k) {
    __m512 acc = _mm512_setzero_ps();
    int32_t j = 0;
    for (; j + 16 <= k; j += 16) acc = _mm512_add_ps(acc, _mm512_abs_ps(_mm512_loadu_ps(row + j)));
    if (j < k) {
        float tail[16] = {0};
        for (int32_t t = 0; j + t < k; t++) tail[t] = row[j + t];
        acc = _mm512_add_ps(acc, _mm512_abs_ps(_mm512_loadu_ps(tail)));
    }
    __m256 s8 = _mm256_add_ps(bn_lo256_ps(acc), bn_hi256_ps(acc));                         /* i + 8 */
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));    /* i + 4 */
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));                                    /* i + 2 */
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));                      /* i + 1 */
}

void bn_quantize_q4__avx512(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    bn_quantize_q4_rows(x, k, r_begin, r_end, xq, scales, abs_sum, bn_quantize_row_avx512);
}
