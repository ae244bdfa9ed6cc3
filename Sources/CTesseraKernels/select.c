#include "tessera_kernels.h"
#include "thread_pool_internal.h"
#include "vmath_internal.h"

#include <stdint.h>
#include <string.h>

/*
 * Where and IsNaN for the executor's common case: every operand either walks with the output
 * or is one repeated value. One plain loop per step pattern, so the compiler vectorizes each
 * (blends for Where, compares for IsNaN); the bodies are instantiated once for baseline and
 * once under target("avx2,fma"). Elements are copied as integers, so NaN payloads survive.
 */

#define TSK_WHERE_LOOPS(T)                                                                        \
    do {                                                                                          \
        const T *x = x_raw, *y = y_raw;                                                           \
        T *out = out_raw;                                                                         \
        if (!c_step) {                                                                            \
            const T *src = c[0] ? x : y;                                                          \
            if (c[0] ? x_step : y_step) memmove(out, src, n * sizeof(T));                         \
            else for (size_t i = 0; i < n; i++) out[i] = src[0];                                  \
        } else if (x_step && y_step) {                                                            \
            for (size_t i = 0; i < n; i++) out[i] = c[i] ? x[i] : y[i];                           \
        } else if (x_step) {                                                                      \
            const T yv = y[0];                                                                    \
            for (size_t i = 0; i < n; i++) out[i] = c[i] ? x[i] : yv;                             \
        } else if (y_step) {                                                                      \
            const T xv = x[0];                                                                    \
            for (size_t i = 0; i < n; i++) out[i] = c[i] ? xv : y[i];                             \
        } else {                                                                                  \
            const T xv = x[0], yv = y[0];                                                         \
            for (size_t i = 0; i < n; i++) out[i] = c[i] ? xv : yv;                               \
        }                                                                                         \
    } while (0)

#define TSK_DEFINE_WHERE(NAME, ATTR)                                                                     \
    ATTR static void NAME(size_t elem_size, size_t n, const uint8_t *c, size_t c_step, const void *x_raw, \
                          size_t x_step, const void *y_raw, size_t y_step, void *out_raw) {              \
        if (elem_size == 4) TSK_WHERE_LOOPS(uint32_t);                                                   \
        else TSK_WHERE_LOOPS(uint64_t);                                                                  \
    }

#define TSK_DEFINE_ISNAN(NAME, ATTR)                                             \
    ATTR static void NAME(size_t n, const float *x, uint8_t *out) {              \
        for (size_t i = 0; i < n; i++) out[i] = (uint8_t)(x[i] != x[i]);          \
    }

TSK_DEFINE_WHERE(where_generic, )
TSK_DEFINE_ISNAN(isnan_generic, )
#if defined(__x86_64__)
TSK_DEFINE_WHERE(where_avx2, __attribute__((target("avx2,fma"))))
TSK_DEFINE_ISNAN(isnan_avx2, __attribute__((target("avx2,fma"))))
#endif

/* As cheap per element as a binary op, so split over the pool from the same size on. */
enum { SELECT_BLOCK = 64, SELECT_MIN_TASK = 1 << 16 };

typedef struct select_job {
    tsk_variant variant;
    size_t elem_size, n, c_step, x_step, y_step, tasks;
    const uint8_t *c;
    const void *x, *y; /* NULL x: the job is IsNaN of y into out */
    void *out;
} select_job;

static void select_range(const select_job *job, size_t lo, size_t hi) {
    size_t size = job->elem_size;
    if (!job->x) {
        const float *x = (const float *)job->y + lo;
        uint8_t *out = (uint8_t *)job->out + lo;
#if defined(__x86_64__)
        if (job->variant == TSK_VARIANT_AVX2) {
            isnan_avx2(hi - lo, x, out);
            return;
        }
#endif
        isnan_generic(hi - lo, x, out);
        return;
    }
    const uint8_t *c = job->c + lo * job->c_step;
    const char *x = (const char *)job->x + lo * job->x_step * size, *y = (const char *)job->y + lo * job->y_step * size;
    char *out = (char *)job->out + lo * size;
#if defined(__x86_64__)
    if (job->variant == TSK_VARIANT_AVX2) {
        where_avx2(size, hi - lo, c, job->c_step, x, job->x_step, y, job->y_step, out);
        return;
    }
#endif
    where_generic(size, hi - lo, c, job->c_step, x, job->x_step, y, job->y_step, out);
}

static void select_task(void *ctx, size_t task) {
    const select_job *job = ctx;
    size_t lo, hi;
    tsk_split_range((job->n + SELECT_BLOCK - 1) / SELECT_BLOCK, job->tasks, task, &lo, &hi);
    lo *= SELECT_BLOCK;
    hi = hi * SELECT_BLOCK < job->n ? hi * SELECT_BLOCK : job->n;
    if (lo < hi) select_range(job, lo, hi);
}

static void select_run(select_job *job) {
    job->tasks = tsk_split_tasks(job->n, SELECT_MIN_TASK);
    if (job->tasks == 1) select_range(job, 0, job->n);
    else tsk_parallel_for(job->tasks, select_task, job);
}

int tsk_where(tsk_variant variant, size_t elem_size, size_t n, const uint8_t *condition, size_t condition_step,
              const void *x, size_t x_step, const void *y, size_t y_step, void *out) {
    tsk_variant resolved = tsk_vmath_resolve(variant);
    if (resolved != TSK_VARIANT_GENERIC && resolved != TSK_VARIANT_AVX2) return 0;
    if (elem_size != 4 && elem_size != 8) return 0;
    if (n == 0) return 1;
    select_job job = {resolved, elem_size, n, condition_step, x_step, y_step, 0, condition, x, y, out};
    select_run(&job);
    return 1;
}

int tsk_isnan_f32(tsk_variant variant, size_t n, const float *x, uint8_t *out) {
    tsk_variant resolved = tsk_vmath_resolve(variant);
    if (resolved != TSK_VARIANT_GENERIC && resolved != TSK_VARIANT_AVX2) return 0;
    if (n == 0) return 1;
    select_job job = {resolved, 4, n, 0, 0, 1, 0, NULL, NULL, x, out};
    select_run(&job);
    return 1;
}
