/* The work split every SIMD attention kernel shares: work unit u of bn_attention_args is token
 * u / (n_kv_heads * parts), KV head (u / parts) % n_kv_heads, and the heads_per_unit query heads of
 * part u % parts of that KV head's group, taken at most BN_ATTENTION_MAX_G at a time so one pass
 * over the KV head's cached rows serves them all. Each kernel supplies only `attend`, the pass. */
#ifndef BN_ATTENTION_WALK_H
#define BN_ATTENTION_WALK_H

#include "../core/bn_internal.h"

/* Query heads one pass over a KV head's cache serves at most. */
#define BN_ATTENTION_MAX_G 8

/* One pass: G query heads of one token over the cached rows [0, seen) of one KV head. */
typedef struct bn_heads_ctx {
    const float* q[BN_ATTENTION_MAX_G];
    float* out[BN_ATTENTION_MAX_G];
    const uint16_t* keys;   /* row 0 of this KV head */
    const uint16_t* values;
    int32_t kv_dim;         /* fp16 values between consecutive rows */
    int32_t hd;
    int32_t seen;
    float scale;
} bn_heads_ctx;

/* Computes c->out[g] for g < G (1 <= G <= BN_ATTENTION_MAX_G). */
typedef void (*bn_attend_fn)(const bn_heads_ctx* c, int G);

/* Defines `static void attend(const bn_heads_ctx* c, int G)` for a kernel's always-inline
 * attend_g(c, G): each G becomes a compile-time constant, so the per-head register arrays unroll. */
#define BN_DEFINE_ATTEND(attend_g)                                                                                     \
    static void attend(const bn_heads_ctx* c, int G) {                                                                 \
        switch (G) {                                                                                                   \
        case 1: attend_g(c, 1); break;                                                                                 \
        case 2: attend_g(c, 2); break;                                                                                 \
        case 3: attend_g(c, 3); break;                                                                                 \
        case 4: attend_g(c, 4); break;                                                                                 \
        case 5: attend_g(c, 5); break;                                                                                 \
        case 6: attend_g(c, 6); break;                                                                                 \
        case 7: attend_g(c, 7); break;                                                                                 \
        default: attend_g(c, 8); break;                                                                                \
        }                                                                                                              \
    }

/* Work unit u: its token, KV head, and first query head. */
typedef struct bn_attention_unit {
    int32_t t, kvh, h_first;
} bn_attention_unit;

static inline bn_attention_unit bn_attention_unit_at(const bn_attention_args* a, int32_t u) {
    const int32_t group = a->n_heads / a->n_kv_heads, parts = group / a->heads_per_unit;
    const int32_t kvh = (u / parts) % a->n_kv_heads, part = u % parts;
    return (bn_attention_unit){.t = u / (a->n_kv_heads * parts), .kvh = kvh,
                               .h_first = kvh * group + part * a->heads_per_unit};
}

/* The unit's query heads [g0, g0 + G) (G at most BN_ATTENTION_MAX_G): their query and output rows into q / out;
 * returns G. */
static inline int bn_attention_heads(const bn_attention_args* a, bn_attention_unit w, int32_t g0, const float** q,
                                     float** out) {
    const int32_t hd = a->head_dim, q_dim = a->n_heads * hd;
    const int G = a->heads_per_unit - g0 < BN_ATTENTION_MAX_G ? a->heads_per_unit - g0 : BN_ATTENTION_MAX_G;
    for (int g = 0; g < G; g++) {
        q[g] = a->q + (int64_t)w.t * q_dim + (int64_t)(w.h_first + g0 + g) * hd;
        out[g] = a->out + (int64_t)w.t * q_dim + (int64_t)(w.h_first + g0 + g) * hd;
    }
    return G;
}

static inline void bn_attention_walk(const bn_attention_args* a, int32_t u_begin, int32_t u_end, bn_attend_fn attend) {
    const int32_t hd = a->head_dim;
    for (int32_t u = u_begin; u < u_end; u++) {
        const bn_attention_unit w = bn_attention_unit_at(a, u);
        bn_heads_ctx c = {.keys = a->k_cache + (int64_t)w.kvh * hd, .values = a->v_cache + (int64_t)w.kvh * hd,
                          .kv_dim = a->n_kv_heads * hd, .hd = hd, .seen = a->position + w.t + 1, .scale = a->scale};
        for (int32_t g0 = 0; g0 < a->heads_per_unit; g0 += BN_ATTENTION_MAX_G)
            attend(&c, bn_attention_heads(a, w, g0, c.q, c.out));
    }
}

