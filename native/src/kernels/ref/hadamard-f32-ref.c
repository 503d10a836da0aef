/* Reference normalized Walsh-Hadamard transform of rows (bitnative.h): per block of B values (B the
 * largest power of two dividing k), the butterfly stages h = 1, 2, ..., B / 2, each replacing
 * (x_j, x_{j+h}) by (x_j + x_{j+h}, x_j - x_{j+h}) for j & h == 0, then every value times
 * bn_hadamard_scale(B). Each output is the same chain of additions in every variant, so all return
 * the same bits. */
#include "../hadamard-walk.h"

float bn_hadamard_scale(int32_t block) { return (float)(1.0 / sqrt((double)block)); }

void bn_hadamard_block__ref(float* v, int32_t block, float scale) {
    for (int32_t h = 1; h < block; h *= 2)
        for (int32_t j = 0; j < block; j++)
            if ((j & h) == 0) {
                const float a = v[j], b = v[j + h];
                v[j] = a + b;
                v[j + h] = a - b;
            }
    for (int32_t j = 0; j < block; j++) v[j] *= scale;
}

void bn_hadamard_f32__ref(float* x, int32_t k, int32_t r_begin, int32_t r_end) {
    bn_hadamard_walk(x, k, r_begin, r_end, 0, bn_hadamard_block__ref);
}
