/* Shape and value classes of ggml's 4-bit, k-quant and 2-bit matrices (Q4_0, Q4_K, Q5_K, Q6_K, Q2_0, Q1_0) x int8 rows, and
 * the check of one kernel variant: the same bits as the scalar reference, and the reference within the
 * bound bitnative.h states of the exact value (computed here in double from the block layouts of
 * bn_kquants.h, independently of the reference's loops). Shared by test_kquant.c (every ISA this CPU
 * runs) and test_avx512_emulated.c (AVX-512 through SIMDe). */
#ifndef BN_KQUANT_CASES_H
#define BN_KQUANT_CASES_H

#include "testing.h"
#include "bn_kquants.h"

#define KQ_FLT_U (1.0f / 16777216.0f) /* 2^-24 */

static const bn_wtype kq_types[] = {BN_WTYPE_Q4_0, BN_WTYPE_Q4_K, BN_WTYPE_Q5_K, BN_WTYPE_Q6_K, BN_WTYPE_Q2_0, BN_WTYPE_Q1_0,
                                    BN_WTYPE_Q2_0_G128};
#define N_KQ_TYPES ((int)(sizeof kq_types / sizeof *kq_types))

static const int32_t kq_n[] = {1, 3, 5, 17};
static const int32_t kq_k[] = {256, 512, 768, 2560}; /* 1, 2, 3 and 10 blocks of 256 */
static const int32_t kq_m[] = {1, 3, 6}; /* one token, a short group, a full group and a short one */
#define N_KQ_N ((int)(sizeof kq_n / sizeof *kq_n))
#define N_KQ_K ((int)(sizeof kq_k / sizeof *kq_k))
#define N_KQ_M ((int)(sizeof kq_m / sizeof *kq_m))

/* Value classes: random bytes (every code, every packed scale), and the extremes where a saturating
 * or overflowing kernel would fail: every code at its maximum against activations of -128 or 127. */
enum { KQ_RANDOM, KQ_EXTREME, KQ_VALUE_COUNT };

static inline const char* kq_name(bn_wtype t) { return bn_wtype_name(t); }

static inline int32_t kq_block_weights(bn_wtype t) {
    return t == BN_WTYPE_Q4_0        ? BN_Q4_0_BLOCK
           : t == BN_WTYPE_Q2_0      ? BN_Q2_0_BLOCK
           : t == BN_WTYPE_Q1_0      ? BN_Q1_0_BLOCK
           : t == BN_WTYPE_Q2_0_G128 ? BN_Q2_0_G128_BLOCK
                                     : BN_QK_BLOCK;
}

static inline int64_t kq_row_bytes(bn_wtype t, int32_t k) {
    int64_t bytes = 0;
    bn_wtype_bytes(t, 1, k, &bytes);
    return bytes;
}

static inline void kq_put_fp16(uint8_t* p, float v) {
    const uint16_t h = bn_fp32_to_fp16(v);
    p[0] = (uint8_t)h;
    p[1] = (uint8_t)(h >> 8);
}

/* A block scale: fp16 subnormal, large, negative, or typical of a head. */
static inline float kq_scale(bn_rng* rng) {
    switch (rng_int(rng, 0, 9)) {
    case 0: return 3e-6f;
    case 1: return 40.0f;
    case 2: return -0.004f - rng_uniform(rng) * 0.01f;
    default: return 0.0005f + rng_uniform(rng) * 0.01f;
    }
}

