/* The per-ISA kernel configs (XNNPACK's gemm-config pattern): one bn_config per ISA compiled in,
 * filled once. Each ISA starts from the config of the ISA it builds on and replaces what it does
 * better, so everything an ISA has no variant of runs the best lower one. Which variant each ISA
 * runs, and why, is written next to the assignment.
 *
 * A matmul kernel is looked up by (weight type, activation type): adding a weight type adds its
 * kernels here, one line per ISA that has one, and nothing else in the dispatch. */
#include "bn_internal.h"

#include <string.h>

/* A kernel that handles every m (its own m = 1 path inside). */
static bn_matmul_ukernel any_m(bn_matmul_fn fn) { return (bn_matmul_ukernel){.gemv = fn, .gemm = fn}; }

/* A lookup-table kernel: tables of table_bytes_per_k * k bytes per activation row, built first. */
static bn_matmul_ukernel with_tables(bn_matmul_fn fn, bn_lut_build_fn build, int32_t table_bytes_per_k) {
    return (bn_matmul_ukernel){.gemv = fn, .gemm = fn, .prepare = build, .table_bytes_per_k = table_bytes_per_k};
}

static void fill_ref(bn_config* c) {
    c->isa = BN_ISA_REF;
    c->matmul[BN_WTYPE_I2S][BN_ATYPE_Q8] = any_m(bn_matmul_i2s_q8__ref);
    c->matmul[BN_WTYPE_TQ2][BN_ATYPE_Q8] = any_m(bn_matmul_tq2_q8__ref);
    /* The TL1 reference reads activations directly: no tables. q4 is the same formula (see the file). */
    c->matmul[BN_WTYPE_TL1][BN_ATYPE_Q8] = any_m(bn_matmul_tl1_q8__ref);
    c->matmul[BN_WTYPE_TL1][BN_ATYPE_Q4] = any_m(bn_matmul_tl1_q8__ref);
    c->matmul[BN_WTYPE_F16][BN_ATYPE_F32] = any_m(bn_matmul_f16_f32__ref);
    c->matmul[BN_WTYPE_F32][BN_ATYPE_F32] = any_m(bn_matmul_f32_f32__ref);
    c->matmul[BN_WTYPE_BF16][BN_ATYPE_F32] = any_m(bn_matmul_bf16_f32__ref);
    c->matmul[BN_WTYPE_F8][BN_ATYPE_F32] = any_m(bn_matmul_f8_f32__ref);
    /* Float weights over int8 rows (transformers' AutoBitLinear offline with non-ternary weights):
     * rare enough that every ISA runs this reference, inherited from here. */
    c->matmul[BN_WTYPE_F32][BN_ATYPE_Q8] = any_m(bn_matmul_f32_q8__ref);
    c->matmul[BN_WTYPE_Q8_0][BN_ATYPE_Q8] = any_m(bn_matmul_q8_0_q8__ref);
    c->matmul[BN_WTYPE_Q4_0][BN_ATYPE_Q8] = any_m(bn_matmul_q4_0_q8__ref);
    c->matmul[BN_WTYPE_Q4_K][BN_ATYPE_Q8] = any_m(bn_matmul_q4_k_q8__ref);
    c->matmul[BN_WTYPE_Q5_K][BN_ATYPE_Q8] = any_m(bn_matmul_q5_k_q8__ref);
    c->matmul[BN_WTYPE_Q6_K][BN_ATYPE_Q8] = any_m(bn_matmul_q6_k_q8__ref);
    c->matmul[BN_WTYPE_Q2_0][BN_ATYPE_Q8] = any_m(bn_matmul_q2_0_q8__ref);
    c->matmul[BN_WTYPE_Q2_0_G128][BN_ATYPE_Q8] = any_m(bn_matmul_q2_0_g128_q8__ref);
    c->matmul[BN_WTYPE_Q1_0][BN_ATYPE_Q8] = any_m(bn_matmul_q1_0_q8__ref);
    c->quantize_q8 = bn_quantize_q8__ref;
    c->quantize_q4 = bn_quantize_q4__ref;
    c->rmsnorm_f32 = bn_rmsnorm_f32__ref;
    c->rmsnorm_q8 = bn_rmsnorm_q8__ref;
    c->rmsnorm_q4 = bn_rmsnorm_q4__ref;
    c->glu_f32 = bn_glu_f32__ref;
    c->glu_rmsnorm_q8 = bn_glu_rmsnorm_q8__ref;
    c->rope_kv_f16 = bn_rope_kv_f16__ref;
    c->attention_f16 = bn_attention_f16__ref;
    /* The I2ST reference reads the activations directly; the SIMD kernels read the sparse row. */
    c->matmul[BN_WTYPE_I2ST][BN_ATYPE_Q8] = any_m(bn_matmul_i2st_q8__ref);
    c->kv_quantize = bn_quantize_kv__ref;
    c->attention_kvq = bn_attention_kvq__ref;
    c->hadamard_f32 = bn_hadamard_f32__ref;
    c->topk_q8 = bn_topk_q8__ref;
}

