/* RoPE with the write to a quantized KV cache, per token t: the query heads rotate in place exactly as
 * bn_rope_kv_f16__ref rotates them (every rope variant returns those bits, so any may stand in for
 * this one), each key head is rotated into a float row and quantized into its block of cache row
 * position + t with the ISA's block quantizer (a->quantize), and each value head is quantized as is. */
#include "../rope-walk.h"

void bn_rope_kv_quant__ref(const bn_rope_args* a, int32_t t_begin, int32_t t_end) {
    const int32_t hd = a->head_dim, half = a->rope_dims / 2;
    const int32_t q_dim = a->n_heads * hd, kv_dim = a->n_kv_heads * hd;
    const int64_t row_bytes = (int64_t)a->n_kv_heads * a->block_bytes;
    float rotated[BN_ATTENTION_MAX_HEAD_DIM];
    for (int32_t t = t_begin; t < t_end; t++) {
        const float* cos_t = a->table + (int64_t)t * a->rope_dims;
        const float* sin_t = cos_t + half;
        float* q = a->q + (int64_t)t * q_dim;
        for (int32_t h = 0; h < a->n_heads; h++) {
            float* head = q + (int64_t)h * hd;
            bn_rotate_pairs(head, head, NULL, cos_t, sin_t, a->rope_dims, a->style, 0);
        }
        const float* k = a->k + (int64_t)t * kv_dim;
        const float* v = a->v + (int64_t)t * kv_dim;
        uint8_t* kc = a->kq_cache + (int64_t)(a->position + t) * row_bytes;
        uint8_t* vc = a->vq_cache + (int64_t)(a->position + t) * row_bytes;
        for (int32_t h = 0; h < a->n_kv_heads; h++) {
            const float* head = k + (int64_t)h * hd;
            for (int32_t j = a->rope_dims; j < hd; j++) rotated[j] = head[j];
            bn_rotate_pairs(head, rotated, NULL, cos_t, sin_t, a->rope_dims, a->style, 0);
            a->quantize(rotated, hd, a->kv_type, kc + (int64_t)h * a->block_bytes);
            a->quantize(v + (int64_t)h * hd, hd, a->kv_type, vc + (int64_t)h * a->block_bytes);
        }
    }
}
