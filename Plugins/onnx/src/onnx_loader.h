/*
 * onnx_loader.h — turns a decoded ONNX model into a host graph (load()).
 *
 * Tensor data reaches the host in one of three ways:
 *  - raw_data (in the model or in an external data file) whose address is aligned to the
 *    element size: a view into the mapping, with the release of tsp_mapping_hold_view (a
 *    reference on the mapping; the tensor's pages go back to the kernel when it is dropped);
 *  - raw_data that is not aligned: a view with release NULL, which the host copies;
 *  - typed fields (float_data, int32_data, ...): decoded into a malloc'ed buffer released with
 *    free.
 *
 * Private to onnx.c, which includes it exactly once (all definitions are static).
 */
#ifndef TESSERA_ONNX_LOADER_H
#define TESSERA_ONNX_LOADER_H

#include "onnx_model.h"

/* ------------------------------------------------------------------------------------------ */
/* A set of names (initializers), by content                                                  */
/* ------------------------------------------------------------------------------------------ */

typedef struct name_set {
    pb_slice *slots; /**< data NULL marks an empty slot; names are never empty */
    size_t mask;
} name_set;

static uint64_t hash_slice(pb_slice s)
{
    uint64_t hash = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < s.size; i++) {
        hash ^= s.data[i];
        hash *= 0x100000001b3ull;
    }
    return hash;
}

static int name_set_init(name_set *set, size_t count)
{
    size_t capacity = 16;
    while (capacity / 2 <= count) {
        if (capacity > SIZE_MAX / 4 / sizeof(pb_slice)) return 0;
        capacity *= 2;
    }
    set->slots = calloc(capacity, sizeof(pb_slice));
    set->mask = capacity - 1;
    return set->slots != NULL;
}

/** Adds `name`: 1 when it was new, 0 when it was already there. */
static int name_set_add(name_set *set, pb_slice name)
{
    for (size_t i = (size_t)hash_slice(name) & set->mask;; i = (i + 1) & set->mask) {
        pb_slice *slot = &set->slots[i];
        if (slot->data == NULL) {
            *slot = name;
            return 1;
        }
        if (slot->size == name.size && memcmp(slot->data, name.data, name.size) == 0) return 0;
    }
}

