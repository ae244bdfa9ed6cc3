/*
 * prune-magnitude — a Tessera optimizer plugin that prunes FP32 weight tensors by magnitude.
 *
 * For every FP32 initializer of rank >= 2 with at least `min_elements` elements whose name
 * contains `include`, the floor(sparsity * n) weights of smallest absolute value are set to
 * zero (exactly that many, ties broken by position). The threshold is the k-th smallest |w|,
 * found by quickselect on a copy; the pruned tensor is a new buffer handed to the host with
 * graph_replace_initializer and a release callback that frees it.
 *
 * Everything here except tsr_plugin_entry is static, and the shared helpers (tsp_*, from
 * Plugins/support) are hidden: the library exports one symbol.
 */
#define _POSIX_C_SOURCE 200809L

#include <tessera/tessera.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera_prune_magnitude.h"
#include "tessera_plugin_support.h"

#define PLUGIN_NAME "prune-magnitude"
#define ACCEPTED_PARAMETERS "sparsity, min_elements, include"

/* ------------------------------------------------------------------------------------------ */
/* Parameters                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static const tsr_param_desc k_parameters[] = {
    {(uint32_t)sizeof(tsr_param_desc), TSR_SETTING_FLOAT, "sparsity", "0.5",
     "Fraction of each selected tensor's weights to set to zero, in [0, 1): the floor(sparsity * n) smallest by magnitude"},
    {(uint32_t)sizeof(tsr_param_desc), TSR_SETTING_INT, "min_elements", "1024",
     "Tensors with fewer elements than this are left alone"},
    {(uint32_t)sizeof(tsr_param_desc), TSR_SETTING_STRING, "include", "",
     "Only tensors whose name contains this text are pruned; empty selects every tensor"},
};
#define PARAMETER_COUNT (sizeof k_parameters / sizeof k_parameters[0])

typedef struct prune_options {
    double sparsity;
    int64_t min_elements;
    const char *include; /**< borrowed from the params for the run() call */
} prune_options;

/** Parses the whole of `text` (surrounding spaces allowed) as a double; 0 when it is not one. */
static int parse_double(const char *text, double *out)
{
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (end == text || errno == ERANGE) return 0;
    while (*end == ' ' || *end == '\t') end++;
    if (*end != '\0') return 0;
    *out = value;
    return 1;
}

/** Parses the whole of `text` as a decimal integer; 0 when it is not one. */
static int parse_int64(const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (end == text || errno == ERANGE) return 0;
    while (*end == ' ' || *end == '\t') end++;
    if (*end != '\0') return 0;
    *out = (int64_t)value;
    return 1;
}

