/*
 * tessera/tensor.h — element types and borrowed tensor views.
 *
 * Tensor data crosses the boundary as a *view*: a pointer, a byte size, a dtype and a shape.
 * A view never transfers ownership by itself. Where ownership must move (a format plugin
 * handing mmap'ed weights to the host without copying), a tsr_release callback travels with
 * it and the receiver calls it exactly once when done.
 */
#ifndef TESSERA_TENSOR_H
#define TESSERA_TENSOR_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Element types; values are stable forever. Stored as int32_t. \since 1.0 */
typedef int32_t tsr_dtype;
#define TSR_DTYPE_INVALID 0
#define TSR_DTYPE_FP32 1
#define TSR_DTYPE_FP16 2
#define TSR_DTYPE_BF16 3
#define TSR_DTYPE_FP64 4
#define TSR_DTYPE_INT8 5
#define TSR_DTYPE_UINT8 6
#define TSR_DTYPE_INT16 7
#define TSR_DTYPE_UINT16 8
#define TSR_DTYPE_INT32 9
#define TSR_DTYPE_UINT32 10
#define TSR_DTYPE_INT64 11
#define TSR_DTYPE_UINT64 12
#define TSR_DTYPE_BOOL 13 /**< one byte per element, 0 or 1 */

/** Largest rank a view may have. \since 1.0 */
#define TSR_MAX_RANK 16

/** A dimension whose size is only known at run time (batch, sequence). \since 1.0 */
#define TSR_DIM_DYNAMIC (-1)

/**
 * A borrowed view of dense, row-major (C-order) tensor data.
 * `byte_size` must equal the element count times the dtype size; the host checks it.
 * `shape` points at `ndim` entries owned by whoever owns the view.
 * \since 1.0
 */
typedef struct tsr_tensor_view {
    uint32_t struct_size;  /**< sizeof(tsr_tensor_view) */
    tsr_dtype dtype;
    uint32_t ndim;         /**< 0 for a scalar */
    uint32_t reserved;     /**< zero */
    const int64_t *shape;  /**< ndim entries; may be NULL when ndim is 0 */
    void *data;            /**< may be NULL only when byte_size is 0; not writable when the
                                view came from the host (weights may be a read-only mmap) */
    uint64_t byte_size;
} tsr_tensor_view;

/**
 * Moves ownership of memory: the receiver calls release(context) exactly once, from any
 * thread, when it no longer needs the memory. A NULL release means "borrowed for the call
 * only": the receiver copies what it keeps.
 * \since 1.0
 */
typedef struct tsr_release {
    uint32_t struct_size;               /**< sizeof(tsr_release) */
    void (*release)(void *context);     /**< [any-thread] */
    void *context;
} tsr_release;

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_TENSOR_H */
