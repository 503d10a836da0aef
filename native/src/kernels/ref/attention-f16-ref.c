/* Reference causal grouped-query attention over the fp16 cache: the textbook definition, one query
 * head at a time, in three passes over the keys so it needs no scratch memory:
 *   s_p = scale * (q . k_p)  (float sum in order),  M = max_p s_p,
 *   Z = sum_p exp(s_p - M),  out = sum_p (exp(s_p - M) / Z) v_p,
 * with libm's expf. The SIMD variants compute the same quantities online (one pass, chunks of
 * positions, the library's exp) and are compared with this within a tolerance. */
#include "bn_internal.h"

static float score(const float* q, const uint16_t* k, int32_t hd, float scale) {
    float s = 0.0f;
    for (int32_t j = 0; j < hd; j++) s += q[j] * bn_fp16_to_fp32(k[j]);
    return s * scale;
}

void bn_attention_f16__ref(const bn_attention_args* a, int32_t u_begin, int32_t u_end) {
    const int32_t hd = a->head_dim, kv_dim = a->n_kv_heads * hd, q_dim = a->n_heads * hd;
    const int32_t group = a->n_heads / a->n_kv_heads, parts = group / a->heads_per_unit;
    for (int32_t u = u_begin; u < u_end; u++) {
        const int32_t t = u / (a->n_kv_heads * parts), kvh = (u / parts) % a->n_kv_heads, part = u % parts;
        const int32_t seen = a->position + t + 1;
        const uint16_t* keys = a->k_cache + (int64_t)kvh * hd;
        const uint16_t* values = a->v_cache + (int64_t)kvh * hd;
        const int32_t h_first = kvh * group + part * a->heads_per_unit;
        for (int32_t h = h_first; h < h_first + a->heads_per_unit; h++) {
            const float* q = a->q + (int64_t)t * q_dim + (int64_t)h * hd;
            float* out = a->out + (int64_t)t * q_dim + (int64_t)h * hd;
            float max = -INFINITY;
            for (int32_t p = 0; p < seen; p++) {
                float s = score(q, keys + (int64_t)p * kv_dim, hd, a->scale);
                max = s > max ? s : max;
            }
            float z = 0.0f;
            for (int32_t p = 0; p < seen; p++) z += expf(score(q, keys + (int64_t)p * kv_dim, hd, a->scale) - max);
            for (int32_t j = 0; j < hd; j++) out[j] = 0.0f;
            for (int32_t p = 0; p < seen; p++) {
                const float weight = expf(score(q, keys + (int64_t)p * kv_dim, hd, a->scale) - max) / z;
                const uint16_t* v = values + (int64_t)p * kv_dim;
                for (int32_t j = 0; j < hd; j++) out[j] += weight * bn_fp16_to_fp32(v[j]);
            }
        }
    }
}
