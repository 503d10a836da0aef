/* Public entry points of the decode-step operations (norms, gated activation, RoPE + KV write,
 * attention): check every size against the shape, then run the dispatched kernel over rows, on the
 * pool when the work is large enough to pay for the hand-off. Kernels below this point trust their
 * arguments. */
#include "bn_internal.h"

#include <stdatomic.h>

/* What a norm call writes: floats, int8 or int4 rows, or the gated activation's h as int8 rows. */
typedef enum norm_output { NORM_F32, NORM_Q8, NORM_Q4, NORM_GLU_Q8 } norm_output;

/* A row-parallel norm call that remembers one row the kernel reported as not finite. */
typedef struct norm_task {
    const bn_config* kern;
    norm_output output;
    const float* x;
    float* gate;
    const float* up;
    bn_activation act;
    const float* w;
    float eps;
    int32_t k;
    float* y;
    int8_t* xq;
    float* scales;
    atomic_int bad_row; /* -1, or a row whose sum of squares is not finite */
} norm_task;

static void norm_rows(const void* ctx, int32_t begin, int32_t end) {
    norm_task* t = (norm_task*)ctx; /* bad_row is the only field written, atomically */
    int32_t bad;
    switch (t->output) {
    case NORM_F32: bad = t->kern->rmsnorm_f32(t->x, t->w, t->eps, t->k, begin, end, t->y); break;
    case NORM_Q8: bad = t->kern->rmsnorm_q8(t->x, t->w, t->eps, t->k, begin, end, t->xq, t->scales); break;
    case NORM_Q4: bad = t->kern->rmsnorm_q4(t->x, t->w, t->eps, t->k, begin, end, t->xq, t->scales); break;
    case NORM_GLU_Q8:
    default: bad = t->kern->glu_rmsnorm_q8(t->gate, t->up, t->act, t->w, t->eps, t->k, begin, end, t->xq, t->scales);
    }
    if (bad >= 0) atomic_store(&t->bad_row, bad);
}

/* Rows of 2.5-7k floats take a microsecond or two: one token runs on the calling thread, a prompt
 * batch is split. */
static int32_t row_grain(int32_t m) { return m >= 8 ? 1 : m; }

static bn_status check_rows(const char* name, int32_t m, int32_t k, const float* weight, int64_t weight_len,
                            float eps) {
    if (m < 0 || k < 1) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: m=%d must be >= 0 and k=%d >= 1", name, m, k);
    if (weight_len < k || !weight)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: weight_len %lld < k=%d (or weight is NULL)", name,
                       (long long)weight_len, k);
    if (!bn_is_finite(eps) || !(eps > 0.0f))
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: eps %g must be positive and finite", name, (double)eps);
    return BN_STATUS_OK;
}

static bn_status run_norm(const char* name, norm_task* task, int32_t m, bn_threadpool* pool) {
    atomic_init(&task->bad_row, -1);
    bn_parallel_rows(pool, m, row_grain(m), norm_rows, task);
    int bad = atomic_load(&task->bad_row);
    if (bad >= 0)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT,
                       "%s: row %d is not finite (a NaN or infinity, or values whose squares overflow float)", name,
                       bad);
    return BN_STATUS_OK;
}

BN_API bn_status bn_rmsnorm_f32(const float* x, int64_t x_len, const float* weight, int64_t weight_len, float eps,
                                int32_t m, int32_t k, float* y, int64_t y_len, bn_threadpool* pool) {
    const char* name = "bn_rmsnorm_f32";
    BN_CHECK(check_rows(name, m, k, weight, weight_len, eps));
    const int64_t count = (int64_t)m * k;
    BN_CHECK(bn_check_buffer(name, "x", x, x_len, count));
    BN_CHECK(bn_check_buffer(name, "y", y, y_len, count));
    norm_task task = {.kern = bn_active_config(), .output = NORM_F32, .x = x, .w = weight, .eps = eps, .k = k, .y = y};
    return run_norm(name, &task, m, pool);
}

