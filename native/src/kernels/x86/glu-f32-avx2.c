/* Gated activation, AVX2: ReLU^2 or SiLU (with the library's exp on eight lanes) times up, the
 * reference's operations lane by lane; identical bits. */
#include "x86-decode.h"

void bn_glu_f32__avx2(const float* gate, const float* up, bn_activation act, int64_t begin, int64_t end, float* y) {
    int64_t i = begin;
    for (; i + 8 <= end; i += 8)
        _mm256_storeu_ps(y + i, bn_glu_avx2(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i), act));
    for (; i < end; i++) y[i] = bn_glu__ref(gate[i], up[i], act);
}
