namespace BitNative.Formats.Gguf;

/// <summary>
/// Tensor element types of GGUF files, with ggml's numeric ids: the ones BitNative's code names. Files may hold any
/// type of the type table (GgmlTypeTable: these plus every weight type of the native traits table), which names the
/// others as the native library does.
/// </summary>
/// <remarks>
/// Member names keep ggml's spelling (Q4_0, TQ2_0, I2_S) because they are what every GGUF tool
/// prints. Ids outside the type table are rejected by name and number.
/// Ids 37-39 mean different things in bitnet.cpp's llama.cpp fork (I8_S, TL1, TL2) and upstream
/// llama.cpp (39 = MXFP4), so they are rejected rather than guessed.
/// </remarks>
public enum GgmlType : uint
{
    /// <summary>32-bit IEEE float; 4 bytes per element.</summary>
    F32 = 0,

    /// <summary>16-bit IEEE half float; 2 bytes per element.</summary>
    F16 = 1,

    /// <summary>4-bit blocks of 32 weights: fp16 scale + 16 bytes of nibbles (18 bytes per block).</summary>
    Q4_0 = 2,

    /// <summary>8-bit blocks of 32 weights: fp16 scale + 32 int8 (34 bytes per block).</summary>
    Q8_0 = 8,

    /// <summary>4-bit k-quant super-blocks of 256 weights with 6-bit scales and mins (144 bytes per block).</summary>
    Q4_K = 12,

    /// <summary>5-bit k-quant super-blocks of 256 weights with 6-bit scales and mins (176 bytes per block).</summary>
    Q5_K = 13,

    /// <summary>6-bit k-quant super-blocks of 256 weights (210 bytes per block).</summary>
    Q6_K = 14,

    /// <summary>32-bit signed integers; 4 bytes per element (indices, e.g. the split columns of a projection).</summary>
    I32 = 26,

    /// <summary>bfloat16; 2 bytes per element.</summary>
    BF16 = 30,

    /// <summary>llama.cpp ternary, base-3 packed: 256 weights in 54 bytes (qs[48], qh[4], fp16 d).</summary>
    TQ1_0 = 34,

    /// <summary>llama.cpp ternary, 2 bits per weight: 256 weights in 66 bytes (qs[64], fp16 d).</summary>
    TQ2_0 = 35,

    /// <summary>
    /// bitnet.cpp ternary, 2 bits per weight in 128-weight blocks of 32 bytes over the whole tensor,
    /// followed by one float32 per-tensor scale and zero padding: n/4 + 32 bytes in all.
    /// </summary>
    I2_S = 36,

    /// <summary>ggml 1-bit blocks (upstream type 41): 128 weights in 18 bytes (fp16 d, sign bits).</summary>
    Q1_0 = 41,

    /// <summary>ggml 2-bit blocks (upstream type 42): 64 weights in 18 bytes (fp16 d, 2-bit codes for -1, 0, +1, +2).</summary>
    Q2_0 = 42,

    /// <summary>BitNative's FP8 E4M3 blocks (no upstream id): 32 weights in 34 bytes (fp16 d, 32 E4M3 values).</summary>
    F8_E4M3 = 180,
}
