/* Weight memory: huge-page-backed buffers for streamed weights, and releasing converted file pages.
 * See "Weight memory" in bitnative.h for why. */
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE /* MAP_ANONYMOUS, madvise */
#endif
#include "bn_internal.h"

#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#  include <malloc.h>
#else
#  include <sys/mman.h>
#  include <unistd.h>
#endif

#define BN_WEIGHTS_MAX_BYTES ((int64_t)1 << 40)

static int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

#if defined(__linux__)
/* Bytes of the mapping behind a buffer: whole small pages. The tail beyond the last whole 2 MiB is not
 * rounded up to a huge page, so it stays in small pages instead of pinning up to 2 MiB of zeros per
 * tensor (a 2B model has 210 projections). */
static size_t mapped_bytes(int64_t bytes) { return (size_t)round_up(bytes, (int64_t)sysconf(_SC_PAGESIZE)); }

/* A 2 MiB-aligned anonymous mapping of mapped_bytes(bytes): map 2 MiB more, trim both ends. */
static void* map_huge(int64_t bytes) {
    const size_t huge = BN_HUGE_PAGE_BYTES, len = mapped_bytes(bytes);
    uint8_t* raw = mmap(NULL, len + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    uint8_t* p = (uint8_t*)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
    const size_t head = (size_t)(p - raw), tail = huge - head;
    if (head) munmap(raw, head);
    if (tail) munmap(p + len, tail);
    /* Advice only: without THP (or with it "never") the mapping works with 4 KiB pages. */
    (void)madvise(p, len, MADV_HUGEPAGE);
    return p; /* anonymous pages read as zero */
}
#endif

BN_API bn_status bn_weights_alloc(int64_t bytes, void** out) {
    if (!out) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_weights_alloc: out is NULL");
    *out = NULL;
    if (bytes < 1 || bytes > BN_WEIGHTS_MAX_BYTES)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_weights_alloc: %lld bytes is outside 1 .. 2^40",
                       (long long)bytes);
    void* p = NULL;
#if defined(__linux__)
    if (bytes >= BN_HUGE_PAGE_BYTES) {
        p = map_huge(bytes);
        if (!p) return bn_fail(BN_STATUS_OUT_OF_MEMORY, "bn_weights_alloc: cannot map %lld bytes", (long long)bytes);
        *out = p;
        return BN_STATUS_OK;
    }
#endif
    const size_t len = (size_t)round_up(bytes, 64);
#if defined(_WIN32)
    p = _aligned_malloc(len, 64);
#else
    if (posix_memalign(&p, 64, len) != 0) p = NULL;
#endif
    if (!p) return bn_fail(BN_STATUS_OUT_OF_MEMORY, "bn_weights_alloc: cannot allocate %lld bytes", (long long)bytes);
    memset(p, 0, len);
    *out = p;
    return BN_STATUS_OK;
}

BN_API void bn_weights_free(void* p, int64_t bytes) {
    if (!p) return;
#if defined(__linux__)
    if (bytes >= BN_HUGE_PAGE_BYTES) {
        munmap(p, mapped_bytes(bytes));
        return;
    }
#else
    (void)bytes;
#endif
#if defined(_WIN32)
    _aligned_free(p);
#else
    free(p);
#endif
}

BN_API bn_status bn_release_pages(const void* p, int64_t bytes) {
    if (bytes < 0 || (!p && bytes > 0))
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_release_pages: bad range (%p, %lld bytes)", p, (long long)bytes);
#if defined(_WIN32)
    return BN_STATUS_OK;
#else
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    const uintptr_t begin = ((uintptr_t)p + page - 1) & ~(page - 1);
    const uintptr_t end = ((uintptr_t)p + (uintptr_t)bytes) & ~(page - 1);
    if (end <= begin) return BN_STATUS_OK; /* no whole page inside */
    if (madvise((void*)begin, end - begin, MADV_DONTNEED) != 0)
        return bn_fail(BN_STATUS_INTERNAL, "bn_release_pages: madvise refused the range (%p, %lld bytes)", p,
                       (long long)bytes);
    return BN_STATUS_OK;
#endif
}
