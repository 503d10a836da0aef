/*
 * bitnative.h - the whole public C ABI of the BitNative kernel library.
 *
 * BitNative runs 1.58-bit ("ternary", weights in {-1, 0, +1}) LLMs on CPUs. This library holds
 * the hot loops; everything else lives in .NET. build/BindGen reads this header with libclang
 * and generates the C# bindings, so keep to what it understands: enums with explicit values,
 * structs of fixed-width fields, functions with fixed-width parameters, and one block comment
 * above every declaration (its first paragraph becomes the C# <summary>).
 *
 * Conventions
 *  - Every function that can fail returns bn_status and never aborts, prints or exits.
 *    bn_last_error() gives a thread-local human-readable detail of the last failure.
 *  - Buffers are plain typed pointers, each followed by its length in elements (int64_t), so
 *    native code can check it against the shape: a buffer shorter than the shape needs is
 *    BN_STATUS_INVALID_ARGUMENT, never a read or write past its end. Buffers must not overlap.
 *    A buffer the shape needs no element of may be NULL.
 *  - Order: inputs, then arguments (shapes, scales), then outputs, then the optional thread
 *    pool. A NULL pool runs the operation on the calling thread.
 *  - Dimensions and counts are int32_t; byte sizes and element counts of buffers are int64_t.
 *  - Type tokens in names. Weights: i2s (bitnet.cpp I2_S), tq2 (llama.cpp TQ2_0), tq1 (TQ1_0),
 *    tl1 (BitNative's lookup-table layout, see "Lookup-table kernels" below), f16 (IEEE half), bf16 (bfloat16),
 *    f8 (FP8 E4M3 blocks),
 *    q8_0 (ggml Q8_0 blocks), q4_0, q4_k, q5_k, q6_k (ggml's 4-bit and k-quant blocks), q2_0, q1_0 (ggml's 2-bit and 1-bit blocks), q2_0_g128 (PrismML's 2-bit blocks). Activations: q8 (int8, per-row absmax), q4 (int4 values held in
 *    int8, BitNet a4.8), f32 (float).
 *  - A matrix W has n rows (output features) of k columns (input features), row-major with k
 *    contiguous, as GGUF stores a tensor of shape [k, n] (ne0 = k).
 *
 * Numerics (the scalar reference in native/src/kernels/ref is the specification)
 *  - Ternarization (absmean, BitNet b1.58): gamma = mean(|W|) over the whole tensor,
 *    Wq = clamp(round(W / (gamma + 1e-5)), -1, 1); W ~= gamma * Wq.
 *  - q8 activations, per row: s = 127 / max(max|x|, 1e-5), xq = clamp(round(x * s), -128, 127),
 *    x ~= xq * d with d = 1 / s stored as the row's scale.
 *  - q4 activations, per row (BitNet a4.8): beta = mean|x|, s = sqrt(7) / max(beta, 1e-5),
 *    xq = clamp(round(x * s), -8, 7), d = 1 / s. Checked against arXiv 2411.04965 eq. (7),
 *    Q_INT4(X) = beta / sqrt(7) * RoundClip(sqrt(7) / (beta + eps) * X, -8, 7), beta = mean(|X|):
 *    same estimator, constant and range. The paper writes beta + eps where we take max(beta, eps),
 *    exactly as its eq. (3) writes gamma + eps for int8 while BitNet's published training code
 *    clamps (max) the absmax; the two differ by at most eps / beta (< 1e-5 relative for a normalized
 *    row) and only when beta < eps do they differ materially (there max keeps d > 0).
 *  - round() is round-half-to-even everywhere (what SIMD conversions do), so every variant
 *    produces the same integers.
 *  - Ternary matmul: y[r, i] = (sum_j Wq[i, j] * xq[r, j]) * (d_r * w_scale), accumulated exactly
 *    in int32; the float epilogue is the same expression in every variant, so integer paths and
 *    float outputs are bit-identical to the reference. For tq2 the per-block fp16 scales enter
 *    as y = (sum_b (float)dot_b * d_b) * (d_r * w_scale), summed over blocks in order.
 */
#ifndef BITNATIVE_H
#define BITNATIVE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(BN_BUILDING_LIBRARY)
#    define BN_API __declspec(dllexport)
#  else
#    define BN_API
#  endif
#else
#  define BN_API __attribute__((visibility("default")))
#endif

/* Bumped whenever a signature, enum value or struct changes; the .NET resolver refuses a
 * library whose bn_abi_version() differs from the version its bindings were generated for. */
#define BN_ABI_VERSION 10

/* Result of every fallible call. Values are frozen once released; removed values stay as
 * comments. */
typedef enum bn_status {
    BN_STATUS_OK = 0,
    BN_STATUS_INVALID_ARGUMENT = 1,
    BN_STATUS_SHAPE_MISMATCH = 2,
    BN_STATUS_UNSUPPORTED = 3,
    BN_STATUS_OUT_OF_MEMORY = 4,
    BN_STATUS_INTERNAL = 5
} bn_status;

/* Instruction-set variants of the kernels. Each ISA implies the ones it builds on:
 * AVX512_VNNI needs AVX-512 F/BW/VL/VNNI; NEON_DOTPROD needs the Armv8.2 SDOT extension. */
typedef enum bn_isa {
    BN_ISA_REF = 0,
    BN_ISA_AVX2 = 1,
    BN_ISA_AVX512_VNNI = 2,
    BN_ISA_NEON = 3,
    BN_ISA_NEON_DOTPROD = 4,
    BN_ISA_COUNT = 5
} bn_isa;

/* Weight types: one row each in the library's traits table (block geometry, bytes for a shape, the
 * activation type its kernels pair with, the GGUF type id, the kernel per ISA). Values are frozen. */
