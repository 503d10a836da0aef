/* RMSNorm + int4 (BitNet a4.8) quantization, AVX2; see rmsnorm-q8-avx2.c. */
#include "x86-decode.h"

#include <string.h>

int32_t bn_rmsnorm_q4__avx2(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end,
                            int8_t* xq, float* scales) {
    int32_t bad = -1;
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        int8_t* out = xq + (int64_t)r * k;
        const float rf = bn_rms_factor(bn_sum_squares_avx2(row, k), k, eps);
        if (rf == 0.0f) {
            memset(out, 0, (size_t)k);
            scales[r] = 0.0f;
            if (bad < 0) bad = r;
            continue;
        }
        scales[r] = bn_quantize_norm_q4_avx2(row, rf, w, k, out);
    }
    return bad;
}
