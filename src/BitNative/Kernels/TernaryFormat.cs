using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>Packed layouts of ternary weight matrices.</summary>
public enum TernaryFormat
{
    /// <summary>bitnet.cpp's I2_S: 2 bits per weight in 128-weight blocks, one scale per tensor.</summary>
    I2S = bn_wtype.BN_WTYPE_I2S,

    /// <summary>llama.cpp's TQ2_0: 2.06 bits per weight, 256-weight blocks with an fp16 scale each.</summary>
    Tq2 = bn_wtype.BN_WTYPE_TQ2,

    /// <summary>llama.cpp's TQ1_0: 1.69 bits per weight (base-3 digits), 256-weight blocks with an fp16 scale each.</summary>
    Tq1 = bn_wtype.BN_WTYPE_TQ1,
}
