/* Cases and checks of the a4.8 / v2 kernels (quantized KV cache, attention over it, Hadamard, top-K,
 * the sparse I2ST matmul): each checks one variant against the scalar reference, bit for bit where
 * bitnative.h says so and within its tolerance for attention. Shared by test_a48 (every ISA of this
 * CPU) and test_avx512_emulated (the AVX-512 kernels under SIMDe). */
#ifndef BN_A48_CASES_H
#define BN_A48_CASES_H

#include "testing.h"

static const bn_kv_type kv_types[] = {BN_KV_Q8, BN_KV_Q4, BN_KV_Q3};
static const char* const kv_names[] = {"f16", "q8", "q4", "q3"};

/* ---- KV block quantizer -------------------------------------------------------------------- */

enum { KV_NORMAL, KV_TINY, KV_ZERO, KV_OUTLIER, KV_NONFINITE, KV_KIND_COUNT };

static inline void kv_fill(bn_rng* rng, float* x, int32_t n, int kind) {
    for (int32_t i = 0; i < n; i++) {
        float v = rng_normal(rng);
        switch (kind) {
        case KV_TINY: v *= 1e-7f; break;
        case KV_ZERO: v = 0.0f; break;
        case KV_OUTLIER: v = (i % 37 == 5) ? v * 50.0f : v; break;
        case KV_NONFINITE: v = (i % 29 == 3) ? NAN : (i % 31 == 7) ? INFINITY : v; break;
        default: break;
        }
        x[i] = v;
    }
}

static inline void kv_check_quantizer(const char* variant, bn_kv_quantize_fn fn) {
    static const int32_t hds[] = {32, 64, 128, 512};
    bn_rng rng = {41};
    for (int t = 0; t < 3; t++)
        for (int h = 0; h < 4; h++)
            for (int kind = 0; kind < KV_KIND_COUNT; kind++) {
                const bn_kv_type type = kv_types[t];
                const int32_t hd = hds[h], bb = bn_kv_block_size(type, hd);
                float x[512];
                uint8_t want[600], got[600];
                kv_fill(&rng, x, hd, kind);
                memset(want, 0xA5, sizeof want);
                memset(got, 0x5A, sizeof got);
                bn_quantize_kv__ref(x, hd, type, want);
                fn(x, hd, type, got);
                CHECK(memcmp(want, got, (size_t)bb) == 0, "kv quantize %s %s hd=%d kind %d: bytes differ", variant,
                      kv_names[type], hd, kind);
            }
}

/* ---- attention over a quantized cache ------------------------------------------------------ */

typedef struct kvq_case {
    int32_t n_heads, n_kv_heads, hd, m, position;
    bn_kv_type type;
    int32_t bb;
    float* q;
    uint8_t* kc;
    uint8_t* vc;
    float v_max, score_max, scale;
} kvq_case;

static inline void kvq_case_init(kvq_case* c, bn_rng* rng, int32_t n_heads, int32_t n_kv_heads, int32_t hd, int32_t m,
                                 int32_t position, bn_kv_type type, float q_sigma) {
    c->n_heads = n_heads;
    c->n_kv_heads = n_kv_heads;
    c->hd = hd;
    c->m = m;
    c->position = position;
    c->type = type;
    c->bb = bn_kv_block_size(type, hd);
    const int32_t rows = position + m, q_dim = n_heads * hd;
    c->q = xmalloc((size_t)m * q_dim * sizeof(float));
    c->kc = xmalloc((size_t)rows * n_kv_heads * c->bb);
    c->vc = xmalloc((size_t)rows * n_kv_heads * c->bb);
    c->scale = 1.0f / sqrtf((float)hd);
    for (int64_t i = 0; i < (int64_t)m * q_dim; i++) c->q[i] = rng_normal(rng) * q_sigma;
    float x[512];
    c->v_max = 0.0f;
    for (int64_t b = 0; b < (int64_t)rows * n_kv_heads; b++) {
        for (int32_t j = 0; j < hd; j++) x[j] = rng_normal(rng);
        bn_quantize_kv__ref(x, hd, type, c->kc + b * c->bb);
        for (int32_t j = 0; j < hd; j++) x[j] = rng_normal(rng) * 2.0f;
        bn_quantize_kv__ref(x, hd, type, c->vc + b * c->bb);
        const float d = bn_kv_scale(c->vc + b * c->bb);
        for (int32_t j = 0; j < hd; j++) {
            const float v = fabsf(d * (float)bn_kv_code(c->vc + b * c->bb + 4, type, j));
            c->v_max = v > c->v_max ? v : c->v_max;
        }
    }
    c->score_max = 0.0f;
    const int64_t row_bytes = (int64_t)n_kv_heads * c->bb;
    for (int32_t t = 0; t < m; t++)
        for (int32_t h = 0; h < n_heads; h++)
            for (int32_t p = 0; p <= position + t; p++) {
                const uint8_t* kb = c->kc + p * row_bytes + (h / (n_heads / n_kv_heads)) * c->bb;
                double dot = 0;
                for (int32_t j = 0; j < hd; j++)
                    dot += (double)c->q[(int64_t)t * q_dim + h * hd + j] * bn_kv_scale(kb) * bn_kv_code(kb + 4, type, j);
                const float a = fabsf((float)dot * c->scale);
                c->score_max = a > c->score_max ? a : c->score_max;
            }
}

