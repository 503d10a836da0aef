/* Shape and value classes of the decode-step operations (norms, gated activation, RoPE + KV write,
 * attention, dense heads) and the checks of one kernel variant against the scalar reference, shared
 * by test_decode.c (every ISA this CPU runs) and test_avx512_emulated.c (AVX-512 through SIMDe).
 * Norms, activations and RoPE must match the reference bit for bit; attention and the dense
 * products within the tolerances bitnative.h documents. */
#ifndef BN_DECODE_CASES_H
#define BN_DECODE_CASES_H

#include "testing.h"

#define FLT_U (1.0f / 16777216.0f) /* 2^-24: unit roundoff of float */

/* ---- norms and activations ----------------------------------------------------------------- */

static const int32_t norm_widths[] = {1, 7, 15, 16, 17, 31, 33, 64, 127, 255, 2560, 6912};
#define N_NORM_WIDTHS ((int)(sizeof norm_widths / sizeof *norm_widths))
#define NORM_MAX_ROWS 9

enum { NORM_NORMAL, NORM_ZERO, NORM_OUTLIER, NORM_TINY, NORM_OVERFLOW, NORM_LARGE, NORM_KIND_COUNT };

/* Row r of class (kind + r) % NORM_KIND_COUNT: NORM_OVERFLOW squares past FLT_MAX (a row the
 * kernels must report), NORM_TINY squares to zero, NORM_ZERO normalizes by sqrt(eps) alone. */
static inline float* norm_case_input(bn_rng* rng, int32_t k, int32_t m, int kind) {
    float* x = xmalloc((size_t)m * (size_t)k * sizeof(float));
    for (int32_t r = 0; r < m; r++) {
        float* row = x + (int64_t)r * k;
        int cls = (kind + r) % NORM_KIND_COUNT;
        for (int32_t j = 0; j < k; j++) {
            switch (cls) {
            case NORM_NORMAL: row[j] = rng_normal(rng); break;
            case NORM_ZERO: row[j] = 0.0f; break;
            case NORM_OUTLIER: row[j] = j == k / 3 ? 300.0f : rng_normal(rng) * 0.05f; break;
            case NORM_TINY: row[j] = rng_normal(rng) * 1e-30f; break;
            case NORM_OVERFLOW: row[j] = j == k - 1 ? 3e19f : rng_normal(rng); break;
            default: row[j] = rng_normal(rng) * 1e4f; break;
            }
        }
    }
    return x;
}

static inline float* norm_weight(bn_rng* rng, int32_t k) {
    float* w = xmalloc((size_t)k * sizeof(float));
    for (int32_t j = 0; j < k; j++) w[j] = 1.0f + 0.3f * rng_normal(rng); /* some negative ones too */
    return w;
}

static inline int same_bits_f32(const float* a, const float* b, int64_t n, int64_t* at) {
    for (int64_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof(float)) != 0) {
            *at = i;
            return 0;
        }
    return 1;
}

/* One norm variant (f32, q8 or q4 output) against the reference on m rows of k. */
static inline void norm_check_variant(const char* variant, bn_rmsnorm_f32_fn f32, bn_rmsnorm_quant_fn q8,
                                      bn_rmsnorm_quant_fn q4, const float* x, const float* w, int32_t k, int32_t m,
                                      int kind) {
    const int64_t count = (int64_t)m * k;
    const float eps = 1e-5f;
    float* y_ref = xmalloc((size_t)count * sizeof(float));
    float* y_var = xmalloc((size_t)count * sizeof(float));
    int8_t* q_ref = xmalloc((size_t)count);
    int8_t* q_var = xmalloc((size_t)count);
    float s_ref[NORM_MAX_ROWS], s_var[NORM_MAX_ROWS];
    int64_t at;

    int32_t bad_ref = bn_rmsnorm_f32__ref(x, w, eps, k, 0, m, y_ref);
    memset(y_var, 0x5a, (size_t)count * sizeof(float));
    int32_t bad_var = f32(x, w, eps, k, 0, m, y_var);
    CHECK(bad_ref == bad_var, "rmsnorm_f32 %s k=%d m=%d kind=%d: bad row %d, ref %d", variant, k, m, kind, bad_var,
          bad_ref);
    CHECK(same_bits_f32(y_ref, y_var, count, &at), "rmsnorm_f32 %s k=%d m=%d kind=%d: y[%lld] = %a, ref %a", variant, k,
          m, kind, (long long)at, (double)y_var[at], (double)y_ref[at]);

    for (int bits = 8; bits >= 4; bits -= 4) {
        bn_rmsnorm_quant_fn ref = bits == 8 ? bn_rmsnorm_q8__ref : bn_rmsnorm_q4__ref;
        bn_rmsnorm_quant_fn var = bits == 8 ? q8 : q4;
        bad_ref = ref(x, w, eps, k, 0, m, q_ref, s_ref);
        memset(q_var, 0x5a, (size_t)count);
        bad_var = var(x, w, eps, k, 0, m, q_var, s_var);
        CHECK(bad_ref == bad_var, "rmsnorm_q%d %s k=%d m=%d: bad row %d, ref %d", bits, variant, k, m, bad_var,
              bad_ref);
        for (int32_t r = 0; r < m; r++)
            CHECK(same_float_bits(s_ref[r], s_var[r]), "rmsnorm_q%d %s k=%d m=%d kind=%d row %d: scale %a, ref %a",
                  bits, variant, k, m, kind, r, (double)s_var[r], (double)s_ref[r]);
        for (int64_t j = 0; j < count; j++)
            if (q_ref[j] != q_var[j]) {
                CHECK(0, "rmsnorm_q%d %s k=%d m=%d kind=%d: xq[%lld] = %d, ref %d", bits, variant, k, m, kind,
                      (long long)j, q_var[j], q_ref[j]);
                break;
            }
    }
    free(y_ref); free(y_var); free(q_ref); free(q_var);
}

