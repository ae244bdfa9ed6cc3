/*
 * Times Tessera's softmax, layernorm and GELU (exact, erf form) kernels on one shape and
 * prints one line per op and thread count:
 *
 *     tessera OP ROWS WIDTH THREADS MICROSECONDS_PER_CALL
 *
 * THREADS is 1 (tsk_pool_set_threads(1)) and then the pool's default (the CPUs this process
 * may use), for which large calls are split over the worker pool. OP "gelu-libm" is the
 * GENERIC variant of GELU, the C library's erfcf per element, on one thread: the path the
 * AVX2 variant replaced.
 *
 * The shapes are a transformer's: softmax over attention scores [rows, width], layernorm and
 * GELU over hidden states. Each op is timed in several trials of repeated calls on the same
 * buffers (warm cache, as inside a model) and the best trial is reported.
 *
 * Build (run.sh does): cc -O2 -I ../../Sources/CTesseraKernels/include, every .c file of
 * ../../Sources/CTesseraKernels, this file, -lpthread -lm; no -march flags.
 * Run: ./bench_ops ROWS WIDTH [TRIALS] [SECONDS_PER_TRIAL]
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

typedef struct buffers {
    size_t rows, width;
    float *x, *y, *scale, *bias;
} buffers;

static void run_op(const char *op, const buffers *b) {
    if (strcmp(op, "softmax") == 0) {
        tsk_softmax_f32(TSK_VARIANT_AUTO, 0, b->rows, b->width, 1, b->x, b->y);
    } else if (strcmp(op, "layernorm") == 0) {
        tsk_layernorm_f32(TSK_VARIANT_AUTO, b->rows, b->width, b->x, b->scale, b->bias, 1e-12f, b->y);
    } else if (strcmp(op, "gelu") == 0) {
        tsk_unary_f32(TSK_VARIANT_AUTO, TSK_UNARY_GELU_ERF, b->rows * b->width, b->x, b->y);
    } else {
        tsk_unary_f32(TSK_VARIANT_GENERIC, TSK_UNARY_GELU_ERF, b->rows * b->width, b->x, b->y);
    }
}

/* Best microseconds per call over `trials` trials of about `seconds` each. */
static double best_us(const char *op, const buffers *b, int trials, double seconds) {
    double best = 1e30;
    for (int trial = 0; trial < trials; trial++) {
        long calls = 0;
        double start = now(), elapsed;
        do {
            run_op(op, b);
            calls++;
            elapsed = now() - start;
        } while (elapsed < seconds);
        double us = elapsed / (double)calls * 1e6;
        if (us < best) best = us;
    }
    return best;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ROWS WIDTH [TRIALS] [SECONDS_PER_TRIAL]\n", argv[0]);
        return 2;
    }
    buffers b = {(size_t)atol(argv[1]), (size_t)atol(argv[2]), NULL, NULL, NULL, NULL};
    int trials = argc > 3 ? atoi(argv[3]) : 5;
    double seconds = argc > 4 ? atof(argv[4]) : 0.2;
    size_t count = b.rows * b.width;
    b.x = malloc(count * sizeof(float));
    b.y = malloc(count * sizeof(float));
    b.scale = malloc(b.width * sizeof(float));
    b.bias = malloc(b.width * sizeof(float));
    if (!b.x || !b.y || !b.scale || !b.bias) return 1;
    /* The same deterministic values compare.py gives numpy: a sawtooth in [-4, 4). */
    for (size_t i = 0; i < count; i++) b.x[i] = (float)((double)(i % 1000) / 125.0 - 4.0);
    for (size_t i = 0; i < b.width; i++) {
        b.scale[i] = 1.0f + (float)i / (float)b.width;
        b.bias[i] = (float)i / (float)b.width - 0.5f;
    }
    const char *ops[] = {"softmax", "layernorm", "gelu", "gelu-libm"};
    size_t pool = tsk_pool_set_threads(0);
    for (int i = 0; i < 4; i++) {
        size_t counts[2] = {1, pool};
        for (int j = 0; j < (i < 3 && pool > 1 ? 2 : 1); j++) {
            tsk_pool_set_threads(counts[j]);
            printf("tessera %s %zu %zu %zu %.3f\n", ops[i], b.rows, b.width, counts[j], best_us(ops[i], &b, trials, seconds));
        }
    }
    tsk_pool_set_threads(0);
    free(b.x);
    free(b.y);
    free(b.scale);
    free(b.bias);
    return 0;
}
