/* A tiny test harness: deterministic RNG, checks that print the variant, shape, index, expected and
 * actual value (XNNPACK's tester style), and the list of ISAs this machine can run. */
#ifndef BN_TESTING_H
#define BN_TESTING_H

#include "bitnative.h"
#include "bn_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_failures = 0;
static int g_checks = 0;

#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        g_checks++;                                                                                                    \
        if (!(cond)) {                                                                                                 \
            if (g_failures < 50) {                                                                                     \
                fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                   \
                fprintf(stderr, __VA_ARGS__);                                                                          \
                fprintf(stderr, "\n");                                                                                 \
            }                                                                                                          \
            g_failures++;                                                                                              \
        }                                                                                                              \
    } while (0)

#define CHECK_STATUS(expr, expected)                                                                                   \
    do {                                                                                                               \
        bn_status st_ = (expr);                                                                                        \
        CHECK(st_ == (expected), "%s returned %s (%s), expected %s", #expr, bn_status_string(st_), bn_last_error(),   \
              bn_status_string(expected));                                                                             \
    } while (0)

static int test_summary(const char* name) {
    if (g_failures) {
        fprintf(stderr, "%s: %d of %d checks FAILED\n", name, g_failures, g_checks);
        return 1;
    }
    printf("%s: all %d checks passed\n", name, g_checks);
    return 0;
}

/* splitmix64: deterministic across platforms and compilers. */
typedef struct { uint64_t s; } bn_rng;
static inline uint64_t rng_next(bn_rng* r) {
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline int32_t rng_int(bn_rng* r, int32_t lo, int32_t hi) { /* inclusive */
    return lo + (int32_t)(rng_next(r) % (uint64_t)(hi - lo + 1));
}
static inline float rng_uniform(bn_rng* r) { return (float)(rng_next(r) >> 40) / 16777216.0f; } /* [0, 1) */
static inline float rng_normal(bn_rng* r) {
    float u1 = rng_uniform(r) + 1e-7f, u2 = rng_uniform(r);
    return sqrtf(-2.0f * logf(u1)) * cosf(6.2831853f * u2);
}

static inline void fill_ternary(bn_rng* r, int8_t* q, int64_t n, int zero_percent) {
    for (int64_t i = 0; i < n; i++) {
        int v = rng_int(r, 0, 99);
        q[i] = (int8_t)(v < zero_percent ? 0 : (v & 1 ? 1 : -1));
    }
}

static inline void fill_int8(bn_rng* r, int8_t* x, int64_t n, int lo, int hi) {
    for (int64_t i = 0; i < n; i++) x[i] = (int8_t)rng_int(r, lo, hi);
}

static inline int same_float_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

static inline void* xmalloc(size_t bytes) {
    void* p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of memory allocating %zu bytes\n", bytes);
        exit(2);
    }
    return p;
}

/* fn's output for a's rows (a->m x a->n) in a fresh buffer filled with garbage first, so an output the kernel does
 * not write is caught; the rows go in two calls, as two chunks of a thread pool would. */
static inline float* matmul_in_two_chunks(bn_matmul_fn fn, bn_matmul_args* a) {
    const size_t count = (size_t)a->m * (size_t)a->n;
    float* out = xmalloc(count * sizeof(float));
    memset(out, 0x5a, count * sizeof(float));
    a->y = out;
    fn(a, 0, a->n / 2);
    fn(a, a->n / 2, a->n);
    return out;
}

/* True if this CPU and build can run the ISA's kernels; says once per ISA why one is skipped. */
static inline int should_test_isa(bn_isa isa) {
    static int reported[BN_ISA_COUNT];
    if (bn_isa_supported(isa)) return 1;
    if (bn_config_for_isa(isa) && !reported[isa]) {
        printf("  skip %s: this CPU lacks it (its kernels are compiled in)\n", bn_isa_name(isa));
        reported[isa] = 1;
    }
    return 0;
}

/* The kernel an ISA's config runs for wtype x atype at m > 1 (and, where it is the same function,
 * at m = 1), or NULL. */
static inline bn_matmul_fn config_gemm(bn_isa isa, bn_wtype wtype, bn_atype atype) {
    const bn_config* c = bn_config_for_isa(isa);
    return c ? c->matmul[wtype][atype].gemm : NULL;
}

#endif