/* Gate values around the interesting parts of both activations: negatives (ReLU^2 zero), the
 * sigmoid's knee, and |g| large enough that exp(-g) overflows or underflows. */
static inline void glu_case_input(bn_rng* rng, float* gate, float* up, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        int c = rng_int(rng, 0, 9);
        gate[i] = c == 0 ? (rng_uniform(rng) - 0.5f) * 400.0f : (c == 1 ? 0.0f : rng_normal(rng) * 3.0f);
        up[i] = rng_normal(rng);
    }
}

static inline void glu_check_variant(const char* variant, bn_glu_f32_fn glu, bn_glu_rmsnorm_q8_fn glu_norm,
                                     bn_rng* rng, int32_t k, int32_t m) {
    const int64_t count = (int64_t)m * k;
    float* gate = xmalloc((size_t)count * sizeof(float));
    float* up = xmalloc((size_t)count * sizeof(float));
    float* y_ref = xmalloc((size_t)count * sizeof(float));
    float* y_var = xmalloc((size_t)count * sizeof(float));
    float* h_ref = xmalloc((size_t)count * sizeof(float));
    float* h_var = xmalloc((size_t)count * sizeof(float));
    int8_t* q_ref = xmalloc((size_t)count);
    int8_t* q_var = xmalloc((size_t)count);
    float s_ref[NORM_MAX_ROWS], s_var[NORM_MAX_ROWS];
    float* w = norm_weight(rng, k);
    glu_case_input(rng, gate, up, count);
    int64_t at;
    for (int act = 0; act <= 1; act++) {
        bn_glu_f32__ref(gate, up, (bn_activation)act, 0, count, y_ref);
        /* an odd sub-range, so a variant's head and tail handling both run */
        memset(y_var, 0x5a, (size_t)count * sizeof(float));
        int64_t mid = count / 3;
        glu(gate, up, (bn_activation)act, 0, mid, y_var);
        glu(gate, up, (bn_activation)act, mid, count, y_var);
        CHECK(same_bits_f32(y_ref, y_var, count, &at), "glu_f32 %s act=%d k=%d m=%d: y[%lld] = %a, ref %a (g=%a)",
              variant, act, k, m, (long long)at, (double)y_var[at], (double)y_ref[at], (double)gate[at]);

        memcpy(h_ref, gate, (size_t)count * sizeof(float));
        memcpy(h_var, gate, (size_t)count * sizeof(float));
        int32_t bad_ref = bn_glu_rmsnorm_q8__ref(h_ref, up, (bn_activation)act, w, 1e-5f, k, 0, m, q_ref, s_ref);
        int32_t bad_var = glu_norm(h_var, up, (bn_activation)act, w, 1e-5f, k, 0, m, q_var, s_var);
        CHECK(bad_ref == bad_var, "glu_rmsnorm_q8 %s: bad row %d, ref %d", variant, bad_var, bad_ref);
        CHECK(same_bits_f32(h_ref, h_var, count, &at), "glu_rmsnorm_q8 %s act=%d k=%d: h[%lld] = %a, ref %a", variant,
              act, k, (long long)at, (double)h_var[at], (double)h_ref[at]);
        CHECK(same_bits_f32(h_ref, y_ref, count, &at), "glu_rmsnorm_q8 ref act=%d: h differs from glu_f32 at %lld", act,
              (long long)at);
        CHECK(memcmp(q_ref, q_var, (size_t)count) == 0 && memcmp(s_ref, s_var, (size_t)m * sizeof(float)) == 0,
              "glu_rmsnorm_q8 %s act=%d k=%d m=%d: quantized output differs from the reference", variant, act, k, m);
    }
    free(gate); free(up); free(y_ref); free(y_var); free(h_ref); free(h_var); free(q_ref); free(q_var); free(w);
}

