/* Lookup-table (TL1) kernels: the layout (packing from int8 and from I2S, unpacking, byte positions),
 * the reference against the definition and against the multiply-add kernel, every ISA's q8 and q4
 * kernels and the public entry points (pools of 1-3 threads) against the reference bit for bit,
 * corrupt codes, and every bad argument. */
#include "lut_cases.h"

/* The documented layout, checked position by position: weight (r, c) alone set to +1 must appear as
 * code 3 * 2 + 1 = 7 (c even) or 3 * 1 + 2 = 5 (c odd) in exactly the nibble bitnative.h names,
 * every other nibble holding the zero pair 4. */
static void check_layout(void) {
    const int32_t n = 40, k = 256;
    int64_t bytes;
    CHECK_STATUS(bn_wtype_bytes(BN_WTYPE_TL1, n, k, &bytes), BN_STATUS_OK);
    CHECK(bytes == 2 * 8 * k, "40 rows take 2 tiles of 8 k bytes: %lld", (long long)bytes);
    int8_t* q = xmalloc((size_t)n * k);
    uint8_t* p = xmalloc((size_t)bytes);
    const int32_t probes[][2] = {{0, 0}, {0, 1}, {5, 6}, {17, 3}, {31, 255}, {32, 128}, {39, 129}, {16, 2}};
    for (size_t t = 0; t < sizeof probes / sizeof *probes; t++) {
        const int32_t r = probes[t][0], c = probes[t][1];
        memset(q, 0, (size_t)n * k);
        q[(int64_t)r * k + c] = 1;
        CHECK_STATUS(bn_pack(BN_WTYPE_TL1, q, (int64_t)n * k, n, k, 1.0f, p, bytes), BN_STATUS_OK);
        const int32_t tile = r / 32, i = r % 32, u = c / 4, pair_in_unit = (c / 2) % 2;
        const int64_t at = (int64_t)tile * 8 * k + (int64_t)u * 32 + 16 * pair_in_unit + i % 16;
        const int shift = i < 16 ? 0 : 4;
        for (int64_t b = 0; b < bytes; b++)
            for (int h = 0; h < 2; h++) {
                const int nib = (p[b] >> (4 * h)) & 15;
                const int expect = (b == at && 4 * h == shift) ? (c % 2 == 0 ? 7 : 5) : 4;
                if (nib != expect) {
                    CHECK(0, "layout: weight (%d, %d): byte %lld nibble %d is %d, expected %d", r, c, (long long)b, h,
                          nib, expect);
                    b = bytes;
                    break;
                }
            }
    }
    free(q);
    free(p);
}

/* Packing: int8 -> TL1 -> int8 round trips; I2S -> TL1 gives the same bytes as int8 -> TL1 (with and
 * without a pool); padding rows unpack as zeros; I2S code 3 and non-ternary values are rejected. */