static int name_set_contains(const name_set *set, pb_slice name)
{
    if (set->slots == NULL) return 0;
    for (size_t i = (size_t)hash_slice(name) & set->mask;; i = (i + 1) & set->mask) {
        const pb_slice *slot = &set->slots[i];
        if (slot->data == NULL) return 0;
        if (slot->size == name.size && memcmp(slot->data, name.data, name.size) == 0) return 1;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* The loader                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/** An external data file, mapped once per load however many tensors it holds. */
typedef struct external_file {
    char *location; /**< as the model writes it */
    tsp_mapping *map; /**< the loader's reference */
} external_file;

typedef struct loader {
    decoder d;
    tsr_host *host;
    tsr_graph *graph;
    tsp_mapping *file;
    onnx_graph g;
    name_set initializer_names;
    external_file *externals;
    size_t external_count, external_capacity;
    arena scratch;            /**< C strings and arrays for one host call; cleared per node */
    int64_t opset;            /**< the model's default-domain opset (checked: 7 to 21) */
    size_t constants_folded;  /**< Constant nodes turned into initializers */
    size_t casts_added;       /**< Cast nodes added after ConstantOfShape (see add_node) */
    size_t nodes_added;       /**< nodes added mapping opset 7–12 nodes (onnx_opsets.h) */
    size_t initializers_added; /**< initializers added for them (attributes made inputs) */
} loader;

static void loader_free(loader *l)
{
    for (size_t i = 0; i < l->external_count; i++) {
        free(l->externals[i].location);
        tsp_mapping_release(l->externals[i].map);
    }
    free(l->externals);
    free(l->initializer_names.slots);
    free_graph(&l->g);
    arena_clear(&l->scratch);
}

/** A NUL-terminated copy of a (checked) string slice in the scratch arena; NULL records out-of-memory. */
static char *scratch_string(loader *l, pb_slice s)
{
    char *copy = arena_strndup(&l->scratch, s.data, s.size);
    if (copy == NULL) decoder_fail(&l->d, TSR_ERR_OUT_OF_MEMORY, "out of memory copying a name of %zu bytes", s.size);
    return copy;
}

/** "<a><b>" in the scratch arena (names of values and nodes the loader adds); NULL records out-of-memory. */
static char *scratch_concat(loader *l, const char *a, const char *b)
{
    size_t size = strlen(a) + strlen(b) + 1;
    char *joined = arena_alloc_aligned(&l->scratch, size, 1);
    if (joined == NULL) {
        decoder_fail(&l->d, TSR_ERR_OUT_OF_MEMORY, "out of memory naming a value after '%s'", a);
        return NULL;
    }
    snprintf(joined, size, "%s%s", a, b);
    return joined;
}

/**
 * Turns a status from the host into one naming the file and what was being added, keeping the
 * host's code ("onnx: 'm.onnx': adding node 'mm' (MatMul) failed: <host message>"); releases it.
 */
static int host_failed(loader *l, tsr_status *status, const char *what, const char *name, const char *op_type)
{
    const tsr_host_api *api = l->d.api;
    if (l->d.status == NULL) {
        l->d.status = tsp_fail(api, api->status_code(status), PLUGIN_NAME, "'%s': adding %s '%s'%s%s%s failed: %s", l->d.path,
                               what, name, op_type ? " (" : "", op_type ? op_type : "", op_type ? ")" : "",
                               api->status_message(status));
    }
    api->status_release(status);
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Shapes                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** Checks a rank: above MAX_PLAUSIBLE_RANK is corrupt, above TSR_MAX_RANK unsupported. */
static int check_rank(loader *l, uint64_t rank, const unsigned char *at, const char *label)
{
    if (rank > MAX_PLAUSIBLE_RANK) {
        return decoder_bad(&l->d, at, "%s has %" PRIu64 " dimensions", label, rank);
    }
    if (rank > TSR_MAX_RANK) {
        return decoder_fail(&l->d, TSR_ERR_UNSUPPORTED, "%s has rank %" PRIu64 "; Tessera supports at most %d dimensions", label,
                            rank, TSR_MAX_RANK);
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Tensor data                                                                                */
/* ------------------------------------------------------------------------------------------ */

/** A tensor ready for the host: a view and, when ownership moves, a release. */
typedef struct tensor_data {
    tsr_tensor_view view;
    tsr_release release;  /**< release.release NULL: borrowed, the host copies */
} tensor_data;

/** Gives back a tensor that was not handed to the host. */
static void tensor_data_drop(tensor_data *td)
{
    if (td->release.release != NULL) td->release.release(td->release.context);
    td->release.release = NULL;
}

/** Views `data` zero-copy when aligned for the element size, else as borrowed (copied by the host). */
static void view_in_mapping(tensor_data *td, tsp_mapping *m, const unsigned char *data, size_t item_size)
{
    td->view.data = (void *)(uintptr_t)data;
    if (td->view.byte_size == 0) {
        td->view.data = NULL;
        return;
    }
    if ((uintptr_t)data % item_size == 0) tsp_mapping_hold_view(m, data, (size_t)td->view.byte_size, &td->release);
}

/** BOOL data must be bytes 0 or 1 (the host's and ONNX's rule). */
static int check_bool_bytes(loader *l, const unsigned char *data, size_t size, const char *label)
{
    for (size_t i = 0; i < size; i++) {
        if (data[i] > 1) {
            return decoder_fail(&l->d, TSR_ERR_CORRUPT_DATA, "%s is BOOL but element %zu is the byte %u, not 0 or 1", label, i,
                                (unsigned)data[i]);
        }
    }
    return 1;
}

/** Parses a non-negative decimal integer (external_data offset/length). */
static int parse_decimal(pb_slice s, uint64_t *out)
{
    if (s.size == 0 || s.size > 20) return 0;
    uint64_t value = 0;
    for (size_t i = 0; i < s.size; i++) {
        unsigned char c = s.data[i];
        if (c < '0' || c > '9') return 0;
        unsigned digit = (unsigned)(c - '0');
        if (value > (UINT64_MAX - digit) / 10) return 0;
        value = value * 10 + digit;
    }
    *out = value;
    return 1;
}

/** A location must be relative and must not climb out of the model's folder. */
static const char *bad_location_reason(pb_slice location)
{
    if (location.size == 0) return "is empty";
    if (location.data[0] == '/') return "is an absolute path";
    size_t start = 0;
    for (size_t i = 0; i <= location.size; i++) {
        if (i == location.size || location.data[i] == '/') {
            if (i - start == 2 && location.data[start] == '.' && location.data[start + 1] == '.') {
                return "has a '..' component";
            }
            start = i + 1;
        }
    }
    return NULL;
}

/** The mapping of the external data file `location`, mapped on first use. */
static tsp_mapping *external_mapping(loader *l, pb_slice location, const char *label)
{
    for (size_t i = 0; i < l->external_count; i++) {
        if (strlen(l->externals[i].location) == location.size && memcmp(l->externals[i].location, location.data, location.size) == 0) {
            return l->externals[i].map;
        }
    }
    if (l->external_count == l->external_capacity) {
        size_t capacity = l->external_capacity ? l->external_capacity * 2 : 4;
        external_file *grown = realloc(l->externals, capacity * sizeof *grown);
        if (grown == NULL) {
            decoder_fail(&l->d, TSR_ERR_OUT_OF_MEMORY, "out of memory opening the external data of %s", label);
            return NULL;
        }
        l->externals = grown;
        l->external_capacity = capacity;
    }
    const char *path = l->d.path;
    const char *slash = strrchr(path, '/');
    size_t directory_length = slash == NULL ? 0 : (size_t)(slash - path) + 1; /* keeps the '/' */
    char *full = malloc(directory_length + location.size + 1);
    char *name = malloc(location.size + 1);
    if (full == NULL || name == NULL) {
        free(full);
        free(name);
        decoder_fail(&l->d, TSR_ERR_OUT_OF_MEMORY, "out of memory opening the external data of %s", label);
        return NULL;
    }
    memcpy(full, path, directory_length);
    memcpy(full + directory_length, location.data, location.size);
    full[directory_length + location.size] = '\0';
    memcpy(name, location.data, location.size);
    name[location.size] = '\0';
    tsp_mapping *m;
    tsr_status *status = tsp_map_file(l->d.api, PLUGIN_NAME, full, l->d.path, "external data file", &m);
    free(full);
    if (status != NULL) {
        free(name);
        if (l->d.status == NULL) l->d.status = status;
        else l->d.api->status_release(status);
        return NULL;
    }
    l->externals[l->external_count].location = name;
    l->externals[l->external_count].map = m;
    l->external_count++;
    return m;
}

static int external_data(loader *l, const onnx_tensor *t, const char *label, uint64_t bytes, size_t item_size, tensor_data *td)
{
    if (!t->has_location) {
        return decoder_bad(&l->d, t->start, "%s has data_location EXTERNAL but no 'location' in external_data",
                           label);
    }
    const char *reason = bad_location_reason(t->location);
    if (reason != NULL) {
        return decoder_fail(&l->d, TSR_ERR_CORRUPT_DATA,
                            "%s keeps its data in the external file '%.*s', whose location %s; external data must be a "
                            "relative path inside the model's folder",
                            label, slice_print_length(t->location), (const char *)t->location.data, reason);
    }
    uint64_t offset = 0, length = bytes;
    if (t->has_offset && !parse_decimal(t->offset, &offset)) {
        return decoder_fail(&l->d, TSR_ERR_CORRUPT_DATA, "%s has an external_data offset '%.*s' that is not a decimal integer",
                            label, slice_print_length(t->offset), (const char *)t->offset.data);
    }
    if (t->has_length && !parse_decimal(t->length, &length)) {
        return decoder_fail(&l->d, TSR_ERR_CORRUPT_DATA, "%s has an external_data length '%.*s' that is not a decimal integer",
                            label, slice_print_length(t->length), (const char *)t->length.data);
    }
    if (length != bytes) {
        return decoder_fail(&l->d, TSR_ERR_CORRUPT_DATA,
                            "%s has an external_data length of %" PRIu64 " bytes but its data type and shape need %" PRIu64,
                            label, length, bytes);
    }
    tsp_mapping *m = external_mapping(l, t->location, label);
    if (m == NULL) return 0;
    size_t size = tsp_mapping_size(m);
    if (offset > size || bytes > size - offset) {
        return decoder_fail(&l->d, TSR_ERR_CORRUPT_DATA,
                            "%s needs %" PRIu64 " bytes at offset %" PRIu64 " of the external file '%.*s', which has %zu "
                            "bytes (it is truncated or does not belong to this model)",
                            label, bytes, offset, slice_print_length(t->location), (const char *)t->location.data, size);
    }
    const unsigned char *data = bytes > 0 ? tsp_mapping_bytes(m) + offset : NULL;
    if (td->view.dtype == TSR_DTYPE_BOOL && !check_bool_bytes(l, data, (size_t)bytes, label)) return 0;
    view_in_mapping(td, m, data, item_size);
    return 1;
}

/** Decodes the typed field of `t` into a new buffer of `bytes` bytes. */
static int typed_data(loader *l, const onnx_tensor *t, const onnx_dtype *type, const char *label, uint64_t count,
                      uint64_t bytes, tensor_data *td)
{
    static const struct { uint32_t number; const char *name; } k_fields[] = {
        {TENSOR_FLOAT_DATA, "float_data"}, {TENSOR_INT32_DATA, "int32_data"}, {TENSOR_STRING_DATA, "string_data"},
        {TENSOR_INT64_DATA, "int64_data"}, {TENSOR_DOUBLE_DATA, "double_data"}, {TENSOR_UINT64_DATA, "uint64_data"},
    };
    const char *expected = "";
    for (size_t i = 0; i < sizeof k_fields / sizeof k_fields[0]; i++) {
        if (k_fields[i].number == (uint32_t)type->field) expected = k_fields[i].name;
    }
    for (size_t i = 0; i < sizeof k_fields / sizeof k_fields[0]; i++) {
        uint32_t number = k_fields[i].number;
        if (number != (uint32_t)type->field && t->typed_count[number] > 0) {
            return decoder_fail(&l->d, TSR_ERR_CORRUPT_DATA, "%s has data type %s, which keeps its elements in %s, but stores %" PRIu64
                                " in %s", label, type->name, expected, t->typed_count[number], k_fields[i].name);
        }
    }
    uint64_t found = t->typed_count[type->field];
    if (found != count) {
        char shape[TSR_MAX_RANK * 24 + 8];
        tsp_format_shape(shape, sizeof shape, t->dims, (uint32_t)t->rank); /* rank checked: at most TSR_MAX_RANK */
        if (found == 0) {
            return decoder_fail(&l->d, TSR_ERR_CORRUPT_DATA, "%s (shape %s) has no data: neither raw_data nor %s holds its %" PRIu64
                                " elements", label, shape, expected, count);
        }
        return decoder_fail(&l->d, TSR_ERR_CORRUPT_DATA, "%s has %" PRIu64 " elements in %s but its shape %s needs %" PRIu64,
                            label, found, expected, shape, count);
    }
    if (bytes == 0) return 1;
    unsigned char *buffer = malloc((size_t)bytes); /* bytes <= 8 * count, and count elements were in the file */
    if (buffer == NULL) {
        return decoder_fail(&l->d, TSR_ERR_OUT_OF_MEMORY, "out of memory decoding %s (%" PRIu64 " bytes)", label, bytes);
    }
    pb_repeated it;
    pb_repeated_init(&it, &t->message, (uint32_t)type->field,
                     type->field == FIELD_FLOAT_DATA ? PB_FIXED32 : type->field == FIELD_DOUBLE_DATA ? PB_FIXED64 : PB_VARINT,
                     expected);
    uint64_t value;
    size_t at = 0;
    int more;
    while (at < (size_t)bytes && (more = pb_repeated_next(&l->d, &it, &value)) > 0) {
        switch (type->size) {
        case 1: {
            uint8_t narrow = type->dtype == TSR_DTYPE_BOOL ? (value != 0) : (uint8_t)value;
            buffer[at] = narrow;
            break;
        }
        case 2: {
            uint16_t narrow = (uint16_t)value;
            memcpy(buffer + at, &narrow, 2);
            break;
        }
        case 4: {
            uint32_t narrow = (uint32_t)value;
            memcpy(buffer + at, &narrow, 4);
            break;
        }
        default:
            memcpy(buffer + at, &value, 8);
            break;
        }
        at += type->size;
    }
    if (at != (size_t)bytes) {
        free(buffer);
        if (l->d.status == NULL) decoder_fail(&l->d, TSR_ERR_INTERNAL, "decoding %s stopped early (a bug in the plugin)", label);
        return 0;
    }
    td->view.data = buffer;
    td->release.release = tsp_release_free;
    td->release.context = buffer;
    return 1;
}

/**
 * Checks a decoded TensorProto and makes its data ready for the host. `label` names it in
 * messages ("initializer 'w'"). On success the caller hands td to the host or drops it.
 */
static int tensor_data_make(loader *l, onnx_tensor *t, const char *label, tensor_data *td)
{
    memset(td, 0, sizeof *td);
    td->view.struct_size = (uint32_t)sizeof td->view;
    td->release.struct_size = (uint32_t)sizeof td->release;
    if (t->has_segment) {
        return decoder_fail(&l->d, TSR_ERR_UNSUPPORTED, "%s is stored in segments (TensorProto.segment), which are not supported",
                            label);
    }
    if (!check_rank(l, t->rank, t->start, label)) return 0;
    const onnx_dtype *type = onnx_dtype_by_code(t->data_type);
    if (!t->has_data_type || t->data_type == 0) {
        return decoder_bad(&l->d, t->start, "%s has no data_type", label);
    }
    if (type == NULL) {
        return decoder_fail(&l->d, TSR_ERR_UNSUPPORTED, "%s has data type %" PRId64 ", which this plugin does not know (supported: %s)",
                            label, t->data_type, SUPPORTED_DTYPES);
    }
    if (type->dtype == TSR_DTYPE_INVALID) {
        return decoder_fail(&l->d, TSR_ERR_UNSUPPORTED, "%s has data type %s, which Tessera does not support (supported: %s)", label,
                            type->name, SUPPORTED_DTYPES);
    }
    uint64_t count = 1;
    char shape[TSR_MAX_RANK * 24 + 8];
    tsp_format_shape(shape, sizeof shape, t->dims, (uint32_t)t->rank); /* rank checked: at most TSR_MAX_RANK */
    for (uint64_t i = 0; i < t->rank; i++) {
        int64_t dim = t->dims[i];
        if (dim < 0) return decoder_bad(&l->d, t->start, "%s has a negative dimension in shape %s", label, shape);
        /* INT64_MAX, not UINT64_MAX: the host counts elements in an Int64, in order, so a
           later zero dimension must not hide an overflow before it (found by fuzz/). */
        if (dim != 0 && count > (uint64_t)INT64_MAX / (uint64_t)dim) {
            return decoder_bad(&l->d, t->start, "the element count of %s (shape %s) overflows", label, shape);
        }
        count *= (uint64_t)dim;
    }
    if (count > (uint64_t)SIZE_MAX / type->size) {
        return decoder_bad(&l->d, t->start, "the byte size of %s (%s, shape %s) overflows", label, type->name, shape);
    }
    uint64_t bytes = count * type->size;
    td->view.dtype = type->dtype;
    td->view.ndim = (uint32_t)t->rank;
    td->view.shape = t->rank > 0 ? t->dims : NULL;
    td->view.byte_size = bytes;

    if (t->data_location == LOCATION_EXTERNAL) return external_data(l, t, label, bytes, type->size, td);
    if (t->data_location != LOCATION_DEFAULT) {
        return decoder_bad(&l->d, t->start, "%s has data_location %" PRId64 " (only 0 and 1 exist)", label,
                           t->data_location);
    }
    if (!t->has_raw) return typed_data(l, t, type, label, count, bytes, td);

    for (uint32_t field = 0; field < 12; field++) {
        if (t->typed_count[field] > 0) {
            return decoder_fail(&l->d, TSR_ERR_CORRUPT_DATA, "%s stores its data twice: in raw_data and in a typed field (number %" PRIu32 ")",
                                label, field);
        }
    }
    if ((uint64_t)t->raw.size != bytes) {
        return decoder_fail(&l->d, TSR_ERR_CORRUPT_DATA, "%s has %zu bytes of raw_data but data type %s and shape %s need %" PRIu64,
                            label, t->raw.size, type->name, shape, bytes);
    }
    if (type->dtype == TSR_DTYPE_BOOL && !check_bool_bytes(l, t->raw.data, t->raw.size, label)) return 0;
    view_in_mapping(td, l->file, t->raw.data, type->size);
    return 1;
}

/** Adds an initializer; the host owns td's release afterwards, also on failure. */
static int add_initializer(loader *l, const char *name, tensor_data *td)
{
    tsr_status *status = l->d.api->graph_add_initializer(l->graph, name, &td->view, td->release.release ? &td->release : NULL);
    td->release.release = NULL;
    if (status != NULL) return host_failed(l, status, "initializer", name, NULL);
    return 1;
}

/** Adds a 1-D INT64 initializer holding `values`, which the host copies. */
static int add_int64_initializer(loader *l, const char *name, const int64_t *values, size_t count)
{
    int64_t dims[1] = {(int64_t)count};
    tensor_data td;
    memset(&td, 0, sizeof td);
    td.view.struct_size = (uint32_t)sizeof td.view;
    td.view.dtype = TSR_DTYPE_INT64;
    td.view.ndim = 1;
    td.view.shape = dims;
    td.view.byte_size = (uint64_t)count * sizeof(int64_t);
    td.view.data = count > 0 ? (void *)(uintptr_t)values : NULL;
    return add_initializer(l, name, &td);
}

/* ------------------------------------------------------------------------------------------ */
/* Graph inputs and outputs                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** Decodes one ValueInfoProto into *info (strings in the scratch arena). `role` is "graph input". */
static int value_info_make(loader *l, pb_slice message, const char *role, size_t index, onnx_value_info *v, tsr_value_info *info)
{
    if (!decode_value_info(&l->d, message, l->g.depth + 1, v)) return 0;
    if (v->name.size == 0) return decoder_bad(&l->d, v->start, "%s %zu has no name", role, index);
    int n = slice_print_length(v->name);
    const char *text = (const char *)v->name.data;
    if (!v->has_type) return decoder_bad(&l->d, v->start, "%s '%.*s' has no type", role, n, text);
    if (v->kind != TYPE_TENSOR) {
        return decoder_fail(&l->d, TSR_ERR_UNSUPPORTED, "%s '%.*s' is %s; only tensors are supported", role, n, text,
                            type_kind_name(v->kind));
    }
    const onnx_dtype *type = onnx_dtype_by_code(v->elem_type);
    if (!v->has_elem_type || v->elem_type == 0) {
        return decoder_bad(&l->d, v->start, "%s '%.*s' has no elem_type", role, n, text);
    }
    if (type == NULL || type->dtype == TSR_DTYPE_INVALID) {
        return decoder_fail(&l->d, TSR_ERR_UNSUPPORTED, "%s '%.*s' has element type %s, which Tessera does not support (supported: %s)",
                            role, n, text, type ? type->name : "(unknown)", SUPPORTED_DTYPES);
    }
    if (!v->has_shape) {
        return decoder_fail(&l->d, TSR_ERR_UNSUPPORTED,
                            "%s '%.*s' has no shape (its rank is unknown); Tessera needs the rank of every graph input and "
                            "output: add the shape (e.g. with onnx.shape_inference) or re-export the model with shapes",
                            role, n, text);
    }
    char label[300];
    snprintf(label, sizeof label, "%s '%.*s'", role, n, text);
    if (!check_rank(l, v->rank, v->start, label)) return 0;
    char *name = scratch_string(l, v->name);
    if (name == NULL) return 0;
    memset(info, 0, sizeof *info);
    info->struct_size = (uint32_t)sizeof *info;
    info->dtype = type->dtype;
    info->name = name;
    info->ndim = (uint32_t)v->rank;
    info->shape = v->rank > 0 ? v->dims : NULL;
    return 1;
}

static int add_inputs(loader *l)
{
    for (size_t i = 0; i < l->g.inputs.count; i++) {
        onnx_value_info v;
        tsr_value_info info;
        arena_clear(&l->scratch);
        /* Old exporters list the weights as graph inputs too; those are initializers, not inputs. */
        if (!decode_value_info(&l->d, l->g.inputs.items[i], l->g.depth + 1, &v)) return 0;
        if (v.name.size > 0 && name_set_contains(&l->initializer_names, v.name)) continue;
        if (!value_info_make(l, l->g.inputs.items[i], "graph input", i, &v, &info)) return 0;
        tsr_status *status = l->d.api->graph_add_input(l->graph, &info);
        if (status != NULL) return host_failed(l, status, "graph input", info.name, NULL);
    }
    return 1;
}

static int add_outputs(loader *l)
{
    for (size_t i = 0; i < l->g.outputs.count; i++) {
        onnx_value_info v;
        tsr_value_info info;
        arena_clear(&l->scratch);
        if (!value_info_make(l, l->g.outputs.items[i], "graph output", i, &v, &info)) return 0;
        tsr_status *status = l->d.api->graph_add_output(l->graph, &info);
        if (status != NULL) return host_failed(l, status, "graph output", info.name, NULL);
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Initializers                                                                               */
/* ------------------------------------------------------------------------------------------ */

/** Records every initializer's name (for the input rule and duplicate check). */
static int collect_initializer_names(loader *l)
{
    if (!name_set_init(&l->initializer_names, l->g.initializers.count)) {
        return decoder_fail(&l->d, TSR_ERR_OUT_OF_MEMORY, "out of memory indexing %zu initializers", l->g.initializers.count);
    }
    for (size_t i = 0; i < l->g.initializers.count; i++) {
        onnx_tensor t;
        if (!decode_tensor(&l->d, l->g.initializers.items[i], l->g.depth + 1, &t)) return 0;
        if (t.name.size == 0) return decoder_bad(&l->d, t.start, "initializer %zu has no name", i);
        if (!name_set_add(&l->initializer_names, t.name)) {
            return decoder_fail(&l->d, TSR_ERR_CORRUPT_DATA, "initializer '%.*s' is defined twice", slice_print_length(t.name),
                                (const char *)t.name.data);
        }
    }
    return 1;
}

static int add_initializers(loader *l)
{
    for (size_t i = 0; i < l->g.initializers.count; i++) {
        onnx_tensor t;
        tensor_data td;
        arena_clear(&l->scratch);
        if (!decode_tensor(&l->d, l->g.initializers.items[i], l->g.depth + 1, &t)) return 0;
        char *name = scratch_string(l, t.name);
        if (name == NULL) return 0;
        char label[300];
        snprintf(label, sizeof label, "initializer '%.*s'", slice_print_length(t.name), name);
        if (!tensor_data_make(l, &t, label, &td)) return 0;
        if (!add_initializer(l, name, &td)) return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Nodes                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/** What the node builder knows about the node, for messages. */
typedef struct node_context {
    const char *name;     /**< its name, or the generated "<op_type>_<index>" */
    const char *op_type;
    const onnx_dtype *fill_type; /**< ConstantOfShape: the ONNX type of its tensor `value`, when it had one */
} node_context;

/** Adds a node to the host graph; a refusal is reported naming the node. */
static int add_graph_node(loader *l, const char *op_type, const char *name, const char **inputs, size_t input_count,
                          const char **outputs, size_t output_count, const tsr_attribute *attributes, size_t attribute_count)
{
    tsr_status *status = l->d.api->graph_add_node(l->graph, op_type, name, inputs, input_count, outputs, output_count,
                                                  attributes, attribute_count);
    if (status != NULL) return host_failed(l, status, "node", name, op_type);
    return 1;
}

/*
 * Defined in onnx_opsets.h (included after this file): adds a node of a model whose opset is
 * below TESSERA_ONNX_CURRENT_OPSET as what it means at that opset, or refuses it.
 */
static int add_node_at_old_opset(loader *l, const node_context *node, const char **inputs, size_t input_count,
                                 const char **outputs, size_t output_count, tsr_attribute *attributes, size_t attribute_count);

/**
 * Reads a one-element tensor attribute as a number: *is_float tells which of the two is set,
 * *type the tensor's ONNX type.
 */
static int scalar_from_tensor(loader *l, const node_context *node, const onnx_attribute *a, int *is_float, double *f, int64_t *i,
                              const onnx_dtype **type)
{
    onnx_tensor t;
    tensor_data td;
    char label[512];
    snprintf(label, sizeof label, "attribute '%.*s' of node '%s' (%s)", slice_print_length(a->name), (const char *)a->name.data,
             node->name, node->op_type);
    if (!decode_tensor(&l->d, a->t, a->message.depth + 1, &t) || !tensor_data_make(l, &t, label, &td)) return 0;
    tsr_dtype dtype = td.view.dtype;
    *type = onnx_dtype_by_code(t.data_type);
    size_t item = (*type)->size; /* tensor_data_make accepted the type, so it is in the table */
    if (td.view.byte_size != item) {
        tensor_data_drop(&td);
        return decoder_fail(&l->d, TSR_ERR_CORRUPT_DATA, "%s must be a tensor of one element, but it has %" PRIu64, label,
                            item ? td.view.byte_size / item : 0);
    }
    unsigned char raw[8] = {0};
    memcpy(raw, td.view.data, item); /* data may be unaligned: read bytes */
    tensor_data_drop(&td);
    uint64_t bits = tsp_read_le64(raw);
    *is_float = 0;
    switch (dtype) {
    case TSR_DTYPE_FP32: *is_float = 1; *f = float_from_bits((uint32_t)bits); break;
    case TSR_DTYPE_FP16: *is_float = 1; *f = tsp_half_to_float((uint16_t)bits); break;
    case TSR_DTYPE_BF16: *is_float = 1; *f = tsp_bfloat16_to_float((uint16_t)bits); break;
    case TSR_DTYPE_FP64: *is_float = 1; *f = double_from_bits(bits); break;
    case TSR_DTYPE_INT8: *i = (int8_t)(uint8_t)bits; break;
    case TSR_DTYPE_INT16: *i = (int16_t)(uint16_t)bits; break;
    case TSR_DTYPE_INT32: *i = (int32_t)(uint32_t)bits; break;
    case TSR_DTYPE_INT64: *i = as_int64(bits); break;
    case TSR_DTYPE_UINT8: *i = (uint8_t)bits; break;
    case TSR_DTYPE_UINT16: *i = (uint16_t)bits; break;
    case TSR_DTYPE_UINT32: *i = (uint32_t)bits; break;
    case TSR_DTYPE_UINT64: *i = as_int64(bits); break; /* values above INT64_MAX wrap */
    case TSR_DTYPE_BOOL: *i = bits != 0; break;
    default: return decoder_fail(&l->d, TSR_ERR_INTERNAL, "%s has an unexpected dtype %d", label, (int)dtype);
    }
    return 1;
}

/** Reads a repeated scalar attribute (floats or ints) into an arena array. */
static int attribute_list(loader *l, const onnx_attribute *a, int floats, tsr_attribute *out)
{
    uint64_t count = floats ? a->floats : a->ints;
    out->count = (size_t)count;
    if (count == 0) return 1;
    void *array = count <= SIZE_MAX / 8 ? arena_alloc(&l->scratch, (size_t)count * 8) : NULL;
    if (array == NULL) return decoder_fail(&l->d, TSR_ERR_OUT_OF_MEMORY, "out of memory reading %" PRIu64 " attribute values", count);
    pb_repeated it;
    pb_repeated_init(&it, &a->message, floats ? ATTR_FLOATS : ATTR_INTS, floats ? PB_FIXED32 : PB_VARINT, floats ? "floats" : "ints");
    uint64_t value;
    size_t at = 0;
    int more;
    while (at < count && (more = pb_repeated_next(&l->d, &it, &value)) > 0) {
        if (floats) ((double *)array)[at++] = float_from_bits((uint32_t)value);
        else ((int64_t *)array)[at++] = as_int64(value);
    }
    if (at != count) return l->d.status != NULL ? 0 : decoder_fail(&l->d, TSR_ERR_INTERNAL, "attribute list ended early");
    if (floats) out->floats = array;
    else out->ints = array;
    return 1;
}

static int unsupported_attribute(loader *l, const node_context *node, const onnx_attribute *a, const char *why)
{
    return decoder_fail(&l->d, TSR_ERR_UNSUPPORTED, "node '%s' (%s): attribute '%.*s' %s", node->name, node->op_type,
                        slice_print_length(a->name), (const char *)a->name.data, why);
}

/** Converts one attribute. A Constant's tensor `value` is returned in *constant_value instead. */
static int attribute_make(loader *l, node_context *node, onnx_attribute *a, tsr_attribute *out, int *skip,
                          pb_slice *constant_value, int *has_constant_value)
{
    *skip = 0;
    memset(out, 0, sizeof *out);
    out->struct_size = (uint32_t)sizeof *out;
    if (a->name.size == 0) {
        return decoder_bad(&l->d, a->start, "an attribute of node '%s' (%s) has no name", node->name,
                           node->op_type);
    }
    if (a->has_ref) {
        return unsupported_attribute(l, node, a, "refers to a function attribute (ref_attr_name), which is only allowed inside functions");
    }
    out->name = scratch_string(l, a->name);
    if (out->name == NULL) return 0;
    int is_constant = strcmp(node->op_type, "Constant") == 0;
    int64_t kind = attribute_kind(a);
    if (is_constant && (strcmp(out->name, "sparse_value") == 0 || strcmp(out->name, "value_string") == 0 ||
                        strcmp(out->name, "value_strings") == 0)) {
        return decoder_fail(&l->d, TSR_ERR_UNSUPPORTED,
                            "node '%s' (Constant) defines its value with '%s'; only 'value' (a dense numeric tensor) and "
                            "value_float(s)/value_int(s) are supported",
                            node->name, out->name);
    }
    switch (kind) {
    case ATYPE_FLOAT:
        out->kind = TSR_ATTR_FLOAT;
        out->f = a->f;
        return 1;
    case ATYPE_INT:
        out->kind = TSR_ATTR_INT;
        out->i = a->i;
        return 1;
    case ATYPE_STRING: {
        size_t bad = tsp_utf8_invalid_offset(a->s.data, a->s.size, TSP_UTF8_REJECT_NUL);
        if (bad != a->s.size) {
            return decoder_bad(&l->d, a->s.data + bad, "string attribute '%s' of node '%s' %s", out->name, node->name,
                               tsp_utf8_problem(a->s.data, bad));
        }
        out->kind = TSR_ATTR_STRING;
        out->s = scratch_string(l, a->s);
        return out->s != NULL;
    }
    case ATYPE_FLOATS:
        out->kind = TSR_ATTR_FLOATS;
        return attribute_list(l, a, 1, out);
    case ATYPE_INTS:
        out->kind = TSR_ATTR_INTS;
        return attribute_list(l, a, 0, out);
    case ATYPE_TENSOR: {
        if (!a->has_t) return decoder_bad(&l->d, a->start, "tensor attribute '%s' of node '%s' has no tensor",
                                          out->name, node->name);
        if (is_constant && strcmp(out->name, "value") == 0) {
            *constant_value = a->t;
            *has_constant_value = 1;
            *skip = 1;
            return 1;
        }
        if (strcmp(node->op_type, "ConstantOfShape") == 0 && strcmp(out->name, "value") == 0) {
            int is_float = 0;
            if (!scalar_from_tensor(l, node, a, &is_float, &out->f, &out->i, &node->fill_type)) return 0;
            out->kind = is_float ? TSR_ATTR_FLOAT : TSR_ATTR_INT;
            return 1;
        }
        return unsupported_attribute(l, node, a, "is a tensor; Tessera attributes cannot hold tensors (only Constant's and "
                                                 "ConstantOfShape's 'value' are converted)");
    }
    case ATYPE_GRAPH:
    case ATYPE_GRAPHS:
        return unsupported_attribute(l, node, a, "is a subgraph; control flow with subgraphs (If, Loop, Scan) is not supported");
    case ATYPE_STRINGS:
        return unsupported_attribute(l, node, a, "is a list of strings, which Tessera attributes cannot hold");
    case ATYPE_TENSORS:
    case ATYPE_SPARSE_TENSOR:
    case ATYPE_SPARSE_TENSORS:
    case ATYPE_TYPE_PROTO:
    case ATYPE_TYPE_PROTOS: {
        char why[128];
        snprintf(why, sizeof why, "has type %s, which Tessera attributes cannot hold", attribute_kind_name(kind));
        return unsupported_attribute(l, node, a, why);
    }
    case ATYPE_UNDEFINED:
        return decoder_bad(&l->d, a->start, "attribute '%s' of node '%s' has neither a type nor a value",
                           out->name, node->name);
    default: {
        char why[128];
        snprintf(why, sizeof why, "has attribute type %" PRId64 ", which this plugin does not know", kind);
        return unsupported_attribute(l, node, a, why);
    }
    }
}

/** Collects a node's inputs (field NODE_INPUT) or outputs (NODE_OUTPUT) as arena strings. */
static const char **node_names(loader *l, const onnx_node *n, uint32_t field, size_t count)
{
    const char **names = arena_alloc(&l->scratch, (count > 0 ? count : 1) * sizeof *names);
    if (names == NULL) {
        decoder_fail(&l->d, TSR_ERR_OUT_OF_MEMORY, "out of memory reading a node with %zu names", count);
        return NULL;
    }
    pb_reader r = n->message;
    pb_field f;
    size_t at = 0;
    while (at < count && pb_next(&l->d, &r, &f) > 0) {
        if (f.number != field) continue;
        names[at] = scratch_string(l, f.bytes);
        if (names[at] == NULL) return NULL;
        at++;
    }
    return at == count ? names : NULL;
}

static int add_node(loader *l, size_t index, pb_slice message)
{
    onnx_node n;
    arena_clear(&l->scratch);
    if (!decode_node(&l->d, message, l->g.depth + 1, &n)) return 0;
    if (n.op_type.size == 0) return decoder_bad(&l->d, n.start, "node %zu has no op_type", index);
    node_context node = {NULL, NULL, NULL};
    char *op_type = scratch_string(l, n.op_type);
    char *name;
    if (op_type == NULL) return 0;
    if (n.name.size > 0) {
        name = scratch_string(l, n.name);
    } else {
        size_t size = n.op_type.size + 24;
        name = arena_alloc(&l->scratch, size);
        if (name != NULL) snprintf(name, size, "%s_%zu", op_type, index);
        else decoder_fail(&l->d, TSR_ERR_OUT_OF_MEMORY, "out of memory naming node %zu", index);
    }
    if (name == NULL) return 0;
    node.name = name;
    node.op_type = op_type;
    if (n.domain.size > 0 && !slice_equals(n.domain, "ai.onnx")) {
        return decoder_fail(&l->d, TSR_ERR_UNSUPPORTED,
                            "node '%s' (%s) is in domain '%.*s'; only the default ONNX domain ('' or 'ai.onnx') is supported",
                            name, op_type, slice_print_length(n.domain), (const char *)n.domain.data);
    }
    const char **inputs = node_names(l, &n, NODE_INPUT, n.input_count);
    const char **outputs = inputs ? node_names(l, &n, NODE_OUTPUT, n.output_count) : NULL;
    if (outputs == NULL) return 0;
    size_t output_count = n.output_count;
    while (output_count > 0 && outputs[output_count - 1][0] == '\0') output_count--; /* omitted optional outputs */
    if (output_count == 0) {
        return decoder_bad(&l->d, n.start, "node '%s' (%s) has no outputs", name, op_type);
    }

    tsr_attribute *attributes = arena_alloc(&l->scratch, (n.attribute_count > 0 ? n.attribute_count : 1) * sizeof *attributes);
    if (attributes == NULL) return decoder_fail(&l->d, TSR_ERR_OUT_OF_MEMORY, "out of memory reading node '%s'", name);
    size_t attribute_count = 0;
    pb_slice constant_value = {NULL, 0};
    int has_constant_value = 0;
    pb_reader r = n.message;
    pb_field f;
    int more;
    while ((more = pb_next(&l->d, &r, &f)) > 0) {
        if (f.number != NODE_ATTRIBUTE) continue;
        onnx_attribute a;
        int skip;
        if (!decode_attribute(&l->d, f.bytes, r.depth + 1, &a)) return 0;
        if (!attribute_make(l, &node, &a, &attributes[attribute_count], &skip, &constant_value, &has_constant_value)) return 0;
        if (!skip) attribute_count++;
    }
    if (more < 0) return 0;

    if (has_constant_value) {
        /* A Constant holding a tensor becomes an initializer named after its output. */
        if (attribute_count > 0) {
            return decoder_bad(&l->d, n.start, "node '%s' (Constant) sets 'value' and '%s'; exactly one value is allowed",
                               name, attributes[0].name);
        }
        if (n.output_count != 1 || outputs[0][0] == '\0') {
            return decoder_bad(&l->d, n.start, "node '%s' (Constant) must have exactly one named output", name);
        }
        onnx_tensor t;
        tensor_data td;
        char label[300];
        snprintf(label, sizeof label, "the value of node '%s' (Constant)", name);
        if (!decode_tensor(&l->d, constant_value, r.depth + 2, &t) || !tensor_data_make(l, &t, label, &td)) return 0;
        if (!add_initializer(l, outputs[0], &td)) return 0;
        l->constants_folded++;
        return 1;
    }
    /*
     * ConstantOfShape: Tessera's attribute is a number, and the engine fills FP32 for a float and
     * INT64 for an int. When the ONNX value had another type (BOOL, INT32, FLOAT16, DOUBLE ...),
     * the node fills into "<output>:tessera_fill" and a Cast node restores the ONNX type under the
     * original output name, so consumers see the type the model declares.
     */
    const onnx_dtype *fill = node.fill_type;
    int cast_back = fill != NULL && fill->dtype != TSR_DTYPE_FP32 && fill->dtype != TSR_DTYPE_INT64 && output_count == 1;
    const char *original_output = outputs[0];
    if (cast_back) {
        outputs[0] = scratch_concat(l, original_output, ":tessera_fill");
        if (outputs[0] == NULL) return 0;
    }
    int added = l->opset < TESSERA_ONNX_CURRENT_OPSET
                    ? add_node_at_old_opset(l, &node, inputs, n.input_count, outputs, output_count, attributes, attribute_count)
                    : add_graph_node(l, op_type, name, inputs, n.input_count, outputs, output_count, attributes, attribute_count);
    if (!added) return 0;
    if (cast_back) {
        char *cast_name = scratch_concat(l, name, "_to_");
        if (cast_name != NULL) cast_name = scratch_concat(l, cast_name, fill->name);
        if (cast_name == NULL) return 0;
        tsr_attribute to = tsp_attr_int("to", fill->code);
        if (!add_graph_node(l, "Cast", cast_name, &outputs[0], 1, &original_output, 1, &to, 1)) return 0;
        l->casts_added++;
    }
    return 1;
}

static int add_nodes(loader *l)
{
    for (size_t i = 0; i < l->g.nodes.count; i++) {
        if (!add_node(l, i, l->g.nodes.items[i])) return 0;
    }
    return 1;
}

#endif /* TESSERA_ONNX_LOADER_H */
