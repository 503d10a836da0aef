/* Causal grouped-query attention over a quantized KV cache (q8 / q4 / q3 blocks), AVX2.
 *
 * The algorithm of attention-f16-avx2.c (a unit is one token's KV head with up to 8 of its query
 * heads, online softmax over chunks of positions, values accumulated dimension block by dimension
 * block with the group's outputs in registers), with one step in front of each chunk: its keys and
 * values are decoded from the packed blocks into two small float tables (d * c, at most 32 KB each,
 * in L1), so each code is unpacked once for the whole group of query heads. The cache streams at
 * 3 to 8 bits per value instead of 16.
 *
 * Numerics differ from the reference by rounding only: the reference computes with the same values
 * d * c, but sums in order with libm's exp (tolerance in bitnative.h). */
#include "x86-decode.h"
#include "x86-kv.h"
#include "../attention-kvq-walk.h"

#define TABLE_FLOATS 8192
#define MAX_G BN_ATTENTION_MAX_G

typedef bn_kvq_heads_ctx heads_ctx;

static inline __attribute__((always_inline)) void attend_g(const heads_ctx* c, const int G, const bn_kv_type type) {
    const int32_t hd = c->hd, nb = hd / 8;
    const int32_t chunk = TABLE_FLOATS / hd < BN_ATTENTION_CHUNK ? TABLE_FLOATS / hd : BN_ATTENTION_CHUNK;
    const int32_t block_bytes = bn_kv_block_size(type, hd);
    _Alignas(32) float kf[TABLE_FLOATS], vf[TABLE_FLOATS];
    bn_attend_state st;
    bn_attend_begin(&st, hd, G);
    for (int32_t p0 = 0; p0 < c->seen; p0 += chunk) {
        const int32_t pc = c->seen - p0 < chunk ? c->seen - p0 : chunk;
        bn_kvq_prefetch_blocks(c, p0 + chunk, chunk, block_bytes);
        for (int32_t p = 0; p < pc; p++) {
            bn_kv_decode_row_avx2(c->keys + (int64_t)(p0 + p) * c->row_bytes, type, hd, kf + p * hd);
            bn_kv_decode_row_avx2(c->values + (int64_t)(p0 + p) * c->row_bytes, type, hd, vf + p * hd);
        }
        /* scores: two positions per step with at most four heads (eight independent FMA chains) */
        {
            int32_t p = 0;
            if (G <= 4)
                for (; p + 2 <= pc; p += 2) {
                    const float* k0 = kf + p * hd;
                    const float* k1 = k0 + hd;
                    __m256 d0[MAX_G], d1[MAX_G];
                    for (int g = 0; g < G; g++) d0[g] = d1[g] = _mm256_setzero_ps();
                    for (int32_t b = 0; b < nb; b++) {
                        const __m256 kv0 = _mm256_loadu_ps(k0 + 8 * b), kv1 = _mm256_loadu_ps(k1 + 8 * b);
                        for (int g = 0; g < G; g++) {
                            const __m256 qv = _mm256_loadu_ps(c->q[g] + 8 * b);
                            d0[g] = _mm256_fmadd_ps(qv, kv0, d0[g]);
                            d1[g] = _mm256_fmadd_ps(qv, kv1, d1[g]);
                        }
                    }
                    for (int g = 0; g < G; g++) {
                        st.s[g][p] = bn_hsum_ps_avx2(d0[g]) * c->scale;
                        st.s[g][p + 1] = bn_hsum_ps_avx2(d1[g]) * c->scale;
                    }
                }
            for (; p < pc; p++) {
                const float* kp = kf + p * hd;
                __m256 d[MAX_G];
                for (int g = 0; g < G; g++) d[g] = _mm256_setzero_ps();
                for (int32_t b = 0; b < nb; b++) {
                    const __m256 kv = _mm256_loadu_ps(kp + 8 * b);
                    for (int g = 0; g < G; g++) d[g] = _mm256_fmadd_ps(_mm256_loadu_ps(c->q[g] + 8 * b), kv, d[g]);
                }
                for (int g = 0; g < G; g++) st.s[g][p] = bn_hsum_ps_avx2(d[g]) * c->scale;
            }
        }
        for (int g = 0; g < G; g++) bn_attend_softmax(&st, hd, g, pc, 8, bn_max_ps_avx2, bn_exp_sub_sum_ps_avx2);
        /* weighted values: with at most four heads, two dimension blocks per pass (eight chains) */
        int32_t b = 0;
        if (G <= 4)
            for (; b + 2 <= nb; b += 2) {
                __m256 o0[MAX_G], o1[MAX_G];
                for (int g = 0; g < G; g++) {
                    o0[g] = _mm256_load_ps(&st.acc[g][8 * b]);
                    o1[g] = _mm256_load_ps(&st.acc[g][8 * b + 8]);
                }
                for (int32_t q = 0; q < pc; q++) {
                    const float* vq = vf + q * hd + 8 * b;
                    const __m256 va = _mm256_loadu_ps(vq), vb = _mm256_loadu_ps(vq + 8);
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
                const __m256 vv = _mm256_loadu_ps(vf + q * hd + 8 * b);
                for (int g = 0; g < G; g++) o[g] = _mm256_fmadd_ps(_mm256_broadcast_ss(&st.s[g][q]), vv, o[g]);
            }
            for (int g = 0; g < G; g++) _mm256_store_ps(&st.acc[g][8 * b], o[g]);
        }
    }
    bn_attend_finish(&st, c->out, hd, G);
}

BN_DEFINE_KVQ_ATTEND(attend_g)

void bn_attention_kvq__avx2(const bn_attention_args* a, int32_t u_begin, int32_t u_end) {
    bn_attention_kvq_walk(a, u_begin, u_end, attend);
}
