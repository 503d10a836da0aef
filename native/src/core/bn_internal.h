/* Internal declarations shared by the library's translation units. Not part of the ABI. */
#ifndef BN_INTERNAL_H
#define BN_INTERNAL_H

#include "bitnative.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------------------------- */

/* Records a formatted, thread-local detail for bn_last_error() and returns status, so entry
 * points can write `return bn_fail(BN_STATUS_INVALID_ARGUMENT, "...", ...)`. */
bn_status bn_fail(bn_status status, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Clears the thread-local error detail (entry points call it on success paths that matter). */
void bn_clear_error(void);

/* ---- shared argument checks ---------------------------------------------------------------- */

/* 1 when v is neither NaN nor infinite (v - v is exactly 0 only then). */
static inline int bn_is_finite(float v) { return v - v == 0.0f; }

/* A buffer of len elements where the shape needs need: too short, or NULL while something is needed
 * (an empty one may be NULL: a .NET `fixed` over an empty span is), is BN_STATUS_INVALID_ARGUMENT
 * with a message naming the function (name) and the buffer (what). */
bn_status bn_check_buffer(const char* name, const char* what, const void* p, int64_t len, int64_t need);

/* Returns from the calling entry point when a check fails. */
#define BN_CHECK(expr)                                                                                                 \
    do {                                                                                                               \
        bn_status bn_check_status_ = (expr);                                                                           \
        if (bn_check_status_ != BN_STATUS_OK) return bn_check_status_;                                                \
    } while (0)

/* ---- fp16 --------------------------------------------------------------------------------- */

/* Exact IEEE binary16 <-> binary32 conversion; to-half rounds to nearest even like F16C. */
float bn_fp16_to_fp32(uint16_t h);
uint16_t bn_fp32_to_fp16(float f);

/* ---- rounding ----------------------------------------------------------------------------- */

/* Round half to even: what SIMD float->int conversions do in the default rounding mode, and
 * what torch.round does. Callers clamp to the integer range first, so the result fits. */
static inline int32_t bn_round_even(float x) { return (int32_t)nearbyintf(x); }

/* ---- CPU features ------------------------------------------------------------------------- */

void bn_detect_cpu_features(bn_cpu_features* out);

/* ---- thread pool -------------------------------------------------------------------------- */

/* Body of a parallel operation: processes rows [begin, end) of the task described by ctx. */
typedef void (*bn_rows_fn)(const void* ctx, int32_t begin, int32_t end);

/* Runs fn over rows [0, n_rows) split into chunks whose boundaries are multiples of grain (the
 * last chunk takes the tail). Runs on the calling thread alone when pool is NULL or the work is
 * small; returns after every chunk is done. Concurrent calls on one pool are serialized. */
void bn_parallel_rows(bn_threadpool* pool, int32_t n_rows, int32_t grain, bn_rows_fn fn, const void* ctx);

/* A kernel that takes (args, begin, end) with its arguments, as a bn_parallel_rows task: defines the struct `task`
 * {fn, args} and `task##_run`, the bn_rows_fn that calls fn(&args, begin, end). */
#define BN_KERNEL_TASK(task, fn_type, args_type)                                                                       \
    typedef struct task {                                                                                              \
        fn_type fn;                                                                                                    \
        args_type args;                                                                                                \
    } task;                                                                                                            \
    static void task##_run(const void* ctx, int32_t begin, int32_t end) {                                              \
        const task* t = (const task*)ctx;                                                                              \
        t->fn(&t->args, begin, end);                                                                                   \
    }

/* ---- kernels ------------------------------------------------------------------------------ */

/* One matmul task: y[r * n + i] for r in [0, m), i in [0, n). Validated by the entry point, so
 * kernels only assert. Which activation fields a kernel reads follows its bn_atype. */
typedef struct bn_matmul_args {
    const uint8_t* w;       /* the matrix, bn_wtype_bytes(wtype, n, k) bytes */
    int64_t row_bytes;      /* bytes of one row (TL1: of one row's share of a tile, k / 4) */
    float w_scale;
    const float* x;         /* BN_ATYPE_F32: m rows of k */
    const int8_t* xq;       /* BN_ATYPE_Q8 / Q4: m rows of k */
    const float* x_scales;  /* BN_ATYPE_Q8 / Q4: m */
    const uint8_t* tables;  /* kernels with a prepare step (LUT): m rows' tables, table_bytes apart */
    int64_t table_bytes;
    int32_t n;
    int32_t k;
    int32_t m;
    float* y;               /* m rows of n */
} bn_matmul_args;

