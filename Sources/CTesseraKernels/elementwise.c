#include "tessera_kernels.h"
#include "thread_pool_internal.h"
#include "vmath_internal.h"

#include <math.h>

/* ---------------------------------------------------------------- binary */

/*
 * One loop per (op, step pattern) so the compiler sees plain unit-stride loops it can
 * vectorize; the same body is instantiated once for baseline and once under
 * target("avx2,fma"), where auto-vectorization then uses 8-wide registers.
 */
#define TSK_BINARY_LOOPS(OP)                                              \
    do {                                                                  \
        if (a_step && b_step) {                                           \
            for (size_t i = 0; i < n; i++) out[i] = a[i] OP b[i];         \
        } else if (a_step) {                                              \
            const float s = b[0];                                         \
            for (size_t i = 0; i < n; i++) out[i] = a[i] OP s;            \
        } else if (b_step) {                                              \
            const float s = a[0];                                         \
            for (size_t i = 0; i < n; i++) out[i] = s OP b[i];            \
        } else {                                                          \
            const float v = a[0] OP b[0];                                 \
            for (size_t i = 0; i < n; i++) out[i] = v;                    \
        }                                                                 \
    } while (0)

#define TSK_DEFINE_BINARY(NAME, ATTR)                                                                \
    ATTR static void NAME(tsk_binary_op op, size_t n, const float *a, size_t a_step, const float *b, \
                          size_t b_step, float *out) {                                               \
        switch (op) {                                                                                \
        case TSK_BINARY_ADD: TSK_BINARY_LOOPS(+); break;                                             \
        case TSK_BINARY_SUB: TSK_BINARY_LOOPS(-); break;                                             \
        case TSK_BINARY_MUL: TSK_BINARY_LOOPS(*); break;                                             \
        case TSK_BINARY_DIV: TSK_BINARY_LOOPS(/); break;                                             \
        }                                                                                            \
    }

TSK_DEFINE_BINARY(binary_generic, )
#if defined(__x86_64__)
TSK_DEFINE_BINARY(binary_avx2, __attribute__((target("avx2,fma"))))
#endif

/*
 * Calls are split over the worker pool in blocks of 16 elements (a cache line), at least
 * BINARY_MIN_TASK elements per task: each element is computed alone, so any split gives the
 * same bits. The size keeps a task at tens of microseconds (measured with benchmarks/ops).
 */
enum { ELEMENT_BLOCK = 16, BINARY_MIN_TASK = 1 << 16 };

typedef struct binary_job {
    tsk_variant variant;
    tsk_binary_op op;
    size_t n, a_step, b_step, tasks;
    const float *a, *b;
    float *out;
} binary_job;

static void binary_range(const binary_job *job, size_t lo, size_t hi) {
    const float *a = job->a + lo * job->a_step, *b = job->b + lo * job->b_step;
#if defined(__x86_64__)
    if (job->variant == TSK_VARIANT_AVX2) {
        binary_avx2(job->op, hi - lo, a, job->a_step, b, job->b_step, job->out + lo);
        return;
    }
#endif
    binary_generic(job->op, hi - lo, a, job->a_step, b, job->b_step, job->out + lo);
}

static void binary_task(void *ctx, size_t task) {
    const binary_job *job = ctx;
    size_t lo, hi;
    tsk_split_range((job->n + ELEMENT_BLOCK - 1) / ELEMENT_BLOCK, job->tasks, task, &lo, &hi);
    lo *= ELEMENT_BLOCK;
    hi = hi * ELEMENT_BLOCK < job->n ? hi * ELEMENT_BLOCK : job->n;
    if (lo < hi) binary_range(job, lo, hi);
}

int tsk_binary_f32(tsk_variant variant, tsk_binary_op op, size_t n, const float *a, size_t a_step, const float *b,
                   size_t b_step, float *out) {
    tsk_variant resolved = tsk_vmath_resolve(variant);
    if (resolved != TSK_VARIANT_GENERIC && resolved != TSK_VARIANT_AVX2) return 0;
    if (n == 0) return 1;
    binary_job job = {resolved, op, n, a_step, b_step, 0, a, b, out};
    job.tasks = tsk_split_tasks(n, BINARY_MIN_TASK);
    if (job.tasks == 1) binary_range(&job, 0, n);
    else tsk_parallel_for(job.tasks, binary_task, &job);
    return 1;
}

/* ---------------------------------------------------------------- unary, scalar */

static const float kSqrtHalf = 0.70710678118654752f;
static const float kSqrtTwoOverPi = 0.79788456080286536f;

