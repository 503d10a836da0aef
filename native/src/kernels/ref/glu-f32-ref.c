/* Reference gated activation, elementwise: y = act(gate) * up (bn_glu__ref: ReLU^2 or SiLU with the
 * library's exp). */
#include "bn_internal.h"

void bn_glu_f32__ref(const float* gate, const float* up, bn_activation act, int64_t begin, int64_t end, float* y) {
    for (int64_t i = begin; i < end; i++) y[i] = bn_glu__ref(gate[i], up[i], act);
}