/* ---- RoPE + KV write ----------------------------------------------------------------------- */

typedef struct rope_shape {
    int32_t n_heads, n_kv_heads, head_dim, rope_dims;
} rope_shape;

/* 2B-4T (20/5 x 128), the test model, partial rotation with odd pair counts, tiny heads. */
static const rope_shape rope_shapes[] = {{20, 5, 128, 128}, {4, 2, 64, 64}, {3, 1, 40, 26}, {2, 2, 6, 6},
                                         {6, 3, 48, 32},    {1, 1, 2, 2}};
#define N_ROPE_SHAPES ((int)(sizeof rope_shapes / sizeof *rope_shapes))

static inline void rope_check_variant(const char* variant, bn_rope_kv_fn fn, bn_rng* rng, rope_shape s, int32_t m,
                                      int32_t position, bn_rope_style style) {
    const int32_t q_dim = s.n_heads * s.head_dim, kv_dim = s.n_kv_heads * s.head_dim;
    const int32_t rows = position + m + 2; /* two rows past the written ones must stay untouched */
    float* q = xmalloc((size_t)m * q_dim * sizeof(float));
    float* q_ref = xmalloc((size_t)m * q_dim * sizeof(float));
    float* k = xmalloc((size_t)m * kv_dim * sizeof(float));
    float* v = xmalloc((size_t)m * kv_dim * sizeof(float));
    float* table = xmalloc((size_t)m * s.rope_dims * sizeof(float));
    uint16_t* kc_ref = xmalloc((size_t)rows * kv_dim * 2);
    uint16_t* vc_ref = xmalloc((size_t)rows * kv_dim * 2);
    uint16_t* kc_var = xmalloc((size_t)rows * kv_dim * 2);
    uint16_t* vc_var = xmalloc((size_t)rows * kv_dim * 2);
    for (int64_t i = 0; i < (int64_t)m * q_dim; i++) q[i] = rng_normal(rng) * 4.0f;
    for (int64_t i = 0; i < (int64_t)m * kv_dim; i++) {
        k[i] = rng_normal(rng) * 4.0f;
        v[i] = i % 97 == 0 ? 70000.0f : rng_normal(rng); /* 70000 rounds to fp16 infinity */
    }
    CHECK_STATUS(bn_rope_table(position, m, s.rope_dims, 10000.0f, table, (int64_t)m * s.rope_dims), BN_STATUS_OK);
    memcpy(q_ref, q, (size_t)m * q_dim * sizeof(float));
    memset(kc_ref, 0xa5, (size_t)rows * kv_dim * 2);
    memset(vc_ref, 0xa5, (size_t)rows * kv_dim * 2);
    memcpy(kc_var, kc_ref, (size_t)rows * kv_dim * 2);
    memcpy(vc_var, vc_ref, (size_t)rows * kv_dim * 2);
    bn_rope_args a = {.q = q_ref, .k = k, .v = v, .table = table, .n_heads = s.n_heads, .n_kv_heads = s.n_kv_heads,
                      .head_dim = s.head_dim, .rope_dims = s.rope_dims, .style = style, .position = position,
                      .k_cache = kc_ref, .v_cache = vc_ref};
    bn_rope_kv_f16__ref(&a, 0, m);
    a.q = q;
    a.k_cache = kc_var;
    a.v_cache = vc_var;
    fn(&a, 0, m);
    int64_t at;
    CHECK(same_bits_f32(q_ref, q, (int64_t)m * q_dim, &at),
          "rope %s %d/%d heads hd=%d rd=%d style=%d m=%d: q[%lld] = %a, ref %a", variant, s.n_heads, s.n_kv_heads,
          s.head_dim, s.rope_dims, (int)style, m, (long long)at, (double)q[at], (double)q_ref[at]);
    for (int64_t i = 0; i < (int64_t)rows * kv_dim; i++)
        if (kc_ref[i] != kc_var[i] || vc_ref[i] != vc_var[i]) {
            CHECK(0,
                  "rope %s hd=%d rd=%d style=%d m=%d pos=%d: cache element %lld (row %lld): k %04x v %04x, "
                  "ref %04x %04x",
                  variant, s.head_dim, s.rope_dims, (int)style, m, position, (long long)i, (long long)(i / kv_dim),
                  kc_var[i], vc_var[i], kc_ref[i], vc_ref[i]);
            break;
        }
    free(q); free(q_ref); free(k); free(v); free(table); free(kc_ref); free(vc_ref); free(kc_var); free(vc_var);
}

