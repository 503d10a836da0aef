/* Causal grouped-query attention over a quantized KV cache (q8 / q4 / q3 blocks), NEON.
 *
 * attention-f16-neon.c's algorithm with one step in front of each chunk of positions: its keys and
 * values are decoded from the packed blocks into two float tables (d * c, at most 32 KB each, in L1),
 * so each code is unpacked once for the whole group of query heads; the scores and weighted values
 * then run on the tables. Rounding differs from the reference by the lane-wise sums, the online
 * rescaling and the polynomial exp (tolerance in bitnative.h). */
#include "arm-decode.h"
#include "../attention-kvq-walk.h"

#define TABLE_FLOATS 8192
#define MAX_G BN_ATTENTION_MAX_G

typedef bn_kvq_heads_ctx heads_ctx;

/* 16 int8 codes to floats times d, at out[0..16). */
BN_ALWAYS_INLINE void store16(int8x16_t c, float32x4_t d, float* out) {
    const int16x8_t lo = vmovl_s8(vget_low_s8(c)), hi = vmovl_high_s8(c);
    vst1q_f32(out, vmulq_f32(d, vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo)))));
    vst1q_f32(out + 4, vmulq_f32(d, vcvtq_f32_s32(vmovl_high_s16(lo))));
    vst1q_f32(out + 8, vmulq_f32(d, vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi)))));
    vst1q_f32(out + 12, vmulq_f32(d, vcvtq_f32_s32(vmovl_high_s16(hi))));
}

/* out[j] = d * c_j for the hd values of one block. */
BN_ALWAYS_INLINE void decode_row(const uint8_t* block, bn_kv_type type, int32_t hd, float* out) {
    const float32x4_t d = vdupq_n_f32(bn_kv_scale(block));
    const uint8_t* codes = block + 4;
    for (int32_t g = 0; g < hd / BN_KV_GROUP; g++) {
        int8x16_t c0, c1;
        if (type == BN_KV_Q8) {
            c0 = vld1q_s8((const int8_t*)codes + 32 * g);
            c1 = vld1q_s8((const int8_t*)codes + 32 * g + 16);
        } else if (type == BN_KV_Q4) {
            const uint8x16_t b = vld1q_u8(codes + 16 * g);
            c0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(b, vdupq_n_u8(15))), vdupq_n_s8(8));
            c1 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(b, 4)), vdupq_n_s8(8));
        } else {
            /* value 8 s + b: low bits (plane byte b >> 2 s) & 3, high bit (byte 8 + s >> b) & 1 */
            const uint8_t* group = codes + 12 * g;
            const uint8x8_t plane = vld1_u8(group), three = vdup_n_u8(3);
            const uint8x8_t bits = {1, 2, 4, 8, 16, 32, 64, 128}, four = vdup_n_u8(4);
            uint8x8_t u[4];
            u[0] = vand_u8(plane, three);
            u[1] = vand_u8(vshr_n_u8(plane, 2), three);
            u[2] = vand_u8(vshr_n_u8(plane, 4), three);
            u[3] = vshr_n_u8(plane, 6);
            for (int s = 0; s < 4; s++) u[s] = vorr_u8(u[s], vand_u8(vtst_u8(vdup_n_u8(group[8 + s]), bits), four));
            c0 = vsubq_s8(vreinterpretq_s8_u8(vcombine_u8(u[0], u[1])), vdupq_n_s8(4));
            c1 = vsubq_s8(vreinterpretq_s8_u8(vcombine_u8(u[2], u[3])), vdupq_n_s8(4));
        }
        store16(c0, d, out + BN_KV_GROUP * g);
        store16(c1, d, out + BN_KV_GROUP * g + 16);
    }
}

BN_ALWAYS_INLINE void attend_g(const heads_ctx* c, const int G, const bn_kv_type type) {
    const int32_t hd = c->hd, nb = hd / 8;
    const int32_t chunk = TABLE_FLOATS / hd < BN_ATTENTION_CHUNK ? TABLE_FLOATS / hd : BN_ATTENTION_CHUNK;
    _Alignas(16) float kf[TABLE_FLOATS], vf[TABLE_FLOATS];
    bn_attend_state st;
    bn_attend_begin(&st, hd, G);
    for (int32_t p0 = 0; p0 < c->seen; p0 += chunk) {
        const int32_t pc = c->seen - p0 < chunk ? c->seen - p0 : chunk;
        for (int32_t p = 0; p < pc; p++) {
            decode_row(c->keys + (int64_t)(p0 + p) * c->row_bytes, type, hd, kf + p * hd);
            decode_row(c->values + (int64_t)(p0 + p) * c->row_bytes, type, hd, vf + p * hd);
        }
        for (int32_t p = 0; p < pc; p++) {
            const float* kp = kf + p * hd;
            float32x4_t a[MAX_G], bh[MAX_G];
            for (int g = 0; g < G; g++) a[g] = bh[g] = vdupq_n_f32(0.0f);
            for (int32_t b = 0; b < nb; b++) {
                const float32x4_t kl = vld1q_f32(kp + 8 * b), kh = vld1q_f32(kp + 8 * b + 4);
                for (int g = 0; g < G; g++) {
                    a[g] = vfmaq_f32(a[g], vld1q_f32(c->q[g] + 8 * b), kl);
                    bh[g] = vfmaq_f32(bh[g], vld1q_f32(c->q[g] + 8 * b + 4), kh);
                }
            }
            for (int g = 0; g < G; g++) st.s[g][p] = vaddvq_f32(vaddq_f32(a[g], bh[g])) * c->scale;
        }
        for (int g = 0; g < G; g++) bn_attend_softmax(&st, hd, g, pc, 4, bn_max_ps_neon, bn_exp_sub_sum_ps_neon);
        for (int32_t b = 0; b < nb; b++) {
            float32x4_t ol[MAX_G], oh[MAX_G];
            for (int g = 0; g < G; g++) {
                ol[g] = vld1q_f32(&st.acc[g][8 * b]);
                oh[g] = vld1q_f32(&st.acc[g][8 * b + 4]);
            }
            for (int32_t p = 0; p < pc; p++) {
                const float32x4_t vl = vld1q_f32(vf + p * hd + 8 * b), vh = vld1q_f32(vf + p * hd + 8 * b + 4);
                for (int g = 0; g < G; g++) {
                    ol[g] = vfmaq_n_f32(ol[g], vl, st.s[g][p]);
                    oh[g] = vfmaq_n_f32(oh[g], vh, st.s[g][p]);
                }
            }
            for (int g = 0; g < G; g++) {
                vst1q_f32(&st.acc[g][8 * b], ol[g]);
                vst1q_f32(&st.acc[g][8 * b + 4], oh[g]);
            }
        }
    }
    bn_attend_finish(&st, c->out, hd, G);
}

BN_DEFINE_KVQ_ATTEND(attend_g)

void bn_attention_kvq__neon(const bn_attention_args* a, int32_t u_begin, int32_t u_end) {
    bn_attention_kvq_walk(a, u_begin, u_end, attend);
}
