/* Run-time ISA dispatch: one const table per ISA, chosen once from the detected features
 * (XNNPACK's config pattern). bn_set_isa swaps the active table atomically, so a call in flight
 * always sees one whole table. */
#include "bn_internal.h"

#include <stdatomic.h>

static const bn_kernels kernels_ref = {
    .isa = BN_ISA_REF,
    .matmul_i2s_q8 = bn_matmul_i2s_q8__ref,
    .matmul_tq2_q8 = bn_matmul_tq2_q8__ref,
    .quantize_q8 = bn_quantize_q8__ref,
    .quantize_q4 = bn_quantize_q4__ref,
};

#if defined(BN_ARCH_X86)
static const bn_kernels kernels_avx2 = {
    .isa = BN_ISA_AVX2,
    .matmul_i2s_q8 = bn_matmul_i2s_q8__avx2,
    .matmul_tq2_q8 = bn_matmul_tq2_q8__avx2,
    .quantize_q8 = bn_quantize_q8__avx2,
    .quantize_q4 = bn_quantize_q4__avx2,
};
static const bn_kernels kernels_avx512_vnni = {
    .isa = BN_ISA_AVX512_VNNI,
    .matmul_i2s_q8 = bn_matmul_i2s_q8__avx512vnni,
    .matmul_tq2_q8 = bn_matmul_tq2_q8__avx512vnni,
    .quantize_q8 = bn_quantize_q8__avx512,
    .quantize_q4 = bn_quantize_q4__avx512,
};
#endif

#if defined(BN_ARCH_ARM64)
static const bn_kernels kernels_neon = {
    .isa = BN_ISA_NEON,
    .matmul_i2s_q8 = bn_matmul_i2s_q8__neon,
    .matmul_tq2_q8 = bn_matmul_tq2_q8__neon,
    .quantize_q8 = bn_quantize_q8__neon,
    .quantize_q4 = bn_quantize_q4__neon,
};
/* Quantization has no dot products: the dotprod table reuses the plain NEON quantizers. */
static const bn_kernels kernels_neon_dotprod = {
    .isa = BN_ISA_NEON_DOTPROD,
    .matmul_i2s_q8 = bn_matmul_i2s_q8__neondot,
    .matmul_tq2_q8 = bn_matmul_tq2_q8__neondot,
    .quantize_q8 = bn_quantize_q8__neon,
    .quantize_q4 = bn_quantize_q4__neon,
};
#endif

static bn_cpu_features g_features;
static _Atomic(const bn_kernels*) g_active;
static atomic_int g_init_state; /* 0 = not started, 1 = running, 2 = done */

const bn_kernels* bn_kernels_for_isa(bn_isa isa) {
    switch (isa) {
    case BN_ISA_REF: return &kernels_ref;
#if defined(BN_ARCH_X86)
    case BN_ISA_AVX2: return &kernels_avx2;
    case BN_ISA_AVX512_VNNI: return &kernels_avx512_vnni;
#endif
#if defined(BN_ARCH_ARM64)
    case BN_ISA_NEON: return &kernels_neon;
    case BN_ISA_NEON_DOTPROD: return &kernels_neon_dotprod;
#endif
    default: return NULL;
    }
}

static int cpu_has_isa(const bn_cpu_features* f, bn_isa isa) {
    switch (isa) {
    case BN_ISA_REF: return 1;
    case BN_ISA_AVX2: return f->avx2 && f->fma && f->f16c;
    case BN_ISA_AVX512_VNNI: return f->avx2 && f->fma && f->f16c && f->avx512f && f->avx512bw && f->avx512vl &&
                                    f->avx512vnni;
    case BN_ISA_NEON: return f->neon;
    case BN_ISA_NEON_DOTPROD: return f->neon && f->dotprod;
    default: return 0;
    }
}

static int isa_available(bn_isa isa) { return bn_kernels_for_isa(isa) != NULL && cpu_has_isa(&g_features, isa); }

