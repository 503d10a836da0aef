/* Fused FFN hidden step, NEON: h = act(gate) * up written over gate (so SiLU's exp runs once per
 * element), then RMSNorm + int8 quantization of h as rmsnorm-q8-neon.c. */
#include "arm-decode.h"

int32_t bn_glu_rmsnorm_q8__neon(float* gate, const float* up, bn_activation act, const float* w, float eps, int32_t k,
                                int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    int32_t bad = -1;
    for (int32_t r = r_begin; r < r_end; r++) {
        float* h = gate + (int64_t)r * k;
        const float* u = up + (int64_t)r * k;
        int8_t* out = xq + (int64_t)r * k;
        int32_t j = 0;
        for (; j + 4 <= k; j += 4) vst1q_f32(h + j, bn_glu_neon(vld1q_f32(h + j), vld1q_f32(u + j), act));
        for (; j < k; j++) h[j] = bn_glu__ref(h[j], u[j], act);
        const float rf = bn_rms_factor(bn_sum_squares_neon(h, k), k, eps);
        if (rf == 0.0f) {
            memset(out, 0, (size_t)k);
            scales[r] = 0.0f;
            if (bad < 0) bad = r;
            continue;
        }
        scales[r] = bn_quantize_norm_q8_neon(h, rf, w, k, out);
    }
    return bad;
}