typedef enum bn_wtype {
    /* bitnet.cpp I2_S: 2 bits per weight, code = w + 1; 128-weight blocks of 32 bytes where byte
     * j holds weights j, j+32, j+64, j+96 in bits 7:6, 5:4, 3:2, 1:0. One float32 scale for the
     * whole tensor follows the codes in a file; kernels take it as w_scale. */
    BN_WTYPE_I2S = 0,
    /* llama.cpp TQ2_0: 256-weight blocks of 66 bytes {uint8 qs[64]; fp16 d}; within each
     * 32-byte half, byte m holds weights m + 32 n at bits 2n..2n+1 (n = 0..3). */
    BN_WTYPE_TQ2 = 1,
    /* llama.cpp TQ1_0: 256-weight blocks of 54 bytes {uint8 qs[48]; uint8 qh[4]; fp16 d}; base-3
     * digits, five per qs byte and four per qh byte, each byte stored as ceil(v * 256 / 243).
     * No kernel reads it: models repack it to I2S or TQ2 at load. */
    BN_WTYPE_TQ1 = 2,
    /* BitNative's lookup-table layout (see "Lookup-table kernels" below): 2 bits per weight in
     * 32-row tiles, one scale per tensor (w_scale). No file stores it: made from I2S at load. */
    BN_WTYPE_TL1 = 3,
    /* IEEE binary16 values, little-endian (GGUF F16): output heads and embeddings. */
    BN_WTYPE_F16 = 4,
    /* ggml Q8_0: 32-weight blocks of 34 bytes {fp16 d; int8 q[32]}, w = d q. */
    BN_WTYPE_Q8_0 = 5,
    /* IEEE binary32 values, little-endian (GGUF F32): heads and the projections of float baselines. */
    BN_WTYPE_F32 = 6,
    /* ggml Q6_K: 256-weight blocks of 210 bytes {uint8 ql[128]; uint8 qh[64]; int8 sc[16]; fp16 d}. In each
     * half h (128 weights) weight 128 h + 32 g + l (g = 0..3, l = 0..31) has the 6-bit code c = (nibble g / 2 of
     * ql[64 h + 32 (g % 2) + l]) | ((qh[32 h + l] >> 2 g) & 3) << 4, and w = d sc[j / 16] (c - 32) for weight j. */
    BN_WTYPE_Q6_K = 7,
    /* ggml Q4_0: 32-weight blocks of 18 bytes {fp16 d; uint8 qs[16]}; weight j < 16 has code qs[j] & 15, weight
     * j + 16 has qs[j] >> 4, and w = d (c - 8). */
    BN_WTYPE_Q4_0 = 8,
    /* ggml Q4_K: 256-weight blocks of 144 bytes {fp16 d; fp16 dmin; uint8 scales[12]; uint8 qs[128]}: eight
     * 32-weight sub-blocks s with 6-bit scale sc_s and min m_s packed in scales (ggml's get_scale_min_k4);
     * weight 64 p + l (l < 32) has code qs[32 p + l] & 15 (sub-block 2 p), weight 64 p + 32 + l has
     * qs[32 p + l] >> 4 (sub-block 2 p + 1), and w = d sc_s c - dmin m_s. */
    BN_WTYPE_Q4_K = 9,
    /* ggml Q5_K: 256-weight blocks of 176 bytes {fp16 d; fp16 dmin; uint8 scales[12]; uint8 qh[32]; uint8
     * qs[128]}: Q4_K's layout plus a fifth bit, bit s of qh[l] for weight 32 s + l (s = 0..7), worth 16. */
    BN_WTYPE_Q5_K = 10,
    /* ggml Q2_0 (upstream llama.cpp type 42): 64-weight blocks of 18 bytes {fp16 d; uint8 qs[16]}; weight j has the
     * code c = (qs[j / 4] >> 2 (j % 4)) & 3 (consecutive weights, LSB first) and w = d (c - 1), codes 0..3 meaning
     * -1, 0, +1, +2. Ternary models (PrismML's Bonsai) use codes 0..2 only; every kernel reads all four. */
    BN_WTYPE_Q2_0 = 11,
    /* ggml Q1_0 (upstream llama.cpp type 41): 128-weight blocks of 18 bytes {fp16 d; uint8 qs[16]}; weight j is bit
     * j % 8 of qs[j / 8] (LSB first), w = +d for 1 and -d for 0: binary weights with one scale per block. */
    BN_WTYPE_Q1_0 = 12,
    /* bfloat16 values, little-endian (GGUF BF16): the top 16 bits of an IEEE binary32. */
    BN_WTYPE_BF16 = 13,
    /* BitNative's FP8 blocks (GGUF type 180, no upstream id): 32-weight blocks of 34 bytes {fp16 d; uint8 q[32]}
     * with q an OCP FP8 E4M3 value (1 sign, 4 exponent bits with bias 7, 3 mantissa bits; subnormals at exponent
     * 0) and w = d e4m3(q): Q8_0's geometry with floating-point codes. The E4M3 NaN pattern S.1111.111 is never
     * written; every kernel reads it as +-480 (the next value of the grid). */
    BN_WTYPE_F8 = 14,
    /* PrismML's earlier Q2_0 files (their llama.cpp fork, GGUF type id 42 as upstream's Q2_0): 128-weight blocks of 34
     * bytes {fp16 d; uint8 qs[32]}, Q2_0's code order over twice the weights: code c = (qs[j / 4] >> 2 (j % 4)) & 3,
     * w = d (c - 1). A reader tells the two apart by the tensor extents a file's offsets imply. */
    BN_WTYPE_Q2_0_G128 = 15,
    /* I2S transposed, for inputs that are mostly zeros (BitNet a4.8's sparsified o_proj / down_proj
     * inputs): column j of the matrix (its n weights) is stored as one I2S row of n codes, n padded
     * to a multiple of 128 with zero weights, so a matmul reads only the columns whose activation is
     * not zero. No file stores it: made from I2S at load (bn_repack). One scale per tensor (w_scale). */
    BN_WTYPE_I2ST = 16,
    BN_WTYPE_COUNT = 17
} bn_wtype;

/* Activation types a matmul takes. */
typedef enum bn_atype {
    /* float rows (x). */
    BN_ATYPE_F32 = 0,
    /* int8 rows with one scale each (xq, x_scales), as bn_quantize_q8 makes them. */
    BN_ATYPE_Q8 = 1,
    /* int4 values in [-8, 7] held in int8, one scale per row (BitNet a4.8), as bn_quantize_q4 makes them. */
    BN_ATYPE_Q4 = 2,
    BN_ATYPE_COUNT = 3
} bn_atype;

