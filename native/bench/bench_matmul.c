/* bench_matmul: every matmul kernel of this build, per weight type and ISA, against a plain read of memory.
 *
 *   bench_matmul [-t THREADS] [-m ROWS] [-r ROUNDS] [--shape NxK ...] [--type NAME ...] [--ref]
 *
 * For each shape and weight type it times bn_matmul with every ISA the CPU runs (the scalar reference only with
 * --ref), alternating the ISAs round by round so a noisy neighbour hits them alike, and prints medians:
 *  - DRAM-bound: one activation row (m = 1) against distinct matrices covering 256 MiB, as decoding streams
 *    every weight from memory once per token: GB/s of weight bytes;
 *  - cache-resident: the same matrix again and again (the smallest shape sits in L2): G weights/s;
 *  - with -m ROWS > 1, a batch of ROWS activation rows on one matrix: G multiply-adds/s.
 * The yardstick is a plain sequential read of 1 GiB on one thread (four independent accumulators): the bandwidth
 * one thread can stream. Weights are random bytes: a kernel's speed does not depend on the values.
 * Only for measuring (not a test); docs/PERFORMANCE.md records its output with the CPU it ran on. */
#include "bitnative.h"
#include "bench_util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#  include <immintrin.h>
#endif

#define MAX_ROUNDS 31
#define DRAM_BYTES (256LL << 20)

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static void fill(uint8_t* p, int64_t bytes) {
    for (int64_t i = 0; i + 8 <= bytes; i += 8) {
        const uint64_t v = rng();
        memcpy(p + i, &v, 8);
    }
}

/* Sums 64-bit words with four independent chains: a read of memory and nothing else. */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2")))
#endif
static uint64_t read_all(const uint8_t* p, int64_t bytes) {
#if defined(__x86_64__) && defined(__GNUC__)
    __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
    for (int64_t i = 0; i + 128 <= bytes; i += 128) {
        a = _mm256_add_epi64(a, _mm256_loadu_si256((const __m256i*)(p + i)));
        b = _mm256_add_epi64(b, _mm256_loadu_si256((const __m256i*)(p + i + 32)));
        c = _mm256_add_epi64(c, _mm256_loadu_si256((const __m256i*)(p + i + 64)));
        d = _mm256_add_epi64(d, _mm256_loadu_si256((const __m256i*)(p + i + 96)));
    }
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i*)lanes, _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d)));
    return lanes[0] + lanes[1] + lanes[2] + lanes[3];
#else
    uint64_t s[4] = {0, 0, 0, 0};
    for (int64_t i = 0; i + 32 <= bytes; i += 32)
        for (int j = 0; j < 4; j++) {
            uint64_t v;
            memcpy(&v, p + i + 8 * j, 8);
            s[j] += v;
        }
    return s[0] + s[1] + s[2] + s[3];
#endif
}

typedef struct shape { int32_t n, k; } shape;

typedef struct job {
    bn_wtype wtype;
    bn_atype atype;
    bn_isa isa;
    const uint8_t* w;
    int64_t w_bytes;
    const float* x;
    const int8_t* xq;
    const float* scales;
    int32_t n, k, m;
    float* y;
    bn_threadpool* pool;
} job;

static void run(const job* j) {
    const int64_t xn = (int64_t)j->m * j->k;
    bn_status st = j->atype == BN_ATYPE_F32
                       ? bn_matmul(j->wtype, j->atype, j->isa, j->w, j->w_bytes, 1.0f, j->x, xn, NULL, 0, NULL, 0, j->n,
                                   j->k, j->m, j->y, (int64_t)j->m * j->n, j->pool)
                       : bn_matmul(j->wtype, j->atype, j->isa, j->w, j->w_bytes, 1.0f, NULL, 0, j->xq, xn, j->scales,
                                   j->m, j->n, j->k, j->m, j->y, (int64_t)j->m * j->n, j->pool);
    if (st != BN_STATUS_OK) {
        fprintf(stderr, "bn_matmul %s on %s failed: %s\n", bn_wtype_name(j->wtype), bn_isa_name(j->isa), bn_last_error());
        exit(1);
    }
}

static const char* atype_name(bn_atype a) { return a == BN_ATYPE_F32 ? "f32" : a == BN_ATYPE_Q8 ? "q8" : "q4"; }

static int usage(void) {
    fprintf(stderr, "usage: bench_matmul [-t THREADS] [-m ROWS] [-r ROUNDS] [--shape NxK ...] [--type NAME ...] [--ref]\n");
    return 2;
}

