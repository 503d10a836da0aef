/* Reference RoPE + KV-cache write, per token t (the order of rope-walk.h): every query head is rotated in place;
 * every key head is rotated on its way into cache row position + t as fp16, and the value row is stored as fp16.
 * Pair i of a head is (i, i + rope_dims / 2) for NeoX and (2i, 2i + 1) for the interleaved style;
 * a' = a cos - b sin, b' = a sin + b cos with cos / sin from the table row of the token (bn_rotate_pairs). */
#include "../rope-walk.h"

static void rotate_head(const float* in, float* q_out, uint16_t* k_out, const float* cos_t, const float* sin_t,
                        int32_t rope_dims, bn_rope_style style) {
    bn_rotate_pairs(in, q_out, k_out, cos_t, sin_t, rope_dims, style, 0);
}

static void store_f16(const float* in, uint16_t* out, int32_t n) {
    for (int32_t j = 0; j < n; j++) out[j] = bn_fp32_to_fp16(in[j]);
}

void bn_rope_kv_f16__ref(const bn_rope_args* a, int32_t t_begin, int32_t t_end) {
    bn_rope_kv_walk(a, t_begin, t_end, rotate_head, store_f16);
}
