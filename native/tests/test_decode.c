/* Decode-step operations: every ISA's norms, gated activations, RoPE + KV write, attention and dense
 * heads against the scalar reference (bit for bit, or within the documented tolerance), the public
 * entry points with a pool, the reference against its defining formulas, and argument checks. */
#include "decode_cases.h"

#include <stddef.h>

static const bn_config* table_of(bn_isa isa) { return bn_config_for_isa(isa); }

/* True if an earlier ISA's config (other than the reference) has the same variant of field, which
 * was then already tested: ISAs without a variant of their own reuse a lower one's. */
#define TESTED_BEFORE(isa, field) tested_before((isa), offsetof(bn_config, field), sizeof(((bn_config*)0)->field))
static int tested_before(int isa, size_t offset, size_t size) {
    for (int j = 1; j < isa; j++)
        if (should_test_isa((bn_isa)j) &&
            memcmp((const char*)table_of((bn_isa)j) + offset, (const char*)table_of((bn_isa)isa) + offset, size) == 0)
            return 1;
    return 0;
}

/* ---- the specifications themselves ----------------------------------------------------------- */

static void check_exp_spec(void) {
    /* bn_expf__ref against libm over the whole range, in steps that hit many reductions n. */
    int worst = 0;
    for (float x = -87.3f; x < 88.3f; x += 0.0137f) {
        float got = bn_expf__ref(x), want = (float)exp((double)x);
        int32_t gi, wi;
        memcpy(&gi, &got, 4);
        memcpy(&wi, &want, 4);
        int ulp = abs(gi - wi);
        worst = ulp > worst ? ulp : worst;
    }
    CHECK(worst <= 2, "bn_expf__ref is %d ulp from exp (spec: <= 2)", worst);
    CHECK(bn_expf__ref(-100.0f) == 0.0f && isinf(bn_expf__ref(100.0f)) && isnan(bn_expf__ref(NAN)) &&
              bn_expf__ref(0.0f) == 1.0f && bn_expf__ref(-INFINITY) == 0.0f,
          "bn_expf__ref special values");
}

static void check_norm_formula(void) {
    /* x = {3, 4}: mean square 12.5, r = 1 / sqrt(12.5 + eps) */
    float x[2] = {3.0f, 4.0f}, w[2] = {1.0f, 2.0f}, y[2];
    CHECK(bn_rmsnorm_f32__ref(x, w, 1e-5f, 2, 0, 1, y) == -1, "rmsnorm ref reports a finite row");
    double r = 1.0 / sqrt(12.5 + 1e-5);
    CHECK(fabs(y[0] - 3 * r) < 1e-6 && fabs(y[1] - 8 * r) < 1e-6, "rmsnorm ref: %g %g", (double)y[0], (double)y[1]);
    /* rmsnorm_q8 / _q4 are rmsnorm_f32 followed by quantize_q8 / _q4, bit for bit */
    bn_rng rng = {5};
    for (int kind = 0; kind < NORM_KIND_COUNT; kind++) {
        const int32_t k = 300, m = 1;
        float* xs = norm_case_input(&rng, k, m, kind);
        float* ws = norm_weight(&rng, k);
        float* ys = xmalloc(k * sizeof(float));
        int8_t q_fused[300], q_split[300];
        float s_fused, s_split;
        int32_t bad = bn_rmsnorm_f32__ref(xs, ws, 1e-5f, k, 0, m, ys);
        CHECK((bad >= 0) == (kind == NORM_OVERFLOW), "kind %d: bad row %d", kind, bad);
        if (bad < 0) {
            for (int bits = 8; bits >= 4; bits -= 4) {
                (bits == 8 ? bn_rmsnorm_q8__ref : bn_rmsnorm_q4__ref)(xs, ws, 1e-5f, k, 0, m, q_fused, &s_fused);
                (bits == 8 ? bn_quantize_q8__ref : bn_quantize_q4__ref)(ys, k, 0, m, q_split, &s_split);
                CHECK(memcmp(q_fused, q_split, k) == 0 && same_float_bits(s_fused, s_split),
                      "rmsnorm_q%d ref differs from rmsnorm_f32 + quantize_q%d (kind %d)", bits, bits, kind);
            }
        }
        free(xs); free(ws); free(ys);
    }
}