/* n rows of k weights of type t in w (kq_row_bytes(t, k) * n bytes); m rows of int8 in xq; m scales. */
static inline void kq_case(bn_rng* rng, bn_wtype t, int32_t n, int32_t k, int32_t m, int values, uint8_t* w,
                           int8_t* xq, float* scales) {
    const int64_t bytes = kq_row_bytes(t, k) * n;
    if (values == KQ_EXTREME) {
        memset(w, 0xff, (size_t)bytes); /* every code and every packed scale at its maximum */
    } else {
        for (int64_t i = 0; i < bytes; i++) w[i] = (uint8_t)rng_next(rng);
    }
    /* the fp16 fields: d (and dmin) of every block, from the scale classes (random bytes would make NaNs) */
    const int32_t bw = kq_block_weights(t);
    int32_t block_bytes = 0;
    bn_wtype_info info;
    bn_wtype_get_info(t, &info);
    block_bytes = info.block_bytes;
    for (int64_t b = 0; b < (int64_t)n * (k / bw); b++) {
        uint8_t* block = w + b * block_bytes;
        switch (t) {
        case BN_WTYPE_Q6_K: kq_put_fp16(block + BN_Q6_K_D_AT, values == KQ_EXTREME ? 40.0f : kq_scale(rng)); break;
        case BN_WTYPE_Q4_0: kq_put_fp16(block, values == KQ_EXTREME ? -40.0f : kq_scale(rng)); break;
        case BN_WTYPE_Q2_0:
        case BN_WTYPE_Q2_0_G128:
        case BN_WTYPE_Q1_0: kq_put_fp16(block, values == KQ_EXTREME ? -40.0f : kq_scale(rng)); break;
        default:
            kq_put_fp16(block, values == KQ_EXTREME ? 40.0f : kq_scale(rng));
            kq_put_fp16(block + 2, values == KQ_EXTREME ? 20.0f : kq_scale(rng));
            break;
        }
    }
    for (int32_t r = 0; r < m; r++) {
        int8_t* row = xq + (int64_t)r * k;
        if (values == KQ_EXTREME) memset(row, r % 2 ? 127 : -128, (size_t)k);
        else fill_int8(rng, row, k, -128, 127);
        scales[r] = 0.01f + rng_uniform(rng);
    }
}

/* The integer sums I_b and M_b of block `block` (of type t) against activations xb, from the per-weight
 * codes (not the reference's loop structure). */
static inline void kq_block_sums(bn_wtype t, const uint8_t* block, const int8_t* xb, int64_t* isum, int64_t* msum) {
    *isum = *msum = 0;
    if (t == BN_WTYPE_Q4_0) {
        for (int j = 0; j < 32; j++) *isum += (int64_t)(bn_q4_0_code(block, j) - 8) * xb[j];
        return;
    }
    if (t == BN_WTYPE_Q2_0 || t == BN_WTYPE_Q2_0_G128) {
        for (int j = 0; j < kq_block_weights(t); j++) *isum += (int64_t)(bn_q2_0_code(block, j) - 1) * xb[j];
        return;
    }
    if (t == BN_WTYPE_Q1_0) {
        for (int j = 0; j < 128; j++) *isum += (int64_t)bn_q1_0_sign(block, j) * xb[j];
        return;
    }
    if (t == BN_WTYPE_Q6_K) {
        const int8_t* sc = (const int8_t*)(block + BN_Q6_K_SCALES_AT);
        for (int j = 0; j < 256; j++) *isum += (int64_t)sc[j / 16] * (bn_q6_k_code(block, j) - 32) * xb[j];
        return;
    }
    uint64_t sc, mn;
    bn_k4_scales_mins(block + BN_Q4_K_SCALES_AT, &sc, &mn);
    for (int j = 0; j < 256; j++) {
        const int s = j / 32;
        const int c = t == BN_WTYPE_Q4_K ? bn_q4_k_code(block, j) : bn_q5_k_code(block, j);
        *isum += (int64_t)((sc >> 8 * s) & 0xff) * c * xb[j];
        *msum += (int64_t)((mn >> 8 * s) & 0xff) * xb[j];
    }
}

static inline float kq_block_d(bn_wtype t, const uint8_t* block) {
    return bn_kq_fp16(block + (t == BN_WTYPE_Q6_K ? BN_Q6_K_D_AT : 0));
}

static inline float kq_block_dmin(bn_wtype t, const uint8_t* block) {
    return t == BN_WTYPE_Q4_K || t == BN_WTYPE_Q5_K ? bn_kq_fp16(block + 2) : 0.0f;
}

