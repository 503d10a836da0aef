/* The textbook attention of one query head that both attention references compute, over cache rows of any storage:
 *   s_p = scale * (q . k_p)  (float sum in order),  M = max_p s_p,
 *   Z = sum_p exp(s_p - M),  out = sum_p (exp(s_p - M) / Z) v_p,
 * with libm's expf, in three passes over the keys so it needs no scratch memory. Each reference supplies how one
 * value of a cached row reads back as a float. */
#ifndef BN_ATTENTION_REF_H
#define BN_ATTENTION_REF_H

#include "../attention-walk.h"

/* Value j of the cached row at `row` (keys and values alike) as the float it stands for. */
typedef float (*bn_read_back_fn)(const uint8_t* row, bn_kv_type type, int32_t j);

static float bn_attention_score__ref(const float* q, const uint8_t* k, bn_kv_type type, int32_t hd, float scale,
                                     bn_read_back_fn read_back) {
    float s = 0.0f;
    for (int32_t j = 0; j < hd; j++) s += q[j] * read_back(k, type, j);
    return s * scale;
}

/* out[0..hd) for query q over the rows [0, seen) of one KV head: keys and values at row_bytes apart. */
static void bn_attention_head__ref(const float* q, const uint8_t* keys, const uint8_t* values, int64_t row_bytes,
                                   int32_t seen, int32_t hd, float scale, bn_kv_type type, bn_read_back_fn read_back,
                                   float* out) {
    float max = -INFINITY;
    for (int32_t p = 0; p < seen; p++) {
        const float s = bn_attention_score__ref(q, keys + p * row_bytes, type, hd, scale, read_back);
        max = s > max ? s : max;
    }
    float z = 0.0f;
    for (int32_t p = 0; p < seen; p++)
        z += expf(bn_attention_score__ref(q, keys + p * row_bytes, type, hd, scale, read_back) - max);
    for (int32_t j = 0; j < hd; j++) out[j] = 0.0f;
    for (int32_t p = 0; p < seen; p++) {
        const float weight = expf(bn_attention_score__ref(q, keys + p * row_bytes, type, hd, scale, read_back) - max) / z;
        for (int32_t j = 0; j < hd; j++) out[j] += weight * read_back(values + p * row_bytes, type, j);
    }
}

/* Work units [u_begin, u_end) of bn_attention_args, each query head through bn_attention_head__ref: the KV head's
 * rows start at keys / values + kvh * head_bytes, row_bytes apart. */
static void bn_attention_walk__ref(const bn_attention_args* a, int32_t u_begin, int32_t u_end, const uint8_t* keys,
                                   const uint8_t* values, int64_t head_bytes, int64_t row_bytes,
                                   bn_read_back_fn read_back) {
    const int32_t hd = a->head_dim, q_dim = a->n_heads * hd;
    for (int32_t u = u_begin; u < u_end; u++) {
        const bn_attention_unit w = bn_attention_unit_at(a, u);
        for (int32_t h = w.h_first; h < w.h_first + a->heads_per_unit; h++)
            bn_attention_head__ref(a->q + (int64_t)w.t * q_dim + (int64_t)h * hd, keys + w.kvh * head_bytes,
                                   values + w.kvh * head_bytes, row_bytes, a->position + w.t + 1, hd, a->scale,
                                   a->kv_type, read_back, a->out + (int64_t)w.t * q_dim + (int64_t)h * hd);
    }
}

#endif /* BN_ATTENTION_REF_H */