/* Computes output rows (features) [i_begin, i_end) for all m activation rows. The entry point cuts
 * the rows on multiples of the type's row grain (TL1: whole 32-row tiles); only i_end may be n. */
typedef void (*bn_matmul_fn)(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);

/* Builds one activation row's scratch (a LUT kernel's tables) before the rows are split over threads.
 * Returns nonzero when an activation lies outside the range the tables hold (q4: [-8, 7]). */
typedef int32_t (*bn_lut_build_fn)(const int8_t* x, int32_t k, uint8_t* table);

/* Quantizes rows [r_begin, r_end) of x (k columns each). */
typedef void (*bn_quantize_fn)(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq,
                               float* scales);

/* Variants. Each lives in its own file under kernels/<arch>/ named <op>-<wtype>-<atype>-<isa>.c. */
void bn_matmul_i2s_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_matmul_tq2_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_quantize_q8__ref(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales);
void bn_quantize_q4__ref(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales);

#if defined(BN_ARCH_X86)
void bn_matmul_i2s_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_matmul_tq2_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_quantize_q8__avx2(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales);
void bn_quantize_q4__avx2(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales);
void bn_matmul_i2s_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_matmul_tq2_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_quantize_q8__avx512(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales);
void bn_quantize_q4__avx512(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales);
#endif