/* ---- attention ----------------------------------------------------------------------------- */

typedef struct attention_shape {
    int32_t n_heads, n_kv_heads, head_dim;
} attention_shape;

static const attention_shape attention_shapes[] = {{20, 5, 128}, {4, 2, 64}, {6, 3, 12}, {2, 1, 4},
                                                   {8, 8, 20},   {16, 1, 24}, {3, 3, 512}};
#define N_ATTENTION_SHAPES ((int)(sizeof attention_shapes / sizeof *attention_shapes))

typedef struct attention_case {
    attention_shape s;
    int32_t m, position;
    float* q;
    uint16_t* k_cache;
    uint16_t* v_cache;
    float v_max;     /* max |v| over the cache */
    float score_max; /* bound on |scale q . k| over every head and position */
    float scale;
} attention_case;

/* q_sigma large makes sharp softmaxes (scores ~ +-40), small ones nearly uniform weights. */
static inline void attention_case_init(attention_case* c, bn_rng* rng, attention_shape s, int32_t m, int32_t position,
                                       float q_sigma) {
    c->s = s;
    c->m = m;
    c->position = position;
    const int32_t q_dim = s.n_heads * s.head_dim, kv_dim = s.n_kv_heads * s.head_dim, rows = position + m;
    c->q = xmalloc((size_t)m * q_dim * sizeof(float));
    c->k_cache = xmalloc((size_t)rows * kv_dim * 2);
    c->v_cache = xmalloc((size_t)rows * kv_dim * 2);
    c->scale = 1.0f / sqrtf((float)s.head_dim);
    for (int64_t i = 0; i < (int64_t)m * q_dim; i++) c->q[i] = rng_normal(rng) * q_sigma;
    c->v_max = 0.0f;
    for (int64_t i = 0; i < (int64_t)rows * kv_dim; i++) {
        c->k_cache[i] = bn_fp32_to_fp16(rng_normal(rng));
        float v = rng_normal(rng) * 2.0f;
        c->v_cache[i] = bn_fp32_to_fp16(v);
        float av = fabsf(bn_fp16_to_fp32(c->v_cache[i]));
        c->v_max = av > c->v_max ? av : c->v_max;
    }
    c->score_max = 0.0f;
    for (int32_t t = 0; t < m; t++)
        for (int32_t h = 0; h < s.n_heads; h++)
            for (int32_t p = 0; p <= position + t; p++) {
                const int32_t kvh = h / (s.n_heads / s.n_kv_heads);
                double dot = 0;
                for (int32_t j = 0; j < s.head_dim; j++)
                    dot += (double)c->q[(int64_t)t * q_dim + h * s.head_dim + j] *
                           bn_fp16_to_fp32(c->k_cache[(int64_t)p * kv_dim + kvh * s.head_dim + j]);
                float a = fabsf((float)dot * c->scale);
                c->score_max = a > c->score_max ? a : c->score_max;
            }
}

static inline void attention_case_free(attention_case* c) {
    free(c->q);
    free(c->k_cache);
    free(c->v_cache);
}

/* bitnative.h: |out - ref| <= 1e-5 (1 + |max score|) max|v|. */
static inline float attention_tolerance(const attention_case* c) {
    return 1e-5f * (1.0f + c->score_max) * c->v_max;
}

static inline void attention_check_output(const char* variant, const attention_case* c, const float* ref,
                                          const float* out, const char* how) {
    const int64_t count = (int64_t)c->m * c->s.n_heads * c->s.head_dim;
    const float tol = attention_tolerance(c);
    for (int64_t i = 0; i < count; i++)
        if (!(fabsf(out[i] - ref[i]) <= tol)) {
            CHECK(0, "attention %s (%s) %d/%d heads hd=%d m=%d pos=%d: out[%lld] = %.9g, ref %.9g (tolerance %.3g)",
                  variant, how, c->s.n_heads, c->s.n_kv_heads, c->s.head_dim, c->m, c->position, (long long)i,
                  (double)out[i], (double)ref[i], (double)tol);
            return;
        }
    g_checks++;
}

