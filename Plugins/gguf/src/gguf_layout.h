/*
 * gguf_layout.h — checks that the tensor infos describe a sane layout: element counts and byte
 * sizes that do not overflow, whole blocks for block-quantized types, offsets aligned and
 * inside the data section, distinct names and no two tensors sharing bytes.
 *
 * Private to gguf.c, which includes it exactly once (all definitions are static).
 */
#ifndef TESSERA_GGUF_LAYOUT_H
#define TESSERA_GGUF_LAYOUT_H

#include "gguf_header.h"

/** Writes the shape as the host will see it, outermost first: "[4, 64]". */
static void format_host_shape(char *buffer, size_t size, const gguf_tensor *t)
{
    size_t at = (size_t)snprintf(buffer, size, "[");
    for (uint32_t k = 0; k < t->ndim && at < size; k++) {
        at += (size_t)snprintf(buffer + at, size - at, k ? ", %" PRIu64 : "%" PRIu64, t->dims[t->ndim - 1 - k]);
    }
    if (at < size) snprintf(buffer + at, size - at, "]");
}

/** The name of a tensor's type for messages: "Q4_K", or "unknown type 99". */
static const char *type_label(const gguf_tensor *t, char *buffer, size_t size)
{
    if (t->type != NULL) return t->type->name;
    snprintf(buffer, size, "unknown type %" PRIu32, t->type_id);
    return buffer;
}

/**
 * Computes elements and bytes of `t` and checks its shape and place in the data section of
 * `data_size` bytes, aligned to `alignment`. A tensor whose type is unknown (or removed from
 * ggml) has no computable size: only its offset is checked, and it can only ever be skipped.
 */
static int check_tensor(gguf_cursor *c, gguf_tensor *t, uint64_t alignment, uint64_t data_size)
{
    int shown = shown_length(t->name.data, t->name.length, SHOWN_NAME);
    const char *name = (const char *)t->name.data;
    char shape[TESSERA_GGUF_MAX_DIMS * 24 + 8];
    format_host_shape(shape, sizeof shape, t);

    /* The element count, and the product of the non-zero dimensions, must fit in an int64:
       a host multiplying the dimensions in any order then never overflows. */
    uint64_t elements = 1, nonzero = 1;
    for (uint32_t d = 0; d < t->ndim; d++) {
        uint64_t dim = t->dims[d];
        if (dim == 0) {
            elements = 0;
            continue;
        }
        if (nonzero > (uint64_t)INT64_MAX / dim) {
            return cursor_fail(c, TSR_ERR_CORRUPT_DATA, "tensor '%.*s' (info at byte %" PRIu64 ") has shape %s, whose element "
                               "count overflows", shown, name, t->info_offset, shape);
        }
        nonzero *= dim;
        elements *= dim;
    }
    t->elements = elements;

    if (t->offset % alignment != 0) {
        return cursor_fail(c, TSR_ERR_CORRUPT_DATA, "tensor '%.*s' (info at byte %" PRIu64 ") has data offset %" PRIu64
                           ", which is not a multiple of the file's alignment (%" PRIu64 ")",
                           shown, name, t->info_offset, t->offset, alignment);
    }
    if (t->offset > data_size) {
        return cursor_fail(c, TSR_ERR_CORRUPT_DATA, "tensor '%.*s' (info at byte %" PRIu64 ") has data offset %" PRIu64
                           ", past the end of the data section (%" PRIu64 " bytes); the file is truncated or corrupt",
                           shown, name, t->info_offset, t->offset, data_size);
    }
    if (t->type == NULL || t->type->block_size == 0) {
        t->bytes = 0;
        return 1;
    }

    const ggml_type_info *type = t->type;
    uint64_t innermost = t->ndim > 0 ? t->dims[0] : 1;
    if (innermost % type->block_size != 0) {
        return cursor_fail(c, TSR_ERR_CORRUPT_DATA, "tensor '%.*s' (info at byte %" PRIu64 ") is %s with shape %s, but its "
                           "innermost dimension (%" PRIu64 ") is not a multiple of the %s block size (%" PRIu32 ")",
                           shown, name, t->info_offset, type->name, shape, innermost, type->name, type->block_size);
    }
    uint64_t blocks = elements / type->block_size;
    if (blocks > UINT64_MAX / type->type_size) {
        return cursor_fail(c, TSR_ERR_CORRUPT_DATA, "tensor '%.*s' (info at byte %" PRIu64 ") has shape %s, whose byte size "
                           "overflows", shown, name, t->info_offset, shape);
    }
    t->bytes = blocks * type->type_size;
    if (t->bytes > data_size - t->offset) {
        return cursor_fail(c, TSR_ERR_CORRUPT_DATA, "tensor '%.*s' (info at byte %" PRIu64 ", %s, shape %s) needs %" PRIu64
                           " bytes from data offset %" PRIu64 ", past the end of the data section (%" PRIu64
                           " bytes); the file is truncated or corrupt",
                           shown, name, t->info_offset, type->name, shape, t->bytes, t->offset, data_size);
    }
    return 1;
}

