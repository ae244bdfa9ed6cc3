/*
 * Times Tessera's SGEMM on one shape and prints one line per configuration:
 *
 *     tessera M N K THREADS MODE GFLOPS
 *
 * MODE "sgemm" packs B on every call, like numpy's matmul: tsk_sgemm on one thread; on two,
 * tsk_pack_b (on the calling thread) + the two-thread row split + tsk_packed_b_free.
 * MODE "packed" uses a B packed once beforehand (how the engine runs a model's weights):
 * tsk_sgemm_packed on one thread, the row split on two. The row split: the calling thread
 * and one persistent worker each run tsk_sgemm_packed_rows on half of the rows, handed off
 * through a spinning flag the way the engine's worker pool does, so thread creation is not
 * timed. Every configuration is timed in several trials and
 * the best trial is reported (the machine may be shared).
 *
 * Build (run.sh does): cc -O2 -I ../../Sources/CTesseraKernels/include, every .c file of
 * ../../Sources/CTesseraKernels, this file, -lpthread -lm; no -march flags.
 * Run: ./bench_gemm M N K [TRIALS] [SECONDS_PER_TRIAL]
 */
#include "tessera_kernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct problem {
    size_t m, n, k;
    float *a, *b, *c;
    tsk_packed_b *packed;
} problem;

/* ---- a two-thread "pool": the worker spins on a generation counter */

/* Spin a little, then yield: on a busy machine a pure spin can burn a whole time slice
 * waiting for a thread that is not running. */
static void pause_briefly(unsigned *spins) {
    if (++*spins > 2000) sched_yield();
}

static struct {
    _Atomic unsigned long go, done;
    _Atomic int quit;
    problem *p;
    size_t m0, m1;
} worker;

static void *worker_main(void *unused) {
    (void)unused;
    unsigned long seen = 0;
    for (;;) {
        unsigned long g;
        unsigned spins = 0;
        while ((g = atomic_load_explicit(&worker.go, memory_order_acquire)) == seen) {
            if (atomic_load_explicit(&worker.quit, memory_order_relaxed)) return NULL;
            pause_briefly(&spins);
        }
        seen = g;
        problem *p = worker.p;
        tsk_sgemm_packed_rows(TSK_VARIANT_AUTO, worker.m0, worker.m1, p->a, p->k, p->packed, 0.0f, p->c, p->n, NULL);
        atomic_store_explicit(&worker.done, g, memory_order_release);
    }
}

static void run_two_threads(problem *p) {
    size_t half = p->m / 2;
    worker.p = p; /* published to the worker by the release increment below */
    worker.m0 = half;
    worker.m1 = p->m;
    unsigned long g = atomic_fetch_add_explicit(&worker.go, 1, memory_order_release) + 1;
    tsk_sgemm_packed_rows(TSK_VARIANT_AUTO, 0, half, p->a, p->k, p->packed, 0.0f, p->c, p->n, NULL);
    unsigned spins = 0;
    while (atomic_load_explicit(&worker.done, memory_order_acquire) != g) pause_briefly(&spins);
}

typedef enum { MODE_SGEMM, MODE_PACKED, MODE_SGEMM_2T, MODE_PACKED_2T } mode;

static void run_once(problem *p, mode md) {
    switch (md) {
    case MODE_SGEMM:
        tsk_sgemm(TSK_VARIANT_AUTO, 0, 0, p->m, p->n, p->k, 1.0f, p->a, p->k, p->b, p->n, 0.0f, p->c, p->n);
        break;
    case MODE_PACKED: tsk_sgemm_packed(TSK_VARIANT_AUTO, p->m, p->a, p->k, p->packed, 0.0f, p->c, p->n, NULL); break;
    case MODE_SGEMM_2T: {
        problem q = *p;
        q.packed = tsk_pack_b(TSK_VARIANT_AUTO, 0, p->k, p->n, p->b, p->n);
        run_two_threads(&q);
        tsk_packed_b_free(q.packed);
        break;
    }
    case MODE_PACKED_2T: run_two_threads(p); break;
    }
}

static double best_gflops(problem *p, mode md, int trials, double seconds) {
    double flops = 2.0 * (double)p->m * (double)p->n * (double)p->k;
    run_once(p, md); /* warm caches and the allocator */
    double t0 = now();
    run_once(p, md);
    double once = now() - t0;
    long reps = once > 0 ? (long)(seconds / once) : 1000;
    if (reps < 1) reps = 1;
    double best = 0;
    for (int t = 0; t < trials; t++) {
        double start = now();
        for (long r = 0; r < reps; r++) run_once(p, md);
        double g = flops * (double)reps / (now() - start) / 1e9;
        if (g > best) best = g;
    }
    return best;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s M N K [TRIALS] [SECONDS_PER_TRIAL]\n", argv[0]);
        return 2;
    }
    problem p = {(size_t)atol(argv[1]), (size_t)atol(argv[2]), (size_t)atol(argv[3]), NULL, NULL, NULL, NULL};
    int trials = argc > 4 ? atoi(argv[4]) : 5;
    double seconds = argc > 5 ? atof(argv[5]) : 0.25;
    p.a = malloc(p.m * p.k * sizeof(float));
    p.b = malloc(p.k * p.n * sizeof(float));
    p.c = malloc(p.m * p.n * sizeof(float));
    if (!p.a || !p.b || !p.c) return 1;
    unsigned s = 12345;
    for (size_t i = 0; i < p.m * p.k; i++) p.a[i] = (float)((s = s * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;
    for (size_t i = 0; i < p.k * p.n; i++) p.b[i] = (float)((s = s * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;
    p.packed = tsk_pack_b(TSK_VARIANT_AUTO, 0, p.k, p.n, p.b, p.n);
    if (!p.packed) return 1;

    printf("variant %s\n", tsk_sgemm_variant_name(TSK_VARIANT_AUTO));
    printf("tessera %zu %zu %zu 1 sgemm %.1f\n", p.m, p.n, p.k, best_gflops(&p, MODE_SGEMM, trials, seconds));
    printf("tessera %zu %zu %zu 1 packed %.1f\n", p.m, p.n, p.k, best_gflops(&p, MODE_PACKED, trials, seconds));
    fflush(stdout);

    pthread_t thread;
    if (pthread_create(&thread, NULL, worker_main, NULL) != 0) return 1;
    printf("tessera %zu %zu %zu 2 sgemm %.1f\n", p.m, p.n, p.k, best_gflops(&p, MODE_SGEMM_2T, trials, seconds));
    printf("tessera %zu %zu %zu 2 packed %.1f\n", p.m, p.n, p.k, best_gflops(&p, MODE_PACKED_2T, trials, seconds));
    atomic_store(&worker.quit, 1);
    pthread_join(thread, NULL);

    tsk_packed_b_free(p.packed);
    free(p.a);
    free(p.b);
    free(p.c);
    return 0;
}
