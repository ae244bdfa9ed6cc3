/*
 * A format plugin that exercises the host API for the host's tests: settings of every kind,
 * logging, graph building with a zero-copy initializer, reading a graph back, a rejected
 * call, and a custom op kernel registered by symbol.
 */
#include <tessera/tessera.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const tsr_host_api *api;
    tsr_host *host;
    double scale;
} probe_t;

static int releases = 0;
static char last_error[512];

TSR_EXPORT int probe_release_count(void) { return releases; }
TSR_EXPORT const char *probe_last_error(void) { return last_error; }

/* The custom kernel: multiplies n floats by k in place. */
TSR_EXPORT void probe_scale(float *data, int64_t n, float k) {
    for (int64_t i = 0; i < n; i++) data[i] *= k;
}

static void free_weights(void *context) {
    free(context);
    releases++;
}

static tsr_status *create(const tsr_host_api *api, tsr_host *host, void **out) {
    probe_t *self = calloc(1, sizeof *self);
    if (!self) return api->status_create(TSR_ERR_OUT_OF_MEMORY, "out of memory");
    self->api = api;
    self->host = host;
    self->scale = 1.0;
    api->setting_float(host, "scale", &self->scale);
    char line[256];
    int64_t count = -1;
    int flag = -1;
    api->setting_int(host, "count", &count);
    api->setting_bool(host, "flag", &flag);
    const char *label = api->setting_string(host, "label");
    snprintf(line, sizeof line, "settings: %zu keys, scale=%g count=%lld flag=%d label=%s list=%s",
             api->setting_count(host), self->scale, (long long)count, flag, label ? label : "(none)",
             api->setting_kind(host, "list") == TSR_SETTING_ARRAY ? api->setting_string(host, "list") : "(none)");
    api->log(host, TSR_LOG_INFO, line);
    tsr_status *status = api->register_op_kernel(host, "ProbeScale", "probe_scale", "void(ptr,i64,f32)");
    if (status) return status;
    *out = self;
    return NULL;
}

static tsr_status *probe(void *instance, const char *path, float *confidence) {
    (void)instance;
    size_t n = strlen(path);
    *confidence = (n > 6 && strcmp(path + n - 6, ".probe") == 0) ? 1.0f : 0.0f;
    return NULL;
}

static tsr_status *load(void *instance, const char *path, tsr_graph *graph) {
    probe_t *self = instance;
    const tsr_host_api *api = self->api;
    (void)path;
    tsr_status *status;
    int64_t io_shape[2] = {TSR_DIM_DYNAMIC, 2};
    tsr_value_info x = {sizeof(tsr_value_info), TSR_DTYPE_FP32, "x", 2, 0, io_shape};
    if ((status = api->graph_add_input(graph, &x))) return status;

    float *weights = malloc(4 * sizeof(float));
    if (!weights) return api->status_create(TSR_ERR_OUT_OF_MEMORY, "out of memory");
    for (int i = 0; i < 4; i++) weights[i] = (float)(i + 1) * (float)self->scale;
    int64_t w_shape[2] = {2, 2};
    tsr_tensor_view w = {sizeof(tsr_tensor_view), TSR_DTYPE_FP32, 2, 0, w_shape, weights, 4 * sizeof(float)};
    tsr_release release = {sizeof(tsr_release), free_weights, weights};
    if ((status = api->graph_add_initializer(graph, "w", &w, &release))) return status;

    /* A view whose byte_size disagrees with its shape must be refused, and its release run. */
    float *bad = malloc(3 * sizeof(float));
    tsr_tensor_view wrong = {sizeof(tsr_tensor_view), TSR_DTYPE_FP32, 2, 0, w_shape, bad, 3 * sizeof(float)};
    tsr_release bad_release = {sizeof(tsr_release), free_weights, bad};
    status = api->graph_add_initializer(graph, "bad", &wrong, &bad_release);
    if (!status) return api->status_create(TSR_ERR_INTERNAL, "host accepted a view with the wrong byte_size");
    snprintf(last_error, sizeof last_error, "%s", api->status_message(status));
    api->status_release(status);

    const char *inputs[] = {"x", "w"};
    const char *outputs[] = {"y"};
    int64_t perm[] = {1, 0};
    tsr_attribute attributes[3] = {
        {sizeof(tsr_attribute), TSR_ATTR_FLOAT, "alpha", 0, 0.5, NULL, NULL, NULL, 0},
        {sizeof(tsr_attribute), TSR_ATTR_INTS, "perm", 0, 0, NULL, perm, NULL, 2},
        {sizeof(tsr_attribute), TSR_ATTR_STRING, "mode", 0, 0, "fast", NULL, NULL, 0},
    };
    if ((status = api->graph_add_node(graph, "MatMul", "matmul0", inputs, 2, outputs, 1, attributes, 3))) return status;
    tsr_value_info y = {sizeof(tsr_value_info), TSR_DTYPE_FP32, "y", 2, 0, io_shape};
    return api->graph_add_output(graph, &y);
}