/* The multiply-add kernels take int4 rows unchanged (values in [-8, 7] are int8 values): for them a
 * q4 row is only a narrower range, with the same bits as a q8 row of the same values. */
static void q4_as_q8(bn_config* c, bn_wtype w) { c->matmul[w][BN_ATYPE_Q4] = c->matmul[w][BN_ATYPE_Q8]; }

#if defined(BN_ARCH_X86)
static void fill_avx2(bn_config* c) {
    c->isa = BN_ISA_AVX2;
    c->matmul[BN_WTYPE_I2S][BN_ATYPE_Q8] = any_m(bn_matmul_i2s_q8__avx2);
    c->matmul[BN_WTYPE_TQ2][BN_ATYPE_Q8] = any_m(bn_matmul_tq2_q8__avx2);
    /* pshufb over 16-byte tables, two pairs per 256-bit lookup */
    c->matmul[BN_WTYPE_TL1][BN_ATYPE_Q8] = with_tables(bn_matmul_tl1_q8__avx2, bn_lutbuild_tl1_q8__avx2, 16);
    c->matmul[BN_WTYPE_TL1][BN_ATYPE_Q4] = with_tables(bn_matmul_tl1_q4__avx2, bn_lutbuild_tl1_q4__avx2, 8);
    c->matmul[BN_WTYPE_F16][BN_ATYPE_F32] = any_m(bn_matmul_f16_f32__avx2);
    c->matmul[BN_WTYPE_F32][BN_ATYPE_F32] = any_m(bn_matmul_f32_f32__avx2);
    c->matmul[BN_WTYPE_BF16][BN_ATYPE_F32] = any_m(bn_matmul_bf16_f32__avx2);
    c->matmul[BN_WTYPE_F8][BN_ATYPE_F32] = any_m(bn_matmul_f8_f32__avx2);
    c->matmul[BN_WTYPE_Q8_0][BN_ATYPE_Q8] = any_m(bn_matmul_q8_0_q8__avx2);
    c->matmul[BN_WTYPE_Q4_0][BN_ATYPE_Q8] = any_m(bn_matmul_q4_0_q8__avx2);
    c->matmul[BN_WTYPE_Q4_K][BN_ATYPE_Q8] = any_m(bn_matmul_q4_k_q8__avx2);
    c->matmul[BN_WTYPE_Q5_K][BN_ATYPE_Q8] = any_m(bn_matmul_q5_k_q8__avx2);
    c->matmul[BN_WTYPE_Q6_K][BN_ATYPE_Q8] = any_m(bn_matmul_q6_k_q8__avx2);
    c->matmul[BN_WTYPE_Q2_0][BN_ATYPE_Q8] = any_m(bn_matmul_q2_0_q8__avx2);
    c->matmul[BN_WTYPE_Q2_0_G128][BN_ATYPE_Q8] = any_m(bn_matmul_q2_0_g128_q8__avx2);
    c->matmul[BN_WTYPE_Q1_0][BN_ATYPE_Q8] = any_m(bn_matmul_q1_0_q8__avx2);
    c->quantize_q8 = bn_quantize_q8__avx2;
    c->quantize_q4 = bn_quantize_q4__avx2;
    c->rmsnorm_f32 = bn_rmsnorm_f32__avx2;
    c->rmsnorm_q8 = bn_rmsnorm_q8__avx2;
    c->rmsnorm_q4 = bn_rmsnorm_q4__avx2;
    c->glu_f32 = bn_glu_f32__avx2;
    c->glu_rmsnorm_q8 = bn_glu_rmsnorm_q8__avx2;
    c->rope_kv_f16 = bn_rope_kv_f16__avx2;
    c->attention_f16 = bn_attention_f16__avx2;
    c->matmul[BN_WTYPE_I2ST][BN_ATYPE_Q8] =
        with_tables(bn_matmul_i2st_q8__avx2, bn_sparse_build__ref, BN_SPARSE_TABLE_BYTES_PER_K);
    c->kv_quantize = bn_quantize_kv__avx2;
    c->attention_kvq = bn_attention_kvq__avx2;
    c->hadamard_f32 = bn_hadamard_f32__avx2;
    c->topk_q8 = bn_topk_q8__avx2;
}