static bn_status rmsnorm_quant(const char* name, norm_output output, const float* x, int64_t x_len, const float* weight,
                               int64_t weight_len, float eps, int32_t m, int32_t k, int8_t* xq, int64_t xq_len,
                               float* scales, int64_t scales_len, bn_threadpool* pool) {
    BN_CHECK(check_rows(name, m, k, weight, weight_len, eps));
    const int64_t count = (int64_t)m * k;
    BN_CHECK(bn_check_buffer(name, "x", x, x_len, count));
    BN_CHECK(bn_check_buffer(name, "xq", xq, xq_len, count));
    BN_CHECK(bn_check_buffer(name, "scales", scales, scales_len, m));
    norm_task task = {.kern = bn_active_config(), .output = output, .x = x, .w = weight, .eps = eps, .k = k,
                      .xq = xq, .scales = scales};
    return run_norm(name, &task, m, pool);
}

BN_API bn_status bn_rmsnorm_q8(const float* x, int64_t x_len, const float* weight, int64_t weight_len, float eps,
                               int32_t m, int32_t k, int8_t* xq, int64_t xq_len, float* scales, int64_t scales_len,
                               bn_threadpool* pool) {
    return rmsnorm_quant("bn_rmsnorm_q8", NORM_Q8, x, x_len, weight, weight_len, eps, m, k, xq, xq_len, scales, scales_len,
                         pool);
}

BN_API bn_status bn_rmsnorm_q4(const float* x, int64_t x_len, const float* weight, int64_t weight_len, float eps,
                               int32_t m, int32_t k, int8_t* xq, int64_t xq_len, float* scales, int64_t scales_len,
                               bn_threadpool* pool) {
    return rmsnorm_quant("bn_rmsnorm_q4", NORM_Q4, x, x_len, weight, weight_len, eps, m, k, xq, xq_len, scales, scales_len,
                         pool);
}

static bn_status check_activation(const char* name, bn_activation act) {
    if (act != BN_ACTIVATION_RELU2 && act != BN_ACTIVATION_SILU)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: %d is not a bn_activation value", name, (int)act);
    return BN_STATUS_OK;
}

typedef struct glu_task {
    bn_glu_f32_fn fn;
    const float* gate;
    const float* up;
    bn_activation act;
    int32_t k;
    float* y;
} glu_task;

static void glu_rows(const void* ctx, int32_t begin, int32_t end) {
    const glu_task* t = (const glu_task*)ctx;
    t->fn(t->gate, t->up, t->act, (int64_t)begin * t->k, (int64_t)end * t->k, t->y);
}

BN_API bn_status bn_glu_f32(const float* gate, int64_t gate_len, const float* up, int64_t up_len, bn_activation act,
                            int32_t m, int32_t k, float* y, int64_t y_len, bn_threadpool* pool) {
    const char* name = "bn_glu_f32";
    if (m < 0 || k < 0) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: negative shape m=%d k=%d", name, m, k);
    BN_CHECK(check_activation(name, act));
    const int64_t count = (int64_t)m * k;
    BN_CHECK(bn_check_buffer(name, "gate", gate, gate_len, count));
    BN_CHECK(bn_check_buffer(name, "up", up, up_len, count));
    BN_CHECK(bn_check_buffer(name, "y", y, y_len, count));
    glu_task task = {bn_active_config()->glu_f32, gate, up, act, k, y};
    bn_parallel_rows(pool, m, row_grain(m), glu_rows, &task);
    return BN_STATUS_OK;
}

BN_API bn_status bn_glu_rmsnorm_q8(float* gate, int64_t gate_len, const float* up, int64_t up_len, bn_activation act,
                                   const float* weight, int64_t weight_len, float eps, int32_t m, int32_t k, int8_t* xq,
                                   int64_t xq_len, float* scales, int64_t scales_len, bn_threadpool* pool) {
    const char* name = "bn_glu_rmsnorm_q8";
    BN_CHECK(check_rows(name, m, k, weight, weight_len, eps));
    BN_CHECK(check_activation(name, act));
    const int64_t count = (int64_t)m * k;
    BN_CHECK(bn_check_buffer(name, "gate", gate, gate_len, count));
    BN_CHECK(bn_check_buffer(name, "up", up, up_len, count));
    BN_CHECK(bn_check_buffer(name, "xq", xq, xq_len, count));
    BN_CHECK(bn_check_buffer(name, "scales", scales, scales_len, m));
    norm_task task = {.kern = bn_active_config(), .output = NORM_GLU_Q8, .gate = gate, .up = up, .act = act, .w = weight,
                      .eps = eps, .k = k, .xq = xq, .scales = scales};
    return run_norm(name, &task, m, pool);
}

