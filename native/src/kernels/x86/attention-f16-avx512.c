/* Causal grouped-query attention over the fp16 KV cache, AVX-512F.
 *
 * The algorithm of attention-f16-avx2.c (a unit is one token's KV head with up to 8 of its query
 * heads; online softmax over chunks of positions; values accumulated dimension block by dimension
 * block with the group's outputs in registers) on 16-float vectors: a 128-dimension head is 8
 * conversions and 8 FMAs per cached row and query head instead of 16, and the exp runs 16 lanes
 * at a time. With 32 registers, every group size takes two positions (scores) or two dimension
 * blocks (values) per step. Head sizes that are not a multiple of 16 finish with one 8-float block
 * and scalars. */
#include "x86-avx512-decode.h"
#include "../attention-walk.h"

#define MAX_G BN_ATTENTION_MAX_G

typedef bn_heads_ctx heads_ctx;

static inline __m256 load_f16x8(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)p)); }

/* A score from the sum of its 16-dimension blocks plus the head's remaining 8-block and scalars. */
static inline float score_tail(const heads_ctx* c, int g, const uint16_t* kp, float sum, int32_t j8, int has8,
                               int32_t jt) {
    if (has8) sum += bn_hsum_ps_avx2(_mm256_mul_ps(_mm256_loadu_ps(c->q[g] + j8), load_f16x8(kp + j8)));
    for (int32_t j = jt; j < c->hd; j++) sum += c->q[g][j] * bn_fp16_to_fp32(kp[j]);
    return sum * c->scale;
}

static inline __attribute__((always_inline)) void attend_g(const heads_ctx* c, const int G) {
    const int32_t hd = c->hd, nb = hd / 16, j8 = 16 * nb, has8 = hd - j8 >= 8, jt = j8 + (has8 ? 8 : 0);
    bn_attend_state st;
    bn_attend_begin(&st, hd, G);
    for (int32_t p0 = 0; p0 < c->seen; p0 += BN_ATTENTION_CHUNK) {
        const int32_t pc = c->seen - p0 < BN_ATTENTION_CHUNK ? c->seen - p0 : BN_ATTENTION_CHUNK;
        {
            /* scores, two positions per step: 2 G independent FMA chains, each query block loaded once */
            int32_t p = 0;
            for (; p + 2 <= pc; p += 2) {
                const uint16_t* k0 = c->keys + (int64_t)(p0 + p) * c->kv_dim;
                const uint16_t* k1 = k0 + c->kv_dim;
                bn_attend_prefetch(c, p0 + p + BN_ATTENTION_PREFETCH_AHEAD, 2);
                __m512 d0[MAX_G], d1[MAX_G];
                for (int g = 0; g < G; g++) d0[g] = d1[g] = _mm512_setzero_ps();
                for (int32_t b = 0; b < nb; b++) {
                    const __m512 kv0 = bn_load_f16x16(k0 + 16 * b), kv1 = bn_load_f16x16(k1 + 16 * b);
                    for (int g = 0; g < G; g++) {
                        const __m512 qv = _mm512_loadu_ps(c->q[g] + 16 * b);
                        d0[g] = _mm512_fmadd_ps(qv, kv0, d0[g]);
                        d1[g] = _mm512_fmadd_ps(qv, kv1, d1[g]);
                    }
                }
                for (int g = 0; g < G; g++) {
                    st.s[g][p] = score_tail(c, g, k0, bn_hsum_ps_avx512(d0[g]), j8, has8, jt);
                    st.s[g][p + 1] = score_tail(c, g, k1, bn_hsum_ps_avx512(d1[g]), j8, has8, jt);
                }
            }
            for (; p < pc; p++) {
                const uint16_t* kp = c->keys + (int64_t)(p0 + p) * c->kv_dim;
                bn_attend_prefetch(c, p0 + p + BN_ATTENTION_PREFETCH_AHEAD, 1);
                __m512 d[MAX_G];
                for (int g = 0; g < G; g++) d[g] = _mm512_setzero_ps();
                for (int32_t b = 0; b < nb; b++) {
                    const __m512 kv = bn_load_f16x16(kp + 16 * b);
                    for (int g = 0; g < G; g++) d[g] = _mm512_fmadd_ps(_mm512_loadu_ps(c->q[g] + 16 * b), kv, d[g]);
                }
                for (int g = 0; g < G; g++) st.s[g][p] = score_tail(c, g, kp, bn_hsum_ps_avx512(d[g]), j8, has8, jt);
            }
        }
        for (int g = 0; g < G; g++) bn_attend_softmax(&st, hd, g, pc, 16, bn_max_ps_avx512, bn_exp_sub_sum_ps_avx512);
        const uint16_t* v0 = c->values + (int64_t)p0 * c->kv_dim;
        int32_t b = 0;
        for (; b + 2 <= nb; b += 2) { /* two dimension blocks per pass: 2 G independent chains */
            __m512 o0[MAX_G], o1[MAX_G];
            for (int g = 0; g < G; g++) {
                o0[g] = _mm512_load_ps(&st.acc[g][16 * b]);
                o1[g] = _mm512_load_ps(&st.acc[g][16 * b + 16]);
            }
            for (int32_t q = 0; q < pc; q++) {
                const uint16_t* vq = v0 + (int64_t)q * c->kv_dim + 16 * b;
                const __m512 va = bn_load_f16x16(vq), vb = bn_load_f16x16(vq + 16);
                for (int g = 0; g < G; g++) {
                    const __m512 w = _mm512_set1_ps(st.s[g][q]);
                    o0[g] = _mm512_fmadd_ps(w, va, o0[g]);
                    o1[g] = _mm512_fmadd_ps(w, vb, o1[g]);
                }
            }
            for (int g = 0; g < G; g++) {
                _mm512_store_ps(&st.acc[g][16 * b], o0[g]);
                _mm512_store_ps(&st.acc[g][16 * b + 16], o1[g]);
            }
        }
        for (; b < nb; b++) {
            __m512 o[MAX_G];
            for (int g = 0; g < G; g++) o[g] = _mm512_load_ps(&st.acc[g][16 * b]);
            for (int32_t q = 0; q < pc; q++) {
                const __m512 vv = bn_load_f16x16(v0 + (int64_t)q * c->kv_dim + 16 * b);
                for (int g = 0; g < G; g++) o[g] = _mm512_fmadd_ps(_mm512_set1_ps(st.s[g][q]), vv, o[g]);
            }
            for (int g = 0; g < G; g++) _mm512_store_ps(&st.acc[g][16 * b], o[g]);
        }
        if (has8) {
            __m256 o[MAX_G];
            for (int g = 0; g < G; g++) o[g] = _mm256_load_ps(&st.acc[g][j8]);
            for (int32_t p = 0; p < pc; p++) {
                const __m256 vv = load_f16x8(v0 + (int64_t)p * c->kv_dim + j8);
                for (int g = 0; g < G; g++) o[g] = _mm256_fmadd_ps(_mm256_broadcast_ss(&st.s[g][p]), vv, o[g]);
            }
            for (int g = 0; g < G; g++) _mm256_store_ps(&st.acc[g][j8], o[g]);
        }
        bn_attend_values_tail(&st, c, G, v0, pc, jt);
    }
    bn_attend_finish(&st, c->out, hd, G);
}

BN_DEFINE_ATTEND(attend_g)

void bn_attention_f16__avx512(const bn_attention_args* a, int32_t u_begin, int32_t u_end) {
    bn_attention_walk(a, u_begin, u_end, attend);
}
