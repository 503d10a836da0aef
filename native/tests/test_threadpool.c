/* The pool: every row covered exactly once for many shapes and grains, back-to-back operations
 * (the per-token pattern), sleep and wake-up, concurrent callers on one pool, bad arguments. */
#include "testing.h"

#include <stdatomic.h>
#if defined(_WIN32)
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <pthread.h>
#include <unistd.h>
#endif

typedef struct cover_ctx {
    atomic_int* hits;
    int32_t grain;
    int32_t n_rows;
    atomic_int bad_bounds;
} cover_ctx;

static void cover(const void* ctx, int32_t begin, int32_t end) {
    cover_ctx* c = (cover_ctx*)ctx;
    if (begin % c->grain != 0 || end <= begin || end > c->n_rows) atomic_fetch_add(&c->bad_bounds, 1);
    for (int32_t i = begin; i < end; i++) atomic_fetch_add(&c->hits[i], 1);
}

static void check_coverage(bn_threadpool* pool, int32_t n_rows, int32_t grain) {
    atomic_int* hits = xmalloc((size_t)(n_rows > 0 ? n_rows : 1) * sizeof(atomic_int));
    for (int32_t i = 0; i < n_rows; i++) atomic_init(&hits[i], 0);
    cover_ctx c = {hits, grain, n_rows, 0};
    bn_parallel_rows(pool, n_rows, grain, cover, &c);
    int ok = atomic_load(&c.bad_bounds) == 0;
    for (int32_t i = 0; i < n_rows; i++) ok &= atomic_load(&hits[i]) == 1;
    CHECK(ok, "threads=%d rows=%d grain=%d: a row was missed, repeated or a chunk misaligned",
          bn_threadpool_size(pool), n_rows, grain);
    free(hits);
}

static void concurrent_calls(bn_threadpool* pool) {
    for (int i = 0; i < 300; i++) check_coverage(pool, 1000 + i, 8);
}

/* A second thread calling into the same pool while this one does (the pool serializes them). The
 * Win32 branch exercises threadpool.c's SRWLOCK / CONDITION_VARIABLE path the same way. */
#if defined(_WIN32)
static DWORD WINAPI concurrent_caller(LPVOID arg) {
    concurrent_calls((bn_threadpool*)arg);
    return 0;
}
static void run_concurrently(bn_threadpool* pool) {
    HANDLE other = CreateThread(NULL, 0, concurrent_caller, pool, 0, NULL);
    CHECK(other != NULL, "CreateThread");
    concurrent_calls(pool);
    if (other) {
        WaitForSingleObject(other, INFINITE);
        CloseHandle(other);
    }
}
static void sleep_ms(int ms) { Sleep((DWORD)ms); }
#else
static void* concurrent_caller(void* arg) {
    concurrent_calls((bn_threadpool*)arg);
    return NULL;
}
static void run_concurrently(bn_threadpool* pool) {
    pthread_t other;
    int started = pthread_create(&other, NULL, concurrent_caller, pool) == 0;
    CHECK(started, "pthread_create");
    concurrent_calls(pool);
    if (started) pthread_join(other, NULL);
}
static void sleep_ms(int ms) { usleep((useconds_t)ms * 1000); }
#endif

int main(void) {
    const int32_t rows[] = {0, 1, 7, 8, 9, 63, 64, 65, 640, 2560, 6912, 128256};
    const int32_t grains[] = {1, 4, 8, 16, 1000};
    for (int threads = 1; threads <= 4; threads++) {
        bn_threadpool* pool = NULL;
        CHECK_STATUS(bn_threadpool_create(threads, &pool), BN_STATUS_OK);
        CHECK(bn_threadpool_size(pool) == threads, "pool size");
        for (size_t r = 0; r < sizeof rows / sizeof *rows; r++)
            for (size_t g = 0; g < sizeof grains / sizeof *grains; g++) check_coverage(pool, rows[r], grains[g]);
        for (int i = 0; i < 20000; i++) check_coverage(pool, 64, 8); /* back to back, as within a token */
        sleep_ms(20); /* long enough for the workers to fall asleep */
        check_coverage(pool, 6912, 8);
        run_concurrently(pool);
        bn_threadpool_free(pool);
    }
    check_coverage(NULL, 100, 8);
    bn_threadpool* pool = (bn_threadpool*)0x1;
    CHECK_STATUS(bn_threadpool_create(0, &pool), BN_STATUS_INVALID_ARGUMENT);
    CHECK(pool == NULL, "failed create leaves NULL");
    CHECK_STATUS(bn_threadpool_create(257, &pool), BN_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(bn_threadpool_create(2, NULL), BN_STATUS_INVALID_ARGUMENT);
    bn_threadpool_free(NULL);
    CHECK(bn_threadpool_size(NULL) == 1, "NULL pool size");
    return test_summary("test_threadpool");
}
