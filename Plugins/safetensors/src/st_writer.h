/*
 * st_writer.h — writes a graph's initializers as a safetensors file, atomically (tsp_save).
 *
 * Private to safetensors.c, which includes it exactly once. It holds static definitions on
 * purpose: the plugin is one translation unit, so every function is static and the library
 * exports nothing but tsr_plugin_entry, with or without -fvisibility=hidden.
 */
#ifndef TESSERA_ST_WRITER_H
#define TESSERA_ST_WRITER_H

#include "st_support.h"

/* ------------------------------------------------------------------------------------------ */
/* save                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/** Writes a JSON string; `s` was checked to be valid UTF-8. */
static void text_json_string(tsp_text *t, const char *s)
{
    tsp_text_puts(t, "\"");
    for (const char *run = s;; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\0' || c == '"' || c == '\\' || c < 0x20) {
            tsp_text_append(t, run, (size_t)(s - run));
            if (c == '\0') break;
            char escaped[8];
            if (c == '"' || c == '\\') snprintf(escaped, sizeof escaped, "\\%c", c);
            else snprintf(escaped, sizeof escaped, "\\u%04x", c);
            tsp_text_puts(t, escaped);
            run = s + 1;
        }
    }
    tsp_text_puts(t, "\"");
}

/** One initializer to write, borrowed from the graph (which save() does not modify). */
typedef struct save_entry {
    const char *name;
    const tsp_st_dtype *dtype;
    uint32_t ndim;
    const int64_t *shape;
    const void *data;
    uint64_t byte_size;
} save_entry;

static int compare_save_names(const void *a, const void *b)
{
    return strcmp(((const save_entry *)a)->name, ((const save_entry *)b)->name);
}

/** Reads and checks every initializer of `graph` into a new array sorted by name. */
static tsr_status *collect_initializers(const tsr_host_api *api, tsr_host *host, const tsr_graph *graph, save_entry **out,
                                       size_t *count_out)
{
    *out = NULL;
    *count_out = 0;
    tsr_graph_summary summary;
    memset(&summary, 0, sizeof summary);
    summary.struct_size = (uint32_t)sizeof summary;
    tsr_status *status = api->graph_summary(graph, &summary);
    if (status != NULL) return tsp_wrap_host_error(api, status, PLUGIN_NAME, "reading the summary of graph", "to save");
    if (summary.node_count > 0 || summary.input_count > 0 || summary.output_count > 0) {
        char message[256];
        snprintf(message, sizeof message,
                 PLUGIN_NAME ": safetensors stores weights only; the graph's %zu nodes, %zu inputs and %zu outputs are not saved",
                 summary.node_count, summary.input_count, summary.output_count);
        api->log(host, TSR_LOG_WARNING, message);
    }
    size_t count = summary.initializer_count;
    save_entry *entries = count > 0 ? calloc(count, sizeof *entries) : NULL;
    if (count > 0 && entries == NULL) return tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory saving %zu tensors", count);
    for (size_t i = 0; i < count && status == NULL; i++) {
        const char *name = NULL;
        tsr_tensor_view view;
        memset(&view, 0, sizeof view);
        view.struct_size = (uint32_t)sizeof view;
        status = api->graph_initializer(graph, i, &name, &view);
        if (status != NULL) {
            char index[32];
            snprintf(index, sizeof index, "%zu", i);
            status = tsp_wrap_host_error(api, status, PLUGIN_NAME, "reading initializer", index);
            break;
        }
        save_entry *e = &entries[i];
        e->name = name;
        e->dtype = tsp_st_dtype_by_code(view.dtype);
        e->ndim = view.ndim;
        e->shape = view.shape;
        e->data = view.data;
        e->byte_size = view.byte_size;
        if (name == NULL || name[0] == '\0') {
            status = tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "initializer %zu has no name; safetensors needs one", i);
        } else if (strcmp(name, "__metadata__") == 0) {
            status = tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                              "an initializer is called '__metadata__', a name safetensors reserves; rename it");
        } else if (tsp_utf8_invalid_offset((const unsigned char *)name, strlen(name), TSP_UTF8_ALLOW_NUL) != strlen(name)) {
            status = tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "initializer %zu's name is not valid UTF-8", i);
        } else if (e->dtype == NULL) {
            status = tsp_fail(api, TSR_ERR_UNSUPPORTED, PLUGIN_NAME, "initializer '%s' has dtype %d, which safetensors cannot store",
                              name, (int)view.dtype);
        } else if (view.ndim > TSR_MAX_RANK || (view.ndim > 0 && view.shape == NULL)) {
            status = tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "initializer '%s' has an invalid shape (rank %u)", name,
                              (unsigned)view.ndim);
        } else {
            uint64_t bytes = e->dtype->size;
            int overflow = 0;
            for (uint32_t d = 0; d < view.ndim; d++) {
                if (view.shape[d] < 0) overflow = 1;
                /* INT64_MAX, as the reader checks: never write a file it would refuse to read. */
                else if (view.shape[d] != 0 && bytes > (uint64_t)INT64_MAX / (uint64_t)view.shape[d]) overflow = 1;
                else bytes *= (uint64_t)view.shape[d];
            }
            if (overflow || bytes != view.byte_size || (bytes > 0 && view.data == NULL)) {
                status = tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                                  "initializer '%s' has byte_size %" PRIu64 ", which does not match its dtype %s and shape",
                                  name, view.byte_size, e->dtype->name);
            }
        }
    }
    if (status == NULL && count > 1) {
        qsort(entries, count, sizeof *entries, compare_save_names);
        for (size_t i = 1; i < count && status == NULL; i++) {
            if (strcmp(entries[i - 1].name, entries[i].name) == 0) {
                status = tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "two initializers are called '%s'", entries[i].name);
            }
        }
    }
    if (status != NULL) {
        free(entries);
        return status;
    }
    *out = entries;
    *count_out = count;
    return NULL;
}

