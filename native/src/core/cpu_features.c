/* CPU feature detection. Compiled without any ISA flags (STYLE: nothing AVX2 may run before the
 * check), so this file is safe on every CPU the build targets. */
#include "bn_internal.h"

#include <string.h>

#if defined(_WIN32)
#  define WIN32_LEAN_AND_MEAN
#  include <windows.h>
#else
#  include <unistd.h>
#  if defined(__linux__)
#    include <sched.h>
#  endif
#endif

#if defined(BN_ARCH_X86)
#  if defined(_MSC_VER)
#    include <intrin.h>
static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    int v[4];
    __cpuidex(v, (int)leaf, (int)sub);
    for (int i = 0; i < 4; i++) r[i] = (uint32_t)v[i];
}
static uint64_t xgetbv0(void) { return _xgetbv(0); }
#  else
#    include <cpuid.h>
static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}
static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#  endif

static void detect_x86(bn_cpu_features* f) {
    uint32_t r[4];
    cpuid(0, 0, r);
    uint32_t max_leaf = r[0];
    cpuid(1, 0, r);
    int osxsave = (r[2] >> 27) & 1;
    int avx = (r[2] >> 28) & 1;
    f->fma = (r[2] >> 12) & 1;
    f->f16c = (r[2] >> 29) & 1;
    /* The OS must save the registers: XMM|YMM for AVX, plus opmask|ZMM_Hi256|Hi16_ZMM for AVX-512. */
    uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    int os_avx = (xcr0 & 0x6) == 0x6;
    int os_avx512 = (xcr0 & 0xe6) == 0xe6;
    if (!(avx && os_avx)) { f->fma = 0; f->f16c = 0; return; }
    if (max_leaf < 7) return;
    cpuid(7, 0, r);
    uint32_t ebx = r[1], ecx = r[2];
    f->avx2 = (ebx >> 5) & 1;
    if (os_avx512) {
        f->avx512f = (ebx >> 16) & 1;
        f->avx512bw = (ebx >> 30) & 1;
        f->avx512vl = (ebx >> 31) & 1;
        f->avx512vbmi = (ecx >> 1) & 1;
        f->avx512vnni = (ecx >> 11) & 1;
    }
    cpuid(7, 1, r);
    f->avxvnni = (r[0] >> 4) & 1;
}
#endif

#if defined(BN_ARCH_ARM64)
#  if defined(__linux__)
#    include <sys/auxv.h>
#    ifndef HWCAP_ASIMD
#      define HWCAP_ASIMD (1 << 1)
#    endif
#    ifndef HWCAP_ASIMDDP
#      define HWCAP_ASIMDDP (1 << 20)
#    endif
#    ifndef HWCAP2_I8MM
#      define HWCAP2_I8MM (1 << 13)
#    endif
static void detect_arm(bn_cpu_features* f) {
    unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    f->neon = (hw & HWCAP_ASIMD) != 0;
    f->dotprod = (hw & HWCAP_ASIMDDP) != 0;
    f->i8mm = (hw2 & HWCAP2_I8MM) != 0;
}
#  elif defined(__APPLE__)
#    include <sys/sysctl.h>
static int sysctl_flag(const char* name) {
    int v = 0;
    size_t size = sizeof v;
    return sysctlbyname(name, &v, &size, NULL, 0) == 0 && v != 0;
}
static void detect_arm(bn_cpu_features* f) {
    f->neon = 1; /* mandatory on Apple silicon */
    f->dotprod = sysctl_flag("hw.optional.arm.FEAT_DotProd");
    f->i8mm = sysctl_flag("hw.optional.arm.FEAT_I8MM");
}
#  elif defined(_WIN32)
static void detect_arm(bn_cpu_features* f) {
    f->neon = 1;
#    ifdef PF_ARM_V82_DP_INSTRUCTIONS_AVAILABLE
    f->dotprod = IsProcessorFeaturePresent(PF_ARM_V82_DP_INSTRUCTIONS_AVAILABLE) != 0;
#    endif
}
#  else
static void detect_arm(bn_cpu_features* f) { f->neon = 1; }
#  endif
#endif

static int32_t count_logical_cpus(void) {
#if defined(_WIN32)
    /* Like sched_getaffinity on Linux: the CPUs this process may run on (within its processor
     * group, which is where CreateThread puts the pool's workers by default). */
    DWORD_PTR process_mask = 0, system_mask = 0;
    if (GetProcessAffinityMask(GetCurrentProcess(), &process_mask, &system_mask) && process_mask != 0) {
        int32_t n = 0;
        for (; process_mask; process_mask &= process_mask - 1) n++;
        return n;
    }
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    return (int32_t)info.dwNumberOfProcessors;
#elif defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return (int32_t)CPU_COUNT(&set);
    return (int32_t)sysconf(_SC_NPROCESSORS_ONLN);
#else
    return (int32_t)sysconf(_SC_NPROCESSORS_ONLN);
#endif
}

void bn_detect_cpu_features(bn_cpu_features* out) {
    bn_cpu_features f;
    memset(&f, 0, sizeof f);
#if defined(BN_ARCH_X86)
    detect_x86(&f);
#elif defined(BN_ARCH_ARM64)
    detect_arm(&f);
#endif
    f.logical_cpus = count_logical_cpus();
    if (f.logical_cpus < 1) f.logical_cpus = 1;
    f.best_isa = BN_ISA_REF;
    *out = f;
}
