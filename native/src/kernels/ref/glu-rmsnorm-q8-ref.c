/* Reference fused FFN hidden step, per row: h = act(gate) * up stored over gate (bn_glu_f32__ref), then RMSNorm of
 * h with w and int8 absmax quantization exactly as bn_rmsnorm_q8__ref (the row loop of rmsnorm-rows.h). */
#include "../rmsnorm-rows.h"

int32_t bn_glu_rmsnorm_q8__ref(float* gate, const float* up, bn_activation act, const float* w, float eps, int32_t k,
                               int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    return bn_glu_rmsnorm_rows(gate, up, act, w, eps, k, r_begin, r_end, xq, scales, bn_glu_f32__ref,
                               bn_rmsnorm_q8__ref);
}
