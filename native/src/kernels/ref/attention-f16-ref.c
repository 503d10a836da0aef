/* Reference causal grouped-query attention over the fp16 cache: the textbook definition of attention-ref.h, one
 * query head at a time, in three passes over the keys so it needs no scratch memory:
 *   s_p = scale * (q . k_p)  (float sum in order),  M = max_p s_p,
 *   Z = sum_p exp(s_p - M),  out = sum_p (exp(s_p - M) / Z) v_p,
 * with libm's expf. The SIMD variants compute the same quantities online (one pass, chunks of
 * positions, the library's exp) and are compared with this within a tolerance. */
#include "attention-ref.h"

/* An fp16 value, exactly. */
static float read_back(const uint8_t* row, bn_kv_type type, int32_t j) {
    uint16_t h;
    memcpy(&h, row + 2 * (int64_t)j, 2);
    return bn_fp16_to_fp32(h);
}

void bn_attention_f16__ref(const bn_attention_args* a, int32_t u_begin, int32_t u_end) {
    const int64_t head_bytes = 2 * (int64_t)a->head_dim; /* a row holds n_kv_heads heads of head_dim fp16 values */
    bn_attention_walk__ref(a, u_begin, u_end, (const uint8_t*)a->k_cache, (const uint8_t*)a->v_cache, head_bytes,
                           a->n_kv_heads * head_bytes, read_back);
}
