/* Weight memory: bn_weights_alloc sizes, alignment, zeroing and refusals; bn_release_pages on a
 * read-only file mapping keeps the contents readable (the pages fault back in from the file). */
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#  define _DEFAULT_SOURCE
#endif
#include "testing.h"

#include <stdio.h>
#include <string.h>
#if !defined(_WIN32)
#  include <fcntl.h>
#  include <sys/mman.h>
#  include <unistd.h>
#endif

static void check_alloc(void) {
    static const int64_t sizes[] = {1, 63, 64, 4097, BN_HUGE_PAGE_BYTES - 1, BN_HUGE_PAGE_BYTES,
                                    5 * BN_HUGE_PAGE_BYTES + 3};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        const int64_t n = sizes[i];
        void* p = NULL;
        CHECK_STATUS(bn_weights_alloc(n, &p), BN_STATUS_OK);
        CHECK(p != NULL, "%lld bytes: a pointer", (long long)n);
        if (!p) continue;
        CHECK(((uintptr_t)p & 63) == 0, "%lld bytes: 64-byte aligned", (long long)n);
#if defined(__linux__)
        if (n >= BN_HUGE_PAGE_BYTES)
            CHECK(((uintptr_t)p & (BN_HUGE_PAGE_BYTES - 1)) == 0, "%lld bytes: 2 MiB aligned", (long long)n);
#endif
        uint8_t* b = p;
        int64_t nonzero = 0;
        for (int64_t j = 0; j < n; j++) nonzero += b[j] != 0;
        CHECK(nonzero == 0, "%lld bytes: zeroed (%lld nonzero)", (long long)n, (long long)nonzero);
        memset(b, 0xA5, (size_t)n); /* the whole range is writable */
        CHECK(b[n - 1] == 0xA5, "last byte written");
        bn_weights_free(p, n);
    }
    void* p = (void*)1;
    CHECK_STATUS(bn_weights_alloc(0, &p), BN_STATUS_INVALID_ARGUMENT);
    CHECK(p == NULL, "out cleared on failure");
    CHECK_STATUS(bn_weights_alloc(-5, &p), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_weights_alloc((int64_t)1 << 41, &p), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_weights_alloc(64, NULL), BN_STATUS_INVALID_ARGUMENT);
    bn_weights_free(NULL, 123); /* accepted */
}

static void check_release(void) {
    CHECK_STATUS(bn_release_pages(NULL, 0), BN_STATUS_OK);
    CHECK_STATUS(bn_release_pages(NULL, 10), BN_STATUS_INVALID_ARGUMENT);
    uint8_t local[16];
    CHECK_STATUS(bn_release_pages(local, -1), BN_STATUS_INVALID_ARGUMENT);
#if !defined(_WIN32)
    char path[] = "/tmp/bn_test_memory_XXXXXX";
    const int fd = mkstemp(path);
    CHECK(fd >= 0, "temporary file");
    if (fd < 0) return;
    const size_t len = 3 * 65536 + 100;
    uint8_t* data = malloc(len);
    for (size_t i = 0; i < len; i++) data[i] = (uint8_t)(i * 131 + 7);
    CHECK(write(fd, data, len) == (ssize_t)len, "file written");
    const uint8_t* m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(m != MAP_FAILED, "file mapped");
    if (m != MAP_FAILED) {
        CHECK(memcmp(m, data, len) == 0, "mapping reads the file");
        /* unaligned range: only whole pages inside it are dropped */
        CHECK_STATUS(bn_release_pages(m + 1000, (int64_t)len - 2000), BN_STATUS_OK);
        CHECK_STATUS(bn_release_pages(m, (int64_t)len), BN_STATUS_OK);
        CHECK_STATUS(bn_release_pages(m + 5, 10), BN_STATUS_OK); /* no whole page: nothing to do */
        CHECK(memcmp(m, data, len) == 0, "released pages read the file again");
        munmap((void*)m, len);
    }
    free(data);
    close(fd);
    unlink(path);
#endif
}

int main(void) {
    check_alloc();
    check_release();
    return test_summary("test_memory");
}
