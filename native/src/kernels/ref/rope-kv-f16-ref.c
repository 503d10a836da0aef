/* Reference RoPE + KV-cache write, per token t: every query head is rotated in place; every key head
 * is rotated on its way into cache row position + t as fp16, and the value row is stored as fp16.
 * Pair i of a head is (i, i + rope_dims / 2) for NeoX and (2i, 2i + 1) for the interleaved style;
 * a' = a cos - b sin, b' = a sin + b cos with cos / sin from the table row of the token. */
#include "bn_internal.h"

void bn_rope_kv_f16__ref(const bn_rope_args* a, int32_t t_begin, int32_t t_end) {
    const int32_t hd = a->head_dim, half = a->rope_dims / 2;
    const int32_t q_dim = a->n_heads * hd, kv_dim = a->n_kv_heads * hd;
    for (int32_t t = t_begin; t < t_end; t++) {
        const float* cos_t = a->table + (int64_t)t * a->rope_dims;
        const float* sin_t = cos_t + half;
        float* q = a->q + (int64_t)t * q_dim;
        for (int32_t h = 0; h < a->n_heads; h++) {
            float* head = q + (int64_t)h * hd;
            bn_rope_head__ref(head, head, a->style, a->rope_dims, cos_t, sin_t);
        }
        const float* k = a->k + (int64_t)t * kv_dim;
        const float* v = a->v + (int64_t)t * kv_dim;
        uint16_t* kc = a->k_cache + (int64_t)(a->position + t) * kv_dim;
        uint16_t* vc = a->v_cache + (int64_t)(a->position + t) * kv_dim;
        for (int32_t h = 0; h < a->n_kv_heads; h++) {
            const float* head = k + (int64_t)h * hd;
            uint16_t* out = kc + (int64_t)h * hd;
            for (int32_t j = a->rope_dims; j < hd; j++) out[j] = bn_fp32_to_fp16(head[j]);
            for (int32_t i = 0; i < half; i++) {
                int32_t ia, ib;
                bn_rope_pair__ref(a->style, half, i, &ia, &ib);
                const float x0 = head[ia], x1 = head[ib];
                out[ia] = bn_fp32_to_fp16(x0 * cos_t[i] - x1 * sin_t[i]);
                out[ib] = bn_fp32_to_fp16(x0 * sin_t[i] + x1 * cos_t[i]);
            }
        }
        for (int32_t j = 0; j < kv_dim; j++) vc[j] = bn_fp32_to_fp16(v[j]);
    }
}
