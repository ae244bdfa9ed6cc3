/*
 * The process-wide worker pool behind tsk_parallel_for: persistent threads, created on first
 * use, and one fork/join in flight at a time.
 *
 * A fork publishes its job and a ticket (width << 32 | tasks not yet claimed). The caller and
 * the workers claim tasks by decrementing the ticket with a CAS, run them, and count them in
 * `done`; the caller returns when `done` covers every task it did not run itself. It never
 * waits for a worker that claimed nothing, so a worker that is asleep, descheduled or slow to
 * wake costs only the share of the work it did not take. Idle workers spin on the `wake`
 * counter for SPIN_NS, then sleep on it (a futex on Linux, a condition variable elsewhere),
 * so forks a few microseconds apart find them awake.
 *
 * A fork that finds the pool busy (another thread's fork, or a task forking again) runs all
 * its tasks on the calling thread: concurrent callers never wait for each other, never
 * deadlock, and never put more threads on the cores than the callers plus the pool.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT, pthread_setname_np */
#endif
#include "tessera_kernels.h"
#include "thread_pool_internal.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

enum { POOL_MAX_THREADS = 256 };

/*
 * How long an idle worker (or a caller waiting for a worker's last task) spins before it
 * sleeps (or yields): longer than the gaps between the GEMMs of one model run (a few
 * microseconds of layer norm or softmax), short enough that an idle pool gives its cores back
 * at once. A sleeping worker costs ~5-50 us to wake, which the caller does not wait for.
 */
#define SPIN_NS 50000u

static struct {
    /* The job: written by the caller holding `busy` before it publishes the ticket, read by a
     * thread only after it claimed one of the job's unfinished tasks, hence never while the
     * next caller rewrites it. */
    tsk_pool_task_fn fn;
    void *ctx;
    size_t tasks;
    size_t started;                     /* workers created; guarded by `busy` */
    _Alignas(64) _Atomic uint64_t ticket; /* width << 32 | tasks not yet claimed */
    _Alignas(64) _Atomic size_t done;   /* tasks finished by workers in this fork */
    _Alignas(64) _Atomic uint32_t wake; /* bumped per fork and to retire workers; the futex word */
    _Atomic uint32_t sleepers;          /* workers asleep, or about to sleep, on `wake` */
    _Atomic size_t live;                /* workers 1..live keep running; higher ones exit */
    _Atomic size_t threads;             /* configured threads, the caller included; 0 = unresolved */
    atomic_flag busy;                   /* held by the caller of the fork in flight */
    pthread_t workers[POOL_MAX_THREADS];
} pool = {.busy = ATOMIC_FLAG_INIT};

#if !defined(__linux__)
static pthread_mutex_t pool_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
#endif

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* ---------------------------------------------------------------- thread count */

static size_t clamp_threads(unsigned long n) {
    return n < 1 ? 1 : n > POOL_MAX_THREADS ? POOL_MAX_THREADS : (size_t)n;
}

/* TESSERA_NUM_THREADS, else the CPUs this process may run on. */
static size_t default_threads(void) {
    const char *env = getenv("TESSERA_NUM_THREADS");
    if (env && *env) {
        char *end;
        unsigned long n = strtoul(env, &end, 10);
        if (*end == '\0' && n > 0) return clamp_threads(n);
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
#if defined(__linux__)
    /* A container's cpuset (or taskset) may allow fewer CPUs than are online. */
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int allowed = CPU_COUNT(&set);
        if (allowed > 0 && allowed < n) n = allowed;
    }
#endif
    return clamp_threads(n > 0 ? (unsigned long)n : 1);
}

size_t tsk_pool_threads(void) {
    /* relaxed: the count is a setting, not a publication of other memory */
    size_t n = atomic_load_explicit(&pool.threads, memory_order_relaxed);
    if (n) return n;
    size_t unresolved = 0;
    n = default_threads();
    if (!atomic_compare_exchange_strong_explicit(&pool.threads, &unresolved, n, memory_order_relaxed,
                                                 memory_order_relaxed))
        n = unresolved;
    return n;
}

/* ---------------------------------------------------------------- sleeping and waking */

/* Wakes every idle worker to look at the ticket (or at `live`), published before this call. */
static void wake_workers(void) {
    /* seq_cst (so also release: a worker that sees the bump sees the ticket), and ordered
     * before the sleepers load: either a worker going to sleep sees this bump, or we see it. */
    atomic_fetch_add_explicit(&pool.wake, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&pool.sleepers, memory_order_seq_cst) == 0) return;