/** Reads run()'s parameters over the defaults; unknown, repeated or malformed ones are errors. */
static tsr_status *read_parameters(const tsr_host_api *api, const tsr_param *params, size_t count, prune_options *options)
{
    options->sparsity = 0.5;
    options->min_elements = 1024;
    options->include = "";
    if (count == 0) return NULL;
    if (params == NULL) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "run() got %zu parameters but a NULL array", count);
    }
    /* The array's stride is the host's struct_size, so a newer host's longer entries still work. */
    size_t stride = params[0].struct_size;
    if (stride < sizeof(tsr_param)) {
        return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                        "run() got parameters with struct_size %zu, smaller than ABI 1.0's %zu; set it to sizeof(tsr_param)",
                        stride, sizeof(tsr_param));
    }
    int seen[PARAMETER_COUNT] = {0};
    const unsigned char *base = (const unsigned char *)params;
    for (size_t i = 0; i < count; i++) {
        const tsr_param *param = (const tsr_param *)(const void *)(base + i * stride);
        if (param->name == NULL) {
            return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "parameter %zu has no name", i);
        }
        size_t which = PARAMETER_COUNT;
        for (size_t p = 0; p < PARAMETER_COUNT; p++) {
            if (strcmp(param->name, k_parameters[p].name) == 0) which = p;
        }
        if (which == PARAMETER_COUNT) {
            return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                            "unknown parameter '%s'; accepted parameters: " ACCEPTED_PARAMETERS, param->name);
        }
        if (seen[which]) {
            return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "parameter '%s' is given twice; give it once", param->name);
        }
        seen[which] = 1;
        if (param->value == NULL) {
            return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "parameter '%s' has no value", param->name);
        }
        if (which == 0) {
            double sparsity;
            if (!parse_double(param->value, &sparsity) || !isfinite(sparsity) || sparsity < 0 || sparsity >= 1) {
                return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                                "parameter 'sparsity' must be a number in [0, 1) (e.g. 0.5), but it is '%s'",
                                param->value);
            }
            options->sparsity = sparsity;
        } else if (which == 1) {
            int64_t minimum;
            if (!parse_int64(param->value, &minimum) || minimum < 0) {
                return tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME,
                                "parameter 'min_elements' must be a non-negative integer (e.g. 1024), but it is '%s'",
                                param->value);
            }
            options->min_elements = minimum;
        } else {
            options->include = param->value;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Selection                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/** |w| for ordering; NaN counts as the largest magnitude, so NaN weights are never chosen. */
static float magnitude(float w)
{
    return isnan(w) ? INFINITY : fabsf(w);
}

static int compare_floats(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static float median_of_three(float a, float b, float c)
{
    if (a > b) { float t = a; a = b; b = t; }
    if (b > c) b = c;
    return a > b ? a : b;
}

/**
 * The k-th smallest (0-based) of values[0..n), reordering values. Quickselect with a
 * median-of-three pivot and a three-way partition (so runs of equal values, such as already
 * zero weights, cost nothing); falls back to sorting if it makes too little progress.
 */
static float select_kth(float *values, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, target = (ptrdiff_t)k;
    int budget = 16;
    for (size_t m = n; m > 1; m >>= 1) budget += 2;
    while (lo < hi) {
        if (budget-- == 0) {
            qsort(values + lo, (size_t)(hi - lo + 1), sizeof *values, compare_floats);
            return values[target];
        }
        float pivot = median_of_three(values[lo], values[lo + (hi - lo) / 2], values[hi]);
        ptrdiff_t lt = lo, i = lo, gt = hi;
        while (i <= gt) {
            float v = values[i];
            if (v < pivot) {
                values[i++] = values[lt];
                values[lt++] = v;
            } else if (v > pivot) {
                values[i] = values[gt];
                values[gt--] = v;
            } else {
                i++;
            }
        }
        /* values[lo..lt) < pivot, values[lt..gt] == pivot, values(gt..hi] > pivot */
        if (target < lt) hi = lt - 1;
        else if (target > gt) lo = gt + 1;
        else return pivot;
    }
    return values[target];
}

/**
 * Zeroes exactly k of weights[0..n) (k >= 1): all with magnitude below the k-th smallest, then
 * those equal to it in index order until k are zero. Returns 0 when out of memory.
 */
static int prune_weights(float *weights, size_t n, size_t k)
{
    float *magnitudes = malloc(n * sizeof *magnitudes);
    if (magnitudes == NULL) return 0;
    for (size_t i = 0; i < n; i++) magnitudes[i] = magnitude(weights[i]);
    float threshold = select_kth(magnitudes, n, k - 1);
    free(magnitudes);
    size_t zeroed = 0;
    for (size_t i = 0; i < n; i++) {
        if (magnitude(weights[i]) < threshold) {
            weights[i] = 0.0f;
            zeroed++;
        }
    }
    for (size_t i = 0; i < n && zeroed < k; i++) {
        if (magnitude(weights[i]) == threshold) { /* those zeroed above are below it */
            weights[i] = 0.0f;
            zeroed++;
        }
    }
    return 1;
}

static void free_buffer(void *buffer)
{
    free(buffer);
}

/* ------------------------------------------------------------------------------------------ */
/* Instance                                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct prune {
    const tsr_host_api *api;
    tsr_host *host;
    char report[512]; /**< the last run()'s report */
} prune;

static tsr_status *prune_create(const tsr_host_api *api, tsr_host *host, void **instance)
{
    tsr_status *status;
    if (!tsp_create_begin(api, instance, PLUGIN_NAME, TSP_SIZE_THROUGH(tsr_host_api, graph_replace_initializer), &status)) {
        return status;
    }
    status = tsp_check_no_settings(api, host, PLUGIN_NAME,
                                   "its parameters, " ACCEPTED_PARAMETERS ", are given to each optimize run");
    if (status != NULL) return status;
    prune *self = calloc(1, sizeof *self);
    if (self == NULL) return api->status_create(TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME ": out of memory creating the instance");
    self->api = api;
    self->host = host;
    *instance = self;
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Optimizer                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *prune_describe(void *instance, const tsr_param_desc **params, size_t *count)
{
    prune *self = instance;
    if (params == NULL || count == NULL) {
        return self->api->status_create(TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME ": describe() needs non-NULL params and count");
    }
    *params = k_parameters;
    *count = PARAMETER_COUNT;
    return NULL;
}

/** Element count of a shape; 0 with *overflow set when it does not fit. */
static uint64_t element_count(const int64_t *shape, uint32_t ndim, int *overflow)
{
    uint64_t n = 1;
    *overflow = 0;
    for (uint32_t d = 0; d < ndim; d++) {
        if (shape[d] < 0 || (shape[d] != 0 && n > UINT64_MAX / (uint64_t)shape[d])) {
            *overflow = 1;
            return 0;
        }
        n *= (uint64_t)shape[d];
    }
    return n;
}

/** Formats a fraction so it reads back exactly, with the fewest digits. */
static void format_fraction(char *out, size_t size, double value)
{
    if (value == 0 || value == 1) {
        snprintf(out, size, "%d", (int)value);
    } else {
        tsp_format_shortest(out, size, value);
    }
}

/** Prunes initializer `index` if it qualifies; *pruned tells whether it was replaced. */
static tsr_status *prune_initializer(prune *self, tsr_graph *graph, size_t index, const prune_options *options, int *pruned,
                                     uint64_t *zeroed, uint64_t *elements)
{
    const tsr_host_api *api = self->api;
    *pruned = 0;
    const char *name = NULL;
    tsr_tensor_view view;
    memset(&view, 0, sizeof view);
    view.struct_size = (uint32_t)sizeof view;
    tsr_status *status = api->graph_initializer(graph, index, &name, &view);
    if (status != NULL) {
        char label[32];
        snprintf(label, sizeof label, "%zu", index);
        return tsp_wrap_host_error(api, status, PLUGIN_NAME, "reading initializer", label);
    }
    if (name == NULL) name = "";
    if (view.dtype != TSR_DTYPE_FP32 || view.ndim < 2 || view.ndim > TSR_MAX_RANK || view.shape == NULL) return NULL;
    if (options->include[0] != '\0' && strstr(name, options->include) == NULL) return NULL;
    int overflow;
    uint64_t n = element_count(view.shape, view.ndim, &overflow);
    if (overflow || n > SIZE_MAX / sizeof(float) || n * sizeof(float) != view.byte_size || (n > 0 && view.data == NULL)) {
        return tsp_fail(api, TSR_ERR_INTERNAL, PLUGIN_NAME,
                        "initializer '%s' has byte_size %" PRIu64 ", which does not match its FP32 shape (a host bug)", name,
                        view.byte_size);
    }
    if (n < (uint64_t)options->min_elements) return NULL;
    size_t k = (size_t)floor(options->sparsity * (double)n);
    if (k > n) k = (size_t)n;
    if (k == 0) return NULL;

    /* The host's data may be read-only (mmap'ed) and unaligned: work on an aligned copy. */
    float *weights = malloc((size_t)n * sizeof *weights);
    char *name_copy = tsp_strdup(name);
    int64_t shape[TSR_MAX_RANK];
    if (weights == NULL || name_copy == NULL) {
        free(weights);
        free(name_copy);
        return tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory pruning '%s' (%" PRIu64 " weights)", name, n);
    }
    memcpy(weights, view.data, (size_t)n * sizeof *weights);
    memcpy(shape, view.shape, view.ndim * sizeof *shape);
    if (!prune_weights(weights, (size_t)n, k)) {
        free(weights);
        status = tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory pruning '%s' (%" PRIu64 " weights)", name_copy, n);
        free(name_copy);
        return status;
    }

    tsr_tensor_view pruned_view;
    memset(&pruned_view, 0, sizeof pruned_view);
    pruned_view.struct_size = (uint32_t)sizeof pruned_view;
    pruned_view.dtype = TSR_DTYPE_FP32;
    pruned_view.ndim = view.ndim;
    pruned_view.shape = shape;
    pruned_view.data = weights;
    pruned_view.byte_size = n * sizeof *weights;
    tsr_release release = {(uint32_t)sizeof(tsr_release), free_buffer, weights};
    /* From here the host owns `weights`: it calls release once, also if this fails. */
    status = api->graph_replace_initializer(graph, name_copy, &pruned_view, &release);
    if (status != NULL) {
        status = tsp_wrap_host_error(api, status, PLUGIN_NAME, "replacing initializer", name_copy);
    } else {
        *pruned = 1;
        *zeroed += k;
        *elements += n;
    }
    free(name_copy);
    return status;
}

static tsr_status *prune_run(void *instance, tsr_graph *graph, const tsr_param *params, size_t count, const char **report_json)
{
    prune *self = instance;
    const tsr_host_api *api = self->api;
    if (graph == NULL || report_json == NULL) {
        return api->status_create(TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME ": run() needs a graph and a report pointer, got NULL");
    }
    *report_json = NULL;
    prune_options options;
    tsr_status *status = read_parameters(api, params, count, &options);
    if (status != NULL) return status;

    tsr_graph_summary summary;
    memset(&summary, 0, sizeof summary);
    summary.struct_size = (uint32_t)sizeof summary;
    status = api->graph_summary(graph, &summary);
    if (status != NULL) return tsp_wrap_host_error(api, status, PLUGIN_NAME, "reading the summary of", "the graph");

    uint64_t pruned_count = 0, skipped_count = 0, zeroed = 0, total = 0;
    for (size_t i = 0; i < summary.initializer_count; i++) {
        int pruned = 0;
        status = prune_initializer(self, graph, i, &options, &pruned, &zeroed, &total);
        if (status != NULL) return status;
        if (pruned) pruned_count++;
        else skipped_count++;
    }
    char sparsity[40];
    format_fraction(sparsity, sizeof sparsity, total > 0 ? (double)zeroed / (double)total : 0.0);
    snprintf(self->report, sizeof self->report,
             "{\"tensors_pruned\":%" PRIu64 ",\"tensors_skipped\":%" PRIu64 ",\"weights_zeroed\":%" PRIu64
             ",\"weights_total\":%" PRIu64 ",\"sparsity\":%s}",
             pruned_count, skipped_count, zeroed, total, sparsity);
    *report_json = self->report;
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Descriptor                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static const tsr_optimizer_vtable k_optimizer = {
    .struct_size = (uint32_t)sizeof(tsr_optimizer_vtable),
    .optimizer_name = TESSERA_PRUNE_MAGNITUDE_OPTIMIZER_NAME,
    .describe = prune_describe,
    .run = prune_run,
};

static const void *prune_get_capability(void *instance, const char *capability_id)
{
    (void)instance;
    if (capability_id != NULL && strcmp(capability_id, TSR_CAP_OPTIMIZER) == 0) return &k_optimizer;
    return NULL;
}

static const char *const k_capabilities[] = {TSR_CAP_OPTIMIZER, NULL};

static const tsr_plugin_descriptor k_descriptor = {
    .struct_size = (uint32_t)sizeof(tsr_plugin_descriptor),
    .abi_major = TSR_ABI_MAJOR,
    .abi_minor = TSR_ABI_MINOR,
    .min_abi_minor = 0,
    .fingerprint = TSR_ABI_FINGERPRINT_INIT,
    .id = TESSERA_PRUNE_MAGNITUDE_ID,
    .name = PLUGIN_NAME,
    .version = "0.1.0",
    .vendor = "Tessera",
    .description = "Sets the smallest-magnitude fraction of each large FP32 weight tensor to zero.",
    .capabilities = k_capabilities,
    .create = prune_create,
    .get_capability = prune_get_capability,
    .activate = tsp_activate_nothing,
    .deactivate = tsp_deactivate_nothing,
    .destroy = tsp_destroy_free,
};

TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void)
{
    return &k_descriptor;
}
