/* Fused FFN hidden step, NEON: h = act(gate) * up written over gate (so SiLU's exp runs once per
 * element), then RMSNorm + int8 quantization of h by bn_rmsnorm_q8__neon, row by row. */
#include "arm-decode.h"

int32_t bn_glu_rmsnorm_q8__neon(float* gate, const float* up, bn_activation act, const float* w, float eps, int32_t k,
                                int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    int32_t bad = -1;
    for (int32_t r = r_begin; r < r_end; r++) {
        float* h = gate + (int64_t)r * k;
        const float* u = up + (int64_t)r * k;
        int32_t j = 0;
        for (; j + 4 <= k; j += 4) vst1q_f32(h + j, bn_glu_neon(vld1q_f32(h + j), vld1q_f32(u + j), act));
        for (; j < k; j++) h[j] = bn_glu__ref(h[j], u[j], act);
        /* this row, still in L1: the RMSNorm + int8 kernel of the same ISA */
        const int32_t row_bad = bn_rmsnorm_q8__neon(gate, w, eps, k, r, r + 1, xq, scales);
        if (bad < 0) bad = row_bad;
    }
    return bad;
}
