/* Fused FFN hidden step, AVX2: h = act(gate) * up written over gate (SiLU's exp is computed once per
 * element, which is why h is stored), then RMSNorm + int8 quantization of h by bn_rmsnorm_q8__avx2, row by row. */
#include "x86-decode.h"

int32_t bn_glu_rmsnorm_q8__avx2(float* gate, const float* up, bn_activation act, const float* w, float eps, int32_t k,
                                int32_t r_begin, int32_t r_end, int8_t* xq, float* scales) {
    int32_t bad = -1;
    for (int32_t r = r_begin; r < r_end; r++) {
        float* h = gate + (int64_t)r * k;
        const float* u = up + (int64_t)r * k;
        int32_t j = 0;
        for (; j + 8 <= k; j += 8)
            _mm256_storeu_ps(h + j, bn_glu_avx2(_mm256_loadu_ps(h + j), _mm256_loadu_ps(u + j), act));
        for (; j < k; j++) h[j] = bn_glu__ref(h[j], u[j], act);
        /* this row, still in L1: the RMSNorm + int8 kernel of the same ISA */
        const int32_t row_bad = bn_rmsnorm_q8__avx2(gate, w, eps, k, r, r + 1, xq, scales);
        if (bad < 0) bad = row_bad;
    }
    return bad;
}