static int compare_tensor_names(const void *a, const void *b)
{
    const gguf_tensor *x = *(const gguf_tensor *const *)a, *y = *(const gguf_tensor *const *)b;
    uint64_t common = x->name.length < y->name.length ? x->name.length : y->name.length;
    int order = memcmp(x->name.data, y->name.data, (size_t)common);
    if (order != 0) return order;
    if (x->name.length != y->name.length) return x->name.length < y->name.length ? -1 : 1;
    return (x->info_offset > y->info_offset) - (x->info_offset < y->info_offset);
}

static int compare_tensor_offsets(const void *a, const void *b)
{
    const gguf_tensor *x = *(const gguf_tensor *const *)a, *y = *(const gguf_tensor *const *)b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return (x->info_offset > y->info_offset) - (x->info_offset < y->info_offset);
}

/**
 * Checks every tensor (check_tensor), then that names are distinct and that no two tensors
 * whose sizes are known share a byte of the data section. Gaps are fine: writers pad each
 * tensor to the alignment.
 */
static int check_layout(gguf_cursor *c, gguf_tensor *tensors, uint64_t count, uint64_t alignment, uint64_t data_size)
{
    if (count == 0 || tensors == NULL) return 1;
    for (uint64_t i = 0; i < count; i++) {
        if (!check_tensor(c, &tensors[i], alignment, data_size)) return 0;
    }
    if (count < 2) return 1;
    gguf_tensor **sorted = malloc((size_t)count * sizeof *sorted);
    if (sorted == NULL) return cursor_fail(c, TSR_ERR_OUT_OF_MEMORY, "out of memory checking %" PRIu64 " tensors", count);
    for (uint64_t i = 0; i < count; i++) sorted[i] = &tensors[i];

    int ok = 1;
    qsort(sorted, (size_t)count, sizeof *sorted, compare_tensor_names);
    for (uint64_t i = 1; i < count && ok; i++) {
        const gguf_tensor *a = sorted[i - 1], *b = sorted[i];
        if (a->name.length == b->name.length && memcmp(a->name.data, b->name.data, (size_t)a->name.length) == 0) {
            ok = cursor_fail(c, TSR_ERR_CORRUPT_DATA, "tensor '%.*s' is listed twice (infos at bytes %" PRIu64 " and %" PRIu64 ")",
                             shown_length(a->name.data, a->name.length, SHOWN_NAME), (const char *)a->name.data,
                             a->info_offset, b->info_offset);
        }
    }

    if (ok) qsort(sorted, (size_t)count, sizeof *sorted, compare_tensor_offsets);
    const gguf_tensor *previous = NULL;
    for (uint64_t i = 0; i < count && ok; i++) {
        const gguf_tensor *t = sorted[i];
        if (t->bytes == 0) continue;
        if (previous != NULL && t->offset < previous->offset + previous->bytes) {
            ok = cursor_fail(c, TSR_ERR_CORRUPT_DATA,
                             "tensors '%.*s' (data bytes %" PRIu64 "..%" PRIu64 ") and '%.*s' (data bytes %" PRIu64 "..%" PRIu64
                             ") overlap",
                             shown_length(previous->name.data, previous->name.length, SHOWN_NAME),
                             (const char *)previous->name.data, previous->offset, previous->offset + previous->bytes,
                             shown_length(t->name.data, t->name.length, SHOWN_NAME), (const char *)t->name.data, t->offset,
                             t->offset + t->bytes);
        }
        if (previous == NULL || t->offset + t->bytes > previous->offset + previous->bytes) previous = t;
    }
    free(sorted);
    return ok;
}

#endif /* TESSERA_GGUF_LAYOUT_H */
