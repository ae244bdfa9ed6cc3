#include "tessera_kernels.h"
#include "thread_pool_internal.h"
#include "vmath_internal.h"

#include <math.h>

/*
 * Layer normalization of each of `outer` contiguous rows of n floats. Two passes over the
 * row (mean, then the mean of squared deviations) rather than E[x^2] - E[x]^2, which
 * cancels catastrophically when the mean is large against the spread.
 */

static void layernorm_row_generic(size_t n, const float *x, const float *scale, const float *bias, float epsilon,
                                  float *y) {
    double sum = 0.0;
    for (size_t j = 0; j < n; j++) sum += x[j];
    float mean = (float)(sum / (double)n);
    double squares = 0.0;
    for (size_t j = 0; j < n; j++) {
        float d = x[j] - mean;
        squares += (double)d * d;
    }
    float inv = (float)(1.0 / sqrt(squares / (double)n + (double)epsilon));
    for (size_t j = 0; j < n; j++) {
        float v = (x[j] - mean) * inv * scale[j];
        y[j] = bias ? v + bias[j] : v;
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static double hsum256_pd(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
    return _mm_cvtsd_f64(s);
}

/* Sums are kept in double lanes (8 floats widened to two vectors of 4 doubles), so long
 * rows lose nothing to float accumulation; the tail is handled in scalar code. */
__attribute__((target("avx2,fma")))
static void layernorm_row_avx2(size_t n, const float *x, const float *scale, const float *bias, float epsilon,
                               float *y) {
    size_t full = n & ~(size_t)7;
    __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
    for (size_t j = 0; j < full; j += 8) {
        __m256 v = _mm256_loadu_ps(x + j);
        acc0 = _mm256_add_pd(acc0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
        acc1 = _mm256_add_pd(acc1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    }
    double sum = hsum256_pd(_mm256_add_pd(acc0, acc1));
    for (size_t j = full; j < n; j++) sum += x[j];
    float mean = (float)(sum / (double)n);

    __m256 vmean = _mm256_set1_ps(mean);
    acc0 = _mm256_setzero_pd();
    acc1 = _mm256_setzero_pd();
    for (size_t j = 0; j < full; j += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + j), vmean);
        __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(d)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(d, 1));
        acc0 = _mm256_fmadd_pd(lo, lo, acc0);
        acc1 = _mm256_fmadd_pd(hi, hi, acc1);
    }
    double squares = hsum256_pd(_mm256_add_pd(acc0, acc1));
    for (size_t j = full; j < n; j++) {
        float d = x[j] - mean;
        squares += (double)d * d;
    }
    float inv = (float)(1.0 / sqrt(squares / (double)n + (double)epsilon));

    __m256 vinv = _mm256_set1_ps(inv);
    for (size_t j = 0; j < full; j += 8) {
        __m256 v = _mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vmean), vinv), _mm256_loadu_ps(scale + j));
        if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + j));
        _mm256_storeu_ps(y + j, v);
    }
    for (size_t j = full; j < n; j++) {
        float v = (x[j] - mean) * inv * scale[j];
        y[j] = bias ? v + bias[j] : v;
    }
}
#endif

/*
 * Calls are split over the worker pool by whole rows, at least LAYERNORM_MIN_TASK elements
 * per task, so each row's sums run in the same order whatever the split: results are
 * bit-identical for every thread count.
 */
enum { LAYERNORM_MIN_TASK = 1 << 15 };

typedef struct layernorm_job {
    tsk_variant variant;
    size_t outer, n, tasks;
    const float *x, *scale, *bias;
    float epsilon;
    float *y;
} layernorm_job;

static void layernorm_rows(const layernorm_job *job, size_t lo, size_t hi) {
    size_t n = job->n;
#if defined(__x86_64__)
    if (job->variant == TSK_VARIANT_AVX2) {
        for (size_t o = lo; o < hi; o++)
            layernorm_row_avx2(n, job->x + o * n, job->scale, job->bias, job->epsilon, job->y + o * n);
        return;
    }
#endif
    for (size_t o = lo; o < hi; o++)
        layernorm_row_generic(n, job->x + o * n, job->scale, job->bias, job->epsilon, job->y + o * n);
}

static void layernorm_task(void *ctx, size_t task) {
    const layernorm_job *job = ctx;
    size_t lo, hi;
    tsk_split_range(job->outer, job->tasks, task, &lo, &hi);
    layernorm_rows(job, lo, hi);
}

int tsk_layernorm_f32(tsk_variant variant, size_t outer, size_t n, const float *x, const float *scale,
                      const float *bias, float epsilon, float *y) {
    tsk_variant resolved = tsk_vmath_resolve(variant);
    if (resolved != TSK_VARIANT_GENERIC && resolved != TSK_VARIANT_AVX2) return 0;
    if (n == 0 || outer == 0) return 1;
    layernorm_job job = {resolved, outer, n, 0, x, scale, bias, epsilon, y};
    job.tasks = tsk_split_tasks(outer, (LAYERNORM_MIN_TASK + n - 1) / n);
    if (job.tasks == 1) layernorm_rows(&job, 0, outer);
    else tsk_parallel_for(job.tasks, layernorm_task, &job);
    return 1;
}
