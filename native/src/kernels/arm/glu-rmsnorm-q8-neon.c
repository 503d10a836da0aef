/* Fused FFN hidden step, NEON: the row loop of rmsnorm-rows.h with this ISA's gated activation
 * (bn_glu_f32__neon, h = act(gate) * up written over gate) and RMSNorm + int8 quantization (bn_rmsnorm_q8__neon). */
#include "../rmsnorm-rows.h"

int32_t bn_glu_rmsnorm_q8__neon(float* gate, const float* up, bn_activation act, const float* w, float eps, int32_t k,
                                int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    return bn_glu_rmsnorm_rows(gate, up, act, w, eps, k, r_begin, r_end, xq, scales, bn_glu_f32__neon,
                               bn_rmsnorm_q8__neon);
}
