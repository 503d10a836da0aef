/* Fused FFN hidden step, AVX2: h = act(gate) * up written over gate (SiLU's exp is computed once per
 * element, which is why h is stored), then RMSNorm + int8 quantization of h as rmsnorm-q8-avx2.c. */
#include "x86-decode.h"

#include <string.h>

int32_t bn_glu_rmsnorm_q8__avx2(float* gate, const float* up, bn_activation act, const float* w, float eps, int32_t k,
                                int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    int32_t bad = -1;
    for (int32_t r = r_begin; r < r_end; r++) {
        float* h = gate + (int64_t)r * k;
        const float* u = up + (int64_t)r * k;
        int8_t* out = xq + (int64_t)r * k;
        int32_t j = 0;
        for (; j + 8 <= k; j += 8)
            _mm256_storeu_ps(h + j, bn_glu_avx2(_mm256_loadu_ps(h + j), _mm256_loadu_ps(u + j), act));
        for (; j < k; j++) h[j] = bn_glu__ref(h[j], u[j], act);
        const float rf = bn_rms_factor(bn_sum_squares_avx2(h, k), k, eps);
        if (rf == 0.0f) {
            memset(out, 0, (size_t)k);
            scales[r] = 0.0f;
            if (bad < 0) bad = r;
            continue;
        }
        scales[r] = bn_quantize_norm_q8_avx2(h, rf, w, k, out);
    }
    return bad;
}
