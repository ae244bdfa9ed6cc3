/*
 * mock_host.c — the in-process host the fuzz targets drive plugins through. See mock_host.h
 * for what it checks. It mirrors the checks of the real host's graph functions
 * (Sources/TesseraCore/Plugins/GraphAPI.swift); where the real host would only return an
 * error for a malformed view, this one aborts, because a format plugin promises to validate
 * everything before it hands a tensor over.
 */
#define _GNU_SOURCE
#include "mock_host.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_INSTANCES 4
#define MAX_SETTINGS 4

/* ------------------------------------------------------------------------------------------ */
/* Failing loudly                                                                             */
/* ------------------------------------------------------------------------------------------ */

static void die(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

/** A broken promise of the plugin: print it and abort, which libFuzzer reports with the input. */
static void die(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fprintf(stderr, "\n==== mock host: ");
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
    abort();
}

static void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL) die("out of memory (%zu bytes)", size);
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = xmalloc(n);
    memcpy(copy, s, n);
    return copy;
}

/* ------------------------------------------------------------------------------------------ */
/* Status objects                                                                             */
/* ------------------------------------------------------------------------------------------ */

struct tsr_status {
    tsr_status_code code;
    char *message;
};

static long g_live_statuses;

static tsr_status *status_create(tsr_status_code code, const char *message)
{
    tsr_status *s = xmalloc(sizeof *s);
    s->code = code == TSR_OK ? TSR_ERR_INTERNAL : code;
    s->message = xstrdup(message != NULL ? message : "");
    g_live_statuses++;
    return s;
}

static tsr_status_code status_code(const tsr_status *s) { return s != NULL ? s->code : TSR_OK; }

static const char *status_message(const tsr_status *s) { return s != NULL ? s->message : ""; }

static void status_release(tsr_status *s)
{
    if (s == NULL) return;
    free(s->message);
    free(s);
    g_live_statuses--;
}

static tsr_status *refuse(const char *function, const char *message)
{
    char text[512];
    snprintf(text, sizeof text, "%s: %s", function, message);
    return status_create(TSR_ERR_INVALID_ARGUMENT, text);
}

/* ------------------------------------------------------------------------------------------ */
/* Logging and settings (per instance: the tsr_host* is the instance's settings)              */
/* ------------------------------------------------------------------------------------------ */

struct tsr_host {
    const char *keys[MAX_SETTINGS];
    const char *values[MAX_SETTINGS];
    size_t count;
};

static void host_log(tsr_host *host, tsr_log_level level, const char *message)
{
    (void)host;
    if (message == NULL) die("log() was given a NULL message");
    if (level < TSR_LOG_TRACE || level > TSR_LOG_ERROR) die("log() was given level %d", (int)level);
    (void)strlen(message); /* must be NUL-terminated */
    if (getenv("FUZZ_VERBOSE") != NULL) fprintf(stderr, "[log %d] %s\n", (int)level, message);
}

static tsr_setting_kind kind_of(const char *value)
{
    if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) return TSR_SETTING_BOOL;
    const char *p = value + (value[0] == '-');
    if (*p != '\0' && strspn(p, "0123456789") == strlen(p)) return TSR_SETTING_INT;
    return TSR_SETTING_STRING;
}

static long setting_index(tsr_host *host, const char *key)
{
    if (key == NULL) return -1;
    for (size_t i = 0; i < host->count; i++) {
        if (strcmp(host->keys[i], key) == 0) return (long)i;
    }
    return -1;
}

static size_t setting_count(tsr_host *host) { return host->count; }

static const char *setting_key(tsr_host *host, size_t index) { return index < host->count ? host->keys[index] : NULL; }

static tsr_setting_kind setting_kind(tsr_host *host, const char *key)
{
    long i = setting_index(host, key);
    return i < 0 ? TSR_SETTING_ABSENT : kind_of(host->values[i]);
}

static const char *setting_string(tsr_host *host, const char *key)
{
    long i = setting_index(host, key);
    return i >= 0 && kind_of(host->values[i]) == TSR_SETTING_STRING ? host->values[i] : NULL;
}

static int setting_int(tsr_host *host, const char *key, int64_t *out)
{
    long i = setting_index(host, key);
    if (i < 0 || kind_of(host->values[i]) != TSR_SETTING_INT) return 0;
    *out = strtoll(host->values[i], NULL, 10);
    return 1;
}

