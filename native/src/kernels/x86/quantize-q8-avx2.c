/* int8 absmax activation quantization, AVX2. Same float operations as the reference in the same
 * order (max is order-free; x * s, clamp, round-half-even conversion), so identical bits. */
#include "x86-common.h"

void bn_quantize_q8__avx2(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const __m256 lo = _mm256_set1_ps(-128.0f), hi = _mm256_set1_ps(127.0f);
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        int8_t* out = xq + (int64_t)r * k;
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
        if (amax < BN_ACT_EPS) amax = BN_ACT_EPS;
        const float s = 127.0f / amax;
        const __m256 vs = _mm256_set1_ps(s);
        j = 0;
        for (; j + 32 <= k; j += 32) {
            __m256i q[4];
            for (int t = 0; t < 4; t++) {
                __m256 v = _mm256_mul_ps(_mm256_loadu_ps(row + j + 8 * t), vs);
                q[t] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(v, lo), hi));
            }
            /* packs interleave 128-bit lanes; the final permute restores element order */
            __m256i p01 = _mm256_packs_epi32(q[0], q[1]);
            __m256i p23 = _mm256_packs_epi32(q[2], q[3]);
            __m256i p = _mm256_packs_epi16(p01, p23);
            p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i*)(out + j), p);
        }
        for (; j < k; j++) {
            float v = row[j] * s;
            v = v < -128.0f ? -128.0f : (v > 127.0f ? 127.0f : v);
            out[j] = (int8_t)bn_round_even(v);
        }
        scales[r] = amax / 127.0f;
    }
}
