/*
 * onnx — a Tessera format plugin for ONNX model files (.onnx).
 *
 * An ONNX file is one protobuf message, ModelProto, holding the IR version, the opsets it
 * imports and a GraphProto: nodes, initializers (weights), inputs and outputs. This plugin
 * decodes the wire format itself (onnx_wire.h: a small strict decoder, no protobuf library)
 * and only the fields it needs (onnx_model.h), and builds the host graph from them
 * (onnx_loader.h). Nodes of a model at opset 7-12 are rewritten into what they mean in the
 * engine's opset-13+ terms, or refused (onnx_opsets.h).
 *
 * load() maps the file read-only. Weights stored as raw_data are handed to the host as views
 * into the mapping (no copy) when aligned to their element size; the mapping is
 * reference-counted and unmapped when the host has released the last of them. Weights in
 * external data files are mapped and handed over the same way. Everything read from the file
 * is bounds-checked; a hostile file gets a TSR_ERR_CORRUPT_DATA naming the file, the byte
 * offset and what is wrong.
 *
 * save() (onnx_writer.h) encodes a ModelProto with raw_data initializers to
 * "<path>.tmp-<pid>", fsyncs it and renames it over the destination.
 *
 * One translation unit (this file and the private onnx_*.h files it includes once), so that
 * everything except tsr_plugin_entry is static, and the shared tsp_* helpers (Plugins/support)
 * are declared hidden: the library exports one symbol even when built without
 * -fvisibility=hidden.
 */
#define _POSIX_C_SOURCE 200809L

#include <tessera/tessera.h>

#include "tessera_onnx.h"

#include "onnx_support.h" /* dtypes, float bits, the arena */
#include "onnx_wire.h"    /* the protobuf wire-format decoder */
#include "onnx_model.h"   /* ModelProto, GraphProto, NodeProto, ... */
#include "onnx_loader.h"  /* load(): building the host graph */
#include "onnx_opsets.h"  /* load(): nodes of opsets 7-12 in the engine's terms */
#include "onnx_writer.h"  /* save() */

/* ------------------------------------------------------------------------------------------ */
/* Instance                                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct onnx_plugin {
    const tsr_host_api *api;
    tsr_host *host;
} onnx_plugin;

static tsr_status *onnx_create(const tsr_host_api *api, tsr_host *host, void **instance)
{
    tsr_status *status;
    if (!tsp_create_begin(api, instance, PLUGIN_NAME, TSP_SIZE_THROUGH(tsr_host_api, graph_initializer), &status)) {
        return status;
    }
    status = tsp_check_no_settings(api, host, PLUGIN_NAME, "remove [plugins.settings]");
    if (status != NULL) return status;
    onnx_plugin *self = calloc(1, sizeof *self);
    if (self == NULL) return api->status_create(TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME ": out of memory creating the instance");
    self->api = api;
    self->host = host;
    *instance = self;
    return NULL;
}

static tsr_status *onnx_activate(void *instance)
{
    onnx_plugin *self = instance;
    if (!tsp_host_is_little_endian()) {
        return self->api->status_create(TSR_ERR_UNSUPPORTED,
                                        PLUGIN_NAME ": ONNX tensor data is little-endian and this plugin does not byte-swap; "
                                        "it cannot run on a big-endian machine");
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* probe                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/** The wire type of a ModelProto field, or -1 for a field number it does not have. */
static int model_field_wire(uint64_t number)
{
    switch (number) {
    case 1: case 5: return PB_VARINT;                                            /* ir_version, model_version */
    case 2: case 3: case 4: case 6: case 7: case 8: case 14: case 20: case 25: case 26: return PB_LEN;
    default: return -1;
    }
}

/**
 * How much the first bytes of a file look like a ModelProto: every field in the window must be
 * one ModelProto has, with its wire type; lengths must fit in the file; ir_version must be
 * present and 3..12, and at least one other field (producer, graph, opset ...) must follow.
 */
