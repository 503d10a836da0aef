/* The KV-cache block quantizer (bitnative.h, "Quantized KV cache"), AVX2: the reference's operations
 * on eight lanes, so the bytes are identical. max(|x|, m) keeps m when |x| is NaN, as the reference's
 * comparison does; max(v, lo) then min(v, hi) is its clamp (a NaN product becomes lo). */
#include "x86-decode.h"

void bn_quantize_kv__avx2(const float* x, int32_t hd, bn_kv_type type, uint8_t* block) {
    const int qmax = bn_kv_qmax(type);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 vmax = _mm256_setzero_ps();
    for (int32_t j = 0; j < hd; j += 8) vmax = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)), vmax);
    const float s = bn_kv_block_start(bn_hmax_ps_avx2(vmax), qmax, block);
    uint8_t* codes = block + 4;
    const __m256 vs = _mm256_set1_ps(s), vlo = _mm256_set1_ps((float)-qmax), vhi = _mm256_set1_ps((float)qmax);
    for (int32_t g = 0; g < hd / BN_KV_GROUP; g++) {
        __m256i q[4];
        for (int t = 0; t < 4; t++) {
            const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + g * BN_KV_GROUP + 8 * t), vs);
            q[t] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(v, vlo), vhi));
        }
        const __m256i c = bn_pack_4x8_epi32_avx2(q); /* 32 int8 codes in value order */
        if (type == BN_KV_Q8) {
            _mm256_storeu_si256((__m256i*)(codes + g * 32), c);
        } else if (type == BN_KV_Q4) {
            const __m256i u = _mm256_add_epi8(c, _mm256_set1_epi8(8)); /* 1..15 */
            const __m128i lo = _mm256_castsi256_si128(u), hi = _mm256_extracti128_si256(u, 1);
            _mm_storeu_si128((__m128i*)(codes + g * 16), _mm_or_si128(lo, _mm_slli_epi16(hi, 4)));
        } else {
            const __m256i u = _mm256_add_epi8(c, _mm256_set1_epi8(4)); /* 1..7 */
            const __m256i low = _mm256_and_si256(u, _mm256_set1_epi8(3));
            const __m256i high = _mm256_srli_epi16(_mm256_and_si256(u, _mm256_set1_epi8(4)), 2);
            /* byte i (0..15) = low[i] | low[i + 16] << 4, then byte i (0..7) |= byte i + 8 << 2 */
            const __m128i t = _mm_or_si128(_mm256_castsi256_si128(low), _mm_slli_epi16(_mm256_extracti128_si256(low, 1), 4));
            const __m128i plane = _mm_or_si128(t, _mm_slli_epi16(_mm_srli_si128(t, 8), 2));
            const uint32_t high_bits = (uint32_t)_mm256_movemask_epi8(_mm256_slli_epi16(high, 7));
            uint8_t* group = codes + g * 12;
            _mm_storel_epi64((__m128i*)group, plane);
            memcpy(group + 8, &high_bits, 4);
        }
    }
}
