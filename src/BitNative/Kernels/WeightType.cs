using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>
/// How a weight matrix is stored: the key of the native library's traits table (block geometry, bytes for a shape, the
/// activation type its kernels pair with, the kernel per ISA). See <see cref="WeightTypes"/> and <see cref="Matmul"/>.
/// </summary>
public enum WeightType
{
    /// <summary>bitnet.cpp's I2_S: ternary, 2 bits per weight in 128-weight blocks, one scale per tensor.</summary>
    I2S = bn_wtype.BN_WTYPE_I2S,

    /// <summary>llama.cpp's TQ2_0: ternary, 2.06 bits per weight, 256-weight blocks with an fp16 scale each.</summary>
    Tq2 = bn_wtype.BN_WTYPE_TQ2,

    /// <summary>llama.cpp's TQ1_0: ternary, 1.69 bits per weight (base-3 digits); no kernel reads it (repacked at load).</summary>
    Tq1 = bn_wtype.BN_WTYPE_TQ1,

    /// <summary>BitNative's lookup-table layout: ternary, 2 bits per weight in 32-row tiles, one scale per tensor.</summary>
    Tl1 = bn_wtype.BN_WTYPE_TL1,

    /// <summary>IEEE half precision.</summary>
    F16 = bn_wtype.BN_WTYPE_F16,

    /// <summary>ggml Q8_0: 32-weight blocks of an fp16 scale and 32 int8 values.</summary>
    Q8_0 = bn_wtype.BN_WTYPE_Q8_0,

    /// <summary>IEEE single precision.</summary>
    F32 = bn_wtype.BN_WTYPE_F32,

    /// <summary>ggml Q6_K: 256-weight blocks of 210 bytes (6-bit codes, sixteen int8 sub-block scales, an fp16 scale).</summary>
    Q6_K = bn_wtype.BN_WTYPE_Q6_K,

    /// <summary>ggml Q4_0: 32-weight blocks of an fp16 scale and 32 4-bit codes (w = d (c - 8)).</summary>
    Q4_0 = bn_wtype.BN_WTYPE_Q4_0,

    /// <summary>ggml Q4_K: 256-weight blocks of 144 bytes (4-bit codes, 6-bit sub-block scales and mins, fp16 d and dmin).</summary>
    Q4_K = bn_wtype.BN_WTYPE_Q4_K,

    /// <summary>ggml Q5_K: Q4_K with a fifth bit per code, 176 bytes per 256 weights.</summary>
    Q5_K = bn_wtype.BN_WTYPE_Q5_K,

    /// <summary>ggml Q2_0: 2.25 bits per weight, 64-weight blocks of an fp16 scale and 2-bit codes (w = d (c - 1)).</summary>
    Q2_0 = bn_wtype.BN_WTYPE_Q2_0,

    /// <summary>ggml Q1_0: 1.125 bits per weight, 128-weight blocks of an fp16 scale and sign bits (w = ±d).</summary>
    Q1_0 = bn_wtype.BN_WTYPE_Q1_0,

    /// <summary>bfloat16: the top half of an IEEE single.</summary>
    BF16 = bn_wtype.BN_WTYPE_BF16,

    /// <summary>BitNative's FP8: 8.5 bits per weight, 32-weight blocks of an fp16 scale and 32 E4M3 values (GGUF id 180).</summary>
    F8 = bn_wtype.BN_WTYPE_F8,

    /// <summary>
    /// PrismML's earlier Q2_0: 2.125 bits per weight, 128-weight blocks of an fp16 scale and 2-bit codes (w = d (c - 1)),
    /// stored under Q2_0's GGUF id 42; a file's tensor extents tell the two apart.
    /// </summary>
    Q2_0G128 = bn_wtype.BN_WTYPE_Q2_0_G128,

    /// <summary>
    /// I2_S transposed (column-major): a column's weights are contiguous, so a product over a sparse activation row (BitNet
    /// a4.8's top-K rows) reads only the columns whose activation is not zero. Made from I2_S at load; same results.
    /// </summary>
    I2ST = bn_wtype.BN_WTYPE_I2ST,
}

/// <summary>The activations a matrix product takes.</summary>
public enum ActivationType
{
    /// <summary>Float rows.</summary>
    F32 = bn_atype.BN_ATYPE_F32,

    /// <summary>int8 rows with one scale each (per-row absmax).</summary>
    Int8 = bn_atype.BN_ATYPE_Q8,

    /// <summary>int4 values in [-8, 7] held in int8, one scale per row (BitNet a4.8's absmean rule).</summary>
    Int4 = bn_atype.BN_ATYPE_Q4,
}
