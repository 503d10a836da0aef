/* Causal grouped-query attention over the fp16 KV cache, NEON.
 *
 * The algorithm of attention-f16-avx2.c: a unit is one token's KV head with up to 8 of its query
 * heads, so each cached key and value is widened (FCVTL) once for all of them; the softmax runs
 * online over chunks of CHUNK positions with the library's exp on four lanes; values are
 * accumulated 8 dimensions at a time with the group's outputs in registers (16 of the 32 vector
 * registers for 8 heads). Rounding differs from the reference by the lane-wise FMA sums, the
 * online rescaling and the polynomial exp (tolerance in bitnative.h). */
#include "arm-decode.h"
#include "../attention-walk.h"

#define CHUNK 32
#define MAX_G BN_ATTENTION_MAX_G

typedef bn_heads_ctx heads_ctx;

/* A score from the sum of the head's 8-dimension blocks plus its remaining dimensions. */
static inline float score_tail(const heads_ctx* c, int g, const uint16_t* kp, float sum, int32_t j0) {
    for (int32_t j = j0; j < c->hd; j++) sum += c->q[g][j] * bn_fp16_to_fp32(kp[j]);
    return sum * c->scale;
}

/* The cache rows a few positions ahead, keys and values, for this KV head (its fp16 values span a
 * few lines within rows kv_dim apart, a stride hardware prefetchers follow poorly). */
#define PREFETCH_AHEAD 8
static inline __attribute__((always_inline)) void prefetch_rows(const heads_ctx* c, int32_t p, int32_t count) {
    for (int32_t i = 0; i < count && p + i < c->seen; i++) {
        const char* k = (const char*)(c->keys + (int64_t)(p + i) * c->kv_dim);
        const char* v = (const char*)(c->values + (int64_t)(p + i) * c->kv_dim);
        for (int32_t off = 0; off < 2 * c->hd; off += 64) {
            __builtin_prefetch(k + off);
            __builtin_prefetch(v + off);
        }
    }
}

BN_ALWAYS_INLINE void attend_g(const heads_ctx* c, const int G) {
    const int32_t hd = c->hd, nb = hd / 8;
    _Alignas(16) float acc[MAX_G][BN_ATTENTION_MAX_HEAD_DIM];
    _Alignas(16) float s[MAX_G][CHUNK];
    float m_run[MAX_G], l_run[MAX_G];
    for (int g = 0; g < G; g++) {
        for (int32_t j = 0; j < hd; j++) acc[g][j] = 0.0f;
        m_run[g] = -INFINITY;
        l_run[g] = 0.0f;
    }
    for (int32_t p0 = 0; p0 < c->seen; p0 += CHUNK) {
        const int32_t pc = c->seen - p0 < CHUNK ? c->seen - p0 : CHUNK;
        {
            /* scores: two positions per step for groups of up to four heads, two accumulators per
             * head and position (low and high half of each 8-dimension block), so 16 independent
             * FMA chains, each query block loaded once for both positions */
            int32_t p = 0;
            if (G <= 4)
                for (; p + 2 <= pc; p += 2) {
                    const uint16_t* k0 = c->keys + (int64_t)(p0 + p) * c->kv_dim;
                    const uint16_t* k1 = k0 + c->kv_dim;
                    prefetch_rows(c, p0 + p + PREFETCH_AHEAD, 2);
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
                        s[g][p] = score_tail(c, g, k0, vaddvq_f32(vaddq_f32(a0[g], b0[g])), 8 * nb);
                        s[g][p + 1] = score_tail(c, g, k1, vaddvq_f32(vaddq_f32(a1[g], b1[g])), 8 * nb);
                    }
                }
            for (; p < pc; p++) {
                const uint16_t* kp = c->keys + (int64_t)(p0 + p) * c->kv_dim;
                prefetch_rows(c, p0 + p + PREFETCH_AHEAD, 1);
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
                for (int g = 0; g < G; g++) s[g][p] = score_tail(c, g, kp, vaddvq_f32(vaddq_f32(a[g], bh[g])), 8 * nb);
            }
        }
        const int32_t padded = (pc + 3) & ~3;
        for (int g = 0; g < G; g++) {
            for (int32_t p = pc; p < padded; p++) s[g][p] = -INFINITY;
            float32x4_t vmax = vdupq_n_f32(-INFINITY);
            for (int32_t p = 0; p < padded; p += 4) vmax = vmaxq_f32(vmax, vld1q_f32(&s[g][p]));
            const float cmax = vmaxvq_f32(vmax);
            const float m_new = cmax > m_run[g] ? cmax : m_run[g];
            const float32x4_t vm = vdupq_n_f32(m_new);
            float32x4_t lsum = vdupq_n_f32(0.0f);
            for (int32_t p = 0; p < padded; p += 4) {
                const float32x4_t w = bn_exp_neon(vsubq_f32(vld1q_f32(&s[g][p]), vm));
                vst1q_f32(&s[g][p], w);
                lsum = vaddq_f32(lsum, w);
            }
            const float corr = bn_expf__ref(m_run[g] - m_new); /* 0 on the first chunk (M = -inf) */
            l_run[g] = l_run[g] * corr + vaddvq_f32(lsum);
            m_run[g] = m_new;
            if (corr != 1.0f)
                for (int32_t j = 0; j < hd; j++) acc[g][j] *= corr;
        }
        const uint16_t* v0 = c->values + (int64_t)p0 * c->kv_dim;
        for (int32_t b = 0; b < nb; b++) {
            float32x4_t ol[MAX_G], oh[MAX_G];
            for (int g = 0; g < G; g++) {
                ol[g] = vld1q_f32(&acc[g][8 * b]);
                oh[g] = vld1q_f32(&acc[g][8 * b + 4]);
            }
            for (int32_t p = 0; p < pc; p++) {
                float32x4_t vl, vh;
                bn_load_f16x8_neon(v0 + (int64_t)p * c->kv_dim + 8 * b, &vl, &vh);
                for (int g = 0; g < G; g++) {
                    ol[g] = vfmaq_n_f32(ol[g], vl, s[g][p]);
                    oh[g] = vfmaq_n_f32(oh[g], vh, s[g][p]);
                }
            }
            for (int g = 0; g < G; g++) {
                vst1q_f32(&acc[g][8 * b], ol[g]);
                vst1q_f32(&acc[g][8 * b + 4], oh[g]);
            }
        }
        for (int32_t j = 8 * nb; j < hd; j++)
            for (int32_t p = 0; p < pc; p++) {
                const float vj = bn_fp16_to_fp32(v0[(int64_t)p * c->kv_dim + j]);
                for (int g = 0; g < G; g++) acc[g][j] += s[g][p] * vj;
            }
    }
    for (int g = 0; g < G; g++) {
        const float inv = 1.0f / l_run[g];
        for (int32_t j = 0; j < hd; j++) c->out[g][j] = acc[g][j] * inv;
    }
}

BN_DEFINE_ATTEND(attend_g)

void bn_attention_f16__neon(const bn_attention_args* a, int32_t u_begin, int32_t u_end) {
    bn_attention_walk(a, u_begin, u_end, attend);
}
