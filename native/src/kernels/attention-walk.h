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

static inline void bn_attention_walk(const bn_attention_args* a, int32_t u_begin, int32_t u_end, bn_attend_fn attend) {
    const int32_t hd = a->head_dim, kv_dim = a->n_kv_heads * hd, q_dim = a->n_heads * hd;
    const int32_t group = a->n_heads / a->n_kv_heads, parts = group / a->heads_per_unit;
    for (int32_t u = u_begin; u < u_end; u++) {
        const int32_t t = u / (a->n_kv_heads * parts), kvh = (u / parts) % a->n_kv_heads, part = u % parts;
        bn_heads_ctx c = {.keys = a->k_cache + (int64_t)kvh * hd, .values = a->v_cache + (int64_t)kvh * hd,
                          .kv_dim = kv_dim, .hd = hd, .seen = a->position + t + 1, .scale = a->scale};
        const int32_t h_first = kvh * group + part * a->heads_per_unit;
        for (int32_t g0 = 0; g0 < a->heads_per_unit; g0 += BN_ATTENTION_MAX_G) {
            const int G = a->heads_per_unit - g0 < BN_ATTENTION_MAX_G ? a->heads_per_unit - g0 : BN_ATTENTION_MAX_G;
            for (int g = 0; g < G; g++) {
                c.q[g] = a->q + (int64_t)t * q_dim + (int64_t)(h_first + g0 + g) * hd;
                c.out[g] = a->out + (int64_t)t * q_dim + (int64_t)(h_first + g0 + g) * hd;
            }
            attend(&c, G);
        }
    }
}

#endif /* BN_ATTENTION_WALK_H */