/* ---- The pieces of a pass every ISA shares, fp16 and quantized cache alike: the online (flash-attention style)
 * softmax over chunks of at most BN_ATTENTION_CHUNK positions. Per chunk a kernel computes the scores into
 * s[g][0..pc) with its vectors, calls bn_attend_softmax for each head (its vector max and exp over the chunk as
 * chunk_max / chunk_exp: bn_max_ps_<isa> / bn_exp_sub_sum_ps_<isa>), accumulates the weighted values into acc, and
 * bn_attend_finish divides by the running sums at the end. ---- */

#define BN_ATTENTION_CHUNK 32
/* Cache rows prefetched ahead of the scores (keys and values). */
#define BN_ATTENTION_PREFETCH_AHEAD 8

typedef struct bn_attend_state {
    _Alignas(64) float acc[BN_ATTENTION_MAX_G][BN_ATTENTION_MAX_HEAD_DIM]; /* outputs so far, times l_run */
    _Alignas(64) float s[BN_ATTENTION_MAX_G][BN_ATTENTION_CHUNK];         /* the chunk's scores, then weights */
    float m_run[BN_ATTENTION_MAX_G];                                     /* the running maximum score */
    float l_run[BN_ATTENTION_MAX_G];                                     /* the running sum of weights */
} bn_attend_state;

/* Largest of s[0..padded); and the weights exp(s - m) written over s[0..padded), returning their sum. */
typedef float (*bn_chunk_max_fn)(const float* s, int32_t padded);
typedef float (*bn_chunk_exp_fn)(float* s, int32_t padded, float m);

static inline __attribute__((always_inline)) void bn_attend_begin(bn_attend_state* st, int32_t hd, int G) {
    for (int g = 0; g < G; g++) {
        for (int32_t j = 0; j < hd; j++) st->acc[g][j] = 0.0f;
        st->m_run[g] = -INFINITY;
        st->l_run[g] = 0.0f;
    }
}

/* The cache rows of positions [p, p + count) (before seen), keys and values, for this KV head: its head_dim fp16
 * values span 1-4 lines within rows kv_dim apart, a stride the hardware prefetchers do not follow well. */
static inline __attribute__((always_inline)) void bn_attend_prefetch(const bn_heads_ctx* c, int32_t p, int32_t count) {
    for (int32_t i = 0; i < count && p + i < c->seen; i++) {
        const char* k = (const char*)(c->keys + (int64_t)(p + i) * c->kv_dim);
        const char* v = (const char*)(c->values + (int64_t)(p + i) * c->kv_dim);
        for (int32_t off = 0; off < 2 * c->hd; off += 64) {
            __builtin_prefetch(k + off);
            __builtin_prefetch(v + off);
        }
    }
}

/* Head g's scores s[g][0..pc) become weights exp(s - M) with M the new running maximum (the chunk padded to whole
 * vectors of width floats with -inf, weight 0); the running sum and the outputs so far are rescaled by
 * exp(M_old - M), which is 0 on the first chunk (M_old = -inf). */
static inline __attribute__((always_inline)) void bn_attend_softmax(bn_attend_state* st, int32_t hd, int g,
                                                                    int32_t pc, int32_t width,
                                                                    bn_chunk_max_fn chunk_max,
                                                                    bn_chunk_exp_fn chunk_exp) {
    const int32_t padded = (pc + width - 1) / width * width;
    for (int32_t p = pc; p < padded; p++) st->s[g][p] = -INFINITY;
    const float cmax = chunk_max(st->s[g], padded);
    const float m_new = cmax > st->m_run[g] ? cmax : st->m_run[g];
    const float lsum = chunk_exp(st->s[g], padded, m_new);
    const float corr = bn_expf__ref(st->m_run[g] - m_new);
    st->l_run[g] = st->l_run[g] * corr + lsum;
    st->m_run[g] = m_new;
    if (corr != 1.0f)
        for (int32_t j = 0; j < hd; j++) st->acc[g][j] *= corr;
}

/* The weighted values of dimensions [j0, hd), scalar: the part of a head past the kernel's vector blocks. */
static inline __attribute__((always_inline)) void bn_attend_values_tail(bn_attend_state* st, const bn_heads_ctx* c,
                                                                        int G, const uint16_t* v0, int32_t pc,
                                                                        int32_t j0) {
    for (int32_t j = j0; j < c->hd; j++)
        for (int32_t p = 0; p < pc; p++) {
            const float vj = bn_fp16_to_fp32(v0[(int64_t)p * c->kv_dim + j]);
            for (int g = 0; g < G; g++) st->acc[g][j] += st->s[g][p] * vj;
        }
}

static inline __attribute__((always_inline)) void bn_attend_finish(const bn_attend_state* st, float* const* out,
                                                                   int32_t hd, int G) {
    for (int g = 0; g < G; g++) {
        const float inv = 1.0f / st->l_run[g];
        for (int32_t j = 0; j < hd; j++) out[g][j] = st->acc[g][j] * inv;
    }
}

#endif /* BN_ATTENTION_WALK_H */