#if defined(BN_ARCH_ARM64)
void bn_matmul_i2s_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_matmul_tq2_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_quantize_q8__neon(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales);
void bn_quantize_q4__neon(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales);
void bn_matmul_i2s_q8__neondot(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_matmul_tq2_q8__neondot(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
#endif

/* The q4 quantizer's specified summation order of |x| (see quantize-q4-ref.c). */
float bn_q4_abs_sum__ref(const float* row, int32_t k);

/* ---- shared numeric constants ------------------------------------------------------------- */

#define BN_ACT_EPS 1e-5f
#define BN_WEIGHT_EPS 1e-5f
#define BN_I2S_BLOCK 128
#define BN_TQ_BLOCK 256
#define BN_TQ2_BLOCK_BYTES 66
#define BN_TQ1_BLOCK_BYTES 54


/* ==== Decode-step operations (norms, gated activation, RoPE + KV cache, attention) ==== */

/* -- shared scalar specifications ------------------------------------------------------------ */

/* Sum of x[j]^2 over a row in the 16-lane order of bn_q4_abs_sum__ref (lane j % 16, then the
 * halving tree), so every SIMD variant reproduces it bit for bit. */
static inline float bn_sum_squares__ref(const float* x, int32_t k) {
    float lane[16] = {0};
    for (int32_t j = 0; j < k; j++) lane[j % 16] += x[j] * x[j];
    for (int width = 8; width >= 1; width /= 2)
        for (int i = 0; i < width; i++) lane[i] = lane[i] + lane[i + width];
    return lane[0];
}

/* The RMSNorm factor r = 1 / sqrt(ss / k + eps), or 0 when ss is not finite (an input was NaN or
 * infinite, or its squares overflowed float); callers report such rows as invalid input. */
static inline float bn_rms_factor(float ss, int32_t k, float eps) {
    if (!(ss - ss == 0.0f)) return 0.0f;
    return 1.0f / sqrtf(ss / (float)k + eps);
}

/* exp(x) as every kernel of this section computes it (Cephes' expf: n = round(x log2 e),
 * r = x - n ln2 in two parts, exp(r) = 1 + r + r^2 P(r), times 2^n), written as plain float
 * operations so the SIMD versions, which perform the same operations in the same order (no FMA),
 * produce the same bits. Relative error <= 2 ulp on [-87.33, 88.37]; below that the result is 0
 * (true value < 2^-126), above it +inf; NaN stays NaN. */
#define BN_EXP_LO (-87.3365478515625f)
#define BN_EXP_HI 88.3762626647949f
#define BN_EXP_LOG2E 1.44269504088896341f
#define BN_EXP_LN2_HI 0.693359375f
#define BN_EXP_LN2_LO (-2.12194440e-4f)
#define BN_EXP_P0 1.9875691500e-4f
#define BN_EXP_P1 1.3981999507e-3f
#define BN_EXP_P2 8.3334519073e-3f
#define BN_EXP_P3 4.1665795894e-2f
#define BN_EXP_P4 1.6666665459e-1f
#define BN_EXP_P5 5.0000001201e-1f
static inline float bn_expf__ref(float x) {
    if (!(x == x)) return x;
    if (x < BN_EXP_LO) return 0.0f;
    if (x > BN_EXP_HI) return INFINITY;
    float n = nearbyintf(x * BN_EXP_LOG2E);
    float r = x - n * BN_EXP_LN2_HI;
    r = r - n * BN_EXP_LN2_LO;
    float p = BN_EXP_P0;
    p = p * r + BN_EXP_P1;
    p = p * r + BN_EXP_P2;
    p = p * r + BN_EXP_P3;
    p = p * r + BN_EXP_P4;
    p = p * r + BN_EXP_P5;
    float y = p * (r * r) + r + 1.0f;
    /* n is in [-126, 127] here, so 2^n is a normal float built from its exponent bits. */
    union { uint32_t u; float f; } two_n = {(uint32_t)((int32_t)n + 127) << 23};
    return y * two_n.f;
}

/* The gated activations of the FFN hidden layer: act(g) * u. */
static inline float bn_glu__ref(float g, float u, bn_activation act) {
    if (act == BN_ACTIVATION_RELU2) {
        float a = g > 0.0f ? g : 0.0f;
        return a * a * u;
    }
    return g / (1.0f + bn_expf__ref(-g)) * u; /* SiLU: g * sigmoid(g) */
}

/* -- argument blocks of the row-parallel operations ------------------------------------------ */

/* Quantizes one row of hd floats (one KV head at one position) into a block of a quantized bn_kv_type
 * (bitnative.h, "Quantized KV cache"). */
typedef void (*bn_kv_quantize_fn)(const float* x, int32_t hd, bn_kv_type type, uint8_t* block);

/* RoPE on q and k of tokens [t_begin, t_end) with the K and V rows written to the fp16 cache. */
typedef struct bn_rope_args {
    float* q;              /* m rows of n_heads * head_dim, rotated in place */
    const float* k;        /* m rows of kv_dim */
    const float* v;        /* m rows of kv_dim */
    const float* table;    /* m rows of rope_dims: cos[rope_dims / 2] then sin[rope_dims / 2] */
    int32_t n_heads;
    int32_t n_kv_heads;
    int32_t head_dim;
    int32_t rope_dims;
    bn_rope_style style;
    int32_t position;      /* cache row of token 0 */
    uint16_t* k_cache;     /* rows of kv_dim fp16 */
    uint16_t* v_cache;
    /* quantized caches (bn_rope_kv_quant__ref): rows of n_kv_heads blocks of block_bytes */
    uint8_t* kq_cache;
    uint8_t* vq_cache;
    bn_kv_type kv_type;
    int32_t block_bytes;
    bn_kv_quantize_fn quantize;
} bn_rope_args;

/* Attention of m query tokens over the cache. Work unit u covers token u / (n_kv_heads *
 * parts), KV head (u / parts) % n_kv_heads and the heads_per_unit query heads of part u % parts of
 * that KV head's group. The f16 kernels read k_cache / v_cache; the quantized-cache kernels read
 * kq_cache / vq_cache (rows of n_kv_heads blocks of block_bytes) of kv_type. */
typedef struct bn_attention_args {
    const float* q;        /* m rows of n_heads * head_dim */
    const uint16_t* k_cache; /* rows of n_kv_heads * head_dim */
    const uint16_t* v_cache;
    const uint8_t* kq_cache;
    const uint8_t* vq_cache;
    bn_kv_type kv_type;
    int32_t block_bytes;
    int32_t n_heads;
    int32_t n_kv_heads;
    int32_t head_dim;
    int32_t position;      /* token t sees cache rows [0, position + t] */
    int32_t heads_per_unit;
    float scale;           /* applied to q . k */
    float* out;            /* m rows of n_heads * head_dim */
} bn_attention_args;

/* Row kernels of the norms return -1, or the first row in [r_begin, r_end) whose sum of squares
 * is not finite (its outputs are then zeros). */
typedef int32_t (*bn_rmsnorm_f32_fn)(const float* x, const float* w, float eps, int32_t k, int32_t r_begin,
                                     int32_t r_end, float* y);
typedef int32_t (*bn_rmsnorm_quant_fn)(const float* x, const float* w, float eps, int32_t k, int32_t r_begin,
                                       int32_t r_end, int8_t* xq, float* scales);
typedef void (*bn_glu_f32_fn)(const float* gate, const float* up, bn_activation act, int64_t begin, int64_t end,
                              float* y);
typedef int32_t (*bn_glu_rmsnorm_q8_fn)(float* gate, const float* up, bn_activation act, const float* w, float eps,
                                        int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales);
typedef void (*bn_rope_kv_fn)(const bn_rope_args* a, int32_t t_begin, int32_t t_end);

/* The normalized Walsh-Hadamard transform (bitnative.h) of rows [r_begin, r_end) of k floats, in place. */
typedef void (*bn_hadamard_fn)(float* x, int32_t k, int32_t r_begin, int32_t r_end);
/* Top-K of rows [r_begin, r_end) of k int8 values, in place (bitnative.h). */
typedef void (*bn_topk_fn)(int8_t* xq, int32_t k, int32_t keep, int32_t r_begin, int32_t r_end);
typedef void (*bn_attention_fn)(const bn_attention_args* a, int32_t u_begin, int32_t u_end);

#define BN_DECODE_KERNEL_DECLS(isa)                                                                                    \
    int32_t bn_rmsnorm_f32__##isa(const float* x, const float* w, float eps, int32_t k, int32_t r_begin,              \
                                  int32_t r_end, float* y);                                                            \
    int32_t bn_rmsnorm_q8__##isa(const float* x, const float* w, float eps, int32_t k, int32_t r_begin,               \
                                 int32_t r_end, int8_t* xq, float* scales);                                            \
    int32_t bn_rmsnorm_q4__##isa(const float* x, const float* w, float eps, int32_t k, int32_t r_begin,               \
                                 int32_t r_end, int8_t* xq, float* scales);                                            \
    void bn_glu_f32__##isa(const float* gate, const float* up, bn_activation act, int64_t begin, int64_t end,         \
                           float* y);                                                                                  \
    int32_t bn_glu_rmsnorm_q8__##isa(float* gate, const float* up, bn_activation act, const float* w, float eps,      \
                                     int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq, float* scales);           \
    void bn_rope_kv_f16__##isa(const bn_rope_args* a, int32_t t_begin, int32_t t_end);                                \
    void bn_attention_f16__##isa(const bn_attention_args* a, int32_t u_begin, int32_t u_end);                         \
    void bn_matmul_f16_f32__##isa(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);                          \
    void bn_matmul_f32_f32__##isa(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);                          \
    void bn_matmul_bf16_f32__##isa(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);                         \
    void bn_matmul_f8_f32__##isa(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);