static float probe_bytes(const unsigned char *bytes, size_t count, uint64_t file_size)
{
    const unsigned char *at = bytes, *end = bytes + count;
    int ir_version = 0, others = 0;
    while (at < end) {
        uint64_t key, value;
        int error = pb_read_varint(&at, end, &key);
        if (error == VARINT_TRUNCATED) break;
        if (error != VARINT_OK) return 0.0f;
        uint64_t number = key >> 3;
        int wire = (int)(key & 7);
        int expected = model_field_wire(number);
        if (number == 0 || (expected >= 0 && wire != expected)) return 0.0f;
        if (expected < 0 && wire != PB_VARINT && wire != PB_LEN && wire != PB_FIXED32 && wire != PB_FIXED64) return 0.0f;
        if (wire == PB_FIXED32 || wire == PB_FIXED64) {
            size_t width = wire == PB_FIXED32 ? 4 : 8;
            if ((size_t)(end - at) < width) break;
            at += width;
            continue;
        }
        error = pb_read_varint(&at, end, &value);
        if (error == VARINT_TRUNCATED) break;
        if (error != VARINT_OK) return 0.0f;
        if (wire == PB_VARINT) {
            if (number == 1) {
                if (value < 3 || value > 12) return 0.0f;
                ir_version = 1;
            } else if (expected >= 0) {
                others++;
            }
            continue;
        }
        uint64_t offset = (uint64_t)(at - bytes);
        if (value > file_size - offset) return 0.0f; /* a length past the end of the file */
        if (expected >= 0) others++;
        if (value > (uint64_t)(end - at)) break;     /* continues beyond the window: stop here */
        at += value;
    }
    return ir_version && others > 0 ? 0.9f : 0.0f;
}