BN_API bn_status bn_init(void) {
    int expected = 0;
    if (atomic_compare_exchange_strong(&g_init_state, &expected, 1)) {
        bn_detect_cpu_features(&g_features);
        bn_isa best = BN_ISA_REF;
        /* Later enum values are better within an architecture; the first two ARM values are
         * never compiled in on x86 and vice versa. */
        for (int isa = 0; isa < BN_ISA_COUNT; isa++)
            if (isa_available((bn_isa)isa)) best = (bn_isa)isa;
        g_features.best_isa = best;
        atomic_store(&g_active, bn_kernels_for_isa(best));
        atomic_store(&g_init_state, 2);
    } else {
        while (atomic_load(&g_init_state) != 2) { /* another thread is detecting: microseconds */ }
    }
    return BN_STATUS_OK;
}

const bn_kernels* bn_active_kernels(void) {
    if (atomic_load_explicit(&g_init_state, memory_order_acquire) != 2) bn_init();
    return atomic_load_explicit(&g_active, memory_order_acquire);
}

BN_API bn_status bn_get_cpu_features(bn_cpu_features* out) {
    if (!out) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_get_cpu_features: out is NULL");
    bn_init();
    *out = g_features;
    return BN_STATUS_OK;
}

BN_API int32_t bn_isa_supported(bn_isa isa) {
    bn_init();
    return isa_available(isa) ? 1 : 0;
}

BN_API bn_status bn_set_isa(bn_isa isa) {
    bn_init();
    if ((int)isa < 0 || isa >= BN_ISA_COUNT)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_set_isa: %d is not a bn_isa value", (int)isa);
    if (!isa_available(isa))
        return bn_fail(BN_STATUS_UNSUPPORTED, "bn_set_isa: %s is not supported by this %s", bn_isa_name(isa),
                       bn_kernels_for_isa(isa) ? "CPU" : "build");
    atomic_store(&g_active, bn_kernels_for_isa(isa));
    return BN_STATUS_OK;
}

BN_API bn_isa bn_get_isa(void) { return bn_active_kernels()->isa; }

BN_API const char* bn_isa_name(bn_isa isa) {
    switch (isa) {
    case BN_ISA_REF: return "ref";
    case BN_ISA_AVX2: return "avx2";
    case BN_ISA_AVX512_VNNI: return "avx512_vnni";
    case BN_ISA_NEON: return "neon";
    case BN_ISA_NEON_DOTPROD: return "neon_dotprod";
    default: return "unknown";
    }
}

/* ==== Decode-step kernels (norms, gated activation, RoPE + KV write, attention, dense heads) ====
 * A second table per ISA, selected by the same ISA choice as the ternary table above (so
 * bn_set_isa switches both). Where an ISA has no variant of its own it takes the best lower one. */

static const bn_decode_kernels decode_ref = {
    .isa = BN_ISA_REF,
    .rmsnorm_f32 = bn_rmsnorm_f32__ref,
    .rmsnorm_q8 = bn_rmsnorm_q8__ref,
    .rmsnorm_q4 = bn_rmsnorm_q4__ref,
    .glu_f32 = bn_glu_f32__ref,
    .glu_rmsnorm_q8 = bn_glu_rmsnorm_q8__ref,
    .rope_kv_f16 = bn_rope_kv_f16__ref,
    .attention_f16 = bn_attention_f16__ref,
    .matmul_f16_f32 = bn_matmul_f16_f32__ref,
    .matmul_q8_0_q8 = bn_matmul_q8_0_q8__ref,
};

