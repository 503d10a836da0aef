/* Internal declarations shared by the library's translation units. Not part of the ABI. */
#ifndef BN_INTERNAL_H
#define BN_INTERNAL_H

#include "bitnative.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

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

/* ---- kernels ------------------------------------------------------------------------------ */

/* One ternary matmul task: y[r * n + i] for r in [0, m), i in [0, n). Validated by the entry
 * point, so kernels only assert. */
typedef struct bn_matmul_args {
    const uint8_t* w;       /* n rows, row_bytes each */
    int64_t row_bytes;      /* bytes of one packed row */
    float w_scale;
    const int8_t* xq;       /* m rows of k */
    const float* x_scales;  /* m */
    int32_t n;
    int32_t k;
    int32_t m;
    float* y;               /* m rows of n */
} bn_matmul_args;

/* Computes output rows (features) [i_begin, i_end) for all m activation rows. */
typedef void (*bn_matmul_fn)(const bn_matmul_args* a, int32_t i_begin, int32_t i_end);

/* Quantizes rows [r_begin, r_end) of x (k columns each). */
typedef void (*bn_quantize_fn)(const float* x, int32_t k, int32_t r_begin, int32_t r_end, int8_t* xq,
                               float* scales);

/* The dispatch table: one function per operation, all from one ISA (falling back to the best
 * lower ISA where a variant does not exist). */
typedef struct bn_kernels {
    bn_isa isa;
    bn_matmul_fn matmul_i2s_q8;
    bn_matmul_fn matmul_tq2_q8;
    bn_quantize_fn quantize_q8;
    bn_quantize_fn quantize_q4;
} bn_kernels;

/* The table in use (after bn_init). */
const bn_kernels* bn_active_kernels(void);

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

/* Returns the table of a specific ISA (NULL if not compiled in); used by dispatch and tests. */
const bn_kernels* bn_kernels_for_isa(bn_isa isa);

/* ---- shared numeric constants ------------------------------------------------------------- */

#define BN_ACT_EPS 1e-5f
#define BN_WEIGHT_EPS 1e-5f
#define BN_I2S_BLOCK 128
#define BN_TQ_BLOCK 256
#define BN_TQ2_BLOCK_BYTES 66
#define BN_TQ1_BLOCK_BYTES 54

#endif /* BN_INTERNAL_H */
