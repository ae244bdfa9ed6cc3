/*
 * Internal to the kernels: the packing-buffer cache that sgemm.c keeps (at most 4 buffers of
 * up to 8 MiB, behind a lock; tsk_sgemm_trim_workspace frees them), shared by every kernel
 * that packs so that steady-state calls of either GEMM do not allocate. Not a public header.
 */
#ifndef TESSERA_WORKSPACE_INTERNAL_H
#define TESSERA_WORKSPACE_INTERNAL_H

#include <stddef.h>

/* A 64-byte aligned buffer of at least `bytes` bytes; its size in *got. NULL if out of memory. [any-thread] */
void *tsk_workspace_get(size_t bytes, size_t *got);

/* Gives back a buffer from tsk_workspace_get, with the size it reported. [any-thread] */
void tsk_workspace_put(void *buffer, size_t bytes);

#endif
