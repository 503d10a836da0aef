/* bn_matmul, the one matrix-multiplication entry point: check every size against the shape, look the
 * kernel up by (weight type, activation type, ISA), build each activation row's lookup tables when
 * the kernel has a prepare step, then split the output rows over the pool. Kernels below this point
 * trust their arguments.
 *
 * Tables are built on the calling thread for one activation row (a GEMV: building costs about one
 * percent of the lookups it serves at 2B-4T shapes, less than a second pool hand-off would save)
 * and in parallel over rows for a batch. Batches go in passes of at most ROWS_PER_PASS rows, which
 * bounds the table memory (16 k bytes per q8 row). */
#include "bn_internal.h"

#include <stdatomic.h>
#include <stdlib.h>

/* Bounds the int32 dot products: |code - 1| <= 2 and |xq| <= 128 give |dot| <= 256 k < 2^31 for the
 * ternary types; a Q8_0 block sum is at most 2^19, and every index stays in int64. */
#define BN_MAX_K (1 << 22)
/* Activation rows whose tables exist at once: 16 x 16 k bytes = 1.8 MB for k = 6912. */
#define ROWS_PER_PASS 16

BN_KERNEL_TASK(matmul_task, bn_matmul_fn, bn_matmul_args)

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
    atomic_int out_of_range; /* first row (in the pass) holding an activation the tables cannot hold, or -1 */
} build_task;

static void build_rows(const void* ctx, int32_t begin, int32_t end) {
    build_task* t = (build_task*)ctx;
    for (int32_t r = begin; r < end; r++)
        if (t->build(t->xq + (int64_t)r * t->k, t->k, t->tables + r * t->table_bytes) != 0) {
            int expected = -1;
            atomic_compare_exchange_strong(&t->out_of_range, &expected, r);
        }
}

/* The first activation outside [-8, 7] in count values, as an index, or -1. */
static int64_t find_non_int4(const int8_t* xq, int64_t count) {
    for (int64_t i = 0; i < count; i++)
        if (xq[i] < -8 || xq[i] > 7) return i;
    return -1;
}

static bn_status int4_range_error(const char* name, const int8_t* xq, int64_t at, int32_t k) {
    return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: xq[%lld] = %d (row %lld) is outside the int4 range [-8, 7]", name,
                   (long long)at, xq[at], (long long)(at / k));
}

static bn_status check_args(const char* name, const bn_wtype_traits* t, bn_atype atype, const uint8_t* w,
                            int64_t w_len, float w_scale, const float* x, int64_t x_len, const int8_t* xq,
                            int64_t xq_len, const float* x_scales, int64_t x_scales_len, int32_t n, int32_t k,
                            int32_t m, const float* y, int64_t y_len) {
    if (n < 0 || k < 0 || m < 0)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: negative shape n=%d k=%d m=%d", name, n, k, m);
    if (k > BN_MAX_K) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: k=%d exceeds the limit %d", name, k, BN_MAX_K);
    if (k % t->info.block_weights != 0)
        return bn_fail(BN_STATUS_SHAPE_MISMATCH, "%s: k=%d is not a multiple of the %d-weight %s block", name, k,
                       t->info.block_weights, t->name);
    const int64_t need_x = (int64_t)m * k;
    BN_CHECK(bn_check_buffer(name, "w", w, w_len, bn_wtype_matrix_bytes(t, n, k)));
    if (atype == BN_ATYPE_F32) {
        BN_CHECK(bn_check_buffer(name, "x", x, x_len, need_x));
    } else {
        BN_CHECK(bn_check_buffer(name, "xq", xq, xq_len, need_x));
        BN_CHECK(bn_check_buffer(name, "x_scales", x_scales, x_scales_len, m));
        for (int32_t r = 0; r < m; r++)
            if (!bn_is_finite(x_scales[r]))
                return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: x_scales[%d] is not finite", name, r);
    }
    BN_CHECK(bn_check_buffer(name, "y", y, y_len, (int64_t)m * n));
    if (!bn_is_finite(w_scale)) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: w_scale is not finite", name);
    return BN_STATUS_OK;
}

/* Runs the rows of one pass: builds its tables (when the kernel has a prepare step), then splits the
 * output rows over the pool. */
static bn_status run_pass(const char* name, const bn_matmul_ukernel* uk, const bn_wtype_traits* t, matmul_task* task,
                          uint8_t* tables, bn_threadpool* pool) {
    bn_matmul_args* a = &task->args;
    if (tables) {
        build_task bt = {.build = uk->prepare, .xq = a->xq, .k = a->k, .tables = tables, .table_bytes = a->table_bytes};
        atomic_init(&bt.out_of_range, -1);
        bn_parallel_rows(a->m > 1 ? pool : NULL, a->m, 1, build_rows, &bt);
        const int bad_row = atomic_load(&bt.out_of_range);
        if (bad_row >= 0) {
            const int8_t* row = a->xq + (int64_t)bad_row * a->k;
            return int4_range_error(name, a->xq, (int64_t)bad_row * a->k + find_non_int4(row, a->k), a->k);
        }
    }
    task->fn = a->m == 1 ? uk->gemv : uk->gemm;
    bn_parallel_rows(pool, a->n, t->row_grain, matmul_task_run, task);
    return BN_STATUS_OK;
}

