/* Reference normalized Walsh-Hadamard transform of rows (bitnative.h): per block of B values (B the
 * largest power of two dividing k), the butterfly stages h = 1, 2, ..., B / 2, each replacing
 * (x_j, x_{j+h}) by (x_j + x_{j+h}, x_j - x_{j+h}) for j & h == 0, then every value times
 * bn_hadamard_scale(B). Each output is the same chain of additions in every variant, so all return
 * the same bits. */
#include "bn_internal.h"

float bn_hadamard_scale(int32_t block) { return (float)(1.0 / sqrt((double)block)); }

void bn_hadamard_f32__ref(float* x, int32_t k, int32_t r_begin, int32_t r_end) {
    const int32_t block = bn_hadamard_block(k);
    const float scale = bn_hadamard_scale(block);
    for (int32_t r = r_begin; r < r_end; r++) {
        float* row = x + (int64_t)r * k;
        for (int32_t b0 = 0; b0 < k; b0 += block) {
            float* v = row + b0;
            for (int32_t h = 1; h < block; h *= 2)
                for (int32_t j = 0; j < block; j++)
                    if ((j & h) == 0) {
                        const float a = v[j], b = v[j + h];
                        v[j] = a + b;
                        v[j + h] = a - b;
                    }
            for (int32_t j = 0; j < block; j++) v[j] *= scale;
        }
    }
}
