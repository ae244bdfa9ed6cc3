/*
 * safetensors — a Tessera format plugin for the safetensors file format.
 *
 * File layout: an 8-byte little-endian header length N, N bytes of a UTF-8 JSON header, then
 * the data section. The header maps each tensor name to {"dtype", "shape", "data_offsets"}
 * (offsets relative to the data section) and may hold a "__metadata__" object of strings.
 *
 * load() maps the file read-only and hands every tensor to the host as a view into the
 * mapping (no copy); the mapping is reference-counted and unmapped when the host releases the
 * last tensor. The header is parsed by a small strict parser written for this schema, and the
 * whole layout is validated before anything reaches the host: a hostile file gets a
 * TSR_ERR_CORRUPT_DATA naming what is wrong and where. Parser, checks and mapping live in
 * Plugins/support (tessera_plugin_safetensors.h), shared with the hf-bert plugin.
 *
 * save() writes every initializer, sorted by name, to "<path>.tmp-<pid>", fsyncs it and
 * renames it over the destination.
 *
 * One translation unit (this file and the private st_*.h files it includes once), so that
 * everything except tsr_plugin_entry is static, and the shared tsp_* helpers (Plugins/support)
 * are declared hidden: the library exports one symbol even when built without
 * -fvisibility=hidden.
 */
#define _POSIX_C_SOURCE 200809L

#include <tessera/tessera.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera_safetensors.h"

#include "st_support.h" /* constants; the shared safetensors reader (Plugins/support) */
#include "st_writer.h"  /* save() */

_Static_assert(TESSERA_SAFETENSORS_MAX_HEADER == TSP_ST_MAX_HEADER, "the header limit is the shared reader's");

/* ------------------------------------------------------------------------------------------ */
/* Instance                                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct safetensors {
    const tsr_host_api *api;
    tsr_host *host;
} safetensors;

static tsr_status *safetensors_create(const tsr_host_api *api, tsr_host *host, void **instance)
{
    tsr_status *status;
    if (!tsp_create_begin(api, instance, PLUGIN_NAME, TSP_SIZE_THROUGH(tsr_host_api, graph_replace_initializer), &status)) {
        return status;
    }
    status = tsp_check_no_settings(api, host, PLUGIN_NAME, "remove [plugins.settings]");
    if (status != NULL) return status;
    safetensors *self = calloc(1, sizeof *self);
    if (self == NULL) return api->status_create(TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME ": out of memory creating the instance");
    self->api = api;
    self->host = host;
    *instance = self;
    return NULL;
}

static tsr_status *safetensors_activate(void *instance)
{
    safetensors *self = instance;
    if (!tsp_host_is_little_endian()) {
        return self->api->status_create(TSR_ERR_UNSUPPORTED,
                                        PLUGIN_NAME ": safetensors data is little-endian and this plugin does not byte-swap; "
                                        "it cannot run on a big-endian machine");
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* probe                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *safetensors_probe(void *instance, const char *path, float *confidence)
{
    safetensors *self = instance;
    if (confidence == NULL) {
        return self->api->status_create(TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME ": probe() was given a NULL confidence pointer");
    }
    *confidence = 0.0f;
    unsigned char start[9];
    size_t got;
    uint64_t file_size;
    if (path == NULL || !tsp_probe_start(path, start, sizeof start, &got, &file_size)) return NULL;
    float score = 0.0f;
    if (got == sizeof start) {
        uint64_t header_length = tsp_read_le64(start);
        if (header_length >= 8 && header_length <= MAX_HEADER && header_length + 8 <= file_size && start[8] == '{') score = 0.95f;
    }
    if (tsp_has_extension(path, ".safetensors")) score += 0.05f;
    *confidence = score;
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* load                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *safetensors_load(void *instance, const char *path, tsr_graph *graph)
{
    safetensors *self = instance;
    const tsr_host_api *api = self->api;
    if (path == NULL || graph == NULL) {
        return api->status_create(TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME ": load() needs a path and a graph, got NULL");
    }
    tsp_st_file file;
    tsr_status *status = tsp_st_open(api, PLUGIN_NAME, path, &file);
    if (status != NULL) return status;

    for (size_t i = 0; i < file.count && status == NULL; i++) {
        const tsp_st_tensor *t = &file.tensors[i];
        tsr_tensor_view view;
        memset(&view, 0, sizeof view);
        view.struct_size = (uint32_t)sizeof view;
        view.dtype = t->dtype->dtype;
        view.ndim = t->ndim;
        view.shape = t->ndim > 0 ? t->shape : NULL;
        view.data = file.data + t->begin;
        view.byte_size = t->end - t->begin;
        tsr_release release;
        tsp_mapping_hold_view(file.mapping, view.data, (size_t)view.byte_size, &release);
        /* The host calls release exactly once, also when this fails. */
        tsr_status *added = api->graph_add_initializer(graph, t->name, &view, &release);
        if (added != NULL) status = tsp_wrap_host_error(api, added, PLUGIN_NAME, "adding tensor", t->name);
    }
    tsp_st_close(&file); /* the loader's own reference: the mapping now lives as long as the host's tensors */
    return status;
}

static tsr_status *safetensors_save(void *instance, const tsr_graph *graph, const char *path)
{
    safetensors *self = instance;
    return write_safetensors(self->api, self->host, graph, path);
}

/* ------------------------------------------------------------------------------------------ */
/* Descriptor                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static const char *const k_extensions[] = {".safetensors", NULL};

static const tsr_format_vtable k_format = {
    .struct_size = (uint32_t)sizeof(tsr_format_vtable),
    .format_name = TESSERA_SAFETENSORS_FORMAT_NAME,
    .extensions = k_extensions,
    .probe = safetensors_probe,
    .load = safetensors_load,
    .save = safetensors_save,
};

static const void *safetensors_get_capability(void *instance, const char *capability_id)
{
    (void)instance;
    if (capability_id != NULL && strcmp(capability_id, TSR_CAP_FORMAT) == 0) return &k_format;
    return NULL;
}

static const char *const k_capabilities[] = {TSR_CAP_FORMAT, NULL};

static const tsr_plugin_descriptor k_descriptor = {
    .struct_size = (uint32_t)sizeof(tsr_plugin_descriptor),
    .abi_major = TSR_ABI_MAJOR,
    .abi_minor = TSR_ABI_MINOR,
    .min_abi_minor = 0,
    .fingerprint = TSR_ABI_FINGERPRINT_INIT,
    .id = TESSERA_SAFETENSORS_ID,
    .name = PLUGIN_NAME,
    .version = "0.1.0",
    .vendor = "Tessera",
    .description = "Loads safetensors weight files zero-copy (memory-mapped) and saves graphs' weights as safetensors.",
    .capabilities = k_capabilities,
    .create = safetensors_create,
    .get_capability = safetensors_get_capability,
    .activate = safetensors_activate,
    .deactivate = tsp_deactivate_nothing,
    .destroy = tsp_destroy_free,
};

TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void)
{
    return &k_descriptor;
}
