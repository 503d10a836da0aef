/* Public entry points of the dense (f16, q8_0) matrix products that serve the output head: check
 * every size against the shape, then split the output features over the pool. */
#include "bn_internal.h"

/* Output features per kernel call are a multiple of this (the SIMD variants walk 4 rows at a time). */
#define BN_DENSE_ROW_GRAIN 16
/* Bounds the int32 block sums of q8_0 (|dot_b| <= 2^19 per block) and keeps every index in int64. */
#define BN_DENSE_MAX_K (1 << 24)

typedef struct dense_task {
    bn_dense_fn fn;
    bn_dense_args args;
} dense_task;

static void dense_rows(const void* ctx, int32_t begin, int32_t end) {
    const dense_task* t = (const dense_task*)ctx;
    t->fn(&t->args, begin, end);
}

static bn_status check_shape(const char* name, int32_t n, int32_t k, int32_t m) {
    if (n < 0 || k < 0 || m < 0)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: negative shape n=%d k=%d m=%d", name, n, k, m);
    if (k > BN_DENSE_MAX_K) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: k=%d exceeds %d", name, k, BN_DENSE_MAX_K);
    return BN_STATUS_OK;
}

BN_API bn_status bn_matmul_f16_f32(const uint16_t* w, int64_t w_len, const float* x, int64_t x_len, int32_t n,
                                   int32_t k, int32_t m, float* y, int64_t y_len, bn_threadpool* pool) {
    const char* name = "bn_matmul_f16_f32";
    BN_CHECK(check_shape(name, n, k, m));
    BN_CHECK(bn_check_buffer(name, "w", w, w_len, (int64_t)n * k));
    BN_CHECK(bn_check_buffer(name, "x", x, x_len, (int64_t)m * k));
    BN_CHECK(bn_check_buffer(name, "y", y, y_len, (int64_t)m * n));
    if (n == 0 || m == 0) return BN_STATUS_OK;
    dense_task task = {bn_active_decode_kernels()->matmul_f16_f32,
                       {.w = (const uint8_t*)w, .row_bytes = 2 * (int64_t)k, .x = x, .n = n, .k = k, .m = m, .y = y}};
    bn_parallel_rows(pool, n, BN_DENSE_ROW_GRAIN, dense_rows, &task);
    return BN_STATUS_OK;
}

BN_API bn_status bn_matmul_q8_0_q8(const uint8_t* w, int64_t w_len, const int8_t* xq, int64_t xq_len,
                                   const float* x_scales, int64_t x_scales_len, int32_t n, int32_t k, int32_t m,
                                   float* y, int64_t y_len, bn_threadpool* pool) {
    const char* name = "bn_matmul_q8_0_q8";
    BN_CHECK(check_shape(name, n, k, m));
    if (k % BN_Q8_0_BLOCK != 0)
        return bn_fail(BN_STATUS_SHAPE_MISMATCH, "%s: k=%d is not a multiple of the 32-weight Q8_0 block", name, k);
    const int64_t row_bytes = (int64_t)k / BN_Q8_0_BLOCK * BN_Q8_0_BLOCK_BYTES;
    BN_CHECK(bn_check_buffer(name, "w", w, w_len, row_bytes * n));
    BN_CHECK(bn_check_buffer(name, "xq", xq, xq_len, (int64_t)m * k));
    BN_CHECK(bn_check_buffer(name, "x_scales", x_scales, x_scales_len, m));
    BN_CHECK(bn_check_buffer(name, "y", y, y_len, (int64_t)m * n));
    for (int32_t r = 0; r < m; r++)
        if (!(x_scales[r] - x_scales[r] == 0.0f))
            return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: x_scales[%d] is not finite", name, r);
    if (n == 0 || m == 0) return BN_STATUS_OK;
    dense_task task = {bn_active_decode_kernels()->matmul_q8_0_q8,
                       {.w = w, .row_bytes = row_bytes, .xq = xq, .x_scales = x_scales, .n = n, .k = k, .m = m,
                        .y = y}};
    bn_parallel_rows(pool, n, BN_DENSE_ROW_GRAIN, dense_rows, &task);
    return BN_STATUS_OK;
}
