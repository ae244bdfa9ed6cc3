/*
 * Fork/join overhead of Tessera's worker pool (tsk_parallel_for) against creating a thread
 * per call, the naive baseline. Every call runs 2 tasks on 2 threads:
 *
 *  - "empty": both tasks return at once. The caller may well run both before the worker
 *    looks, which is the point: this is the least a fork costs.
 *  - "rendezvous": each task waits until the other has started (up to 1 ms), so both threads
 *    must take part: this is a full fork and join across two cores.
 *
 * Calls run back to back (the time per call is total time / calls, best of 5 trials), or
 * after an idle gap (busy-waiting 5 us, or sleeping 1 ms, so the workers have gone to sleep),
 * timing each call alone and reporting the median and the 99th percentile. The baseline
 * creates one pthread for the second task and joins it.
 *
 * Build (run.sh does): cc -O2 -I ../../Sources/CTesseraKernels/include, every .c file of
 * ../../Sources/CTesseraKernels, this file, -lpthread -lm; no -march flags.
 * Run: ./bench_pool [CALLS]
 */
#include "tessera_kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* ---- the tasks */

static void empty_task(void *ctx, size_t task) {
    (void)ctx;
    (void)task;
}

typedef struct rendezvous {
    _Atomic int arrived;
    _Atomic long missed; /* a task that gave up waiting: the other never ran alongside it */
} rendezvous;

static void rendezvous_task(void *ctx, size_t task) {
    (void)task;
    rendezvous *r = ctx;
    atomic_fetch_add(&r->arrived, 1);
    double start = now_ns();
    while (atomic_load(&r->arrived) < 2)
        if (now_ns() - start > 1e6) {
            atomic_fetch_add(&r->missed, 1);
            return;
        }
}

/* ---- the two ways to fork */

typedef void (*task_fn)(void *ctx, size_t task);

static void fork_pool(task_fn fn, void *ctx) { tsk_parallel_for(2, fn, ctx); }

typedef struct spawned {
    task_fn fn;
    void *ctx;
} spawned;

static void *spawned_main(void *arg) {
    spawned *s = arg;
    s->fn(s->ctx, 1);
    return NULL;
}

static void fork_spawn(task_fn fn, void *ctx) {
    spawned s = {fn, ctx};
    pthread_t thread;
    if (pthread_create(&thread, NULL, spawned_main, &s) != 0) abort();
    fn(ctx, 0);
    pthread_join(thread, NULL);
}

/* ---- measurement */

typedef enum { BACK_TO_BACK, GAP_5US, GAP_1MS } gap;

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Mean ns per call (back to back), or the median and p99 of single calls after a gap. */
static void measure(void (*fork)(task_fn, void *), task_fn fn, gap g, long calls, double *median, double *p99,
                    long *missed) {
    rendezvous r = {0, 0};
    for (long i = 0; i < 100; i++) { /* warm up: create the workers, fault in the stacks */
        atomic_store(&r.arrived, 0);
        fork(fn, &r);
    }
    atomic_store(&r.missed, 0);
    if (g == BACK_TO_BACK) {
        /* The best of 5 trials: the machine may be shared. */
        *median = 1e30;
        for (int trial = 0; trial < 5; trial++) {
            double start = now_ns();
            for (long i = 0; i < calls / 5; i++) {
                atomic_store(&r.arrived, 0);
                fork(fn, &r);
            }
            double mean = (now_ns() - start) / (double)(calls / 5);
            if (mean < *median) *median = mean;
        }
        *p99 = *median;
    } else {
        if (g == GAP_1MS && calls > 2000) calls = 2000;
        double *times = malloc(sizeof(double) * (size_t)calls);
        for (long i = 0; i < calls; i++) {
            atomic_store(&r.arrived, 0);
            if (g == GAP_5US) {
                double until = now_ns() + 5000;
                while (now_ns() < until) {
                }
            } else {
                struct timespec pause = {0, 1000000};
                nanosleep(&pause, NULL);
            }
            double start = now_ns();
            fork(fn, &r);
            times[i] = now_ns() - start;
        }
        qsort(times, (size_t)calls, sizeof(double), by_value);
        *median = times[calls / 2];
        *p99 = times[calls * 99 / 100];
        free(times);
    }
    *missed = atomic_load(&r.missed);
}

int main(int argc, char **argv) {
    long calls = argc > 1 ? atol(argv[1]) : 200000;
    tsk_pool_set_threads(2);
    static const struct {
        const char *name;
        task_fn fn;
        gap g;
    } rows[] = {
        {"empty x2, back to back (mean)", empty_task, BACK_TO_BACK},
        {"empty x2, 5 us gaps (median / p99)", empty_task, GAP_5US},
        {"rendezvous x2, back to back (mean)", rendezvous_task, BACK_TO_BACK},
        {"rendezvous x2, 5 us gaps (median / p99)", rendezvous_task, GAP_5US},
        {"rendezvous x2, 1 ms sleeps (median / p99)", rendezvous_task, GAP_1MS},
    };
    printf("pool threads %zu; ns per call, %ld calls per cell (2000 with 1 ms sleeps)\n\n", tsk_pool_threads(), calls);
    printf("| 2 tasks on 2 threads | tsk_parallel_for | pthread_create + join per call | ratio |\n");
    printf("|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double pm, pp, sm, sp;
        long pmiss, smiss;
        long n = rows[i].g == BACK_TO_BACK ? calls : calls / 4;
        measure(fork_pool, rows[i].fn, rows[i].g, n, &pm, &pp, &pmiss);
        measure(fork_spawn, rows[i].fn, rows[i].g, n / 10, &sm, &sp, &smiss);
        char pool[64], spawn[64];
        if (rows[i].g == BACK_TO_BACK) {
            snprintf(pool, sizeof pool, "%.0f", pm);
            snprintf(spawn, sizeof spawn, "%.0f", sm);
        } else {
            snprintf(pool, sizeof pool, "%.0f / %.0f", pm, pp);
            snprintf(spawn, sizeof spawn, "%.0f / %.0f", sm, sp);
        }
        printf("| %s | %s | %s | %.0fx |", rows[i].name, pool, spawn, sm / pm);
        if (pmiss || smiss) printf(" (tasks that ran alone: pool %ld, spawn %ld)", pmiss, smiss);
        printf("\n");
    }
    return 0;
}
