/*
 * Internal to the kernels: the worker pool's slot-aware fork/join, for kernels that keep
 * scratch memory per participating thread (SGEMM's packing buffers). Not a public header.
 */
#ifndef TESSERA_THREAD_POOL_INTERNAL_H
#define TESSERA_THREAD_POOL_INTERNAL_H

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

#endif