static void check_glu_formula(void) {
    float g[4] = {-2.0f, 0.0f, 1.5f, 3.0f}, u[4] = {5.0f, 5.0f, 2.0f, -1.0f}, y[4];
    bn_glu_f32__ref(g, u, BN_ACTIVATION_RELU2, 0, 4, y);
    CHECK(y[0] == 0.0f && y[1] == 0.0f && y[2] == 4.5f && y[3] == -9.0f, "relu2 ref: %g %g %g %g", (double)y[0],
          (double)y[1], (double)y[2], (double)y[3]);
    bn_glu_f32__ref(g, u, BN_ACTIVATION_SILU, 0, 4, y);
    for (int i = 0; i < 4; i++) {
        double want = g[i] / (1.0 + exp(-(double)g[i])) * u[i];
        CHECK(fabs(y[i] - want) <= 4e-7 * fabs(want) + 1e-30, "silu ref %d: %.9g vs %.9g", i, (double)y[i], want);
    }
}

static void check_rope_table(void) {
    enum { M = 3, D = 10 };
    float table[M * D];
    CHECK_STATUS(bn_rope_table(4094, M, D, 500000.0f, table, M * D), BN_STATUS_OK);
    for (int t = 0; t < M; t++)
        for (int i = 0; i < D / 2; i++) {
            double angle = (4094.0 + t) * pow(500000.0, -2.0 * i / D);
            CHECK(table[t * D + i] == (float)cos(angle) && table[t * D + D / 2 + i] == (float)sin(angle),
                  "rope table t=%d i=%d", t, i);
        }
    /* the rotation itself: pair (0, 1) of an interleaved head at angle 90 degrees */
    float q[2] = {1.0f, 2.0f}, k[2] = {3.0f, 4.0f}, v[2] = {5.0f, 6.0f}, tab[2] = {0.0f, 1.0f};
    uint16_t kc[2], vc[2];
    bn_rope_args a = {.q = q, .k = k, .v = v, .table = tab, .n_heads = 1, .n_kv_heads = 1, .head_dim = 2,
                      .rope_dims = 2, .style = BN_ROPE_INTERLEAVED, .position = 0, .k_cache = kc, .v_cache = vc};
    bn_rope_kv_f16__ref(&a, 0, 1);
    CHECK(q[0] == -2.0f && q[1] == 1.0f && bn_fp16_to_fp32(kc[0]) == -4.0f && bn_fp16_to_fp32(kc[1]) == 3.0f &&
              bn_fp16_to_fp32(vc[1]) == 6.0f,
          "rope ref rotation: q = (%g, %g)", (double)q[0], (double)q[1]);
}

static void check_attention_formula(void) {
    /* one head, two positions, equal keys: the output is the mean of the two values */
    float q[2] = {1.0f, 1.0f}, out[2];
    uint16_t kc[4], vc[4];
    float ks[4] = {1, 0, 1, 0}, vs[4] = {2, 4, 6, -8};
    for (int i = 0; i < 4; i++) {
        kc[i] = bn_fp32_to_fp16(ks[i]);
        vc[i] = bn_fp32_to_fp16(vs[i]);
    }
    bn_attention_args a = {.q = q, .k_cache = kc, .v_cache = vc, .n_heads = 1, .n_kv_heads = 1, .head_dim = 2,
                           .position = 1, .heads_per_unit = 1, .scale = 0.5f, .out = out};
    bn_attention_f16__ref(&a, 0, 1);
    CHECK(fabsf(out[0] - 4.0f) < 1e-6f && fabsf(out[1] + 2.0f) < 1e-6f, "attention ref: %g %g", (double)out[0],
          (double)out[1]);
}

/* ---- every variant against the reference ------------------------------------------------------ */

