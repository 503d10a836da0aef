/* The work split of the quantized-KV attention kernels, as attention-walk.h for the fp16 ones: unit u
 * of bn_attention_args is token u / (n_kv_heads * parts), KV head (u / parts) % n_kv_heads and the
 * heads_per_unit query heads of part u % parts of its group, at most BN_ATTENTION_MAX_G at a time.
 * Each kernel supplies `attend`, one pass over the KV head's cached blocks for G query heads. */
#ifndef BN_ATTENTION_KVQ_WALK_H
#define BN_ATTENTION_KVQ_WALK_H

#include "attention-walk.h"

/* One pass: G query heads of one token over the cached blocks [0, seen) of one KV head. */
typedef struct bn_kvq_heads_ctx {
    const float* q[BN_ATTENTION_MAX_G];
    float* out[BN_ATTENTION_MAX_G];
    const uint8_t* keys;   /* this KV head's block at position 0 */
    const uint8_t* values;
    int64_t row_bytes;     /* bytes between consecutive positions */
    int32_t hd;
    int32_t seen;
    float scale;
    bn_kv_type type;
} bn_kvq_heads_ctx;

typedef void (*bn_kvq_attend_fn)(const bn_kvq_heads_ctx* c, int G);

/* Prefetches the key and value blocks of positions [p, p + count) that are cached (their bytes are few: one line per
 * block for 2B-4T at 3 bits), so the next chunk's decode does not wait on memory. always_inline: a static prefetch
 * helper GCC can prove "const" gets deleted with every call (check_prefetch.cmake). */
static inline __attribute__((always_inline)) void bn_kvq_prefetch_blocks(const bn_kvq_heads_ctx* c, int32_t p,
                                                                          int32_t count, int32_t bytes) {
    for (int32_t i = 0; i < count && p + i < c->seen; i++) {
        const char* k = (const char*)(c->keys + (int64_t)(p + i) * c->row_bytes);
        const char* v = (const char*)(c->values + (int64_t)(p + i) * c->row_bytes);
        for (int32_t off = 0; off < bytes; off += 64) {
            __builtin_prefetch(k + off, 0, 3);
            __builtin_prefetch(v + off, 0, 3);
        }
    }
}

/* `static void attend(const bn_kvq_heads_ctx* c, int G)` over a kernel's always-inline attend_g(c, G, type):
 * G and the cache type become compile-time constants, so the register arrays unroll and the decoder
 * of each type is inlined on its own. */
#define BN_DEFINE_KVQ_ATTEND(attend_g)                                                                                 \
    static void attend_type(const bn_kvq_heads_ctx* c, int G, const bn_kv_type type) {                               \
        switch (G) {                                                                                                   \
        case 1: attend_g(c, 1, type); break;                                                                           \
        case 2: attend_g(c, 2, type); break;                                                                           \
        case 3: attend_g(c, 3, type); break;                                                                           \
        case 4: attend_g(c, 4, type); break;                                                                           \
        case 5: attend_g(c, 5, type); break;                                                                           \
        case 6: attend_g(c, 6, type); break;                                                                           \
        case 7: attend_g(c, 7, type); break;                                                                           \
        default: attend_g(c, 8, type); break;                                                                          \
        }                                                                                                              \
    }                                                                                                                  \
    static void attend(const bn_kvq_heads_ctx* c, int G) {                                                             \
        switch (c->type) {                                                                                             \
        case BN_KV_Q8: attend_type(c, G, BN_KV_Q8); break;                                                             \
        case BN_KV_Q4: attend_type(c, G, BN_KV_Q4); break;                                                             \
        default: attend_type(c, G, BN_KV_Q3); break;                                                                   \
        }                                                                                                              \
    }

static inline void bn_attention_kvq_walk(const bn_attention_args* a, int32_t u_begin, int32_t u_end,
                                         bn_kvq_attend_fn attend) {
    for (int32_t u = u_begin; u < u_end; u++) {
        const bn_attention_unit w = bn_attention_unit_at(a, u);
        bn_kvq_heads_ctx c = {.keys = a->kq_cache + (int64_t)w.kvh * a->block_bytes,
                              .values = a->vq_cache + (int64_t)w.kvh * a->block_bytes,
                              .row_bytes = (int64_t)a->n_kv_heads * a->block_bytes, .hd = a->head_dim,
                              .seen = a->position + w.t + 1, .scale = a->scale, .type = a->kv_type};
        for (int32_t g0 = 0; g0 < a->heads_per_unit; g0 += BN_ATTENTION_MAX_G)
            attend(&c, bn_attention_heads(a, w, g0, c.q, c.out));
    }
}

#endif /* BN_ATTENTION_KVQ_WALK_H */