/* ---- RoPE ---------------------------------------------------------------------------------- */

static bn_status check_rope_shape(const char* name, int32_t position, int32_t m, int32_t rope_dims) {
    if (m < 0 || position < 0)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: m=%d and position=%d must be >= 0", name, m, position);
    if (rope_dims < 2 || rope_dims % 2 != 0)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: rope_dims=%d must be even and positive", name, rope_dims);
    if ((int64_t)position + m > INT32_MAX)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: positions %d + %d overflow int32", name, position, m);
    return BN_STATUS_OK;
}

BN_API bn_status bn_rope_table(int32_t position, int32_t m, int32_t rope_dims, float freq_base, float* table,
                               int64_t table_len) {
    const char* name = "bn_rope_table";
    BN_CHECK(check_rope_shape(name, position, m, rope_dims));
    if (!bn_is_finite(freq_base) || !(freq_base > 1.0f))
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: freq_base %g must be finite and > 1", name, (double)freq_base);
    BN_CHECK(bn_check_buffer(name, "table", table, table_len, (int64_t)m * rope_dims));
    /* Not dispatched: 64 cosines and sines per token, once per forward pass (every layer reuses the
     * table). Double precision keeps the angle exact enough at long positions, where a float
     * product p * theta would already be off by ~p * 2^-24 radians. */
    const int32_t half = rope_dims / 2;
    for (int32_t i = 0; i < half; i++) {
        const double theta = pow((double)freq_base, -2.0 * i / rope_dims);
        for (int32_t t = 0; t < m; t++) {
            const double angle = (double)(position + t) * theta;
            table[(int64_t)t * rope_dims + i] = (float)cos(angle);
            table[(int64_t)t * rope_dims + half + i] = (float)sin(angle);
        }
    }
    return BN_STATUS_OK;
}

static bn_status check_heads(const char* name, int32_t n_heads, int32_t n_kv_heads, int32_t head_dim) {
    if (n_heads < 1 || n_kv_heads < 1 || head_dim < 1 || n_heads % n_kv_heads != 0)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT,
                       "%s: n_heads=%d, n_kv_heads=%d, head_dim=%d: need positive values and n_kv_heads | n_heads",
                       name, n_heads, n_kv_heads, head_dim);
    if ((int64_t)n_heads * head_dim > INT32_MAX)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: n_heads * head_dim overflows int32", name);
    return BN_STATUS_OK;
}

BN_KERNEL_TASK(rope_task, bn_rope_kv_fn, bn_rope_args)

BN_API bn_status bn_rope_kv_f16(float* q, int64_t q_len, const float* k, int64_t k_len, const float* v, int64_t v_len,
                                const float* table, int64_t table_len, int32_t m, int32_t n_heads, int32_t n_kv_heads,
                                int32_t head_dim, int32_t rope_dims, bn_rope_style style, int32_t position,
                                uint16_t* k_cache, int64_t k_cache_len, uint16_t* v_cache, int64_t v_cache_len,
                                bn_threadpool* pool) {
    const char* name = "bn_rope_kv_f16";
    BN_CHECK(check_rope_shape(name, position, m, rope_dims));
    BN_CHECK(check_heads(name, n_heads, n_kv_heads, head_dim));
    if (rope_dims > head_dim)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: rope_dims=%d exceeds head_dim=%d", name, rope_dims, head_dim);
    if (style != BN_ROPE_NEOX && style != BN_ROPE_INTERLEAVED)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: %d is not a bn_rope_style value", name, (int)style);
    const int64_t q_dim = (int64_t)n_heads * head_dim, kv_dim = (int64_t)n_kv_heads * head_dim;
    BN_CHECK(bn_check_buffer(name, "q", q, q_len, m * q_dim));
    BN_CHECK(bn_check_buffer(name, "k", k, k_len, m * kv_dim));
    BN_CHECK(bn_check_buffer(name, "v", v, v_len, m * kv_dim));
    BN_CHECK(bn_check_buffer(name, "table", table, table_len, (int64_t)m * rope_dims));
    const int64_t cache_need = ((int64_t)position + m) * kv_dim;
    BN_CHECK(bn_check_buffer(name, "k_cache", k_cache, k_cache_len, cache_need));
    BN_CHECK(bn_check_buffer(name, "v_cache", v_cache, v_cache_len, cache_need));
    rope_task task = {bn_active_config()->rope_kv_f16,
                      {.q = q, .k = k, .v = v, .table = table, .n_heads = n_heads, .n_kv_heads = n_kv_heads,
                       .head_dim = head_dim, .rope_dims = rope_dims, .style = style, .position = position,
                       .k_cache = k_cache, .v_cache = v_cache}};
    bn_parallel_rows(pool, m, row_grain(m), rope_task_run, &task);
    return BN_STATUS_OK;
}

