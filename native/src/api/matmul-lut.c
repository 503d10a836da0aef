/* Public lookup-table (TL1) matmul entry points: check every size, build each activation row's
 * tables once (shared by all output rows and threads), then split the 32-row tiles over the pool.
 *
 * Tables are built on the calling thread for one activation row (a GEMV: building costs about one
 * percent of the lookups it serves at 2B-4T shapes, less than a second pool hand-off would save)
 * and in parallel over rows for a batch. Batches go in passes of at most BN_LUT_ROWS_PER_PASS rows,
 * which bounds the table memory (16 k bytes per q8 row). */
#include "bn_internal.h"

#include <stdatomic.h>
#include <stdlib.h>

/* Bounds the int32 dot product as for the other matmuls: |dot| <= 128 k < 2^31. */
#define BN_MAX_K (1 << 22)
/* Activation rows whose tables exist at once: 16 x 16 k bytes = 1.8 MB for k = 6912. */
#define BN_LUT_ROWS_PER_PASS 16

/* Tables are read with aligned 32/64-byte loads; every table is a multiple of 64 bytes. */
static void* aligned_alloc64(size_t bytes) {
#if defined(_WIN32)
    return _aligned_malloc(bytes, 64);
#else
    return aligned_alloc(64, (bytes + 63) / 64 * 64);
#endif
}

static void aligned_free64(void* p) {
#if defined(_WIN32)
    _aligned_free(p);
#else
    free(p);
#endif
}

typedef struct build_task {
    bn_lut_build_fn build;
    const int8_t* xq;     /* first row of the pass */
    int32_t k;
    uint8_t* tables;
    int64_t table_bytes;
    atomic_int out_of_range; /* first row (in the pass) holding an activation outside [-8, 7], or -1 */
} build_task;

static void build_rows(const void* ctx, int32_t begin, int32_t end) {
    build_task* t = (build_task*)ctx;
    for (int32_t r = begin; r < end; r++)
        if (t->build(t->xq + (int64_t)r * t->k, t->k, t->tables + r * t->table_bytes) != 0) {
            int expected = -1;
            atomic_compare_exchange_strong(&t->out_of_range, &expected, r);
        }
}

typedef struct lut_task {
    bn_lut_matmul_fn fn;
    bn_lut_args args;
} lut_task;

static void lut_tiles(const void* ctx, int32_t begin, int32_t end) {
    const lut_task* t = (const lut_task*)ctx;
    t->fn(&t->args, begin, end);
}

/* The first activation outside [-8, 7] in m rows of k, as an index, or -1. */
static int64_t find_non_int4(const int8_t* xq, int64_t count) {
    for (int64_t i = 0; i < count; i++)
        if (xq[i] < -8 || xq[i] > 7) return i;
    return -1;
}