static void check_packing(void) {
    static const shape shapes[] = {{1, 128, 0}, {31, 256, 0}, {32, 384, 0}, {33, 2560, 0}, {100, 1152, 0}, {0, 128, 0}};
    bn_rng rng = {42};
    bn_threadpool* pool = NULL;
    CHECK_STATUS(bn_threadpool_create(3, &pool), BN_STATUS_OK);
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const int32_t n = shapes[s].n, k = shapes[s].k;
        const int64_t count = (int64_t)n * k;
        int64_t bytes, i2s_bytes;
        CHECK_STATUS(bn_wtype_bytes(BN_WTYPE_TL1, n, k, &bytes), BN_STATUS_OK);
        CHECK(bytes == (int64_t)((n + 31) / 32) * 8 * k, "packed bytes n=%d k=%d: %lld", n, k, (long long)bytes);
        CHECK_STATUS(bn_wtype_bytes(BN_WTYPE_I2S, n, k, &i2s_bytes), BN_STATUS_OK);
        int8_t* q = xmalloc((size_t)count);
        int8_t* back = xmalloc((size_t)count);
        uint8_t* a = xmalloc((size_t)bytes);
        uint8_t* b = xmalloc((size_t)bytes);
        uint8_t* i2s = xmalloc((size_t)i2s_bytes);
        fill_weights(&rng, q, n, k);
        CHECK_STATUS(bn_pack(BN_WTYPE_TL1, q, count, n, k, 1.0f, a, bytes), BN_STATUS_OK);
        memset(back, 0x55, (size_t)count);
        CHECK_STATUS(bn_unpack(BN_WTYPE_TL1, a, bytes, n, k, back, count, NULL, 0), BN_STATUS_OK);
        CHECK(memcmp(q, back, (size_t)count) == 0, "round trip n=%d k=%d", n, k);
        CHECK_STATUS(bn_pack(BN_WTYPE_I2S, q, count, n, k, 1.0f, i2s, i2s_bytes), BN_STATUS_OK);
        for (int with_pool = 0; with_pool < 2; with_pool++) {
            memset(b, 0xee, (size_t)bytes);
            CHECK_STATUS(bn_repack(BN_WTYPE_I2S, i2s, i2s_bytes, BN_WTYPE_TL1, n, k, b, bytes, with_pool ? pool : NULL),
                         BN_STATUS_OK);
            CHECK(memcmp(a, b, (size_t)bytes) == 0, "I2S repack differs from int8 pack n=%d k=%d pool=%d", n, k,
                  with_pool);
            /* and back: TL1 -> I2S gives the I2S bytes */
            uint8_t* i2s_back = xmalloc((size_t)i2s_bytes);
            memset(i2s_back, 0xee, (size_t)i2s_bytes);
            CHECK_STATUS(bn_repack(BN_WTYPE_TL1, b, bytes, BN_WTYPE_I2S, n, k, i2s_back, i2s_bytes,
                                   with_pool ? pool : NULL),
                         BN_STATUS_OK);
            CHECK(memcmp(i2s, i2s_back, (size_t)i2s_bytes) == 0, "TL1 -> I2S differs from the I2S pack n=%d k=%d", n, k);
            free(i2s_back);
        }
        /* Padding rows of the last tile are zero pairs (code 4). */
        for (int32_t r = n; r < (n + 31) / 32 * 32; r++)
            for (int32_t p = 0; p < k / 2; p += 7)
                CHECK(bn_tl1_code(a + (int64_t)(r / 32) * 8 * k, p, r % 32) == 4, "padding row %d pair %d", r, p);
        if (n > 0) {
            /* one code 3 anywhere in I2S is rejected */
            i2s[i2s_bytes / 2] |= 0x30;
            CHECK_STATUS(bn_repack(BN_WTYPE_I2S, i2s, i2s_bytes, BN_WTYPE_TL1, n, k, b, bytes, pool),
                         BN_STATUS_INVALID_ARGUMENT);
            CHECK(strstr(bn_last_error(), "code 3") != NULL, "message names code 3: %s", bn_last_error());
            q[count - 1] = 2;
            CHECK_STATUS(bn_pack(BN_WTYPE_TL1, q, count, n, k, 1.0f, a, bytes), BN_STATUS_INVALID_ARGUMENT);
            q[count - 1] = -2;
            CHECK_STATUS(bn_pack(BN_WTYPE_TL1, q, count, n, k, 1.0f, a, bytes), BN_STATUS_INVALID_ARGUMENT);
        }
        free(q); free(back); free(a); free(b); free(i2s);
    }
    bn_threadpool_free(pool);
}

/* The reference against the definition (exact integer dot from the int8 weights, then the I2S
 * epilogue) and against the I2S multiply-add reference on the same weights: identical bits. */
static void check_reference(void) {
    bn_rng rng = {7};
    for (int s = 0; s < N_LUT_SHAPES; s++)
        for (int act = 0; act < ACT_COUNT; act++) {
            lut_case c;
            lut_case_init(&c, lut_shapes[s], act, (s + act) % N_SCALE_CASES, &rng);
            const int32_t n = c.s.n, k = c.s.k, m = c.s.m;
            for (int32_t r = 0; r < m; r++)
                for (int32_t i = 0; i < n; i++) {
                    int64_t dot = 0;
                    for (int32_t j = 0; j < k; j++) dot += c.wq[(int64_t)i * k + j] * c.x[(int64_t)r * k + j];
                    const float expect = (float)dot * (c.x_scales[r] * c.w_scale);
                    if (!same_float_bits(expect, c.y_ref[(int64_t)r * n + i])) {
                        CHECK(0, "tl1 ref n=%d k=%d m=%d: y[%d, %d] = %a, definition %a", n, k, m, r, i,
                              (double)c.y_ref[(int64_t)r * n + i], (double)expect);
                        r = m;
                        break;
                    }
                }
            float* y_mad = xmalloc((size_t)m * (size_t)n * sizeof(float));
            const bn_matmul_args mad = {.w = c.i2s, .row_bytes = k / 4, .w_scale = c.w_scale, .xq = c.x,
                                        .x_scales = c.x_scales, .n = n, .k = k, .m = m, .y = y_mad};
            bn_matmul_i2s_q8__ref(&mad, 0, n);
            CHECK(memcmp(y_mad, c.y_ref, (size_t)m * (size_t)n * sizeof(float)) == 0,
                  "tl1 ref differs from i2s ref n=%d k=%d m=%d act=%d", n, k, m, act);
            free(y_mad);
            lut_case_free(&c);
        }
}