/* Norms, activations and RoPE are a few microseconds per token at AVX2 width and keep AVX2's. So do
 * the F16 / F32 matrices: an AVX-512 variant (16-column steps) measured 15 GB/s from DRAM against
 * AVX2's 20 GB/s on the 2B-4T F16 head (Zen 4, one thread, one alternating run), and a head always
 * streams from DRAM. */
static void fill_avx512_vnni(bn_config* c) {
    c->isa = BN_ISA_AVX512_VNNI;
    c->matmul[BN_WTYPE_I2S][BN_ATYPE_Q8] = any_m(bn_matmul_i2s_q8__avx512vnni);
    c->matmul[BN_WTYPE_TQ2][BN_ATYPE_Q8] = any_m(bn_matmul_tq2_q8__avx512vnni);
    /* vpshufb over four 128-bit lanes, vpdpbusd widens the int8 sums to int32 */
    c->matmul[BN_WTYPE_TL1][BN_ATYPE_Q8] =
        with_tables(bn_matmul_tl1_q8__avx512vnni, bn_lutbuild_tl1_q8__avx512vnni, 16);
    c->matmul[BN_WTYPE_TL1][BN_ATYPE_Q4] = with_tables(bn_matmul_tl1_q4__avx512vnni, bn_lutbuild_tl1_q4__avx512vnni, 8);
    c->matmul[BN_WTYPE_Q8_0][BN_ATYPE_Q8] = any_m(bn_matmul_q8_0_q8__avx512vnni);
    /* the 4-bit and k-quant heads: at least as fast as AVX2 on Zen 4 for every type, DRAM-bound and
     * cache-resident (docs/PERFORMANCE.md, "Quantized heads") */
    c->matmul[BN_WTYPE_Q4_0][BN_ATYPE_Q8] = any_m(bn_matmul_q4_0_q8__avx512vnni);
    c->matmul[BN_WTYPE_Q4_K][BN_ATYPE_Q8] = any_m(bn_matmul_q4_k_q8__avx512vnni);
    c->matmul[BN_WTYPE_Q5_K][BN_ATYPE_Q8] = any_m(bn_matmul_q5_k_q8__avx512vnni);
    c->matmul[BN_WTYPE_Q6_K][BN_ATYPE_Q8] = any_m(bn_matmul_q6_k_q8__avx512vnni);
    c->matmul[BN_WTYPE_Q2_0][BN_ATYPE_Q8] = any_m(bn_matmul_q2_0_q8__avx512vnni);
    c->matmul[BN_WTYPE_Q2_0_G128][BN_ATYPE_Q8] = any_m(bn_matmul_q2_0_g128_q8__avx512vnni);
    c->matmul[BN_WTYPE_Q1_0][BN_ATYPE_Q8] = any_m(bn_matmul_q1_0_q8__avx512vnni);
    c->quantize_q8 = bn_quantize_q8__avx512;
    c->quantize_q4 = bn_quantize_q4__avx512;
    c->attention_f16 = bn_attention_f16__avx512;
    /* vpdpbusd sums four columns' products per int32 lane: the sparse matmul takes four nonzero columns a step */
    c->matmul[BN_WTYPE_I2ST][BN_ATYPE_Q8] =
        with_tables(bn_matmul_i2st_q8__avx512vnni, bn_sparse_build__ref, BN_SPARSE_TABLE_BYTES_PER_K);
    c->attention_kvq = bn_attention_kvq__avx512;
    c->hadamard_f32 = bn_hadamard_f32__avx512;
}
#endif