/* CPU features found at bn_init(); every field is 1 when present, 0 otherwise. */
typedef struct bn_cpu_features {
    int32_t avx2;
    int32_t fma;
    int32_t f16c;
    int32_t avx512f;
    int32_t avx512bw;
    int32_t avx512vl;
    int32_t avx512vnni;
    int32_t avx512vbmi;
    int32_t avxvnni;
    int32_t neon;
    int32_t dotprod;
    int32_t i8mm;
    /* Logical processors available to this process (at least 1). */
    int32_t logical_cpus;
    /* The ISA bn_init() chose: the best one the CPU supports. */
    int32_t best_isa;
} bn_cpu_features;

/* A weight type's row of the traits table.
 *
 * A matrix of n rows (output features) by k columns (input features) needs k % block_weights == 0
 * and takes bn_wtype_bytes(n, k) = ceil(n / row_tile) * row_tile * (k / block_weights) * block_bytes
 * bytes; a file stores tensor_trailer_bytes more after them. */
typedef struct bn_wtype_info {
    int32_t block_weights;
    int32_t block_bytes;
    /* Rows are stored in groups of row_tile (1 for row-major types, 32 for TL1's tiles). */
    int32_t row_tile;
    /* Bytes a file stores after the packed rows of a whole tensor (I2_S: 32, scale + padding). */
    int32_t tensor_trailer_bytes;
    /* The GGUF / ggml tensor type id of this layout, or -1 where no file stores it (TL1). */
    int32_t ggml_type;
    /* The activation type (bn_atype) its kernels pair with, as ggml's vec_dot_type. */
    int32_t atype;
    /* 1 when the values are ternary codes (the packers and bn_unpack handle them), 0 otherwise. */
    int32_t ternary;
    int32_t reserved;
} bn_wtype_info;

/* Opaque pool of worker threads that splits one operation over output rows. */
typedef struct bn_threadpool bn_threadpool;

/* ---------------------------------------------------------------------------------------------
 * Library state, errors and dispatch
 * ------------------------------------------------------------------------------------------- */

/* Returns BN_ABI_VERSION of the compiled library.
 *
 * Callers compare it with the version their bindings were generated for before any other call. */
BN_API int32_t bn_abi_version(void);

/* Detects CPU features and selects the best kernels; idempotent and thread-safe.
 *
 * Every other entry point calls it on first use, so calling it is optional. Returns BN_STATUS_OK. */
BN_API bn_status bn_init(void);

/* Returns a static English name for a status code ("ok", "invalid argument", ...). */
BN_API const char* bn_status_string(bn_status status);

/* Returns the detail message of the last failure on the calling thread, or "" if none.
 *
 * The text is thread-local and valid until the next failing call on the same thread. */
BN_API const char* bn_last_error(void);

/* Copies the detected CPU features into *out.
 *
 * Returns BN_STATUS_INVALID_ARGUMENT when out is NULL. */
BN_API bn_status bn_get_cpu_features(bn_cpu_features* out);

/* Returns 1 if this CPU and this build can run the given ISA's kernels, 0 otherwise. */
BN_API int32_t bn_isa_supported(bn_isa isa);

/* Forces every subsequent call, in every thread, to use the given ISA's kernels.
 *
 * For tests and benchmarks; switch only while no kernel is running. Returns
 * BN_STATUS_UNSUPPORTED when the CPU or the build lacks the ISA, and
 * BN_STATUS_INVALID_ARGUMENT for a value outside bn_isa. */
BN_API bn_status bn_set_isa(bn_isa isa);

/* Returns the ISA whose kernels are in use. */
BN_API bn_isa bn_get_isa(void);

/* Returns a static lower-case name for an ISA ("ref", "avx2", "avx512_vnni", "neon", "neon_dotprod"). */
BN_API const char* bn_isa_name(bn_isa isa);

/* Copies a weight type's row of the traits table into *out.
 *
 * Returns BN_STATUS_INVALID_ARGUMENT for an unknown wtype or a NULL out. */
BN_API bn_status bn_wtype_get_info(bn_wtype wtype, bn_wtype_info* out);

/* Returns a static name for a weight type ("i2s", "tq2", "tq1", "tl1", "f16", "q8_0", "f32", ...), or "unknown". */
BN_API const char* bn_wtype_name(bn_wtype wtype);

/* Computes the bytes of an n x k matrix of wtype (without any tensor trailer).
 *
 * Returns BN_STATUS_SHAPE_MISMATCH when k is not a multiple of the block size, and
 * BN_STATUS_INVALID_ARGUMENT for an unknown wtype, negative sizes or a NULL out. */
BN_API bn_status bn_wtype_bytes(bn_wtype wtype, int32_t n, int32_t k, int64_t* out_bytes);

/* ---------------------------------------------------------------------------------------------
 * Thread pool
 * ------------------------------------------------------------------------------------------- */

/* Creates a pool that runs operations on n_threads threads: the caller plus n_threads - 1 workers.
 *
 * Workers spin briefly after each operation, then sleep, so back-to-back operations of one token
 * hand off in microseconds. n_threads must be 1..256. Returns BN_STATUS_OUT_OF_MEMORY or
 * BN_STATUS_INTERNAL when threads cannot be created. */
BN_API bn_status bn_threadpool_create(int32_t n_threads, bn_threadpool** out_pool);

/* Stops and joins the workers and frees the pool; accepts NULL. */
BN_API void bn_threadpool_free(bn_threadpool* pool);

/* Returns the number of threads an operation on this pool uses (1 for NULL). */
BN_API int32_t bn_threadpool_size(const bn_threadpool* pool);

/* ---------------------------------------------------------------------------------------------
 * Weight memory
 *
 * Decoding streams every weight from DRAM once per token. With 4 KiB pages a multi-hundred-MiB
 * matrix costs a TLB miss every 4 KiB of every interleaved row stream; 2 MiB pages remove most of
 * them (measured on Zen 3: single-thread I2S GEMV over 590 MB from 12.7 to 16.5 GB/s).
 * ------------------------------------------------------------------------------------------- */

/* Bytes from which bn_weights_alloc uses 2 MiB-aligned, huge-page-advised memory. */
#define BN_HUGE_PAGE_BYTES 2097152

