/* Causal grouped-query attention over the fp16 KV cache, AVX2.
 *
 * One work unit is a token's KV head with G <= 8 of the query heads that share it, so every cached
 * key and value is converted (F16C) once for all of them. The softmax runs online (flash-attention
 * style) over chunks of BN_ATTENTION_CHUNK positions: scores of the chunk, new running max M, old sums and
 * outputs rescaled by exp(M_old - M), weights exp(s - M) with the library's exp on eight lanes,
 * then the weighted values are accumulated. No scratch beyond the stack, one pass over the cache.
 *
 * Loop order for the values: dimension block outside, position inside, so the G output vectors of
 * a block stay in registers while the chunk's value rows (BN_ATTENTION_CHUNK x head_dim fp16, 8 KB for 2B-4T)
 * stay in L1. FMA latency, not throughput, bounds both loops when each head has one accumulator
 * chain, so groups of up to four heads (2B-4T: 4) take two positions (scores) or two dimension
 * blocks (values) per step: eight independent chains.
 *
 * Numerics differ from the three-pass reference only by rounding: FMA dot products in lanes, the
 * online rescaling and the polynomial exp (tolerance in bitnative.h). */
#include "x86-decode.h"
#include "../attention-walk.h"

#define MAX_G BN_ATTENTION_MAX_G

typedef bn_heads_ctx heads_ctx;

static inline __m256 load_f16x8(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)p)); }

/* {sum(a), sum(b), ...} in the first two lanes. */
static inline __m128 hsum2_ps(__m256 a, __m256 b) {
    const __m256 t = _mm256_hadd_ps(a, b); /* a01 a23 b01 b23 | a45 a67 b45 b67 */
    const __m128 u = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    return _mm_hadd_ps(u, u);
}