/** Builds the header: sorted entries with contiguous offsets, padded with spaces to a multiple of 8. */
static int build_header(tsp_text *header, const save_entry *entries, size_t count)
{
    tsp_text_puts(header, "{");
    uint64_t offset = 0;
    for (size_t i = 0; i < count; i++) {
        const save_entry *e = &entries[i];
        char numbers[64];
        if (i > 0) tsp_text_puts(header, ",");
        text_json_string(header, e->name);
        tsp_text_puts(header, ":{\"dtype\":\"");
        tsp_text_puts(header, e->dtype->name);
        tsp_text_puts(header, "\",\"shape\":[");
        for (uint32_t d = 0; d < e->ndim; d++) {
            snprintf(numbers, sizeof numbers, d ? ",%" PRId64 : "%" PRId64, e->shape[d]);
            tsp_text_puts(header, numbers);
        }
        snprintf(numbers, sizeof numbers, "],\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]}", offset, offset + e->byte_size);
        tsp_text_puts(header, numbers);
        offset += e->byte_size;
    }
    tsp_text_puts(header, "}");
    while (header->length % 8 != 0) tsp_text_puts(header, " ");
    return !header->out_of_memory;
}

static tsr_status *write_safetensors(const tsr_host_api *api, tsr_host *host, const tsr_graph *graph, const char *path)
{
    if (graph == NULL || path == NULL || path[0] == '\0') {
        return api->status_create(TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME ": save() needs a graph and a path, got NULL or empty");
    }
    save_entry *entries;
    size_t count;
    tsr_status *status = collect_initializers(api, host, graph, &entries, &count);
    if (status != NULL) return status;

    tsp_text header = {NULL, 0, 0, 0};
    if (!build_header(&header, entries, count)) {
        free(header.data);
        free(entries);
        return tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory writing the header of '%s'", path);
    }
    if (header.length > MAX_HEADER) {
        free(header.data);
        free(entries);
        return tsp_fail(api, TSR_ERR_UNSUPPORTED, PLUGIN_NAME,
                        "the header for '%s' would be %zu bytes, more than the %" PRIu64 " MiB readers accept", path,
                        header.length, MAX_HEADER >> 20);
    }

    tsp_save save;
    tsp_save_begin(&save, path);
    unsigned char length[8];
    tsp_write_le64(length, (uint64_t)header.length);
    tsp_save_write(&save, length, sizeof length);
    tsp_save_write(&save, header.data, header.length);
    for (size_t i = 0; i < count; i++) tsp_save_write(&save, entries[i].data, entries[i].byte_size);
    status = tsp_save_finish(&save, api, PLUGIN_NAME);
    free(header.data);
    free(entries);
    return status;
}

#endif /* TESSERA_ST_WRITER_H */
