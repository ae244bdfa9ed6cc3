#include "tessera_kernels.h"
#include "thread_pool_internal.h"

#include <string.h>

#define TSK_PERMUTE_MAX_RANK 16

/*
 * Bytes of output per task when a permutation is split over the worker pool: a copy moves a
 * few bytes per nanosecond, so this keeps a task at tens of microseconds.
 */
enum { PERMUTE_MIN_TASK_BYTES = 1 << 18 };

/*
 * dst is walked in order (writes stay sequential) as `rows` runs of `inner` elements, one per
 * index of all axes but the last; each run reads src with a fixed stride, or is one memcpy
 * when that stride is 1 (a permutation that keeps the last axis, like BERT's head split).
 */
typedef struct permute_job {
    size_t elem_size, rank, inner, inner_stride, rows, tasks;
    size_t size[TSK_PERMUTE_MAX_RANK], stride[TSK_PERMUTE_MAX_RANK];
    const unsigned char *in;
    unsigned char *out;
} permute_job;

/* Element moves are fixed-size memcpy so the compiler turns each into one load and one store. */
#define TSK_PERMUTE_INNER(TYPE_SIZE)                                                    \
    for (size_t j = 0; j < inner; j++)                                                  \
        memcpy(out + j * (TYPE_SIZE), in + (offset + j * inner_stride) * (TYPE_SIZE), (TYPE_SIZE))

/* Writes the output runs [lo, hi). */
static void permute_rows(const permute_job *job, size_t lo, size_t hi) {
    const size_t rank = job->rank, inner = job->inner, inner_stride = job->inner_stride;
    const size_t elem_size = job->elem_size;
    const unsigned char *in = job->in;
    unsigned char *out = job->out + lo * inner * elem_size;
    /* The odometer's start: run lo's index over axes 0 .. rank-2, and its source offset. */
    size_t index[TSK_PERMUTE_MAX_RANK] = {0};
    size_t offset = 0, rest = lo;
    for (size_t d = rank - 1; d > 0; d--) {
        size_t axis = d - 1;
        index[axis] = rest % job->size[axis];
        rest /= job->size[axis];
        offset += index[axis] * job->stride[axis];
    }
    for (size_t row = lo; row < hi; row++) {
        if (inner_stride == 1) {
            memcpy(out, in + offset * elem_size, inner * elem_size);
        } else {
            switch (elem_size) {
            case 1: TSK_PERMUTE_INNER(1); break;
            case 2: TSK_PERMUTE_INNER(2); break;
            case 4: TSK_PERMUTE_INNER(4); break;
            default: TSK_PERMUTE_INNER(8); break;
            }
        }
        out += inner * elem_size;
        for (size_t d = rank - 1; d > 0; d--) {
            size_t axis = d - 1;
            offset += job->stride[axis];
            if (++index[axis] < job->size[axis]) break;
            offset -= job->stride[axis] * job->size[axis];
            index[axis] = 0;
        }
    }
}

static void permute_task(void *ctx, size_t task) {
    const permute_job *job = ctx;
    size_t lo, hi;
    tsk_split_range(job->rows, job->tasks, task, &lo, &hi);
    permute_rows(job, lo, hi);
}

int tsk_permute(size_t elem_size, size_t rank, const size_t *shape, const size_t *perm, const void *src, void *dst) {
    if (rank > TSK_PERMUTE_MAX_RANK) return 0;
    if (elem_size != 1 && elem_size != 2 && elem_size != 4 && elem_size != 8) return 0;
    unsigned seen = 0;
    for (size_t d = 0; d < rank; d++) {
        if (perm[d] >= rank || (seen & (1u << perm[d]))) return 0;
        seen |= 1u << perm[d];
    }
    size_t total = 1;
    for (size_t d = 0; d < rank; d++) total *= shape[d];
    if (total == 0) return 1;
    if (rank == 0) {
        memcpy(dst, src, elem_size);
        return 1;
    }

    permute_job job = {.elem_size = elem_size, .rank = rank, .in = src, .out = dst};
    size_t src_stride[TSK_PERMUTE_MAX_RANK];
    src_stride[rank - 1] = 1;
    for (size_t d = rank - 1; d > 0; d--) src_stride[d - 1] = src_stride[d] * shape[d];
    for (size_t d = 0; d < rank; d++) {
        job.size[d] = shape[perm[d]];
        job.stride[d] = src_stride[perm[d]];
    }
    job.inner = job.size[rank - 1];
    job.inner_stride = job.stride[rank - 1];
    job.rows = total / job.inner;
    /* Split by whole runs, each task at least PERMUTE_MIN_TASK_BYTES of output. */
    size_t row_bytes = job.inner * elem_size;
    size_t min_rows = row_bytes >= PERMUTE_MIN_TASK_BYTES ? 1 : PERMUTE_MIN_TASK_BYTES / row_bytes;
    job.tasks = tsk_split_tasks(job.rows, min_rows);
    if (job.tasks == 1) permute_rows(&job, 0, job.rows);
    else tsk_parallel_for(job.tasks, permute_task, &job);
    return 1;
}
