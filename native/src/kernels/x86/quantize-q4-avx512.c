/* int4 (BitNet a4.8) activation quantization, AVX-512F. The |x| sum is the reference's specified
 * 16-lane order exactly: element j goes to lane j % 16 of one 16-float accumulator, in order; the
 * tail is added as a zero-padded group (adding +0 leaves a lane unchanged); then the same halving
 * tree: lanes i + (i + 8), i + (i + 4), i + (i + 2), i + (i + 1). */
#include "x86-common.h"

void bn_quantize_q4__avx512(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    const float sqrt7 = 2.64575131106459059f;
    const __m512 lo = _mm512_set1_ps(-8.0f), hi = _mm512_set1_ps(7.0f);
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        int8_t* out = xq + (int64_t)r * k;
        __m512 acc = _mm512_setzero_ps();
        int32_t j = 0;
        for (; j + 16 <= k; j += 16) acc = _mm512_add_ps(acc, _mm512_abs_ps(_mm512_loadu_ps(row + j)));
        if (j < k) {
            float tail[16] = {0};
            for (int32_t t = 0; j + t < k; t++) tail[t] = row[j + t];
            acc = _mm512_add_ps(acc, _mm512_abs_ps(_mm512_loadu_ps(tail)));
        }
        __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(acc),                                      /* i + 8 */
                                  _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1)));
        __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));       /* i + 4 */
        __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));                                       /* i + 2 */
        __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));                                   /* i + 1 */
        float beta = k > 0 ? _mm_cvtss_f32(s1) / (float)k : 0.0f;
        if (beta < BN_ACT_EPS) beta = BN_ACT_EPS;
        const float s = sqrt7 / beta;
        const __m512 vs = _mm512_set1_ps(s);
        j = 0;
        for (; j + 16 <= k; j += 16) {
            __m512 v = _mm512_mul_ps(_mm512_loadu_ps(row + j), vs);
            /* clamped to [-8, 7] first, so the saturating narrowing is exact */
            __m512i q = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(v, lo), hi));
            _mm_storeu_si128((__m128i*)(out + j), _mm512_cvtsepi32_epi8(q));
        }
        for (; j < k; j++) {
            float v = row[j] * s;
            v = v < -8.0f ? -8.0f : (v > 7.0f ? 7.0f : v);
            out[j] = (int8_t)bn_round_even(v);
        }
        scales[r] = beta / sqrt7;
    }
}