static int setting_float(tsr_host *host, const char *key, double *out)
{
    long i = setting_index(host, key);
    if (i < 0 || kind_of(host->values[i]) != TSR_SETTING_INT) return 0;
    *out = strtod(host->values[i], NULL);
    return 1;
}

static int setting_bool(tsr_host *host, const char *key, int *out)
{
    long i = setting_index(host, key);
    if (i < 0 || kind_of(host->values[i]) != TSR_SETTING_BOOL) return 0;
    *out = strcmp(host->values[i], "true") == 0;
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* The graph                                                                                  */
/* ------------------------------------------------------------------------------------------ */

typedef struct mock_value {
    char *name;
    tsr_dtype dtype;
    uint32_t ndim;
    int64_t shape[TSR_MAX_RANK];
} mock_value;

typedef struct mock_attribute {
    char *name;
    tsr_attr_kind kind;
    int64_t i;
    double f;
    char *s;
    int64_t *ints;
    double *floats;
    size_t count;
} mock_attribute;

typedef struct mock_node {
    char *op_type, *name;
    char **inputs, **outputs;
    size_t input_count, output_count;
    mock_attribute *attributes;
    size_t attribute_count;
} mock_node;

typedef struct mock_initializer {
    char *name;
    tsr_dtype dtype;
    uint32_t ndim;
    int64_t shape[TSR_MAX_RANK];
    void *data;
    uint64_t byte_size;
    tsr_release release; /**< release.release NULL when the mock copied the data */
} mock_initializer;

struct tsr_graph {
    mock_value *inputs, *outputs;
    size_t input_count, output_count, input_capacity, output_capacity;
    mock_node *nodes;
    size_t node_count, node_capacity;
    mock_initializer *initializers;
    size_t initializer_count, initializer_capacity;
};

static long g_releases_given, g_releases_called;

#define GROW(array, count, capacity)                                                         \
    do {                                                                                     \
        if ((count) == (capacity)) {                                                         \
            (capacity) = (capacity) ? (capacity) * 2 : 8;                                    \
            void *grown = realloc((array), (capacity) * sizeof *(array));                    \
            if (grown == NULL) die("out of memory growing the graph");                       \
            (array) = grown;                                                                 \
        }                                                                                    \
    } while (0)

static size_t dtype_size(tsr_dtype dtype)
{
    switch (dtype) {
    case TSR_DTYPE_FP32: case TSR_DTYPE_INT32: case TSR_DTYPE_UINT32: return 4;
    case TSR_DTYPE_FP16: case TSR_DTYPE_BF16: case TSR_DTYPE_INT16: case TSR_DTYPE_UINT16: return 2;
    case TSR_DTYPE_FP64: case TSR_DTYPE_INT64: case TSR_DTYPE_UINT64: return 8;
    case TSR_DTYPE_INT8: case TSR_DTYPE_UINT8: case TSR_DTYPE_BOOL: return 1;
    default: return 0;
    }
}

static void call_release(tsr_release *release)
{
    if (release->release == NULL) return;
    void (*function)(void *) = release->release;
    release->release = NULL;
    function(release->context);
    g_releases_called++;
}

/** Reads every byte of a view: AddressSanitizer reports a view that runs past its buffer. */
static uint32_t touch(const void *data, uint64_t size)
{
    const unsigned char *p = data;
    uint32_t sum = 0;
    for (uint64_t i = 0; i < size; i++) sum = sum * 31u + p[i];
    return sum;
}

static tsr_status *read_value_info(const char *function, const tsr_value_info *info, mock_value *out)
{
    if (info == NULL) return refuse(function, "info is NULL");
    if (info->struct_size < sizeof(tsr_value_info)) return refuse(function, "struct_size too small");
    if (info->name == NULL) return refuse(function, "name is NULL");
    if (dtype_size(info->dtype) == 0) die("%s: the plugin declared a value of unknown dtype %d", function, (int)info->dtype);
    if (info->ndim > TSR_MAX_RANK) die("%s: the plugin declared a value of rank %u", function, info->ndim);
    if (info->ndim > 0 && info->shape == NULL) die("%s: shape is NULL with ndim %u", function, info->ndim);
    for (uint32_t d = 0; d < info->ndim; d++) {
        if (info->shape[d] < 0 && info->shape[d] != TSR_DIM_DYNAMIC) {
            die("%s: value '%s' has dimension %" PRId64, function, info->name, info->shape[d]);
        }
        out->shape[d] = info->shape[d];
    }
    out->name = xstrdup(info->name);
    out->dtype = info->dtype;
    out->ndim = info->ndim;
    return NULL;
}

static tsr_status *graph_add_input(tsr_graph *g, const tsr_value_info *info)
{
    mock_value v;
    tsr_status *s = read_value_info("graph_add_input", info, &v);
    if (s != NULL) return s;
    for (size_t i = 0; i < g->input_count; i++) {
        if (strcmp(g->inputs[i].name, v.name) == 0) {
            free(v.name);
            return refuse("graph_add_input", "already declared");
        }
    }
    GROW(g->inputs, g->input_count, g->input_capacity);
    g->inputs[g->input_count++] = v;
    return NULL;
}

static tsr_status *graph_add_output(tsr_graph *g, const tsr_value_info *info)
{
    mock_value v;
    tsr_status *s = read_value_info("graph_add_output", info, &v);
    if (s != NULL) return s;
    for (size_t i = 0; i < g->output_count; i++) {
        if (strcmp(g->outputs[i].name, v.name) == 0) {
            free(v.name);
            return refuse("graph_add_output", "already declared");
        }
    }
    GROW(g->outputs, g->output_count, g->output_capacity);
    g->outputs[g->output_count++] = v;
    return NULL;
}

static tsr_status *graph_add_initializer(tsr_graph *g, const char *name, const tsr_tensor_view *view, const tsr_release *release)
{
    tsr_release owned = {sizeof owned, NULL, NULL};
    if (release != NULL) {
        if (release->struct_size < sizeof(tsr_release)) die("graph_add_initializer: tsr_release.struct_size %u", release->struct_size);
        owned = *release;
        if (owned.release != NULL) g_releases_given++;
    }
    if (name == NULL) die("graph_add_initializer: name is NULL");
    if (view == NULL) die("graph_add_initializer: view is NULL");
    if (view->struct_size < sizeof(tsr_tensor_view)) die("graph_add_initializer: view struct_size %u", view->struct_size);
    size_t item = dtype_size(view->dtype);
    if (item == 0) die("graph_add_initializer: '%s' has unknown dtype %d", name, (int)view->dtype);
    if (view->ndim > TSR_MAX_RANK) die("graph_add_initializer: '%s' has rank %u", name, view->ndim);
    if (view->ndim > 0 && view->shape == NULL) die("graph_add_initializer: '%s' has a NULL shape", name);
    if (view->byte_size > 0 && view->data == NULL) die("graph_add_initializer: '%s' has NULL data", name);
    /* The element count as the real host computes it (Tensor.elementCount: in order, overflow-checked). */
    uint64_t count = 1;
    for (uint32_t d = 0; d < view->ndim; d++) {
        int64_t dim = view->shape[d];
        if (dim < 0) die("graph_add_initializer: '%s' has dimension %u = %" PRId64, name, d, dim);
        if (dim != 0 && count > (uint64_t)INT64_MAX / (uint64_t)dim) die("graph_add_initializer: '%s': element count overflows", name);
        count *= (uint64_t)dim;
    }
    if (count > (uint64_t)INT64_MAX / item || count * item != view->byte_size) {
        die("graph_add_initializer: '%s' has byte_size %" PRIu64 " but %" PRIu64 " elements of %zu bytes", name,
            view->byte_size, count, item);
    }
    (void)strlen(name);
    for (size_t i = 0; i < g->initializer_count; i++) {
        if (strcmp(g->initializers[i].name, name) == 0) {
            call_release(&owned);
            return refuse("graph_add_initializer", "an initializer of that name already exists");
        }
    }
    mock_initializer m;
    memset(&m, 0, sizeof m);
    m.name = xstrdup(name);
    m.dtype = view->dtype;
    m.ndim = view->ndim;
    for (uint32_t d = 0; d < view->ndim; d++) m.shape[d] = view->shape[d];
    m.byte_size = view->byte_size;
    (void)touch(view->data, view->byte_size);
    if (owned.release != NULL) {
        m.data = view->data;
        m.release = owned;
    } else {
        m.data = xmalloc((size_t)view->byte_size);
        if (view->byte_size > 0) memcpy(m.data, view->data, (size_t)view->byte_size);
    }
    GROW(g->initializers, g->initializer_count, g->initializer_capacity);
    g->initializers[g->initializer_count++] = m;
    return NULL;
}

static char **copy_names(const char *const *names, size_t count)
{
    char **copy = xmalloc((count + 1) * sizeof *copy);
    for (size_t i = 0; i < count; i++) copy[i] = xstrdup(names[i] != NULL ? names[i] : "");
    copy[count] = NULL;
    return copy;
}

static tsr_status *graph_add_node(tsr_graph *g, const char *op_type, const char *name, const char *const *inputs,
                                  size_t input_count, const char *const *outputs, size_t output_count,
                                  const tsr_attribute *attributes, size_t attribute_count)
{
    if (op_type == NULL || op_type[0] == '\0') return refuse("graph_add_node", "op_type is NULL or empty");
    if (output_count == 0) return refuse("graph_add_node", "no outputs");
    if (input_count > 0 && inputs == NULL) return refuse("graph_add_node", "inputs is NULL");
    if (outputs == NULL) return refuse("graph_add_node", "outputs is NULL");
    if (attribute_count > 0 && attributes == NULL) return refuse("graph_add_node", "attributes is NULL");
    for (size_t a = 0; a < attribute_count; a++) {
        const tsr_attribute *at = &attributes[a];
        if (at->struct_size < sizeof(tsr_attribute) || at->name == NULL) return refuse("graph_add_node", "bad attribute");
        if (at->kind == TSR_ATTR_STRING && at->s == NULL) return refuse("graph_add_node", "string attribute is NULL");
        if (at->kind == TSR_ATTR_INTS && at->count > 0 && at->ints == NULL) return refuse("graph_add_node", "ints is NULL");
        if (at->kind == TSR_ATTR_FLOATS && at->count > 0 && at->floats == NULL) return refuse("graph_add_node", "floats is NULL");
        if (at->kind < TSR_ATTR_INT || at->kind > TSR_ATTR_FLOATS) return refuse("graph_add_node", "unknown attribute kind");
    }
    mock_node n;
    memset(&n, 0, sizeof n);
    n.op_type = xstrdup(op_type);
    n.name = xstrdup(name != NULL ? name : "");
    n.inputs = copy_names(inputs, input_count);
    n.input_count = input_count;
    n.outputs = copy_names(outputs, output_count);
    n.output_count = output_count;
    n.attributes = xmalloc((attribute_count + 1) * sizeof *n.attributes);
    n.attribute_count = attribute_count;
    for (size_t a = 0; a < attribute_count; a++) {
        const tsr_attribute *at = &attributes[a];
        mock_attribute *m = &n.attributes[a];
        memset(m, 0, sizeof *m);
        m->name = xstrdup(at->name);
        m->kind = at->kind;
        m->i = at->i;
        m->f = at->f;
        if (at->kind == TSR_ATTR_STRING) m->s = xstrdup(at->s);
        if (at->kind == TSR_ATTR_INTS || at->kind == TSR_ATTR_FLOATS) {
            m->count = at->count;
            if (at->kind == TSR_ATTR_INTS) {
                m->ints = xmalloc(at->count * sizeof *m->ints);
                if (at->count > 0) memcpy(m->ints, at->ints, at->count * sizeof *m->ints);
            } else {
                m->floats = xmalloc(at->count * sizeof *m->floats);
                if (at->count > 0) memcpy(m->floats, at->floats, at->count * sizeof *m->floats);
            }
        }
    }
    GROW(g->nodes, g->node_count, g->node_capacity);
    g->nodes[g->node_count++] = n;
    return NULL;
}

/** Copies min(out->struct_size, sizeof) bytes of `full` into `out`, as the real host does. */
#define WRITE_OUT(out, full)                                                                          \
    do {                                                                                              \
        uint32_t size_ = (out)->struct_size < sizeof(full) ? (out)->struct_size : (uint32_t)sizeof(full); \
        (full).struct_size = size_;                                                                   \
        memcpy((out), &(full), size_);                                                                \
    } while (0)

static tsr_status *graph_summary(const tsr_graph *g, tsr_graph_summary *out)
{
    if (out == NULL) return refuse("graph_summary", "out is NULL");
    tsr_graph_summary s;
    memset(&s, 0, sizeof s);
    s.input_count = g->input_count;
    s.output_count = g->output_count;
    s.node_count = g->node_count;
    s.initializer_count = g->initializer_count;
    WRITE_OUT(out, s);
    return NULL;
}

static void describe_value(const mock_value *v, tsr_value_info *out)
{
    tsr_value_info info;
    memset(&info, 0, sizeof info);
    info.dtype = v->dtype;
    info.name = v->name;
    info.ndim = v->ndim;
    info.shape = v->shape;
    WRITE_OUT(out, info);
}

static tsr_status *graph_input(const tsr_graph *g, size_t index, tsr_value_info *out)
{
    if (index >= g->input_count) return status_create(TSR_ERR_NOT_FOUND, "graph_input: index out of range");
    describe_value(&g->inputs[index], out);
    return NULL;
}

static tsr_status *graph_output(const tsr_graph *g, size_t index, tsr_value_info *out)
{
    if (index >= g->output_count) return status_create(TSR_ERR_NOT_FOUND, "graph_output: index out of range");
    describe_value(&g->outputs[index], out);
    return NULL;
}

static tsr_status *graph_node(const tsr_graph *g, size_t index, tsr_node_info *out)
{
    if (index >= g->node_count) return status_create(TSR_ERR_NOT_FOUND, "graph_node: index out of range");
    const mock_node *n = &g->nodes[index];
    tsr_node_info info;
    memset(&info, 0, sizeof info);
    info.op_type = n->op_type;
    info.name = n->name;
    info.inputs = (const char *const *)n->inputs;
    info.input_count = n->input_count;
    info.outputs = (const char *const *)n->outputs;
    info.output_count = n->output_count;
    info.attribute_count = n->attribute_count;
    WRITE_OUT(out, info);
    return NULL;
}

static tsr_status *graph_node_attribute(const tsr_graph *g, size_t node, size_t index, tsr_attribute *out)
{
    if (node >= g->node_count || index >= g->nodes[node].attribute_count) {
        return status_create(TSR_ERR_NOT_FOUND, "graph_node_attribute: index out of range");
    }
    const mock_attribute *m = &g->nodes[node].attributes[index];
    tsr_attribute a;
    memset(&a, 0, sizeof a);
    a.kind = m->kind;
    a.name = m->name;
    a.i = m->i;
    a.f = m->f;
    a.s = m->s;
    a.ints = m->ints;
    a.floats = m->floats;
    a.count = m->count;
    WRITE_OUT(out, a);
    return NULL;
}

static tsr_status *graph_initializer(const tsr_graph *g, size_t index, const char **name, tsr_tensor_view *out)
{
    if (index >= g->initializer_count) return status_create(TSR_ERR_NOT_FOUND, "graph_initializer: index out of range");
    const mock_initializer *m = &g->initializers[index];
    if (name != NULL) *name = m->name;
    tsr_tensor_view v;
    memset(&v, 0, sizeof v);
    v.dtype = m->dtype;
    v.ndim = m->ndim;
    v.shape = m->shape;
    v.data = m->byte_size > 0 ? m->data : NULL;
    v.byte_size = m->byte_size;
    WRITE_OUT(out, v);
    return NULL;
}

static tsr_status *graph_replace_initializer(tsr_graph *g, const char *name, const tsr_tensor_view *view, const tsr_release *release)
{
    (void)g, (void)name, (void)view;
    if (release != NULL && release->release != NULL) release->release(release->context);
    return status_create(TSR_ERR_UNSUPPORTED, "graph_replace_initializer: not in the fuzz host (format plugins do not call it)");
}

static tsr_status *graph_remove_node(tsr_graph *g, size_t index)
{
    (void)g, (void)index;
    return status_create(TSR_ERR_UNSUPPORTED, "graph_remove_node: not in the fuzz host");
}

static tsr_status *register_op_kernel(tsr_host *host, const char *op_type, const char *symbol, const char *signature)
{
    (void)host, (void)op_type, (void)symbol, (void)signature;
    return status_create(TSR_ERR_UNSUPPORTED, "register_op_kernel: not in the fuzz host");
}

/** Releases everything the graph holds, calling each initializer's release once. */
static void graph_clear(tsr_graph *g)
{
    for (size_t i = 0; i < g->input_count; i++) free(g->inputs[i].name);
    for (size_t i = 0; i < g->output_count; i++) free(g->outputs[i].name);
    for (size_t i = 0; i < g->node_count; i++) {
        mock_node *n = &g->nodes[i];
        for (size_t k = 0; k < n->input_count; k++) free(n->inputs[k]);
        for (size_t k = 0; k < n->output_count; k++) free(n->outputs[k]);
        for (size_t k = 0; k < n->attribute_count; k++) {
            free(n->attributes[k].name);
            free(n->attributes[k].s);
            free(n->attributes[k].ints);
            free(n->attributes[k].floats);
        }
        free(n->inputs);
        free(n->outputs);
        free(n->attributes);
        free(n->op_type);
        free(n->name);
    }
    for (size_t i = 0; i < g->initializer_count; i++) {
        mock_initializer *m = &g->initializers[i];
        if (m->release.release != NULL) call_release(&m->release);
        else free(m->data);
        free(m->name);
    }
    free(g->inputs);
    free(g->outputs);
    free(g->nodes);
    free(g->initializers);
    memset(g, 0, sizeof *g);
}

/* ------------------------------------------------------------------------------------------ */
/* mmap for fuzzing: an exact-size malloc'ed copy (see fuzz_mmap.h)                           */
/* ------------------------------------------------------------------------------------------ */

typedef struct fake_mapping {
    void *base;
    size_t length;
} fake_mapping;

static fake_mapping g_mappings[64];

void *fuzz_mmap(void *address, size_t length, int protection, int flags, int fd, off_t offset)
{
    if (address != NULL || protection != PROT_READ || (flags & MAP_PRIVATE) == 0 || offset != 0) {
        die("fuzz_mmap: only whole-file read-only private mappings are supported");
    }
    if (length == 0) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    size_t slot = 0;
    while (slot < 64 && g_mappings[slot].base != NULL) slot++;
    if (slot == 64) die("fuzz_mmap: more than 64 live mappings (a leak?)");
    unsigned char *copy = malloc(length);
    if (copy == NULL) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    size_t done = 0;
    while (done < length) {
        ssize_t got = pread(fd, copy + done, length - done, (off_t)done);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        done += (size_t)got;
    }
    /* Past the end of the file a real mapping faults; the plugins map exactly the file's size. */
    if (done < length) die("fuzz_mmap: mapping %zu bytes of a %zu-byte file", length, done);
    g_mappings[slot].base = copy;
    g_mappings[slot].length = length;
    return copy;
}

int fuzz_munmap(void *address, size_t length)
{
    for (size_t slot = 0; slot < 64; slot++) {
        if (g_mappings[slot].base == address) {
            if (g_mappings[slot].length != length) die("munmap: length %zu, but the mapping has %zu", length, g_mappings[slot].length);
            free(address);
            g_mappings[slot].base = NULL;
            return 0;
        }
    }
    die("munmap of %p, which is not a live mapping (a double release?)", address);
}

int fuzz_madvise(void *address, size_t length, int advice)
{
    (void)advice;
    const unsigned char *start = address;
    for (size_t slot = 0; slot < 64; slot++) {
        const unsigned char *base = g_mappings[slot].base;
        if (base != NULL && start >= base && length <= g_mappings[slot].length - (size_t)(start - base)) return 0;
    }
    die("madvise of %zu bytes at %p, which is not inside a live mapping", length, address);
}

/* ------------------------------------------------------------------------------------------ */
/* Driving the plugin                                                                         */
/* ------------------------------------------------------------------------------------------ */

static tsr_host_api g_api;
static const tsr_plugin_descriptor *g_descriptor;
static const tsr_format_vtable *g_format;
static void *g_instances[MAX_INSTANCES];
static tsr_host g_hosts[MAX_INSTANCES];
static size_t g_instance_count;
static enum fuzz_roundtrip g_roundtrip;
static char g_folder[256], g_input[320], g_saved[320];

static void remove_folder(void)
{
    char command[300];
    if (g_folder[0] == '\0') return;
    unlink(g_input);
    unlink(g_saved);
    snprintf(command, sizeof command, "%s/external.data", g_folder);
    unlink(command);
    rmdir(g_folder);
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) die("cannot create %s: %s", path, strerror(errno));
    size_t done = 0;
    while (done < size) {
        ssize_t wrote = write(fd, data + done, size - done);
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote <= 0) die("cannot write %s: %s", path, strerror(errno));
        done += (size_t)wrote;
    }
    close(fd);
}

