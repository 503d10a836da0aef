/* Shape and value classes of the ternary matmul tests, shared by test_matmul.c (every ISA this CPU
 * runs) and test_avx512_emulated.c (the AVX-512 kernels through SIMDe), so both check the same cases. */
#ifndef BN_MATMUL_CASES_H
#define BN_MATMUL_CASES_H

#include "testing.h"

typedef struct shape { int32_t n, k, m; } shape;

/* Odd row counts (4-row groups with tails, odd splits), k with an odd number of I2S blocks, more
 * than one 64-block TQ2 chunk (k = 16640), batches of 2-16 rows and of 67 (more than one 64-row block
 * of activation sums), and empty shapes (n, m or k = 0). */
static const shape i2s_shapes[] = {{1, 128, 1},   {8, 128, 1},   {7, 256, 2},    {33, 384, 3},  {17, 640, 4},
                                   {64, 2560, 1}, {9, 2560, 5},  {40, 6912, 1},  {13, 6912, 8}, {3, 1152, 16},
                                   {6, 16640, 1}, {5, 16640, 3}, {5, 256, 67},   {0, 128, 1},   {5, 128, 0},
                                   {3, 0, 2}};
static const shape tq2_shapes[] = {{1, 256, 1},   {8, 256, 1},   {7, 512, 2},   {33, 768, 3},  {64, 2560, 1},
                                   {9, 2560, 5},  {40, 6912, 1}, {13, 6912, 8}, {6, 16640, 1}, {5, 16640, 3},
                                   {3, 1280, 16}, {5, 256, 67},  {0, 256, 1},   {3, 0, 2}};
#define N_I2S_SHAPES ((int)(sizeof i2s_shapes / sizeof *i2s_shapes))
#define N_TQ2_SHAPES ((int)(sizeof tq2_shapes / sizeof *tq2_shapes))

enum { ACT_RANDOM, ACT_MIN, ACT_MAX, ACT_ALTERNATING, ACT_Q4, ACT_COUNT };

static void fill_activations(bn_rng* rng, int8_t* x, int64_t count, int kind) {
    for (int64_t j = 0; j < count; j++) {
        switch (kind) {
        case ACT_RANDOM: x[j] = (int8_t)rng_int(rng, -128, 127); break;
        case ACT_MIN: x[j] = -128; break; /* with all +1 or all -1 weights this overflows int16 sums */
        case ACT_MAX: x[j] = 127; break;
        case ACT_ALTERNATING: x[j] = (int8_t)(j & 1 ? 127 : -128); break;
        case ACT_Q4: x[j] = (int8_t)rng_int(rng, -8, 7); break;
        }
    }
}

/* Weights: random with varying sparsity, plus rows that are all +1, all -1 and all 0. */
static void fill_weights(bn_rng* rng, int8_t* q, int32_t n, int32_t k) {
    for (int32_t i = 0; i < n; i++) {
        int8_t* row = q + (int64_t)i * k;
        switch (i % 7) {
        case 0: memset(row, 1, (size_t)k); break;
        case 1: memset(row, 0xff, (size_t)k); break; /* -1 */
        case 2: memset(row, 0, (size_t)k); break;
        default: fill_ternary(rng, row, k, 10 * (i % 7)); break;
        }
    }
}

/* {w_scale, x_scale}: ordinary, unit, tiny (products underflow to subnormals), huge (near overflow), zero. */
static const float scale_cases[][2] = {{0.0123f, 0.031f}, {1.0f, 1.0f}, {1e-30f, 3e-8f}, {1e20f, 7e15f}, {0.0f, 1.0f}};
#define N_SCALE_CASES 5

/* TQ2 rows get their own block scale so a wrong block-to-scale pairing shows. */
static inline float tq2_row_scale(int32_t i) { return 0.5f + (float)(i % 5) * 0.25f; }

/* One test case: packed weights, activations, scales and the reference output. */
typedef struct matmul_case {
    bn_wtype wtype;
    shape s;
    int act_kind, scale_case;
    int8_t* wq;        /* n x k ternary values, unpacked */
    uint8_t* w;        /* packed */
    int64_t w_bytes;
    int8_t* x;         /* m x k */
    float* x_scales;   /* m */
    float* y_ref;      /* m x n */
    bn_matmul_args args; /* y points at y_ref */
} matmul_case;

