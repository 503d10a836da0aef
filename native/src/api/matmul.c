/* Public ternary matmul entry points: check every size against the shape, then split the output
 * rows over the pool. Kernels below this point trust their arguments. */
#include "bn_internal.h"

/* Bounds the int32 dot product: |code - 1| <= 2 and |xq| <= 128, so |dot| <= 256 k < 2^31. */
#define BN_MAX_K (1 << 22)

/* Rows handed to one kernel call are a multiple of this, so SIMD variants can process several
 * rows at once; the tail chunk takes the remainder. */
#define BN_MATMUL_ROW_GRAIN 8

typedef struct matmul_task {
    bn_matmul_fn fn;
    bn_matmul_args args;
} matmul_task;

static void matmul_rows(const void* ctx, int32_t begin, int32_t end) {
    const matmul_task* t = (const matmul_task*)ctx;
    t->fn(&t->args, begin, end);
}

bn_status bn_check_matmul_args(const char* name, const uint8_t* w, int64_t w_len, int64_t need_w, float w_scale,
                               const int8_t* xq, int64_t xq_len, const float* x_scales, int64_t x_scales_len,
                               int32_t n, int32_t k, int32_t m, const float* y, int64_t y_len) {
    const int64_t need_x = (int64_t)m * k, need_y = (int64_t)m * n;
    if (w_len < need_w)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: w_len %lld < %lld bytes of %d x %d weights", name,
                       (long long)w_len, (long long)need_w, n, k);
    if (xq_len < need_x || x_scales_len < m || y_len < need_y)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT,
                       "%s: m=%d n=%d k=%d needs xq_len >= %lld, x_scales_len >= %d, y_len >= %lld; got %lld, %lld, %lld",
                       name, m, n, k, (long long)need_x, m, (long long)need_y, (long long)xq_len,
                       (long long)x_scales_len, (long long)y_len);
    /* Empty buffers may be NULL (a .NET `fixed` over an empty span is); non-empty ones may not. */
    if ((need_w > 0 && !w) || (need_x > 0 && !xq) || (m > 0 && !x_scales) || (need_y > 0 && !y))
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: NULL buffer", name);
    if (!bn_is_finite(w_scale)) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: w_scale is not finite", name);
    for (int32_t r = 0; r < m; r++)
        if (!bn_is_finite(x_scales[r]))
            return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: x_scales[%d] is not finite", name, r);
    return BN_STATUS_OK;
}

static bn_status matmul(const char* name, bn_wtype wtype, const uint8_t* w, int64_t w_len, float w_scale,
                        const int8_t* xq, int64_t xq_len, const float* x_scales, int64_t x_scales_len, int32_t n,
                        int32_t k, int32_t m, float* y, int64_t y_len, bn_threadpool* pool) {
    if (n < 0 || k < 0 || m < 0)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: negative shape n=%d k=%d m=%d", name, n, k, m);
    if (k > BN_MAX_K) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: k=%d exceeds the limit %d", name, k, BN_MAX_K);
    int64_t row_bytes;
    if (bn_wtype_row_bytes(wtype, 1, k, &row_bytes) != BN_STATUS_OK)
        return bn_fail(BN_STATUS_SHAPE_MISMATCH, "%s: k=%d is not a multiple of the %s block", name, k,
                       wtype == BN_WTYPE_I2S ? "128-weight I2S" : "256-weight TQ");
    const bn_status bad = bn_check_matmul_args(name, w, w_len, row_bytes * n, w_scale, xq, xq_len, x_scales, x_scales_len,
                                               n, k, m, y, y_len);
    if (bad != BN_STATUS_OK) return bad;
    if (n == 0 || m == 0) return BN_STATUS_OK;

    const bn_kernels* kern = bn_active_kernels();
    matmul_task task;
    task.fn = wtype == BN_WTYPE_I2S ? kern->matmul_i2s_q8 : kern->matmul_tq2_q8;
    task.args = (bn_matmul_args){.w = w, .row_bytes = row_bytes, .w_scale = w_scale, .xq = xq,
                                 .x_scales = x_scales, .n = n, .k = k, .m = m, .y = y};
    bn_parallel_rows(pool, n, BN_MATMUL_ROW_GRAIN, matmul_rows, &task);
    return BN_STATUS_OK;
}

BN_API bn_status bn_matmul_i2s_q8(const uint8_t* w, int64_t w_len, float w_scale, const int8_t* xq, int64_t xq_len,
                                  const float* x_scales, int64_t x_scales_len, int32_t n, int32_t k, int32_t m,
                                  float* y, int64_t y_len, bn_threadpool* pool) {
    return matmul("bn_matmul_i2s_q8", BN_WTYPE_I2S, w, w_len, w_scale, xq, xq_len, x_scales, x_scales_len, n, k, m, y,
                  y_len, pool);
}

BN_API bn_status bn_matmul_tq2_q8(const uint8_t* w, int64_t w_len, float w_scale, const int8_t* xq, int64_t xq_len,
                                  const float* x_scales, int64_t x_scales_len, int32_t n, int32_t k, int32_t m,
                                  float* y, int64_t y_len, bn_threadpool* pool) {
    return matmul("bn_matmul_tq2_q8", BN_WTYPE_TQ2, w, w_len, w_scale, xq, xq_len, x_scales, x_scales_len, n, k, m, y,
                  y_len, pool);
}