static void check_norms(void) {
    bn_rng rng = {11};
    for (int isa = 1; isa < BN_ISA_COUNT; isa++) { /* every ISA but the reference itself */
        if (!should_test_isa((bn_isa)isa)) continue;
        const bn_config* kern = table_of((bn_isa)isa);
        const char* name = bn_isa_name((bn_isa)isa);
        if (TESTED_BEFORE(isa, rmsnorm_f32) && TESTED_BEFORE(isa, rmsnorm_q8) && TESTED_BEFORE(isa, rmsnorm_q4) &&
            TESTED_BEFORE(isa, glu_f32) && TESTED_BEFORE(isa, glu_rmsnorm_q8))
            continue;
        /* every value class alone in a one-row call, then all of them (and nine rows) in one call */
        for (int wi = 0; wi < N_NORM_WIDTHS; wi++)
            for (int kind = 0; kind <= NORM_KIND_COUNT; kind++) {
                const int32_t k = norm_widths[wi], m = kind < NORM_KIND_COUNT ? 1 : NORM_MAX_ROWS;
                float* x = norm_case_input(&rng, k, m, kind % NORM_KIND_COUNT);
                float* w = norm_weight(&rng, k);
                norm_check_variant(name, kern->rmsnorm_f32, kern->rmsnorm_q8, kern->rmsnorm_q4, x, w, k, m, kind);
                free(x);
                free(w);
            }
        for (int wi = 0; wi < N_NORM_WIDTHS; wi++)
            for (int32_t m = 1; m <= 3; m += 2)
                glu_check_variant(name, kern->glu_f32, kern->glu_rmsnorm_q8, &rng, norm_widths[wi], m);
    }
}

static void check_rope(void) {
    bn_rng rng = {13};
    for (int isa = 1; isa < BN_ISA_COUNT; isa++) {
        if (!should_test_isa((bn_isa)isa) || TESTED_BEFORE(isa, rope_kv_f16)) continue;
        for (int s = 0; s < N_ROPE_SHAPES; s++)
            for (int style = 0; style <= 1; style++) {
                rope_check_variant(bn_isa_name((bn_isa)isa), table_of((bn_isa)isa)->rope_kv_f16, &rng, rope_shapes[s],
                                   1, 0, (bn_rope_style)style);
                rope_check_variant(bn_isa_name((bn_isa)isa), table_of((bn_isa)isa)->rope_kv_f16, &rng, rope_shapes[s],
                                   3, 41, (bn_rope_style)style);
            }
    }
}

static void attention_each_isa(void* ctx, const attention_case* c, const float* ref) {
    (void)ctx;
    for (int isa = 1; isa < BN_ISA_COUNT; isa++) { /* the reference itself is the expectation */
        if (!should_test_isa((bn_isa)isa) || TESTED_BEFORE(isa, attention_f16)) continue;
        attention_check_variant(bn_isa_name((bn_isa)isa), table_of((bn_isa)isa)->attention_f16, c, ref);
    }
}

static void check_attention(void) {
    bn_rng rng = {17};
    attention_for_each_case(&rng, attention_each_isa, NULL);
}

static void q8_0_each_isa(void* ctx, const uint8_t* w, const int8_t* xq, const float* scales, int32_t n, int32_t k,
                          int32_t m) {
    (void)ctx;
    for (int isa = 1; isa < BN_ISA_COUNT; isa++)
        if (should_test_isa((bn_isa)isa) && !TESTED_BEFORE(isa, matmul[BN_WTYPE_Q8_0][BN_ATYPE_Q8]))
            dense_int8_rows_check_variant(bn_isa_name((bn_isa)isa), BN_WTYPE_Q8_0,
                                          config_gemm((bn_isa)isa, BN_WTYPE_Q8_0, BN_ATYPE_Q8), w, xq, scales, n, k, m);
}