static inline void kvq_case_free(kvq_case* c) {
    free(c->q);
    free(c->kc);
    free(c->vc);
}

static inline bn_attention_args kvq_args(const kvq_case* c, float* out, int32_t heads_per_unit) {
    return (bn_attention_args){.q = c->q, .kq_cache = c->kc, .vq_cache = c->vc, .kv_type = c->type,
                               .block_bytes = c->bb, .n_heads = c->n_heads, .n_kv_heads = c->n_kv_heads,
                               .head_dim = c->hd, .position = c->position, .heads_per_unit = heads_per_unit,
                               .scale = c->scale, .out = out};
}

static inline float* kvq_reference(const kvq_case* c) {
    float* ref = xmalloc((size_t)c->m * c->n_heads * c->hd * sizeof(float));
    const int32_t group = c->n_heads / c->n_kv_heads;
    bn_attention_args a = kvq_args(c, ref, group);
    bn_attention_kvq__ref(&a, 0, c->m * c->n_kv_heads);
    return ref;
}

static inline void kvq_check_variant(const char* variant, bn_attention_fn fn, const kvq_case* c, const float* ref) {
    const int64_t count = (int64_t)c->m * c->n_heads * c->hd;
    float* out = xmalloc((size_t)count * sizeof(float));
    const int32_t group = c->n_heads / c->n_kv_heads;
    const float tol = 1e-5f * (1.0f + c->score_max) * c->v_max;
    for (int32_t hpu = group; hpu >= 1; hpu--) {
        if (group % hpu != 0) continue;
        bn_attention_args a = kvq_args(c, out, hpu);
        memset(out, 0x5a, (size_t)count * sizeof(float));
        const int32_t units = c->m * c->n_kv_heads * (group / hpu);
        fn(&a, 0, units / 2);
        fn(&a, units / 2, units);
        for (int64_t i = 0; i < count; i++)
            if (!(fabsf(out[i] - ref[i]) <= tol)) {
                CHECK(0, "attention %s %s %d/%d heads hd=%d m=%d pos=%d hpu=%d: out[%lld] = %.9g, ref %.9g (tol %.3g)",
                      variant, kv_names[c->type], c->n_heads, c->n_kv_heads, c->hd, c->m, c->position, hpu,
                      (long long)i, (double)out[i], (double)ref[i], (double)tol);
                break;
            }
        g_checks++;
    }
    free(out);
}

typedef struct kvq_shape {
    int32_t n_heads, n_kv_heads, hd;
} kvq_shape;
static const kvq_shape kvq_shapes[] = {{20, 5, 128}, {4, 2, 64}, {8, 8, 32}, {16, 1, 96}, {3, 3, 512}, {6, 2, 160}};
#define N_KVQ_SHAPES ((int)(sizeof kvq_shapes / sizeof *kvq_shapes))