/* The reference output of a case (m rows of n_heads * head_dim), computed once for all variants. */
static inline float* attention_reference(const attention_case* c) {
    const attention_shape s = c->s;
    float* ref = xmalloc((size_t)c->m * s.n_heads * s.head_dim * sizeof(float));
    bn_attention_args a = {.q = c->q, .k_cache = c->k_cache, .v_cache = c->v_cache, .n_heads = s.n_heads,
                           .n_kv_heads = s.n_kv_heads, .head_dim = s.head_dim, .position = c->position,
                           .heads_per_unit = s.n_heads / s.n_kv_heads, .scale = c->scale, .out = ref};
    bn_attention_f16__ref(&a, 0, c->m * s.n_kv_heads);
    return ref;
}

/* The variant with every way of cutting a KV head's group into units, against the reference. */
static inline void attention_check_variant(const char* variant, bn_attention_fn fn, const attention_case* c,
                                           const float* ref) {
    const attention_shape s = c->s;
    const int64_t count = (int64_t)c->m * s.n_heads * s.head_dim;
    float* out = xmalloc((size_t)count * sizeof(float));
    const int32_t group = s.n_heads / s.n_kv_heads;
    bn_attention_args a = {.q = c->q, .k_cache = c->k_cache, .v_cache = c->v_cache, .n_heads = s.n_heads,
                           .n_kv_heads = s.n_kv_heads, .head_dim = s.head_dim, .position = c->position,
                           .scale = c->scale, .out = out};
    for (int32_t hpu = group; hpu >= 1; hpu--) {
        if (group % hpu != 0) continue;
        a.heads_per_unit = hpu;
        memset(out, 0x5a, (size_t)count * sizeof(float));
        const int32_t units = c->m * s.n_kv_heads * (group / hpu);
        fn(&a, 0, units / 2); /* two calls, as two pool chunks would make them */
        fn(&a, units / 2, units);
        char how[48];
        snprintf(how, sizeof how, "%d heads per unit", hpu);
        attention_check_output(variant, c, ref, out, how);
    }
    free(out);
}

/* Every attention case with its reference output, through each(ctx, c, ref): every shape, m = 1 and 3 tokens, at
 * positions 0, 1, 37 and 100 (four chunks of the SIMD variants' online softmax), with a sharp softmax on the long
 * cases and a nearly uniform one on the others. */
typedef void (*attention_each_fn)(void* ctx, const attention_case* c, const float* ref);

static inline void attention_for_each_case(bn_rng* rng, attention_each_fn each, void* ctx) {
    static const int32_t positions[] = {0, 1, 37, 100};
    for (int s = 0; s < N_ATTENTION_SHAPES; s++)
        for (int pi = 0; pi < 4; pi++)
            for (int32_t m = 1; m <= 3; m += 2) {
                attention_case c;
                attention_case_init(&c, rng, attention_shapes[s], m, positions[pi], pi == 3 ? 3.0f : 0.3f);
                float* ref = attention_reference(&c);
                each(ctx, &c, ref);
                free(ref);
                attention_case_free(&c);
            }
}

/* ---- dense matrices (float types, q8_0 heads) --------------------------------------------------- */

static const int32_t dense_n[] = {1, 3, 5, 17};
static const int32_t dense_k_float[] = {1, 7, 8, 16, 24, 33, 64, 256, 2560};
static const int32_t dense_k_q8[] = {32, 64, 96, 160, 2560};
static const int32_t dense_m[] = {1, 3, 6}; /* every tile width of every variant: 1, 2, 3, 4 tokens */
#define N_DENSE_N ((int)(sizeof dense_n / sizeof *dense_n))
#define N_DENSE_K_FLOAT ((int)(sizeof dense_k_float / sizeof *dense_k_float))
#define N_DENSE_K_Q8 ((int)(sizeof dense_k_q8 / sizeof *dense_k_q8))
#define N_DENSE_M ((int)(sizeof dense_m / sizeof *dense_m))

/* The float weight types (f32 rows): F16, BF16, F32 and FP8 blocks. */
static const bn_wtype dense_float_types[] = {BN_WTYPE_F16, BN_WTYPE_BF16, BN_WTYPE_F32, BN_WTYPE_F8};
#define N_DENSE_FLOAT_TYPES ((int)(sizeof dense_float_types / sizeof *dense_float_types))

/* Bytes of one row of k weights of a float type (k a multiple of its block). */
static inline int64_t dense_row_bytes(bn_wtype wtype, int32_t k) {
    int64_t bytes = 0;
    bn_wtype_bytes(wtype, 1, k, &bytes);
    return bytes;
}

