namespace BitNative.Kernels;

/// <summary>What the native library detected about the CPU it runs on.</summary>
/// <param name="Avx2">AVX2 (x86-64).</param>
/// <param name="Fma">FMA3 (x86-64).</param>
/// <param name="F16c">F16C half-precision conversions (x86-64).</param>
/// <param name="Avx512F">AVX-512 Foundation with OS support (x86-64).</param>
/// <param name="Avx512Bw">AVX-512 byte and word instructions.</param>
/// <param name="Avx512Vl">AVX-512 vector-length extensions.</param>
/// <param name="Avx512Vnni">AVX-512 VNNI (vpdpbusd).</param>
/// <param name="Avx512Vbmi">AVX-512 VBMI (vpermb).</param>
/// <param name="AvxVnni">AVX-VNNI on 256-bit vectors.</param>
/// <param name="Neon">Arm Advanced SIMD.</param>
/// <param name="DotProd">Arm SDOT/UDOT.</param>
/// <param name="I8mm">Arm int8 matrix multiply.</param>
/// <param name="LogicalCpus">Logical processors available to this process.</param>
/// <param name="BestIsa">The kernel variant the library selects by default.</param>
public sealed record CpuFeatures(
    bool Avx2,
    bool Fma,
    bool F16c,
    bool Avx512F,
    bool Avx512Bw,
    bool Avx512Vl,
    bool Avx512Vnni,
    bool Avx512Vbmi,
    bool AvxVnni,
    bool Neon,
    bool DotProd,
    bool I8mm,
    int LogicalCpus,
    Isa BestIsa);
