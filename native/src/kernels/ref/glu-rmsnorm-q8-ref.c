/* Reference fused FFN hidden step, per row: h = act(gate) * up stored over gate, then RMSNorm of h with
 * w and int8 absmax quantization exactly as bn_rmsnorm_q8__ref. */
#include "bn_internal.h"

int32_t bn_glu_rmsnorm_q8__ref(float* gate, const float* up, bn_activation act, const float* w, float eps, int32_t k,
                               int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    for (int32_t r = r_begin; r < r_end; r++) {
        float* h = gate + (int64_t)r * k;
        const float* u = up + (int64_t)r * k;
        for (int32_t j = 0; j < k; j++) h[j] = bn_glu__ref(h[j], u[j], act);
    }
    return bn_rmsnorm_q8__ref(gate, w, eps, k, r_begin, r_end, xq, scales);
}