/* Every ISA's LUT kernels through the runner (no pool and 3 threads), and bn_matmul with that ISA on
 * pools of 1-3 threads: reference bits, and the multiply-add kernel's bits (I2S on the same weights). */
static void check_variants(void) {
    bn_rng rng = {1234};
    bn_threadpool *pool2 = NULL, *pool3 = NULL;
    CHECK_STATUS(bn_threadpool_create(2, &pool2), BN_STATUS_OK);
    CHECK_STATUS(bn_threadpool_create(3, &pool3), BN_STATUS_OK);
    for (int s = 0; s < N_LUT_SHAPES; s++)
        for (int act = 0; act < ACT_COUNT; act++) {
            lut_case c;
            lut_case_init(&c, lut_shapes[s], act, (s + act) % N_SCALE_CASES, &rng);
            const int32_t n = c.s.n, k = c.s.k, m = c.s.m;
            const int64_t ny = (int64_t)m * n;
            float* y = xmalloc((size_t)ny * sizeof(float));
            float* y_mad = xmalloc((size_t)ny * sizeof(float));
            for (int isa = 0; isa < BN_ISA_COUNT; isa++) {
                if (!should_test_isa((bn_isa)isa)) continue;
                const lut_kernels lk = lut_kernels_of((bn_isa)isa);
                lut_check_kernels(&c, &lk, bn_isa_name((bn_isa)isa), (s + act) % 2 ? pool3 : NULL);
                bn_threadpool* pool = act % 3 == 0 ? NULL : (act % 3 == 1 ? pool2 : pool3);
                CHECK_STATUS(bn_matmul(BN_WTYPE_I2S, BN_ATYPE_Q8, (bn_isa)isa, c.i2s, c.i2s_bytes, c.w_scale, NULL, 0, c.x,
                                       (int64_t)m * k, c.x_scales, m, n, k, m, y_mad, ny, pool),
                             BN_STATUS_OK);
                for (int q4 = 0; q4 < 2; q4++) {
                    if (q4 && !lut_case_is_int4(&c)) continue;
                    memset(y, 0xcd, (size_t)ny * sizeof(float));
                    bn_status st = bn_matmul(BN_WTYPE_TL1, q4 ? BN_ATYPE_Q4 : BN_ATYPE_Q8, (bn_isa)isa, c.tl1,
                                             c.tl1_bytes, c.w_scale, NULL, 0, c.x, (int64_t)m * k, c.x_scales, m, n, k,
                                             m, y, ny, pool);
                    CHECK(st == BN_STATUS_OK, "public tl1 q%d %s: %s", q4 ? 4 : 8, bn_isa_name((bn_isa)isa),
                          bn_last_error());
                    CHECK(memcmp(y, c.y_ref, (size_t)ny * sizeof(float)) == 0,
                          "public tl1 q%d %s n=%d k=%d m=%d threads=%d differs from the reference", q4 ? 4 : 8,
                          bn_isa_name((bn_isa)isa), n, k, m, bn_threadpool_size(pool));
                    CHECK(memcmp(y, y_mad, (size_t)ny * sizeof(float)) == 0,
                          "public tl1 q%d %s n=%d k=%d m=%d differs from I2S (the multiply-add kernel)",
                          q4 ? 4 : 8, bn_isa_name((bn_isa)isa), n, k, m);
                }
            }
            free(y); free(y_mad);
            lut_case_free(&c);
        }
    bn_threadpool_free(pool2);
    bn_threadpool_free(pool3);
}

static void check_raw_codes(void) {
    bn_rng rng = {99};
    for (int isa = 0; isa < BN_ISA_COUNT; isa++) {
        if (!should_test_isa((bn_isa)isa)) continue;
        const lut_kernels lk = lut_kernels_of((bn_isa)isa);
        lut_check_raw_codes(&lk, bn_isa_name((bn_isa)isa), &rng);
    }
}

