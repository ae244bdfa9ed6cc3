#include "tessera_kernels.h"

#include <math.h>
#include <stdlib.h>

/*
 * Scaled dot-product attention, one task per independent problem (batch x heads). Each task
 * keeps its s x t score matrix in a buffer of its own, so the scores of all heads are never
 * written out at once, and the softmax runs on them while they are in cache.
 */

typedef struct attention_args {
    size_t s, t, d, e;
    float scale;
    const float *q, *k, *v;
    const float *mask;
    const size_t *mask_offsets;
    size_t mask_row_stride, mask_col_stride;
    int zero_nan;
    float *out;
    int failed;
} attention_args;

static void attention_task(void *ctx, size_t b) {
    attention_args *a = ctx;
    const size_t s = a->s, t = a->t, d = a->d, e = a->e;
    float *scores = malloc((s * t ? s * t : 1) * sizeof(float));
    if (scores == NULL) {
        a->failed = 1; /* benign race: every writer stores 1 */
        return;
    }
    const float *q = a->q + b * s * d, *k = a->k + b * d * t, *v = a->v + b * t * e;
    float *out = a->out + b * s * e;
    int ok = tsk_sgemm(TSK_VARIANT_AUTO, 0, 0, s, t, d, a->scale, q, d, k, t, 0.0f, scores, t);
    if (ok && a->mask != NULL) {
        const float *mask = a->mask + a->mask_offsets[b];
        for (size_t i = 0; i < s; i++) {
            const float *row = mask + i * a->mask_row_stride;
            float *y = scores + i * t;
            if (a->mask_col_stride) {
                for (size_t j = 0; j < t; j++) y[j] += row[j];
            } else {
                for (size_t j = 0; j < t; j++) y[j] += row[0];
            }
        }
    }
    if (ok) ok = tsk_softmax_f32(TSK_VARIANT_AUTO, 0, s, t, 1, scores, scores);
    if (ok && a->zero_nan) {
        /* A select rather than a branch, so the loop vectorizes. */
        for (size_t i = 0; i < s * t; i++) scores[i] = scores[i] != scores[i] ? 0.0f : scores[i];
    }
    if (ok) ok = tsk_sgemm(TSK_VARIANT_AUTO, 0, 0, s, e, t, 1.0f, scores, t, v, e, 0.0f, out, e);
    if (!ok) a->failed = 1;
    free(scores);
}

int tsk_attention_f32(size_t batch, size_t s, size_t t, size_t d, size_t e, float scale, const float *q,
                      const float *k, const float *v, const float *mask, const size_t *mask_offsets,
                      size_t mask_row_stride, size_t mask_col_stride, int zero_nan, float *out) {
    attention_args args = {s, t, d, e, scale, q, k, v, mask, mask_offsets, mask_row_stride, mask_col_stride,
                           zero_nan, out, 0};
    if (batch == 0 || s == 0 || e == 0) return 1;
    tsk_parallel_for(batch, attention_task, &args);
    return !args.failed;
}