bn_status bn_matmul_run(const bn_matmul_ukernel* uk, bn_wtype wtype, bn_atype atype, const uint8_t* w, float w_scale,
                        const float* x, const int8_t* xq, const float* x_scales, int32_t n, int32_t k, int32_t m,
                        float* y, bn_threadpool* pool) {
    const char* name = "bn_matmul";
    const bn_wtype_traits* t = bn_wtype_traits_of(wtype);
    if (n == 0 || m == 0) return BN_STATUS_OK;
    const int has_tables = uk->prepare != NULL && k > 0;
    const int32_t rows_per_pass = has_tables && m > ROWS_PER_PASS ? ROWS_PER_PASS : m;
    /* q4 values a table cannot hold must be rejected before any output is written. In one pass the
     * builders find them for free; otherwise (several passes, or a kernel without tables) check up
     * front, which costs little next to the product. */
    if (atype == BN_ATYPE_Q4 && (rows_per_pass < m || !has_tables)) {
        const int64_t bad = find_non_int4(xq, (int64_t)m * k);
        if (bad >= 0) return int4_range_error(name, xq, bad, k);
    }
    const int64_t table_bytes = (int64_t)uk->table_bytes_per_k * k;
    uint8_t* tables = NULL;
    if (has_tables) {
        tables = (uint8_t*)aligned_alloc64((size_t)(rows_per_pass * table_bytes));
        if (!tables)
            return bn_fail(BN_STATUS_OUT_OF_MEMORY, "%s: cannot allocate %lld bytes of lookup tables", name,
                           (long long)(rows_per_pass * table_bytes));
    }
    const int64_t row_bytes = bn_wtype_matrix_bytes(t, t->info.row_tile, k) / t->info.row_tile;
    bn_status st = BN_STATUS_OK;
    for (int32_t r0 = 0; r0 < m && st == BN_STATUS_OK; r0 += rows_per_pass) {
        const int32_t rows = m - r0 < rows_per_pass ? m - r0 : rows_per_pass;
        const int64_t off = (int64_t)r0 * k;
        matmul_task task = {.args = {.w = w, .row_bytes = row_bytes, .w_scale = w_scale, .x = x ? x + off : NULL,
                                     .xq = xq ? xq + off : NULL, .x_scales = x_scales ? x_scales + r0 : NULL,
                                     .tables = tables, .table_bytes = table_bytes, .n = n, .k = k, .m = rows,
                                     .y = y + (int64_t)r0 * n}};
        st = run_pass(name, uk, t, &task, tables, pool);
    }
    aligned_free64(tables);
    if (st == BN_STATUS_OK && !t->kernels_apply_w_scale && w_scale != 1.0f)
        for (int64_t i = 0; i < (int64_t)m * n; i++) y[i] *= w_scale;
    return st;
}

BN_API int32_t bn_matmul_supported(bn_wtype wtype, bn_atype atype, bn_isa isa) {
    if ((int)wtype < 0 || wtype >= BN_WTYPE_COUNT || (int)atype < 0 || atype >= BN_ATYPE_COUNT) return 0;
    if (!bn_isa_available(isa)) return 0;
    return bn_config_for_isa(isa)->matmul[wtype][atype].gemm != NULL;
}

BN_API bn_status bn_matmul(bn_wtype wtype, bn_atype atype, bn_isa isa, const uint8_t* w, int64_t w_len, float w_scale,
                           const float* x, int64_t x_len, const int8_t* xq, int64_t xq_len, const float* x_scales,
                           int64_t x_scales_len, int32_t n, int32_t k, int32_t m, float* y, int64_t y_len,
                           bn_threadpool* pool) {
    const char* name = "bn_matmul";
    if ((int)wtype < 0 || wtype >= BN_WTYPE_COUNT)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: %d is not a bn_wtype value", name, (int)wtype);
    if ((int)atype < 0 || atype >= BN_ATYPE_COUNT)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: %d is not a bn_atype value", name, (int)atype);
    const bn_wtype_traits* t = bn_wtype_traits_of(wtype);
    if (!bn_matmul_supported(wtype, atype, isa)) {
        if (!bn_isa_available(isa))
            return bn_fail(BN_STATUS_UNSUPPORTED, "%s: the ISA %s is not supported by this CPU or build", name,
                           bn_isa_name(isa));
        static const char* const atype_names[BN_ATYPE_COUNT] = {"f32", "q8", "q4"};
        return bn_fail(BN_STATUS_UNSUPPORTED, "%s: no %s kernel for %s weights with %s activations", name,
                       bn_isa_name(isa), t->name, atype_names[atype]);
    }
    BN_CHECK(check_args(name, t, atype, w, w_len, w_scale, x, x_len, xq, xq_len, x_scales, x_scales_len, n, k, m, y,
                        y_len));

    return bn_matmul_run(&bn_config_for_isa(isa)->matmul[wtype][atype], wtype, atype, w, w_scale, x, xq, x_scales, n,
                         k, m, y, pool);
}