static void check_dense(void) {
    bn_rng rng = {19};
    for (int ni = 0; ni < N_DENSE_N; ni++)
        for (int mi = 0; mi < N_DENSE_M; mi++) {
            const int32_t n = dense_n[ni], m = dense_m[mi];
            for (int ki = 0; ki < N_DENSE_K_FLOAT; ki++)
                for (int ti = 0; ti < N_DENSE_FLOAT_TYPES; ti++) {
                    const int32_t k = dense_k_float[ki];
                    const bn_wtype wtype = dense_float_types[ti];
                    if (!dense_fits(wtype, k)) continue;
                    uint8_t* w = xmalloc((size_t)(n * dense_row_bytes(wtype, k)));
                    float* x = xmalloc((size_t)m * k * sizeof(float));
                    dense_float_case(&rng, wtype, n, k, m, w, x);
                    for (int isa = 1; isa < BN_ISA_COUNT; isa++)
                        if (should_test_isa((bn_isa)isa) && !TESTED_BEFORE(isa, matmul[wtype][BN_ATYPE_F32]))
                            dense_float_check_variant(bn_isa_name((bn_isa)isa), wtype,
                                                      config_gemm((bn_isa)isa, wtype, BN_ATYPE_F32), w, x, n, k, m);
                    if (wtype == BN_WTYPE_F32) { /* the same weights over int8 rows; the reference checks itself */
                        int8_t* xq = xmalloc((size_t)m * k);
                        float scales[8];
                        fill_int8(&rng, xq, (int64_t)m * k, -128, 127);
                        for (int32_t r = 0; r < m; r++) scales[r] = 0.01f + rng_uniform(&rng);
                        for (int isa = 0; isa < BN_ISA_COUNT; isa++)
                            if (should_test_isa((bn_isa)isa) && (isa == 0 || !TESTED_BEFORE(isa, matmul[wtype][BN_ATYPE_Q8])))
                                dense_int8_rows_check_variant(bn_isa_name((bn_isa)isa), wtype,
                                                              config_gemm((bn_isa)isa, wtype, BN_ATYPE_Q8), w, xq,
                                                              scales, n, k, m);
                        free(xq);
                    }
                    free(w);
                    free(x);
                }
        }
    dense_q8_for_each_case(&rng, q8_0_each_isa, NULL);
}

/* ---- public entry points: forced ISA, pools of several sizes, same results ------------------- */

