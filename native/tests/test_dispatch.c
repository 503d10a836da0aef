/* Dispatch and library state: ABI version, feature detection, ISA forcing and its refusals. */
#include "testing.h"

#if defined(BN_ARCH_X86) && defined(__GNUC__)
#  include <cpuid.h>
/* AVX-512 VNNI kernels may run only if the CPU has F/BW/VL/VNNI and the OS saves the opmask and ZMM
 * state (XCR0 bits 5-7 with SSE/AVX bits 1-2). Computed here independently of cpu_features.c, so a
 * CPU with AVX-512 instructions but without OS support (a VM whose XCR0 lacks ZMM state) must
 * report the ISA unsupported. */
static void check_avx512_detection(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(1, 0, &a, &b, &c, &d) || !((c >> 27) & 1)) {
        CHECK(!bn_isa_supported(BN_ISA_AVX512_VNNI), "no OSXSAVE, yet avx512_vnni is reported supported");
        return;
    }
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    const int os_zmm = (lo & 0xe6) == 0xe6;
    int cpu_avx512 = 0;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d))
        cpu_avx512 = ((b >> 16) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1) && ((c >> 11) & 1);
    const int expect = os_zmm && cpu_avx512 && bn_isa_supported(BN_ISA_AVX2);
    printf("  xcr0=0x%x: avx512 F/BW/VL/VNNI in cpuid=%d, zmm state enabled=%d -> avx512_vnni %s\n", lo, cpu_avx512,
           os_zmm, expect ? "supported" : "unsupported");
    CHECK(bn_isa_supported(BN_ISA_AVX512_VNNI) == expect, "bn_isa_supported(avx512_vnni) = %d, expected %d",
          bn_isa_supported(BN_ISA_AVX512_VNNI), expect);
    CHECK(bn_config_for_isa(BN_ISA_AVX512_VNNI) != NULL, "the avx512_vnni config is compiled in");
}
#endif

int main(void) {
    CHECK(bn_abi_version() == BN_ABI_VERSION, "ABI version");
    CHECK_STATUS(bn_init(), BN_STATUS_OK);
    CHECK_STATUS(bn_init(), BN_STATUS_OK);
    bn_cpu_features f;
    CHECK_STATUS(bn_get_cpu_features(&f), BN_STATUS_OK);
    CHECK_STATUS(bn_get_cpu_features(NULL), BN_STATUS_INVALID_ARGUMENT);
    CHECK(f.logical_cpus >= 1, "logical cpus %d", f.logical_cpus);
    CHECK(bn_get_isa() == (bn_isa)f.best_isa, "initial ISA is the best one");
    printf("  cpu: avx2=%d fma=%d f16c=%d avx512f=%d bw=%d vl=%d vnni=%d vbmi=%d avxvnni=%d neon=%d dotprod=%d "
           "i8mm=%d cpus=%d best=%s\n",
           f.avx2, f.fma, f.f16c, f.avx512f, f.avx512bw, f.avx512vl, f.avx512vnni, f.avx512vbmi, f.avxvnni, f.neon,
           f.dotprod, f.i8mm, f.logical_cpus, bn_isa_name((bn_isa)f.best_isa));
    CHECK(bn_isa_supported(BN_ISA_REF) == 1, "ref always supported");
    for (int isa = 0; isa < BN_ISA_COUNT; isa++) {
        bn_status st = bn_set_isa((bn_isa)isa);
        if (bn_isa_supported((bn_isa)isa)) {
            CHECK(st == BN_STATUS_OK && bn_get_isa() == (bn_isa)isa, "forcing %s", bn_isa_name((bn_isa)isa));
        } else {
            CHECK(st == BN_STATUS_UNSUPPORTED, "forcing unsupported %s gives %s", bn_isa_name((bn_isa)isa),
                  bn_status_string(st));
            CHECK(strstr(bn_last_error(), bn_isa_name((bn_isa)isa)) != NULL, "message names the ISA: %s",
                  bn_last_error());
        }
    }
    CHECK_STATUS(bn_set_isa((bn_isa)99), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_set_isa((bn_isa)-1), BN_STATUS_INVALID_ARGUMENT);
    CHECK(strcmp(bn_status_string(BN_STATUS_SHAPE_MISMATCH), "shape mismatch") == 0, "status string");
    CHECK(strcmp(bn_status_string((bn_status)42), "unknown status") == 0, "unknown status string");
    CHECK(strcmp(bn_isa_name(BN_ISA_NEON_DOTPROD), "neon_dotprod") == 0, "isa name");
#if defined(BN_ARCH_X86)
#  if defined(__GNUC__)
    check_avx512_detection();
#  endif
    CHECK(bn_config_for_isa(BN_ISA_AVX2) != NULL && bn_config_for_isa(BN_ISA_NEON) == NULL, "x86 build configs");
#elif defined(BN_ARCH_ARM64)
    CHECK(bn_config_for_isa(BN_ISA_NEON) != NULL && bn_config_for_isa(BN_ISA_AVX2) == NULL, "arm64 build configs");
    CHECK(f.neon == 1, "NEON is baseline on arm64");
#endif
    return test_summary("test_dispatch");
}
