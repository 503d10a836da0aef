/* The normalized Walsh-Hadamard transform of rows (bitnative.h), AVX2: the reference's butterflies,
 * stage by stage. Stages h = 1, 2, 4 pair lanes of one vector (a permute gives each lane its partner;
 * the sum goes to the lower lane and lower - upper to the upper one, exactly the reference's a + b
 * and a - b), stages h >= 8 pair whole vectors. Blocks shorter than 8 run the reference loop. */
#include "x86-decode.h"

static void butterfly_small(float* v, int32_t block) {
    for (int32_t h = 1; h < block; h *= 2)
        for (int32_t j = 0; j < block; j++)
            if ((j & h) == 0) {
                const float a = v[j], b = v[j + h];
                v[j] = a + b;
                v[j + h] = a - b;
            }
}

void bn_hadamard_f32__avx2(float* x, int32_t k, int32_t r_begin, int32_t r_end) {
    const int32_t block = bn_hadamard_block(k);
    const float scale = bn_hadamard_scale(block);
    const __m256 vscale = _mm256_set1_ps(scale);
    for (int32_t r = r_begin; r < r_end; r++) {
        float* row = x + (int64_t)r * k;
        for (int32_t b0 = 0; b0 < k; b0 += block) {
            float* v = row + b0;
            if (block < 8) {
                butterfly_small(v, block);
                for (int32_t j = 0; j < block; j++) v[j] *= scale;
                continue;
            }
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
            for (int32_t j = 0; j < block; j += 8) _mm256_storeu_ps(v + j, _mm256_mul_ps(_mm256_loadu_ps(v + j), vscale));
        }
    }
}
