/* Width, row and value classes of the activation-quantization tests, shared by test_quantize.c
 * (every ISA this CPU runs) and test_avx512_emulated.c (the AVX-512 kernels through SIMDe). */
#ifndef BN_QUANTIZE_CASES_H
#define BN_QUANTIZE_CASES_H

#include "testing.h"

/* Widths around every vector length (8, 16, 32 floats) and the 2B-4T row widths. */
static const int32_t q_widths[] = {1, 7, 15, 16, 17, 31, 33, 64, 127, 255, 2560, 6912};
static const int32_t q_rows[] = {1, 3, 9};
#define N_Q_WIDTHS ((int)(sizeof q_widths / sizeof *q_widths))
#define N_Q_ROWS ((int)(sizeof q_rows / sizeof *q_rows))
#define Q_MAX_ROWS 9

enum { FILL_NORMAL, FILL_ZERO, FILL_OUTLIER, FILL_TINY, FILL_HUGE, FILL_TIES, FILL_COUNT };

static void fill_row(bn_rng* rng, float* x, int32_t k, int kind) {
    for (int32_t j = 0; j < k; j++) {
        switch (kind) {
        case FILL_NORMAL: x[j] = rng_normal(rng); break;
        case FILL_ZERO: x[j] = 0.0f; break;
        case FILL_OUTLIER: x[j] = j == k / 2 ? 1000.0f : rng_normal(rng) * 0.01f; break;
        case FILL_TINY: x[j] = rng_normal(rng) * 1e-30f; break;
        case FILL_HUGE: x[j] = rng_normal(rng) * 1e30f; break;
        case FILL_TIES: x[j] = (float)(rng_int(rng, -254, 254)) * 0.5f; break; /* x * s lands on .5 often */
        }
    }
}

/* m rows of k floats; row r gets value class (kind + r) % FILL_COUNT. */
static float* quantize_case_input(bn_rng* rng, int32_t k, int32_t m, int kind) {
    float* x = xmalloc((size_t)m * (size_t)k * sizeof(float));
    for (int32_t r = 0; r < m; r++) fill_row(rng, x + (int64_t)r * k, k, (kind + r) % FILL_COUNT);
    return x;
}

/* Runs ref and var on x and checks every scale and value bit for bit; leaves ref's output in
 * q_ref / s_ref for further checks. */
static void quantize_check_variant(bn_quantize_fn ref, bn_quantize_fn var, int bits, const char* variant,
                                   const float* x, int32_t k, int32_t m, int kind, int8_t* q_ref, float* s_ref) {
    const int64_t count = (int64_t)m * k;
    int8_t* q_var = xmalloc((size_t)count);
    float s_var[Q_MAX_ROWS];
    ref(x, k, 0, m, q_ref, s_ref);
    memset(q_var, 0x5a, (size_t)count);
    var(x, k, 0, m, q_var, s_var);
    for (int32_t r = 0; r < m; r++)
        CHECK(same_float_bits(s_ref[r], s_var[r]), "q%d %s k=%d m=%d kind=%d row %d: scale %a vs ref %a", bits,
              variant, k, m, kind, r, (double)s_var[r], (double)s_ref[r]);
    for (int64_t j = 0; j < count; j++)
        if (q_ref[j] != q_var[j]) {
            CHECK(0, "q%d %s k=%d m=%d kind=%d: xq[%lld] = %d, ref %d (x = %a)", bits, variant, k, m, kind,
                  (long long)j, q_var[j], q_ref[j], (double)x[j]);
            break;
        }
    free(q_var);
}

#endif
