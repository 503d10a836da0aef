/* Reference causal grouped-query attention over a quantized KV cache: the textbook three-pass
 * definition of attention-f16-ref.c over the values the blocks read back, k_j = d * c_j and
 * v_j = d * c_j (bn_kv_code decodes c), one query head at a time:
 *   s_p = scale * (q . k_p)  (float sum in order),  M = max_p s_p,
 *   Z = sum_p exp(s_p - M),  out = sum_p (exp(s_p - M) / Z) v_p,
 * with libm's expf. The SIMD variants decode the codes in registers, factor d out of the sums and
 * run the softmax online; they are compared with this within bn_attention_f16's tolerance. */
#include "bn_internal.h"

static float read_back(const uint8_t* block, bn_kv_type type, int32_t j) {
    return bn_kv_scale(block) * (float)bn_kv_code(block + 4, type, j);
}

static float score(const float* q, const uint8_t* k, bn_kv_type type, int32_t hd, float scale) {
    float s = 0.0f;
    for (int32_t j = 0; j < hd; j++) s += q[j] * read_back(k, type, j);
    return s * scale;
}

void bn_attention_kvq__ref(const bn_attention_args* a, int32_t u_begin, int32_t u_end) {
    const int32_t hd = a->head_dim, q_dim = a->n_heads * hd, bb = a->block_bytes;
    const int64_t row_bytes = (int64_t)a->n_kv_heads * bb;
    const int32_t group = a->n_heads / a->n_kv_heads, parts = group / a->heads_per_unit;
    for (int32_t u = u_begin; u < u_end; u++) {
        const int32_t t = u / (a->n_kv_heads * parts), kvh = (u / parts) % a->n_kv_heads, part = u % parts;
        const int32_t seen = a->position + t + 1;
        const uint8_t* keys = a->kq_cache + (int64_t)kvh * bb;
        const uint8_t* values = a->vq_cache + (int64_t)kvh * bb;
        const int32_t h_first = kvh * group + part * a->heads_per_unit;
        for (int32_t h = h_first; h < h_first + a->heads_per_unit; h++) {
            const float* q = a->q + (int64_t)t * q_dim + (int64_t)h * hd;
            float* out = a->out + (int64_t)t * q_dim + (int64_t)h * hd;
            float max = -INFINITY;
            for (int32_t p = 0; p < seen; p++) {
                const float s = score(q, keys + p * row_bytes, a->kv_type, hd, a->scale);
                max = s > max ? s : max;
            }
            float z = 0.0f;
            for (int32_t p = 0; p < seen; p++) z += expf(score(q, keys + p * row_bytes, a->kv_type, hd, a->scale) - max);
            for (int32_t j = 0; j < hd; j++) out[j] = 0.0f;
            for (int32_t p = 0; p < seen; p++) {
                const float weight = expf(score(q, keys + p * row_bytes, a->kv_type, hd, a->scale) - max) / z;
                const uint8_t* v = values + p * row_bytes;
                for (int32_t j = 0; j < hd; j++) out[j] += weight * read_back(v, a->kv_type, j);
            }
        }
    }
}
