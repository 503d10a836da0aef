/* A small spin-then-sleep pool that splits one operation over output rows.
 *
 * Per token a model runs a few hundred operations back to back, each tens of microseconds, so
 * the hand-off must cost far less than that: workers spin on the published operation for a while
 * after each one (a new one usually arrives within microseconds) and only then sleep on a
 * condition variable. The calling thread works too. Chunks are claimed from an atomic word, so a
 * core slowed by a noisy neighbour takes fewer of them.
 *
 * An operation is complete when all of its chunks are done, not when every worker has checked in:
 * a worker that is descheduled (a busy machine) or still asleep when an operation arrives simply
 * misses it, and the caller, having claimed the chunks itself, returns without waiting for that
 * worker to be scheduled again (which took 1-2 ms per operation on a loaded two-core machine). To
 * make that safe, a chunk is claimed with a compare-and-swap on one 64-bit word holding the
 * operation's generation, its chunk count and the next chunk: a late worker's claim fails as soon
 * as the generation moved on, so it never runs a chunk of a finished operation, and the operation
 * descriptor (fn, ctx, rows) it reads after a successful claim cannot change before its chunk is
 * done, because the operation cannot complete before that. */
#include "bn_internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#  define WIN32_LEAN_AND_MEAN
#  include <windows.h>
typedef SRWLOCK bn_mutex;
typedef CONDITION_VARIABLE bn_cond;
typedef HANDLE bn_thread;
static void mutex_init(bn_mutex* m) { InitializeSRWLock(m); }
static void mutex_destroy(bn_mutex* m) { (void)m; }
static void mutex_lock(bn_mutex* m) { AcquireSRWLockExclusive(m); }
static void mutex_unlock(bn_mutex* m) { ReleaseSRWLockExclusive(m); }
static void cond_init(bn_cond* c) { InitializeConditionVariable(c); }
static void cond_destroy(bn_cond* c) { (void)c; }
static void cond_wait(bn_cond* c, bn_mutex* m) { SleepConditionVariableSRW(c, m, INFINITE, 0); }
static void cond_broadcast(bn_cond* c) { WakeAllConditionVariable(c); }
static void cpu_relax(void) { YieldProcessor(); }
static void thread_yield(void) { SwitchToThread(); }
#else
#  include <pthread.h>
#  include <sched.h>
typedef pthread_mutex_t bn_mutex;
typedef pthread_cond_t bn_cond;
typedef pthread_t bn_thread;
static void mutex_init(bn_mutex* m) { pthread_mutex_init(m, NULL); }
static void mutex_destroy(bn_mutex* m) { pthread_mutex_destroy(m); }
static void mutex_lock(bn_mutex* m) { pthread_mutex_lock(m); }
static void mutex_unlock(bn_mutex* m) { pthread_mutex_unlock(m); }
static void cond_init(bn_cond* c) { pthread_cond_init(c, NULL); }
static void cond_destroy(bn_cond* c) { pthread_cond_destroy(c); }
static void cond_wait(bn_cond* c, bn_mutex* m) { pthread_cond_wait(c, m); }
static void cond_broadcast(bn_cond* c) { pthread_cond_broadcast(c); }
static void cpu_relax(void) {
#  if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#  elif defined(__aarch64__)
    __asm__ volatile("yield");
#  endif
}
static void thread_yield(void) { sched_yield(); }
#endif

/* How long an idle worker polls before it sleeps: about 0.1-0.5 ms, longer than the gap between
 * two operations of one token, much shorter than the gap between tokens of a slow consumer. */
#define BN_SPIN_ITERATIONS 20000
/* After this many polls a waiting thread also yields its time slice: with more threads than free
 * cores (an oversubscribed machine) the thread it waits for may need exactly that core. */
#define BN_SPINS_BEFORE_YIELD 100000
#define BN_MAX_THREADS 256

/* Fields written by different threads live on separate cache lines, so polling one does not
 * steal the line another thread is about to write. */
#define BN_CACHE_LINE 64

struct bn_threadpool {
    int32_t n_threads;         /* including the caller */
    int32_t spin_iterations;   /* 0 when oversubscribed: then waiting threads sleep at once */
    bn_thread* workers;        /* n_threads - 1 */
    int32_t n_started;

    bn_mutex call_lock;        /* serializes concurrent callers */
    bn_mutex sleep_lock;
    bn_cond wake;
    bn_cond done;

    /* the current operation, written by the caller before it publishes the operation in `claim`;
     * unchanged until all of its chunks are done */
    bn_rows_fn fn;
    const void* ctx;
    int32_t n_rows;
    int32_t chunk_rows;
    uint32_t generation;       /* the caller's count of operations (under call_lock) */

    /* generation << 32 | n_chunks << 16 | next chunk (n_chunks <= 4 * 256 threads fits 16 bits) */
    _Alignas(BN_CACHE_LINE) _Atomic(uint64_t) claim;
    atomic_int stop;
    atomic_int n_sleeping;
    _Alignas(BN_CACHE_LINE) atomic_int chunks_done;
    char pad[BN_CACHE_LINE - sizeof(atomic_int)];
};