bn_status bn_lut_matmul_run(const bn_lut_kernels* lk, int is_q4, const uint8_t* w, float w_scale, const int8_t* xq,
                            const float* x_scales, int32_t n, int32_t k, int32_t m, float* y, bn_threadpool* pool) {
    const char* name = is_q4 ? "bn_matmul_tl1_q4" : "bn_matmul_tl1_q8";
    if (n == 0 || m == 0) return BN_STATUS_OK;
    const bn_lut_build_fn build = is_q4 ? lk->build_q4 : lk->build_q8;
    const int64_t table_bytes = is_q4 ? BN_LUT_TABLE_BYTES_Q4(k) : BN_LUT_TABLE_BYTES_Q8(k);
    const int32_t rows_per_pass = m < BN_LUT_ROWS_PER_PASS ? m : BN_LUT_ROWS_PER_PASS;
    /* Activations a q4 table cannot hold must be rejected before any output is written. One pass:
     * the builders find them for free. Several passes (or no builder): check up front, which costs
     * little next to a whole batch. */
    if (is_q4 && (m > rows_per_pass || !build)) {
        const int64_t bad = find_non_int4(xq, (int64_t)m * k);
        if (bad >= 0)
            return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: xq[%lld] = %d (row %lld) is outside the int4 range [-8, 7]",
                           name, (long long)bad, xq[bad], (long long)(bad / k));
    }
    uint8_t* tables = NULL;
    if (build && k > 0) {
        tables = (uint8_t*)aligned_alloc64((size_t)(rows_per_pass * table_bytes));
        if (!tables)
            return bn_fail(BN_STATUS_OUT_OF_MEMORY, "%s: cannot allocate %lld bytes of lookup tables", name,
                           (long long)(rows_per_pass * table_bytes));
    }
    const int32_t n_tiles = (n + BN_LUT_ROW_TILE - 1) / BN_LUT_ROW_TILE;
    for (int32_t r0 = 0; r0 < m; r0 += rows_per_pass) {
        const int32_t rows = m - r0 < rows_per_pass ? m - r0 : rows_per_pass;
        const int8_t* x = xq + (int64_t)r0 * k;
        if (tables) {
            build_task bt = {.build = build, .xq = x, .k = k, .tables = tables, .table_bytes = table_bytes};
            atomic_init(&bt.out_of_range, -1);
            bn_parallel_rows(rows > 1 ? pool : NULL, rows, 1, build_rows, &bt);
            const int bad_row = atomic_load(&bt.out_of_range);
            if (is_q4 && bad_row >= 0) {
                aligned_free64(tables);
                const int64_t at = find_non_int4(x + (int64_t)bad_row * k, k);
                return bn_fail(BN_STATUS_INVALID_ARGUMENT,
                               "%s: xq[%lld] = %d (row %d) is outside the int4 range [-8, 7]", name,
                               (long long)((int64_t)(r0 + bad_row) * k + at), x[(int64_t)bad_row * k + at],
                               r0 + bad_row);
            }
        }
        lut_task task;
        task.fn = is_q4 ? lk->matmul_q4 : lk->matmul_q8;
        task.args = (bn_lut_args){.w = w, .tables = tables, .table_bytes = table_bytes, .xq = x,
                                  .x_scales = x_scales + r0, .w_scale = w_scale, .n = n, .k = k, .m = rows,
                                  .y = y + (int64_t)r0 * n};
        bn_parallel_rows(pool, n_tiles, 1, lut_tiles, &task);
    }
    aligned_free64(tables);
    return BN_STATUS_OK;
}

static bn_status matmul_tl1(const char* name, int is_q4, const uint8_t* w, int64_t w_len, float w_scale,
                            const int8_t* xq, int64_t xq_len, const float* x_scales, int64_t x_scales_len, int32_t n,
                            int32_t k, int32_t m, float* y, int64_t y_len, bn_threadpool* pool) {
    if (n < 0 || k < 0 || m < 0)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: negative shape n=%d k=%d m=%d", name, n, k, m);
    if (k > BN_MAX_K) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: k=%d exceeds the limit %d", name, k, BN_MAX_K);
    int64_t need_w;
    if (bn_lut_packed_bytes(n, k, &need_w) != BN_STATUS_OK)
        return bn_fail(BN_STATUS_SHAPE_MISMATCH, "%s: k=%d is not a multiple of the %d-column TL1 block", name, k,
                       BN_LUT_BLOCK);
    const bn_status bad = bn_check_matmul_args(name, w, w_len, need_w, w_scale, xq, xq_len, x_scales, x_scales_len, n, k,
                                               m, y, y_len);
    if (bad != BN_STATUS_OK) return bad;
    const bn_lut_kernels* lk = bn_lut_kernels_for_isa(bn_get_isa());
    if (!lk) return bn_fail(BN_STATUS_INTERNAL, "%s: no LUT kernels for the active ISA", name);
    return bn_lut_matmul_run(lk, is_q4, w, w_scale, xq, x_scales, n, k, m, y, pool);
}

BN_API bn_status bn_matmul_tl1_q8(const uint8_t* w, int64_t w_len, float w_scale, const int8_t* xq, int64_t xq_len,
                                  const float* x_scales, int64_t x_scales_len, int32_t n, int32_t k, int32_t m,
                                  float* y, int64_t y_len, bn_threadpool* pool) {
    return matmul_tl1("bn_matmul_tl1_q8", 0, w, w_len, w_scale, xq, xq_len, x_scales, x_scales_len, n, k, m, y,
                      y_len, pool);
}

BN_API bn_status bn_matmul_tl1_q4(const uint8_t* w, int64_t w_len, float w_scale, const int8_t* xq, int64_t xq_len,
                                  const float* x_scales, int64_t x_scales_len, int32_t n, int32_t k, int32_t m,
                                  float* y, int64_t y_len, bn_threadpool* pool) {
    return matmul_tl1("bn_matmul_tl1_q4", 1, w, w_len, w_scale, xq, xq_len, x_scales, x_scales_len, n, k, m, y,
                      y_len, pool);
}