static inline bn_matmul_fn kq_reference(bn_wtype t) {
    switch (t) {
    case BN_WTYPE_Q4_0: return bn_matmul_q4_0_q8__ref;
    case BN_WTYPE_Q4_K: return bn_matmul_q4_k_q8__ref;
    case BN_WTYPE_Q5_K: return bn_matmul_q5_k_q8__ref;
    case BN_WTYPE_Q2_0: return bn_matmul_q2_0_q8__ref;
    case BN_WTYPE_Q1_0: return bn_matmul_q1_0_q8__ref;
    case BN_WTYPE_Q2_0_G128: return bn_matmul_q2_0_g128_q8__ref;
    default: return bn_matmul_q6_k_q8__ref;
    }
}

/* The reference against the exact value (the bound of bitnative.h), once per case. */
static inline void kq_check_reference(bn_wtype t, const uint8_t* w, const int8_t* xq, const float* scales, int32_t n,
                                      int32_t k, int32_t m, const float* ref) {
    const int32_t bw = kq_block_weights(t);
    const int64_t row_bytes = kq_row_bytes(t, k), block_bytes = row_bytes / (k / bw ? k / bw : 1);
    for (int32_t r = 0; r < m; r++)
        for (int32_t i = 0; i < n; i++) {
            double exact = 0, mag = 0;
            for (int32_t b = 0; b < k / bw; b++) {
                const uint8_t* block = w + (int64_t)i * row_bytes + b * block_bytes;
                int64_t isum, msum;
                kq_block_sums(t, block, xq + (int64_t)r * k + (int64_t)b * bw, &isum, &msum);
                const double d = kq_block_d(t, block), dmin = kq_block_dmin(t, block);
                exact += d * (double)isum - dmin * (double)msum;
                mag += fabs(d * (double)isum) + fabs(dmin * (double)msum);
            }
            exact *= scales[r];
            const double tol = 2.0 * (k / bw + 3) * KQ_FLT_U * fabs(scales[r]) * mag;
            const float want = ref[(int64_t)r * n + i];
            if (!(fabs((double)want - exact) <= tol)) {
                CHECK(0, "matmul_%s_q8 ref n=%d k=%d m=%d: y[%d, %d] = %.9g, exact %.9g (bound %.3g)", kq_name(t), n, k,
                      m, r, i, (double)want, exact, tol);
                return;
            }
        }
    g_checks++;
}

/* Q4_0's SIMD tolerance (bitnative.h, as Q8_0's): 2 (k / 32 + 3) 2^-24 |x_scale| sum_b |d_b| sum_j |(c_j - 8) x_j|. */
static inline double kq_q4_0_tolerance(const uint8_t* row, const int8_t* x, int32_t k, float x_scale) {
    double mag = 0;
    for (int32_t b = 0; b < k / 32; b++) {
        const uint8_t* block = row + (int64_t)b * BN_Q4_0_BLOCK_BYTES;
        int64_t abs_dot = 0;
        for (int j = 0; j < 32; j++) abs_dot += llabs((int64_t)(bn_q4_0_code(block, j) - 8) * x[32 * b + j]);
        mag += fabs((double)bn_kq_fp16(block)) * (double)abs_dot;
    }
    return 2.0 * (k / 32 + 3) * KQ_FLT_U * fabs(x_scale) * mag;
}

/* fn against the reference with the rows split in two calls as two pool chunks would be: bit for bit for the
 * k-quants, within the stated tolerance for Q4_0 (whose SIMD variants sum in lanes). */
static inline void kq_check_variant(const char* variant, bn_wtype t, bn_matmul_fn fn, const uint8_t* w,
                                    const int8_t* xq, const float* scales, int32_t n, int32_t k, int32_t m,
                                    const float* ref) {
    const int64_t row_bytes = kq_row_bytes(t, k);
    bn_matmul_args a = {.w = w, .row_bytes = row_bytes, .xq = xq, .x_scales = scales, .n = n, .k = k, .m = m};
    float* out = matmul_in_two_chunks(fn, &a);
    for (int64_t at = 0; at < (int64_t)m * n; at++) {
        if (t == BN_WTYPE_Q4_0) {
            const int64_t r = at / n, i = at % n;
            const double tol = kq_q4_0_tolerance(w + i * row_bytes, xq + r * k, k, scales[r]);
            if (!(fabs((double)out[at] - ref[at]) <= tol)) {
                CHECK(0, "matmul_q4_0_q8 %s n=%d k=%d m=%d: y[%lld, %lld] = %.9g, ref %.9g (tolerance %.3g)", variant, n,
                      k, m, (long long)r, (long long)i, (double)out[at], (double)ref[at], tol);
                free(out);
                return;
            }
            continue;
        }
        if (!same_float_bits(out[at], ref[at])) {
            CHECK(0, "matmul_%s_q8 %s n=%d k=%d m=%d: y[%lld, %lld] = %.9g, ref %.9g", kq_name(t), variant, n, k, m,
                  (long long)(at / n), (long long)(at % n), (double)out[at], (double)ref[at]);
            free(out);
            return;
        }
    }
    g_checks++;
    free(out);
}

