/* Run-time ISA choice: the CPU's features are detected once, the configs filled once (config.c), and
 * the best ISA the CPU runs becomes the active one. bn_set_isa swaps the active config atomically,
 * so a call in flight always sees one whole config. bn_matmul takes its ISA per call instead (the
 * load-time plan picks per matrix); the other operations run the active ISA. */
#include "bn_internal.h"

#include <stdatomic.h>

void bn_config_init(void);

static bn_cpu_features g_features;
static _Atomic(const bn_config*) g_active;
enum init_state { INIT_NOT_STARTED, INIT_RUNNING, INIT_DONE };
static atomic_int g_init_state; /* an init_state; the first caller detects, later ones wait for INIT_DONE */

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

int bn_isa_available(bn_isa isa) {
    if ((int)isa < 0 || isa >= BN_ISA_COUNT) return 0;
    return bn_config_for_isa(isa) != NULL && cpu_has_isa(&g_features, isa);
}

BN_API bn_status bn_init(void) {
    int expected = INIT_NOT_STARTED;
    if (atomic_compare_exchange_strong(&g_init_state, &expected, INIT_RUNNING)) {
        bn_detect_cpu_features(&g_features);
        bn_config_init();
        atomic_store(&g_init_state, INIT_DONE);
        bn_isa best = BN_ISA_REF;
        /* Later enum values are better within an architecture; the other architecture's values are
         * never compiled in. */
        for (int isa = 0; isa < BN_ISA_COUNT; isa++)
            if (bn_isa_available((bn_isa)isa)) best = (bn_isa)isa;
        g_features.best_isa = best;
        atomic_store(&g_active, bn_config_for_isa(best));
    } else {
        while (atomic_load(&g_init_state) != INIT_DONE) { /* another thread is detecting: microseconds */ }
    }
    return BN_STATUS_OK;
}

const bn_config* bn_active_config(void) {
    if (atomic_load_explicit(&g_init_state, memory_order_acquire) != INIT_DONE) bn_init();
    const bn_config* c = atomic_load_explicit(&g_active, memory_order_acquire);
    /* bn_init publishes the state before the active config: another thread may see it in between */
    while (!c) c = atomic_load_explicit(&g_active, memory_order_acquire);
    return c;
}

BN_API bn_status bn_get_cpu_features(bn_cpu_features* out) {
    if (!out) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_get_cpu_features: out is NULL");
    bn_active_config();
    *out = g_features;
    return BN_STATUS_OK;
}

BN_API int32_t bn_isa_supported(bn_isa isa) {
    bn_init();
    return bn_isa_available(isa) ? 1 : 0;
}

BN_API bn_status bn_set_isa(bn_isa isa) {
    bn_init();
    if ((int)isa < 0 || isa >= BN_ISA_COUNT)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_set_isa: %d is not a bn_isa value", (int)isa);
    if (!bn_isa_available(isa))
        return bn_fail(BN_STATUS_UNSUPPORTED, "bn_set_isa: %s is not supported by this %s", bn_isa_name(isa),
                       bn_config_for_isa(isa) ? "CPU" : "build");
    atomic_store(&g_active, bn_config_for_isa(isa));
    return BN_STATUS_OK;
}

BN_API bn_isa bn_get_isa(void) { return bn_active_config()->isa; }

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
