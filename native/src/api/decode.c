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

/* The checks bn_rope_kv_f16 and bn_rope_kv share: shapes, style, and the q / k / v / table buffers. */
static bn_status check_rope_inputs(const char* name, const float* q, int64_t q_len, const float* k, int64_t k_len,
                                   const float* v, int64_t v_len, const float* table, int64_t table_len, int32_t m,
                                   int32_t n_heads, int32_t n_kv_heads, int32_t head_dim, int32_t rope_dims,
                                   bn_rope_style style, int32_t position) {
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
    return BN_STATUS_OK;
}

BN_API bn_status bn_rope_kv_f16(float* q, int64_t q_len, const float* k, int64_t k_len, const float* v, int64_t v_len,
                                const float* table, int64_t table_len, int32_t m, int32_t n_heads, int32_t n_kv_heads,
                                int32_t head_dim, int32_t rope_dims, bn_rope_style style, int32_t position,
                                uint16_t* k_cache, int64_t k_cache_len, uint16_t* v_cache, int64_t v_cache_len,
                                bn_threadpool* pool) {
    const char* name = "bn_rope_kv_f16";
    BN_CHECK(check_rope_inputs(name, q, q_len, k, k_len, v, v_len, table, table_len, m, n_heads, n_kv_heads, head_dim,
                               rope_dims, style, position));
    const int64_t kv_dim = (int64_t)n_kv_heads * head_dim;
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

/* A unit is one token's KV head with all query heads of its group, so each cached key and value is read
 * once for the whole group. With fewer units than about two per thread (one token, few KV heads: 2B-4T
 * has 5) the group is split in parts (a divisor of the group), which read the KV head again each but
 * keep every thread busy. */
static int32_t attention_parts(int32_t m, int32_t group, int32_t n_kv_heads, bn_threadpool* pool) {
    const int32_t threads = bn_threadpool_size(pool);
    int32_t parts = 1;
    while ((int64_t)m * n_kv_heads * parts < 2 * threads && parts < group) {
        int32_t next = parts + 1;
        while (group % next != 0) next++;
        parts = next;
    }
    return parts;
}

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

    const int32_t group = n_heads / n_kv_heads, parts = attention_parts(m, group, n_kv_heads, pool);
    attention_task task = {bn_active_config()->attention_f16,
                           {.q = q, .k_cache = k_cache, .v_cache = v_cache, .n_heads = n_heads,
                            .n_kv_heads = n_kv_heads, .head_dim = head_dim, .position = position,
                            .heads_per_unit = group / parts, .scale = scale, .out = out}};
    const int64_t units = (int64_t)m * n_kv_heads * parts;
    if (units > INT32_MAX) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: too many work units", name);
    bn_parallel_rows(pool, (int32_t)units, 1, attention_task_run, &task);
    return BN_STATUS_OK;
}

/* ---- quantized KV cache -------------------------------------------------------------------- */

static bn_status check_kv_type(const char* name, bn_kv_type kv_type, int32_t head_dim) {
    if ((int)kv_type < 0 || kv_type >= BN_KV_COUNT)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: %d is not a bn_kv_type value", name, (int)kv_type);
    if (head_dim < 1 || head_dim > BN_ATTENTION_MAX_HEAD_DIM)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: head_dim=%d must be 1..%d", name, head_dim,
                       BN_ATTENTION_MAX_HEAD_DIM);
    if (kv_type != BN_KV_F16 && head_dim % BN_KV_GROUP != 0)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: a quantized KV cache needs head_dim a multiple of %d, not %d",
                       name, BN_KV_GROUP, head_dim);
    return BN_STATUS_OK;
}

BN_API bn_status bn_kv_block_bytes(bn_kv_type kv_type, int32_t head_dim, int64_t* out_bytes) {
    BN_CHECK(check_kv_type("bn_kv_block_bytes", kv_type, head_dim));
    if (!out_bytes) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_kv_block_bytes: out_bytes is NULL");
    *out_bytes = bn_kv_block_size(kv_type, head_dim);
    return BN_STATUS_OK;
}

/* The checks bn_kv_quantize and bn_kv_dequantize share (a valid type for head_dim, rows >= 0); *bb receives the
 * bytes of one row's block. */
static bn_status check_kv_rows(const char* name, bn_kv_type kv_type, int32_t head_dim, int32_t rows, int32_t* bb) {
    BN_CHECK(check_kv_type(name, kv_type, head_dim));
    if (rows < 0) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: rows=%d is negative", name, rows);
    *bb = bn_kv_block_size(kv_type, head_dim);
    return BN_STATUS_OK;
}

