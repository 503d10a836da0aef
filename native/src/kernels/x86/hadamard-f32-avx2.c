/* The normalized Walsh-Hadamard transform of rows (bitnative.h), AVX2: the reference's butterflies,
 * stage by stage. Stages h = 1, 2, 4 pair lanes of one vector (a permute gives each lane its partner;
 * the sum goes to the lower lane and lower - upper to the upper one, exactly the reference's a + b
 * and a - b), stages h >= 8 pair whole vectors. Blocks shorter than 8 run the reference loop. */
#include "x86-decode.h"
#include "../hadamard-walk.h"

/* One block of at least 8 values. */
static inline __attribute__((always_inline)) void transform(float* v, int32_t block, float scale) {
    for (int32_t j = 0; j < block; j += 8) {
        __m256 a = _mm256_loadu_ps(v + j), p;
        p = _mm256_permute_ps(a, 0xB1); /* h = 1 */
        a = _mm256_blend_ps(_mm256_add_ps(a, p), _mm256_sub_ps(p, a), 0xAA);
        p = _mm256_permute_ps(a, 0x4E); /* h = 2 */
        a = _mm256_blend_ps(_mm256_add_ps(a, p), _mm256_sub_ps(p, a), 0xCC);
        p = _mm256_permute2f128_ps(a, a, 0x01); /* h = 4 */
        a = _mm256_blend_ps(_mm256_add_ps(a, p), _mm256_sub_ps(p, a), 0xF0);
        _mm256_storeu_ps(v + j, a);
    }
    for (int32_t h = 8; h < block; h *= 2)
        for (int32_t j0 = 0; j0 < block; j0 += 2 * h)
            for (int32_t j = j0; j < j0 + h; j += 8) {
                const __m256 a = _mm256_loadu_ps(v + j), b = _mm256_loadu_ps(v + j + h);
                _mm256_storeu_ps(v + j, _mm256_add_ps(a, b));
                _mm256_storeu_ps(v + j + h, _mm256_sub_ps(a, b));
            }
    const __m256 vscale = _mm256_set1_ps(scale);
    for (int32_t j = 0; j < block; j += 8) _mm256_storeu_ps(v + j, _mm256_mul_ps(_mm256_loadu_ps(v + j), vscale));
}

void bn_hadamard_f32__avx2(float* x, int32_t k, int32_t r_begin, int32_t r_end) {
    bn_hadamard_walk(x, k, r_begin, r_end, 8, transform);
}