static tsr_status *onnx_probe(void *instance, const char *path, float *confidence)
{
    onnx_plugin *self = instance;
    if (confidence == NULL) {
        return self->api->status_create(TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME ": probe() was given a NULL confidence pointer");
    }
    *confidence = 0.0f;
    unsigned char start[TESSERA_ONNX_PROBE_BYTES];
    size_t got;
    uint64_t file_size;
    if (path == NULL || !tsp_probe_start(path, start, sizeof start, &got, &file_size)) return NULL;
    float score = got > 0 ? probe_bytes(start, got, file_size) : 0.0f;
    if (tsp_has_extension(path, ".onnx")) score += 0.1f;
    *confidence = score > 1.0f ? 1.0f : score;
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* load                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/** Checks the model header, then adds inputs, initializers, nodes and outputs, in that order. */
static int load_model(loader *l, onnx_model *model)
{
    decoder *d = &l->d;
    pb_slice whole = {d->base, d->size};
    if (!decode_model(d, whole, model)) return 0;
    if (!model->has_ir_version) {
        return decoder_fail(d, TSR_ERR_CORRUPT_DATA, "the file has no ir_version, so it is not an ONNX model (or is damaged)");
    }
    if (model->ir_version < 3) {
        return decoder_fail(d, TSR_ERR_UNSUPPORTED,
                            "IR version %" PRId64 " predates opset imports (IR version 3); re-export the model with a "
                            "current exporter",
                            model->ir_version);
    }
    if (!model->has_graph) return decoder_fail(d, TSR_ERR_CORRUPT_DATA, "the model has no graph");
    if (!model->has_opset) {
        return decoder_fail(d, TSR_ERR_UNSUPPORTED, "the model declares no opset for the default ONNX domain (opset_import)");
    }
    if (model->opset < TESSERA_ONNX_MIN_OPSET || model->opset > TESSERA_ONNX_MAX_OPSET) {
        return decoder_fail(d, TSR_ERR_UNSUPPORTED,
                            "the model uses opset %" PRId64 " of the default ONNX domain; this plugin loads opsets %d to %d "
                            "(convert it with onnx.version_converter.convert_version)",
                            model->opset, TESSERA_ONNX_MIN_OPSET, TESSERA_ONNX_MAX_OPSET);
    }
    l->opset = model->opset;
    if (!decode_graph(d, model->graph, 2, &l->g)) return 0;
    if (l->g.sparse_initializer_count > 0) {
        return decoder_fail(d, TSR_ERR_UNSUPPORTED, "the graph has %zu sparse initializers, which are not supported",
                            l->g.sparse_initializer_count);
    }
    return collect_initializer_names(l) && add_inputs(l) && add_initializers(l) && add_nodes(l) && add_outputs(l);
}

static tsr_status *onnx_load(void *instance, const char *path, tsr_graph *graph)
{
    onnx_plugin *self = instance;
    const tsr_host_api *api = self->api;
    if (path == NULL || graph == NULL) {
        return api->status_create(TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME ": load() needs a path and a graph, got NULL");
    }
    tsp_mapping *m;
    tsr_status *status = tsp_map_file(api, PLUGIN_NAME, path, NULL, "a .onnx file", &m);
    if (status != NULL) return status;
    if (tsp_mapping_size(m) == 0) {
        tsp_mapping_release(m);
        return tsp_fail(api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME, "'%s' is empty (0 bytes); it is not an ONNX model", path);
    }
    loader l;
    memset(&l, 0, sizeof l);
    l.d.api = api;
    l.d.path = path;
    l.d.base = tsp_mapping_bytes(m);
    l.d.size = tsp_mapping_size(m);
    l.host = self->host;
    l.graph = graph;
    l.file = m;
    onnx_model model;
    memset(&model, 0, sizeof model);
    int ok = load_model(&l, &model);
    if (!ok && l.d.status == NULL) {
        l.d.status = tsp_fail(api, TSR_ERR_INTERNAL, PLUGIN_NAME, "'%s': loading stopped without a reason (a bug in the plugin)", path);
    }
    if (ok) {
        char message[768];
        snprintf(message, sizeof message,
                 "loaded '%s': IR version %" PRId64 ", opset %" PRId64 ", producer '%.*s', %zu nodes, %zu initializers "
                 "(%zu from Constant nodes), %zu Cast nodes added after ConstantOfShape, %zu nodes and %zu initializers "
                 "added mapping nodes of an older opset, %zu external data files",
                 path, model.ir_version, model.opset, slice_print_length(model.producer_name),
                 model.producer_name.data ? (const char *)model.producer_name.data : "",
                 l.g.nodes.count - l.constants_folded + l.casts_added + l.nodes_added,
                 l.g.initializers.count + l.constants_folded + l.initializers_added, l.constants_folded, l.casts_added,
                 l.nodes_added, l.initializers_added, l.external_count);
        api->log(self->host, TSR_LOG_DEBUG, message);
    }
    status = l.d.status;
    loader_free(&l);
    tsp_mapping_release(m); /* the loader's own reference: the mapping now lives as long as the host's tensors */
    return status;
}

/* ------------------------------------------------------------------------------------------ */
/* save                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *onnx_save(void *instance, const tsr_graph *graph, const char *path)
{
    onnx_plugin *self = instance;
    return write_onnx(self->api, graph, path);
}

/* ------------------------------------------------------------------------------------------ */
/* Descriptor                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static const char *const k_extensions[] = {".onnx", NULL};

static const tsr_format_vtable k_format = {
    .struct_size = (uint32_t)sizeof(tsr_format_vtable),
    .format_name = TESSERA_ONNX_FORMAT_NAME,
    .extensions = k_extensions,
    .probe = onnx_probe,
    .load = onnx_load,
    .save = onnx_save,
};

static const void *onnx_get_capability(void *instance, const char *capability_id)
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
    .id = TESSERA_ONNX_ID,
    .name = PLUGIN_NAME,
    .version = "0.1.0",
    .vendor = "Tessera",
    .description = "Loads ONNX models (weights memory-mapped, zero-copy where aligned) and saves graphs as ONNX.",
    .capabilities = k_capabilities,
    .create = onnx_create,
    .get_capability = onnx_get_capability,
    .activate = onnx_activate,
    .deactivate = tsp_deactivate_nothing,
    .destroy = tsp_destroy_free,
};

TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void)
{
    return &k_descriptor;
}