#if defined(BN_ARCH_ARM64)
static void fill_neon(bn_config* c) {
    c->isa = BN_ISA_NEON;
    c->matmul[BN_WTYPE_I2S][BN_ATYPE_Q8] = any_m(bn_matmul_i2s_q8__neon);
    c->matmul[BN_WTYPE_TQ2][BN_ATYPE_Q8] = any_m(bn_matmul_tq2_q8__neon);
    /* tbl over 16-byte tables */
    c->matmul[BN_WTYPE_TL1][BN_ATYPE_Q8] = with_tables(bn_matmul_tl1_q8__neon, bn_lutbuild_tl1_q8__neon, 16);
    c->matmul[BN_WTYPE_TL1][BN_ATYPE_Q4] = with_tables(bn_matmul_tl1_q4__neon, bn_lutbuild_tl1_q4__neon, 8);
    c->matmul[BN_WTYPE_F16][BN_ATYPE_F32] = any_m(bn_matmul_f16_f32__neon);
    c->matmul[BN_WTYPE_F32][BN_ATYPE_F32] = any_m(bn_matmul_f32_f32__neon);
    c->matmul[BN_WTYPE_BF16][BN_ATYPE_F32] = any_m(bn_matmul_bf16_f32__neon);
    c->matmul[BN_WTYPE_F8][BN_ATYPE_F32] = any_m(bn_matmul_f8_f32__neon);
    c->matmul[BN_WTYPE_Q8_0][BN_ATYPE_Q8] = any_m(bn_matmul_q8_0_q8__neon);
    c->matmul[BN_WTYPE_Q4_0][BN_ATYPE_Q8] = any_m(bn_matmul_q4_0_q8__neon);
    c->matmul[BN_WTYPE_Q4_K][BN_ATYPE_Q8] = any_m(bn_matmul_q4_k_q8__neon);
    c->matmul[BN_WTYPE_Q5_K][BN_ATYPE_Q8] = any_m(bn_matmul_q5_k_q8__neon);
    c->matmul[BN_WTYPE_Q6_K][BN_ATYPE_Q8] = any_m(bn_matmul_q6_k_q8__neon);
    c->matmul[BN_WTYPE_Q2_0][BN_ATYPE_Q8] = any_m(bn_matmul_q2_0_q8__neon);
    c->matmul[BN_WTYPE_Q2_0_G128][BN_ATYPE_Q8] = any_m(bn_matmul_q2_0_g128_q8__neon);
    c->matmul[BN_WTYPE_Q1_0][BN_ATYPE_Q8] = any_m(bn_matmul_q1_0_q8__neon);
    c->quantize_q8 = bn_quantize_q8__neon;
    c->quantize_q4 = bn_quantize_q4__neon;
    c->rmsnorm_f32 = bn_rmsnorm_f32__neon;
    c->rmsnorm_q8 = bn_rmsnorm_q8__neon;
    c->rmsnorm_q4 = bn_rmsnorm_q4__neon;
    c->glu_f32 = bn_glu_f32__neon;
    c->glu_rmsnorm_q8 = bn_glu_rmsnorm_q8__neon;
    c->rope_kv_f16 = bn_rope_kv_f16__neon;
    c->attention_f16 = bn_attention_f16__neon;
    c->matmul[BN_WTYPE_I2ST][BN_ATYPE_Q8] =
        with_tables(bn_matmul_i2st_q8__neon, bn_sparse_build__ref, BN_SPARSE_TABLE_BYTES_PER_K);
    c->kv_quantize = bn_quantize_kv__neon;
    c->attention_kvq = bn_attention_kvq__neon;
    c->hadamard_f32 = bn_hadamard_f32__neon;
    c->topk_q8 = bn_topk_q8__neon;
}