static float gelu_tanh_scalar(float x) {
    /* (1 + tanh(u)) / 2 == 1 / (1 + e^(-2u)): no cancellation when tanh(u) is near -1. */
    float u = kSqrtTwoOverPi * (x + 0.044715f * x * x * x);
    return x / (1.0f + expf(-2.0f * u));
}

static void unary_generic(tsk_unary_op op, size_t n, const float *x, float *y) {
    switch (op) {
    case TSK_UNARY_RELU:
        /* Written so NaN passes through, as max(0, NaN) does in ONNX runtimes. */
        for (size_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
        break;
    case TSK_UNARY_SIGMOID:
        for (size_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i]));
        break;
    case TSK_UNARY_TANH:
        for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
        break;
    case TSK_UNARY_ERF:
        for (size_t i = 0; i < n; i++) y[i] = erff(x[i]);
        break;
    case TSK_UNARY_GELU_ERF:
        /* 1 + erf(z) == erfc(-z), which stays accurate where erf(z) is near -1. */
        for (size_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * erfcf(-x[i] * kSqrtHalf);
        break;
    case TSK_UNARY_GELU_TANH:
        for (size_t i = 0; i < n; i++) y[i] = gelu_tanh_scalar(x[i]);
        break;
    }
}

/* ---------------------------------------------------------------- unary, AVX2 */

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void unary_avx2(tsk_unary_op op, size_t n, const float *x, float *y) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, tsk_unary_vec256(op, _mm256_loadu_ps(x + i)));
    if (i < n) {
        /* The tail goes through the same vector code, so a value's result never depends on
         * where in the tensor it sits. */
        float buffer[8] = {0};
        for (size_t j = 0; i + j < n; j++) buffer[j] = x[i + j];
        _mm256_storeu_ps(buffer, tsk_unary_vec256(op, _mm256_loadu_ps(buffer)));
        for (size_t j = 0; i + j < n; j++) y[i + j] = buffer[j];
    }
}
#endif

/* ---------------------------------------------------------------- unary, AVX-512F */

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void unary_avx512(tsk_unary_op op, size_t n, const float *x, float *y) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, tsk_unary_vec512(op, _mm512_loadu_ps(x + i)));
    if (i < n) {
        /* Masked-off lanes load as 0 and are never stored. */
        __mmask16 tail = (__mmask16)((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(y + i, tail, tsk_unary_vec512(op, _mm512_maskz_loadu_ps(tail, x + i)));
    }
}
#endif

/* ---------------------------------------------------------------- unary, entry */

/*
 * Split like the binary ops; Relu is as cheap as a binary op, the transcendental ones cost
 * several times more per element, so they split from smaller calls.
 */
enum { UNARY_CHEAP_MIN_TASK = 1 << 16, UNARY_MIN_TASK = 1 << 15 };

typedef struct unary_job {
    tsk_variant variant;
    tsk_unary_op op;
    size_t n, tasks;
    const float *x;
    float *y;
} unary_job;

void tsk_unary_serial(tsk_variant variant, tsk_unary_op op, size_t n, const float *x, float *y) {
#if defined(__x86_64__)
    if (variant == TSK_VARIANT_AVX512) {
        unary_avx512(op, n, x, y);
        return;
    }
    if (variant == TSK_VARIANT_AVX2) {
        unary_avx2(op, n, x, y);
        return;
    }
#endif
    unary_generic(op, n, x, y);
}

static void unary_range(const unary_job *job, size_t lo, size_t hi) {
    tsk_unary_serial(job->variant, job->op, hi - lo, job->x + lo, job->y + lo);
}

static void unary_task(void *ctx, size_t task) {
    const unary_job *job = ctx;
    size_t lo, hi;
    tsk_split_range((job->n + ELEMENT_BLOCK - 1) / ELEMENT_BLOCK, job->tasks, task, &lo, &hi);
    lo *= ELEMENT_BLOCK;
    hi = hi * ELEMENT_BLOCK < job->n ? hi * ELEMENT_BLOCK : job->n;
    if (lo < hi) unary_range(job, lo, hi);
}

int tsk_unary_f32(tsk_variant variant, tsk_unary_op op, size_t n, const float *x, float *y) {
    tsk_variant resolved = tsk_vmath_wide_resolve(variant);
    if (resolved == TSK_VARIANT_AUTO) return 0;
    if (n == 0) return 1;
    unary_job job = {resolved, op, n, 0, x, y};
    job.tasks = tsk_split_tasks(n, op == TSK_UNARY_RELU ? UNARY_CHEAP_MIN_TASK : UNARY_MIN_TASK);
    if (job.tasks == 1) unary_range(&job, 0, n);
    else tsk_parallel_for(job.tasks, unary_task, &job);
    return 1;
}
