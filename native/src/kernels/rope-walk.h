/* The token and head order every SIMD RoPE + KV-write kernel shares: for tokens [t_begin, t_end),
 * rotate each query head in place, rotate each key head into its fp16 cache row (dimensions past
 * rope_dims stored unrotated), and store the values. Each kernel supplies the two vector steps. */
#ifndef BN_ROPE_WALK_H
#define BN_ROPE_WALK_H

#include "../core/bn_internal.h"

/* Rotates one head's first rope_dims floats: in place into q_out (k_out NULL), or into fp16 k_out. */
typedef void (*bn_rotate_head_fn)(const float* in, float* q_out, uint16_t* k_out, const float* cos_t,
                                  const float* sin_t, int32_t rope_dims, bn_rope_style style);
/* Converts n floats to fp16 (round to nearest even, as bn_fp32_to_fp16). */
typedef void (*bn_store_f16_fn)(const float* in, uint16_t* out, int32_t n);

/* The rotation of pairs [i0, rope_dims / 2) of one head, the reference's rule: pair i is (i, i + rope_dims / 2) for
 * NeoX and (2i, 2i + 1) for the interleaved style, a' = a cos - b sin, b' = a sin + b cos, into q_out (k_out
 * NULL) or rounded to fp16 into k_out (round to nearest even, bn_fp32_to_fp16). The SIMD kernels' tail. */
static inline void bn_rotate_pairs(const float* in, float* q_out, uint16_t* k_out, const float* cos_t,
                                   const float* sin_t, int32_t rope_dims, bn_rope_style style, int32_t i0) {
    const int32_t half = rope_dims / 2;
    for (int32_t i = i0; i < half; i++) {
        const int32_t ia = style == BN_ROPE_NEOX ? i : 2 * i, ib = style == BN_ROPE_NEOX ? i + half : 2 * i + 1;
        const float x0 = in[ia], x1 = in[ib];
        const float a2 = x0 * cos_t[i] - x1 * sin_t[i], b2 = x0 * sin_t[i] + x1 * cos_t[i];
        if (q_out) {
            q_out[ia] = a2;
            q_out[ib] = b2;
        } else {
            k_out[ia] = bn_fp32_to_fp16(a2);
            k_out[ib] = bn_fp32_to_fp16(b2);
        }
    }
}

static inline void bn_rope_kv_walk(const bn_rope_args* a, int32_t t_begin, int32_t t_end, bn_rotate_head_fn rotate_head,
                                   bn_store_f16_fn store_f16) {
    const int32_t hd = a->head_dim, half = a->rope_dims / 2;
    const int32_t q_dim = a->n_heads * hd, kv_dim = a->n_kv_heads * hd;
    for (int32_t t = t_begin; t < t_end; t++) {
        const float* cos_t = a->table + (int64_t)t * a->rope_dims;
        const float* sin_t = cos_t + half;
        float* q = a->q + (int64_t)t * q_dim;
        for (int32_t h = 0; h < a->n_heads; h++)
            rotate_head(q + (int64_t)h * hd, q + (int64_t)h * hd, NULL, cos_t, sin_t, a->rope_dims, a->style);
        const float* k = a->k + (int64_t)t * kv_dim;
        uint16_t* kc = a->k_cache + (int64_t)(a->position + t) * kv_dim;
        for (int32_t h = 0; h < a->n_kv_heads; h++) {
            const float* head = k + (int64_t)h * hd;
            uint16_t* out = kc + (int64_t)h * hd;
            rotate_head(head, NULL, out, cos_t, sin_t, a->rope_dims, a->style);
            store_f16(head + a->rope_dims, out + a->rope_dims, hd - a->rope_dims);
        }
        store_f16(a->v + (int64_t)t * kv_dim, a->v_cache + (int64_t)(a->position + t) * kv_dim, kv_dim);
    }
}

#endif /* BN_ROPE_WALK_H */