/* SDOT pays where there are dot products: the multiply-add matmuls and the int8 head. The LUT kernels
 * keep plain NEON: they have no multiplications, and SDOT's one trick, summing four adjacent bytes
 * into an int32 lane, does not fit there, where adjacent bytes of a lookup belong to different
 * output rows (widening with SDOT would take four instructions per vector where vaddw/vmlal take two). */
static void fill_neon_dotprod(bn_config* c) {
    c->isa = BN_ISA_NEON_DOTPROD;
    c->matmul[BN_WTYPE_I2S][BN_ATYPE_Q8] = any_m(bn_matmul_i2s_q8__neondot);
    c->matmul[BN_WTYPE_TQ2][BN_ATYPE_Q8] = any_m(bn_matmul_tq2_q8__neondot);
    c->matmul[BN_WTYPE_Q8_0][BN_ATYPE_Q8] = any_m(bn_matmul_q8_0_q8__neondot);
    /* the 4-bit and k-quant heads: SDOT replaces two widening multiplies per 16 products (run under qemu only,
     * not measured on hardware) */
    c->matmul[BN_WTYPE_Q4_0][BN_ATYPE_Q8] = any_m(bn_matmul_q4_0_q8__neondot);
    c->matmul[BN_WTYPE_Q4_K][BN_ATYPE_Q8] = any_m(bn_matmul_q4_k_q8__neondot);
    c->matmul[BN_WTYPE_Q5_K][BN_ATYPE_Q8] = any_m(bn_matmul_q5_k_q8__neondot);
    c->matmul[BN_WTYPE_Q6_K][BN_ATYPE_Q8] = any_m(bn_matmul_q6_k_q8__neondot);
    c->matmul[BN_WTYPE_Q2_0][BN_ATYPE_Q8] = any_m(bn_matmul_q2_0_q8__neondot);
    c->matmul[BN_WTYPE_Q2_0_G128][BN_ATYPE_Q8] = any_m(bn_matmul_q2_0_g128_q8__neondot);
    c->matmul[BN_WTYPE_Q1_0][BN_ATYPE_Q8] = any_m(bn_matmul_q1_0_q8__neondot);
}
#endif

static bn_config g_configs[BN_ISA_COUNT];
static int g_compiled[BN_ISA_COUNT];

/* Called once by bn_init, before any kernel runs. */
void bn_config_init(void) {
    memset(g_configs, 0, sizeof g_configs);
    bn_config* ref = &g_configs[BN_ISA_REF];
    fill_ref(ref);
    g_compiled[BN_ISA_REF] = 1;
#if defined(BN_ARCH_X86)
    g_configs[BN_ISA_AVX2] = *ref;
    fill_avx2(&g_configs[BN_ISA_AVX2]);
    g_configs[BN_ISA_AVX512_VNNI] = g_configs[BN_ISA_AVX2];
    fill_avx512_vnni(&g_configs[BN_ISA_AVX512_VNNI]);
    g_compiled[BN_ISA_AVX2] = g_compiled[BN_ISA_AVX512_VNNI] = 1;
#endif
#if defined(BN_ARCH_ARM64)
    g_configs[BN_ISA_NEON] = *ref;
    fill_neon(&g_configs[BN_ISA_NEON]);
    g_configs[BN_ISA_NEON_DOTPROD] = g_configs[BN_ISA_NEON];
    fill_neon_dotprod(&g_configs[BN_ISA_NEON_DOTPROD]);
    g_compiled[BN_ISA_NEON] = g_compiled[BN_ISA_NEON_DOTPROD] = 1;
#endif
    for (int isa = 0; isa < BN_ISA_COUNT; isa++) {
        if (!g_compiled[isa]) continue;
        q4_as_q8(&g_configs[isa], BN_WTYPE_I2S);
        q4_as_q8(&g_configs[isa], BN_WTYPE_TQ2);
    }
}

const bn_config* bn_config_for_isa(bn_isa isa) {
    bn_init();
    if ((int)isa < 0 || isa >= BN_ISA_COUNT || !g_compiled[isa]) return NULL;
    return &g_configs[isa];
}