/* Every shape, type and a few positions (chunk boundaries of 16 and 32 rows) against the reference. */
static inline void kvq_check_all(const char* variant, bn_attention_fn fn, int thorough) {
    static const int32_t positions[] = {0, 1, 31, 70};
    bn_rng rng = {77};
    for (int s = 0; s < N_KVQ_SHAPES; s++)
        for (int t = 0; t < 3; t++)
            for (int pi = 0; pi < 4; pi++)
                for (int32_t m = 1; m <= 3; m += 2) {
                    if (!thorough && (pi == 1 || m == 3) && s > 0) continue;
                    kvq_case c;
                    kvq_case_init(&c, &rng, kvq_shapes[s].n_heads, kvq_shapes[s].n_kv_heads, kvq_shapes[s].hd, m,
                                  positions[pi], kv_types[t], pi == 3 ? 3.0f : 0.3f);
                    float* ref = kvq_reference(&c);
                    kvq_check_variant(variant, fn, &c, ref);
                    free(ref);
                    kvq_case_free(&c);
                }
}

/* ---- Hadamard ------------------------------------------------------------------------------- */

static const int32_t hadamard_k[] = {1, 2, 3, 4, 8, 12, 16, 24, 32, 48, 64, 256, 768, 2560, 4096, 6912};
#define N_HADAMARD_K ((int)(sizeof hadamard_k / sizeof *hadamard_k))

static inline void hadamard_check_variant(const char* variant, bn_hadamard_fn fn) {
    bn_rng rng = {13};
    for (int ki = 0; ki < N_HADAMARD_K; ki++) {
        const int32_t k = hadamard_k[ki], m = 3;
        float* x = xmalloc((size_t)m * k * sizeof(float));
        float* want = xmalloc((size_t)m * k * sizeof(float));
        for (int64_t i = 0; i < (int64_t)m * k; i++) x[i] = want[i] = rng_normal(&rng) * (i % 17 == 0 ? 30.0f : 1.0f);
        bn_hadamard_f32__ref(want, k, 0, m);
        fn(x, k, 0, 1); /* two calls, as two pool chunks would make them */
        fn(x, k, 1, m);
        for (int64_t i = 0; i < (int64_t)m * k; i++)
            if (!same_float_bits(x[i], want[i])) {
                CHECK(0, "hadamard %s k=%d: x[%lld] = %.9g, ref %.9g", variant, k, (long long)i, (double)x[i],
                      (double)want[i]);
                break;
            }
        g_checks++;
        free(x);
        free(want);
    }
}

/* ---- top-K ---------------------------------------------------------------------------------- */

static const int32_t topk_k[] = {1, 7, 32, 33, 100, 256, 2560, 6912};
#define N_TOPK_K ((int)(sizeof topk_k / sizeof *topk_k))

static inline void topk_check_variant(const char* variant, bn_topk_fn fn) {
    bn_rng rng = {17};
    for (int ki = 0; ki < N_TOPK_K; ki++)
        for (int kind = 0; kind < 4; kind++) {
            const int32_t k = topk_k[ki], m = 3;
            const int32_t keeps[] = {0, 1, k / 5, k / 2, k - 1, k};
            int8_t* base = xmalloc((size_t)m * k);
            int8_t* x = xmalloc((size_t)m * k);
            int8_t* want = xmalloc((size_t)m * k);
            for (int64_t i = 0; i < (int64_t)m * k; i++) {
                int v = rng_int(&rng, -128, 127);
                if (kind == 1) v = rng_int(&rng, -3, 3);                  /* many ties */
                if (kind == 2) v = rng_int(&rng, 0, 9) < 8 ? 0 : v;       /* mostly zeros, as after ReLU^2 */
                if (kind == 3) v = rng_int(&rng, 0, 3) == 0 ? -128 : v;   /* |-128| = 128 */
                base[i] = (int8_t)v;
            }
            for (int ke = 0; ke < 6; ke++) {
                const int32_t keep = keeps[ke];
                memcpy(x, base, (size_t)m * k);
                memcpy(want, base, (size_t)m * k);
                bn_topk_q8__ref(want, k, keep, 0, m);
                fn(x, k, keep, 0, 2);
                fn(x, k, keep, 2, m);
                CHECK(memcmp(x, want, (size_t)m * k) == 0, "topk %s k=%d keep=%d kind %d: rows differ", variant, k, keep,
                      kind);
            }
            free(base);
            free(x);
            free(want);
        }
}

/* ---- the sparse I2ST matmul --------------------------------------------------------------- */

typedef struct i2st_shape {
    int32_t n, k;
} i2st_shape;
static const i2st_shape i2st_shapes[] = {{1, 128}, {100, 128}, {128, 256}, {256, 384}, {300, 640}, {640, 256}, {2560, 768}};
#define N_I2ST_SHAPES ((int)(sizeof i2st_shapes / sizeof *i2st_shapes))

