/* Causal grouped-query attention over a quantized KV cache (q8 / q4 / q3 blocks), AVX-512F.
 *
 * attention-kvq-avx2.c's algorithm on 16-float vectors, as attention-f16-avx512.c is attention-f16-avx2.c's:
 * each chunk's keys and values are decoded once into float tables (AVX2 decoder), then scores and
 * weighted values run 16 dimensions per FMA with two positions (scores) or two dimension blocks
 * (values) per step. head_dim is a multiple of 32, so no head has a partial 16-block. */
#include "x86-avx512-decode.h"
#include "x86-kv.h"
#include "../attention-kvq-walk.h"

#define TABLE_FLOATS 8192
#define MAX_G BN_ATTENTION_MAX_G

typedef bn_kvq_heads_ctx heads_ctx;

static inline __attribute__((always_inline)) void attend_g(const heads_ctx* c, const int G, const bn_kv_type type) {
    const int32_t hd = c->hd, nb = hd / 16;
    const int32_t chunk = TABLE_FLOATS / hd < BN_ATTENTION_CHUNK ? TABLE_FLOATS / hd : BN_ATTENTION_CHUNK;
    const int32_t block_bytes = bn_kv_block_size(type, hd);
    _Alignas(64) float kf[TABLE_FLOATS], vf[TABLE_FLOATS];
    bn_attend_state st;
    bn_attend_begin(&st, hd, G);
    for (int32_t p0 = 0; p0 < c->seen; p0 += chunk) {
        const int32_t pc = c->seen - p0 < chunk ? c->seen - p0 : chunk;
        bn_kvq_prefetch_blocks(c, p0 + chunk, chunk, block_bytes);
        for (int32_t p = 0; p < pc; p++) {
            bn_kv_decode_row_avx2(c->keys + (int64_t)(p0 + p) * c->row_bytes, type, hd, kf + p * hd);
            bn_kv_decode_row_avx2(c->values + (int64_t)(p0 + p) * c->row_bytes, type, hd, vf + p * hd);
        }
        {
            int32_t p = 0;
            for (; p + 2 <= pc; p += 2) {
                const float* k0 = kf + p * hd;
                const float* k1 = k0 + hd;
                __m512 d0[MAX_G], d1[MAX_G];
                for (int g = 0; g < G; g++) d0[g] = d1[g] = _mm512_setzero_ps();
                for (int32_t b = 0; b < nb; b++) {
                    const __m512 kv0 = _mm512_loadu_ps(k0 + 16 * b), kv1 = _mm512_loadu_ps(k1 + 16 * b);
                    for (int g = 0; g < G; g++) {
                        const __m512 qv = _mm512_loadu_ps(c->q[g] + 16 * b);
                        d0[g] = _mm512_fmadd_ps(qv, kv0, d0[g]);
                        d1[g] = _mm512_fmadd_ps(qv, kv1, d1[g]);
                    }
                }
                for (int g = 0; g < G; g++) {
                    st.s[g][p] = bn_hsum_ps_avx512(d0[g]) * c->scale;
                    st.s[g][p + 1] = bn_hsum_ps_avx512(d1[g]) * c->scale;
                }
            }
            for (; p < pc; p++) {
                const float* kp = kf + p * hd;
                __m512 d[MAX_G];
                for (int g = 0; g < G; g++) d[g] = _mm512_setzero_ps();
                for (int32_t b = 0; b < nb; b++) {
                    const __m512 kv = _mm512_loadu_ps(kp + 16 * b);
                    for (int g = 0; g < G; g++) d[g] = _mm512_fmadd_ps(_mm512_loadu_ps(c->q[g] + 16 * b), kv, d[g]);
                }
                for (int g = 0; g < G; g++) st.s[g][p] = bn_hsum_ps_avx512(d[g]) * c->scale;
            }
        }
        for (int g = 0; g < G; g++) bn_attend_softmax(&st, hd, g, pc, 16, bn_max_ps_avx512, bn_exp_sub_sum_ps_avx512);
        for (int32_t b = 0; b < nb; b += 2) { /* nb is even: head_dim is a multiple of 32 */
            __m512 o0[MAX_G], o1[MAX_G];
            for (int g = 0; g < G; g++) {
                o0[g] = _mm512_load_ps(&st.acc[g][16 * b]);
                o1[g] = _mm512_load_ps(&st.acc[g][16 * b + 16]);
            }
            for (int32_t q = 0; q < pc; q++) {
                const float* vq = vf + q * hd + 16 * b;
                const __m512 va = _mm512_loadu_ps(vq), vb = _mm512_loadu_ps(vq + 16);
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
    }
    bn_attend_finish(&st, c->out, hd, G);
}

BN_DEFINE_KVQ_ATTEND(attend_g)

void bn_attention_kvq__avx512(const bn_attention_args* a, int32_t u_begin, int32_t u_end) {
    bn_attention_kvq_walk(a, u_begin, u_end, attend);
}