#if defined(__linux__)
    syscall(SYS_futex, &pool.wake, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#else
    pthread_mutex_lock(&pool_mutex);
    pthread_cond_broadcast(&pool_cond);
    pthread_mutex_unlock(&pool_mutex);
#endif
}

/* Blocks until `wake` moves off `seen`: spinning for SPIN_NS, then asleep. */
static void wait_for_wake(uint32_t seen) {
    uint64_t start = now_ns();
    for (unsigned i = 1;; i++) {
        /* acquire: pairs with wake_workers, so the ticket published before the bump is seen */
        if (atomic_load_explicit(&pool.wake, memory_order_acquire) != seen) return;
        cpu_relax();
        if (i % 32 == 0 && now_ns() - start > SPIN_NS) break;
    }
    /* seq_cst: the other half of wake_workers' bump-then-check (see there). */
    atomic_fetch_add_explicit(&pool.sleepers, 1, memory_order_seq_cst);
#if defined(__linux__)
    /* The kernel re-checks the word, so a bump between our load and the wait is not lost. */
    while (atomic_load_explicit(&pool.wake, memory_order_seq_cst) == seen)
        syscall(SYS_futex, &pool.wake, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
#else
    pthread_mutex_lock(&pool_mutex);
    while (atomic_load_explicit(&pool.wake, memory_order_seq_cst) == seen) pthread_cond_wait(&pool_cond, &pool_mutex);
    pthread_mutex_unlock(&pool_mutex);
#endif
    /* relaxed: only ever compared with zero to skip a needless wake-up call */
    atomic_fetch_sub_explicit(&pool.sleepers, 1, memory_order_relaxed);
}

/* ---------------------------------------------------------------- the fork */

/*
 * Claims and runs tasks of the current job until none is left; returns how many it ran.
 * Every task it runs belongs to one job: that job cannot finish, and the next one cannot be
 * published, while this thread holds tasks it has not yet counted in `done`.
 */
static size_t participate(size_t slot) {
    size_t ran = 0;
    /* relaxed: a worker got here through an acquire of `wake`, the caller wrote the ticket */
    uint64_t t = atomic_load_explicit(&pool.ticket, memory_order_relaxed);
    for (;;) {
        uint32_t left = (uint32_t)t;
        if (left == 0 || slot >= (t >> 32)) return ran;
        /* acquire on success: pairs with the caller's release of the ticket, so the job fields
         * are visible; relaxed on failure, which only retries. */
        if (atomic_compare_exchange_weak_explicit(&pool.ticket, &t, t - 1, memory_order_acquire,
                                                  memory_order_relaxed)) {
            pool.fn(pool.ctx, pool.tasks - left, slot);
            ran++;
            t = atomic_load_explicit(&pool.ticket, memory_order_relaxed);
        }
    }
}

static void *worker_main(void *arg) {
    const size_t self = (size_t)(uintptr_t)arg;
#if defined(__linux__)
    pthread_setname_np(pthread_self(), "tessera-pool");
#endif
    for (;;) {
        /* acquire: see wait_for_wake */
        uint32_t seen = atomic_load_explicit(&pool.wake, memory_order_acquire);
        /* relaxed: `live` is written before a bump of `wake` that we acquired */
        if (self > atomic_load_explicit(&pool.live, memory_order_relaxed)) return NULL;
        size_t ran = participate(self);
        /* release: pairs with the caller's acquire of `done`, publishing the tasks' writes */
        if (ran) atomic_fetch_add_explicit(&pool.done, ran, memory_order_release);
        wait_for_wake(seen);
    }
}

static void after_fork_in_child(void) {
    /* The child has none of the parent's workers; it starts over with none (relaxed: the
     * child has a single thread). */
    pool.started = 0;
    atomic_store_explicit(&pool.live, 0, memory_order_relaxed);
    atomic_store_explicit(&pool.sleepers, 0, memory_order_relaxed);
    atomic_flag_clear_explicit(&pool.busy, memory_order_relaxed);
}

static void register_fork_handler(void) { pthread_atfork(NULL, NULL, after_fork_in_child); }

/*
 * Brings the workers to threads - 1: retires (and joins) the surplus, creates the missing.
 * Returns the workers running. Called with `busy` held, so no fork is in flight.
 */
static size_t reconcile(size_t threads) {
    const size_t want = threads - 1;
    if (pool.started > want) {
        /* relaxed: published to the workers by wake_workers' bump */
        atomic_store_explicit(&pool.live, want, memory_order_relaxed);
        wake_workers();
        for (size_t i = want; i < pool.started; i++) pthread_join(pool.workers[i], NULL);
        pool.started = want;
    }
    if (pool.started < want) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, register_fork_handler);
        /* relaxed: pthread_create orders it before the new threads start */
        atomic_store_explicit(&pool.live, want, memory_order_relaxed);
        /* Workers start with every signal blocked: signals go to the application's threads. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        while (pool.started < want &&
               pthread_create(&pool.workers[pool.started], NULL, worker_main, (void *)(uintptr_t)(pool.started + 1)) == 0)
            pool.started++;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (pool.started < want) {
            /* Out of threads: settle for the ones we have rather than retry on every fork. */
            atomic_store_explicit(&pool.live, pool.started, memory_order_relaxed);
            atomic_store_explicit(&pool.threads, pool.started + 1, memory_order_relaxed);
        }
    }
    return pool.started;
}

