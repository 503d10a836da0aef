/* int8 absmax activation quantization, AVX-512F. Same float operations as the reference in the same
 * order (max is order-free; x * s, clamp, round-half-even conversion), so identical bits. The tail
 * of a row (k % 16 elements) is read through a zero-padded copy (|0| never raises the max) and
 * quantized by the reference's scalar formula. */
#include "x86-common.h"

/* Largest of the 16 lanes. */
static inline float hmax_ps(__m512 v) {
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    __m256 m8 = _mm256_max_ps(_mm512_castps512_ps256(v), hi);
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    return _mm_cvtss_f32(m4);
}

void bn_quantize_q8__avx512(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    const __m512 lo = _mm512_set1_ps(-128.0f), hi = _mm512_set1_ps(127.0f);
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        int8_t* out = xq + (int64_t)r * k;
        __m512 vmax = _mm512_setzero_ps();
        int32_t j = 0;
        for (; j + 16 <= k; j += 16) vmax = _mm512_max_ps(vmax, _mm512_abs_ps(_mm512_loadu_ps(row + j)));
        if (j < k) {
            float tail[16] = {0};
            for (int32_t t = 0; j + t < k; t++) tail[t] = row[j + t];
            vmax = _mm512_max_ps(vmax, _mm512_abs_ps(_mm512_loadu_ps(tail)));
        }
        float amax = hmax_ps(vmax);
        if (amax < BN_ACT_EPS) amax = BN_ACT_EPS;
        const float s = 127.0f / amax;
        const __m512 vs = _mm512_set1_ps(s);
        j = 0;
        for (; j + 16 <= k; j += 16) {
            __m512 v = _mm512_mul_ps(_mm512_loadu_ps(row + j), vs);
            /* clamped to [-128, 127] first, so the saturating narrowing is exact */
            __m512i q = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(v, lo), hi));
            _mm_storeu_si128((__m128i*)(out + j), _mm512_cvtsepi32_epi8(q));
        }
        for (; j < k; j++) {
            float v = row[j] * s;
            v = v < -128.0f ? -128.0f : (v > 127.0f ? 127.0f : v);
            out[j] = (int8_t)bn_round_even(v);
        }
        scales[r] = amax / 127.0f;
    }
}
