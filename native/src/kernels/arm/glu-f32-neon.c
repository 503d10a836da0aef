/* Gated activation, NEON: ReLU^2 or SiLU (the library's exp on four lanes) times up, the reference's
 * operations lane by lane; identical bits. */
#include "arm-decode.h"

void bn_glu_f32__neon(const float* gate, const float* up, bn_activation act, int64_t begin, int64_t end, float* y) {
    int64_t i = begin;
    for (; i + 4 <= end; i += 4) vst1q_f32(y + i, bn_glu_neon(vld1q_f32(gate + i), vld1q_f32(up + i), act));
    for (; i < end; i++) y[i] = bn_glu__ref(gate[i], up[i], act);
}
