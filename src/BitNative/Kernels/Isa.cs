using BitNative.Interop;

namespace BitNative.Kernels;

/// <summary>Instruction-set variants of the native kernels.</summary>
public enum Isa
{
    /// <summary>The portable scalar reference (the specification every variant matches).</summary>
    Reference = bn_isa.BN_ISA_REF,

    /// <summary>x86-64 AVX2 with FMA and F16C.</summary>
    Avx2 = bn_isa.BN_ISA_AVX2,

    /// <summary>x86-64 AVX-512 F/BW/VL with VNNI.</summary>
    Avx512Vnni = bn_isa.BN_ISA_AVX512_VNNI,

    /// <summary>Armv8 Advanced SIMD.</summary>
    Neon = bn_isa.BN_ISA_NEON,

    /// <summary>Armv8.2 Advanced SIMD with the SDOT/UDOT dot-product extension.</summary>
    NeonDotProd = bn_isa.BN_ISA_NEON_DOTPROD,
}