/* Allocates bytes (1 .. 2^40) of zeroed, 64-byte-aligned memory for weights the kernels stream.
 *
 * On Linux a buffer of at least BN_HUGE_PAGE_BYTES is mapped 2 MiB-aligned and advised as
 * transparent huge pages (madvise MADV_HUGEPAGE; the kernel honours it when THP is "madvise" or
 * "always"); smaller buffers, and every buffer elsewhere, come from the C heap. Free it with
 * bn_weights_free and the same byte count. Returns BN_STATUS_INVALID_ARGUMENT for a bad size or a
 * NULL out, BN_STATUS_OUT_OF_MEMORY when the memory cannot be had. */
BN_API bn_status bn_weights_alloc(int64_t bytes, void** out);

/* Frees memory from bn_weights_alloc; bytes must be the size it was allocated with. Accepts NULL. */
BN_API void bn_weights_free(void* p, int64_t bytes);

/* Drops the pages wholly inside [p, p + bytes) of a read-only file mapping from the process's resident set.
 *
 * For weights a model has converted (repacked, or quantized to another type) and will not read
 * again: their file pages stay in the OS page cache but stop counting as this process's memory,
 * and a later read simply faults them back in. Only for read-only mappings of files: anonymous or
 * written memory would lose its contents. Linux and macOS: madvise(MADV_DONTNEED) on the whole
 * pages of the range; Windows: nothing (returns BN_STATUS_OK). Returns
 * BN_STATUS_INVALID_ARGUMENT for a NULL p with bytes > 0 or negative bytes, BN_STATUS_INTERNAL
 * when the OS refuses. */
BN_API bn_status bn_release_pages(const void* p, int64_t bytes);

/* ---------------------------------------------------------------------------------------------
 * Weight ternarization and packing
 * ------------------------------------------------------------------------------------------- */

/* Ternarizes n float weights with the absmean rule: gamma = mean|w|, q = clamp(round(w / (gamma + 1e-5)), -1, 1).
 *
 * Writes q[0..n) in {-1, 0, 1} and *out_scale = gamma (0 for an all-zero tensor). Non-finite
 * weights are BN_STATUS_INVALID_ARGUMENT. */
BN_API bn_status bn_ternarize_absmean(const float* w, int64_t w_len, int64_t n, int8_t* q, int64_t q_len,
                                      float* out_scale);

/* Packs an n x k matrix of ternary values (int8 in {-1, 0, 1}, row-major) as wtype, a ternary type.
 *
 * For I2S and TL1 the output is the codes only; the per-tensor scale is kept separately (w_scale).
 * For TQ2/TQ1 every block's fp16 d is set to scale. out needs bn_wtype_bytes(wtype, n, k) bytes.
 * Values outside {-1, 0, 1} are BN_STATUS_INVALID_ARGUMENT, k not a multiple of the block
 * BN_STATUS_SHAPE_MISMATCH, a type that is not ternary BN_STATUS_UNSUPPORTED. */
BN_API bn_status bn_pack(bn_wtype wtype, const int8_t* q, int64_t q_len, int32_t n, int32_t k, float scale, uint8_t* out,
                         int64_t out_len);

/* Unpacks an n x k matrix of wtype (a ternary type) back to int8 {-1, 0, 1}.
 *
 * For TQ2/TQ1, block_scales receives each block's fp16 d as float (n * k / 256 values); for I2S and
 * TL1 pass NULL and 0. Code 3 (I2S, TQ2) is not a ternary value and gives
 * BN_STATUS_INVALID_ARGUMENT; every TQ1 byte decodes to digits 0..2 exactly as llama.cpp reads it,
 * and TL1 codes 9..15 read as the zero pair as every kernel reads them. */
BN_API bn_status bn_unpack(bn_wtype wtype, const uint8_t* packed, int64_t packed_len, int32_t n, int32_t k, int8_t* q,
                           int64_t q_len, float* block_scales, int64_t block_scales_len);

/* Converts an n x k matrix from one layout to another without an int8 copy: I2S -> TL1, TL1 -> I2S and I2S -> I2ST.
 *
 * The conversion a model makes at load when a kernel reads another layout; the per-tensor scale is
 * unchanged. Rows are split over the pool. A code that is not ternary in the source (I2S code 3)
 * is BN_STATUS_INVALID_ARGUMENT (then out is partly written); any other pair of types is
 * BN_STATUS_UNSUPPORTED. */
BN_API bn_status bn_repack(bn_wtype from, const uint8_t* w, int64_t w_len, bn_wtype to, int32_t n, int32_t k,
                           uint8_t* out, int64_t out_len, bn_threadpool* pool);

/* ---------------------------------------------------------------------------------------------
 * Activation quantization
 * ------------------------------------------------------------------------------------------- */

/* Quantizes m rows of k floats to int8 with per-row absmax scaling (see Numerics above).
 *
 * Writes xq[m * k] and scales[m] (the dequantization factor d = max(max|x|, 1e-5) / 127 per row).
 * A non-finite input value is BN_STATUS_INVALID_ARGUMENT. */
BN_API bn_status bn_quantize_q8(const float* x, int64_t x_len, int32_t m, int32_t k, int8_t* xq, int64_t xq_len,
                                float* scales, int64_t scales_len, bn_threadpool* pool);

/* Quantizes m rows of k floats to int4 values in [-8, 7] (held in int8) with BitNet a4.8's
 * per-row absmean rule (see Numerics above); scales[m] gets d = max(mean|x|, 1e-5) / sqrt(7).
 *
 * A non-finite input value is BN_STATUS_INVALID_ARGUMENT. */
BN_API bn_status bn_quantize_q4(const float* x, int64_t x_len, int32_t m, int32_t k, int8_t* xq, int64_t xq_len,
                                float* scales, int64_t scales_len, bn_threadpool* pool);