BN_API bn_status bn_kv_quantize(const float* x, int64_t x_len, int32_t rows, int32_t head_dim, bn_kv_type kv_type,
                                uint8_t* out, int64_t out_len) {
    const char* name = "bn_kv_quantize";
    int32_t bb = 0;
    BN_CHECK(check_kv_rows(name, kv_type, head_dim, rows, &bb));
    BN_CHECK(bn_check_buffer(name, "x", x, x_len, (int64_t)rows * head_dim));
    BN_CHECK(bn_check_buffer(name, "out", out, out_len, (int64_t)rows * bb));
    const bn_kv_quantize_fn quantize = bn_active_config()->kv_quantize;
    for (int32_t r = 0; r < rows; r++) {
        const float* row = x + (int64_t)r * head_dim;
        uint8_t* block = out + (int64_t)r * bb;
        if (kv_type == BN_KV_F16) {
            for (int32_t j = 0; j < head_dim; j++) {
                const uint16_t h = bn_fp32_to_fp16(row[j]);
                memcpy(block + 2 * j, &h, 2);
            }
        } else {
            quantize(row, head_dim, kv_type, block);
        }
    }
    return BN_STATUS_OK;
}

BN_API bn_status bn_kv_dequantize(const uint8_t* blocks, int64_t blocks_len, int32_t rows, int32_t head_dim,
                                  bn_kv_type kv_type, float* y, int64_t y_len) {
    const char* name = "bn_kv_dequantize";
    int32_t bb = 0;
    BN_CHECK(check_kv_rows(name, kv_type, head_dim, rows, &bb));
    BN_CHECK(bn_check_buffer(name, "blocks", blocks, blocks_len, (int64_t)rows * bb));
    BN_CHECK(bn_check_buffer(name, "y", y, y_len, (int64_t)rows * head_dim));
    for (int32_t r = 0; r < rows; r++) {
        const uint8_t* block = blocks + (int64_t)r * bb;
        float* row = y + (int64_t)r * head_dim;
        for (int32_t j = 0; j < head_dim; j++) {
            if (kv_type == BN_KV_F16) {
                uint16_t h;
                memcpy(&h, block + 2 * j, 2);
                row[j] = bn_fp16_to_fp32(h);
            } else {
                row[j] = bn_kv_scale(block) * (float)bn_kv_code(block + 4, kv_type, j);
            }
        }
    }
    return BN_STATUS_OK;
}

static bn_status check_aligned(const char* name, const char* what, const void* p) {
    if (((uintptr_t)p & 3) != 0)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: %s must be 4-byte aligned", name, what);
    return BN_STATUS_OK;
}

BN_API bn_status bn_rope_kv(float* q, int64_t q_len, const float* k, int64_t k_len, const float* v, int64_t v_len,
                            const float* table, int64_t table_len, int32_t m, int32_t n_heads, int32_t n_kv_heads,
                            int32_t head_dim, int32_t rope_dims, bn_rope_style style, int32_t position,
                            bn_kv_type kv_type, uint8_t* k_cache, int64_t k_cache_len, uint8_t* v_cache,
                            int64_t v_cache_len, bn_threadpool* pool) {
    const char* name = "bn_rope_kv";
    BN_CHECK(check_kv_type(name, kv_type, head_dim));
    BN_CHECK(check_aligned(name, "k_cache", k_cache));
    BN_CHECK(check_aligned(name, "v_cache", v_cache));
    if (kv_type == BN_KV_F16)
        return bn_rope_kv_f16(q, q_len, k, k_len, v, v_len, table, table_len, m, n_heads, n_kv_heads, head_dim,
                              rope_dims, style, position, (uint16_t*)(void*)k_cache, k_cache_len / 2,
                              (uint16_t*)(void*)v_cache, v_cache_len / 2, pool);
    BN_CHECK(check_rope_inputs(name, q, q_len, k, k_len, v, v_len, table, table_len, m, n_heads, n_kv_heads, head_dim,
                               rope_dims, style, position));
    const int32_t bb = bn_kv_block_size(kv_type, head_dim);
    const int64_t cache_need = ((int64_t)position + m) * n_kv_heads * bb;
    BN_CHECK(bn_check_buffer(name, "k_cache", k_cache, k_cache_len, cache_need));
    BN_CHECK(bn_check_buffer(name, "v_cache", v_cache, v_cache_len, cache_need));
    rope_task task = {bn_rope_kv_quant__ref,
                      {.q = q, .k = k, .v = v, .table = table, .n_heads = n_heads, .n_kv_heads = n_kv_heads,
                       .head_dim = head_dim, .rope_dims = rope_dims, .style = style, .position = position,
                       .kq_cache = k_cache, .vq_cache = v_cache, .kv_type = kv_type, .block_bytes = bb,
                       .quantize = bn_active_config()->kv_quantize}};
    bn_parallel_rows(pool, m, row_grain(m), rope_task_run, &task);
    return BN_STATUS_OK;
}

