/* Reference causal grouped-query attention over a quantized KV cache: the textbook three-pass
 * definition of attention-f16-ref.c over the values the blocks read back, k_j = d * c_j and
 * v_j = d * c_j (bn_kv_code decodes c), one query head at a time:
 *   s_p = scale * (q . k_p)  (float sum in order),  M = max_p s_p,
 *   Z = sum_p exp(s_p - M),  out = sum_p (exp(s_p - M) / Z) v_p,
 * with libm's expf. The SIMD variants decode the codes in registers, factor d out of the sums and
 * run the softmax online; they are compared with this within bn_attention_f16's tolerance. */
#include "attention-ref.h"

/* k_j = d * c_j of the block at `block`. */
static float read_back(const uint8_t* block, bn_kv_type type, int32_t j) {
    return bn_kv_scale(block) * (float)bn_kv_code(block + 4, type, j);
}

void bn_attention_kvq__ref(const bn_attention_args* a, int32_t u_begin, int32_t u_end) {
    bn_attention_walk__ref(a, u_begin, u_end, a->kq_cache, a->vq_cache, a->block_bytes,
                           (int64_t)a->n_kv_heads * a->block_bytes, read_back);
}
