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

/* ---- lookup-table (TL1) kernels ------------------------------------------------------------ */

/* The TL1 layout (bitnative.h): 32-row tiles of k / 4 units of 32 bytes, one 4-bit pair code per
 * (row, pair of columns). Tile t starts at t * BN_TL1_TILE_BYTES(k). */
#define BN_TL1_TILE_BYTES(k) ((int64_t)(k) * 8)
#define BN_TL1_UNIT_BYTES 32

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

/* One TL1 matmul task over tiles: y[r * n + i] for r in [0, m), i in [0, n). Validated by the
 * entry point, so kernels only assert. */
typedef struct bn_lut_args {
    const uint8_t* w;        /* ceil(n / 32) tiles of BN_TL1_TILE_BYTES(k) bytes */
    const uint8_t* tables;   /* m activation rows' tables, table_bytes apart; NULL for the reference */
    int64_t table_bytes;
    const int8_t* xq;        /* m rows of k activations (the reference reads them, not tables) */
    const float* x_scales;   /* m */
    float w_scale;
    int32_t n;
    int32_t k;
    int32_t m;
    float* y;                /* m rows of n */
} bn_lut_args;

/* Computes the output rows of tiles [tile_begin, tile_end) for all m activation rows. */
typedef void (*bn_lut_matmul_fn)(const bn_lut_args* a, int32_t tile_begin, int32_t tile_end);

/* Builds one activation row's tables (the kernel of the same ISA reads them). q4 builders, whose
 * tables assume int4, return nonzero when an activation lies outside [-8, 7]; q8 builders return 0. */
typedef int32_t (*bn_lut_build_fn)(const int8_t* x, int32_t k, uint8_t* table);

/* The LUT kernels of one ISA; builders are NULL where the kernels read activations directly. */
typedef struct bn_lut_kernels {
    bn_isa isa;
    bn_lut_build_fn build_q8;
    bn_lut_build_fn build_q4;
    bn_lut_matmul_fn matmul_q8;
    bn_lut_matmul_fn matmul_q4;
} bn_lut_kernels;

/* The LUT kernels of an ISA (NULL if not compiled in); entry points use the active ISA's. */
const bn_lut_kernels* bn_lut_kernels_for_isa(bn_isa isa);

/* Runs a validated TL1 matmul with the given kernels: builds the tables (checking q4 ranges), then
 * splits the tiles over the pool. Shared by the entry points and the tests (which pass each ISA's
 * kernels, emulated ones included). */
bn_status bn_lut_matmul_run(const bn_lut_kernels* lk, int is_q4, const uint8_t* w, float w_scale, const int8_t* xq,
                            const float* x_scales, int32_t n, int32_t k, int32_t m, float* y, bn_threadpool* pool);

void bn_matmul_tl1_q8__ref(const bn_lut_args* a, int32_t tile_begin, int32_t tile_end);
void bn_matmul_tl1_q4__ref(const bn_lut_args* a, int32_t tile_begin, int32_t tile_end);
#if defined(BN_ARCH_X86)
int32_t bn_lutbuild_tl1_q8__avx2(const int8_t* x, int32_t k, uint8_t* table);
int32_t bn_lutbuild_tl1_q4__avx2(const int8_t* x, int32_t k, uint8_t* table);
void bn_matmul_tl1_q8__avx2(const bn_lut_args* a, int32_t tile_begin, int32_t tile_end);
void bn_matmul_tl1_q4__avx2(const bn_lut_args* a, int32_t tile_begin, int32_t tile_end);
int32_t bn_lutbuild_tl1_q8__avx512vnni(const int8_t* x, int32_t k, uint8_t* table);
int32_t bn_lutbuild_tl1_q4__avx512vnni(const int8_t* x, int32_t k, uint8_t* table);
void bn_matmul_tl1_q8__avx512vnni(const bn_lut_args* a, int32_t tile_begin, int32_t tile_end);
void bn_matmul_tl1_q4__avx512vnni(const bn_lut_args* a, int32_t tile_begin, int32_t tile_end);
#endif
#if defined(BN_ARCH_ARM64)
int32_t bn_lutbuild_tl1_q8__neon(const int8_t* x, int32_t k, uint8_t* table);
int32_t bn_lutbuild_tl1_q4__neon(const int8_t* x, int32_t k, uint8_t* table);
void bn_matmul_tl1_q8__neon(const bn_lut_args* a, int32_t tile_begin, int32_t tile_end);
void bn_matmul_tl1_q4__neon(const bn_lut_args* a, int32_t tile_begin, int32_t tile_end);
#endif

#endif /* BN_INTERNAL_H */
