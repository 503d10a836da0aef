/* Ternary matmul (I2S and TQ2_0 x q8 / q4): the reference against an independent computation from
 * unpacked weights, then every ISA's kernel and bn_matmul (with and without a pool) against the
 * reference, bit for bit, on edge-case shapes and values; then every bad argument of bn_matmul. */
#include "matmul_cases.h"

static void run_case(bn_wtype wtype, shape s, int act_kind, int scale_case, bn_rng* rng, bn_threadpool* pool) {
    const int32_t n = s.n, k = s.k, m = s.m;
    const int is_i2s = wtype == BN_WTYPE_I2S;
    matmul_case c;
    matmul_case_init(&c, wtype, s, act_kind, scale_case, rng);
    const float w_scale = c.args.w_scale;
    const int64_t n_blocks = (int64_t)k / 256;

    /* The reference against the definition, from unpacked weights (exact integers, then the same epilogue). */
    for (int32_t i = 0; i < n; i++)
        for (int32_t r = 0; r < m; r++) {
            const int8_t* wr = c.wq + (int64_t)i * k;
            const int8_t* xr = c.x + (int64_t)r * k;
            float expect;
            if (is_i2s) {
                int64_t dot = 0;
                for (int32_t j = 0; j < k; j++) dot += wr[j] * xr[j];
                expect = (float)dot * (c.x_scales[r] * w_scale);
            } else {
                float d = bn_fp16_to_fp32(bn_fp32_to_fp16(tq2_row_scale(i))), sum = 0.0f;
                for (int64_t b = 0; b < n_blocks; b++) {
                    int64_t dot = 0;
                    for (int32_t j = 0; j < 256; j++) dot += wr[b * 256 + j] * xr[b * 256 + j];
                    sum += (float)dot * d;
                }
                expect = sum * (c.x_scales[r] * w_scale);
            }
            float got = c.y_ref[(int64_t)r * n + i];
            if (!same_float_bits(expect, got)) {
                CHECK(0, "ref %s n=%d k=%d m=%d act=%d: y[%d,%d] = %a, definition gives %a", is_i2s ? "i2s" : "tq2", n,
                      k, m, act_kind, r, i, (double)got, (double)expect);
                goto done;
            }
        }

    float* y_var = xmalloc((size_t)m * (size_t)n * sizeof(float));
    for (int isa = 0; isa < BN_ISA_COUNT; isa++) {
        if (!should_test_isa((bn_isa)isa)) continue;
        const bn_config* config = bn_config_for_isa((bn_isa)isa);
        matmul_check_variant(&c, config->matmul[wtype][BN_ATYPE_Q8].gemm, bn_isa_name((bn_isa)isa));
        if (config->matmul[wtype][BN_ATYPE_Q8].gemv != config->matmul[wtype][BN_ATYPE_Q8].gemm && m == 1)
            matmul_check_variant(&c, config->matmul[wtype][BN_ATYPE_Q8].gemv, bn_isa_name((bn_isa)isa));
        /* bn_matmul with this ISA on the pool; int4 rows take the same path with the same bits. */
        for (int atype = BN_ATYPE_Q8; atype <= BN_ATYPE_Q4; atype++) {
            if (atype == BN_ATYPE_Q4 && act_kind != ACT_Q4) continue;
            memset(y_var, 0xcd, (size_t)m * (size_t)n * sizeof(float));
            bn_status st = bn_matmul(wtype, (bn_atype)atype, (bn_isa)isa, c.w, c.w_bytes, w_scale, NULL, 0, c.x,
                                     (int64_t)m * k, c.x_scales, m, n, k, m, y_var, (int64_t)m * n, pool);
            CHECK(st == BN_STATUS_OK, "bn_matmul: %s", bn_last_error());
            CHECK(memcmp(c.y_ref, y_var, (size_t)m * (size_t)n * sizeof(float)) == 0,
                  "bn_matmul %s x %s %s n=%d k=%d m=%d threads=%d differs from the reference", bn_wtype_name(wtype),
                  atype == BN_ATYPE_Q8 ? "q8" : "q4", bn_isa_name((bn_isa)isa), n, k, m, bn_threadpool_size(pool));
        }
    }
    free(y_var);
done:
    matmul_case_free(&c);
}