/* The reference's output for a case (the expectation every variant must reproduce). */
static inline float* kq_reference_output(bn_wtype t, const uint8_t* w, const int8_t* xq, const float* scales,
                                         int32_t n, int32_t k, int32_t m) {
    float* ref = xmalloc((size_t)m * n * sizeof(float));
    bn_matmul_args a = {.w = w, .row_bytes = kq_row_bytes(t, k), .xq = xq, .x_scales = scales, .n = n, .k = k,
                        .m = m, .y = ref};
    kq_reference(t)(&a, 0, n);
    return ref;
}

/* Every case of one type through fn (variant name for messages); with check_ref the reference's bound too.
 * The long rows (k = 16640: 65 blocks of 256, 520 of 32) take the kernels' chunked path. */
typedef void (*kq_variant_fn)(void* ctx, bn_wtype t, const uint8_t* w, const int8_t* xq, const float* scales, int32_t n,
                              int32_t k, int32_t m, const float* ref);

/* One case: its weights and activations, the reference's output (and bound), then each. */
static inline void kq_run_case(bn_rng* rng, bn_wtype t, int32_t n, int32_t k, int32_t m, int values, int check_ref,
                               kq_variant_fn each, void* ctx) {
    uint8_t* w = xmalloc((size_t)(kq_row_bytes(t, k) * n));
    int8_t* xq = xmalloc((size_t)m * k);
    float scales[8];
    kq_case(rng, t, n, k, m, values, w, xq, scales);
    float* ref = kq_reference_output(t, w, xq, scales, n, k, m);
    if (check_ref) kq_check_reference(t, w, xq, scales, n, k, m, ref);
    each(ctx, t, w, xq, scales, n, k, m, ref);
    free(ref);
    free(w);
    free(xq);
}

static inline void kq_for_each_case(bn_rng* rng, bn_wtype t, int check_ref, kq_variant_fn each, void* ctx) {
    for (int values = 0; values < KQ_VALUE_COUNT; values++)
        for (int ni = 0; ni < N_KQ_N + 2; ni++)
            for (int ki = 0; ki < N_KQ_K + 1; ki++)
                for (int mi = 0; mi < N_KQ_M; mi++) {
                    /* n = 1003 (not a multiple of any row grain) and the long rows on a few shapes only */
                    const int32_t n = ni < N_KQ_N ? kq_n[ni] : (ni == N_KQ_N ? 1003 : 6);
                    const int32_t k = ki < N_KQ_K ? kq_k[ki] : 16640;
                    const int32_t m = kq_m[mi];
                    if (n == 1003 && (k != 2560 || m == 6 || values == KQ_EXTREME)) continue;
                    if (k == 16640 && (n != 6 || values == KQ_EXTREME)) continue;
                    kq_run_case(rng, t, n, k, m, values, check_ref, each, ctx);
                }
    /* rows shorter than a k-quant block */
    if (t == BN_WTYPE_Q4_0 || t == BN_WTYPE_Q2_0 || t == BN_WTYPE_Q1_0)
        for (int32_t k = kq_block_weights(t); k <= 3 * kq_block_weights(t); k += kq_block_weights(t))
            for (int mi = 0; mi < N_KQ_M; mi++) {
                const int32_t n = 5, m = kq_m[mi];
                kq_run_case(rng, t, n, k, m, KQ_RANDOM, check_ref, each, ctx);
            }
}

#endif
