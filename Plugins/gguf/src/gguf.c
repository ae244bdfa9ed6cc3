/*
 * gguf — a Tessera format plugin that reads GGUF files (llama.cpp's container, versions 2 and
 * 3): metadata key/values, tensor infos and an aligned data section. Read-only: save is NULL.
 *
 * load() maps the file read-only, checks the whole header (gguf_header.h) and the layout of
 * every tensor (gguf_layout.h) before anything reaches the host, then hands the tensors over
 * (gguf_handover.h): F32, F16, BF16, F64 and the integer types as views into the mapping (no
 * copy; the mapping is reference-counted and unmapped when the host releases the last view),
 * Q8_0 dequantized to FP32. Other ggml types (Q4_0, the k-quants, ...) are refused with
 * TSR_ERR_UNSUPPORTED, or skipped with a warning when the setting skip_unsupported is true.
 * The graph gets initializers only; the metadata is read and validated but, the ABI having no
 * place for it yet, only summarized in one log line.
 *
 * One translation unit (this file and the private gguf_*.h files it includes once), so that
 * everything except tsr_plugin_entry is static, and the shared tsp_* helpers (Plugins/support)
 * are declared hidden: the library exports one symbol even when built without
 * -fvisibility=hidden.
 */
#define _POSIX_C_SOURCE 200809L

#include <tessera/tessera.h>

#include "tessera_gguf.h"

#include "gguf_support.h"  /* ggml types, value types, names in messages */
#include "gguf_header.h"   /* header, metadata and tensor infos */
#include "gguf_layout.h"   /* sizes, alignment, bounds, duplicates, overlaps */
#include "gguf_handover.h" /* views and Q8_0 dequantization */

/* ------------------------------------------------------------------------------------------ */
/* Instance                                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct gguf_plugin {
    const tsr_host_api *api;
    tsr_host *host;
    int skip_unsupported;
} gguf_plugin;

static const tsp_setting_spec k_settings[] = {
    {TESSERA_GGUF_SETTING_SKIP_UNSUPPORTED, TSR_SETTING_BOOL, "skip_unsupported = true"},
};

static tsr_status *gguf_create(const tsr_host_api *api, tsr_host *host, void **instance)
{
    tsr_status *status;
    if (!tsp_create_begin(api, instance, PLUGIN_NAME, TSP_SIZE_THROUGH(tsr_host_api, graph_add_initializer), &status)) {
        return status;
    }
    status = tsp_check_settings(api, host, PLUGIN_NAME, k_settings, sizeof k_settings / sizeof k_settings[0]);
    if (status != NULL) return status;
    gguf_plugin *self = calloc(1, sizeof *self);
    if (self == NULL) return api->status_create(TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME ": out of memory creating the instance");
    self->api = api;
    self->host = host;
    int skip = 0;
    if (api->setting_bool(host, TESSERA_GGUF_SETTING_SKIP_UNSUPPORTED, &skip)) self->skip_unsupported = skip != 0;
    *instance = self;
    return NULL;
}

static tsr_status *gguf_activate(void *instance)
{
    gguf_plugin *self = instance;
    if (!tsp_host_is_little_endian()) {
        return self->api->status_create(TSR_ERR_UNSUPPORTED,
                                        PLUGIN_NAME ": this plugin reads little-endian GGUF files and does not byte-swap; "
                                        "it cannot run on a big-endian machine");
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* probe                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/** Swaps the bytes of a uint32 (a big-endian file's version read as little-endian). */
static uint32_t swap32(uint32_t value)
{
    return (value >> 24) | ((value >> 8) & 0xFF00u) | ((value << 8) & 0xFF0000u) | (value << 24);
}

static int plausible_version(uint32_t version)
{
    return version >= TESSERA_GGUF_MIN_VERSION && version <= TESSERA_GGUF_MAX_VERSION;
}