/* ---------------------------------------------------------------------------------------------
 * Matrix multiplication: one entry point for every weight type
 *
 * y[r, i] = (W[i, :] . x[r, :]) for m activation rows, with W stored as wtype and the activations
 * as atype. Which (wtype, atype) pairs have kernels on an ISA: bn_matmul_supported. Numerics:
 *  - Ternary types (I2S, TQ2, TL1) with q8 / q4 rows: y[r, i] = (float)dot * (x_scales[r] * w_scale)
 *    with the dot exact in int32 (TQ2: (sum_b (float)dot_b * d_b) * (x_scales[r] * w_scale), summed
 *    over blocks in order). Every ISA's kernels give the same bits, and TL1 gives the bits of I2S
 *    on the same values, so a caller may pick the fastest variant freely. I2ST (transposed) gives
 *    the bits of I2S too, and its kernels skip every column whose activation is 0: the work and the
 *    bytes read scale with the nonzero activations (BitNet a4.8's top-K rows, bn_topk_q8).
 *  - F16, BF16, F32 and F8 with f32 rows: y = (sum_j W[i, j] x[r, j]) * w_scale; the variants sum in SIMD
 *    lanes with FMA, each result within 2 k 2^-24 sum_j |W[i, j] x[r, j]| (times |w_scale|) of the scalar
 *    reference (a sequential float sum). W is each weight's exact value in float (F8: e4m3(q) d_b, whose
 *    significand has at most 4 + 11 bits, so the product is exact).
 *  - Q8_0 and Q4_0 with q8 rows: y = (x_scales[r] * sum_b d_b (W[i, b] . xq[r, b])) * w_scale, block
 *    dots exact in int32 (W the int8 values, for Q4_0 the codes minus 8), the float sum over blocks in SIMD
 *    lanes: within 2 (k / 32 + 3) 2^-24 |x_scales[r]| sum_b |d_b| sum_j |W[i, j] xq[r, j]| (times
 *    |w_scale|) of the scalar reference (for Q4_0: sum = sum + (float)dot_b * d_b in block order, then
 *    times x_scales[r]).
 *  - Q4_K, Q5_K, Q6_K, Q2_0, Q2_0_G128 and Q1_0 with q8 rows: per block b (64 weights for Q2_0, 128 for
 *    Q2_0_G128 and Q1_0, 256 for the k-quants) one
 *    exact int32 sum of scaled sub-block dots, then one float term; the terms are summed in block order
 *    and y = (sum_b t_b) * x_scales[r] (times w_scale). With c the integer codes (see bn_wtype):
 *      Q2_0, Q2_0_G128: t_b = (float)(sum_j (c_j - 1) xq_j) * d_b;
 *      Q1_0: t_b = (float)(sum_j (2 bit_j - 1) xq_j) * d_b;
 *      Q6_K: t_b = (float)(sum_s sc_s sum_{j in s} (c_j - 32) xq_j) * d_b  (16-weight sub-blocks s);
 *      Q4_K, Q5_K: t_b = (float)(sum_s sc_s sum_{j in s} c_j xq_j) * d_b - (float)(sum_s m_s sum_{j in s} xq_j) * dmin_b
 *    (32-weight sub-blocks; |each int32 sum| < 2^28), a product and a difference rounded once each, never
 *    fused. Every ISA's kernels give the same bits (a reduction per 64 to 256 weights costs little; Q4_0's
 *    32-weight blocks sum in lanes as Q8_0's do). Against the exact value the result is within
 *    2 (n_blocks + 3) 2^-24 |x_scales[r]| sum_b (|d_b I_b| + |dmin_b M_b|) (times |w_scale|), I_b and M_b the
 *    two integer sums.
 *  - F32 with q8 rows: y = ((sum_j W[i, j] xq[r, j]) * x_scales[r]) * w_scale, a sequential float sum;
 *    every ISA runs the scalar reference (float weights over int8 activations are transformers'
 *    AutoBitLinear offline with non-ternary weights, rare enough that exactness is the point).
 *  - q4 rows must hold values in [-8, 7]; any other value is BN_STATUS_INVALID_ARGUMENT before an
 *    output is written. Ternary types take q4 rows with the q8 kernels' numerics; TL1 has its own,
 *    faster tables for them.
 * ------------------------------------------------------------------------------------------- */

/* Returns 1 if this build and CPU have a kernel for wtype x atype on isa, 0 otherwise. */
BN_API int32_t bn_matmul_supported(bn_wtype wtype, bn_atype atype, bn_isa isa);

/* Multiplies m activation rows by an n x k matrix of wtype with isa's kernel: y[r, i] = W[i, :] . x[r, :] (see this section's numerics).
 *
 * w holds bn_wtype_bytes(wtype, n, k) bytes; w_scale multiplies every output (1 for none). The
 * activations are x (m x k floats) for BN_ATYPE_F32, or xq (m x k int8) with x_scales (m) for
 * BN_ATYPE_Q8 / BN_ATYPE_Q4; the other buffers may be NULL with length 0. y is m x n. m = 1 is a
 * GEMV; larger m (a prompt batch) reads each weight row once for several activation rows. The
 * output rows are split over the pool. Returns BN_STATUS_UNSUPPORTED when isa has no kernel for
 * wtype x atype (or the CPU lacks isa), BN_STATUS_SHAPE_MISMATCH when k is not a multiple of the
 * block size, BN_STATUS_INVALID_ARGUMENT when a buffer is shorter than the shape needs, a scale is
 * not finite or a q4 value is out of range, and BN_STATUS_OUT_OF_MEMORY when a kernel's scratch
 * (lookup tables) cannot be allocated. */
BN_API bn_status bn_matmul(bn_wtype wtype, bn_atype atype, bn_isa isa, const uint8_t* w, int64_t w_len, float w_scale,
                           const float* x, int64_t x_len, const int8_t* xq, int64_t xq_len, const float* x_scales,
                           int64_t x_scales_len, int32_t n, int32_t k, int32_t m, float* y, int64_t y_len,
                           bn_threadpool* pool);

/* ---------------------------------------------------------------------------------------------
 * Decode-step operations: RMSNorm (+ activation quantization), gated activation, RoPE with the
 * KV-cache write, attention over an fp16 KV cache.
 *
 * Numerics of this section:
 *  - fp16 values (weights, KV cache) are IEEE binary16 bit patterns in uint16_t; float -> fp16
 *    rounds to nearest even, fp16 -> float is exact.
 *  - RMSNorm of a row of k values: ss = sum x^2 accumulated in 16 lanes (element j in lane j % 16,
 *    lanes combined by the halving tree of the q4 rule), r = 1 / sqrtf(ss / k + eps),
 *    y = (x * r) * w. The quantizing variants quantize y exactly as bn_quantize_q8 / _q4 would.
 *    Every variant returns the same bits. A row whose ss is not finite (a NaN or infinite input, or
 *    |x| beyond ~1e19) is BN_STATUS_INVALID_ARGUMENT.
 *  - Gated activations: ReLU^2 gives max(g, 0)^2 * u; SiLU gives g / (1 + exp(-g)) * u with the
 *    library's exp (Cephes expf as plain float operations, <= 2 ulp); every variant returns the
 *    same bits.
 *  - RoPE rotates pairs (a, b) by pos * theta_i, theta_i = freq_base^(-2i / rope_dims), from a
 *    table of cosines and sines (bn_rope_table); a' = a cos - b sin, b' = a sin + b cos; every
 *    variant returns the same bits.
 *  - Attention sums in SIMD lanes and computes its softmax online, chunk by chunk, so it matches
 *    the scalar reference within a rounding tolerance, not bit for bit: see bn_attention_f16.
 *  - Quantized KV caches (bn_kv_type): see "Quantized KV cache" below.
 * ------------------------------------------------------------------------------------------- */

