/* Activation quantization: every ISA's q8 and q4 kernels against the scalar reference, bit for bit,
 * on awkward widths and extreme rows; the reference itself against the defining formula. */
#include "quantize_cases.h"

static void check_reference_formula(void) {
    /* q8: the largest magnitude maps to +-127, zero rows use the epsilon scale. */
    float x[5] = {0.5f, -2.0f, 1.0f, 0.0f, 0.25f};
    int8_t q[5];
    float d;
    bn_quantize_q8__ref(x, 5, 0, 1, q, &d);
    CHECK(q[1] == -127 && q[0] == 32 && q[2] == 64 && q[3] == 0 && q[4] == 16,
          "q8 ref: %d %d %d %d %d (s = 63.5: 31.75 -> 32, 63.5 -> 64 half-even, 15.875 -> 16)", q[0], q[1], q[2], q[3],
          q[4]);
    CHECK(d == 2.0f / 127.0f, "q8 ref scale %g", (double)d);
    float z[3] = {0, 0, 0};
    bn_quantize_q8__ref(z, 3, 0, 1, q, &d);
    CHECK(d == 1e-5f / 127.0f && q[0] == 0, "q8 zero row scale %g", (double)d);
    /* q4: mean|x| = 21 / 8 = 2.625 -> s = sqrt(7) / 2.625 = 1.0079; 0.5 -> 0.504 -> 1; 10 -> 10.08 -> clamp 7;
     * -10 -> clamp -8. */
    float y[8] = {0.5f, 0, 0, 10.0f, -10.0f, 0, 0, -0.5f};
    int8_t q4[8];
    bn_quantize_q4__ref(y, 8, 0, 1, q4, &d);
    CHECK(q4[0] == 1 && q4[3] == 7 && q4[4] == -8 && q4[7] == -1 && q4[1] == 0, "q4 ref: %d %d %d %d", q4[0], q4[3],
          q4[4], q4[7]);
    CHECK(fabsf(d - 2.625f / 2.6457513f) < 1e-6f, "q4 ref scale %g", (double)d);
}

static void check_variants(void) {
    bn_rng rng = {7};
    for (int isa = 0; isa < BN_ISA_COUNT; isa++) {
        if (!should_test_isa((bn_isa)isa)) continue;
        const bn_config* kern = bn_config_for_isa((bn_isa)isa);
        for (int wi = 0; wi < N_Q_WIDTHS; wi++)
            for (int ri = 0; ri < N_Q_ROWS; ri++)
                for (int kind = 0; kind < FILL_COUNT; kind++) {
                    int32_t k = q_widths[wi], m = q_rows[ri];
                    int64_t count = (int64_t)m * k;
                    float* x = quantize_case_input(&rng, k, m, kind);
                    int8_t *q_ref = xmalloc((size_t)count), *q_var = xmalloc((size_t)count);
                    float s_ref[Q_MAX_ROWS], s_var[Q_MAX_ROWS];
                    for (int bits = 8; bits >= 4; bits -= 4) {
                        quantize_check_variant(bits == 8 ? bn_quantize_q8__ref : bn_quantize_q4__ref,
                                               bits == 8 ? kern->quantize_q8 : kern->quantize_q4, bits,
                                               bn_isa_name((bn_isa)isa), x, k, m, kind, q_ref, s_ref);
                        /* The public entry point with this ISA forced and a pool gives the same bits. */
                        CHECK_STATUS(bn_set_isa((bn_isa)isa), BN_STATUS_OK);
                        bn_threadpool* pool = NULL;
                        CHECK_STATUS(bn_threadpool_create(2, &pool), BN_STATUS_OK);
                        memset(q_var, 0x5a, (size_t)count);
                        bn_status st = bits == 8 ? bn_quantize_q8(x, count, m, k, q_var, count, s_var, m, pool)
                                                 : bn_quantize_q4(x, count, m, k, q_var, count, s_var, m, pool);
                        CHECK(st == BN_STATUS_OK, "public q%d: %s", bits, bn_last_error());
                        CHECK(memcmp(q_var, q_ref, (size_t)count) == 0 && memcmp(s_var, s_ref, (size_t)m * 4) == 0,
                              "public q%d %s k=%d m=%d differs from the reference", bits, bn_isa_name((bn_isa)isa), k,
                              m);
                        bn_threadpool_free(pool);
                    }
                    free(x); free(q_ref); free(q_var);
                }
    }
    bn_set_isa(BN_ISA_REF);
}

static void check_bad_arguments(void) {
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int8_t q[8];
    float s[2];
    CHECK_STATUS(bn_quantize_q8(x, 8, 2, 4, q, 8, s, 2, NULL), BN_STATUS_OK);
    CHECK_STATUS(bn_quantize_q8(x, 7, 2, 4, q, 8, s, 2, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_quantize_q8(x, 8, 2, 4, q, 7, s, 2, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_quantize_q8(x, 8, 2, 4, q, 8, s, 1, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_quantize_q4(x, 8, -1, 4, q, 8, s, 2, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_quantize_q4(NULL, 8, 2, 4, q, 8, s, 2, NULL), BN_STATUS_INVALID_ARGUMENT);
    x[3] = NAN;
    CHECK_STATUS(bn_quantize_q8(x, 8, 2, 4, q, 8, s, 2, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(bn_last_error(), "x[3]") != NULL, "error names the element: %s", bn_last_error());
    x[3] = -INFINITY;
    CHECK_STATUS(bn_quantize_q4(x, 8, 2, 4, q, 8, s, 2, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_quantize_q8(x, 0, 0, 4, q, 0, s, 0, NULL), BN_STATUS_OK); /* zero rows is a no-op */
}

int main(void) {
    check_reference_formula();
    check_variants();
    check_bad_arguments();
    return test_summary("test_quantize");
}