BN_API bn_status bn_attention(const float* q, int64_t q_len, const uint8_t* k_cache, int64_t k_cache_len,
                              const uint8_t* v_cache, int64_t v_cache_len, int32_t m, int32_t n_heads,
                              int32_t n_kv_heads, int32_t head_dim, int32_t position, float scale, bn_kv_type kv_type,
                              float* out, int64_t out_len, bn_threadpool* pool) {
    const char* name = "bn_attention";
    BN_CHECK(check_kv_type(name, kv_type, head_dim));
    BN_CHECK(check_aligned(name, "k_cache", k_cache));
    BN_CHECK(check_aligned(name, "v_cache", v_cache));
    if (kv_type == BN_KV_F16)
        return bn_attention_f16(q, q_len, (const uint16_t*)(const void*)k_cache, k_cache_len / 2,
                                (const uint16_t*)(const void*)v_cache, v_cache_len / 2, m, n_heads, n_kv_heads,
                                head_dim, position, scale, out, out_len, pool);
    if (m < 0 || position < 0 || (int64_t)position + m > INT32_MAX)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: m=%d and position=%d must be >= 0 (and their sum fit int32)",
                       name, m, position);
    BN_CHECK(check_heads(name, n_heads, n_kv_heads, head_dim));
    if (!bn_is_finite(scale)) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: scale is not finite", name);
    const int64_t q_dim = (int64_t)n_heads * head_dim;
    BN_CHECK(bn_check_buffer(name, "q", q, q_len, m * q_dim));
    BN_CHECK(bn_check_buffer(name, "out", out, out_len, m * q_dim));
    const int32_t bb = bn_kv_block_size(kv_type, head_dim);
    const int64_t cache_need = ((int64_t)position + m) * n_kv_heads * bb;
    BN_CHECK(bn_check_buffer(name, "k_cache", k_cache, k_cache_len, cache_need));
    BN_CHECK(bn_check_buffer(name, "v_cache", v_cache, v_cache_len, cache_need));
    if (m == 0) return BN_STATUS_OK;
    const int32_t group = n_heads / n_kv_heads, parts = attention_parts(m, group, n_kv_heads, pool);
    attention_task task = {bn_active_config()->attention_kvq,
                           {.q = q, .kq_cache = k_cache, .vq_cache = v_cache, .kv_type = kv_type, .block_bytes = bb,
                            .n_heads = n_heads, .n_kv_heads = n_kv_heads, .head_dim = head_dim, .position = position,
                            .heads_per_unit = group / parts, .scale = scale, .out = out}};
    const int64_t units = (int64_t)m * n_kv_heads * parts;
    if (units > INT32_MAX) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: too many work units", name);
    bn_parallel_rows(pool, (int32_t)units, 1, attention_task_run, &task);
    return BN_STATUS_OK;
}

/* ---- Hadamard and top-K -------------------------------------------------------------------- */

BN_API int32_t bn_hadamard_block(int32_t k) { return k < 1 ? 0 : (int32_t)((uint32_t)k & (0u - (uint32_t)k)); }

typedef struct hadamard_task {
    bn_hadamard_fn fn;
    float* x;
    int32_t k;
} hadamard_task;

static void hadamard_rows(const void* ctx, int32_t begin, int32_t end) {
    const hadamard_task* t = (const hadamard_task*)ctx;
    t->fn(t->x, t->k, begin, end);
}

BN_API bn_status bn_hadamard_f32(float* x, int64_t x_len, int32_t m, int32_t k, bn_threadpool* pool) {
    const char* name = "bn_hadamard_f32";
    if (m < 0 || k < 1) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: m=%d must be >= 0 and k=%d >= 1", name, m, k);
    BN_CHECK(bn_check_buffer(name, "x", x, x_len, (int64_t)m * k));
    hadamard_task task = {bn_active_config()->hadamard_f32, x, k};
    bn_parallel_rows(pool, m, row_grain(m), hadamard_rows, &task);
    return BN_STATUS_OK;
}

typedef struct topk_task {
    bn_topk_fn fn;
    int8_t* xq;
    int32_t k;
    int32_t keep;
} topk_task;

static void topk_rows(const void* ctx, int32_t begin, int32_t end) {
    const topk_task* t = (const topk_task*)ctx;
    t->fn(t->xq, t->k, t->keep, begin, end);
}

BN_API bn_status bn_topk_q8(int8_t* xq, int64_t xq_len, int32_t m, int32_t k, int32_t keep, bn_threadpool* pool) {
    const char* name = "bn_topk_q8";
    if (m < 0 || k < 0 || keep < 0)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "%s: m=%d, k=%d and keep=%d must be >= 0", name, m, k, keep);
    BN_CHECK(bn_check_buffer(name, "xq", xq, xq_len, (int64_t)m * k));
    if (keep >= k) return BN_STATUS_OK;
    topk_task task = {bn_active_config()->topk_q8, xq, k, keep};
    bn_parallel_rows(pool, m, row_grain(m), topk_rows, &task);
    return BN_STATUS_OK;
}