/* Whether rows of k weights fit the type's blocks (F8: 32). */
static inline int dense_fits(bn_wtype wtype, int32_t k) {
    bn_wtype_info info;
    bn_wtype_get_info(wtype, &info);
    return k % info.block_weights == 0;
}

/* n x k float weights of a float type with some tiny (fp16: subnormal) and large values, every bit pattern of FP8
 * codes but the NaN one; m x k floats. */
static inline void dense_float_case(bn_rng* rng, bn_wtype wtype, int32_t n, int32_t k, int32_t m, uint8_t* w, float* x) {
    const int64_t row_bytes = dense_row_bytes(wtype, k);
    for (int32_t i = 0; i < n; i++) {
        uint8_t* row = w + (int64_t)i * row_bytes;
        if (wtype == BN_WTYPE_F8) {
            for (int32_t b = 0; b < k / BN_F8_BLOCK; b++) {
                uint8_t* block = row + (int64_t)b * BN_F8_BLOCK_BYTES;
                const int c = rng_int(rng, 0, 9);
                const uint16_t h = bn_fp32_to_fp16(c == 0 ? 1e-6f : (c == 1 ? 30.0f : 0.0005f + rng_uniform(rng) * 0.001f));
                block[0] = (uint8_t)h;
                block[1] = (uint8_t)(h >> 8);
                for (int j = 0; j < BN_F8_BLOCK; j++) {
                    uint8_t q = (uint8_t)rng_int(rng, 0, 255);
                    block[2 + j] = (q & 0x7f) == 0x7f ? (uint8_t)(q - 1) : q;
                }
            }
            continue;
        }
        for (int32_t j = 0; j < k; j++) {
            const int c = rng_int(rng, 0, 19);
            const float v = c == 0 ? rng_normal(rng) * 3e-6f : (c == 1 ? rng_normal(rng) * 2000.0f : rng_normal(rng) * 0.05f);
            if (wtype == BN_WTYPE_F32) {
                memcpy(row + 4 * (int64_t)j, &v, 4);
                continue;
            }
            uint16_t h;
            if (wtype == BN_WTYPE_F16) {
                h = bn_fp32_to_fp16(v);
            } else {
                uint32_t bits;
                memcpy(&bits, &v, 4);
                h = (uint16_t)(bits >> 16); /* bf16 by truncation: any bit pattern is a valid weight */
            }
            row[2 * (int64_t)j] = (uint8_t)h;
            row[2 * (int64_t)j + 1] = (uint8_t)(h >> 8);
        }
    }
    for (int64_t i = 0; i < (int64_t)m * k; i++) x[i] = rng_normal(rng);
}

/* Weight (i, j) of an n x k matrix of a float type, from the layout (not through the kernels' helpers). */
static inline double dense_float_weight(bn_wtype wtype, const uint8_t* w, int32_t k, int32_t i, int32_t j) {
    const uint8_t* row = w + (int64_t)i * dense_row_bytes(wtype, k);
    switch (wtype) {
    case BN_WTYPE_F32: {
        float v;
        memcpy(&v, row + 4 * (int64_t)j, 4);
        return v;
    }
    case BN_WTYPE_BF16: {
        const uint32_t bits = (uint32_t)(row[2 * (int64_t)j] | (row[2 * (int64_t)j + 1] << 8)) << 16;
        float v;
        memcpy(&v, &bits, 4);
        return v;
    }
    case BN_WTYPE_F8: {
        /* OCP E4M3: sign, 4 exponent bits (bias 7), 3 mantissa bits, subnormal at exponent 0 */
        const uint8_t* block = row + (int64_t)(j / BN_F8_BLOCK) * BN_F8_BLOCK_BYTES;
        const uint8_t q = block[2 + j % BN_F8_BLOCK];
        const int e = (q >> 3) & 15, mant = q & 7;
        const double v = e == 0 ? ldexp(mant / 8.0, -6) : ldexp(1.0 + mant / 8.0, e - 7);
        return (q & 0x80 ? -v : v) * bn_fp16_to_fp32((uint16_t)(block[0] | (block[1] << 8)));
    }
    default: return bn_fp16_to_fp32((uint16_t)(row[2 * (int64_t)j] | (row[2 * (int64_t)j + 1] << 8)));
    }
}