/* Writes what the host API reads back from `graph`, as text, so the tests can compare. */
static tsr_status *save(void *instance, const tsr_graph *graph, const char *path) {
    probe_t *self = instance;
    const tsr_host_api *api = self->api;
    FILE *file = fopen(path, "w");
    if (!file) return api->status_create(TSR_ERR_IO, "cannot open the output file");
    tsr_graph_summary summary = {sizeof summary, 0, 0, 0, 0, 0};
    tsr_status *status = api->graph_summary(graph, &summary);
    if (status) { fclose(file); return status; }
    fprintf(file, "inputs=%zu outputs=%zu nodes=%zu initializers=%zu\n", summary.input_count,
            summary.output_count, summary.node_count, summary.initializer_count);
    for (size_t i = 0; i < summary.input_count; i++) {
        tsr_value_info info = {sizeof info, 0, NULL, 0, 0, NULL};
        if ((status = api->graph_input(graph, i, &info))) { fclose(file); return status; }
        fprintf(file, "input %s dtype=%d shape=", info.name, (int)info.dtype);
        for (uint32_t d = 0; d < info.ndim; d++) fprintf(file, "%s%lld", d ? "x" : "", (long long)info.shape[d]);
        fprintf(file, "\n");
    }
    for (size_t i = 0; i < summary.node_count; i++) {
        tsr_node_info node = {sizeof node, 0, NULL, NULL, NULL, 0, NULL, 0, 0};
        if ((status = api->graph_node(graph, i, &node))) { fclose(file); return status; }
        fprintf(file, "node %s %s in=%s,%s out=%s attrs=%zu\n", node.op_type, node.name, node.inputs[0],
                node.input_count > 1 ? node.inputs[1] : "-", node.outputs[0], node.attribute_count);
        for (size_t a = 0; a < node.attribute_count; a++) {
            tsr_attribute attr = {sizeof attr, 0, NULL, 0, 0, NULL, NULL, NULL, 0};
            if ((status = api->graph_node_attribute(graph, i, a, &attr))) { fclose(file); return status; }
            fprintf(file, "attr %s kind=%d i=%lld f=%g s=%s count=%zu\n", attr.name, (int)attr.kind,
                    (long long)attr.i, attr.f, attr.s ? attr.s : "-", attr.count);
        }
    }
    for (size_t i = 0; i < summary.initializer_count; i++) {
        const char *name = NULL;
        tsr_tensor_view view = {sizeof view, 0, 0, 0, NULL, NULL, 0};
        if ((status = api->graph_initializer(graph, i, &name, &view))) { fclose(file); return status; }
        fprintf(file, "initializer %s bytes=%llu values=", name, (unsigned long long)view.byte_size);
        const float *values = view.data;
        for (uint64_t v = 0; v < view.byte_size / 4; v++) fprintf(file, "%s%g", v ? "," : "", values[v]);
        fprintf(file, "\n");
    }
    /* Out of range must be an error, not a crash. */
    tsr_node_info missing = {sizeof missing, 0, NULL, NULL, NULL, 0, NULL, 0, 0};
    status = api->graph_node(graph, 99, &missing);
    fprintf(file, "node 99: %s\n", status ? api->status_message(status) : "no error");
    api->status_release(status);
    fclose(file);
    return NULL;
}

static const char *const extensions[] = {".probe", NULL};
static const tsr_format_vtable format = {sizeof format, 0, "probe", extensions, probe, load, save};

static const void *get_capability(void *instance, const char *id) {
    (void)instance;
    return strcmp(id, TSR_CAP_FORMAT) == 0 ? &format : NULL;
}

static void destroy(void *instance) { free(instance); }

static const char *const capabilities[] = {TSR_CAP_FORMAT, NULL};

static const tsr_plugin_descriptor descriptor = {
    sizeof(tsr_plugin_descriptor), TSR_ABI_MAJOR, TSR_ABI_MINOR, 0, 0, TSR_ABI_FINGERPRINT_INIT,
    "test.host-probe", "host-probe", "1.0.0", "Tessera tests", "Exercises the host API.",
    capabilities, create, get_capability, NULL, NULL, destroy,
};

TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void) { return &descriptor; }
