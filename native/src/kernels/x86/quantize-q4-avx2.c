/* int4 (BitNet a4.8) activation quantization, AVX2. The |x| sum follows the reference's specified
 * 16-lane order exactly: lanes 0-7 and 8-15 are two 8-float accumulators, the tail is added as a
 * zero-padded group (adding +0 leaves a lane unchanged), and the reduction tree is the same. */
#include "x86-common.h"

void bn_quantize_q4__avx2(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    const float sqrt7 = 2.64575131106459059f;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 lo = _mm256_set1_ps(-8.0f), hi = _mm256_set1_ps(7.0f);
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        int8_t* out = xq + (int64_t)r * k;
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
        __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));                                /* i + 1 */
        float beta = k > 0 ? _mm_cvtss_f32(s1) / (float)k : 0.0f;
        if (beta < BN_ACT_EPS) beta = BN_ACT_EPS;
        const float s = sqrt7 / beta;
        const __m256 vs = _mm256_set1_ps(s);
        j = 0;
        for (; j + 32 <= k; j += 32) {
            __m256i q[4];
            for (int t = 0; t < 4; t++) {
                __m256 v = _mm256_mul_ps(_mm256_loadu_ps(row + j + 8 * t), vs);
                q[t] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(v, lo), hi));
            }
            __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
            p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i*)(out + j), p);
        }
        for (; j < k; j++) {
            float v = row[j] * s;
            v = v < -8.0f ? -8.0f : (v > 7.0f ? 7.0f : v);
            out[j] = (int8_t)bn_round_even(v);
        }
        scales[r] = beta / sqrt7;
    }
}