/* bn_matmul on a TL1 matrix on the calling thread. */
static bn_status tl1(bn_atype atype, bn_isa isa, const uint8_t* w, int64_t w_len, float w_scale, const int8_t* x,
                     int64_t x_len, const float* xs, int64_t xs_len, int32_t n, int32_t k, int32_t m, float* y,
                     int64_t y_len) {
    return bn_matmul(BN_WTYPE_TL1, atype, isa, w, w_len, w_scale, NULL, 0, x, x_len, xs, xs_len, n, k, m, y, y_len,
                     NULL);
}

/* int4 kernels reject activations outside [-8, 7] before writing any output, whether the builder
 * finds them (one pass) or the up-front check does (several passes, or the reference). */
static void check_int4_range(void) {
    const int32_t n = 33, k = 256;
    int64_t bytes;
    CHECK_STATUS(bn_wtype_bytes(BN_WTYPE_TL1, n, k, &bytes), BN_STATUS_OK);
    uint8_t* w = xmalloc((size_t)bytes);
    memset(w, 0x44, (size_t)bytes);
    const int32_t ms[] = {1, 3, 20};
    for (int isa = 0; isa < BN_ISA_COUNT; isa++) {
        if (!should_test_isa((bn_isa)isa)) continue;
        for (size_t mi = 0; mi < sizeof ms / sizeof *ms; mi++)
            for (int v = 0; v < 2; v++) {
                const int32_t m = ms[mi];
                int8_t* x = xmalloc((size_t)m * k);
                float* xs = xmalloc((size_t)m * sizeof(float));
                float* y = xmalloc((size_t)m * n * sizeof(float));
                memset(x, 3, (size_t)m * k);
                for (int32_t r = 0; r < m; r++) xs[r] = 1.0f;
                CHECK_STATUS(tl1(BN_ATYPE_Q4, (bn_isa)isa, w, bytes, 1.0f, x, (int64_t)m * k, xs, m, n, k, m, y,
                                 (int64_t)m * n),
                             BN_STATUS_OK);
                const int64_t at = (int64_t)(m - 1) * k + 77;
                x[at] = (int8_t)(v ? 8 : -9);
                memset(y, 0x7f, (size_t)m * n * sizeof(float));
                CHECK_STATUS(tl1(BN_ATYPE_Q4, (bn_isa)isa, w, bytes, 1.0f, x, (int64_t)m * k, xs, m, n, k, m, y,
                                 (int64_t)m * n),
                             BN_STATUS_INVALID_ARGUMENT);
                char expect[64];
                snprintf(expect, sizeof expect, "xq[%lld] = %d", (long long)at, x[at]);
                CHECK(strstr(bn_last_error(), expect) != NULL, "%s m=%d: message names %s: %s", bn_isa_name((bn_isa)isa),
                      m, expect, bn_last_error());
                int untouched = 1;
                for (int64_t e = 0; e < (int64_t)m * n; e++) {
                    uint32_t bits;
                    memcpy(&bits, &y[e], 4);
                    untouched &= bits == 0x7f7f7f7fu;
                }
                CHECK(untouched, "%s m=%d: y written although the call failed", bn_isa_name((bn_isa)isa), m);
                /* the q8 kernel takes the same row */
                CHECK_STATUS(tl1(BN_ATYPE_Q8, (bn_isa)isa, w, bytes, 1.0f, x, (int64_t)m * k, xs, m, n, k, m, y,
                                 (int64_t)m * n),
                             BN_STATUS_OK);
                free(x); free(xs); free(y);
            }
    }
    free(w);
}