void fuzz_write_side_file(const char *name, const uint8_t *data, size_t size)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s", g_folder, name);
    write_file(path, data, size);
}

void fuzz_init(const tsr_plugin_descriptor *descriptor, const char *extension, enum fuzz_roundtrip roundtrip,
               const fuzz_instance_spec *specs, size_t spec_count)
{
    memset(&g_api, 0, sizeof g_api);
    g_api.struct_size = sizeof g_api;
    g_api.abi_major = TSR_ABI_MAJOR;
    g_api.abi_minor = TSR_ABI_MINOR;
    g_api.host_name = "fuzz";
    g_api.host_version = "0.0.0-fuzz";
    g_api.log = host_log;
    g_api.status_create = status_create;
    g_api.status_code = status_code;
    g_api.status_message = status_message;
    g_api.status_release = status_release;
    g_api.setting_count = setting_count;
    g_api.setting_key = setting_key;
    g_api.setting_kind = setting_kind;
    g_api.setting_string = setting_string;
    g_api.setting_int = setting_int;
    g_api.setting_float = setting_float;
    g_api.setting_bool = setting_bool;
    g_api.graph_add_input = graph_add_input;
    g_api.graph_add_output = graph_add_output;
    g_api.graph_add_initializer = graph_add_initializer;
    g_api.graph_add_node = graph_add_node;
    g_api.graph_summary = graph_summary;
    g_api.graph_input = graph_input;
    g_api.graph_output = graph_output;
    g_api.graph_node = graph_node;
    g_api.graph_node_attribute = graph_node_attribute;
    g_api.graph_initializer = graph_initializer;
    g_api.graph_replace_initializer = graph_replace_initializer;
    g_api.graph_remove_node = graph_remove_node;
    g_api.register_op_kernel = register_op_kernel;

    g_descriptor = descriptor;
    g_roundtrip = roundtrip;
    tsr_abi_fingerprint fingerprint = TSR_ABI_FINGERPRINT_INIT;
    if (memcmp(&fingerprint, &descriptor->fingerprint, sizeof fingerprint) != 0) die("fingerprint mismatch");

    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    snprintf(g_folder, sizeof g_folder, "%s/tessera-fuzz-%s-%d", base, descriptor->name, (int)getpid());
    if (mkdir(g_folder, 0700) != 0 && errno != EEXIST) die("cannot create %s: %s", g_folder, strerror(errno));
    snprintf(g_input, sizeof g_input, "%s/input%s", g_folder, extension);
    snprintf(g_saved, sizeof g_saved, "%s/saved%s", g_folder, extension);
    atexit(remove_folder);

    fuzz_instance_spec none = {{NULL}};
    if (spec_count == 0) {
        specs = &none;
        spec_count = 1;
    }
    if (spec_count > MAX_INSTANCES) die("at most %d instances", MAX_INSTANCES);
    for (size_t i = 0; i < spec_count; i++) {
        tsr_host *host = &g_hosts[i];
        for (size_t k = 0; k < MAX_SETTINGS && specs[i].settings[k] != NULL; k++) {
            char *pair = xstrdup(specs[i].settings[k]);
            char *equals = strchr(pair, '=');
            if (equals == NULL) die("setting '%s' is not key=value", pair);
            *equals = '\0';
            host->keys[host->count] = pair;
            host->values[host->count++] = equals + 1;
        }
        tsr_status *status = descriptor->create(&g_api, host, &g_instances[i]);
        if (status != NULL) die("create: %s", status->message);
        if (i == 0) g_format = descriptor->get_capability(g_instances[i], TSR_CAP_FORMAT);
        if (g_format == NULL) die("no format capability");
        if (descriptor->activate != NULL && (status = descriptor->activate(g_instances[i])) != NULL) die("activate: %s", status->message);
    }
    g_instance_count = spec_count;
}

