#include "tessera_kernels.h"
#include "thread_pool_internal.h"
#include "vmath_internal.h"

#include <math.h>

/*
 * Both variants subtract the row maximum first: exp then sees only values <= 0, so a row of
 * huge logits neither overflows to inf/inf = NaN nor, for very negative ones, sums to 0.
 */

/* One row of n values `stride` apart; the general path for any axis. */
static void softmax_row_generic(int log_softmax, size_t n, size_t stride, const float *x, float *y) {
    float max = -INFINITY;
    for (size_t j = 0; j < n; j++) {
        float v = x[j * stride];
        if (v > max || isnan(v)) max = v;
    }
    /* The sum is kept in double: rows can be long (attention over thousands of tokens). */
    double sum = 0.0;
    if (log_softmax) {
        for (size_t j = 0; j < n; j++) sum += expf(x[j * stride] - max);
        /* (x - max) - log(sum), not x - (max + log(sum)): with huge logits the latter
         * rounds the shift to the spacing of floats near max. */
        float log_sum = (float)log(sum);
        for (size_t j = 0; j < n; j++) y[j * stride] = (x[j * stride] - max) - log_sum;
    } else {
        for (size_t j = 0; j < n; j++) {
            float e = expf(x[j * stride] - max);
            y[j * stride] = e;
            sum += e;
        }
        float total = (float)sum;
        for (size_t j = 0; j < n; j++) y[j * stride] /= total;
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma")))
static float hmax256(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* A contiguous row. The tail is padded with -inf, whose exp is exactly 0. */
__attribute__((target("avx2,fma")))
static void softmax_row_avx2(int log_softmax, size_t n, const float *x, float *y) {
    size_t full = n & ~(size_t)7, rest = n - full;
    float tail[8];
    for (size_t j = 0; j < 8; j++) tail[j] = j < rest ? x[full + j] : -INFINITY;

    int has_nan = 0;
    __m256 vmax = _mm256_loadu_ps(tail);
    for (size_t j = 0; j < full; j += 8) {
        __m256 v = _mm256_loadu_ps(x + j);
        has_nan |= _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        vmax = _mm256_max_ps(vmax, v);
    }
    for (size_t j = 0; j < rest; j++) has_nan |= isnan(tail[j]);
    float max = has_nan ? NAN : hmax256(vmax);
    __m256 m = _mm256_set1_ps(max);

    __m256 acc = _mm256_setzero_ps();
    if (log_softmax) {
        for (size_t j = 0; j < full; j += 8)
            acc = _mm256_add_ps(acc, tsk_exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), m)));
        acc = _mm256_add_ps(acc, tsk_exp256(_mm256_sub_ps(_mm256_loadu_ps(tail), m)));
        __m256 log_sum = _mm256_set1_ps(logf(hsum256(acc)));
        for (size_t j = 0; j < full; j += 8)
            _mm256_storeu_ps(y + j, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), m), log_sum));
        _mm256_storeu_ps(tail, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(tail), m), log_sum));
    } else {
        for (size_t j = 0; j < full; j += 8) {
            __m256 e = tsk_exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), m));
            _mm256_storeu_ps(y + j, e);
            acc = _mm256_add_ps(acc, e);
        }
        __m256 et = tsk_exp256(_mm256_sub_ps(_mm256_loadu_ps(tail), m));
        acc = _mm256_add_ps(acc, et);
        __m256 total = _mm256_set1_ps(hsum256(acc));
        for (size_t j = 0; j < full; j += 8) _mm256_storeu_ps(y + j, _mm256_div_ps(_mm256_loadu_ps(y + j), total));
        _mm256_storeu_ps(tail, _mm256_div_ps(et, total));
    }
    for (size_t j = 0; j < rest; j++) y[full + j] = tail[j];
}
#endif

#if defined(__x86_64__)
/*
 * A contiguous row, 16 lanes at a time: the same three passes as the AVX2 row, with the last
 * partial vector loaded under a mask (-inf in the missing lanes, whose exp is exactly 0) and
 * stored under it. A short row (attention over a few dozen tokens) is one or two vectors.
 */
/*
 * Stores the first `count` (1..16) lanes of v at y: whole 16-, 8- and 4-lane stores first and a
 * masked store only for the last 1-3. A load that overlaps the masked-off lanes of a recent
 * masked store cannot take its data from the store buffer and waits for the store to retire;
 * with rows written in place, the next row's first load does exactly that.
 */
__attribute__((target("avx512f")))
static inline void store_lanes(float *y, size_t count, __m512 v) {
    if (count == 16) {
        _mm512_storeu_ps(y, v);
        return;
    }
    size_t done = 0;
    __m256 half = _mm512_castps512_ps256(v);
    if (count >= 8) {
        _mm256_storeu_ps(y, half);
        half = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)); /* AVX-512F has no f32x8 extract */
        done = 8;
    }
    __m128 quarter = _mm256_castps256_ps128(half);
    if (count - done >= 4) {
        _mm_storeu_ps(y + done, quarter);
        quarter = _mm256_extractf128_ps(half, 1);
        done += 4;
    }
    for (size_t i = 0; done + i < count; i++) y[done + i] = quarter[i];
}