static void check_bad_arguments(void) {
    uint8_t w[2 * 8 * 256] = {0};
    int8_t q[40 * 256] = {0}, x[512] = {0};
    float xs[2] = {1, 1}, y[80];
    /* 33 rows of k = 256 take 2 tiles of 2048 bytes */
    CHECK_STATUS(tl1(BN_ATYPE_Q8, BN_ISA_REF, w, 4096, 1.0f, x, 256, xs, 1, 33, 256, 1, y, 33), BN_STATUS_OK);
    CHECK_STATUS(tl1(BN_ATYPE_Q8, BN_ISA_REF, w, 4095, 1.0f, x, 256, xs, 1, 33, 256, 1, y, 33), BN_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(bn_last_error(), "w_len 4095") != NULL, "message names w_len: %s", bn_last_error());
    CHECK_STATUS(tl1(BN_ATYPE_Q4, BN_ISA_REF, w, 4096, 1.0f, x, 255, xs, 1, 33, 256, 1, y, 33), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tl1(BN_ATYPE_Q8, BN_ISA_REF, w, 4096, 1.0f, x, 256, xs, 0, 33, 256, 1, y, 33), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tl1(BN_ATYPE_Q8, BN_ISA_REF, w, 4096, 1.0f, x, 256, xs, 1, 33, 256, 1, y, 32), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tl1(BN_ATYPE_Q8, BN_ISA_REF, w, 4096, 1.0f, x, 256, xs, 1, 33, 192, 1, y, 33), BN_STATUS_SHAPE_MISMATCH);
    CHECK(strstr(bn_last_error(), "k=192") != NULL, "message names k: %s", bn_last_error());
    CHECK_STATUS(tl1(BN_ATYPE_Q4, BN_ISA_REF, w, 4096, 1.0f, x, 256, xs, 1, -1, 256, 1, y, 33), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tl1(BN_ATYPE_Q8, BN_ISA_REF, w, 4096, INFINITY, x, 256, xs, 1, 33, 256, 1, y, 33), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tl1(BN_ATYPE_Q8, BN_ISA_REF, NULL, 4096, 1.0f, x, 256, xs, 1, 33, 256, 1, y, 33), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(tl1(BN_ATYPE_Q8, BN_ISA_REF, w, 4096, 1.0f, x, 256, xs, 1, 33, 1 << 23, 1, y, 33), BN_STATUS_INVALID_ARGUMENT);
    xs[1] = NAN;
    CHECK_STATUS(tl1(BN_ATYPE_Q4, BN_ISA_REF, w, 4096, 1.0f, x, 512, xs, 2, 33, 256, 2, y, 66), BN_STATUS_INVALID_ARGUMENT);
    xs[1] = 1;
    CHECK_STATUS(tl1(BN_ATYPE_Q8, BN_ISA_REF, NULL, 0, 1.0f, NULL, 0, NULL, 0, 0, 256, 0, NULL, 0), BN_STATUS_OK);
    /* packing */
    int64_t bytes = 0;
    CHECK_STATUS(bn_wtype_bytes(BN_WTYPE_TL1, 33, 200, &bytes), BN_STATUS_SHAPE_MISMATCH);
    CHECK_STATUS(bn_wtype_bytes(BN_WTYPE_TL1, -1, 256, &bytes), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_wtype_bytes(BN_WTYPE_TL1, 1, 256, NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_pack(BN_WTYPE_TL1, q, 33 * 256, 33, 256, 1.0f, w, 4096), BN_STATUS_OK);
    CHECK_STATUS(bn_pack(BN_WTYPE_TL1, q, 33 * 256 - 1, 33, 256, 1.0f, w, 4096), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_pack(BN_WTYPE_TL1, q, 33 * 256, 33, 256, 1.0f, w, 4095), BN_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(bn_last_error(), "out_len 4095 < 4096") != NULL, "message names the size: %s", bn_last_error());
    CHECK_STATUS(bn_pack(BN_WTYPE_TL1, q, 33 * 256, 33, 130, 1.0f, w, 4096), BN_STATUS_SHAPE_MISMATCH);
    CHECK_STATUS(bn_pack(BN_WTYPE_TL1, NULL, 33 * 256, 33, 256, 1.0f, w, 4096), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_repack(BN_WTYPE_I2S, w, 33 * 64 - 1, BN_WTYPE_TL1, 33, 256, w + 2048, 4096, NULL),
                 BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_repack(BN_WTYPE_I2S, w, 33 * 64, BN_WTYPE_TQ2, 33, 256, w + 2048, 4096, NULL), BN_STATUS_UNSUPPORTED);
    CHECK_STATUS(bn_unpack(BN_WTYPE_TL1, w, 4096, 33, 256, q, 33 * 256 - 1, NULL, 0), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_unpack(BN_WTYPE_TL1, w, 4095, 33, 256, q, 33 * 256, NULL, 0), BN_STATUS_INVALID_ARGUMENT);
}

int main(void) {
    (void)matmul_check_code3; /* a matmul_cases.h helper test_matmul uses; the TL1 checks have their own */
    check_layout();
    check_packing();
    check_reference();
    check_variants();
    check_raw_codes();
    check_int4_range();
    check_bad_arguments();
    return test_summary("test_lut");
}
