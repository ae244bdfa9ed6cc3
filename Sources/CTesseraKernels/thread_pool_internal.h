/*
 * Internal to the kernels: the worker pool's slot-aware fork/join, for kernels that keep
 * scratch memory per participating thread (SGEMM's packing buffers), and the splitting rule
 * the executor kernels share. Not a public header.
 */
#ifndef TESSERA_THREAD_POOL_INTERNAL_H
#define TESSERA_THREAD_POOL_INTERNAL_H

#include "tessera_kernels.h"

#include <stddef.h>

/* One task of a fork: `slot` names the thread running it, unique among the job's threads. */
typedef void (*tsk_pool_task_fn)(void *ctx, size_t task, size_t slot);

/*
 * tsk_parallel_for with at most `max_width` threads (the caller included), each running its
 * tasks with a slot in [0, max_width) that no other thread of this fork has: a caller can
 * allocate max_width scratch buffers up front and index them by slot. Inline runs (busy pool,
 * nested call, one thread) use slot 0 for every task.
 * [any-thread]
 */
void tsk_pool_run(size_t tasks, size_t max_width, tsk_pool_task_fn fn, void *ctx);

/*
 * How many tasks to split `units` of independent work into, given that `min_units` of it
 * take long enough (tens of microseconds) to be worth a task: 1 (run inline) below two
 * tasks' worth or with one thread, else up to 4 tasks per thread, so a thread that is
 * descheduled or starts late costs only a small share. [any-thread]
 */
static inline size_t tsk_split_tasks(size_t units, size_t min_units) {
    if (units < 2 * min_units) return 1;
    size_t threads = tsk_pool_threads();
    if (threads <= 1) return 1;
    size_t tasks = units / min_units, cap = threads * 4;
    return tasks < cap ? tasks : cap;
}

/* Task `task` of `tasks` covers units [*lo, *hi): near-equal, contiguous, in order. */
static inline void tsk_split_range(size_t units, size_t tasks, size_t task, size_t *lo, size_t *hi) {
    *lo = units / tasks * task + (task < units % tasks ? task : units % tasks);
    *hi = *lo + units / tasks + (task < units % tasks ? 1 : 0);
}

#endif