static uint32_t claim_generation(uint64_t word) { return (uint32_t)(word >> 32); }

static void* aligned_zalloc(size_t bytes) {
    size_t rounded = (bytes + BN_CACHE_LINE - 1) / BN_CACHE_LINE * BN_CACHE_LINE;
#if defined(_WIN32)
    void* p = _aligned_malloc(rounded, BN_CACHE_LINE);
#else
    void* p = aligned_alloc(BN_CACHE_LINE, rounded);
#endif
    if (p) memset(p, 0, rounded);
    return p;
}

static void aligned_free(void* p) {
#if defined(_WIN32)
    _aligned_free(p);
#else
    free(p);
#endif
}

/* Claims the next chunk of operation `generation`; 0 when that operation has no chunk left or is
 * no longer the current one. */
static int claim_chunk(bn_threadpool* p, uint32_t generation, int32_t* chunk) {
    uint64_t word = atomic_load_explicit(&p->claim, memory_order_acquire);
    for (;;) {
        const uint32_t next = (uint32_t)(word & 0xffffu), n_chunks = (uint32_t)((word >> 16) & 0xffffu);
        if (claim_generation(word) != generation || next >= n_chunks) return 0;
        if (atomic_compare_exchange_weak_explicit(&p->claim, &word, word + 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            *chunk = (int32_t)next;
            return 1;
        }
    }
}

/* Runs chunks of operation `generation` until none is left. */
static void run_chunks(bn_threadpool* p, uint32_t generation) {
    int32_t c;
    while (claim_chunk(p, generation, &c)) {
        const int32_t n_chunks = (p->n_rows + p->chunk_rows - 1) / p->chunk_rows;
        const int32_t begin = c * p->chunk_rows;
        const int32_t end = c == n_chunks - 1 ? p->n_rows : begin + p->chunk_rows;
        p->fn(p->ctx, begin, end);
        if (atomic_fetch_add_explicit(&p->chunks_done, 1, memory_order_acq_rel) + 1 == n_chunks &&
            p->spin_iterations == 0) {
            /* passive mode: the caller may be asleep waiting for the last chunk */
            mutex_lock(&p->sleep_lock);
            cond_broadcast(&p->done);
            mutex_unlock(&p->sleep_lock);
        }
    }
}

#if defined(_WIN32)
static DWORD WINAPI worker_main(LPVOID arg)
#else
static void* worker_main(void* arg)
#endif
{
    bn_threadpool* p = (bn_threadpool*)arg;
    /* Generation 0 is the pool's creation; reading the word here instead would race with a first
     * operation that starts before this thread does, which this thread would then miss (harmless
     * now, but it would also sleep through it). */
    uint32_t seen = 0;
    for (;;) {
        uint32_t gen;
        int spins = 0;
        while ((gen = claim_generation(atomic_load_explicit(&p->claim, memory_order_acquire))) == seen &&
               !atomic_load_explicit(&p->stop, memory_order_relaxed)) {
            if (++spins < p->spin_iterations) {
                if (spins < BN_SPINS_BEFORE_YIELD) cpu_relax();
                else thread_yield();
                continue;
            }
            /* Sleep. The caller publishes the operation, then checks n_sleeping (both seq_cst), so
             * either it sees us and broadcasts under the lock, or we see its new generation here. */
            atomic_fetch_add(&p->n_sleeping, 1);
            mutex_lock(&p->sleep_lock);
            while (claim_generation(atomic_load(&p->claim)) == seen && !atomic_load(&p->stop))
                cond_wait(&p->wake, &p->sleep_lock);
            mutex_unlock(&p->sleep_lock);
            atomic_fetch_sub(&p->n_sleeping, 1);
            spins = 0;
        }
        if (atomic_load(&p->stop)) break;
        seen = gen;
        run_chunks(p, gen);
    }
#if defined(_WIN32)
    return 0;
#else
    return NULL;
#endif
}

static void wake_workers(bn_threadpool* p) {
    if (atomic_load(&p->n_sleeping) > 0) {
        mutex_lock(&p->sleep_lock);
        cond_broadcast(&p->wake);
        mutex_unlock(&p->sleep_lock);
    }
}

BN_API bn_status bn_threadpool_create(int32_t n_threads, bn_threadpool** out_pool) {
    if (!out_pool) return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_threadpool_create: out_pool is NULL");
    *out_pool = NULL;
    if (n_threads < 1 || n_threads > BN_MAX_THREADS)
        return bn_fail(BN_STATUS_INVALID_ARGUMENT, "bn_threadpool_create: n_threads=%d is outside 1..%d", n_threads,
                       BN_MAX_THREADS);
    bn_init();
    bn_threadpool* p = (bn_threadpool*)aligned_zalloc(sizeof *p);
    if (!p) return bn_fail(BN_STATUS_OUT_OF_MEMORY, "bn_threadpool_create: cannot allocate the pool");
    p->n_threads = n_threads;
    /* More threads than cores: a spinning thread would hold the core the others need (measured
     * here: 2 threads hand off in 0.5-0.7 us, 3 spinning threads on 2 cores took 1.3-2 ms per
     * operation). Such pools wait passively on condition variables instead. */
    bn_cpu_features features;
    bn_get_cpu_features(&features);
    p->spin_iterations = n_threads <= features.logical_cpus ? BN_SPIN_ITERATIONS : 0;
    mutex_init(&p->call_lock);
    mutex_init(&p->sleep_lock);
    cond_init(&p->wake);
    cond_init(&p->done);
    atomic_init(&p->n_sleeping, 0);
    atomic_init(&p->claim, (uint64_t)0);
    atomic_init(&p->stop, 0);
    atomic_init(&p->chunks_done, 0);
    if (n_threads > 1) {
        p->workers = (bn_thread*)calloc((size_t)(n_threads - 1), sizeof(bn_thread));
        if (!p->workers) {
            bn_threadpool_free(p);
            return bn_fail(BN_STATUS_OUT_OF_MEMORY, "bn_threadpool_create: cannot allocate %d workers", n_threads - 1);
        }
        for (int32_t i = 0; i < n_threads - 1; i++) {
#if defined(_WIN32)
            p->workers[i] = CreateThread(NULL, 0, worker_main, p, 0, NULL);
            int ok = p->workers[i] != NULL;
#else
            int ok = pthread_create(&p->workers[i], NULL, worker_main, p) == 0;
#endif
            if (!ok) {
                bn_threadpool_free(p);
                return bn_fail(BN_STATUS_INTERNAL, "bn_threadpool_create: cannot start worker %d of %d", i + 1,
                               n_threads - 1);
            }
            p->n_started++;
        }
    }
    *out_pool = p;
    return BN_STATUS_OK;
}

BN_API void bn_threadpool_free(bn_threadpool* pool) {
    if (!pool) return;
    atomic_store(&pool->stop, 1);
    mutex_lock(&pool->sleep_lock);
    cond_broadcast(&pool->wake);
    mutex_unlock(&pool->sleep_lock);
    for (int32_t i = 0; i < pool->n_started; i++) {
#if defined(_WIN32)
        WaitForSingleObject(pool->workers[i], INFINITE);
        CloseHandle(pool->workers[i]);
#else
        pthread_join(pool->workers[i], NULL);
#endif
    }
    free(pool->workers);
    cond_destroy(&pool->wake);
    cond_destroy(&pool->done);
    mutex_destroy(&pool->sleep_lock);
    mutex_destroy(&pool->call_lock);
    aligned_free(pool);
}

BN_API int32_t bn_threadpool_size(const bn_threadpool* pool) { return pool ? pool->n_threads : 1; }

void bn_parallel_rows(bn_threadpool* pool, int32_t n_rows, int32_t grain, bn_rows_fn fn, const void* ctx) {
    if (n_rows <= 0) return;
    if (grain < 1) grain = 1;
    int32_t n_grains = (n_rows + grain - 1) / grain;
    if (!pool || pool->n_threads == 1 || n_grains < 2) {
        fn(ctx, 0, n_rows);
        return;
    }
    /* About four chunks per thread balances load without paying much per claim. */
    int32_t target_chunks = pool->n_threads * 4;
    int32_t grains_per_chunk = (n_grains + target_chunks - 1) / target_chunks;
    int32_t chunk_rows = grains_per_chunk * grain;

    const int32_t n_chunks = (n_rows + chunk_rows - 1) / chunk_rows;

    mutex_lock(&pool->call_lock);
    pool->fn = fn;
    pool->ctx = ctx;
    pool->n_rows = n_rows;
    pool->chunk_rows = chunk_rows;
    atomic_store_explicit(&pool->chunks_done, 0, memory_order_relaxed);
    const uint32_t gen = ++pool->generation == 0 ? ++pool->generation : pool->generation; /* 0 means "none yet" */
    /* seq_cst: publishes the descriptor above, and orders against the n_sleeping check in wake_workers */
    atomic_store(&pool->claim, (uint64_t)gen << 32 | (uint64_t)n_chunks << 16);
    wake_workers(pool);
    run_chunks(pool, gen);
    /* Wait for chunks that workers claimed and are still running; workers that claimed nothing are
     * not waited for. */
    if (pool->spin_iterations > 0) {
        for (int spins = 0; atomic_load_explicit(&pool->chunks_done, memory_order_acquire) < n_chunks; spins++) {
            if (spins < BN_SPINS_BEFORE_YIELD) cpu_relax();
            else thread_yield();
        }
    } else {
        mutex_lock(&pool->sleep_lock);
        while (atomic_load(&pool->chunks_done) < n_chunks) cond_wait(&pool->done, &pool->sleep_lock);
        mutex_unlock(&pool->sleep_lock);
    }
    mutex_unlock(&pool->call_lock);
}
