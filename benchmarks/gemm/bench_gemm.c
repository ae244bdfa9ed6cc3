/*
 * Times Tessera's SGEMM on one shape and prints one line per configuration:
 *
 *     tessera M N K THREADS MODE GFLOPS
 *
 * MODE "sgemm" is tsk_sgemm, which packs B on every call like numpy's matmul; "packed" is
 * tsk_sgemm_packed with B packed once beforehand (how the engine runs a model's weights).
 * THREADS is the worker pool's size (tsk_pool_set_threads, the caller included): both entry
 * points split a large call over the pool themselves. Every configuration is timed in several
 * trials and the best trial is reported (the machine may be shared).
 *
 * Build (run.sh does): cc -O2 -I ../../Sources/CTesseraKernels/include, every .c file of
 * ../../Sources/CTesseraKernels, this file, -lpthread -lm; no -march flags.
 * Run: ./bench_gemm M N K [TRIALS] [SECONDS_PER_TRIAL] [THREADS...]   (threads default: 1 2)
 */
#include "tessera_kernels.h"

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

typedef enum { MODE_SGEMM, MODE_PACKED } mode;

static void run_once(problem *p, mode md) {
    if (md == MODE_SGEMM)
        tsk_sgemm(TSK_VARIANT_AUTO, 0, 0, p->m, p->n, p->k, 1.0f, p->a, p->k, p->b, p->n, 0.0f, p->c, p->n);
    else
        tsk_sgemm_packed(TSK_VARIANT_AUTO, p->m, p->a, p->k, p->packed, 0.0f, p->c, p->n, NULL);
}

static double best_gflops(problem *p, mode md, int trials, double seconds) {
    double flops = 2.0 * (double)p->m * (double)p->n * (double)p->k;
    run_once(p, md); /* warm caches, the allocator and the pool's workers */
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
        fprintf(stderr, "usage: %s M N K [TRIALS] [SECONDS_PER_TRIAL] [THREADS...]\n", argv[0]);
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
    static char *default_threads[] = {"1", "2"};
    char **threads = argc > 6 ? argv + 6 : default_threads;
    int thread_counts = argc > 6 ? argc - 6 : 2;
    for (int t = 0; t < thread_counts; t++) {
        size_t n = tsk_pool_set_threads((size_t)atol(threads[t]));
        printf("tessera %zu %zu %zu %zu sgemm %.1f\n", p.m, p.n, p.k, n, best_gflops(&p, MODE_SGEMM, trials, seconds));
        printf("tessera %zu %zu %zu %zu packed %.1f\n", p.m, p.n, p.k, n, best_gflops(&p, MODE_PACKED, trials, seconds));
        fflush(stdout);
    }

    tsk_packed_b_free(p.packed);
    free(p.a);
    free(p.b);
    free(p.c);
    return 0;
}
