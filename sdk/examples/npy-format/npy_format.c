/*
 * npy-format — an example Tessera format plugin for NumPy .npy files.
 *
 * A .npy file holds one array. load() turns it into a graph with a single initializer named
 * "tensor"; save() writes a graph's first initializer back as .npy. Supported element types:
 * <f4 <f8 <f2 <i8 <i4 <i1 |u1 |b1 (what numpy writes for float32/64/16, int64/32/8, uint8 and
 * bool), C order only, format versions 1.0, 2.0 and 3.0.
 *
 * Written against the public headers only. Build:
 *     cc -std=c11 -Wall -Wextra -pedantic -Werror -O2 -shared -fPIC -fvisibility=hidden \
 *        -I ../../include npy_format.c -o libnpy-format.so
 * Everything except tsr_plugin_entry is static, so the library exports one symbol.
 */
#define _POSIX_C_SOURCE 200809L

#include <tessera/tessera.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PLUGIN_NAME "npy-format"

/** numpy refuses headers above 10000 bytes by default; allow some slack, refuse the absurd. */
#define MAX_HEADER_BYTES 65536u

static const char k_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* ------------------------------------------------------------------------------------------ */
/* Instance and errors                                                                        */
/* ------------------------------------------------------------------------------------------ */

typedef struct npy_plugin {
    const tsr_host_api *api;
    tsr_host *host;
    unsigned temp_counter; /**< makes temporary file names unique within this instance */
} npy_plugin;