static void check_shapes(void) {
    bn_rng rng = {1234};
    bn_threadpool *pool2 = NULL, *pool3 = NULL;
    CHECK_STATUS(bn_threadpool_create(2, &pool2), BN_STATUS_OK);
    CHECK_STATUS(bn_threadpool_create(3, &pool3), BN_STATUS_OK);
    for (int s = 0; s < N_I2S_SHAPES; s++)
        for (int act = 0; act < ACT_COUNT; act++)
            run_case(BN_WTYPE_I2S, i2s_shapes[s], act, (s + act) % N_SCALE_CASES, &rng,
                     act & 1 ? pool3 : (act ? pool2 : NULL));
    for (int s = 0; s < N_TQ2_SHAPES; s++)
        for (int act = 0; act < ACT_COUNT; act++)
            run_case(BN_WTYPE_TQ2, tq2_shapes[s], act, (s + act) % N_SCALE_CASES, &rng,
                     act & 1 ? pool2 : (act ? pool3 : NULL));
    bn_threadpool_free(pool2);
    bn_threadpool_free(pool3);
}

/* Corrupt weights (code 3 = +2) give the reference's results in every variant. */
static void check_code3(void) {
    bn_rng rng = {99};
    for (int isa = 0; isa < BN_ISA_COUNT; isa++) {
        if (!should_test_isa((bn_isa)isa)) continue;
        matmul_check_code3(BN_WTYPE_I2S, config_gemm((bn_isa)isa, BN_WTYPE_I2S, BN_ATYPE_Q8), bn_isa_name((bn_isa)isa),
                           &rng);
        matmul_check_code3(BN_WTYPE_TQ2, config_gemm((bn_isa)isa, BN_WTYPE_TQ2, BN_ATYPE_Q8), bn_isa_name((bn_isa)isa),
                           &rng);
    }
}

/* Code 3 never comes out of bn_pack, but a corrupt or hostile file can hold it; the reference reads
 * it as w = +2 and every variant must agree bit for bit. It is also the worst case for narrow
 * accumulators: all-3 rows against -128 activations give products of -384 (the bound the int16
 * paths are sized for). Raw random bytes cover every code; TQ2 block scales are set to finite fp16. */
static void check_raw_codes(void) {
    static const shape shapes[] = {{9, 6912, 1}, {5, 2560, 3}, {6, 1280, 5}, {4, 33280, 1}};
    bn_rng rng = {99};
    for (int wt = 0; wt < 2; wt++) {
        const bn_wtype wtype = wt == 0 ? BN_WTYPE_I2S : BN_WTYPE_TQ2;
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            for (int act = 0; act < 2; act++) {
                const int32_t n = shapes[s].n, k = shapes[s].k, m = shapes[s].m;
                int64_t w_bytes;
                CHECK_STATUS(bn_wtype_bytes(wtype, n, k, &w_bytes), BN_STATUS_OK);
                const int64_t row_bytes = w_bytes / n;
                uint8_t* w = xmalloc((size_t)w_bytes);
                int8_t* x = xmalloc((size_t)m * (size_t)k);
                float x_scales[8];
                float* y_ref = xmalloc((size_t)m * (size_t)n * sizeof(float));
                float* y_var = xmalloc((size_t)m * (size_t)n * sizeof(float));
                for (int32_t i = 0; i < n; i++)
                    for (int64_t j = 0; j < row_bytes; j++)
                        w[i * row_bytes + j] = (uint8_t)(i % 3 == 0 ? 0xff : rng_int(&rng, 0, 255));
                if (wtype == BN_WTYPE_TQ2)
                    for (int64_t b = 0; b < w_bytes / BN_TQ2_BLOCK_BYTES; b++) {
                        uint16_t h = bn_fp32_to_fp16(0.25f + (float)rng_int(&rng, 0, 100) * 0.01f);
                        w[b * BN_TQ2_BLOCK_BYTES + 64] = (uint8_t)(h & 0xff);
                        w[b * BN_TQ2_BLOCK_BYTES + 65] = (uint8_t)(h >> 8);
                    }
                fill_activations(&rng, x, (int64_t)m * k, act == 0 ? ACT_MIN : ACT_RANDOM);
                for (int32_t r = 0; r < m; r++) x_scales[r] = 0.01f * (float)(r + 1);
                bn_matmul_args args = {.w = w, .row_bytes = row_bytes, .w_scale = 0.5f, .xq = x, .x_scales = x_scales,
                                       .n = n, .k = k, .m = m, .y = y_ref};
                (wtype == BN_WTYPE_I2S ? bn_matmul_i2s_q8__ref : bn_matmul_tq2_q8__ref)(&args, 0, n);
                if (act == 0 && wtype == BN_WTYPE_I2S)
                    CHECK(y_ref[0] == (float)(-2 * 128 * k) * (0.01f * 0.5f), "ref reads code 3 as +2: %a",
                          (double)y_ref[0]);
                for (int isa = 0; isa < BN_ISA_COUNT; isa++) {
                    if (!should_test_isa((bn_isa)isa)) continue;
                    memset(y_var, 0xcd, (size_t)m * (size_t)n * sizeof(float));
                    args.y = y_var;
                    config_gemm((bn_isa)isa, wtype, BN_ATYPE_Q8)(&args, 0, n);
                    args.y = y_ref;
                    for (int64_t e = 0; e < (int64_t)m * n; e++)
                        if (!same_float_bits(y_ref[e], y_var[e])) {
                            CHECK(0, "raw codes %s %s n=%d k=%d m=%d act=%d: y[%lld] = %a, ref %a",
                                  wtype == BN_WTYPE_I2S ? "i2s" : "tq2", bn_isa_name((bn_isa)isa), n, k, m, act,
                                  (long long)e, (double)y_var[e], (double)y_ref[e]);
                            break;
                        }
                }
                free(w); free(x); free(y_ref); free(y_var);
            }
    }
}

