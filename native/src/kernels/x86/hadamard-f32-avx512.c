/* The normalized Walsh-Hadamard transform of rows (bitnative.h), AVX-512F: hadamard-f32-avx2.c on
 * 16-float vectors. Stages h = 1, 2, 4, 8 pair lanes of one vector (vpermps gives lane j its partner
 * j ^ h); each stage takes the sum into the lower lane and lower - upper into the upper one, the
 * reference's a + b and a - b. Stages h >= 16 pair whole vectors. Blocks shorter than
 * 16 run the reference loop. */
#include "x86-avx512-decode.h"
#include "../hadamard-walk.h"

static inline __m512 stage(__m512 a, __m512 p, __mmask16 upper) {
    return _mm512_mask_blend_ps(upper, _mm512_add_ps(a, p), _mm512_sub_ps(p, a));
}

/* One block of at least 16 values. */
static inline __attribute__((always_inline)) void transform(float* v, int32_t block, float scale) {
    /* lane j's partner j ^ h for h = 1, 2, 4, 8 */
    const __m512i partner1 = _mm512_setr_epi32(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
    const __m512i partner2 = _mm512_setr_epi32(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    const __m512i partner4 = _mm512_setr_epi32(4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
    const __m512i partner8 = _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
    for (int32_t j = 0; j < block; j += 16) {
        __m512 a = _mm512_loadu_ps(v + j);
        a = stage(a, _mm512_permutexvar_ps(partner1, a), 0xAAAA);
        a = stage(a, _mm512_permutexvar_ps(partner2, a), 0xCCCC);
        a = stage(a, _mm512_permutexvar_ps(partner4, a), 0xF0F0);
        a = stage(a, _mm512_permutexvar_ps(partner8, a), 0xFF00);
        _mm512_storeu_ps(v + j, a);
    }
    for (int32_t h = 16; h < block; h *= 2)
        for (int32_t j0 = 0; j0 < block; j0 += 2 * h)
            for (int32_t j = j0; j < j0 + h; j += 16) {
                const __m512 a = _mm512_loadu_ps(v + j), b = _mm512_loadu_ps(v + j + h);
                _mm512_storeu_ps(v + j, _mm512_add_ps(a, b));
                _mm512_storeu_ps(v + j + h, _mm512_sub_ps(a, b));
            }
    const __m512 vscale = _mm512_set1_ps(scale);
    for (int32_t j = 0; j < block; j += 16) _mm512_storeu_ps(v + j, _mm512_mul_ps(_mm512_loadu_ps(v + j), vscale));
}

void bn_hadamard_f32__avx512(float* x, int32_t k, int32_t r_begin, int32_t r_end) {
    bn_hadamard_walk(x, k, r_begin, r_end, 16, transform);
}