static void check_balance(const char *where)
{
    if (g_releases_given != g_releases_called) {
        die("%s: %ld releases handed over, %ld called (a release was lost or called twice)", where, g_releases_given,
            g_releases_called);
    }
    if (g_live_statuses != 0) die("%s: %ld status objects were never released", where, g_live_statuses);
    for (size_t slot = 0; slot < 64; slot++) {
        if (g_mappings[slot].base != NULL) die("%s: a mapping of %zu bytes is still live after the graph was released", where, g_mappings[slot].length);
    }
}

/** A failed load must carry a real reason. Returns 1 when it loaded. */
static int check_load(tsr_status *status, const char *what)
{
    if (status == NULL) return 1;
    tsr_status_code code = status->code;
    if (code == TSR_ERR_INTERNAL) die("%s: TSR_ERR_INTERNAL: %s", what, status->message);
    if (code < TSR_ERR_INVALID_ARGUMENT || code > TSR_ERR_CORRUPT_DATA) die("%s: unknown status code %d", what, (int)code);
    if (status->message[0] == '\0') die("%s: an error without a message (code %d)", what, (int)code);
    if (getenv("FUZZ_VERBOSE") != NULL) fprintf(stderr, "%s: code %d: %s\n", what, (int)code, status->message);
    status_release(status);
    return 0;
}