static tsr_status *gguf_probe(void *instance, const char *path, float *confidence)
{
    gguf_plugin *self = instance;
    if (confidence == NULL) {
        return self->api->status_create(TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME ": probe() was given a NULL confidence pointer");
    }
    *confidence = 0.0f;
    unsigned char start[8];
    size_t got;
    uint64_t file_size;
    if (path == NULL || !tsp_probe_start(path, start, sizeof start, &got, &file_size)) return NULL;
    float score = 0.0f;
    if (got == sizeof start && tsp_read_le32(start) == GGUF_MAGIC) {
        uint32_t version = tsp_read_le32(start + 4);
        /* A big-endian file is recognized too, so that load() can say why it refuses it. */
        if (plausible_version(version) || plausible_version(swap32(version))) score = 0.95f;
    }
    if (tsp_has_extension(path, ".gguf")) score += 0.05f;
    *confidence = score > 1.0f ? 1.0f : score;
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* load                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/** Maps `path` read-only and checks it can hold the fixed header; on success *out holds one reference. */
static tsr_status *map_file(const tsr_host_api *api, const char *path, tsp_mapping **out)
{
    tsr_status *status = tsp_map_file(api, PLUGIN_NAME, path, NULL, "a .gguf file", out);
    if (status != NULL) return status;
    uint64_t size = tsp_mapping_size(*out);
    if (size < GGUF_HEADER_BYTES) {
        tsp_mapping_release(*out);
        *out = NULL;
        return tsp_fail(api, TSR_ERR_CORRUPT_DATA, PLUGIN_NAME, "'%s' is %" PRIu64 " bytes, too short for the %u-byte GGUF header",
                        path, size, GGUF_HEADER_BYTES);
    }
    return NULL;
}

/** Checks magic and version; reads the two counts. */
static int read_fixed_header(gguf_cursor *c, uint32_t *version, uint64_t *tensor_count, uint64_t *kv_count)
{
    uint32_t magic = tsp_read_le32(c->base);
    if (magic != GGUF_MAGIC) {
        return cursor_fail(c, TSR_ERR_CORRUPT_DATA, "the file does not start with the GGUF magic \"GGUF\" (its first bytes "
                           "are %02x %02x %02x %02x); it is not a GGUF file",
                           c->base[0], c->base[1], c->base[2], c->base[3]);
    }
    *version = tsp_read_le32(c->base + 4);
    if ((*version & 0xFFFFu) == 0 && *version != 0) {
        return cursor_fail(c, TSR_ERR_UNSUPPORTED, "the file is a big-endian GGUF (version %" PRIu32 " stored big-endian); "
                           "this plugin reads little-endian files only (convert it with gguf-py's gguf_convert_endian.py)",
                           swap32(*version));
    }
    if (*version == 1) {
        return cursor_fail(c, TSR_ERR_UNSUPPORTED, "the file is GGUF version 1, whose 32-bit counts and lengths this plugin "
                           "does not read; re-convert the model with a current llama.cpp");
    }
    if (!plausible_version(*version)) {
        return cursor_fail(c, TSR_ERR_UNSUPPORTED, "the file is GGUF version %" PRIu32 "; this plugin reads versions %d and %d",
                           *version, TESSERA_GGUF_MIN_VERSION, TESSERA_GGUF_MAX_VERSION);
    }
    *tensor_count = tsp_read_le64(c->base + 8);
    *kv_count = tsp_read_le64(c->base + 16);
    c->pos = GGUF_HEADER_BYTES;
    return 1;
}

/**
 * With skip_unsupported off: fails on the first tensor (in file order) of a type load() does
 * not hand over, before anything reaches the host. With it on: returns 1 and leaves them to
 * be skipped.
 */
static int check_supported(gguf_cursor *c, const gguf_tensor *tensors, uint64_t count, int skip)
{
    if (skip) return 1;
    for (uint64_t i = 0; i < count; i++) {
        const gguf_tensor *t = &tensors[i];
        if (t->type != NULL && t->type->handling != HANDLE_UNSUPPORTED) continue;
        int shown = shown_length(t->name.data, t->name.length, SHOWN_NAME);
        const char *name = (const char *)t->name.data;
        const char *why = t->type == NULL ? "a type id this plugin does not know (a newer ggml type?)"
                          : t->type->block_size == 0 ? "a type ggml has removed; re-convert the model"
                                                     : "a type this plugin does not dequantize";
        char label[48];
        if (t->type == NULL) snprintf(label, sizeof label, "id %" PRIu32, t->type_id);
        else snprintf(label, sizeof label, "%s (id %" PRIu32 ")", t->type->name, t->type_id);
        return cursor_fail(c, TSR_ERR_UNSUPPORTED,
                           "tensor '%.*s' has ggml type %s, %s. This plugin loads " LOADED_TYPES
                           "; set skip_unsupported = true under [plugins.settings] to load the file without such tensors",
                           shown, name, label, why);
    }
    return 1;
}

/** One warning naming how many tensors were skipped, of which types, and the first of them. */
static void warn_skipped(gguf_plugin *self, const char *path, const gguf_tensor *tensors, uint64_t count, uint64_t skipped)
{
    tsp_text text = {0};
    tsp_text_puts(&text, "'");
    tsp_text_puts(&text, path);
    tsp_text_puts(&text, "': skipped ");
    tsp_text_u64(&text, skipped);
    tsp_text_puts(&text, skipped == 1 ? " tensor" : " tensors");
    tsp_text_puts(&text, " of types this plugin does not load (skip_unsupported = true):");
    const gguf_tensor *first = NULL;
    for (uint32_t id = 0; id <= GGML_TYPE_COUNT; id++) {
        /* id GGML_TYPE_COUNT stands for every unknown id */
        uint64_t n = 0;
        for (uint64_t i = 0; i < count; i++) {
            const gguf_tensor *t = &tensors[i];
            int unsupported = t->type == NULL || t->type->handling == HANDLE_UNSUPPORTED;
            int match = id == GGML_TYPE_COUNT ? t->type == NULL : t->type_id == id;
            if (unsupported && match) {
                n++;
                if (first == NULL || t < first) first = t;
            }
        }
        if (n == 0) continue;
        tsp_text_puts(&text, " ");
        tsp_text_puts(&text, id == GGML_TYPE_COUNT ? "unknown" : k_ggml_types[id].name);
        tsp_text_puts(&text, " ");
        tsp_text_u64(&text, n);
    }
    if (first != NULL) {
        char label[48];
        tsp_text_puts(&text, "; the first is '");
        tsp_text_append(&text, (const char *)first->name.data,
                        (size_t)shown_length(first->name.data, first->name.length, SHOWN_NAME));
        tsp_text_puts(&text, "' (");
        tsp_text_puts(&text, type_label(first, label, sizeof label));
        tsp_text_puts(&text, ")");
    }
    if (!text.out_of_memory && text.data != NULL) self->api->log(self->host, TSR_LOG_WARNING, text.data);
    free(text.data);
}

/** 1 when a metadata string (inside the mapping) is UTF-8 without NUL bytes, so it can be shown. */
static int shows_as_text(const gguf_string *s)
{
    return tsp_utf8_invalid_offset(s->data, (size_t)s->length, TSP_UTF8_REJECT_NUL) == s->length;
}

/** The one-line summary of a successful load. */
static void log_summary(gguf_plugin *self, const char *path, uint32_t version, const gguf_metadata *meta, uint64_t tensor_count,
                        const handover_stats *stats)
{
    char architecture[96], name[96];
    snprintf(architecture, sizeof architecture, "(none)");
    snprintf(name, sizeof name, "(none)");
    /* Metadata strings are not checked to be UTF-8; show them only when they are, cut short. */
    if (meta->architecture.length > 0 && shows_as_text(&meta->architecture)) {
        snprintf(architecture, sizeof architecture, "'%.*s'", shown_length(meta->architecture.data, meta->architecture.length, 64),
                 (const char *)meta->architecture.data);
    }
    if (meta->name.length > 0 && shows_as_text(&meta->name)) {
        snprintf(name, sizeof name, "'%.*s'", shown_length(meta->name.data, meta->name.length, 64), (const char *)meta->name.data);
    }
    char message[1024];
    snprintf(message, sizeof message,
             "loaded '%s': GGUF v%" PRIu32 ", architecture %s, name %s, %" PRIu64 " tensors (%" PRIu64 " zero-copy, %" PRIu64
             " copied by the host for alignment, %" PRIu64 " Q8_0 dequantized to FP32, %" PRIu64 " skipped), %" PRIu64
             " metadata entries (read and validated, not exposed), alignment %" PRIu64,
             path, version, architecture, name, tensor_count, stats->zero_copy, stats->copied, stats->dequantized, stats->skipped,
             meta->count, meta->alignment);
    self->api->log(self->host, TSR_LOG_INFO, message);
}

static tsr_status *gguf_load(void *instance, const char *path, tsr_graph *graph)
{
    gguf_plugin *self = instance;
    const tsr_host_api *api = self->api;
    if (path == NULL || graph == NULL) {
        return api->status_create(TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME ": load() needs a path and a graph, got NULL");
    }
    tsp_mapping *m;
    tsr_status *status = map_file(api, path, &m);
    if (status != NULL) return status;

    const unsigned char *bytes = tsp_mapping_bytes(m);
    gguf_cursor c = {api, path, bytes, (uint64_t)tsp_mapping_size(m), 0, NULL};
    gguf_metadata meta;
    memset(&meta, 0, sizeof meta);
    gguf_tensor *tensors = NULL;
    uint32_t version = 0;
    uint64_t tensor_count = 0, kv_count = 0;
    handover_stats stats = {0, 0, 0, 0};

    int ok = read_fixed_header(&c, &version, &tensor_count, &kv_count) && read_metadata(&c, kv_count, &meta) &&
             read_tensor_infos(&c, tensor_count, &tensors);
    uint64_t data_start = 0, data_size = 0;
    if (ok) {
        uint64_t infos_end = c.pos;
        data_start = (infos_end + meta.alignment - 1) / meta.alignment * meta.alignment; /* no overflow: both < 2^63 */
        if (data_start <= c.size) {
            data_size = c.size - data_start;
        } else if (tensor_count > 0) {
            ok = cursor_fail(&c, TSR_ERR_CORRUPT_DATA,
                             "the data section would start at byte %" PRIu64 " (the tensor infos end at byte %" PRIu64
                             ", aligned to %" PRIu64 "), past the end of the file (%" PRIu64
                             " bytes); the file is truncated or corrupt",
                             data_start, infos_end, meta.alignment, c.size);
        }
    }
    ok = ok && check_layout(&c, tensors, tensor_count, meta.alignment, data_size) &&
         check_supported(&c, tensors, tensor_count, self->skip_unsupported);

    const unsigned char *data = bytes + (data_start <= c.size ? data_start : 0);
    for (uint64_t i = 0; i < tensor_count && ok; i++) {
        const gguf_tensor *t = &tensors[i];
        if (t->type == NULL || t->type->handling == HANDLE_UNSUPPORTED) {
            stats.skipped++;
            continue;
        }
        ok = hand_over(&c, graph, m, data, t, &stats);
    }
    if (ok) {
        if (stats.skipped > 0) warn_skipped(self, path, tensors, tensor_count, stats.skipped);
        log_summary(self, path, version, &meta, tensor_count, &stats);
    } else if (c.status == NULL) {
        c.status = tsp_fail(api, TSR_ERR_INTERNAL, PLUGIN_NAME, "'%s': loading stopped without a reason (a bug in the plugin)", path);
    }
    free(tensors);
    free(meta.keys);
    tsp_mapping_release(m); /* the loader's own reference: the mapping now lives as long as the host's views */
    return c.status;
}

/* ------------------------------------------------------------------------------------------ */
/* Descriptor                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static const char *const k_extensions[] = {".gguf", NULL};

static const tsr_format_vtable k_format = {
    .struct_size = (uint32_t)sizeof(tsr_format_vtable),
    .format_name = TESSERA_GGUF_FORMAT_NAME,
    .extensions = k_extensions,
    .probe = gguf_probe,
    .load = gguf_load,
    .save = NULL, /* read-only */
};

static const void *gguf_get_capability(void *instance, const char *capability_id)
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
    .id = TESSERA_GGUF_ID,
    .name = PLUGIN_NAME,
    .version = "0.1.0",
    .vendor = "Tessera",
    .description = "Reads GGUF (llama.cpp) weight files: F32/F16/BF16 and integer tensors memory-mapped and zero-copy, "
                   "Q8_0 dequantized to F32.",
    .capabilities = k_capabilities,
    .create = gguf_create,
    .get_capability = gguf_get_capability,
    .activate = gguf_activate,
    .deactivate = tsp_deactivate_nothing,
    .destroy = tsp_destroy_free,
};

TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void)
{
    return &k_descriptor;
}