BN_DECODE_KERNEL_DECLS(ref)
void bn_matmul_q8_0_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_matmul_f32_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
#if defined(BN_ARCH_X86)
BN_DECODE_KERNEL_DECLS(avx2)
void bn_matmul_q8_0_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
/* AVX-512 variants exist where measured faster than AVX2's: attention and the Q8_0 matrix. */
void bn_attention_f16__avx512(const bn_attention_args* a, int32_t u_begin, int32_t u_end);
void bn_matmul_q8_0_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
#endif
#if defined(BN_ARCH_ARM64)
BN_DECODE_KERNEL_DECLS(neon)
void bn_matmul_q8_0_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_matmul_q8_0_q8__neondot(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
#endif

#define BN_Q8_0_BLOCK 32
#define BN_Q8_0_BLOCK_BYTES 34
#define BN_F8_BLOCK 32
#define BN_F8_BLOCK_BYTES 34

/* A bfloat16 weight (its bits are the top half of a float's). */
static inline float bn_bf16_to_fp32(uint16_t h) {
    union { uint32_t u; float f; } v = {(uint32_t)h << 16};
    return v.f;
}

/* The fp16 bit pattern of an FP8 E4M3 code, scaled down by 2^8: sign to bit 15, exponent and mantissa shifted left
 * by 7 (E4M3's bias 7 against fp16's 15 is the 2^8, and its subnormals become fp16 subnormals of the same value
 * over 2^8). The SIMD kernels widen with the hardware fp16 conversion and multiply by 256 d. */
static inline uint16_t bn_f8_e4m3_as_fp16(uint8_t q) { return (uint16_t)(((q & 0x7f) << 7) | ((q & 0x80) << 8)); }

/* Weight j (0..31) of an F8 block: e4m3(q_j) d, computed as (fp16 of the code) * (d * 256), exact in float. */
static inline float bn_f8_weight(const uint8_t* block, int j) {
    const float d256 = bn_fp16_to_fp32((uint16_t)(block[0] | (block[1] << 8))) * 256.0f;
    return bn_fp16_to_fp32(bn_f8_e4m3_as_fp16(block[2 + j])) * d256;
}
/* Longest head the attention kernels keep on their stack (2B-4T: 128). */
#define BN_ATTENTION_MAX_HEAD_DIM 512

/* ---- ggml's 4-bit, k-quant and 2-bit blocks (Q4_0, Q4_K, Q5_K, Q6_K, Q2_0, Q1_0) x int8 rows */

/* Layouts: bitnative.h (bn_wtype) and core/bn_kquants.h, which reads them for the references. */
#define BN_Q4_0_BLOCK 32
#define BN_Q4_0_BLOCK_BYTES 18
#define BN_QK_BLOCK 256
#define BN_Q4_K_BLOCK_BYTES 144
#define BN_Q5_K_BLOCK_BYTES 176
#define BN_Q6_K_BLOCK_BYTES 210
#define BN_Q2_0_BLOCK 64
#define BN_Q2_0_BLOCK_BYTES 18
#define BN_Q1_0_BLOCK 128
#define BN_Q1_0_BLOCK_BYTES 18
#define BN_Q2_0_G128_BLOCK 128
#define BN_Q2_0_G128_BLOCK_BYTES 34

#define BN_KQUANT_KERNEL_DECLS(isa)                                                                                    \
    void bn_matmul_q4_0_q8__##isa(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);                          \
    void bn_matmul_q4_k_q8__##isa(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);                          \
    void bn_matmul_q5_k_q8__##isa(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);                          \
    void bn_matmul_q6_k_q8__##isa(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);                          \
    void bn_matmul_q2_0_q8__##isa(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);                          \
    void bn_matmul_q1_0_q8__##isa(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);                          \
    void bn_matmul_q2_0_g128_q8__##isa(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);

BN_KQUANT_KERNEL_DECLS(ref)
#if defined(BN_ARCH_X86)
BN_KQUANT_KERNEL_DECLS(avx2)
BN_KQUANT_KERNEL_DECLS(avx512vnni)
#endif
#if defined(BN_ARCH_ARM64)
BN_KQUANT_KERNEL_DECLS(neon)
BN_KQUANT_KERNEL_DECLS(neondot)
#endif

/* ---- lookup-table (TL1) kernels ------------------------------------------------------------ */

/* The TL1 layout (bitnative.h): 32-row tiles of k / 4 units of 32 bytes, one 4-bit pair code per
 * (row, pair of columns). Tile t starts at t * BN_TL1_TILE_BYTES(k). */
#define BN_TL1_TILE_BYTES(k) ((int64_t)(k) * 8)
#define BN_TL1_UNIT_BYTES 32
/* Rows per tile, and columns per block (k must be a multiple of it, as for I2S). */
#define BN_TL1_ROW_TILE 32
#define BN_TL1_BLOCK 128

/* The pair code of tile row i (0..31) for column pair p (columns 2p, 2p + 1) of a tile. */
static inline int bn_tl1_code(const uint8_t* tile, int32_t p, int32_t i) {
    const uint8_t byte = tile[(int64_t)(p >> 1) * BN_TL1_UNIT_BYTES + 16 * (p & 1) + (i & 15)];
    return i < 16 ? (byte & 15) : (byte >> 4);
}

/* The weights of a pair code: (c / 3 - 1, c % 3 - 1) for c <= 8; codes 9..15 (never packed) are
 * the zero pair in every kernel, so even corrupt weights give identical results everywhere. */
static inline int bn_tl1_w0(int c) { return c <= 8 ? c / 3 - 1 : 0; }
static inline int bn_tl1_w1(int c) { return c <= 8 ? c % 3 - 1 : 0; }

/* Bytes of one activation row's lookup tables: a 16-byte table per column pair, two (for the high
 * and low parts of the split) with q8 activations, one with q4. Every ISA's tables fit in these. */
#define BN_LUT_TABLE_BYTES_Q8(k) ((int64_t)(k) * 16)
#define BN_LUT_TABLE_BYTES_Q4(k) ((int64_t)(k) * 8)

/* Start of chunk c (of n_chunks) of a tile's `units` units, rounded down to a multiple of `align`:
 * the kernels cut a tile into chunks of (nearly) equal size rather than full chunks and a short tail,
 * so a chunk that prefetches "the next chunk's worth" of codes always covers the next chunk. */
static inline int32_t bn_lut_chunk_start(int32_t units, int32_t n_chunks, int32_t c, int32_t align) {
    return (int32_t)((int64_t)units * c / n_chunks / align * align);
}

void bn_matmul_tl1_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
#if defined(BN_ARCH_X86)
int32_t bn_lutbuild_tl1_q8__avx2(const int8_t* x, int32_t k, uint8_t* table);
int32_t bn_lutbuild_tl1_q4__avx2(const int8_t* x, int32_t k, uint8_t* table);
void bn_matmul_tl1_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_matmul_tl1_q4__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
int32_t bn_lutbuild_tl1_q8__avx512vnni(const int8_t* x, int32_t k, uint8_t* table);
int32_t bn_lutbuild_tl1_q4__avx512vnni(const int8_t* x, int32_t k, uint8_t* table);
void bn_matmul_tl1_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_matmul_tl1_q4__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
#endif
#if defined(BN_ARCH_ARM64)
int32_t bn_lutbuild_tl1_q8__neon(const int8_t* x, int32_t k, uint8_t* table);
int32_t bn_lutbuild_tl1_q4__neon(const int8_t* x, int32_t k, uint8_t* table);
void bn_matmul_tl1_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_matmul_tl1_q4__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
#endif

/* ==== Quantized KV cache, Hadamard, top-K and the sparse (I2ST) matmul ==== */

#define BN_KV_GROUP 32
/* 1 / sqrt(B) of the Hadamard block B, as every variant multiplies by it. */
float bn_hadamard_scale(int32_t block);
/* The reference transform of one block of B values in place, then each times scale (hadamard-f32-ref.c). */
void bn_hadamard_block__ref(float* v, int32_t block, float scale);
/* The code of value j (0..hd) of a quantized block, as int (c in [-Qmax, Qmax]); the reference decoder. */
int bn_kv_code(const uint8_t* codes, bn_kv_type type, int32_t j);
/* The block's scale d. */
static inline float bn_kv_scale(const uint8_t* block) {
    float d;
    memcpy(&d, block, sizeof d);
    return d;
}
/* Qmax of a quantized type: 127, 7, 3. */
static inline int bn_kv_qmax(bn_kv_type type) { return type == BN_KV_Q8 ? 127 : type == BN_KV_Q4 ? 7 : 3; }
/* The start of quantizing a block whose largest |x| is amax: stores its scale d = amax / qmax (amax at least
 * BN_ACT_EPS) and returns s = qmax / amax, the factor that takes x to its (unrounded) code. Every variant's. */
static inline float bn_kv_block_start(float amax, int qmax, uint8_t* block) {
    if (amax < BN_ACT_EPS) amax = BN_ACT_EPS;
    const float d = amax / (float)qmax;
    memcpy(block, &d, sizeof d);
    return (float)qmax / amax;
}
/* Bytes of one block (valid type and head_dim). */
int32_t bn_kv_block_size(bn_kv_type type, int32_t hd);

void bn_rope_kv_quant__ref(const bn_rope_args* a, int32_t t_begin, int32_t t_end);

/* The sparse activation row an I2ST kernel reads, built by bn_sparse_build__ref before the output rows
 * are split: int32 count (a multiple of 4, padded with index 0 / value 0 entries), int32 sum of the
 * row's values, int32 idx[count], then int8 val[count] at byte 8 + 4 k. BN_SPARSE_TABLE_BYTES_PER_K
 * bytes per column hold it for any k >= 4. */
#define BN_SPARSE_TABLE_BYTES_PER_K 8
int32_t bn_sparse_build__ref(const int8_t* x, int32_t k, uint8_t* table);
static inline const int32_t* bn_sparse_idx(const uint8_t* table) { return (const int32_t*)(const void*)(table + 8); }
static inline const int8_t* bn_sparse_val(const uint8_t* table, int32_t k) { return (const int8_t*)(table + 8 + 4 * (int64_t)k); }
static inline int32_t bn_sparse_count(const uint8_t* table) { int32_t c; memcpy(&c, table, 4); return c; }
static inline int32_t bn_sparse_sum(const uint8_t* table) { int32_t c; memcpy(&c, table + 4, 4); return c; }
/* Activation row r of an I2ST matmul as its kernels read it: the sparse table's entries, and the row's scale. */
typedef struct bn_sparse_row {
    int32_t count, sum;  /* entries (a multiple of 4) and the sum of the row's values */
    const int32_t* idx;  /* the entries' columns */
    const int8_t* val;   /* and values */
    float scale;         /* x_scales[r] * w_scale */
} bn_sparse_row;
static inline bn_sparse_row bn_sparse_row_at(const bn_matmul_args* a, int32_t r) {
    const uint8_t* table = a->tables + (int64_t)r * a->table_bytes;
    return (bn_sparse_row){.count = bn_sparse_count(table), .sum = bn_sparse_sum(table), .idx = bn_sparse_idx(table),
                           .val = bn_sparse_val(table, a->k), .scale = a->x_scales[r] * a->w_scale};
}
/* Prefetches into L2 (prefetcht1 on x86) bytes [0, bytes) of the columns of entries [e, e + n) that exist, each col_bytes
 * apart from base: a sparse row's columns are scattered, so without this each of their lines waits on memory. */
static inline __attribute__((always_inline)) void bn_sparse_prefetch(const bn_sparse_row* s, int32_t e, int n,
                                                                     const uint8_t* base, int64_t col_bytes,
                                                                     int64_t bytes) {
    for (int c = 0; c < n && e + c < s->count; c++) {
        const char* next = (const char*)(base + s->idx[e + c] * col_bytes);
        for (int64_t off = 0; off < bytes; off += 64) __builtin_prefetch(next + off, 0, 2);
    }
}
/* Top-K's threshold for one row of k int8 values (bn_topk_q8): a histogram of |x| (0..128; |-128| is 128) gives the
 * threshold magnitude L and how many entries with |x| == L survive (the first `need` in column order), so that
 * |x| > L plus those make `keep` entries. Every variant finds it this way and differs only in the pass after. */
static inline void bn_topk_threshold(const int8_t* x, int32_t k, int32_t keep, int32_t* level, int32_t* need) {
    int32_t hist[129] = {0};
    for (int32_t j = 0; j < k; j++) hist[x[j] < 0 ? -x[j] : x[j]]++;
    int32_t above = 0;
    for (int32_t l = 128; l >= 0; l--) {
        if (above + hist[l] >= keep) {
            *level = l;
            *need = keep - above;
            return;
        }
        above += hist[l];
    }
    *level = 0;
    *need = keep - above;
}
/* The reference's keep / zero pass over columns [j, end) of a row: |x| > level survives, |x| == level survives for
 * the first *need such columns (each one taken off *need), everything else becomes 0. */
static inline void bn_topk_pass__ref(int8_t* x, int32_t j, int32_t end, int32_t level, int32_t* need) {
    for (; j < end; j++) {
        const int32_t a = x[j] < 0 ? -x[j] : x[j];
        if (a > level) continue;
        if (a == level && *need > 0) {
            (*need)--;
            continue;
        }
        x[j] = 0;
    }
}
/* One row's pass once its threshold is known (level and need of bn_topk_threshold). */
typedef void (*bn_topk_row_fn)(int8_t* x, int32_t k, int32_t level, int32_t need);
/* The rows [r_begin, r_end) every top-K variant walks: nothing to do when keep >= k, else each row's threshold from
 * the reference histogram, then the variant's pass. */
static inline __attribute__((always_inline)) void bn_topk_walk(int8_t* xq, int32_t k, int32_t keep, int32_t r_begin,
                                                               int32_t r_end, bn_topk_row_fn pass) {
    if (keep >= k) return;
    for (int32_t r = r_begin; r < r_end; r++) {
        int8_t* x = xq + (int64_t)r * k;
        int32_t level, need;
        bn_topk_threshold(x, k, keep, &level, &need);
        pass(x, k, level, need);
    }
}

/* Output rows per I2ST tile: one I2S block of a column. */
#define BN_I2ST_TILE 128

#define BN_A48_KERNEL_DECLS(isa)                                                                                       \
    void bn_quantize_kv__##isa(const float* x, int32_t hd, bn_kv_type type, uint8_t* block);                          \
    void bn_attention_kvq__##isa(const bn_attention_args* a, int32_t u_begin, int32_t u_end);                         \
    void bn_hadamard_f32__##isa(float* x, int32_t k, int32_t r_begin, int32_t r_end);                                 \
    void bn_topk_q8__##isa(int8_t* xq, int32_t k, int32_t keep, int32_t r_begin, int32_t r_end);

BN_A48_KERNEL_DECLS(ref)
void bn_matmul_i2st_q8__ref(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
#if defined(BN_ARCH_X86)
BN_A48_KERNEL_DECLS(avx2)
void bn_matmul_i2st_q8__avx2(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
void bn_attention_kvq__avx512(const bn_attention_args* a, int32_t u_begin, int32_t u_end);
void bn_hadamard_f32__avx512(float* x, int32_t k, int32_t r_begin, int32_t r_end);
void bn_matmul_i2st_q8__avx512vnni(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
#endif
#if defined(BN_ARCH_ARM64)
BN_A48_KERNEL_DECLS(neon)
void bn_matmul_i2st_q8__neon(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);
#endif

/* ==== The weight-type traits table and the per-ISA kernel config ==== */

/* Packs / unpacks an n x k matrix of ternary values (checked by the entry point: values in {-1, 0, 1},
 * k a whole number of blocks, buffers long enough). Unpackers return 0 on a code that is not
 * ternary; block_scales receives per-block scales where the type has them. */
typedef void (*bn_pack_fn)(const int8_t* q, int32_t n, int32_t k, float scale, uint8_t* out);
typedef int (*bn_unpack_fn)(const uint8_t* packed, int32_t n, int32_t k, int8_t* q, float* block_scales);

/* One row per bn_wtype (core/wtype.c): everything about a weight type that does not depend on the ISA. */
typedef struct bn_wtype_traits {
    const char* name;
    bn_wtype_info info;
    /* Output rows one kernel call takes at once: the entry point cuts rows on its multiples. */
    int32_t row_grain;
    /* 1 when the kernels multiply by w_scale themselves (ternary types); for the others the entry
     * point scales y afterwards when w_scale is not 1. */
    int32_t kernels_apply_w_scale;
    /* Per-block scales per row for bn_unpack (TQ types: k / 256), 0 if none. */
    int32_t block_scales_per_block;
    bn_pack_fn pack;     /* NULL for types that are not ternary */
    bn_unpack_fn unpack;
} bn_wtype_traits;

/* The row of a valid wtype (callers check the range first). */
const bn_wtype_traits* bn_wtype_traits_of(bn_wtype wtype);

/* Bytes of an n x k matrix (n, k >= 0, k a multiple of the block). */
int64_t bn_wtype_matrix_bytes(const bn_wtype_traits* t, int32_t n, int32_t k);

/* The kernel of one (weight type, activation type) pair on one ISA. gemv runs m = 1, gemm any m
 * (the same function where one kernel does both). prepare, when set, builds each activation row's
 * table_bytes_per_k * k bytes of scratch before the rows are split over threads (LUT kernels). */
typedef struct bn_matmul_ukernel {
    bn_matmul_fn gemv;
    bn_matmul_fn gemm;
    bn_lut_build_fn prepare;
    int32_t table_bytes_per_k;
} bn_matmul_ukernel;

/* Everything one ISA runs (XNNPACK's per-ISA config): filled once, starting from the next simpler
 * ISA's and replacing what this ISA does better, so an ISA without a variant of its own runs the
 * best lower one. */
typedef struct bn_config {
    bn_isa isa;
    bn_matmul_ukernel matmul[BN_WTYPE_COUNT][BN_ATYPE_COUNT];
    bn_quantize_fn quantize_q8;
    bn_quantize_fn quantize_q4;
    bn_rmsnorm_f32_fn rmsnorm_f32;
    bn_rmsnorm_quant_fn rmsnorm_q8;
    bn_rmsnorm_quant_fn rmsnorm_q4;
    bn_glu_f32_fn glu_f32;
    bn_glu_rmsnorm_q8_fn glu_rmsnorm_q8;
    bn_rope_kv_fn rope_kv_f16;
    bn_attention_fn attention_f16;
    bn_kv_quantize_fn kv_quantize;
    bn_attention_fn attention_kvq;
    bn_hadamard_fn hadamard_f32;
    bn_topk_fn topk_q8;
} bn_config;

/* The config of an ISA compiled into this build (NULL otherwise; the CPU may still lack it). */
const bn_config* bn_config_for_isa(bn_isa isa);

/* The config of the ISA in use (bn_set_isa, or the best one). */
const bn_config* bn_active_config(void);

/* Runs a validated matmul with the given kernel (bn_matmul's body after its checks; the tests pass
 * kernels that no config holds, such as the emulated AVX-512 ones). */
bn_status bn_matmul_run(const bn_matmul_ukernel* uk, bn_wtype wtype, bn_atype atype, const uint8_t* w, float w_scale,
                        const float* x, const int8_t* xq, const float* x_scales, int32_t n, int32_t k, int32_t m,
                        float* y, bn_threadpool* pool);

/* 1 when the CPU and the build run isa. */
int bn_isa_available(bn_isa isa);

#endif /* BN_INTERNAL_H */