static inline bn_matmul_fn dense_float_reference(bn_wtype wtype) {
    switch (wtype) {
    case BN_WTYPE_F32: return bn_matmul_f32_f32__ref;
    case BN_WTYPE_BF16: return bn_matmul_bf16_f32__ref;
    case BN_WTYPE_F8: return bn_matmul_f8_f32__ref;
    default: return bn_matmul_f16_f32__ref;
    }
}

/* fn against its type's reference within 2 k 2^-24 sum |W x| (bitnative.h), with W read from the layout; and the
 * reference's weights checked: on a one-hot activation row it returns each weight exactly. */
static inline void dense_float_check_variant(const char* variant, bn_wtype wtype, bn_matmul_fn fn, const uint8_t* w,
                                             const float* x, int32_t n, int32_t k, int32_t m) {
    float* ref = xmalloc((size_t)m * n * sizeof(float));
    bn_matmul_args a = {.w = w, .row_bytes = dense_row_bytes(wtype, k), .x = x, .n = n, .k = k, .m = m, .y = ref};
    dense_float_reference(wtype)(&a, 0, n);
    float* out = matmul_in_two_chunks(fn, &a);
    for (int32_t r = 0; r < m; r++)
        for (int32_t i = 0; i < n; i++) {
            double mag = 0;
            for (int32_t j = 0; j < k; j++) mag += fabs(dense_float_weight(wtype, w, k, i, j) * x[(int64_t)r * k + j]);
            const double tol = 2.0 * k * FLT_U * mag;
            const float got = out[(int64_t)r * n + i], want = ref[(int64_t)r * n + i];
            if (!(fabs((double)got - want) <= tol)) {
                CHECK(0, "matmul_%s_f32 %s n=%d k=%d m=%d: y[%d, %d] = %.9g, ref %.9g (tolerance %.3g)",
                      bn_wtype_name(wtype), variant, n, k, m, r, i, (double)got, (double)want, tol);
                goto done;
            }
        }
    /* one-hot rows through fn: y[i] = W[i, j] exactly (a single product, no rounding) */
    {
        float* hot = xmalloc((size_t)k * sizeof(float));
        bn_matmul_args h = {.w = w, .row_bytes = dense_row_bytes(wtype, k), .x = hot, .n = n, .k = k, .m = 1, .y = out};
        for (int32_t j = 0; j < k; j += k / 3 + 1) {
            memset(hot, 0, (size_t)k * sizeof(float));
            hot[j] = 1.0f;
            fn(&h, 0, n);
            for (int32_t i = 0; i < n; i++)
                if ((double)out[i] != dense_float_weight(wtype, w, k, i, j)) {
                    CHECK(0, "matmul_%s_f32 %s k=%d: weight (%d, %d) reads %.9g, the layout says %.9g", bn_wtype_name(wtype),
                          variant, k, i, j, (double)out[i], dense_float_weight(wtype, w, k, i, j));
                    free(hot);
                    goto done;
                }
        }
        free(hot);
    }
    g_checks++;
done:
    free(ref);
    free(out);
}

/* n rows of k Q8_0 weights: block scales from subnormal to large fp16, int8 values over the whole
 * range (-128 included, which llama.cpp never writes but a file may hold); m rows of int8. */
static inline void dense_q8_case(bn_rng* rng, int32_t n, int32_t k, int32_t m, uint8_t* w, int8_t* xq, float* scales) {
    const int32_t blocks = k / BN_Q8_0_BLOCK;
    for (int64_t b = 0; b < (int64_t)n * blocks; b++) {
        uint8_t* block = w + b * BN_Q8_0_BLOCK_BYTES;
        int c = rng_int(rng, 0, 9);
        float d = c == 0 ? 1e-6f : (c == 1 ? 30.0f : 0.001f + rng_uniform(rng) * 0.01f);
        uint16_t h = bn_fp32_to_fp16(d);
        block[0] = (uint8_t)h;
        block[1] = (uint8_t)(h >> 8);
        for (int j = 0; j < BN_Q8_0_BLOCK; j++) block[2 + j] = (uint8_t)(int8_t)rng_int(rng, -128, 127);
    }
    fill_int8(rng, xq, (int64_t)m * k, -128, 127);
    for (int32_t r = 0; r < m; r++) scales[r] = 0.01f + rng_uniform(rng);
}

/* Every Q8_0 head case (the dense shapes, k a multiple of 32) through each(ctx, w, xq, scales, n, k, m). */
typedef void (*dense_q8_each_fn)(void* ctx, const uint8_t* w, const int8_t* xq, const float* scales, int32_t n, int32_t k,
                                 int32_t m);