size_t tsk_pool_set_threads(size_t threads) {
    size_t n = threads ? clamp_threads(threads) : default_threads();
    /* relaxed: a setting; forks read it when they start */
    atomic_store_explicit(&pool.threads, n, memory_order_relaxed);
    /* Retire surplus workers now unless a fork is in flight (then the next fork does it);
     * acquire and release as in tsk_pool_run, whose lock this is. */
    if (!atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) {
        if (pool.started >= n) reconcile(n);
        atomic_flag_clear_explicit(&pool.busy, memory_order_release);
    }
    return n;
}

static void run_inline(size_t tasks, tsk_pool_task_fn fn, void *ctx) {
    for (size_t i = 0; i < tasks; i++) fn(ctx, i, 0);
}

void tsk_pool_run(size_t tasks, size_t max_width, tsk_pool_task_fn fn, void *ctx) {
    size_t threads = tsk_pool_threads();
    size_t width = threads < max_width ? threads : max_width;
    if (width > tasks) width = tasks;
    /* acquire: pairs with the previous caller's release, so its job is over for us too */
    if (width < 2 || tasks > UINT32_MAX || atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) {
        run_inline(tasks, fn, ctx);
        return;
    }
    size_t workers = reconcile(threads);
    if (width > workers + 1) width = workers + 1;
    if (width < 2) {
        atomic_flag_clear_explicit(&pool.busy, memory_order_release);
        run_inline(tasks, fn, ctx);
        return;
    }
    pool.fn = fn;
    pool.ctx = ctx;
    pool.tasks = tasks;
    /* relaxed: ordered before the workers' adds by the ticket's release below */
    atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
    /* release: publishes the job fields to every thread that claims a task */
    atomic_store_explicit(&pool.ticket, (uint64_t)width << 32 | (uint64_t)tasks, memory_order_release);
    wake_workers();

    const size_t theirs = tasks - participate(0);
    uint64_t start = 0;
    /* acquire: pairs with the workers' release adds, so their tasks' writes are visible */
    for (unsigned i = 1; atomic_load_explicit(&pool.done, memory_order_acquire) != theirs; i++) {
        /* A worker is finishing its last task: spin briefly, then yield in case it was
         * preempted on a busy machine. */
        if (i % 32 == 0) {
            uint64_t t = now_ns();
            if (!start) start = t;
            else if (t - start > SPIN_NS) sched_yield();
        }
        cpu_relax();
    }
    /* release: the next caller's acquire orders its job after this one */
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
}

/* ---------------------------------------------------------------- the public form */

typedef struct plain_job {
    void (*fn)(void *ctx, size_t task);
    void *ctx;
} plain_job;

static void run_plain(void *ctx, size_t task, size_t slot) {
    (void)slot;
    const plain_job *job = ctx;
    job->fn(job->ctx, task);
}

void tsk_parallel_for(size_t tasks, void (*fn)(void *ctx, size_t task), void *ctx) {
    plain_job job = {fn, ctx};
    tsk_pool_run(tasks, SIZE_MAX, run_plain, &job);
}