/* G is a compile-time constant at every call (see attend), so the accumulator arrays live in registers. */
static inline __attribute__((always_inline)) void attend_g(const heads_ctx* c, const int G) {
    const int32_t hd = c->hd, nb = hd / 8;
    bn_attend_state st;
    bn_attend_begin(&st, hd, G);
    for (int32_t p0 = 0; p0 < c->seen; p0 += BN_ATTENTION_CHUNK) {
        const int32_t pc = c->seen - p0 < BN_ATTENTION_CHUNK ? c->seen - p0 : BN_ATTENTION_CHUNK;
        /* scores: with at most four heads, two positions per step (eight independent FMA chains, each
         * query block loaded once for both) */
        {
            int32_t p = 0;
            if (G <= 4)
                for (; p + 2 <= pc; p += 2) {
                    const uint16_t* k0 = c->keys + (int64_t)(p0 + p) * c->kv_dim;
                    const uint16_t* k1 = k0 + c->kv_dim;
                    bn_attend_prefetch(c, p0 + p + BN_ATTENTION_PREFETCH_AHEAD, 2);
                    __m256 d0[MAX_G], d1[MAX_G];
                    for (int g = 0; g < G; g++) d0[g] = d1[g] = _mm256_setzero_ps();
                    for (int32_t b = 0; b < nb; b++) {
                        const __m256 kv0 = load_f16x8(k0 + 8 * b), kv1 = load_f16x8(k1 + 8 * b);
                        for (int g = 0; g < G; g++) {
                            const __m256 qv = _mm256_loadu_ps(c->q[g] + 8 * b);
                            d0[g] = _mm256_fmadd_ps(qv, kv0, d0[g]);
                            d1[g] = _mm256_fmadd_ps(qv, kv1, d1[g]);
                        }
                    }
                    for (int g = 0; g < G; g++) {
                        const __m128 sums = hsum2_ps(d0[g], d1[g]);
                        float s0 = _mm_cvtss_f32(sums), s1 = _mm_cvtss_f32(_mm_shuffle_ps(sums, sums, 1));
                        for (int32_t j = 8 * nb; j < hd; j++) {
                            s0 += c->q[g][j] * bn_fp16_to_fp32(k0[j]);
                            s1 += c->q[g][j] * bn_fp16_to_fp32(k1[j]);
                        }
                        st.s[g][p] = s0 * c->scale;
                        st.s[g][p + 1] = s1 * c->scale;
                    }
                }
            for (; p < pc; p++) {
                const uint16_t* kp = c->keys + (int64_t)(p0 + p) * c->kv_dim;
                bn_attend_prefetch(c, p0 + p + BN_ATTENTION_PREFETCH_AHEAD, 1);
                __m256 d[MAX_G];
                for (int g = 0; g < G; g++) d[g] = _mm256_setzero_ps();
                for (int32_t b = 0; b < nb; b++) {
                    const __m256 kv = load_f16x8(kp + 8 * b);
                    for (int g = 0; g < G; g++) d[g] = _mm256_fmadd_ps(_mm256_loadu_ps(c->q[g] + 8 * b), kv, d[g]);
                }
                for (int g = 0; g < G; g++) {
                    float sum = bn_hsum_ps_avx2(d[g]);
                    for (int32_t j = 8 * nb; j < hd; j++) sum += c->q[g][j] * bn_fp16_to_fp32(kp[j]);
                    st.s[g][p] = sum * c->scale;
                }
            }
        }
        for (int g = 0; g < G; g++) bn_attend_softmax(&st, hd, g, pc, 8, bn_max_ps_avx2, bn_exp_sub_sum_ps_avx2);
        /* weighted values: with at most four heads, two dimension blocks per pass (eight chains) */
        const uint16_t* v0 = c->values + (int64_t)p0 * c->kv_dim;
        int32_t b = 0;
        if (G <= 4)
            for (; b + 2 <= nb; b += 2) {
                __m256 o0[MAX_G], o1[MAX_G];
                for (int g = 0; g < G; g++) {
                    o0[g] = _mm256_load_ps(&st.acc[g][8 * b]);
                    o1[g] = _mm256_load_ps(&st.acc[g][8 * b + 8]);
                }
                for (int32_t q = 0; q < pc; q++) {
                    const uint16_t* vq = v0 + (int64_t)q * c->kv_dim + 8 * b;
                    const __m256 va = load_f16x8(vq), vb = load_f16x8(vq + 8);
                    for (int g = 0; g < G; g++) {
                        const __m256 w = _mm256_broadcast_ss(&st.s[g][q]);
                        o0[g] = _mm256_fmadd_ps(w, va, o0[g]);
                        o1[g] = _mm256_fmadd_ps(w, vb, o1[g]);
                    }
                }
                for (int g = 0; g < G; g++) {
                    _mm256_store_ps(&st.acc[g][8 * b], o0[g]);
                    _mm256_store_ps(&st.acc[g][8 * b + 8], o1[g]);
                }
            }
        for (; b < nb; b++) {
            __m256 o[MAX_G];
            for (int g = 0; g < G; g++) o[g] = _mm256_load_ps(&st.acc[g][8 * b]);
            for (int32_t q = 0; q < pc; q++) {
                const __m256 vv = load_f16x8(v0 + (int64_t)q * c->kv_dim + 8 * b);
                for (int g = 0; g < G; g++) o[g] = _mm256_fmadd_ps(_mm256_broadcast_ss(&st.s[g][q]), vv, o[g]);
            }
            for (int g = 0; g < G; g++) _mm256_store_ps(&st.acc[g][8 * b], o[g]);
        }
        bn_attend_values_tail(&st, c, G, v0, pc, 8 * nb);
    }
    bn_attend_finish(&st, c->out, hd, G);
}

BN_DEFINE_ATTEND(attend_g)

void bn_attention_f16__avx2(const bn_attention_args* a, int32_t u_begin, int32_t u_end) {
    bn_attention_walk(a, u_begin, u_end, attend);
}
