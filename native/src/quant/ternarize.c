/* Absmean ternarization (BitNet b1.58): gamma = mean|W|, Wq = clamp(round(W / (gamma + eps)), -1, 1). */
#include "bn_internal.h"

BN_API bn_status bn_ternarize_absmean(const float* w, int64_t w_len, int64_t n, int8_t* q, int64_t q_len,
                                      float* out_scale) {
    if (!out_scale || (n > 0 && (!w || !q)))
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_ternarize_absmean: NULL buffer");
    if (n < 0 || w_len < n || q_len < n)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT,
                       "bn_ternarize_absmean: n=%lld with w_len=%lld and q_len=%lld", (long long)n,
                       (long long)w_len, (long long)q_len);
    /* Sum in double: a 2B-4T projection has up to 17.7 M weights, too many for a float sum. */
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        float a = w[i] < 0 ? -w[i] : w[i];
        if (!(a <= 3.4028235e38f))
            return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_ternarize_absmean: weight %lld is not finite",
                           (long long)i);
        sum += a;
    }
    float gamma = n > 0 ? (float)(sum / (double)n) : 0.0f;
    float inv = 1.0f / (gamma + BN_WEIGHT_EPS);
    for (int64_t i = 0; i < n; i++) {
        float v = w[i] * inv;
        v = v < -1.0f ? -1.0f : (v > 1.0f ? 1.0f : v);
        q[i] = (int8_t)bn_round_even(v);
    }
    *out_scale = gamma;
    return BN_STATUS_OK;
}