/* Nonlinearity of a gated FFN: act(gate) * up. */
typedef enum bn_activation {
    /* max(g, 0)^2, BitNet b1.58 2B-4T. */
    BN_ACTIVATION_RELU2 = 0,
    /* g * sigmoid(g) (SwiGLU), llama.cpp's bitnet architecture and LLaMA. */
    BN_ACTIVATION_SILU = 1
} bn_activation;

/* Which dimensions of a head RoPE rotates together. */
typedef enum bn_rope_style {
    /* Pairs (i, i + rope_dims / 2): "rotate half", GPT-NeoX and Hugging Face LLaMA / BitNet. */
    BN_ROPE_NEOX = 0,
    /* Pairs (2i, 2i + 1): the original RoFormer / llama.cpp NORM layout. */
    BN_ROPE_INTERLEAVED = 1
} bn_rope_style;

/* Normalizes m rows of k floats: y = x / sqrt(mean(x^2) + eps) * weight (see Numerics of this section).
 *
 * weight has k values, x and y m * k. k must be at least 1 and eps positive and finite. Returns
 * BN_STATUS_INVALID_ARGUMENT for a short buffer, a bad eps, or a row that is not finite. */
BN_API bn_status bn_rmsnorm_f32(const float* x, int64_t x_len, const float* weight, int64_t weight_len, float eps,
                                int32_t m, int32_t k, float* y, int64_t y_len, bn_threadpool* pool);

/* Normalizes m rows like bn_rmsnorm_f32 and quantizes the result to int8 per row like bn_quantize_q8, in one pass.
 *
 * The projection input of a ternary layer in one call: xq gets m * k int8 values, scales the m
 * dequantization factors. Bit-identical to bn_rmsnorm_f32 followed by bn_quantize_q8. */
BN_API bn_status bn_rmsnorm_q8(const float* x, int64_t x_len, const float* weight, int64_t weight_len, float eps,
                               int32_t m, int32_t k, int8_t* xq, int64_t xq_len, float* scales, int64_t scales_len,
                               bn_threadpool* pool);

/* Normalizes m rows like bn_rmsnorm_f32 and quantizes the result to int4 per row like bn_quantize_q4 (BitNet a4.8).
 *
 * Bit-identical to bn_rmsnorm_f32 followed by bn_quantize_q4. */
BN_API bn_status bn_rmsnorm_q4(const float* x, int64_t x_len, const float* weight, int64_t weight_len, float eps,
                               int32_t m, int32_t k, int8_t* xq, int64_t xq_len, float* scales, int64_t scales_len,
                               bn_threadpool* pool);

/* Computes the gated activation y = act(gate) * up elementwise over m rows of k values.
 *
 * Returns BN_STATUS_INVALID_ARGUMENT for a short buffer or an unknown activation. */
BN_API bn_status bn_glu_f32(const float* gate, int64_t gate_len, const float* up, int64_t up_len, bn_activation act,
                            int32_t m, int32_t k, float* y, int64_t y_len, bn_threadpool* pool);

/* Computes h = act(gate) * up, normalizes each row of h (RMSNorm with weight) and quantizes it to int8, in one call.
 *
 * The input of a BitNet down projection (its sub-norm included). gate is overwritten with h; xq and
 * scales are as in bn_rmsnorm_q8. Bit-identical to bn_glu_f32 then bn_rmsnorm_q8. */
BN_API bn_status bn_glu_rmsnorm_q8(float* gate, int64_t gate_len, const float* up, int64_t up_len, bn_activation act,
                                   const float* weight, int64_t weight_len, float eps, int32_t m, int32_t k, int8_t* xq,
                                   int64_t xq_len, float* scales, int64_t scales_len, bn_threadpool* pool);

/* Fills RoPE's table for positions [position, position + m): row t holds cos(p theta_i) for i < rope_dims / 2, then sin(p theta_i).
 *
 * p = position + t, theta_i = freq_base^(-2i / rope_dims); angles, cosines and sines are evaluated
 * in double and rounded to float. table needs m * rope_dims floats. rope_dims must be even and
 * positive, freq_base finite and > 1, position >= 0. */
BN_API bn_status bn_rope_table(int32_t position, int32_t m, int32_t rope_dims, float freq_base, float* table,
                               int64_t table_len);

/* Applies RoPE to the queries and keys of m tokens at cache rows [position, position + m) and stores the keys and values there as fp16.
 *
 * q (m rows of n_heads * head_dim floats) is rotated in place; k and v (m rows of kv_dim =
 * n_kv_heads * head_dim) are read, and row position + t of k_cache / v_cache (rows of kv_dim fp16
 * values, one layer of the cache) receives token t's rotated key / its value. Only the first
 * rope_dims dimensions of each head rotate (even, <= head_dim); table comes from bn_rope_table for
 * the same positions. n_heads must be a multiple of n_kv_heads. */
BN_API bn_status bn_rope_kv_f16(float* q, int64_t q_len, const float* k, int64_t k_len, const float* v, int64_t v_len,
                                const float* table, int64_t table_len, int32_t m, int32_t n_heads, int32_t n_kv_heads,
                                int32_t head_dim, int32_t rope_dims, bn_rope_style style, int32_t position,
                                uint16_t* k_cache, int64_t k_cache_len, uint16_t* v_cache, int64_t v_cache_len,
                                bn_threadpool* pool);

