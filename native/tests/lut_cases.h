/* Shape and value classes of the lookup-table (TL1) matmul tests, shared by test_lut.c (every ISA
 * this CPU runs, the public entry points, packing) and test_avx512_emulated.c (the AVX-512 kernels
 * through SIMDe), so both check the same cases. */
#ifndef BN_LUT_CASES_H
#define BN_LUT_CASES_H

#include "matmul_cases.h"

/* Row counts around the 32-row tile (1, 31, 33: padding rows; 300: a group of 8 tiles and a tail of
 * 2, the last one partial), k from one 128-column block to the 2B-4T widths (chunk tails: 56 and 112
 * units are the kernels' chunks, k = 640 is 160 units), batches around the kernels' 4-row blocks and
 * the entry point's 16-row passes (17), and empty shapes. */
static const shape lut_shapes[] = {{1, 128, 1},   {31, 256, 1},  {32, 384, 2},  {33, 640, 3},  {64, 2560, 1},
                                   {300, 1152, 1}, {40, 6912, 1}, {13, 2560, 5}, {70, 512, 17}, {7, 128, 4},
                                   {5, 16640, 2},  {0, 128, 1},   {5, 128, 0},   {3, 0, 2}};
#define N_LUT_SHAPES ((int)(sizeof lut_shapes / sizeof *lut_shapes))

/* One case: ternary weights, their TL1 and I2S packings, activations, scales, and the reference. */
typedef struct lut_case {
    shape s;
    int act_kind, scale_case;
    int8_t* wq;        /* n x k */
    uint8_t* tl1;      /* TL1 packed */
    int64_t tl1_bytes;
    uint8_t* i2s;      /* the same weights as I2S (the multiply-add kernel's format) */
    int64_t i2s_bytes;
    int8_t* x;         /* m x k */
    float* x_scales;   /* m */
    float w_scale;
    float* y_ref;      /* m x n: bn_matmul_tl1_q8__ref */
} lut_case;

static void lut_case_init(lut_case* c, shape s, int act_kind, int scale_case, bn_rng* rng) {
    const int32_t n = s.n, k = s.k, m = s.m;
    memset(c, 0, sizeof *c);
    c->s = s;
    c->act_kind = act_kind;
    c->scale_case = scale_case;
    CHECK_STATUS(bn_wtype_bytes(BN_WTYPE_TL1, n, k, &c->tl1_bytes), BN_STATUS_OK);
    CHECK_STATUS(bn_wtype_bytes(BN_WTYPE_I2S, n, k, &c->i2s_bytes), BN_STATUS_OK);
    c->wq = xmalloc((size_t)n * (size_t)k);
    c->tl1 = xmalloc((size_t)c->tl1_bytes);
    c->i2s = xmalloc((size_t)c->i2s_bytes);
    c->x = xmalloc((size_t)m * (size_t)k);
    c->x_scales = xmalloc((size_t)m * sizeof(float));
    c->y_ref = xmalloc((size_t)m * (size_t)n * sizeof(float));
    fill_weights(rng, c->wq, n, k);
    fill_activations(rng, c->x, (int64_t)m * k, act_kind);
    c->w_scale = scale_cases[scale_case][0];
    for (int32_t r = 0; r < m; r++) c->x_scales[r] = scale_cases[scale_case][1] * (float)(r + 1);
    CHECK_STATUS(bn_pack(BN_WTYPE_TL1, c->wq, (int64_t)n * k, n, k, 1.0f, c->tl1, c->tl1_bytes), BN_STATUS_OK);
    CHECK_STATUS(bn_pack(BN_WTYPE_I2S, c->wq, (int64_t)n * k, n, k, 1.0f, c->i2s, c->i2s_bytes), BN_STATUS_OK);
    const bn_matmul_args args = {.w = c->tl1, .xq = c->x, .x_scales = c->x_scales, .w_scale = c->w_scale,
                                 .n = n, .k = k, .m = m, .y = c->y_ref};
    bn_matmul_tl1_q8__ref(&args, 0, n);
}

