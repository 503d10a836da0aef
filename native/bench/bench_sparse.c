/* bench_sparse: the a4.8 sparse projections, dense I2S against the transposed I2ST layout that skips zero columns,
 * per ISA, on the 2B-4T shapes of o_proj (2560 x 2560) and down_proj (2560 x 6912) at several input sparsities.
 * Weights stream from DRAM as in decoding: each timed product reads a different copy of the matrix (256 MiB of them).
 * Prints microseconds per product (median of the rounds, variants alternating per round) for one token and a batch.
 *   bench_sparse [threads] [rounds] */
#include "bitnative.h"
#include "bn_internal.h"
#include "bench_util.h"

#include <stdio.h>
#include <string.h>

#define MAX_ROUNDS 64

typedef struct shape { const char* name; int32_t n, k; } shape;

int main(int argc, char** argv) {
    const int threads = argc > 1 ? atoi(argv[1]) : 1, rounds = argc > 2 ? atoi(argv[2]) : 15;
    bn_threadpool* pool = NULL;
    if (threads > 1 && bn_threadpool_create(threads, &pool) != BN_STATUS_OK) return 1;
    const shape shapes[] = {{"o_proj 2560x2560", 2560, 2560}, {"down 2560x6912", 2560, 6912}};
    const float sparsities[] = {0.0f, 0.5f, 0.8f, 0.9f};
    const int batches[] = {1, 32};
    printf("threads %d, rounds %d; us per product (median), weights from DRAM\n", threads, rounds);
    printf("%-18s %5s %8s %-12s %10s %10s %8s\n", "shape", "m", "sparsity", "isa", "i2s dense", "i2st", "speedup");
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const int32_t n = shapes[s].n, k = shapes[s].k;
        int64_t dense_bytes, sparse_bytes;
        bn_wtype_bytes(BN_WTYPE_I2S, n, k, &dense_bytes);
        bn_wtype_bytes(BN_WTYPE_I2ST, n, k, &sparse_bytes);
        const int copies = getenv("BN_COPIES") ? atoi(getenv("BN_COPIES")) : (int)((256ll << 20) / dense_bytes) + 1;
        int8_t* q = malloc((size_t)n * k);
        uint64_t r = 12345;
        for (int64_t i = 0; i < (int64_t)n * k; i++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            q[i] = (int8_t)((int)(r >> 33) % 3 - 1);
        }
        uint8_t** dense = malloc(sizeof(uint8_t*) * copies);
        uint8_t** sparse = malloc(sizeof(uint8_t*) * copies);
        for (int c = 0; c < copies; c++) {
            /* weight memory as the engine allocates it (2 MiB pages where the OS has them) */
            bn_weights_alloc(dense_bytes, (void**)&dense[c]);
            bn_weights_alloc(sparse_bytes, (void**)&sparse[c]);
            bn_pack(BN_WTYPE_I2S, q, (int64_t)n * k, n, k, 1.0f, dense[c], dense_bytes);
            bn_repack(BN_WTYPE_I2S, dense[c], dense_bytes, BN_WTYPE_I2ST, n, k, sparse[c], sparse_bytes, pool);
        }
        for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
            const int32_t m = batches[b];
            int8_t* x = malloc((size_t)m * k);
            float scales[32], *y = malloc(sizeof(float) * (size_t)m * n);
            for (int i = 0; i < m; i++) scales[i] = 0.01f;
            for (size_t sp = 0; sp < sizeof sparsities / sizeof *sparsities; sp++) {
                for (int64_t i = 0; i < (int64_t)m * k; i++) {
                    r = r * 6364136223846793005ull + 1442695040888963407ull;
                    x[i] = (int8_t)((int)(r >> 33) % 255 - 127);
                }
                bn_topk_q8(x, (int64_t)m * k, m, k, k - (int32_t)(sparsities[sp] * k + 0.5f), NULL);
                for (int isa = 1; isa < BN_ISA_COUNT; isa++) {
                    if (!bn_isa_supported((bn_isa)isa)) continue;
                    double td[MAX_ROUNDS], ts[MAX_ROUNDS];
                    int c = 0;
                    for (int round = 0; round < rounds && round < MAX_ROUNDS; round++) {
                        double t0 = now();
                        bn_matmul(BN_WTYPE_I2S, BN_ATYPE_Q8, (bn_isa)isa, dense[c], dense_bytes, 1.0f, NULL, 0, x, (int64_t)m * k,
                                  scales, m, n, k, m, y, (int64_t)m * n, pool);
                        td[round] = now() - t0;
                        c = (c + 1) % copies;
                        t0 = now();
                        bn_matmul(BN_WTYPE_I2ST, BN_ATYPE_Q8, (bn_isa)isa, sparse[c], sparse_bytes, 1.0f, NULL, 0, x,
                                  (int64_t)m * k, scales, m, n, k, m, y, (int64_t)m * n, pool);
                        ts[round] = now() - t0;
                        c = (c + 1) % copies;
                    }
                    const double md = median(td, rounds) * 1e6, ms = median(ts, rounds) * 1e6;
                    printf("%-18s %5d %7.0f%% %-12s %10.1f %10.1f %7.2fx\n", shapes[s].name, m, sparsities[sp] * 100,
                           bn_isa_name((bn_isa)isa), md, ms, md / ms);
                }
            }
            free(x);
            free(y);
        }
        for (int c = 0; c < copies; c++) {
            bn_weights_free(dense[c], dense_bytes);
            bn_weights_free(sparse[c], sparse_bytes);
        }
        free(dense);
        free(sparse);
        free(q);
    }
    bn_threadpool_free(pool);
    return 0;
}