/* The I2ST kernel uk (gemv for m = 1, gemm otherwise, with its prepare step) against the I2S reference on
 * the same ternary values: sparse and dense rows, every output row range a pool of 3 makes. */
static inline void i2st_check_kernel(const char* variant, const bn_matmul_ukernel* uk) {
    bn_rng rng = {23};
    bn_threadpool* pool = NULL;
    CHECK_STATUS(bn_threadpool_create(3, &pool), BN_STATUS_OK);
    static const int32_t ms[] = {1, 3, 17};
    static const int zero_percent[] = {0, 50, 80, 97, 100};
    for (int s = 0; s < N_I2ST_SHAPES; s++)
        for (int mi = 0; mi < 3; mi++)
            for (int zi = 0; zi < 5; zi++) {
                const int32_t n = i2st_shapes[s].n, k = i2st_shapes[s].k, m = ms[mi];
                int8_t* q = xmalloc((size_t)n * k);
                fill_ternary(&rng, q, (int64_t)n * k, 30);
                int64_t i2s_bytes, i2st_bytes;
                bn_wtype_bytes(BN_WTYPE_I2S, n, k, &i2s_bytes);
                bn_wtype_bytes(BN_WTYPE_I2ST, n, k, &i2st_bytes);
                uint8_t* w_i2s = xmalloc((size_t)i2s_bytes);
                uint8_t* w_t = xmalloc((size_t)i2st_bytes);
                uint8_t* w_t2 = xmalloc((size_t)i2st_bytes);
                CHECK_STATUS(bn_pack(BN_WTYPE_I2S, q, (int64_t)n * k, n, k, 1.0f, w_i2s, i2s_bytes), BN_STATUS_OK);
                CHECK_STATUS(bn_pack(BN_WTYPE_I2ST, q, (int64_t)n * k, n, k, 1.0f, w_t, i2st_bytes), BN_STATUS_OK);
                CHECK_STATUS(bn_repack(BN_WTYPE_I2S, w_i2s, i2s_bytes, BN_WTYPE_I2ST, n, k, w_t2, i2st_bytes, pool),
                             BN_STATUS_OK);
                CHECK(memcmp(w_t, w_t2, (size_t)i2st_bytes) == 0, "repack I2S -> I2ST n=%d k=%d differs from bn_pack", n, k);
                int8_t* xq = xmalloc((size_t)m * k);
                float xs[17];
                for (int64_t i = 0; i < (int64_t)m * k; i++)
                    xq[i] = rng_int(&rng, 0, 99) < zero_percent[zi] ? 0 : (int8_t)rng_int(&rng, -128, 127);
                for (int32_t r = 0; r < m; r++) xs[r] = 0.001f * (float)(r + 1);
                float* want = xmalloc((size_t)m * n * sizeof(float));
                float* got = xmalloc((size_t)m * n * sizeof(float));
                const bn_matmul_ukernel ref = {.gemv = bn_matmul_i2s_q8__ref, .gemm = bn_matmul_i2s_q8__ref};
                CHECK_STATUS(bn_matmul_run(&ref, BN_WTYPE_I2S, BN_ATYPE_Q8, w_i2s, 0.75f, NULL, xq, xs, n, k, m, want, NULL),
                             BN_STATUS_OK);
                for (int use_pool = 0; use_pool < 2; use_pool++) {
                    memset(got, 0x5a, (size_t)m * n * sizeof(float));
                    CHECK_STATUS(bn_matmul_run(uk, BN_WTYPE_I2ST, BN_ATYPE_Q8, w_t, 0.75f, NULL, xq, xs, n, k, m, got,
                                               use_pool ? pool : NULL),
                                 BN_STATUS_OK);
                    for (int64_t i = 0; i < (int64_t)m * n; i++)
                        if (!same_float_bits(got[i], want[i])) {
                            CHECK(0, "i2st %s n=%d k=%d m=%d zeros %d%% pool %d: y[%lld] = %.9g, I2S ref %.9g", variant, n,
                                  k, m, zero_percent[zi], use_pool, (long long)i, (double)got[i], (double)want[i]);
                            break;
                        }
                    g_checks++;
                }
                free(q); free(w_i2s); free(w_t); free(w_t2); free(xq); free(want); free(got);
            }
    bn_threadpool_free(pool);
}

#endif /* BN_A48_CASES_H */