__attribute__((target("avx512f")))
static void softmax_row_avx512(int log_softmax, size_t n, const float *x, float *y) {
    const __m512 minus_inf = _mm512_set1_ps(-INFINITY);
    if (n <= 32 && !log_softmax) {
        /* Up to two vectors: everything stays in registers, so nothing is stored and then
         * read back (a masked store followed by a load of it stalls the pipeline). */
        __mmask16 l0 = n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
        __mmask16 l1 = n <= 16 ? (__mmask16)0 : n >= 32 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - 16)) - 1u);
        __m512 v0 = _mm512_mask_loadu_ps(minus_inf, l0, x), v1 = _mm512_mask_loadu_ps(minus_inf, l1, x + 16);
        __mmask16 nan = _mm512_cmp_ps_mask(v0, v0, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(v1, v1, _CMP_UNORD_Q);
        __m512 m = _mm512_set1_ps(nan ? NAN : _mm512_reduce_max_ps(_mm512_max_ps(v0, v1)));
        __m512 e0 = tsk_exp512(_mm512_sub_ps(v0, m)), e1 = tsk_exp512(_mm512_sub_ps(v1, m));
        __m512 total = _mm512_set1_ps(_mm512_reduce_add_ps(_mm512_add_ps(e0, e1)));
        store_lanes(y, n < 16 ? n : 16, _mm512_div_ps(e0, total));
        if (n > 16) store_lanes(y + 16, n - 16, _mm512_div_ps(e1, total));
        return;
    }
    __m512 vmax = minus_inf;
    __mmask16 nan = 0;
    for (size_t j = 0; j < n; j += 16) {
        __mmask16 lanes = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1u);
        __m512 v = _mm512_mask_loadu_ps(minus_inf, lanes, x + j);
        nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        vmax = _mm512_max_ps(vmax, v);
    }
    __m512 m = _mm512_set1_ps(nan ? NAN : _mm512_reduce_max_ps(vmax));

    __m512 acc = _mm512_setzero_ps();
    for (size_t j = 0; j < n; j += 16) {
        __mmask16 lanes = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1u);
        __m512 e = tsk_exp512(_mm512_sub_ps(_mm512_mask_loadu_ps(minus_inf, lanes, x + j), m));
        if (!log_softmax) _mm512_mask_storeu_ps(y + j, lanes, e);
        acc = _mm512_add_ps(acc, e);
    }
    if (log_softmax) {
        __m512 log_sum = _mm512_set1_ps(logf(_mm512_reduce_add_ps(acc)));
        for (size_t j = 0; j < n; j += 16) {
            __mmask16 lanes = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1u);
            __m512 v = _mm512_maskz_loadu_ps(lanes, x + j);
            _mm512_mask_storeu_ps(y + j, lanes, _mm512_sub_ps(_mm512_sub_ps(v, m), log_sum));
        }
    } else {
        __m512 total = _mm512_set1_ps(_mm512_reduce_add_ps(acc));
        for (size_t j = 0; j < n; j += 16) {
            __mmask16 lanes = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1u);
            _mm512_mask_storeu_ps(y + j, lanes, _mm512_div_ps(_mm512_maskz_loadu_ps(lanes, y + j), total));
        }
    }
}
#endif

/*
 * Calls are split over the worker pool by whole rows (one row is one (o, i) pair), at least
 * SOFTMAX_MIN_TASK elements per task, so every row is reduced in the same order whatever the
 * split: results are bit-identical for every thread count.
 */
enum { SOFTMAX_MIN_TASK = 1 << 14 };

typedef struct softmax_job {
    tsk_variant variant;
    int log_softmax;
    size_t outer, n, inner, tasks;
    const float *x;
    float *y;
} softmax_job;

/* Rows [lo, hi) of outer * inner; row r is (o, i) = (r / inner, r % inner). */
static void softmax_rows(const softmax_job *job, size_t lo, size_t hi) {
    size_t n = job->n, inner = job->inner;
#if defined(__x86_64__)
    /* Vectorized along contiguous rows; other axes take the strided generic path. */
    if (job->variant == TSK_VARIANT_AVX512 && inner == 1) {
        for (size_t r = lo; r < hi; r++) softmax_row_avx512(job->log_softmax, n, job->x + r * n, job->y + r * n);
        return;
    }
    if (job->variant == TSK_VARIANT_AVX2 && inner == 1) {
        for (size_t r = lo; r < hi; r++) softmax_row_avx2(job->log_softmax, n, job->x + r * n, job->y + r * n);
        return;
    }
#endif
    for (size_t r = lo; r < hi; r++) {
        size_t offset = r / inner * n * inner + r % inner;
        softmax_row_generic(job->log_softmax, n, inner, job->x + offset, job->y + offset);
    }
}

static void softmax_task(void *ctx, size_t task) {
    const softmax_job *job = ctx;
    size_t lo, hi;
    tsk_split_range(job->outer * job->inner, job->tasks, task, &lo, &hi);
    softmax_rows(job, lo, hi);
}

int tsk_softmax_f32(tsk_variant variant, int log_softmax, size_t outer, size_t n, size_t inner, const float *x,
                    float *y) {
    tsk_variant resolved = tsk_vmath_wide_resolve(variant);
    if (resolved == TSK_VARIANT_AUTO) return 0;
    if (n == 0 || inner == 0 || outer == 0) return 1;
    softmax_job job = {resolved, log_softmax, outer, n, inner, 0, x, y};
    size_t rows = outer * inner, min_rows = (SOFTMAX_MIN_TASK + n - 1) / n;
    job.tasks = tsk_split_tasks(rows, min_rows);
    if (job.tasks == 1) softmax_rows(&job, 0, rows);
    else tsk_parallel_for(job.tasks, softmax_task, &job);
    return 1;
}
