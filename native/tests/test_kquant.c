/* ggml's 4-bit, k-quant and 2-bit weights (Q4_0, Q4_K, Q5_K, Q6_K, Q2_0, Q1_0) x int8 rows: the layout helpers against
 * ggml's own dequantization loops, the reference against the exact value, every ISA's kernel against
 * the reference bit for bit on awkward shapes and extreme values, the public entry point with pools,
 * and its argument checks. */
#include "kquant_cases.h"

#include <stddef.h>

/* ---- the layouts: bn_kquants.h's per-weight codes against ggml's dequantize_row_* loop structure ---- */

/* Dequantizes one block the way ggml-quants.c walks it (chunks, shifts and masks as written there),
 * giving value / d for Q4_0 and Q6_K and the pair (scale * code, min) for the k-quants with d = dmin = 1. */
static void ggml_style_q6_k(const uint8_t* x, float* y) {
    const uint8_t* ql = x;
    const uint8_t* qh = x + 128;
    const int8_t* sc = (const int8_t*)(x + 192);
    for (int n = 0; n < 256; n += 128) {
        for (int l = 0; l < 32; ++l) {
            const int is = l / 16;
            const int q1 = ((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = ((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[n + l + 0] = (float)(sc[is + 0] * q1);
            y[n + l + 32] = (float)(sc[is + 2] * q2);
            y[n + l + 64] = (float)(sc[is + 4] * q3);
            y[n + l + 96] = (float)(sc[is + 6] * q4);
        }
        ql += 64;
        qh += 32;
        sc += 8;
    }
}

static void ggml_get_scale_min_k4(int j, const uint8_t* q, int* d, int* m) {
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
    }
}

/* Q4_K (qh NULL) or Q5_K: y = sc * code, mins[j] = m of weight j. */
static void ggml_style_k4(const uint8_t* x, int five_bits, float* y, float* mins) {
    const uint8_t* ql = x + (five_bits ? 48 : 16);
    const uint8_t* qh = x + 16;
    int is = 0, u1 = 1, u2 = 2;
    for (int j = 0; j < 256; j += 64) {
        int sc1, m1, sc2, m2;
        ggml_get_scale_min_k4(is + 0, x + 4, &sc1, &m1);
        ggml_get_scale_min_k4(is + 1, x + 4, &sc2, &m2);
        for (int l = 0; l < 32; ++l) {
            const int h1 = five_bits && (qh[l] & u1) ? 16 : 0, h2 = five_bits && (qh[l] & u2) ? 16 : 0;
            y[j + l] = (float)(sc1 * ((ql[l] & 0xF) + h1));
            mins[j + l] = (float)m1;
            y[j + 32 + l] = (float)(sc2 * ((ql[l] >> 4) + h2));
            mins[j + 32 + l] = (float)m2;
        }
        ql += 32;
        is += 2;
        u1 <<= 2;
        u2 <<= 2;
    }
}

static void check_layouts(void) {
    bn_rng rng = {41};
    uint8_t block[256];
    float y[256], mins[256];
    for (int trial = 0; trial < 200; trial++) {
        for (int i = 0; i < 256; i++) block[i] = (uint8_t)rng_next(&rng);
        int bad = -1;
        ggml_style_q6_k(block, y);
        for (int j = 0; j < 256 && bad < 0; j++)
            if (y[j] != (float)(((const int8_t*)block)[192 + j / 16] * (bn_q6_k_code(block, j) - 32))) bad = j;
        CHECK(bad < 0, "q6_k code of weight %d differs from ggml's dequantize_row_q6_K", bad);
        for (int five = 0; five <= 1; five++) {
            ggml_style_k4(block, five, y, mins);
            uint64_t sc, mn;
            bn_k4_scales_mins(block + 4, &sc, &mn);
            bad = -1;
            for (int j = 0; j < 256 && bad < 0; j++) {
                const int s = j / 32, c = five ? bn_q5_k_code(block, j) : bn_q4_k_code(block, j);
                if (y[j] != (float)((int)((sc >> 8 * s) & 0xff) * c) || mins[j] != (float)((mn >> 8 * s) & 0xff))
                    bad = j;
            }
            CHECK(bad < 0, "q%d_k code or scale of weight %d differs from ggml's dequantize_row_q%d_K", five ? 5 : 4,
                  bad, five ? 5 : 4);
        }
        bad = -1;
        for (int j = 0; j < 16 && bad < 0; j++)
            if (bn_q4_0_code(block, j) != (block[2 + j] & 0xF) || bn_q4_0_code(block, j + 16) != (block[2 + j] >> 4))
                bad = j;
        CHECK(bad < 0, "q4_0 code of weight %d differs from ggml's dequantize_row_q4_0", bad);
        /* upstream dequantize_row_q2_0: byte j / 4, bit offset (j % 4) * 2 */
        bad = -1;
        for (int j = 0; j < 64 && bad < 0; j++)
            if (bn_q2_0_code(block, j) != ((block[2 + j / 4] >> ((j % 4) * 2)) & 0x03)) bad = j;
        CHECK(bad < 0, "q2_0 code of weight %d differs from ggml's dequantize_row_q2_0", bad);
        /* upstream dequantize_row_q1_0: byte j / 8, bit j % 8, set meaning +d */
        bad = -1;
        for (int j = 0; j < 128 && bad < 0; j++)
            if (bn_q1_0_sign(block, j) != (((block[2 + j / 8] >> (j % 8)) & 1) ? 1 : -1)) bad = j;
        CHECK(bad < 0, "q1_0 sign of weight %d differs from ggml's dequantize_row_q1_0", bad);
    }
    /* one hand-made Q6_K block: weight 200 = half 1, group 2, l = 8 -> high nibble of ql[64 + 8], qh[32 + 8]
     * bits 4..5; its sub-block 12 */
    memset(block, 0, sizeof block);
    block[64 + 8] = 0x50;            /* low bits 5 */
    block[128 + 32 + 8] = 0x20;      /* high bits 2 -> code 37 */
    CHECK(bn_q6_k_code(block, 200) == 37 && bn_q6_k_code(block, 136) == 0, "q6_k hand-made block: %d",
          bn_q6_k_code(block, 200));
}

/* ---- every ISA against the reference ------------------------------------------------------------ */

static bn_matmul_fn config_kernel(bn_isa isa, bn_wtype t) { return config_gemm(isa, t, BN_ATYPE_Q8); }

/* True if an earlier ISA (other than the reference) runs the same kernel, which was then already tested. */
static int tested_before(int isa, bn_wtype t) {
    for (int j = 1; j < isa; j++)
        if (should_test_isa((bn_isa)j) && config_kernel((bn_isa)j, t) == config_kernel((bn_isa)isa, t)) return 1;
    return 0;
}

static void each_isa(void* ctx, bn_wtype t, const uint8_t* w, const int8_t* xq, const float* scales, int32_t n,
                     int32_t k, int32_t m, const float* ref) {
    (void)ctx;
    for (int isa = 1; isa < BN_ISA_COUNT; isa++) {
        if (!should_test_isa((bn_isa)isa) || tested_before(isa, t)) continue;
        bn_matmul_fn fn = config_kernel((bn_isa)isa, t);
        CHECK(fn != NULL, "%s has a %s kernel", bn_isa_name((bn_isa)isa), kq_name(t));
        if (fn) kq_check_variant(bn_isa_name((bn_isa)isa), t, fn, w, xq, scales, n, k, m, ref);
    }
}

static void check_variants(void) {
    bn_rng rng = {43};
    for (int ti = 0; ti < N_KQ_TYPES; ti++) kq_for_each_case(&rng, kq_types[ti], 1, each_isa, NULL);
}

/* ---- the public entry point: every ISA, pools of several sizes, w_scale ----------------------------- */

static void check_public(void) {
    bn_rng rng = {47};
    bn_threadpool* pools[3] = {NULL, NULL, NULL};
    CHECK_STATUS(bn_threadpool_create(2, &pools[1]), BN_STATUS_OK);
    CHECK_STATUS(bn_threadpool_create(3, &pools[2]), BN_STATUS_OK);
    const int32_t n = 1003, k = 2560;
    for (int ti = 0; ti < N_KQ_TYPES; ti++)
        for (int32_t m = 1; m <= 5; m += 4) {
            const bn_wtype t = kq_types[ti];
            const int64_t w_len = kq_row_bytes(t, k) * n;
            uint8_t* w = xmalloc((size_t)w_len);
            int8_t* xq = xmalloc((size_t)m * k);
            float scales[8];
            kq_case(&rng, t, n, k, m, KQ_RANDOM, w, xq, scales);
            float* ref = xmalloc((size_t)m * n * sizeof(float));
            float* y = xmalloc((size_t)m * n * sizeof(float));
            for (int isa = 0; isa < BN_ISA_COUNT; isa++) {
                if (!should_test_isa((bn_isa)isa)) continue;
                /* the expectation: this ISA's kernel on the whole matrix in one call (for the k-quants the
                 * reference's bits, which test_variants checks; for Q4_0 within its tolerance of them) */
                bn_matmul_args whole = {.w = w, .row_bytes = kq_row_bytes(t, k), .xq = xq, .x_scales = scales, .n = n,
                                        .k = k, .m = m, .y = ref};
                config_kernel((bn_isa)isa, t)(&whole, 0, n);
                for (int pi = 0; pi < 3; pi++) {
                    CHECK_STATUS(bn_matmul(t, BN_ATYPE_Q8, (bn_isa)isa, w, w_len, 1.0f, NULL, 0, xq, (int64_t)m * k,
                                           scales, m, n, k, m, y, (int64_t)m * n, pools[pi]),
                                 BN_STATUS_OK);
                    int64_t at = 0;
                    while (at < (int64_t)m * n && same_float_bits(y[at], ref[at])) at++;
                    CHECK(at == (int64_t)m * n, "public matmul_%s_q8 %s m=%d pool %d: y[%lld] = %.9g, ref %.9g",
                          kq_name(t), bn_isa_name((bn_isa)isa), m, pi, (long long)at,
                          at < (int64_t)m * n ? (double)y[at] : 0.0, at < (int64_t)m * n ? (double)ref[at] : 0.0);
                }
                /* w_scale multiplies every output after the kernel */
                CHECK_STATUS(bn_matmul(t, BN_ATYPE_Q8, (bn_isa)isa, w, w_len, 0.5f, NULL, 0, xq, (int64_t)m * k,
                                       scales, m, n, k, m, y, (int64_t)m * n, pools[1]),
                             BN_STATUS_OK);
                CHECK(same_float_bits(y[7], ref[7] * 0.5f), "matmul_%s_q8 %s w_scale", kq_name(t),
                      bn_isa_name((bn_isa)isa));
            }
            free(y);
            free(ref);
            free(w);
            free(xq);
        }
    bn_threadpool_free(pools[1]);
    bn_threadpool_free(pools[2]);
}

/* ---- argument checks ------------------------------------------------------------------------------ */

static void check_bad_arguments(void) {
    static uint8_t w[2 * 210];
    int8_t xq[512] = {0};
    float xs = 1.0f, y[4];
    for (int ti = 0; ti < N_KQ_TYPES; ti++) {
        const bn_wtype t = kq_types[ti];
        const int32_t k = kq_block_weights(t);
        const int64_t w_len = kq_row_bytes(t, k) * 2;
        memset(w, 0, sizeof w);
#define MM(w_len_, k_, xq_len, y_len)                                                                                  \
    bn_matmul(t, BN_ATYPE_Q8, BN_ISA_REF, w, w_len_, 1.0f, NULL, 0, xq, xq_len, &xs, 1, 2, k_, 1, y, y_len, NULL)
        CHECK_STATUS(MM(w_len, k, k, 2), BN_STATUS_OK);
        CHECK(y[0] == 0.0f && y[1] == 0.0f, "%s: zero blocks give zeros", kq_name(t));
        CHECK_STATUS(MM(w_len - 1, k, k, 2), BN_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(MM(w_len, k, k - 1, 2), BN_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(MM(w_len, k, k, 1), BN_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(MM(w_len, k / 2, k, 2), BN_STATUS_SHAPE_MISMATCH);
        CHECK_STATUS(MM(w_len, 0, 0, 2), BN_STATUS_OK); /* k = 0: empty rows, y = 0 */
        CHECK(y[0] == 0.0f, "%s: k = 0 writes zeros", kq_name(t));
        xs = NAN;
        CHECK_STATUS(MM(w_len, k, k, 2), BN_STATUS_INVALID_ARGUMENT);
        xs = 1.0f;
#undef MM
        /* only int8 rows: float and int4 activations have no kernel */
        float x[256] = {0};
        CHECK_STATUS(bn_matmul(t, BN_ATYPE_F32, BN_ISA_REF, w, w_len, 1.0f, x, k, NULL, 0, NULL, 0, 2, k, 1, y, 2, NULL),
                     BN_STATUS_UNSUPPORTED);
        CHECK_STATUS(bn_matmul(t, BN_ATYPE_Q4, BN_ISA_REF, w, w_len, 1.0f, NULL, 0, xq, k, &xs, 1, 2, k, 1, y, 2, NULL),
                     BN_STATUS_UNSUPPORTED);
        CHECK(bn_matmul_supported(t, BN_ATYPE_Q8, BN_ISA_REF) == 1, "%s x q8 has a reference", kq_name(t));
    }
    /* one hand-computed value: Q6_K with every code 33 (w = d sc (33 - 32)), sc = 2, d = 0.5, x = 3:
     * 256 * 0.5 * 2 * 1 * 3 = 768, times x_scale 0.25 */
    uint8_t b6[210];
    memset(b6, 0x11, 128);        /* low nibbles 1 */
    memset(b6 + 128, 0xaa, 64);   /* high bit pairs 2 -> code 33 */
    memset(b6 + 192, 2, 16);
    kq_put_fp16(b6 + 208, 0.5f);
    int8_t x3[256];
    memset(x3, 3, sizeof x3);
    float quarter = 0.25f, out = 0;
    CHECK_STATUS(bn_matmul(BN_WTYPE_Q6_K, BN_ATYPE_Q8, BN_ISA_REF, b6, 210, 1.0f, NULL, 0, x3, 256, &quarter, 1, 1, 256,
                           1, &out, 1, NULL),
                 BN_STATUS_OK);
    CHECK(out == 192.0f, "q6_k hand-computed product: %g", (double)out);
    /* Q2_0 with codes 0, 1, 2, 3 repeating (w = -1, 0, 1, 2 times d = 0.5) against x = 3: 16 * (-1 + 0 + 1 + 2) *
     * 0.5 * 3 = 48, times x_scale 0.25 */
    uint8_t b2[18];
    kq_put_fp16(b2, 0.5f);
    memset(b2 + 2, 0xe4, 16); /* 0b11100100: codes 0, 1, 2, 3 from the low bits up */
    CHECK_STATUS(bn_matmul(BN_WTYPE_Q2_0, BN_ATYPE_Q8, BN_ISA_REF, b2, 18, 1.0f, NULL, 0, x3, 64, &quarter, 1, 1, 64, 1,
                           &out, 1, NULL),
                 BN_STATUS_OK);
    CHECK(out == 12.0f, "q2_0 hand-computed product: %g", (double)out);
    /* Q1_0 with bits 0b00000111 in every byte: 3 of 8 weights +d, 5 of them -d, d = 0.5, x = 3: 16 * (3 - 5) * 0.5 * 3
     * = -48, times x_scale 0.25 */
    uint8_t b1[18];
    kq_put_fp16(b1, 0.5f);
    memset(b1 + 2, 0x07, 16);
    int8_t x128[128];
    memset(x128, 3, sizeof x128);
    CHECK_STATUS(bn_matmul(BN_WTYPE_Q1_0, BN_ATYPE_Q8, BN_ISA_REF, b1, 18, 1.0f, NULL, 0, x128, 128, &quarter, 1, 1, 128,
                           1, &out, 1, NULL),
                 BN_STATUS_OK);
    CHECK(out == -12.0f, "q1_0 hand-computed product: %g", (double)out);
}

int main(void) {
    check_layouts();
    check_variants();
    check_public();
    check_bad_arguments();
    return test_summary("test_kquant");
}
