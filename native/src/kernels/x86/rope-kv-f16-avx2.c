/* RoPE + fp16 KV-cache write, AVX2. NeoX pairs (i, i + half) rotate as two contiguous 8-float
 * vectors; interleaved pairs (2i, 2i + 1) as one vector of four pairs whose cos / sin are
 * duplicated into both lanes of a pair, with the two results blended by lane parity. Every lane
 * computes the reference's a cos - b sin or a sin + b cos; F16C converts with round-to-nearest-
 * even like bn_fp32_to_fp16. So identical bits. */
#include "x86-decode.h"
#include "../rope-walk.h"

/* Rotates one head of n floats (n = rope_dims) in place (k_out NULL), or into fp16 k_out. */
static void rotate_head(const float* in, float* q_out, uint16_t* k_out, const float* cos_t, const float* sin_t,
                        int32_t rope_dims, bn_rope_style style) {
    const int32_t half = rope_dims / 2;
    int32_t i = 0;
    if (style == BN_ROPE_NEOX) {
        for (; i + 8 <= half; i += 8) {
            const __m256 a = _mm256_loadu_ps(in + i), b = _mm256_loadu_ps(in + half + i);
            const __m256 c = _mm256_loadu_ps(cos_t + i), s = _mm256_loadu_ps(sin_t + i);
            const __m256 a2 = _mm256_sub_ps(_mm256_mul_ps(a, c), _mm256_mul_ps(b, s));
            const __m256 b2 = _mm256_add_ps(_mm256_mul_ps(a, s), _mm256_mul_ps(b, c));
            if (q_out) {
                _mm256_storeu_ps(q_out + i, a2);
                _mm256_storeu_ps(q_out + half + i, b2);
            } else {
                _mm_storeu_si128((__m128i*)(k_out + i), _mm256_cvtps_ph(a2, _MM_FROUND_TO_NEAREST_INT));
                _mm_storeu_si128((__m128i*)(k_out + half + i), _mm256_cvtps_ph(b2, _MM_FROUND_TO_NEAREST_INT));
            }
        }
    } else {
        const __m256i dup = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
        for (; i + 4 <= half; i += 4) {
            const __m256 x = _mm256_loadu_ps(in + 2 * i);
            const __m256 a = _mm256_moveldup_ps(x), b = _mm256_movehdup_ps(x); /* a0 a0 a1 a1 .., b0 b0 .. */
            const __m256 c = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(cos_t + i)), dup);
            const __m256 s = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(sin_t + i)), dup);
            const __m256 even = _mm256_sub_ps(_mm256_mul_ps(a, c), _mm256_mul_ps(b, s));
            const __m256 odd = _mm256_add_ps(_mm256_mul_ps(a, s), _mm256_mul_ps(b, c));
            const __m256 v = _mm256_blend_ps(even, odd, 0xaa);
            if (q_out) _mm256_storeu_ps(q_out + 2 * i, v);
            else _mm_storeu_si128((__m128i*)(k_out + 2 * i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
        }
    }
    bn_rotate_pairs(in, q_out, k_out, cos_t, sin_t, rope_dims, style, i);
}

/* n floats to fp16. */
static void store_f16(const float* in, uint16_t* out, int32_t n) {
    int32_t j = 0;
    for (; j + 8 <= n; j += 8)
        _mm_storeu_si128((__m128i*)(out + j), _mm256_cvtps_ph(_mm256_loadu_ps(in + j), _MM_FROUND_TO_NEAREST_INT));
    for (; j < n; j++) out[j] = bn_fp32_to_fp16(in[j]);
}

void bn_rope_kv_f16__avx2(const bn_rope_args* a, int32_t t_begin, int32_t t_end) {
    bn_rope_kv_walk(a, t_begin, t_end, rotate_head, store_f16);
}