#if defined(BN_ARCH_X86)
static const bn_decode_kernels decode_avx2 = {
    .isa = BN_ISA_AVX2,
    .rmsnorm_f32 = bn_rmsnorm_f32__avx2,
    .rmsnorm_q8 = bn_rmsnorm_q8__avx2,
    .rmsnorm_q4 = bn_rmsnorm_q4__avx2,
    .glu_f32 = bn_glu_f32__avx2,
    .glu_rmsnorm_q8 = bn_glu_rmsnorm_q8__avx2,
    .rope_kv_f16 = bn_rope_kv_f16__avx2,
    .attention_f16 = bn_attention_f16__avx2,
    .matmul_f16_f32 = bn_matmul_f16_f32__avx2,
    .matmul_q8_0_q8 = bn_matmul_q8_0_q8__avx2,
};
/* Norms, activations and RoPE are a few microseconds per token at AVX2 width; AVX-512 variants
 * exist for the operations that stream the most data: attention and the dense heads. */
static const bn_decode_kernels decode_avx512_vnni = {
    .isa = BN_ISA_AVX512_VNNI,
    .rmsnorm_f32 = bn_rmsnorm_f32__avx2,
    .rmsnorm_q8 = bn_rmsnorm_q8__avx2,
    .rmsnorm_q4 = bn_rmsnorm_q4__avx2,
    .glu_f32 = bn_glu_f32__avx2,
    .glu_rmsnorm_q8 = bn_glu_rmsnorm_q8__avx2,
    .rope_kv_f16 = bn_rope_kv_f16__avx2,
    .attention_f16 = bn_attention_f16__avx512,
    .matmul_f16_f32 = bn_matmul_f16_f32__avx512,
    .matmul_q8_0_q8 = bn_matmul_q8_0_q8__avx512vnni,
};
#endif

#if defined(BN_ARCH_ARM64)
static const bn_decode_kernels decode_neon = {
    .isa = BN_ISA_NEON,
    .rmsnorm_f32 = bn_rmsnorm_f32__neon,
    .rmsnorm_q8 = bn_rmsnorm_q8__neon,
    .rmsnorm_q4 = bn_rmsnorm_q4__neon,
    .glu_f32 = bn_glu_f32__neon,
    .glu_rmsnorm_q8 = bn_glu_rmsnorm_q8__neon,
    .rope_kv_f16 = bn_rope_kv_f16__neon,
    .attention_f16 = bn_attention_f16__neon,
    .matmul_f16_f32 = bn_matmul_f16_f32__neon,
    .matmul_q8_0_q8 = bn_matmul_q8_0_q8__neon,
};
/* Only the int8 head has dot products: everything else is the plain NEON code. */
static const bn_decode_kernels decode_neon_dotprod = {
    .isa = BN_ISA_NEON_DOTPROD,
    .rmsnorm_f32 = bn_rmsnorm_f32__neon,
    .rmsnorm_q8 = bn_rmsnorm_q8__neon,
    .rmsnorm_q4 = bn_rmsnorm_q4__neon,
    .glu_f32 = bn_glu_f32__neon,
    .glu_rmsnorm_q8 = bn_glu_rmsnorm_q8__neon,
    .rope_kv_f16 = bn_rope_kv_f16__neon,
    .attention_f16 = bn_attention_f16__neon,
    .matmul_f16_f32 = bn_matmul_f16_f32__neon,
    .matmul_q8_0_q8 = bn_matmul_q8_0_q8__neondot,
};
#endif

const bn_decode_kernels* bn_decode_kernels_for_isa(bn_isa isa) {
    switch (isa) {
    case BN_ISA_REF: return &decode_ref;
#if defined(BN_ARCH_X86)
    case BN_ISA_AVX2: return &decode_avx2;
    case BN_ISA_AVX512_VNNI: return &decode_avx512_vnni;
#endif
#if defined(BN_ARCH_ARM64)
    case BN_ISA_NEON: return &decode_neon;
    case BN_ISA_NEON_DOTPROD: return &decode_neon_dotprod;
#endif
    default: return NULL;
    }
}

const bn_decode_kernels* bn_active_decode_kernels(void) { return bn_decode_kernels_for_isa(bn_active_kernels()->isa); }
