/*
 * st_layout.h — checks that the tensors a header lists tile the data section exactly.
 *
 * Private to safetensors.c, which includes it exactly once. It holds static definitions on
 * purpose: the plugin is one translation unit, so every function is static and the library
 * exports nothing but tsr_plugin_entry, with or without -fvisibility=hidden.
 */
#ifndef TESSERA_ST_LAYOUT_H
#define TESSERA_ST_LAYOUT_H

#include "st_header.h"

/* ------------------------------------------------------------------------------------------ */
/* Layout validation                                                                          */
/* ------------------------------------------------------------------------------------------ */

static int compare_entry_names(const void *a, const void *b)
{
    return strcmp((*(const tensor_entry *const *)a)->name, (*(const tensor_entry *const *)b)->name);
}

static int compare_entry_offsets(const void *a, const void *b)
{
    const tensor_entry *x = *(const tensor_entry *const *)a, *y = *(const tensor_entry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/** Writes "[2, 3]" into buffer. */
static void format_shape(char *buffer, size_t size, const int64_t *shape, uint32_t ndim)
{
    size_t at = 0;
    at += (size_t)snprintf(buffer, size, "[");
    for (uint32_t d = 0; d < ndim && at < size; d++) {
        at += (size_t)snprintf(buffer + at, size - at, d ? ", %" PRId64 : "%" PRId64, shape[d]);
    }
    if (at < size) snprintf(buffer + at, size - at, "]");
}

/**
 * Checks every tensor against the data section of `data_size` bytes: byte counts that match
 * dtype and shape, offsets in range, names distinct, and tensors that tile the data section
 * exactly (no overlap, no uncovered byte).
 */
static tsr_status *validate_layout(const tsr_host_api *api, const char *path, tensor_list *list, uint64_t data_size)
{
    for (size_t i = 0; i < list->count; i++) {
        const tensor_entry *t = &list->items[i];
        char shape[16 * 24 + 8];
        format_shape(shape, sizeof shape, t->shape, t->ndim);
        uint64_t bytes = t->dtype->size;
        for (uint32_t d = 0; d < t->ndim; d++) {
            uint64_t dim = (uint64_t)t->shape[d];
            if (dim != 0 && bytes > UINT64_MAX / dim) {
                return tsp_fail(api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME, "'%s': the size of tensor '%s' (%s, shape %s) overflows",
                                path, t->name, t->dtype->name, shape);
            }
            bytes *= dim;
        }
        if (t->end < t->begin) {
            return tsp_fail(api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME,
                            "'%s': tensor '%s' has data_offsets [%" PRIu64 ", %" PRIu64 "], whose end is before its begin",
                            path, t->name, t->begin, t->end);
        }
        if (t->end > data_size) {
            return tsp_fail(api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME,
                            "'%s': tensor '%s' has data_offsets [%" PRIu64 ", %" PRIu64 "] outside the data section, "
                            "which is %" PRIu64 " bytes (the file is truncated or corrupt)",
                            path, t->name, t->begin, t->end, data_size);
        }
        if (t->end - t->begin != bytes) {
            return tsp_fail(api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME,
                            "'%s': tensor '%s' has %" PRIu64 " bytes (data_offsets [%" PRIu64 ", %" PRIu64 "]) "
                            "but dtype %s and shape %s need %" PRIu64,
                            path, t->name, t->end - t->begin, t->begin, t->end, t->dtype->name, shape, bytes);
        }
    }
    if (list->count == 0) {
        if (data_size != 0) {
            return tsp_fail(api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME,
                            "'%s': the header lists no tensors but %" PRIu64 " bytes of data follow it", path, data_size);
        }
        return NULL;
    }

    tensor_entry **sorted = malloc(list->count * sizeof *sorted);
    if (sorted == NULL) return tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory checking '%s'", path);
    for (size_t i = 0; i < list->count; i++) sorted[i] = &list->items[i];
    tsr_status *status = NULL;

    qsort(sorted, list->count, sizeof *sorted, compare_entry_names);
    for (size_t i = 1; i < list->count && status == NULL; i++) {
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
            status = tsp_fail(api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME, "'%s': tensor '%s' is listed twice in the header", path,
                              sorted[i]->name);
        }
    }

    if (status == NULL) qsort(sorted, list->count, sizeof *sorted, compare_entry_offsets);
    uint64_t covered = 0;
    const tensor_entry *previous = NULL;
    for (size_t i = 0; i < list->count && status == NULL; i++) {
        const tensor_entry *t = sorted[i];
        if (t->begin < covered) {
            status = tsp_fail(api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME,
                              "'%s': tensors '%s' (bytes %" PRIu64 "..%" PRIu64 ") and '%s' (bytes %" PRIu64 "..%" PRIu64
                              ") overlap in the data section",
                              path, previous->name, previous->begin, previous->end, t->name, t->begin, t->end);
        } else if (t->begin > covered) {
            status = tsp_fail(api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME,
                              "'%s': bytes %" PRIu64 "..%" PRIu64 " of the data section are not covered by any tensor "
                              "(the format requires the data to be indexed entirely)",
                              path, covered, t->begin);
        }
        covered = t->end;
        previous = t;
    }
    if (status == NULL && covered != data_size) {
        status = tsp_fail(api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME,
                          "'%s': the last %" PRIu64 " bytes of the data section (from offset %" PRIu64 ") are not "
                          "covered by any tensor (the format requires the data to be indexed entirely)",
                          path, data_size - covered, covered);
    }
    free(sorted);
    return status;
}

#endif /* TESSERA_ST_LAYOUT_H */
