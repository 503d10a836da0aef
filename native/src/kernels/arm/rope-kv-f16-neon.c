/* RoPE + fp16 KV-cache write, NEON. NeoX pairs (i, i + half) rotate as two contiguous 4-float
 * vectors; interleaved pairs (2i, 2i + 1) are split into a and b vectors by LD2 and joined again by
 * ST2. Every lane computes the reference's a cos - b sin or a sin + b cos, and FCVTN rounds to
 * nearest even like bn_fp32_to_fp16, so identical bits. */
#include "arm-decode.h"
#include "../rope-walk.h"

/* Rotates one head's first rope_dims values in place (k_out NULL), or into fp16 k_out. */
static void rotate_head(const float* in, float* q_out, uint16_t* k_out, const float* cos_t, const float* sin_t,
                        int32_t rope_dims, bn_rope_style style) {
    const int32_t half = rope_dims / 2;
    int32_t i = 0;
    if (style == BN_ROPE_NEOX) {
        for (; i + 4 <= half; i += 4) {
            const float32x4_t a = vld1q_f32(in + i), b = vld1q_f32(in + half + i);
            const float32x4_t c = vld1q_f32(cos_t + i), s = vld1q_f32(sin_t + i);
            const float32x4_t a2 = vsubq_f32(vmulq_f32(a, c), vmulq_f32(b, s));
            const float32x4_t b2 = vaddq_f32(vmulq_f32(a, s), vmulq_f32(b, c));
            if (q_out) {
                vst1q_f32(q_out + i, a2);
                vst1q_f32(q_out + half + i, b2);
            } else {
                vst1_u16(k_out + i, bn_to_f16x4_neon(a2));
                vst1_u16(k_out + half + i, bn_to_f16x4_neon(b2));
            }
        }
    } else {
        for (; i + 4 <= half; i += 4) {
            const float32x4x2_t ab = vld2q_f32(in + 2 * i);
            const float32x4_t c = vld1q_f32(cos_t + i), s = vld1q_f32(sin_t + i);
            float32x4x2_t out;
            out.val[0] = vsubq_f32(vmulq_f32(ab.val[0], c), vmulq_f32(ab.val[1], s));
            out.val[1] = vaddq_f32(vmulq_f32(ab.val[0], s), vmulq_f32(ab.val[1], c));
            if (q_out) {
                vst2q_f32(q_out + 2 * i, out);
            } else {
                uint16x4x2_t h;
                h.val[0] = bn_to_f16x4_neon(out.val[0]);
                h.val[1] = bn_to_f16x4_neon(out.val[1]);
                vst2_u16(k_out + 2 * i, h);
            }
        }
    }
    bn_rotate_pairs(in, q_out, k_out, cos_t, sin_t, rope_dims, style, i);
}

static void store_f16(const float* in, uint16_t* out, int32_t n) {
    int32_t j = 0;
    for (; j + 4 <= n; j += 4) vst1_u16(out + j, bn_to_f16x4_neon(vld1q_f32(in + j)));
    for (; j < n; j++) out[j] = bn_fp32_to_fp16(in[j]);
}

void bn_rope_kv_f16__neon(const bn_rope_args* a, int32_t t_begin, int32_t t_end) {
    bn_rope_kv_walk(a, t_begin, t_end, rotate_head, store_f16);
}
