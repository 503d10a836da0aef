/* bench_attention: bn_attention with every ISA the CPU runs and every KV cache type (f16, q8, q4, q3), on the 2B-4T
 * attention shape (20 query heads over 5 KV heads of 128), for one token and for a prompt batch at several cache
 * lengths; ISAs alternate round by round.
 *
 *   bench_attention [-t THREADS] [-r ROUNDS]
 *
 * Prints the median microseconds per call and the KV-cache bytes read per second. Only for measuring (not a test). */
#include "bitnative.h"
#include "bench_util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUNDS 31

int main(int argc, char** argv) {
    int threads = 1, rounds = 7;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-t") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-r") && i + 1 < argc) rounds = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_attention [-t THREADS] [-r ROUNDS]\n");
            return 2;
        }
    }
    if (threads < 1 || threads > 256 || rounds < 1 || rounds > MAX_ROUNDS) return 2;
    enum { HEADS = 20, KV_HEADS = 5, HEAD_DIM = 128, MAX_M = 128, MAX_POS = 4096 };
    const int64_t q_dim = HEADS * HEAD_DIM;
    bn_threadpool* pool = NULL;
    if (threads > 1 && bn_threadpool_create(threads, &pool) != BN_STATUS_OK) return 1;
    float* q = malloc(sizeof(float) * MAX_M * q_dim);
    float* out = malloc(sizeof(float) * MAX_M * q_dim);
    const int64_t blocks = (int64_t)(MAX_POS + MAX_M) * KV_HEADS;
    float* kf = malloc(sizeof(float) * blocks * HEAD_DIM);
    float* vf = malloc(sizeof(float) * blocks * HEAD_DIM);
    srand(7);
    for (int64_t i = 0; i < MAX_M * q_dim; i++) q[i] = (float)(rand() % 200 - 100) / 100.0f;
    for (int64_t i = 0; i < blocks * HEAD_DIM; i++) {
        kf[i] = (float)(rand() % 200 - 100) / 1000.0f; /* values around +-0.1 */
        vf[i] = (float)(rand() % 200 - 100) / 1000.0f;
    }
    uint8_t* kc[BN_KV_COUNT];
    uint8_t* vc[BN_KV_COUNT];
    int64_t block_bytes[BN_KV_COUNT];
    for (int t = 0; t < BN_KV_COUNT; t++) {
        bn_kv_block_bytes((bn_kv_type)t, HEAD_DIM, &block_bytes[t]);
        kc[t] = malloc((size_t)(blocks * block_bytes[t]));
        vc[t] = malloc((size_t)(blocks * block_bytes[t]));
        bn_kv_quantize(kf, blocks * HEAD_DIM, (int32_t)blocks, HEAD_DIM, (bn_kv_type)t, kc[t], blocks * block_bytes[t]);
        bn_kv_quantize(vf, blocks * HEAD_DIM, (int32_t)blocks, HEAD_DIM, (bn_kv_type)t, vc[t], blocks * block_bytes[t]);
    }
    static const char* const kv_names[BN_KV_COUNT] = {"f16", "q8", "q4", "q3"};
    bn_isa isas[BN_ISA_COUNT];
    int n_isas = 0;
    for (int isa = 1; isa < BN_ISA_COUNT; isa++)
        if (bn_isa_supported((bn_isa)isa)) isas[n_isas++] = (bn_isa)isa;
    printf("threads %d\n%-4s %-6s %-6s %-12s %12s %14s\n", threads, "kv", "m", "cache", "isa", "us/call", "KV GB/s");
    const int cases[][2] = {{1, 128}, {1, 1024}, {1, 4096}, {128, 0}, {128, 1024}};
    for (int kv = 0; kv < BN_KV_COUNT; kv++)
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const int32_t m = cases[c][0], position = cases[c][1];
        const int64_t cache_len = (int64_t)(position + m) * KV_HEADS * block_bytes[kv];
        double us[BN_ISA_COUNT][MAX_ROUNDS];
        for (int r = 0; r <= rounds; r++)
            for (int i = 0; i < n_isas; i++) {
                bn_set_isa(isas[i]);
                const int reps = m == 1 ? 50 : 2;
                const double t0 = now();
                for (int rep = 0; rep < reps; rep++)
                    if (bn_attention(q, (int64_t)m * q_dim, kc[kv], cache_len, vc[kv], cache_len, m, HEADS, KV_HEADS, HEAD_DIM,
                                     position, 0.088f, (bn_kv_type)kv, out, (int64_t)m * q_dim, pool) != BN_STATUS_OK) {
                        fprintf(stderr, "bn_attention: %s\n", bn_last_error());
                        return 1;
                    }
                if (r > 0) us[i][r - 1] = (now() - t0) / reps * 1e6;
            }
        for (int i = 0; i < n_isas; i++) {
            const double med = median(us[i], rounds);
            /* each query token reads the K and V rows of every position it attends to */
            const double bytes = 2.0 * KV_HEADS * block_bytes[kv] * ((double)m * position + (double)m * (m + 1) / 2);
            printf("%-4s %-6d %-6d %-12s %12.1f %14.2f\n", kv_names[kv], m, position, bn_isa_name(isas[i]), med,
                   bytes / (med * 1e-6) / 1e9);
        }
    }
    bn_threadpool_free(pool);
    for (int t = 0; t < BN_KV_COUNT; t++) {
        free(kc[t]);
        free(vc[t]);
    }
    free(q); free(out); free(kf); free(vf);
    return 0;
}