static void check_public(void) {
    bn_rng rng = {23};
    bn_threadpool* pools[3] = {NULL, NULL, NULL};
    CHECK_STATUS(bn_threadpool_create(2, &pools[1]), BN_STATUS_OK);
    CHECK_STATUS(bn_threadpool_create(3, &pools[2]), BN_STATUS_OK);

    /* a prompt-sized batch for the norms (split over the pool) */
    const int32_t k = 2560, m = 9;
    const int64_t count = (int64_t)m * k;
    float* x = xmalloc((size_t)count * sizeof(float));
    for (int64_t i = 0; i < count; i++) x[i] = rng_normal(&rng);
    float* w = norm_weight(&rng, k);
    float* up = norm_weight(&rng, (int32_t)count);
    float* y = xmalloc((size_t)count * sizeof(float));
    float* y_ref = xmalloc((size_t)count * sizeof(float));
    float* h = xmalloc((size_t)count * sizeof(float));
    int8_t* q = xmalloc((size_t)count);
    int8_t* q_ref = xmalloc((size_t)count);
    float s[9], s_ref[9];
    int64_t at;
    /* one token of 2B-4T at position 70 (the group split kicks in), and a batch of 4 */
    attention_case att[2];
    float* att_ref[2];
    for (int c = 0; c < 2; c++) {
        attention_case_init(&att[c], &rng, attention_shapes[0], c == 0 ? 1 : 4, 70, 1.0f);
        att_ref[c] = attention_reference(&att[c]);
    }
    float* att_out = xmalloc((size_t)4 * 20 * 128 * sizeof(float));
    /* dense heads with n not a multiple of the row grain */
    const int32_t n = 1003, kk = 256, mm = 2;
    uint8_t* wf = xmalloc((size_t)n * kk * 2);
    float* xf = xmalloc((size_t)mm * kk * sizeof(float));
    float* yd = xmalloc((size_t)mm * n * sizeof(float));
    float* yd_ref = xmalloc((size_t)mm * n * sizeof(float));
    uint8_t* wq = xmalloc((size_t)n * kk / 32 * 34);
    int8_t* xq = xmalloc((size_t)mm * kk);
    float xs[2];
    uint8_t* w32 = xmalloc((size_t)n * kk * 4);
    dense_float_case(&rng, BN_WTYPE_F16, n, kk, mm, wf, xf);
    dense_q8_case(&rng, n, kk, mm, wq, xq, xs);
    dense_float_case(&rng, BN_WTYPE_F32, n, kk, mm, w32, xf);

    for (int isa = 0; isa < BN_ISA_COUNT; isa++) {
        if (!should_test_isa((bn_isa)isa)) continue;
        CHECK_STATUS(bn_set_isa((bn_isa)isa), BN_STATUS_OK);
        const bn_config* kern = table_of((bn_isa)isa);
        const char* name = bn_isa_name((bn_isa)isa);
        for (int pi = 0; pi < (isa == BN_ISA_REF ? 1 : 3); pi++) { /* the slow reference once, without pools */
            bn_threadpool* pool = pools[pi];
            CHECK_STATUS(bn_rmsnorm_f32(x, count, w, k, 1e-5f, m, k, y, count, pool), BN_STATUS_OK);
            kern->rmsnorm_f32(x, w, 1e-5f, k, 0, m, y_ref);
            CHECK(same_bits_f32(y, y_ref, count, &at), "public rmsnorm_f32 %s pool %d", name, pi);
            CHECK_STATUS(bn_rmsnorm_q8(x, count, w, k, 1e-5f, m, k, q, count, s, m, pool), BN_STATUS_OK);
            kern->rmsnorm_q8(x, w, 1e-5f, k, 0, m, q_ref, s_ref);
            CHECK(memcmp(q, q_ref, (size_t)count) == 0 && memcmp(s, s_ref, m * 4) == 0, "public rmsnorm_q8 %s pool %d",
                  name, pi);
            CHECK_STATUS(bn_rmsnorm_q4(x, count, w, k, 1e-5f, m, k, q, count, s, m, pool), BN_STATUS_OK);
            kern->rmsnorm_q4(x, w, 1e-5f, k, 0, m, q_ref, s_ref);
            CHECK(memcmp(q, q_ref, (size_t)count) == 0 && memcmp(s, s_ref, m * 4) == 0, "public rmsnorm_q4 %s pool %d",
                  name, pi);
            CHECK_STATUS(bn_glu_f32(x, count, up, count, BN_ACTIVATION_SILU, m, k, y, count, pool), BN_STATUS_OK);
            kern->glu_f32(x, up, BN_ACTIVATION_SILU, 0, count, y_ref);
            CHECK(same_bits_f32(y, y_ref, count, &at), "public glu_f32 %s pool %d", name, pi);
            memcpy(h, x, (size_t)count * sizeof(float));
            memcpy(y_ref, x, (size_t)count * sizeof(float));
            CHECK_STATUS(bn_glu_rmsnorm_q8(h, count, up, count, BN_ACTIVATION_RELU2, w, k, 1e-5f, m, k, q, count, s, m,
                                           pool),
                         BN_STATUS_OK);
            kern->glu_rmsnorm_q8(y_ref, up, BN_ACTIVATION_RELU2, w, 1e-5f, k, 0, m, q_ref, s_ref);
            CHECK(memcmp(q, q_ref, (size_t)count) == 0 && same_bits_f32(h, y_ref, count, &at),
                  "public glu_rmsnorm_q8 %s pool %d", name, pi);

            for (int c = 0; c < 2; c++) {
                const int64_t out_len = (int64_t)att[c].m * 20 * 128, rows = 70 + att[c].m;
                CHECK_STATUS(bn_attention_f16(att[c].q, out_len, att[c].k_cache, rows * 640, att[c].v_cache,
                                              rows * 640, att[c].m, 20, 5, 128, 70, att[c].scale, att_out, out_len,
                                              pool),
                             BN_STATUS_OK);
                attention_check_output(name, &att[c], att_ref[c], att_out, "public entry point");
            }

            CHECK_STATUS(bn_matmul(BN_WTYPE_F16, BN_ATYPE_F32, (bn_isa)isa, wf, (int64_t)n * kk * 2, 1.0f, xf, (int64_t)mm * kk, NULL, 0, NULL, 0, n, kk, mm, yd,
                                           (int64_t)mm * n, pool),
                         BN_STATUS_OK);
            bn_matmul_args da = {.w = wf, .row_bytes = 2 * kk, .x = xf, .n = n, .k = kk, .m = mm, .y = yd_ref};
            kern->matmul[BN_WTYPE_F16][BN_ATYPE_F32].gemm(&da, 0, n);
            CHECK(same_bits_f32(yd, yd_ref, (int64_t)mm * n, &at), "public matmul_f16_f32 %s pool %d", name, pi);
            CHECK_STATUS(bn_matmul(BN_WTYPE_Q8_0, BN_ATYPE_Q8, (bn_isa)isa, wq, (int64_t)n * kk / 32 * 34, 1.0f, NULL, 0, xq, (int64_t)mm * kk, xs, mm, n, kk, mm, yd,
                                           (int64_t)mm * n, pool),
                         BN_STATUS_OK);
            bn_matmul_args qa = {.w = wq, .row_bytes = kk / 32 * 34, .xq = xq, .x_scales = xs, .n = n, .k = kk,
                                .m = mm, .y = yd_ref};
            kern->matmul[BN_WTYPE_Q8_0][BN_ATYPE_Q8].gemm(&qa, 0, n);
            CHECK(same_bits_f32(yd, yd_ref, (int64_t)mm * n, &at), "public matmul_q8_0_q8 %s pool %d", name, pi);
            /* f32 weights over the same int8 rows, with a w_scale the entry point applies after the kernel */
            CHECK_STATUS(bn_matmul(BN_WTYPE_F32, BN_ATYPE_Q8, (bn_isa)isa, w32, (int64_t)n * kk * 4, 0.75f, NULL, 0, xq,
                                   (int64_t)mm * kk, xs, mm, n, kk, mm, yd, (int64_t)mm * n, pool),
                         BN_STATUS_OK);
            bn_matmul_args fa = {.w = w32, .row_bytes = 4 * kk, .xq = xq, .x_scales = xs, .n = n, .k = kk, .m = mm,
                                 .y = yd_ref};
            kern->matmul[BN_WTYPE_F32][BN_ATYPE_Q8].gemm(&fa, 0, n);
            for (int64_t i = 0; i < (int64_t)mm * n; i++) yd_ref[i] *= 0.75f;
            CHECK(same_bits_f32(yd, yd_ref, (int64_t)mm * n, &at), "public matmul_f32_q8 %s pool %d", name, pi);
        }
    }
    bn_set_isa(BN_ISA_REF);
    bn_threadpool_free(pools[1]);
    bn_threadpool_free(pools[2]);
    free(x); free(w); free(up); free(y); free(y_ref); free(h); free(q); free(q_ref); free(att_out);
    for (int c = 0; c < 2; c++) {
        free(att_ref[c]);
        attention_case_free(&att[c]);
    }
    free(wf); free(xf); free(yd); free(yd_ref); free(wq); free(xq); free(w32);
}