/* Causal grouped-query attention of m query tokens over an fp16 KV cache: out_h = sum_p softmax_p(scale q_h . k_p) v_p.
 *
 * Query token t (row t of q, n_heads * head_dim floats) sits at cache row position + t and attends
 * to rows [0, position + t] of k_cache / v_cache (rows of n_kv_heads * head_dim fp16 values);
 * query head h reads KV head h / (n_heads / n_kv_heads). out is m rows like q. head_dim is at
 * most 512. The softmax runs online over chunks of positions with the library's exp, so every
 * output lies within 1e-5 * (1 + |max score|) * max|v| of the scalar reference (which is the
 * textbook three-pass definition with libm's expf). Threads split the work over tokens, KV heads
 * and, when there are few of those, groups of query heads. */
BN_API bn_status bn_attention_f16(const float* q, int64_t q_len, const uint16_t* k_cache, int64_t k_cache_len,
                                  const uint16_t* v_cache, int64_t v_cache_len, int32_t m, int32_t n_heads,
                                  int32_t n_kv_heads, int32_t head_dim, int32_t position, float scale, float* out,
                                  int64_t out_len, bn_threadpool* pool);

/* ---------------------------------------------------------------------------------------------
 * Quantized KV cache (BitNet a4.8's 3-bit KV cache, and 4 / 8 bits)
 *
 * A cache row (one position of one layer) holds n_kv_heads blocks, one per KV head; a block is the
 * head_dim values of that head at that position. Grouping: one absmax scale per head and position,
 * the papers' unit (a4.8, arXiv 2411.04965, and BitNet v2, arXiv 2504.18415, quantize the K and V
 * heads after RoPE with absmax, per token and head): a head's values share one distribution, a
 * scale per position follows each token's magnitude without calibration, and the cache stays
 * append-only (a new token never rescales old ones). Groups of 32 would cost 4 more scale bytes per
 * 32 values (+67 % at 3 bits); per-channel key scales (KIVI) need calibration or a rolling window,
 * which a model trained with this rule does not need.
 *  - Rule (symmetric absmax, Qmax = 127, 7, 3 for q8, q4, q3): a = max(max_j |x_j|, 1e-5),
 *    c_j = clamp(round(x_j * (Qmax / a)), -Qmax, Qmax) with round half to even (a NaN becomes -Qmax),
 *    d = a / Qmax; the value read back is d * c_j. Every variant writes the same bytes.
 *  - Block layout: float32 d (little-endian), then the codes of head_dim values in groups of 32
 *    (head_dim must be a multiple of 32):
 *      q8: 32 int8 c_j.
 *      q4: 16 bytes; byte i holds u = c + 8 of value i in bits 3:0 and of value i + 16 in bits 7:4.
 *      q3: 12 bytes; u = c + 4 in [1, 7]: bytes 0..7 hold its low two bits, byte i those of values
 *          i, i + 8, i + 16, i + 24 in bits 1:0, 3:2, 5:4, 7:6; bytes 8..11 hold its high bit, value
 *          v's in bit v % 8 of byte 8 + v / 8.
 *    Bytes per block: 4 + head_dim (q8), 4 + head_dim / 2 (q4), 4 + 3 head_dim / 8 (q3); f16 blocks
 *    are head_dim fp16 values (2 head_dim bytes, no scale). 2B-4T (head_dim 128): 132, 68, 52 bytes
 *    against 256: at 4096 positions 300 MiB of f16 cache become 61 MiB at 3 bits.
 *  - Attention over a quantized cache is attention over the values read back (d * c): the scalar
 *    reference dequantizes and runs the textbook definition; the SIMD kernels read the packed blocks
 *    directly and match it within the tolerance of bn_attention_f16.
 * ------------------------------------------------------------------------------------------- */

/* Storage of the KV cache. Values are frozen. */
typedef enum bn_kv_type {
    /* IEEE binary16 values, rows of n_kv_heads * head_dim (bn_rope_kv_f16 / bn_attention_f16). */
    BN_KV_F16 = 0,
    /* int8 codes in [-127, 127] with one float scale per head and position. */
    BN_KV_Q8 = 1,
    /* 4-bit codes in [-7, 7] with one float scale per head and position. */
    BN_KV_Q4 = 2,
    /* 3-bit codes in [-3, 3] with one float scale per head and position (BitNet a4.8). */
    BN_KV_Q3 = 3,
    BN_KV_COUNT = 4
} bn_kv_type;

/* Computes the bytes of one block (head_dim values of one KV head at one position) of a kv_type cache.
 *
 * Returns BN_STATUS_INVALID_ARGUMENT for an unknown type, a head_dim outside 1..512, a quantized
 * type with head_dim not a multiple of 32, or a NULL out. */
BN_API bn_status bn_kv_block_bytes(bn_kv_type kv_type, int32_t head_dim, int64_t* out_bytes);

/* Quantizes rows of head_dim floats into blocks of kv_type (one block per row; see "Quantized KV cache").
 *
 * x holds rows * head_dim floats, out rows * bn_kv_block_bytes bytes. For BN_KV_F16 the blocks are
 * the values as fp16. The blocks a cache row holds are its KV heads' rows in order. */
BN_API bn_status bn_kv_quantize(const float* x, int64_t x_len, int32_t rows, int32_t head_dim, bn_kv_type kv_type,
                                uint8_t* out, int64_t out_len);

/* Reads back rows blocks of kv_type: y = d * c (fp16 values for BN_KV_F16), rows * head_dim floats.
 *
 * The values every attention kernel computes with. */
BN_API bn_status bn_kv_dequantize(const uint8_t* blocks, int64_t blocks_len, int32_t rows, int32_t head_dim,
                                  bn_kv_type kv_type, float* y, int64_t y_len);

/* bn_rope_kv_f16 for a cache of any kv_type: rotates q in place and writes the rotated keys and the values of m tokens to cache rows [position, position + m).
 *
 * The caches are bytes: rows of n_kv_heads blocks (bn_kv_block_bytes each); k_cache_len and
 * v_cache_len count bytes. Keys are rotated exactly as bn_rope_kv_f16 rotates them, then stored as
 * kv_type (for BN_KV_F16 the same bytes as bn_rope_kv_f16). Quantized types need head_dim a multiple
 * of 32; the buffers must be 4-byte aligned. */
