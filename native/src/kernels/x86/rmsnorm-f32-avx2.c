/* RMSNorm, AVX2: the reference's sum of squares in its 16-lane order, then y = (x * r) * w eight at a
 * time; identical bits. */
#include "x86-decode.h"

#include <string.h>

int32_t bn_rmsnorm_f32__avx2(const float* x, const float* w, float eps, int32_t k, int32_t r_begin, int32_t r_end,
                             float* y) {
    int32_t bad = -1;
    for (int32_t r = r_begin; r < r_end; r++) {
        const float* row = x + (int64_t)r * k;
        float* out = y + (int64_t)r * k;
        const float rf = bn_rms_factor(bn_sum_squares_avx2(row, k), k, eps);
        if (rf == 0.0f) {
            memset(out, 0, (size_t)k * sizeof(float));
            if (bad < 0) bad = r;
            continue;
        }
        const __m256 vr = _mm256_set1_ps(rf);
        int32_t j = 0;
        for (; j + 8 <= k; j += 8) _mm256_storeu_ps(out + j, bn_norm8_avx2(row + j, vr, w + j));
        for (; j < k; j++) out[j] = row[j] * rf * w[j];
    }
    return bad;
}
