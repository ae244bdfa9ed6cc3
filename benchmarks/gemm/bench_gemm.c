/*
 * Times Tessera's SGEMM on one shape and prints one line per configuration:
 *
 *     tessera M N K THREADS MODE GFLOPS
 *
 * MODE "sgemm" is tsk_sgemm, which packs B on every call like numpy's matmul; "packed" is
 * tsk_sgemm_packed with B packed once beforehand (how the engine runs a model's weights).
 * With --int8, also "int8-VARIANT" for each integer GEMM variant this CPU runs (generic,
 * avx2, avx512-vnni, amx-int8): tsk_igemm_packed with uint8 A, int8 B packed once and nonzero
 * per-tensor zero points (MatMulInteger's dynamic-quantization case); its GOP/s counts
 * 2 * M * N * K integer operations like GFLOP/s.
 * THREADS is the worker pool's size (tsk_pool_set_threads, the caller included): both entry
 * points split a large call over the pool themselves. Every configuration is timed in several
 * trials and the best trial is reported (the machine may be shared).
 *
 * Build (run.sh does): cc -O2 -I ../../Sources/CTesseraKernels/include, every .c file of
 * ../../Sources/CTesseraKernels, this file, -lpthread -lm; no -march flags.
 * Run: ./bench_gemm [--int8] M N K [TRIALS] [SECONDS_PER_TRIAL] [THREADS...]   (threads default: 1 2)
 */
#include "tessera_kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    uint8_t *a8;
    int8_t *b8;
    int32_t *c32;
    tsk_igemm_packed_b *packed8; /* for the variant being timed */
} problem;

typedef enum { MODE_SGEMM, MODE_PACKED, MODE_INT8 } mode;

static const int32_t a_zero = 131, b_zero = -3;

static void run_once(problem *p, mode md) {
    if (md == MODE_SGEMM)
        tsk_sgemm(TSK_VARIANT_AUTO, 0, 0, p->m, p->n, p->k, 1.0f, p->a, p->k, p->b, p->n, 0.0f, p->c, p->n);
    else if (md == MODE_PACKED)
        tsk_sgemm_packed(TSK_VARIANT_AUTO, p->m, p->a, p->k, p->packed, 0.0f, p->c, p->n, NULL);
    else
        tsk_igemm_packed(TSK_VARIANT_AUTO, p->m, p->a8, p->k, 0, &a_zero, 0, p->packed8, p->c32, p->n);
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
    const char *program = argv[0];
    int int8 = argc > 1 && strcmp(argv[1], "--int8") == 0;
    if (int8) {
        argc--;
        argv++;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: %s [--int8] M N K [TRIALS] [SECONDS_PER_TRIAL] [THREADS...]\n", program);
        return 2;
    }
    problem p = {(size_t)atol(argv[1]), (size_t)atol(argv[2]), (size_t)atol(argv[3]), NULL, NULL, NULL, NULL,
                 NULL, NULL, NULL, NULL};
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
    static const tsk_variant int8_variants[] = {TSK_VARIANT_GENERIC, TSK_VARIANT_AVX2, TSK_VARIANT_AVX512_VNNI,
                                                TSK_VARIANT_AMX_INT8};
    tsk_igemm_packed_b *packed8[4] = {NULL, NULL, NULL, NULL};
    if (int8) {
        p.a8 = malloc(p.m * p.k);
        p.b8 = malloc(p.k * p.n);
        p.c32 = malloc(p.m * p.n * sizeof(int32_t));
        if (!p.a8 || !p.b8 || !p.c32) return 1;
        for (size_t i = 0; i < p.m * p.k; i++) p.a8[i] = (uint8_t)((s = s * 1103515245u + 12345u) >> 16);
        for (size_t i = 0; i < p.k * p.n; i++) p.b8[i] = (int8_t)((s = s * 1103515245u + 12345u) >> 16);
        /* NULL for a variant this CPU cannot run: it is skipped. */
        for (int v = 0; v < 4; v++) packed8[v] = tsk_igemm_pack_b(int8_variants[v], p.k, p.n, p.b8, p.n, 1, &b_zero, 0);
        printf("int8 variant %s\n", tsk_igemm_variant_name(TSK_VARIANT_AUTO));
    }

    printf("variant %s\n", tsk_sgemm_variant_name(TSK_VARIANT_AUTO));
    static char *default_threads[] = {"1", "2"};
    char **threads = argc > 6 ? argv + 6 : default_threads;
    int thread_counts = argc > 6 ? argc - 6 : 2;
    for (int t = 0; t < thread_counts; t++) {
        size_t n = tsk_pool_set_threads((size_t)atol(threads[t]));
        printf("tessera %zu %zu %zu %zu sgemm %.1f\n", p.m, p.n, p.k, n, best_gflops(&p, MODE_SGEMM, trials, seconds));
        printf("tessera %zu %zu %zu %zu packed %.1f\n", p.m, p.n, p.k, n, best_gflops(&p, MODE_PACKED, trials, seconds));
        for (int v = 0; v < 4; v++) {
            if (!packed8[v]) continue;
            p.packed8 = packed8[v];
            printf("tessera %zu %zu %zu %zu int8-%s %.1f\n", p.m, p.n, p.k, n, tsk_igemm_variant_name(int8_variants[v]),
                   best_gflops(&p, MODE_INT8, trials, seconds));
        }
        fflush(stdout);
    }
    for (int v = 0; v < 4; v++) tsk_igemm_packed_b_free(packed8[v]);
    free(p.a8);
    free(p.b8);
    free(p.c32);

    tsk_packed_b_free(p.packed);
    free(p.a);
    free(p.b);
    free(p.c);
    return 0;
}