BN_API bn_status bn_rope_kv(float* q, int64_t q_len, const float* k, int64_t k_len, const float* v, int64_t v_len,
                            const float* table, int64_t table_len, int32_t m, int32_t n_heads, int32_t n_kv_heads,
                            int32_t head_dim, int32_t rope_dims, bn_rope_style style, int32_t position,
                            bn_kv_type kv_type, uint8_t* k_cache, int64_t k_cache_len, uint8_t* v_cache,
                            int64_t v_cache_len, bn_threadpool* pool);

/* bn_attention_f16 over a cache of any kv_type: causal grouped-query attention over the values the blocks read back.
 *
 * Arguments, work split and tolerance as bn_attention_f16 (max|v| taken over the values read back);
 * the caches are bytes as in bn_rope_kv. The SIMD kernels decode the packed codes in registers: a
 * 3-bit cache streams a fifth of the bytes of an fp16 one. */
BN_API bn_status bn_attention(const float* q, int64_t q_len, const uint8_t* k_cache, int64_t k_cache_len,
                              const uint8_t* v_cache, int64_t v_cache_len, int32_t m, int32_t n_heads,
                              int32_t n_kv_heads, int32_t head_dim, int32_t position, float scale, bn_kv_type kv_type,
                              float* out, int64_t out_len, bn_threadpool* pool);

/* ---------------------------------------------------------------------------------------------
 * BitNet v2 and a4.8 activation transforms
 *
 *  - Hadamard (BitNet v2's H-BitLinear, arXiv 2504.18415): before the o_proj and down_proj inputs
 *    are quantized, each row goes through an orthonormal Walsh-Hadamard transform. A row of k values
 *    is cut into blocks of B = the largest power of two dividing k (k itself when k is a power of
 *    two: the paper's exact transform; 2B-4T's 2560 = 5 x 512 and 6912 = 27 x 256 get a
 *    block-diagonal one, as their Hadamard matrices of order 5 * 512 or 27 * 256 would need
 *    hard-coded factors). Per block: the fast transform's butterflies, stage h = 1, 2, 4, ... B / 2
 *    replacing (x_j, x_{j+h}) by (x_j + x_{j+h}, x_j - x_{j+h}) for every j with j & h == 0, then
 *    every value times (float)(1 / sqrt(B)) (computed in double). The transform is its own inverse.
 *    Every variant performs the same additions and returns the same bits.
 *  - Top-K (BitNet a4.8's sparsified intermediates, after Q-Sparse): per int8 row, keep the keep
 *    entries of largest |x| and set the others to 0; among equal |x| at the threshold the lower
 *    column indices are kept. The int8 scale is unchanged (the largest value is always kept), so
 *    the sparsified row is the dense row with its smallest entries zeroed.
 * ------------------------------------------------------------------------------------------- */

/* The Hadamard block size for rows of k values: the largest power of two dividing k (0 for k < 1). */
BN_API int32_t bn_hadamard_block(int32_t k);

/* Applies the normalized (block-diagonal) Walsh-Hadamard transform to m rows of k floats in place (see above). */
BN_API bn_status bn_hadamard_f32(float* x, int64_t x_len, int32_t m, int32_t k, bn_threadpool* pool);

/* Keeps the keep entries of largest magnitude in each of m rows of k int8 values and zeroes the rest, in place (see above).
 *
 * keep >= k leaves the rows unchanged; keep must be >= 0. */
BN_API bn_status bn_topk_q8(int8_t* xq, int64_t xq_len, int32_t m, int32_t k, int32_t keep, bn_threadpool* pool);

/* ---------------------------------------------------------------------------------------------
 * Lookup-table (LUT) kernels: the TL1 weight layout and its matmuls with int8 and int4 activations
 *
 * Ternary weights need no multiplications: for every pair of activations (x0, x1) a kernel builds
 * the table of all nine sums w0 x0 + w1 x1 (w in {-1, 0, 1}) once per activation row, and every
 * weight row then costs one 16-entry byte lookup (pshufb / tbl) and one add per pair, shared by all
 * output rows and threads. Tables hold int8 entries: with q4 activations (|x| <= 8) a sum fits
 * directly; q8 activations are split exactly as x = 16 xh + xl with xl in [-8, 7] and xh in [-8, 8],
 * so one q8 matmul is two table lookups per pair, recombined exactly in integer accumulators.
 *
 * TL1 layout (2 bits per weight, g = 2 weights per 4-bit code):
 *  - Pair code c = 3 (w0 + 1) + (w1 + 1) in 0..8 for the weights (w0, w1) of columns (2j, 2j + 1).
 *    Codes 9..15 never come out of the packers; every kernel reads them as the pair (0, 0).
 *  - Rows are grouped in tiles of 32 (BN_LUT_ROW_TILE); n is padded up to a whole tile with zero
 *    rows (code 4). A tile is k / 4 units of 32 bytes, unit u covering columns 4u .. 4u + 3, i.e.
 *    pairs 2u and 2u + 1: byte i (0..15) holds pair 2u of tile row i in bits 3:0 and of tile row
 *    i + 16 in bits 7:4; byte 16 + i holds pair 2u + 1 of the same two rows.
 *  - Tile t starts at byte t * 8 k; the matrix takes ceil(n / 32) * 8 k bytes. k must be a
 *    multiple of 128 (as for I2S), so every I2S matrix converts with bn_repack.
 *  - One float scale per matrix, passed as w_scale (as for I2S).
 * Why this layout: one 32-byte load gives 64 codes, whose low and high nibbles index the tables of
 * two pairs for 32 rows; 16 rows x 1 pair per 128-bit lane matches pshufb and tbl (16 byte lanes,
 * one table per lane). Three weights per code (bitnet.cpp's TL2, 1.67-1.72 bits) were measured
 * slower on AVX2 (their 27 combinations need a sign bit per code and its expansion), see
 * docs/PERFORMANCE.md.
 *
 * bn_matmul with BN_WTYPE_TL1 builds the tables once per activation row before the output rows
 * are split over the pool. Results are bit-identical to BN_WTYPE_I2S on the same ternary values,
 * activations and scales: the integer dot is exact and the epilogue is the same float expression,
 * y[r, i] = (float)dot * (x_scales[r] * w_scale).
 * ------------------------------------------------------------------------------------------- */

#ifdef __cplusplus
}
#endif

#endif /* BITNATIVE_H */