static void matmul_case_init(matmul_case* c, bn_wtype wtype, shape s, int act_kind, int scale_case, bn_rng* rng) {
    const int32_t n = s.n, k = s.k, m = s.m;
    const int is_i2s = wtype == BN_WTYPE_I2S;
    memset(c, 0, sizeof *c);
    c->wtype = wtype;
    c->s = s;
    c->act_kind = act_kind;
    c->scale_case = scale_case;
    CHECK_STATUS(bn_wtype_bytes(wtype, n, k, &c->w_bytes), BN_STATUS_OK);
    c->wq = xmalloc((size_t)n * (size_t)k);
    c->w = xmalloc((size_t)c->w_bytes);
    c->x = xmalloc((size_t)m * (size_t)k);
    c->x_scales = xmalloc((size_t)m * sizeof(float));
    c->y_ref = xmalloc((size_t)m * (size_t)n * sizeof(float));
    fill_weights(rng, c->wq, n, k);
    fill_activations(rng, c->x, (int64_t)m * k, act_kind);
    const float w_scale = scale_cases[scale_case][0];
    for (int32_t r = 0; r < m; r++) c->x_scales[r] = scale_cases[scale_case][1] * (float)(r + 1);
    const int64_t row_bytes = c->w_bytes / (n > 0 ? n : 1);
    for (int32_t i = 0; i < n; i++) {
        float row_scale = is_i2s ? 1.0f : tq2_row_scale(i);
        CHECK_STATUS(bn_pack(wtype, c->wq + (int64_t)i * k, k, 1, k, row_scale, c->w + i * row_bytes, row_bytes),
                     BN_STATUS_OK);
    }
    c->args = (bn_matmul_args){.w = c->w, .row_bytes = row_bytes, .w_scale = w_scale, .xq = c->x,
                               .x_scales = c->x_scales, .n = n, .k = k, .m = m, .y = c->y_ref};
    (is_i2s ? bn_matmul_i2s_q8__ref : bn_matmul_tq2_q8__ref)(&c->args, 0, n);
}

static void matmul_case_free(matmul_case* c) {
    free(c->wq); free(c->w); free(c->x); free(c->x_scales); free(c->y_ref);
}

/* Calls var directly over the whole row range and over an odd split (as a pool may hand out), and
 * checks every output bit for bit against the reference. */
static void matmul_check_variant(const matmul_case* c, bn_matmul_fn var, const char* variant) {
    const int32_t n = c->s.n, k = c->s.k, m = c->s.m;
    float* y = xmalloc((size_t)m * (size_t)n * sizeof(float));
    bn_matmul_args args = c->args;
    args.y = y;
    for (int split = 0; split < 2; split++) {
        memset(y, 0xcd, (size_t)m * (size_t)n * sizeof(float));
        int32_t mid = split ? (n / 2) | 1 : n;
        if (mid > n) mid = n;
        var(&args, 0, mid);
        var(&args, mid, n);
        for (int64_t e = 0; e < (int64_t)m * n; e++)
            if (!same_float_bits(c->y_ref[e], y[e])) {
                CHECK(0, "%s %s n=%d k=%d m=%d act=%d scales=%d split=%d: y[%lld] = %a, ref %a",
                      c->wtype == BN_WTYPE_I2S ? "i2s" : "tq2", variant, n, k, m, c->act_kind, c->scale_case, split,
                      (long long)e, (double)y[e], (double)c->y_ref[e]);
                break;
            }
    }
    free(y);
}

/* A corrupt code 3 counts as +2 in the reference and in every variant: the same weights with one
 * row's codes all set to 3 give identical results. Returns after checking var on that matrix. */
static void matmul_check_code3(bn_wtype wtype, bn_matmul_fn var, const char* variant, bn_rng* rng) {
    const shape s = wtype == BN_WTYPE_I2S ? (shape){6, 640, 3} : (shape){6, 768, 3};
    for (int act = 0; act < ACT_COUNT; act++) {
        matmul_case c;
        matmul_case_init(&c, wtype, s, act, act % N_SCALE_CASES, rng);
        const int64_t row_bytes = c.args.row_bytes;
        /* Row 1: every code byte 0xff (all codes 3); row 4: a mix of 3 and valid codes. */
        for (int64_t j = 0; j < row_bytes; j++) {
            const int is_scale = wtype == BN_WTYPE_TQ2 && j % BN_TQ2_BLOCK_BYTES >= 64;
            if (is_scale) continue;
            c.w[row_bytes + j] = 0xff;
            c.w[4 * row_bytes + j] = (uint8_t)(c.w[4 * row_bytes + j] | (j % 3 == 0 ? 0xc3 : 0x0c));
        }
        c.args.y = c.y_ref;
        (wtype == BN_WTYPE_I2S ? bn_matmul_i2s_q8__ref : bn_matmul_tq2_q8__ref)(&c.args, 0, s.n);
        matmul_check_variant(&c, var, variant);
        matmul_case_free(&c);
    }
}

#endif
