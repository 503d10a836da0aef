/* Causal grouped-query attention over the fp16 KV cache, NEON.
 *
 * The algorithm of attention-f16-avx2.c: a unit is one token's KV head with up to 8 of its query
 * heads, so each cached key and value is widened (FCVTL) once for all of them; the softmax runs
 * online over chunks of BN_ATTENTION_CHUNK positions with the library's exp on four lanes; values are
 * accumulated 8 dimensions at a time with the group's outputs in registers (16 of the 32 vector
 * registers for 8 heads). Rounding differs from the reference by the lane-wise FMA sums, the
 * online rescaling and the polynomial exp (tolerance in bitnative.h). */
#include "arm-decode.h"
#include "../attention-walk.h"

#define MAX_G BN_ATTENTION_MAX_G

typedef bn_heads_ctx heads_ctx;

/* A score from the sum of the head's 8-dimension blocks plus its remaining dimensions. */
static inline float score_tail(const heads_ctx* c, int g, const uint16_t* kp, float sum, int32_t j0) {
    for (int32_t j = j0; j < c->hd; j++) sum += c->q[g][j] * bn_fp16_to_fp32(kp[j]);
    return sum * c->scale;
}

BN_ALWAYS_INLINE void attend_g(const heads_ctx* c, const int G) {
    const int32_t hd = c->hd, nb = hd / 8;
    bn_attend_state st;
    bn_attend_begin(&st, hd, G);
    for (int32_t p0 = 0; p0 < c->seen; p0 += BN_ATTENTION_CHUNK) {
        const int32_t pc = c->seen - p0 < BN_ATTENTION_CHUNK ? c->seen - p0 : BN_ATTENTION_CHUNK;
        {
            /* scores: two positions per step for groups of up to four heads, two accumulators per
             * head and position (low and high half of each 8-dimension block), so 16 independent
             * FMA chains, each query block loaded once for both positions */
            int32_t p = 0;
            if (G <= 4)
                for (; p + 2 <= pc; p += 2) {
                    const uint16_t* k0 = c->keys + (int64_t)(p0 + p) * c->kv_dim;
                    const uint16_t* k1 = k0 + c->kv_dim;
                    bn_attend_prefetch(c, p0 + p + BN_ATTENTION_PREFETCH_AHEAD, 2);
                    float32x4_t a0[MAX_G], b0[MAX_G], a1[MAX_G], b1[MAX_G];
                    for (int g = 0; g < G; g++) a0[g] = b0[g] = a1[g] = b1[g] = vdupq_n_f32(0.0f);
                    for (int32_t b = 0; b < nb; b++) {
                        float32x4_t kl0, kh0, kl1, kh1;
                        bn_load_f16x8_neon(k0 + 8 * b, &kl0, &kh0);
                        bn_load_f16x8_neon(k1 + 8 * b, &kl1, &kh1);
                        for (int g = 0; g < G; g++) {
                            const float32x4_t ql = vld1q_f32(c->q[g] + 8 * b), qh = vld1q_f32(c->q[g] + 8 * b + 4);
                            a0[g] = vfmaq_f32(a0[g], ql, kl0);
                            b0[g] = vfmaq_f32(b0[g], qh, kh0);
                            a1[g] = vfmaq_f32(a1[g], ql, kl1);
                            b1[g] = vfmaq_f32(b1[g], qh, kh1);
                        }
                    }
                    for (int g = 0; g < G; g++) {
                        st.s[g][p] = score_tail(c, g, k0, vaddvq_f32(vaddq_f32(a0[g], b0[g])), 8 * nb);
                        st.s[g][p + 1] = score_tail(c, g, k1, vaddvq_f32(vaddq_f32(a1[g], b1[g])), 8 * nb);
                    }
                }
            for (; p < pc; p++) {
                const uint16_t* kp = c->keys + (int64_t)(p0 + p) * c->kv_dim;
                bn_attend_prefetch(c, p0 + p + BN_ATTENTION_PREFETCH_AHEAD, 1);
                float32x4_t a[MAX_G], bh[MAX_G];
                for (int g = 0; g < G; g++) a[g] = bh[g] = vdupq_n_f32(0.0f);
                for (int32_t b = 0; b < nb; b++) {
                    float32x4_t kl, kh;
                    bn_load_f16x8_neon(kp + 8 * b, &kl, &kh);
                    for (int g = 0; g < G; g++) {
                        a[g] = vfmaq_f32(a[g], vld1q_f32(c->q[g] + 8 * b), kl);
                        bh[g] = vfmaq_f32(bh[g], vld1q_f32(c->q[g] + 8 * b + 4), kh);
                    }
                }
                for (int g = 0; g < G; g++) st.s[g][p] = score_tail(c, g, kp, vaddvq_f32(vaddq_f32(a[g], bh[g])), 8 * nb);
            }
        }
        for (int g = 0; g < G; g++) bn_attend_softmax(&st, hd, g, pc, 4, bn_max_ps_neon, bn_exp_sub_sum_ps_neon);
        const uint16_t* v0 = c->values + (int64_t)p0 * c->kv_dim;
        for (int32_t b = 0; b < nb; b++) {
            float32x4_t ol[MAX_G], oh[MAX_G];
            for (int g = 0; g < G; g++) {
                ol[g] = vld1q_f32(&st.acc[g][8 * b]);
                oh[g] = vld1q_f32(&st.acc[g][8 * b + 4]);
            }
            for (int32_t p = 0; p < pc; p++) {
                float32x4_t vl, vh;
                bn_load_f16x8_neon(v0 + (int64_t)p * c->kv_dim + 8 * b, &vl, &vh);
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
        bn_attend_values_tail(&st, c, G, v0, pc, 8 * nb);
    }
    bn_attend_finish(&st, c->out, hd, G);
}

BN_DEFINE_ATTEND(attend_g)

void bn_attention_f16__neon(const bn_attention_args* a, int32_t u_begin, int32_t u_end) {
    bn_attention_walk(a, u_begin, u_end, attend);
}