static tsr_status *fail(const tsr_host_api *api, tsr_status_code code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/** A status whose message is formatted like printf. status_create copies the text. */
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
static tsr_status *wrap(const tsr_host_api *api, tsr_status *inner, const char *what)
{
    tsr_status *outer = fail(api, api->status_code(inner), "%s: %s", what, api->status_message(inner));
    api->status_release(inner);
    return outer;
}

/* ------------------------------------------------------------------------------------------ */
/* Element types                                                                              */
/* ------------------------------------------------------------------------------------------ */

typedef struct npy_type {
    const char *descr; /**< as numpy writes it */
    const char *alias; /**< another spelling accepted on load, or NULL */
    tsr_dtype dtype;
    uint32_t itemsize;
} npy_type;

static const npy_type k_types[] = {
    {"<f4", NULL, TSR_DTYPE_FP32, 4},  {"<f8", NULL, TSR_DTYPE_FP64, 8},
    {"<f2", NULL, TSR_DTYPE_FP16, 2},  {"<i8", NULL, TSR_DTYPE_INT64, 8},
    {"<i4", NULL, TSR_DTYPE_INT32, 4}, {"|i1", "<i1", TSR_DTYPE_INT8, 1},
    {"|u1", "<u1", TSR_DTYPE_UINT8, 1}, {"|b1", NULL, TSR_DTYPE_BOOL, 1},
};
#define TYPE_COUNT (sizeof k_types / sizeof k_types[0])
#define SUPPORTED_TYPES "<f4, <f8, <f2, <i8, <i4, <i1 (|i1), |u1 and |b1"

static const npy_type *type_for_descr(const char *descr)
{
    for (size_t i = 0; i < TYPE_COUNT; i++) {
        if (strcmp(k_types[i].descr, descr) == 0) return &k_types[i];
        if (k_types[i].alias != NULL && strcmp(k_types[i].alias, descr) == 0) return &k_types[i];
    }
    return NULL;
}

static const npy_type *type_for_dtype(tsr_dtype dtype)
{
    for (size_t i = 0; i < TYPE_COUNT; i++) {
        if (k_types[i].dtype == dtype) return &k_types[i];
    }
    return NULL;
}

/** A readable name for a dtype, for messages. */
static const char *dtype_name(tsr_dtype dtype)
{
    static const char *const names[] = {"INVALID", "FP32",  "FP16",   "BF16",  "FP64",   "INT8",   "UINT8",
                                        "INT16",   "UINT16", "INT32", "UINT32", "INT64", "UINT64", "BOOL"};
    return dtype >= 0 && (size_t)dtype < sizeof names / sizeof names[0] ? names[dtype] : "unknown";
}

static int host_is_little_endian(void)
{
    const uint16_t probe = 1;
    unsigned char first;
    memcpy(&first, &probe, 1);
    return first == 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Header parsing: a Python dict literal such as                                              */
/*   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }                              */
/* ------------------------------------------------------------------------------------------ */

typedef struct cursor {
    const char *at;
    const char *end;
} cursor;

static void skip_space(cursor *c)
{
    while (c->at < c->end && (*c->at == ' ' || *c->at == '\t' || *c->at == '\n' || *c->at == '\r')) c->at++;
}

/** Consumes `ch` (after any space); 1 when it was there. */
static int take(cursor *c, char ch)
{
    skip_space(c);
    if (c->at < c->end && *c->at == ch) {
        c->at++;
        return 1;
    }
    return 0;
}

/** Reads a quoted string without escapes into out[capacity]; 1 on success. */
static int take_string(cursor *c, char *out, size_t capacity)
{
    skip_space(c);
    if (c->at >= c->end || (*c->at != '\'' && *c->at != '"')) return 0;
    char quote = *c->at++;
    size_t length = 0;
    while (c->at < c->end && *c->at != quote) {
        if (*c->at == '\\' || length + 1 >= capacity) return 0;
        out[length++] = *c->at++;
    }
    if (c->at >= c->end) return 0;
    c->at++;
    out[length] = '\0';
    return 1;
}

/** Consumes the bare word `word` (True, False); 1 when it was there. */
static int take_word(cursor *c, const char *word)
{
    skip_space(c);
    size_t length = strlen(word);
    if ((size_t)(c->end - c->at) < length || memcmp(c->at, word, length) != 0) return 0;
    c->at += length;
    return 1;
}

typedef struct npy_header {
    char descr[32];
    int fortran_order;
    int64_t shape[TSR_MAX_RANK];
    uint32_t ndim;
} npy_header;

typedef enum parse_result { PARSE_OK, PARSE_CORRUPT, PARSE_UNSUPPORTED } parse_result;

/** Parses "(3, 4)", "(5,)" or "()". Dimensions may carry Python 2's L suffix. */
static parse_result parse_shape(cursor *c, npy_header *header, const char **problem)
{
    *problem = "'shape' must be a tuple of non-negative integers, e.g. (3, 4)";
    if (!take(c, '(')) return PARSE_CORRUPT;
    header->ndim = 0;
    if (take(c, ')')) return PARSE_OK;
    for (;;) {
        skip_space(c);
        if (c->at >= c->end || *c->at < '0' || *c->at > '9') return PARSE_CORRUPT;
        int64_t value = 0;
        while (c->at < c->end && *c->at >= '0' && *c->at <= '9') {
            int digit = *c->at++ - '0';
            if (value > (INT64_MAX - digit) / 10) {
                *problem = "a dimension in 'shape' does not fit in 64 bits";
                return PARSE_CORRUPT;
            }
            value = value * 10 + digit;
        }
        if (c->at < c->end && (*c->at == 'L' || *c->at == 'l')) c->at++;
        if (header->ndim == TSR_MAX_RANK) {
            *problem = "the array has more dimensions than Tessera supports (TSR_MAX_RANK is 16)";
            return PARSE_UNSUPPORTED;
        }
        header->shape[header->ndim++] = value;
        if (take(c, ')')) return PARSE_OK;
        if (!take(c, ',')) return PARSE_CORRUPT;
        if (take(c, ')')) return PARSE_OK; /* trailing comma, as in (5,) */
    }
}

/** Parses the header dict: exactly the keys descr, fortran_order and shape, once each. */
static parse_result parse_header(const char *text, size_t length, npy_header *header, const char **problem)
{
    cursor c = {text, text + length};
    int seen_descr = 0, seen_order = 0, seen_shape = 0;
    memset(header, 0, sizeof *header);
    *problem = "the header is not a Python dict literal";
    if (!take(&c, '{')) return PARSE_CORRUPT;
    while (!take(&c, '}')) {
        char key[32];
        if (!take_string(&c, key, sizeof key) || !take(&c, ':')) {
            *problem = "expected a quoted key followed by ':' in the header dict";
            return PARSE_CORRUPT;
        }
        if (strcmp(key, "descr") == 0 && !seen_descr) {
            seen_descr = 1;
            skip_space(&c);
            if (c.at < c.end && *c.at == '[') {
                *problem = "structured (record) dtypes are not supported; save a plain numeric array";
                return PARSE_UNSUPPORTED;
            }
            if (!take_string(&c, header->descr, sizeof header->descr)) {
                *problem = "'descr' must be a quoted dtype string such as '<f4'";
                return PARSE_CORRUPT;
            }
        } else if (strcmp(key, "fortran_order") == 0 && !seen_order) {
            seen_order = 1;
            if (take_word(&c, "True")) {
                header->fortran_order = 1;
            } else if (take_word(&c, "False")) {
                header->fortran_order = 0;
            } else {
                *problem = "'fortran_order' must be True or False";
                return PARSE_CORRUPT;
            }
        } else if (strcmp(key, "shape") == 0 && !seen_shape) {
            seen_shape = 1;
            parse_result result = parse_shape(&c, header, problem);
            if (result != PARSE_OK) return result;
        } else {
            *problem = "the header dict has an unknown or repeated key (only descr, fortran_order and shape are allowed)";
            return PARSE_CORRUPT;
        }
        if (!take(&c, ',')) {
            if (take(&c, '}')) break;
            *problem = "expected ',' or '}' after a value in the header dict";
            return PARSE_CORRUPT;
        }
    }
    skip_space(&c);
    if (c.at != c.end) {
        *problem = "unexpected text after the header dict";
        return PARSE_CORRUPT;
    }
    if (!seen_descr || !seen_order || !seen_shape) {
        *problem = "the header dict lacks one of descr, fortran_order and shape";
        return PARSE_CORRUPT;
    }
    return PARSE_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* probe                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static tsr_status *npy_probe(void *instance, const char *path, float *confidence)
{
    npy_plugin *self = instance;
    if (confidence == NULL) {
        return self->api->status_create(TSR_ERR_INVALID_ARGUMENT, "probe() was given a NULL confidence pointer");
    }
    *confidence = 0.0f;
    if (path == NULL) return NULL;
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL; /* unreadable: certainly not ours to load, but not an error */
    char start[sizeof k_magic];
    size_t got = fread(start, 1, sizeof start, file); /* a directory reads 0 bytes */
    fclose(file);
    if (got == sizeof start && memcmp(start, k_magic, sizeof k_magic) == 0) *confidence = 1.0f;
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* load                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void free_buffer(void *context)
{
    free(context);
}

/** Reads exactly `size` bytes; 1 on success. */
static int read_exactly(FILE *file, void *buffer, size_t size)
{
    return size == 0 || fread(buffer, 1, size, file) == size;
}

static uint32_t read_le(const unsigned char *bytes, size_t count)
{
    uint32_t value = 0;
    for (size_t i = count; i > 0; i--) value = (value << 8) | bytes[i - 1];
    return value;
}

/** Formats a shape as "(3, 4)" for messages. */
static void describe_shape(const int64_t *shape, uint32_t ndim, char *out, size_t capacity)
{
    size_t used = (size_t)snprintf(out, capacity, "(");
    for (uint32_t i = 0; i < ndim && used < capacity; i++) {
        used += (size_t)snprintf(out + used, capacity - used, "%s%" PRId64, i ? ", " : "", shape[i]);
    }
    if (ndim == 1 && used < capacity) used += (size_t)snprintf(out + used, capacity - used, ",");
    if (used < capacity) snprintf(out + used, capacity - used, ")");
}

/** The body of load() once the file is open; the caller closes it. */
static tsr_status *load_open_file(npy_plugin *self, const char *path, FILE *file, tsr_graph *graph)
{
    const tsr_host_api *api = self->api;

    struct stat info;
    if (fstat(fileno(file), &info) != 0) {
        return fail(api, TSR_ERR_IO, "cannot stat '%s': %s", path, strerror(errno));
    }
    if (!S_ISREG(info.st_mode)) {
        return fail(api, TSR_ERR_INVALID_ARGUMENT, "'%s' is not a regular file; give the path of a .npy file", path);
    }
    uint64_t file_size = (uint64_t)info.st_size;

    /* Preamble: magic, version, header length (2 bytes in 1.0, 4 bytes in 2.0 and 3.0). */
    unsigned char preamble[12];
    size_t got = file_size < 8 ? 0 : fread(preamble, 1, 8, file);
    if (got >= sizeof k_magic && memcmp(preamble, k_magic, sizeof k_magic) != 0) {
        return fail(api, TSR_ERR_CORRUPT_DATA, "'%s' is not a .npy file: it does not start with \\x93NUMPY", path);
    }
    if (got != 8 || file_size < 10) {
        return fail(api, TSR_ERR_CORRUPT_DATA, "'%s' is %" PRIu64 " bytes, too short to be a .npy file", path, file_size);
    }
    unsigned major = preamble[6], minor = preamble[7];
    if (major < 1 || major > 3 || minor != 0) {
        return fail(api, TSR_ERR_UNSUPPORTED,
                    "'%s' is .npy format version %u.%u; this plugin reads versions 1.0, 2.0 and 3.0", path, major,
                    minor);
    }
    size_t length_bytes = major == 1 ? 2 : 4;
    if (!read_exactly(file, preamble + 8, length_bytes)) {
        return fail(api, TSR_ERR_CORRUPT_DATA, "'%s' is truncated inside its .npy preamble", path);
    }
    uint32_t header_length = read_le(preamble + 8, length_bytes);
    uint64_t data_offset = 8 + length_bytes + (uint64_t)header_length;
    if (header_length == 0 || header_length > MAX_HEADER_BYTES) {
        return fail(api, TSR_ERR_CORRUPT_DATA,
                    "'%s' declares a %" PRIu32 "-byte header; a .npy header is between 1 and %u bytes", path,
                    header_length, MAX_HEADER_BYTES);
    }
    if (data_offset > file_size) {
        return fail(api, TSR_ERR_CORRUPT_DATA,
                    "'%s' declares a %" PRIu32 "-byte header but the file is only %" PRIu64 " bytes; it is truncated",
                    path, header_length, file_size);
    }

    char *text = malloc(header_length);
    if (text == NULL) return fail(api, TSR_ERR_OUT_OF_MEMORY, "out of memory reading the header of '%s'", path);
    if (!read_exactly(file, text, header_length)) {
        free(text);
        return fail(api, TSR_ERR_IO, "cannot read the header of '%s': %s", path, strerror(errno));
    }
    npy_header header;
    const char *problem = NULL;
    parse_result parsed = parse_header(text, header_length, &header, &problem);
    free(text);
    if (parsed != PARSE_OK) {
        return fail(api, parsed == PARSE_UNSUPPORTED ? TSR_ERR_UNSUPPORTED : TSR_ERR_CORRUPT_DATA,
                    "'%s' has a .npy header this plugin cannot use: %s", path, problem);
    }

    /* What the header says must be something we can represent. */
    if (header.fortran_order) {
        return fail(api, TSR_ERR_UNSUPPORTED,
                    "'%s' stores its array in Fortran (column-major) order, which Tessera does not take; re-save it "
                    "in C order, e.g. np.save(path, np.ascontiguousarray(a))",
                    path);
    }
    const npy_type *type = type_for_descr(header.descr);
    if (type == NULL && header.descr[0] == '>') {
        char little[sizeof header.descr];
        memcpy(little, header.descr, sizeof little);
        little[0] = '<';
        return fail(api, TSR_ERR_UNSUPPORTED,
                    "'%s' holds big-endian elements ('%s'); re-save it little-endian, e.g. np.save(path, "
                    "a.astype('%s'))",
                    path, header.descr, little);
    }
    if (type == NULL) {
        return fail(api, TSR_ERR_UNSUPPORTED,
                    "'%s' holds elements of type '%s'; this plugin reads " SUPPORTED_TYPES
                    " (convert with a.astype('<f4') or similar)",
                    path, header.descr);
    }
    if (type->itemsize > 1 && !host_is_little_endian()) {
        return fail(api, TSR_ERR_UNSUPPORTED, "this plugin reads little-endian data and this machine is big-endian");
    }

    /* The data must be exactly shape * itemsize bytes, all the way to the end of the file. */
    uint64_t elements = 1;
    for (uint32_t i = 0; i < header.ndim; i++) {
        uint64_t dim = (uint64_t)header.shape[i];
        if (dim != 0 && elements > UINT64_MAX / dim) {
            return fail(api, TSR_ERR_CORRUPT_DATA, "'%s' declares a shape whose element count overflows 64 bits", path);
        }
        elements *= dim;
    }
    if (elements > UINT64_MAX / type->itemsize) {
        return fail(api, TSR_ERR_CORRUPT_DATA, "'%s' declares a shape whose byte size overflows 64 bits", path);
    }
    uint64_t data_bytes = elements * type->itemsize;
    if (file_size - data_offset != data_bytes) {
        char shape[TSR_MAX_RANK * 22 + 8];
        describe_shape(header.shape, header.ndim, shape, sizeof shape);
        return fail(api, TSR_ERR_CORRUPT_DATA,
                    "'%s' is %" PRIu64 " bytes, but its header (%" PRIu64 " bytes) plus shape %s of '%s' needs %" PRIu64
                    " bytes; the file is truncated or has trailing data",
                    path, file_size, data_offset, shape, header.descr, data_offset + data_bytes);
    }
    if (data_bytes > SIZE_MAX) {
        return fail(api, TSR_ERR_OUT_OF_MEMORY, "'%s' holds %" PRIu64 " bytes, more than this process can address",
                    path, data_bytes);
    }

    /* Read the data into a buffer whose ownership goes to the host with the initializer. */
    void *data = NULL;
    if (data_bytes > 0) {
        data = malloc((size_t)data_bytes);
        if (data == NULL) {
            return fail(api, TSR_ERR_OUT_OF_MEMORY, "out of memory: '%s' needs %" PRIu64 " bytes", path, data_bytes);
        }
        if (!read_exactly(file, data, (size_t)data_bytes)) {
            int error = errno;
            free(data);
            return fail(api, TSR_ERR_IO, "cannot read the data of '%s': %s", path,
                        ferror(file) ? strerror(error) : "the file got shorter while being read");
        }
        if (type->dtype == TSR_DTYPE_BOOL) {
            const unsigned char *bytes = data;
            for (size_t i = 0; i < (size_t)data_bytes; i++) {
                if (bytes[i] > 1) {
                    unsigned value = bytes[i];
                    free(data);
                    return fail(api, TSR_ERR_CORRUPT_DATA,
                                "'%s' is a bool array but element %zu is %u; bool elements must be 0 or 1", path, i,
                                value);
                }
            }
        }
    }

    tsr_tensor_view view;
    memset(&view, 0, sizeof view);
    view.struct_size = sizeof view;
    view.dtype = type->dtype;
    view.ndim = header.ndim;
    view.shape = header.ndim ? header.shape : NULL; /* the host copies the shape */
    view.data = data;
    view.byte_size = data_bytes;

    tsr_release release;
    memset(&release, 0, sizeof release);
    release.struct_size = sizeof release;
    release.release = free_buffer;
    release.context = data;

    /* From here the host owns `data`: it calls free_buffer once, even if this call fails. */
    tsr_status *status = api->graph_add_initializer(graph, "tensor", &view, data ? &release : NULL);
    if (status != NULL) return wrap(api, status, "cannot add the array as initializer 'tensor'");
    return NULL;
}

static tsr_status *npy_load(void *instance, const char *path, tsr_graph *graph)
{
    npy_plugin *self = instance;
    if (path == NULL || graph == NULL) {
        return self->api->status_create(TSR_ERR_INVALID_ARGUMENT, "load() was given a NULL path or graph");
    }
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        int error = errno;
        return fail(self->api, error == ENOENT ? TSR_ERR_NOT_FOUND : TSR_ERR_IO, "cannot open '%s': %s", path,
                    strerror(error));
    }
    tsr_status *status = load_open_file(self, path, file, graph);
    fclose(file);
    return status;
}

/* ------------------------------------------------------------------------------------------ */
/* save                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static int write_all(int fd, const void *buffer, size_t size)
{
    const char *at = buffer;
    while (size > 0) {
        ssize_t written = write(fd, at, size);
        if (written < 0) {
            if (errno == EINTR) continue;
            return 0;
        }
        at += written;
        size -= (size_t)written;
    }
    return 1;
}

/** Builds the 1.0 preamble and header for `type` and `shape`, padded to a multiple of 64. */
static size_t build_header(const npy_type *type, const int64_t *shape, uint32_t ndim, char *out, size_t capacity)
{
    char dict[128 + TSR_MAX_RANK * 22];
    char shape_text[TSR_MAX_RANK * 22 + 8];
    describe_shape(shape, ndim, shape_text, sizeof shape_text);
    int length = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", type->descr,
                          shape_text);
    size_t unpadded = 10 + (size_t)length + 1; /* preamble, dict, newline */
    size_t padding = (64 - unpadded % 64) % 64;
    size_t header_length = (size_t)length + padding + 1;
    if (10 + header_length > capacity) return 0;
    memcpy(out, k_magic, sizeof k_magic);
    out[6] = 1; /* version 1.0: a 2-byte header length is plenty for rank <= 16 */
    out[7] = 0;
    out[8] = (char)(header_length & 0xff);
    out[9] = (char)(header_length >> 8);
    memcpy(out + 10, dict, (size_t)length);
    memset(out + 10 + length, ' ', padding);
    out[10 + header_length - 1] = '\n';
    return 10 + header_length;
}

static tsr_status *npy_save(void *instance, const tsr_graph *graph, const char *path)
{
    npy_plugin *self = instance;
    const tsr_host_api *api = self->api;
    if (path == NULL || graph == NULL) {
        return api->status_create(TSR_ERR_INVALID_ARGUMENT, "save() was given a NULL graph or path");
    }

    tsr_graph_summary summary;
    memset(&summary, 0, sizeof summary);
    summary.struct_size = sizeof summary;
    tsr_status *status = api->graph_summary(graph, &summary);
    if (status != NULL) return wrap(api, status, "cannot read the graph");
    if (summary.initializer_count == 0) {
        return fail(api, TSR_ERR_INVALID_ARGUMENT,
                    "the graph has no initializers; a .npy file holds exactly one tensor, so there is nothing to "
                    "write to '%s'",
                    path);
    }

    const char *name = NULL;
    tsr_tensor_view view;
    memset(&view, 0, sizeof view);
    view.struct_size = sizeof view;
    status = api->graph_initializer(graph, 0, &name, &view);
    if (status != NULL) return wrap(api, status, "cannot read the graph's first initializer");
    if (summary.initializer_count > 1 || summary.node_count > 0) {
        char line[512];
        snprintf(line, sizeof line,
                 "the graph has %zu initializers and %zu nodes; '%s' receives only the first initializer ('%s')",
                 summary.initializer_count, summary.node_count, path, name ? name : "?");
        api->log(self->host, TSR_LOG_WARNING, line);
    }

    const npy_type *type = type_for_dtype(view.dtype);
    if (type == NULL) {
        return fail(api, TSR_ERR_UNSUPPORTED,
                    "initializer '%s' is %s (dtype %d), which .npy files written by this plugin cannot hold; it "
                    "writes " SUPPORTED_TYPES,
                    name ? name : "?", dtype_name(view.dtype), (int)view.dtype);
    }
    if (type->itemsize > 1 && !host_is_little_endian()) {
        return fail(api, TSR_ERR_UNSUPPORTED, "this plugin writes little-endian data and this machine is big-endian");
    }
    if (view.ndim > TSR_MAX_RANK || (view.ndim > 0 && view.shape == NULL)) {
        return fail(api, TSR_ERR_INVALID_ARGUMENT, "initializer '%s' has an invalid shape (rank %" PRIu32 ")",
                    name ? name : "?", view.ndim);
    }
    uint64_t elements = 1;
    for (uint32_t i = 0; i < view.ndim; i++) {
        if (view.shape[i] < 0) {
            return fail(api, TSR_ERR_INVALID_ARGUMENT, "initializer '%s' has a dynamic or negative dimension %" PRIu32,
                        name ? name : "?", i);
        }
        uint64_t dim = (uint64_t)view.shape[i];
        if (dim != 0 && elements > UINT64_MAX / dim / type->itemsize) {
            return fail(api, TSR_ERR_INVALID_ARGUMENT, "initializer '%s' is too large", name ? name : "?");
        }
        elements *= dim;
    }
    if (view.byte_size != elements * type->itemsize || view.byte_size > SIZE_MAX ||
        (view.byte_size > 0 && view.data == NULL)) {
        return fail(api, TSR_ERR_INVALID_ARGUMENT,
                    "initializer '%s' has %" PRIu64 " bytes of data but its shape needs %" PRIu64, name ? name : "?",
                    view.byte_size, elements * type->itemsize);
    }

    char header[10 + 128 + TSR_MAX_RANK * 22 + 64];
    size_t header_size = build_header(type, view.shape, view.ndim, header, sizeof header);
    if (header_size == 0) return api->status_create(TSR_ERR_INTERNAL, "npy header buffer too small (a bug)");

    /* Write a sibling temporary file, make it durable, then rename it over `path`. */
    size_t temp_capacity = strlen(path) + 64;
    char *temp = malloc(temp_capacity);
    if (temp == NULL) return api->status_create(TSR_ERR_OUT_OF_MEMORY, "out of memory saving a .npy file");
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(temp, temp_capacity, "%s.tmp-%ld-%u", path, (long)getpid(), self->temp_counter++);
        fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        status = fail(api, TSR_ERR_IO, "cannot create a temporary file next to '%s': %s", path, strerror(errno));
        free(temp);
        return status;
    }
    int ok = write_all(fd, header, header_size) && write_all(fd, view.data, (size_t)view.byte_size) && fsync(fd) == 0;
    int error = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        error = errno;
    }
    if (ok && rename(temp, path) != 0) {
        ok = 0;
        error = errno;
    }
    if (!ok) {
        unlink(temp);
        status = fail(api, TSR_ERR_IO, "cannot write '%s': %s", path, strerror(error));
    }
    free(temp);
    return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Descriptor and lifecycle                                                                   */
/* ------------------------------------------------------------------------------------------ */

static const char *const k_extensions[] = {".npy", NULL};

static const tsr_format_vtable k_format = {
    .struct_size = sizeof(tsr_format_vtable),
    .format_name = "npy",
    .extensions = k_extensions,
    .probe = npy_probe,
    .load = npy_load,
    .save = npy_save,
};

static tsr_status *npy_create(const tsr_host_api *api, tsr_host *host, void **instance)
{
    /* The host always passes a valid api and host; instance is checked because it is cheap. */
    if (instance == NULL) return api->status_create(TSR_ERR_INVALID_ARGUMENT, "create() was given a NULL instance pointer");
    *instance = NULL;
    if (!TSR_HAS_FIELD(api, tsr_host_api, graph_replace_initializer)) {
        return api->status_create(TSR_ERR_FAILED_PRECONDITION, "the host API table is smaller than ABI 1.0's");
    }
    /* This plugin takes no settings: say so rather than silently ignoring a typo. */
    if (api->setting_count(host) > 0) {
        const char *key = api->setting_key(host, 0);
        return fail(api, TSR_ERR_INVALID_SETTING, "unknown setting '%s'; npy-format takes no settings",
                    key ? key : "?");
    }
    npy_plugin *self = calloc(1, sizeof *self);
    if (self == NULL) return api->status_create(TSR_ERR_OUT_OF_MEMORY, "out of memory creating the instance");
    self->api = api;
    self->host = host;
    *instance = self;
    api->log(host, TSR_LOG_INFO, "npy-format ready: reads and writes .npy (versions 1.0-3.0, C order)");
    return NULL;
}

static const void *npy_get_capability(void *instance, const char *capability_id)
{
    (void)instance;
    if (capability_id != NULL && strcmp(capability_id, TSR_CAP_FORMAT) == 0) return &k_format;
    return NULL;
}

static tsr_status *npy_activate(void *instance)
{
    (void)instance; /* nothing to start: no threads, no open files */
    return NULL;
}

static void npy_deactivate(void *instance)
{
    (void)instance;
}

static void npy_destroy(void *instance)
{
    free(instance);
}

static const char *const k_capabilities[] = {TSR_CAP_FORMAT, NULL};

static const tsr_plugin_descriptor k_descriptor = {
    .struct_size = sizeof(tsr_plugin_descriptor),
    .abi_major = TSR_ABI_MAJOR,
    .abi_minor = TSR_ABI_MINOR,
    .min_abi_minor = 0,
    .fingerprint = TSR_ABI_FINGERPRINT_INIT,
    .id = "org.example.npy-format",
    .name = "npy-format",
    .version = "1.0.0",
    .vendor = "Example Org",
    .description = "Reads and writes NumPy .npy files holding one tensor.",
    .capabilities = k_capabilities,
    .create = npy_create,
    .get_capability = npy_get_capability,
    .activate = npy_activate,
    .deactivate = npy_deactivate,
    .destroy = npy_destroy,
};

TSR_EXPORT const tsr_plugin_descriptor *tsr_plugin_entry(void)
{
    return &k_descriptor;
}
