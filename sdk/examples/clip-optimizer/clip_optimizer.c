/*
 * clip-optimizer — an example Tessera optimizer plugin, "clip-weights".
 *
 * Clamps every FP32 initializer (weight) of a graph to [-limit, limit]. Each tensor that has a
 * value outside the range is copied into a new malloc'ed buffer, clamped there, and handed to
 * the host with graph_replace_initializer and a release callback that frees it: the graph's
 * own data may be read-only (mmap'ed) and is never written. NaN values are left as they are.
 *
 * Parameter: limit (float, default "1.0", must be a positive finite number).
 * Report: {"tensors":N,"changed_tensors":K,"clipped_values":M,"limit":L}
 *
 * Written against the public headers only. Build:
 *     cc -std=c11 -Wall -Wextra -pedantic -Werror -O2 -shared -fPIC -fvisibility=hidden \
 *        -I ../../include clip_optimizer.c -o libclip-optimizer.so
 */
#define _POSIX_C_SOURCE 200809L

#include <tessera/tessera.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct clip_plugin {
    const tsr_host_api *api;
    tsr_host *host;
    char report[256]; /**< the last run's report; valid until the next call, as the ABI asks */
} clip_plugin;

static tsr_status *fail(const tsr_host_api *api, tsr_status_code code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static tsr_status *fail(const tsr_host_api *api, tsr_status_code code, const char *format, ...)
{
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    return api->status_create(code, message);
}

/** Turns a status from the host into one of ours with context, and frees the host's. */
static tsr_status *wrap(const tsr_host_api *api, tsr_status *inner, const char *what, const char *name)
{
    tsr_status *outer = fail(api, api->status_code(inner), "%s '%s': %s", what, name, api->status_message(inner));
    api->status_release(inner);
    return outer;
}

/* ------------------------------------------------------------------------------------------ */
/* describe                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Immutable, so sharing it between instances is fine. */
static const tsr_param_desc k_params[] = {
    {
        .struct_size = sizeof(tsr_param_desc),
        .kind = TSR_SETTING_FLOAT,
        .name = "limit",
        .default_value = "1.0",
        .description = "Largest magnitude a weight may keep; FP32 initializers are clamped to [-limit, limit].",
    },
};

static tsr_status *clip_describe(void *instance, const tsr_param_desc **params, size_t *count)
{
    clip_plugin *self = instance;
    if (params == NULL || count == NULL) {
        return self->api->status_create(TSR_ERR_INVALID_ARGUMENT, "describe() was given a NULL out-pointer");
    }
    *params = k_params;
    *count = sizeof k_params / sizeof k_params[0];
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* run                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/** Parses the whole of `text` as a positive finite number. */
static int parse_limit(const char *text, double *out)
{
    if (text == NULL || *text == '\0') return 0;
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(value) || value <= 0) return 0;
    *out = value;
    return 1;
}

static void free_buffer(void *context)
{
    free(context);
}

/** Clamps one FP32 initializer; adds to *changed and *clipped. */
static tsr_status *clip_initializer(clip_plugin *self, tsr_graph *graph, size_t index, float limit,
                                    size_t *fp32_tensors, size_t *changed, uint64_t *clipped)
{
    const tsr_host_api *api = self->api;
    const char *borrowed_name = NULL;
    tsr_tensor_view view;
    memset(&view, 0, sizeof view);
    view.struct_size = sizeof view;
    tsr_status *status = api->graph_initializer(graph, index, &borrowed_name, &view);
    if (status != NULL) {
        char position[32];
        snprintf(position, sizeof position, "#%zu", index);
        return wrap(api, status, "cannot read initializer", position);
    }
    if (view.dtype != TSR_DTYPE_FP32) return NULL;
    (*fp32_tensors)++;
    const char *shown = borrowed_name ? borrowed_name : "?";
    if (view.byte_size % sizeof(float) != 0 || view.byte_size > SIZE_MAX || view.ndim > TSR_MAX_RANK ||
        (view.byte_size > 0 && view.data == NULL) || (view.ndim > 0 && view.shape == NULL)) {
        return fail(api, TSR_ERR_INTERNAL, "initializer '%s' has an inconsistent view (%" PRIu64 " bytes, rank %" PRIu32 ")",
                    shown, view.byte_size, view.ndim);
    }

    /* First pass: count, without allocating, so unchanged tensors stay zero-copy. */
    size_t count = (size_t)(view.byte_size / sizeof(float));
    const float *source = view.data;
    uint64_t out_of_range = 0;
    for (size_t i = 0; i < count; i++) {
        if (source[i] > limit || source[i] < -limit) out_of_range++;
    }
    if (out_of_range == 0) return NULL;

    /* The name, shape and data pointers are valid only until the graph is modified: copy them. */
    char *name = malloc(strlen(shown) + 1);
    float *clamped = malloc((size_t)view.byte_size);
    if (name == NULL || clamped == NULL) {
        free(name);
        free(clamped);
        return fail(api, TSR_ERR_OUT_OF_MEMORY, "out of memory copying initializer '%s' (%" PRIu64 " bytes)", shown,
                    view.byte_size);
    }
    strcpy(name, shown);
    int64_t shape[TSR_MAX_RANK];
    if (view.ndim > 0) memcpy(shape, view.shape, view.ndim * sizeof shape[0]);
    for (size_t i = 0; i < count; i++) {
        float value = source[i];
        clamped[i] = value > limit ? limit : (value < -limit ? -limit : value);
    }

    tsr_tensor_view replacement = view;
    replacement.shape = view.ndim > 0 ? shape : NULL;
    replacement.data = clamped;

    tsr_release release;
    memset(&release, 0, sizeof release);
    release.struct_size = sizeof release;
    release.release = free_buffer;
    release.context = clamped;

    /* Ownership of `clamped` moves to the host now, whether or not the call succeeds. */
    status = api->graph_replace_initializer(graph, name, &replacement, &release);
    if (status != NULL) status = wrap(api, status, "cannot replace initializer", name);
    free(name);
    if (status != NULL) return status;
    (*changed)++;
    *clipped += out_of_range;
    return NULL;
}

static tsr_status *clip_run(void *instance, tsr_graph *graph, const tsr_param *params, size_t count,
                            const char **report_json)
{
    clip_plugin *self = instance;
    const tsr_host_api *api = self->api;
    if (graph == NULL || report_json == NULL || (count > 0 && params == NULL)) {
        return api->status_create(TSR_ERR_INVALID_ARGUMENT, "run() was given a NULL graph, report or parameter list");
    }
    *report_json = NULL;

    double limit = 1.0;
    int seen_limit = 0;
    for (size_t i = 0; i < count; i++) {
        const char *name = params[i].name;
        const char *value = params[i].value;
        if (name == NULL) return api->status_create(TSR_ERR_INVALID_ARGUMENT, "a parameter has a NULL name");
        if (strcmp(name, "limit") != 0) {
            return fail(api, TSR_ERR_INVALID_ARGUMENT, "unknown parameter '%s'; clip-weights accepts: limit", name);
        }
        if (seen_limit) return api->status_create(TSR_ERR_INVALID_ARGUMENT, "parameter 'limit' is given twice");
        seen_limit = 1;
        if (!parse_limit(value, &limit) || limit > 3.4e38) {
            return fail(api, TSR_ERR_INVALID_ARGUMENT,
                        "parameter 'limit' must be a positive finite number below 3.4e38 (e.g. limit=0.5), got '%s'",
                        value ? value : "(null)");
        }
    }

    tsr_graph_summary summary;
    memset(&summary, 0, sizeof summary);
    summary.struct_size = sizeof summary;
    tsr_status *status = api->graph_summary(graph, &summary);
    if (status != NULL) return wrap(api, status, "cannot read", "the graph");

    size_t fp32_tensors = 0, changed = 0;
    uint64_t clipped = 0;
    for (size_t i = 0; i < summary.initializer_count; i++) {
        status = clip_initializer(self, graph, i, (float)limit, &fp32_tensors, &changed, &clipped);
        if (status != NULL) return status; /* the host discards the graph on error */
    }
    snprintf(self->report, sizeof self->report,
             "{\"tensors\":%zu,\"changed_tensors\":%zu,\"clipped_values\":%" PRIu64 ",\"limit\":%.9g}", fp32_tensors,
             changed, clipped, limit);
    *report_json = self->report;
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Descriptor and lifecycle                                                                   */
/* ------------------------------------------------------------------------------------------ */

static const tsr_optimizer_vtable k_optimizer = {
    .struct_size = sizeof(tsr_optimizer_vtable),
    .optimizer_name = "clip-weights",
    .describe = clip_describe,
    .run = clip_run,
};

static tsr_status *clip_create(const tsr_host_api *api, tsr_host *host, void **instance)
{
    if (instance == NULL) return api->status_create(TSR_ERR_INVALID_ARGUMENT, "create() was given a NULL instance pointer");
    *instance = NULL;
    if (!TSR_HAS_FIELD(api, tsr_host_api, graph_replace_initializer)) {
        return api->status_create(TSR_ERR_FAILED_PRECONDITION, "the host API table is smaller than ABI 1.0's");
    }
    if (api->setting_count(host) > 0) {
        const char *key = api->setting_key(host, 0);
        return fail(api, TSR_ERR_INVALID_SETTING,
                    "unknown setting '%s'; clip-weights takes no settings (pass 'limit' as an optimizer parameter)",
                    key ? key : "?");
    }
    clip_plugin *self = calloc(1, sizeof *self);
    if (self == NULL) return api->status_create(TSR_ERR_OUT_OF_MEMORY, "out of memory creating the instance");
    self->api = api;
    self->host = host;
    *instance = self;
    api->log(host, TSR_LOG_INFO, "clip-weights ready: clamps FP32 initializers to [-limit, limit]");
    return NULL;
}

static const void *clip_get_capability(void *instance, const char *capability_id)
{
    (void)instance;
    if (capability_id != NULL && strcmp(capability_id, TSR_CAP_OPTIMIZER) == 0) return &k_optimizer;
    return NULL;
}

static tsr_status *clip_activate(void *instance)
{
    (void)instance;
    return NULL;
}

static void clip_deactivate(void *instance)
{
    (void)instance;
}

static void clip_destroy(void *instance)
{
    free(instance);
}

static const char *const k_capabilities[] = {TSR_CAP_OPTIMIZER, NULL};

static const tsr_plugin_descriptor k_descriptor = {
    .struct_size = sizeof(tsr_plugin_descriptor),
    .abi_major = TSR_ABI_MAJOR,
    .abi_minor = TSR_ABI_MINOR,
    .min_abi_minor = 0,
    .fingerprint = TSR_ABI_FINGERPRINT_INIT,
    .id = "org.example.clip-optimizer",
    .name = "clip-optimizer",
    .version = "1.0.0",
    .vendor = "Example Org",
    .description = "Clamps FP32 weights to [-limit, limit].",
    .capabilities = k_capabilities,
    .create = clip_create,
    .get_capability = clip_get_capability,
    .activate = clip_activate,
    .deactivate = clip_deactivate,
    .destroy = clip_destroy,
};

TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void)
{
    return &k_descriptor;
}