static void lut_case_free(lut_case* c) {
    free(c->wq); free(c->tl1); free(c->i2s); free(c->x); free(c->x_scales); free(c->y_ref);
}

/* Activations every kernel family accepts: q4 kernels only int4 values. */
static int lut_case_is_int4(const lut_case* c) {
    for (int64_t j = 0; j < (int64_t)c->s.m * c->s.k; j++)
        if (c->x[j] < -8 || c->x[j] > 7) return 0;
    return 1;
}

/* The TL1 kernels of one ISA: q8 and q4 (each with its table builder). */
typedef struct lut_kernels {
    bn_matmul_ukernel q8, q4;
} lut_kernels;

static inline lut_kernels lut_kernels_of(bn_isa isa) {
    const bn_config* c = bn_config_for_isa(isa);
    return (lut_kernels){c->matmul[BN_WTYPE_TL1][BN_ATYPE_Q8], c->matmul[BN_WTYPE_TL1][BN_ATYPE_Q4]};
}

/* Runs the q8 kernel (and the q4 one when the activations are int4) through bn_matmul_run on the
 * pool and checks every output bit against the reference. */
static void lut_check_kernels(const lut_case* c, const lut_kernels* lk, const char* variant, bn_threadpool* pool) {
    const int32_t n = c->s.n, k = c->s.k, m = c->s.m;
    float* y = xmalloc((size_t)m * (size_t)n * sizeof(float));
    for (int q4 = 0; q4 < 2; q4++) {
        if (q4 && !lut_case_is_int4(c)) continue;
        memset(y, 0xcd, (size_t)m * (size_t)n * sizeof(float));
        bn_status st = bn_matmul_run(q4 ? &lk->q4 : &lk->q8, BN_WTYPE_TL1, q4 ? BN_ATYPE_Q4 : BN_ATYPE_Q8, c->tl1,
                                     c->w_scale, NULL, c->x, c->x_scales, n, k, m, y, pool);
        CHECK(st == BN_STATUS_OK, "tl1 q%d %s n=%d k=%d m=%d: %s (%s)", q4 ? 4 : 8, variant, n, k, m,
              bn_status_string(st), bn_last_error());
        for (int64_t e = 0; e < (int64_t)m * n; e++)
            if (!same_float_bits(c->y_ref[e], y[e])) {
                CHECK(0, "tl1 q%d %s n=%d k=%d m=%d act=%d scales=%d threads=%d: y[%lld] = %a, ref %a", q4 ? 4 : 8,
                      variant, n, k, m, c->act_kind, c->scale_case, bn_threadpool_size(pool), (long long)e,
                      (double)y[e], (double)c->y_ref[e]);
                break;
            }
    }
    free(y);
}

/* Corrupt TL1 bytes (pair codes 9..15, which no packer writes) read as zero pairs in the reference
 * and in every variant: random bytes give identical results. All-0xff rows against -128 activations
 * are the largest biased sums the x86 kernels see. */
static void lut_check_raw_codes(const lut_kernels* lk, const char* variant, bn_rng* rng) {
    static const shape shapes[] = {{40, 1152, 1}, {33, 6912, 2}, {64, 384, 5}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int act = 0; act < 2; act++) {
            const int32_t n = shapes[s].n, k = shapes[s].k, m = shapes[s].m;
            lut_case c;
            lut_case_init(&c, shapes[s], act == 0 ? ACT_MIN : ACT_Q4, 1, rng);
            for (int64_t j = 0; j < c.tl1_bytes; j++)
                c.tl1[j] = (uint8_t)((j / 32) % 3 == 0 ? 0xff : rng_int(rng, 0, 255));
            const bn_matmul_args args = {.w = c.tl1, .xq = c.x, .x_scales = c.x_scales, .w_scale = c.w_scale,
                                         .n = n, .k = k, .m = m, .y = c.y_ref};
            bn_matmul_tl1_q8__ref(&args, 0, n);
            lut_check_kernels(&c, lk, variant, NULL);
            lut_case_free(&c);
        }
}

#endif