/* ---- argument checks ------------------------------------------------------------------------- */

static void check_bad_arguments(void) {
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, w[4] = {1, 1, 1, 1}, y[8], s[2];
    int8_t q[8];
    CHECK_STATUS(bn_rmsnorm_f32(x, 8, w, 4, 1e-5f, 2, 4, y, 8, NULL), BN_STATUS_OK);
    CHECK_STATUS(bn_rmsnorm_f32(x, 7, w, 4, 1e-5f, 2, 4, y, 8, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_rmsnorm_f32(x, 8, w, 3, 1e-5f, 2, 4, y, 8, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_rmsnorm_f32(x, 8, w, 4, 0.0f, 2, 4, y, 8, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_rmsnorm_f32(x, 8, w, 4, NAN, 2, 4, y, 8, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_rmsnorm_f32(x, 8, w, 4, 1e-5f, 2, 0, y, 8, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_rmsnorm_q8(x, 8, w, 4, 1e-5f, 2, 4, q, 8, s, 1, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_rmsnorm_q4(x, 8, w, 4, 1e-5f, 2, 4, NULL, 8, s, 2, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_rmsnorm_q8(x, 0, w, 4, 1e-5f, 0, 4, q, 0, s, 0, NULL), BN_STATUS_OK); /* no rows */
    x[6] = INFINITY;
    CHECK_STATUS(bn_rmsnorm_q8(x, 8, w, 4, 1e-5f, 2, 4, q, 8, s, 2, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(bn_last_error(), "row 1") != NULL, "error names the row: %s", bn_last_error());
    x[6] = 7.0f;
    CHECK_STATUS(bn_glu_f32(x, 8, x, 8, (bn_activation)2, 2, 4, y, 8, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_glu_f32(x, 8, x, 8, BN_ACTIVATION_SILU, 2, 4, y, 7, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_glu_rmsnorm_q8(y, 8, x, 8, BN_ACTIVATION_RELU2, w, 4, 1e-5f, 2, 4, q, 8, s, 2, NULL), BN_STATUS_OK);
    CHECK_STATUS(bn_glu_rmsnorm_q8(y, 8, x, 4, BN_ACTIVATION_RELU2, w, 4, 1e-5f, 2, 4, q, 8, s, 2, NULL),
                 BN_STATUS_INVALID_ARGUMENT);

    float table[8];
    CHECK_STATUS(bn_rope_table(0, 2, 4, 10000.0f, table, 8), BN_STATUS_OK);
    CHECK_STATUS(bn_rope_table(0, 2, 3, 10000.0f, table, 8), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_rope_table(0, 2, 4, 1.0f, table, 8), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_rope_table(-1, 2, 4, 10000.0f, table, 8), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_rope_table(0, 3, 4, 10000.0f, table, 8), BN_STATUS_INVALID_ARGUMENT);

    /* rope: 2 heads of 4 over 1 KV head, one token at position 2 of a 3-row cache */
    float qq[8] = {0}, kk[4] = {0}, vv[4] = {0};
    uint16_t kc[12], vc[12];
    CHECK_STATUS(bn_rope_kv_f16(qq, 8, kk, 4, vv, 4, table, 4, 1, 2, 1, 4, 4, BN_ROPE_NEOX, 2, kc, 12, vc, 12, NULL),
                 BN_STATUS_OK);
    CHECK_STATUS(bn_rope_kv_f16(qq, 8, kk, 4, vv, 4, table, 4, 1, 2, 1, 4, 4, BN_ROPE_NEOX, 3, kc, 12, vc, 12, NULL),
                 BN_STATUS_INVALID_ARGUMENT); /* row 3 is past the cache */
    CHECK_STATUS(bn_rope_kv_f16(qq, 8, kk, 4, vv, 4, table, 4, 1, 2, 1, 4, 6, BN_ROPE_NEOX, 2, kc, 12, vc, 12, NULL),
                 BN_STATUS_INVALID_ARGUMENT); /* rope_dims > head_dim */
    CHECK_STATUS(bn_rope_kv_f16(qq, 8, kk, 4, vv, 4, table, 4, 1, 3, 2, 4, 4, BN_ROPE_NEOX, 2, kc, 12, vc, 12, NULL),
                 BN_STATUS_INVALID_ARGUMENT); /* 2 KV heads do not divide 3 */
    CHECK_STATUS(
        bn_rope_kv_f16(qq, 8, kk, 4, vv, 4, table, 4, 1, 2, 1, 4, 4, (bn_rope_style)7, 2, kc, 12, vc, 12, NULL),
        BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_rope_kv_f16(qq, 8, kk, 4, vv, 4, table, 3, 1, 2, 1, 4, 4, BN_ROPE_NEOX, 2, kc, 12, vc, 12, NULL),
                 BN_STATUS_INVALID_ARGUMENT); /* short table */

    CHECK_STATUS(bn_attention_f16(qq, 8, kc, 12, vc, 12, 1, 2, 1, 4, 2, 0.5f, y, 8, NULL), BN_STATUS_OK);
    CHECK_STATUS(bn_attention_f16(qq, 8, kc, 12, vc, 11, 1, 2, 1, 4, 2, 0.5f, y, 8, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_attention_f16(qq, 8, kc, 12, vc, 12, 1, 2, 1, 4, 2, INFINITY, y, 8, NULL),
                 BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_attention_f16(qq, 8, kc, 12, vc, 12, 1, 2, 1, 4, -1, 0.5f, y, 8, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_attention_f16(qq, 8, kc, 12, vc, 12, 1, 1, 1, 1024, 2, 0.5f, y, 8, NULL),
                 BN_STATUS_INVALID_ARGUMENT);

    /* the dense types through bn_matmul: sizes in bytes, w_scale applied after the kernel */
    uint8_t wf[16] = {0};
    const uint16_t one = bn_fp32_to_fp16(1.0f);
    for (int i = 0; i < 8; i++) memcpy(wf + 2 * i, &one, 2);
    float xf[4] = {1, 2, 3, 4};
#define F16(w_len, scale, x_len, m, y_len)                                                                             \
    bn_matmul(BN_WTYPE_F16, BN_ATYPE_F32, BN_ISA_REF, wf, w_len, scale, xf, x_len, NULL, 0, NULL, 0, 2, 4, m, y, y_len, NULL)
    CHECK_STATUS(F16(16, 1.0f, 4, 1, 2), BN_STATUS_OK);
    CHECK(y[0] == 10.0f && y[1] == 10.0f, "f16 matmul of ones: %g %g", (double)y[0], (double)y[1]);
    CHECK_STATUS(F16(16, 0.5f, 4, 1, 2), BN_STATUS_OK);
    CHECK(y[0] == 5.0f && y[1] == 5.0f, "f16 matmul times w_scale 0.5: %g", (double)y[0]);
    CHECK_STATUS(F16(15, 1.0f, 4, 1, 2), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(F16(16, 1.0f, 4, 1, 1), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(F16(16, 1.0f, 3, 1, 2), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(F16(16, 1.0f, 4, -1, 2), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(F16(16, NAN, 4, 1, 2), BN_STATUS_INVALID_ARGUMENT);
#undef F16
    uint8_t wq[68] = {0};
    int8_t xq[32] = {0};
    float xs = 1.0f;
#define Q8_0(w_len, k) bn_matmul(BN_WTYPE_Q8_0, BN_ATYPE_Q8, BN_ISA_REF, wq, w_len, 1.0f, NULL, 0, xq, 32, &xs, 1, 2, k, 1, y, 2, NULL)
    CHECK_STATUS(Q8_0(68, 32), BN_STATUS_OK);
    CHECK_STATUS(Q8_0(67, 32), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(Q8_0(68, 16), BN_STATUS_SHAPE_MISMATCH);
    xs = NAN;
    CHECK_STATUS(Q8_0(68, 32), BN_STATUS_INVALID_ARGUMENT);
#undef Q8_0
    /* f32 weights over int8 rows: ones times {1, 2, 3, 4} at x_scale 0.5, then w_scale */
    float w32[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    int8_t xq4[4] = {1, 2, 3, 4};
    xs = 0.5f;
#define F32_Q8(atype, scale, xs_len)                                                                                   \
    bn_matmul(BN_WTYPE_F32, atype, BN_ISA_REF, (const uint8_t*)w32, 32, scale, NULL, 0, xq4, 4, &xs, xs_len, 2, 4, 1, y, \
              2, NULL)
    CHECK_STATUS(F32_Q8(BN_ATYPE_Q8, 1.0f, 1), BN_STATUS_OK);
    CHECK(y[0] == 5.0f && y[1] == 5.0f, "f32 x q8 matmul of ones: %g %g", (double)y[0], (double)y[1]);
    CHECK_STATUS(F32_Q8(BN_ATYPE_Q8, 2.0f, 1), BN_STATUS_OK);
    CHECK(y[0] == 10.0f && y[1] == 10.0f, "f32 x q8 matmul times w_scale 2: %g", (double)y[0]);
    CHECK_STATUS(F32_Q8(BN_ATYPE_Q8, 1.0f, 0), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(F32_Q8(BN_ATYPE_Q4, 1.0f, 1), BN_STATUS_UNSUPPORTED); /* q4 rows are for the ternary types */
#undef F32_Q8
}

int main(void) {
    check_exp_spec();
    check_norm_formula();
    check_glu_formula();
    check_rope_table();
    check_attention_formula();
    check_norms();
    check_rope();
    check_attention();
    check_dense();
    check_public();
    check_bad_arguments();
    return test_summary("test_decode");
}