static inline void dense_q8_for_each_case(bn_rng* rng, dense_q8_each_fn each, void* ctx) {
    for (int ni = 0; ni < N_DENSE_N; ni++)
        for (int mi = 0; mi < N_DENSE_M; mi++)
            for (int ki = 0; ki < N_DENSE_K_Q8; ki++) {
                const int32_t n = dense_n[ni], m = dense_m[mi], k = dense_k_q8[ki];
                uint8_t* w = xmalloc((size_t)n * k / 32 * 34);
                int8_t* xq = xmalloc((size_t)m * k);
                float scales[8];
                dense_q8_case(rng, n, k, m, w, xq, scales);
                each(ctx, w, xq, scales, n, k, m);
                free(w);
                free(xq);
            }
}

/* Row i of a Q8_0 or f32 matrix times the int8 row x, in double: the exact sum, and the magnitude its
 * tolerance scales with (f32: sum_j |W x|; Q8_0: sum_b |d_b| sum_j |W x|, as bitnative.h states it). */
static inline void dense_int8_dot(bn_wtype wtype, const uint8_t* w, int32_t i, const int8_t* x, int32_t k, double* exact,
                                  double* mag) {
    *exact = 0;
    *mag = 0;
    if (wtype == BN_WTYPE_F32) {
        for (int32_t j = 0; j < k; j++) {
            const double p = dense_float_weight(BN_WTYPE_F32, w, k, i, j) * x[j];
            *exact += p;
            *mag += fabs(p);
        }
        return;
    }
    const int64_t row_bytes = (int64_t)k / BN_Q8_0_BLOCK * BN_Q8_0_BLOCK_BYTES;
    for (int32_t b = 0; b < k / BN_Q8_0_BLOCK; b++) {
        const uint8_t* block = w + (int64_t)i * row_bytes + (int64_t)b * BN_Q8_0_BLOCK_BYTES;
        const double d = bn_fp16_to_fp32((uint16_t)(block[0] | (block[1] << 8)));
        int64_t dot = 0, abs_dot = 0;
        for (int j = 0; j < BN_Q8_0_BLOCK; j++) {
            int32_t prod = (int8_t)block[2 + j] * x[b * BN_Q8_0_BLOCK + j];
            dot += prod;
            abs_dot += prod < 0 ? -prod : prod;
        }
        *mag += fabs(d) * (double)abs_dot;
        *exact += d * (double)dot;
    }
}

/* fn (Q8_0 or f32 weights x int8 rows) against its type's reference, and the reference against the
 * exact product, within bitnative.h's bounds: Q8_0 2 (k / 32 + 3) 2^-24 |x_scale| mag; f32 (a
 * sequential float sum of k products, then the scale) 2 (k + 1) 2^-24 |x_scale| mag. */
static inline void dense_int8_rows_check_variant(const char* variant, bn_wtype wtype, bn_matmul_fn fn, const uint8_t* w,
                                                 const int8_t* xq, const float* scales, int32_t n, int32_t k, int32_t m) {
    const int q8_0 = wtype == BN_WTYPE_Q8_0;
    float* ref = xmalloc((size_t)m * n * sizeof(float));
    bn_matmul_args a = {.w = w, .row_bytes = q8_0 ? (int64_t)k / BN_Q8_0_BLOCK * BN_Q8_0_BLOCK_BYTES : 4 * (int64_t)k,
                        .xq = xq, .x_scales = scales, .n = n, .k = k, .m = m, .y = ref};
    (q8_0 ? bn_matmul_q8_0_q8__ref : bn_matmul_f32_q8__ref)(&a, 0, n);
    float* out = matmul_in_two_chunks(fn, &a);
    for (int32_t r = 0; r < m; r++)
        for (int32_t i = 0; i < n; i++) {
            double exact, mag;
            dense_int8_dot(wtype, w, i, xq + (int64_t)r * k, k, &exact, &mag);
            const double tol = 2.0 * (q8_0 ? k / BN_Q8_0_BLOCK + 3 : k + 1) * FLT_U * fabs(scales[r]) * mag;
            const float got = out[(int64_t)r * n + i], want = ref[(int64_t)r * n + i];
            if (!(fabs((double)got - want) <= tol) || !(fabs(exact * scales[r] - want) <= tol)) {
                CHECK(0, "matmul_%s_q8 %s n=%d k=%d m=%d: y[%d, %d] = %.9g, ref %.9g, exact %.9g (tolerance %.3g)",
                      bn_wtype_name(wtype), variant, n, k, m, r, i, (double)got, (double)want, exact * scales[r], tol);
                goto done;
            }
        }
    g_checks++;
done:
    free(ref);
    free(out);
}

#endif