int main(int argc, char** argv) {
    int threads = 1, batch = 1, rounds = 7, with_ref = 0, n_shapes = 0, n_types = 0;
    shape shapes[16];
    const char* types[16];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-t") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-m") && i + 1 < argc) batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-r") && i + 1 < argc) rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ref")) with_ref = 1;
        else if (!strcmp(argv[i], "--shape") && i + 1 < argc && n_shapes < 16) {
            if (sscanf(argv[++i], "%dx%d", &shapes[n_shapes].n, &shapes[n_shapes].k) != 2) return usage();
            n_shapes++;
        } else if (!strcmp(argv[i], "--type") && i + 1 < argc && n_types < 16) types[n_types++] = argv[++i];
        else return usage();
    }
    if (threads < 1 || threads > 256 || batch < 1 || batch > 4096 || rounds < 1 || rounds > MAX_ROUNDS) return usage();
    if (n_shapes == 0) { /* the BitNet-b1.58-2B-4T projections (n x k) and its output head */
        const shape defaults[] = {{2560, 2560}, {640, 2560}, {6912, 2560}, {2560, 6912}, {128256, 2560}};
        n_shapes = (int)(sizeof defaults / sizeof *defaults);
        memcpy(shapes, defaults, sizeof defaults);
    }
    bn_threadpool* pool = NULL;
    if (threads > 1 && bn_threadpool_create(threads, &pool) != BN_STATUS_OK) return 1;
    bn_cpu_features f;
    bn_get_cpu_features(&f);

    /* the yardstick: a plain read of 1 GiB on one thread */
    const int64_t gib = 1LL << 30;
    uint8_t* big = NULL;
    if (bn_weights_alloc(gib, (void**)&big) != BN_STATUS_OK) return 1;
    fill(big, gib);
    double reads[MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        const double t0 = now();
        volatile uint64_t sink = read_all(big, gib);
        reads[r] = (double)gib / (now() - t0) / 1e9;
        (void)sink;
    }
    printf("plain read of 1 GiB, one thread: %.1f GB/s (median of %d)\n", median(reads, rounds), rounds);
    bn_weights_free(big, gib);
    printf("threads %d%s | best ISA %s\n\n", threads, threads > 1 ? " (the read above is one thread's)" : "",
           bn_isa_name((bn_isa)f.best_isa));
    printf("%-6s %-4s %-13s %-12s %12s %14s%s\n", "type", "act", "shape", "isa", "DRAM GB/s", "cache Gw/s",
           batch > 1 ? "   batch GMAC/s" : "");

    for (int w = 0; w < BN_WTYPE_COUNT; w++) {
        bn_wtype_info info;
        bn_wtype_get_info((bn_wtype)w, &info);
        int wanted = n_types == 0;
        for (int t = 0; t < n_types; t++) wanted |= !strcmp(types[t], bn_wtype_name((bn_wtype)w));
        if (!wanted) continue;
        for (int a = 0; a < BN_ATYPE_COUNT; a++) {
            bn_isa isas[BN_ISA_COUNT];
            int n_isas = 0;
            for (int isa = 0; isa < BN_ISA_COUNT; isa++)
                if ((isa != BN_ISA_REF || with_ref) && bn_matmul_supported((bn_wtype)w, (bn_atype)a, (bn_isa)isa))
                    isas[n_isas++] = (bn_isa)isa;
            if (n_isas == 0) continue;
            for (int s = 0; s < n_shapes; s++) {
                const int32_t n = shapes[s].n, k = shapes[s].k;
                if (k % info.block_weights != 0) continue;
                int64_t bytes;
                bn_wtype_bytes((bn_wtype)w, n, k, &bytes);
                const int copies = (int)(DRAM_BYTES / bytes) + 1;
                uint8_t* wbuf = NULL;
                if (bn_weights_alloc(bytes * copies, (void**)&wbuf) != BN_STATUS_OK) return 1;
                fill(wbuf, bytes * copies);
                /* activations valid for every type (q4 values are within int8) */
                float* x = malloc(sizeof(float) * (size_t)batch * (size_t)k);
                int8_t* xq = malloc((size_t)batch * (size_t)k);
                float* scales = malloc(sizeof(float) * (size_t)batch);
                float* y = malloc(sizeof(float) * (size_t)batch * (size_t)n);
                for (int64_t i = 0; i < (int64_t)batch * k; i++) {
                    xq[i] = (int8_t)((int)(rng() % 16) - 8);
                    x[i] = (float)xq[i] * 0.125f;
                }
                for (int r = 0; r < batch; r++) scales[r] = 0.01f;
                double dram[BN_ISA_COUNT][MAX_ROUNDS], cache[BN_ISA_COUNT][MAX_ROUNDS], gemm[BN_ISA_COUNT][MAX_ROUNDS];
                for (int r = 0; r <= rounds; r++) /* round 0 warms up */
                    for (int i = 0; i < n_isas; i++) {
                        job j = {(bn_wtype)w, (bn_atype)a, isas[i], wbuf, bytes, x, xq, scales, n, k, 1, y, pool};
                        double t0 = now();
                        for (int c = 0; c < copies; c++) {
                            j.w = wbuf + (int64_t)c * bytes;
                            run(&j);
                        }
                        const double dram_gbs = (double)bytes * copies / (now() - t0) / 1e9;
                        j.w = wbuf;
                        const int reps = (int)(64e6 / (double)bytes) + 1; /* ~64 MB of reads of one matrix */
                        t0 = now();
                        for (int rep = 0; rep < reps; rep++) run(&j);
                        const double cache_gws = (double)n * k * reps / (now() - t0) / 1e9;
                        double gemm_gmacs = 0;
                        if (batch > 1) {
                            j.m = batch;
                            t0 = now();
                            run(&j);
                            gemm_gmacs = (double)n * k * batch / (now() - t0) / 1e9;
                        }
                        if (r > 0) {
                            dram[i][r - 1] = dram_gbs;
                            cache[i][r - 1] = cache_gws;
                            gemm[i][r - 1] = gemm_gmacs;
                        }
                    }
                for (int i = 0; i < n_isas; i++) {
                    char shape_text[32];
                    snprintf(shape_text, sizeof shape_text, "%dx%d", n, k);
                    printf("%-6s %-4s %-13s %-12s %12.2f %14.1f", bn_wtype_name((bn_wtype)w), atype_name((bn_atype)a),
                           shape_text, bn_isa_name(isas[i]), median(dram[i], rounds), median(cache[i], rounds));
                    if (batch > 1) printf(" %15.1f", median(gemm[i], rounds));
                    printf("\n");
                }
                bn_weights_free(wbuf, bytes * copies);
                free(x); free(xq); free(scales); free(y);
            }
        }
    }
    bn_threadpool_free(pool);
    return 0;
}