/* ---- attention ----------------------------------------------------------------------------- */

BN_KERNEL_TASK(attention_task, bn_attention_fn, bn_attention_args)

BN_API bn_status bn_attention_f16(const float* q, int64_t q_len, const uint16_t* k_cache, int64_t k_cache_len,
                                  const uint16_t* v_cache, int64_t v_cache_len, int32_t m, int32_t n_heads,
                                  int32_t n_kv_heads, int32_t head_dim, int32_t position, float scale, float* out,
                                  int64_t out_len, bn_threadpool* pool) {
    const char* name = "bn_attention_f16";
    if (m < 0 || position < 0 || (int64_t)position + m > INT32_MAX)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: m=%d and position=%d must be >= 0 (and their sum fit int32)",
                       name, m, position);
    BN_CHECK(check_heads(name, n_heads, n_kv_heads, head_dim));
    if (head_dim > BN_ATTENTION_MAX_HEAD_DIM)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: head_dim=%d exceeds %d", name, head_dim,
                       BN_ATTENTION_MAX_HEAD_DIM);
    if (!bn_is_finite(scale)) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: scale is not finite", name);
    const int64_t q_dim = (int64_t)n_heads * head_dim, kv_dim = (int64_t)n_kv_heads * head_dim;
    BN_CHECK(bn_check_buffer(name, "q", q, q_len, m * q_dim));
    BN_CHECK(bn_check_buffer(name, "out", out, out_len, m * q_dim));
    const int64_t cache_need = ((int64_t)position + m) * kv_dim;
    BN_CHECK(bn_check_buffer(name, "k_cache", k_cache, k_cache_len, cache_need));
    BN_CHECK(bn_check_buffer(name, "v_cache", v_cache, v_cache_len, cache_need));
    if (m == 0) return BN_STATUS_OK;

    /* A unit is one token's KV head with all query heads of its group, so each cached key and value
     * is read once for the whole group. With fewer units than about two per thread (one token, few
     * KV heads: 2B-4T has 5) the group is split in parts, which read the KV head again each but
     * keep every thread busy. */
    const int32_t group = n_heads / n_kv_heads;
    const int32_t threads = bn_threadpool_size(pool);
    int32_t parts = 1;
    while ((int64_t)m * n_kv_heads * parts < 2 * threads && parts < group) {
        int32_t next = parts + 1;
        while (group % next != 0) next++;
        parts = next;
    }
    attention_task task = {bn_active_config()->attention_f16,
                           {.q = q, .k_cache = k_cache, .v_cache = v_cache, .n_heads = n_heads,
                            .n_kv_heads = n_kv_heads, .head_dim = head_dim, .position = position,
                            .heads_per_unit = group / parts, .scale = scale, .out = out}};
    const int64_t units = (int64_t)m * n_kv_heads * parts;
    if (units > INT32_MAX) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: too many work units", name);
    bn_parallel_rows(pool, (int32_t)units, 1, attention_task_run, &task);
    return BN_STATUS_OK;
}