static int same_initializer(const mock_initializer *a, const mock_initializer *b)
{
    return strcmp(a->name, b->name) == 0 && a->dtype == b->dtype && a->ndim == b->ndim &&
           memcmp(a->shape, b->shape, a->ndim * sizeof a->shape[0]) == 0 && a->byte_size == b->byte_size &&
           (a->byte_size == 0 || memcmp(a->data, b->data, (size_t)a->byte_size) == 0);
}

/** Saves `g`, loads the file back and compares, as g_roundtrip asks. */
static void roundtrip(void *instance, tsr_graph *g)
{
    if (g_roundtrip == FUZZ_ROUNDTRIP_NONE || g_format->save == NULL) return;
    tsr_status *status = g_format->save(instance, g, g_saved);
    if (status != NULL) die("save of a graph the plugin loaded failed (code %d): %s", (int)status->code, status->message);
    tsr_graph again;
    memset(&again, 0, sizeof again);
    status = g_format->load(instance, g_saved, &again);
    if (status != NULL) die("loading what save wrote failed (code %d): %s", (int)status->code, status->message);
    if (again.initializer_count != g->initializer_count || again.node_count != g->node_count) {
        die("the round trip changed the graph: %zu initializers and %zu nodes, then %zu and %zu", g->initializer_count,
            g->node_count, again.initializer_count, again.node_count);
    }
    if (g_roundtrip == FUZZ_ROUNDTRIP_EXACT) {
        for (size_t i = 0; i < g->initializer_count; i++) {
            const mock_initializer *found = NULL;
            for (size_t k = 0; k < again.initializer_count && found == NULL; k++) {
                if (strcmp(again.initializers[k].name, g->initializers[i].name) == 0) found = &again.initializers[k];
            }
            if (found == NULL || !same_initializer(&g->initializers[i], found)) {
                die("the round trip changed initializer '%s'", g->initializers[i].name);
            }
        }
    }
    graph_clear(&again);
    unlink(g_saved);
}

void fuzz_one(const uint8_t *data, size_t size)
{
    write_file(g_input, data, size);
    for (size_t i = 0; i < g_instance_count; i++) {
        float confidence = -1.0f;
        tsr_status *status = g_format->probe(g_instances[i], g_input, &confidence);
        if (status != NULL) die("probe returned an error (code %d): %s", (int)status->code, status->message);
        if (!(confidence >= 0.0f && confidence <= 1.0f)) die("probe wrote confidence %f", (double)confidence);

        tsr_graph g;
        memset(&g, 0, sizeof g);
        if (check_load(g_format->load(g_instances[i], g_input, &g), "load")) roundtrip(g_instances[i], &g);
        graph_clear(&g);
        check_balance("after load");
    }
}
