/* Run-time dispatch of the lookup-table (TL1) kernels: one const table per ISA, selected through
 * the ISA the main dispatch (dispatch.c) chose or bn_set_isa forced, so both families always run
 * the same ISA. Kept apart from dispatch.c so the LUT family is added without touching its table.
 *
 * Which variant each ISA runs, and why:
 *  - ref: reads the activations directly (no tables); the specification.
 *  - AVX2: pshufb over 16-byte tables, two pairs per 256-bit lookup.
 *  - AVX-512 VNNI: vpshufb over four 128-bit lanes, vpdpbusd widens the int8 sums to int32.
 *  - NEON: tbl over 16-byte tables. NEON + dotprod runs the same kernels: a LUT kernel has no
 *    multiplications, and SDOT's one trick, summing four adjacent bytes into an int32 lane, does
 *    not fit here, where adjacent bytes of a lookup belong to different output rows (widening
 *    with SDOT would take four instructions per vector where vaddw/vmlal take two). */
#include "bn_internal.h"

static const bn_lut_kernels lut_ref = {
    .isa = BN_ISA_REF,
    .build_q8 = NULL,
    .build_q4 = NULL,
    .matmul_q8 = bn_matmul_tl1_q8__ref,
    .matmul_q4 = bn_matmul_tl1_q4__ref,
};

#if defined(BN_ARCH_X86)
static const bn_lut_kernels lut_avx2 = {
    .isa = BN_ISA_AVX2,
    .build_q8 = bn_lutbuild_tl1_q8__avx2,
    .build_q4 = bn_lutbuild_tl1_q4__avx2,
    .matmul_q8 = bn_matmul_tl1_q8__avx2,
    .matmul_q4 = bn_matmul_tl1_q4__avx2,
};
static const bn_lut_kernels lut_avx512_vnni = {
    .isa = BN_ISA_AVX512_VNNI,
    .build_q8 = bn_lutbuild_tl1_q8__avx512vnni,
    .build_q4 = bn_lutbuild_tl1_q4__avx512vnni,
    .matmul_q8 = bn_matmul_tl1_q8__avx512vnni,
    .matmul_q4 = bn_matmul_tl1_q4__avx512vnni,
};
#endif

#if defined(BN_ARCH_ARM64)
static const bn_lut_kernels lut_neon = {
    .isa = BN_ISA_NEON,
    .build_q8 = bn_lutbuild_tl1_q8__neon,
    .build_q4 = bn_lutbuild_tl1_q4__neon,
    .matmul_q8 = bn_matmul_tl1_q8__neon,
    .matmul_q4 = bn_matmul_tl1_q4__neon,
};
static const bn_lut_kernels lut_neon_dotprod = {
    .isa = BN_ISA_NEON_DOTPROD,
    .build_q8 = bn_lutbuild_tl1_q8__neon,
    .build_q4 = bn_lutbuild_tl1_q4__neon,
    .matmul_q8 = bn_matmul_tl1_q8__neon,
    .matmul_q4 = bn_matmul_tl1_q4__neon,
};
#endif

const bn_lut_kernels* bn_lut_kernels_for_isa(bn_isa isa) {
    switch (isa) {
    case BN_ISA_REF: return &lut_ref;
#if defined(BN_ARCH_X86)
    case BN_ISA_AVX2: return &lut_avx2;
    case BN_ISA_AVX512_VNNI: return &lut_avx512_vnni;
#endif
#if defined(BN_ARCH_ARM64)
    case BN_ISA_NEON: return &lut_neon;
    case BN_ISA_NEON_DOTPROD: return &lut_neon_dotprod;
#endif
    default: return NULL;
    }
}