/* bn_matmul(wtype, q8, ref, ...) with the given buffers, on the calling thread. */
static bn_status mm(bn_wtype wtype, const uint8_t* w, int64_t w_len, float w_scale, const int8_t* x, int64_t x_len,
                    const float* xs, int64_t xs_len, int32_t n, int32_t k, int32_t m, float* y, int64_t y_len) {
    return bn_matmul(wtype, BN_ATYPE_Q8, BN_ISA_REF, w, w_len, w_scale, NULL, 0, x, x_len, xs, xs_len, n, k, m, y, y_len,
                     NULL);
}

static void check_bad_arguments(void) {
    uint8_t w[66 * 4] = {0};
    int8_t x[512] = {0};
    float xs[2] = {1, 1}, y[8];
    /* I2S: 2 rows of k = 256 need 128 bytes. */
    CHECK_STATUS(mm(BN_WTYPE_I2S, w, 128, 1.0f, x, 256, xs, 1, 2, 256, 1, y, 2), BN_STATUS_OK);
    CHECK_STATUS(mm(BN_WTYPE_I2S, w, 127, 1.0f, x, 256, xs, 1, 2, 256, 1, y, 2), BN_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(bn_last_error(), "w_len 127") != NULL, "message names w_len: %s", bn_last_error());
    CHECK_STATUS(mm(BN_WTYPE_I2S, w, 128, 1.0f, x, 255, xs, 1, 2, 256, 1, y, 2), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(mm(BN_WTYPE_I2S, w, 128, 1.0f, x, 256, xs, 0, 2, 256, 1, y, 2), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(mm(BN_WTYPE_I2S, w, 128, 1.0f, x, 256, xs, 1, 2, 256, 1, y, 1), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(mm(BN_WTYPE_I2S, w, 128, 1.0f, x, 256, xs, 1, 2, 200, 1, y, 2), BN_STATUS_SHAPE_MISMATCH);
    CHECK_STATUS(mm(BN_WTYPE_I2S, w, 128, 1.0f, x, 256, xs, 1, -2, 256, 1, y, 2), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(mm(BN_WTYPE_I2S, w, 128, NAN, x, 256, xs, 1, 2, 256, 1, y, 2), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(mm(BN_WTYPE_I2S, w, 128, 1.0f, x, 256, xs, 1, 2, 1 << 23, 1, y, 2), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(mm(BN_WTYPE_I2S, NULL, 128, 1.0f, x, 256, xs, 1, 2, 256, 1, y, 2), BN_STATUS_INVALID_ARGUMENT);
    xs[1] = INFINITY;
    CHECK_STATUS(mm(BN_WTYPE_I2S, w, 128, 1.0f, x, 512, xs, 2, 2, 256, 2, y, 4), BN_STATUS_INVALID_ARGUMENT);
    xs[1] = 1;
    /* TQ2: rows of k = 256 are one 66-byte block; k = 128 cannot be held. */
    CHECK_STATUS(mm(BN_WTYPE_TQ2, w, 264, 1.0f, x, 256, xs, 1, 4, 256, 1, y, 4), BN_STATUS_OK);
    CHECK_STATUS(mm(BN_WTYPE_TQ2, w, 263, 1.0f, x, 256, xs, 1, 4, 256, 1, y, 4), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(mm(BN_WTYPE_TQ2, w, 264, 1.0f, x, 256, xs, 1, 4, 128, 1, y, 4), BN_STATUS_SHAPE_MISMATCH);
    CHECK(strstr(bn_last_error(), "k=128") != NULL, "message names k: %s", bn_last_error());
    /* Types, activation types and ISAs without a kernel, named in the message. */
    CHECK_STATUS(mm(BN_WTYPE_TQ1, w, 216, 1.0f, x, 256, xs, 1, 4, 256, 1, y, 4), BN_STATUS_UNSUPPORTED);
    CHECK(strstr(bn_last_error(), "tq1") != NULL, "message names the type: %s", bn_last_error());
    CHECK_STATUS(bn_matmul(BN_WTYPE_I2S, BN_ATYPE_F32, BN_ISA_REF, w, 128, 1.0f, (const float*)x, 256, NULL, 0, NULL, 0,
                           2, 256, 1, y, 2, NULL),
                 BN_STATUS_UNSUPPORTED);
    CHECK_STATUS(mm((bn_wtype)BN_WTYPE_COUNT, w, 128, 1.0f, x, 256, xs, 1, 2, 256, 1, y, 2), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_matmul(BN_WTYPE_I2S, (bn_atype)7, BN_ISA_REF, w, 128, 1.0f, NULL, 0, x, 256, xs, 1, 2, 256, 1, y, 2,
                           NULL),
                 BN_STATUS_INVALID_ARGUMENT);
    for (int isa = 0; isa <= BN_ISA_COUNT; isa++) {
        if (bn_isa_supported((bn_isa)isa)) continue;
        CHECK_STATUS(bn_matmul(BN_WTYPE_I2S, BN_ATYPE_Q8, (bn_isa)isa, w, 128, 1.0f, NULL, 0, x, 256, xs, 1, 2, 256, 1,
                               y, 2, NULL),
                     BN_STATUS_UNSUPPORTED);
        CHECK(bn_matmul_supported(BN_WTYPE_I2S, BN_ATYPE_Q8, (bn_isa)isa) == 0, "isa %d reported supported", isa);
    }
    CHECK(bn_matmul_supported(BN_WTYPE_I2S, BN_ATYPE_Q8, BN_ISA_REF) == 1 &&
              bn_matmul_supported(BN_WTYPE_TQ1, BN_ATYPE_Q8, BN_ISA_REF) == 0 &&
              bn_matmul_supported(BN_WTYPE_F16, BN_ATYPE_F32, BN_ISA_REF) == 1 &&
              bn_matmul_supported(BN_WTYPE_F16, BN_ATYPE_Q8, BN_ISA_REF) == 0,
          "bn_matmul_supported on the reference");
    /* q4 rows out of range, for a type without tables (checked up front) */
    int8_t x4[256] = {0};
    x4[200] = 9;
    CHECK_STATUS(bn_matmul(BN_WTYPE_I2S, BN_ATYPE_Q4, BN_ISA_REF, w, 128, 1.0f, NULL, 0, x4, 256, xs, 1, 2, 256, 1, y, 2,
                           NULL),
                 BN_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(bn_last_error(), "xq[200] = 9") != NULL, "message names the value: %s", bn_last_error());
}

int main(void) {
    check_shapes();
    check_code3();
    check_raw_codes();
    check_bad_arguments();
    return test_summary("test_matmul");
}
