/* Public activation-quantization entry points: validate, then run the dispatched kernel over rows. */
#include "bn_internal.h"

typedef struct quantize_task {
    bn_quantize_fn fn;
    const float* x;
    int32_t k;
    int8_t* xq;
    float* scales;
} quantize_task;

static void quantize_rows(const void* ctx, int32_t begin, int32_t end) {
    const quantize_task* t = (const quantize_task*)ctx;
    t->fn(t->x, t->k, begin, end, t->xq, t->scales);
}

static bn_status quantize(const char* name, int is_q4, const float* x, int64_t x_len, int32_t m, int32_t k, int8_t* xq,
                          int64_t xq_len, float* scales, int64_t scales_len, bn_threadpool* pool) {
    if (m < 0 || k < 0) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: negative shape m=%d k=%d", name, m, k);
    int64_t count = (int64_t)m * k;
    if (x_len < count || xq_len < count || scales_len < m)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT,
                       "%s: m=%d k=%d needs x_len and xq_len >= %lld and scales_len >= %d, got %lld, %lld, %lld", name,
                       m, k, (long long)count, m, (long long)x_len, (long long)xq_len, (long long)scales_len);
    if ((count > 0 && (!x || !xq)) || (m > 0 && !scales))
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: NULL buffer", name);
    /* Reject NaN and infinity up front: they would make the scale meaningless for the whole row. */
    for (int64_t i = 0; i < count; i++)
        if (!(x[i] - x[i] == 0.0f))
            return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: x[%lld] (row %lld) is not finite", name, (long long)i,
                           (long long)(i / (k > 0 ? k : 1)));
    const bn_config* kern = bn_active_config();
    quantize_task task = {is_q4 ? kern->quantize_q4 : kern->quantize_q8, x, k, xq, scales};
    /* A row of a 2B-4T activation is 2.5-7k floats: parallelize only prompt batches. */
    bn_parallel_rows(pool, m, m >= 8 ? 1 : m, quantize_rows, &task);
    return BN_STATUS_OK;
}

BN_API bn_status bn_quantize_q8(const float* x, int64_t x_len, int32_t m, int32_t k, int8_t* xq, int64_t xq_len,
                                float* scales, int64_t scales_len, bn_threadpool* pool) {
    return quantize("bn_quantize_q8", 0, x, x_len, m, k, xq, xq_len, scales, scales_len, pool);
}

BN_API bn_status bn_quantize_q4(const float* x, int64_t x_len, int32_t m, int32_t k, int8_t* xq, int64_t xq_len,
                                float* scales, int64_t scales_len, bn_threadpool* pool) {
    return quantize("bn_quantize_q4", 1, x, x_len, m, k, xq, xq_len, scales, scales_len, pool);
}
