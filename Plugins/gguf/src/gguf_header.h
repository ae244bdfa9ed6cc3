/*
 * gguf_header.h — reads the header of a GGUF file: the fixed fields, the metadata key/values
 * and the tensor infos, with every count, length and type checked against the bytes that hold
 * it before it is used.
 *
 * Layout (all integers little-endian; a string is a uint64 byte length and that many bytes):
 *     uint32 magic "GGUF", uint32 version, uint64 tensor_count, uint64 metadata_kv_count,
 *     metadata_kv_count × { string key, uint32 value_type, value },
 *     tensor_count × { string name, uint32 n_dims, n_dims × uint64 dim (innermost first),
 *                      uint32 ggml_type, uint64 offset (relative to the data section) },
 *     padding to general.alignment, the data section.
 * A value is a scalar, a string, or an array: uint32 element type, uint64 count, the elements
 * (an element that is itself an array carries its own type and count).
 *
 * Private to gguf.c, which includes it exactly once (all definitions are static).
 */
#ifndef TESSERA_GGUF_HEADER_H
#define TESSERA_GGUF_HEADER_H

#include "gguf_support.h"

/* ------------------------------------------------------------------------------------------ */
/* The cursor: bounded reads and where errors go                                              */
/* ------------------------------------------------------------------------------------------ */

/** A run of bytes inside the mapping; never NUL-terminated. */
typedef struct gguf_string {
    const unsigned char *data;
    uint64_t length;
} gguf_string;

/** Reads the mapping front to back; every read is checked against `size`. */
typedef struct gguf_cursor {
    const tsr_host_api *api;
    const char *path;            /**< the file, named by every message */
    const unsigned char *base;
    uint64_t size;
    uint64_t pos;
    tsr_status *status;          /**< the first error; NULL while all is well */
} gguf_cursor;

/** Names shown in messages are cut to this many bytes. */
#define SHOWN_NAME 200

static int cursor_fail(gguf_cursor *c, tsr_status_code code, const char *format, ...) __attribute__((format(printf, 3, 4)));

/** Records an error "gguf: '<path>': <message>" (the first one wins); returns 0. */
static int cursor_fail(gguf_cursor *c, tsr_status_code code, const char *format, ...)
{
    if (c->status != NULL) return 0;
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    c->status = tsp_fail(c->api, code, PLUGIN_NAME, "'%s': %s", c->path, message);
    return 0;
}

/** Checks that `count` more bytes are there for `what`; 0 (and a status) when the file ends first. */
static int cursor_need(gguf_cursor *c, uint64_t count, const char *what)
{
    uint64_t left = c->size - c->pos;
    if (count <= left) return 1;
    return cursor_fail(c, TSR_ERR_CORRUPT_DATA,
                       "%s at byte %" PRIu64 " needs %" PRIu64 " bytes, but the file ends %" PRIu64
                       " bytes later; the file is truncated or corrupt",
                       what, c->pos, count, left);
}

static int cursor_u32(gguf_cursor *c, const char *what, uint32_t *out)
{
    if (!cursor_need(c, 4, what)) return 0;
    *out = tsp_read_le32(c->base + c->pos);
    c->pos += 4;
    return 1;
}

static int cursor_u64(gguf_cursor *c, const char *what, uint64_t *out)
{
    if (!cursor_need(c, 8, what)) return 0;
    *out = tsp_read_le64(c->base + c->pos);
    c->pos += 8;
    return 1;
}

/** Reads a string (uint64 length + bytes) without copying it. */
static int cursor_string(gguf_cursor *c, const char *what, gguf_string *out)
{
    uint64_t length;
    if (!cursor_u64(c, what, &length)) return 0;
    if (!cursor_need(c, length, what)) return 0;
    out->data = c->base + c->pos;
    out->length = length;
    c->pos += length;
    return 1;
}

/**
 * Checks that a key or tensor name is non-empty UTF-8 without NUL bytes, so it can be shown in
 * messages and passed to the host as a C string. `what` is "metadata key 3" or "tensor 7".
 */
static int check_name(gguf_cursor *c, const gguf_string *name, const char *what, uint64_t at)
{
    if (name->length == 0) return cursor_fail(c, TSR_ERR_CORRUPT_DATA, "the name of %s (byte %" PRIu64 ") is empty", what, at);
    /* The name lies inside the mapping, so its length fits a size_t. */
    size_t bad = tsp_utf8_invalid_offset(name->data, (size_t)name->length, TSP_UTF8_REJECT_NUL);
    if (bad < name->length) {
        return cursor_fail(c, TSR_ERR_CORRUPT_DATA, "the name of %s (byte %" PRIu64 ") %s (at its byte %zu)", what, at,
                           tsp_utf8_problem(name->data, bad), bad);
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Metadata                                                                                   */
/* ------------------------------------------------------------------------------------------ */

typedef struct gguf_key {
    gguf_string name;
    uint64_t offset; /**< where its entry starts, for messages */
} gguf_key;

/** What load() keeps of the metadata: the keys (to find duplicates) and the few values it uses. */
typedef struct gguf_metadata {
    gguf_key *keys;
    uint64_t count;
    uint64_t alignment;        /**< general.alignment, or TESSERA_GGUF_DEFAULT_ALIGNMENT */
    gguf_string architecture;  /**< general.architecture when it is a string; length 0 otherwise */
    gguf_string name;          /**< general.name when it is a string */
} gguf_metadata;

static int key_is(const gguf_key *key, const char *name)
{
    size_t length = strlen(name);
    return key->name.length == length && memcmp(key->name.data, name, length) == 0;
}

static int value_fail(gguf_cursor *c, const gguf_key *key, tsr_status_code code, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/** Records an error about the value of `key`: "metadata 'k' (byte N): <message>"; returns 0. */
static int value_fail(gguf_cursor *c, const gguf_key *key, tsr_status_code code, const char *format, ...)
{
    if (c->status != NULL) return 0;
    char message[768];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    return cursor_fail(c, code, "metadata '%.*s' (entry at byte %" PRIu64 "): %s",
                       shown_length(key->name.data, key->name.length, SHOWN_NAME), (const char *)key->name.data,
                       key->offset, message);
}

/** Reads the element type and count of an array value and checks the count against the bytes left. */
static int array_header(gguf_cursor *c, const gguf_key *key, uint32_t *type, uint64_t *count)
{
    if (!cursor_u32(c, "the element type of a metadata array", type)) return 0;
    if (!cursor_u64(c, "the length of a metadata array", count)) return 0;
    if (*type >= GGUF_VALUE_TYPE_COUNT) {
        return value_fail(c, key, TSR_ERR_CORRUPT_DATA,
                          "an array's element type is %" PRIu32 ", which GGUF does not define (0 to 12)", *type);
    }
    /* The smallest element: a scalar's size, a string's length field, an array's type and count. */
    uint64_t smallest = *type == GGUF_STRING ? 8 : *type == GGUF_ARRAY ? 12 : k_value_type_sizes[*type];
    uint64_t left = c->size - c->pos;
    if (*count > left / smallest) {
        return value_fail(c, key, TSR_ERR_CORRUPT_DATA,
                          "an array of %" PRIu64 " %s elements at byte %" PRIu64 " needs at least %" PRIu64
                          " bytes per element, but only %" PRIu64 " bytes are left in the file; the file is truncated or corrupt",
                          *count, k_value_type_names[*type], c->pos, smallest, left);
    }
    return 1;
}

/** Checks `count` BOOL bytes at the cursor: each must be 0 or 1. */
static int check_bools(gguf_cursor *c, const gguf_key *key, uint64_t count)
{
    for (uint64_t i = 0; i < count; i++) {
        unsigned char b = c->base[c->pos + i];
        if (b > 1) {
            return value_fail(c, key, TSR_ERR_CORRUPT_DATA, "a BOOL at byte %" PRIu64 " is %u; it must be 0 or 1",
                              c->pos + i, (unsigned)b);
        }
    }
    return 1;
}

/**
 * Walks one value of type `type` (checked by the caller to be < GGUF_VALUE_TYPE_COUNT).
 * `depth` is the array nesting so far: the recursion is bounded by
 * TESSERA_GGUF_MAX_ARRAY_DEPTH, and every iteration consumes bytes, so a hostile count can
 * neither exhaust the stack nor loop longer than the file is.
 */
static int skip_value(gguf_cursor *c, const gguf_key *key, uint32_t type, unsigned depth)
{
    if (type == GGUF_STRING) {
        gguf_string ignored;
        return cursor_string(c, "a metadata string", &ignored);
    }
    if (type != GGUF_ARRAY) {
        uint64_t size = k_value_type_sizes[type];
        if (!cursor_need(c, size, "a metadata value")) return 0;
        if (type == GGUF_BOOL && !check_bools(c, key, 1)) return 0;
        c->pos += size;
        return 1;
    }
    if (depth >= TESSERA_GGUF_MAX_ARRAY_DEPTH) {
        return value_fail(c, key, TSR_ERR_UNSUPPORTED, "arrays are nested more than %d deep at byte %" PRIu64,
                          TESSERA_GGUF_MAX_ARRAY_DEPTH, c->pos);
    }
    uint32_t element;
    uint64_t count;
    if (!array_header(c, key, &element, &count)) return 0;
    if (element != GGUF_STRING && element != GGUF_ARRAY) {
        uint64_t bytes = count * k_value_type_sizes[element]; /* no overflow: array_header bounded count */
        if (element == GGUF_BOOL && !check_bools(c, key, count)) return 0;
        c->pos += bytes;
        return 1;
    }
    for (uint64_t i = 0; i < count; i++) {
        if (!skip_value(c, key, element, depth + 1)) return 0;
    }
    return 1;
}

static int compare_keys(const void *a, const void *b)
{
    const gguf_key *x = a, *y = b;
    uint64_t common = x->name.length < y->name.length ? x->name.length : y->name.length;
    int order = memcmp(x->name.data, y->name.data, (size_t)common);
    if (order != 0) return order;
    if (x->name.length != y->name.length) return x->name.length < y->name.length ? -1 : 1;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

/** Reads `count` key/value pairs at the cursor into `meta` (which owns `keys` afterwards). */
static int read_metadata(gguf_cursor *c, uint64_t count, gguf_metadata *meta)
{
    meta->alignment = TESSERA_GGUF_DEFAULT_ALIGNMENT;
    /* Each pair takes at least 14 bytes: key length 8, a 1-byte key, type 4, a 1-byte value. */
    uint64_t left = c->size - c->pos;
    if (count > left / 14) {
        return cursor_fail(c, TSR_ERR_CORRUPT_DATA,
                           "the header declares %" PRIu64 " metadata entries, but the %" PRIu64
                           " bytes left in the file can hold at most %" PRIu64 "; the file is truncated or corrupt",
                           count, left, left / 14);
    }
    if (count == 0) return 1;
    meta->keys = malloc((size_t)count * sizeof *meta->keys);
    if (meta->keys == NULL) return cursor_fail(c, TSR_ERR_OUT_OF_MEMORY, "out of memory reading %" PRIu64 " metadata entries", count);
    for (uint64_t i = 0; i < count; i++) {
        gguf_key *key = &meta->keys[i];
        key->offset = c->pos;
        char what[64];
        snprintf(what, sizeof what, "metadata key %" PRIu64, i);
        if (!cursor_string(c, what, &key->name)) return 0;
        meta->count = i + 1;
        if (!check_name(c, &key->name, what, key->offset)) return 0;
        uint32_t type;
        if (!cursor_u32(c, "the type of a metadata value", &type)) return 0;
        if (type >= GGUF_VALUE_TYPE_COUNT) {
            return value_fail(c, key, TSR_ERR_CORRUPT_DATA, "its value type is %" PRIu32 ", which GGUF does not define (0 to 12)",
                              type);
        }
        uint64_t value_at = c->pos;
        if (!skip_value(c, key, type, 0)) return 0;
        if (key_is(key, "general.alignment")) {
            if (type != GGUF_UINT32) {
                return value_fail(c, key, TSR_ERR_CORRUPT_DATA, "it must be a UINT32, but it is a %s", k_value_type_names[type]);
            }
            uint32_t alignment = tsp_read_le32(c->base + value_at);
            if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
                return value_fail(c, key, TSR_ERR_CORRUPT_DATA, "it is %" PRIu32 "; it must be a power of two", alignment);
            }
            meta->alignment = alignment;
        } else if (key_is(key, "general.architecture") && type == GGUF_STRING) {
            meta->architecture.data = c->base + value_at + 8;
            meta->architecture.length = c->pos - value_at - 8;
        } else if (key_is(key, "general.name") && type == GGUF_STRING) {
            meta->name.data = c->base + value_at + 8;
            meta->name.length = c->pos - value_at - 8;
        }
    }
    gguf_key *sorted = malloc((size_t)count * sizeof *sorted);
    if (sorted == NULL) return cursor_fail(c, TSR_ERR_OUT_OF_MEMORY, "out of memory checking %" PRIu64 " metadata keys", count);
    memcpy(sorted, meta->keys, (size_t)count * sizeof *sorted);
    qsort(sorted, (size_t)count, sizeof *sorted, compare_keys);
    int ok = 1;
    for (uint64_t i = 1; i < count && ok; i++) {
        const gguf_key *a = &sorted[i - 1], *b = &sorted[i];
        if (a->name.length == b->name.length && memcmp(a->name.data, b->name.data, (size_t)a->name.length) == 0) {
            ok = cursor_fail(c, TSR_ERR_CORRUPT_DATA, "metadata key '%.*s' appears twice (entries at bytes %" PRIu64 " and %" PRIu64 ")",
                             shown_length(a->name.data, a->name.length, SHOWN_NAME), (const char *)a->name.data, a->offset,
                             b->offset);
        }
    }
    free(sorted);
    return ok;
}

/* ------------------------------------------------------------------------------------------ */
/* Tensor infos                                                                               */
/* ------------------------------------------------------------------------------------------ */

/** One tensor as its info describes it, and what the layout checks derive from it. */
typedef struct gguf_tensor {
    gguf_string name;            /**< non-empty UTF-8 without NUL (checked) */
    uint32_t ndim;               /**< at most TESSERA_GGUF_MAX_DIMS */
    uint64_t dims[TESSERA_GGUF_MAX_DIMS]; /**< as in the file: innermost first */
    uint32_t type_id;
    const ggml_type_info *type;  /**< NULL for an id this plugin does not know */
    uint64_t offset;             /**< relative to the data section */
    uint64_t info_offset;        /**< where its info starts in the file, for messages */
    uint64_t elements;           /**< set by the layout checks */
    uint64_t bytes;              /**< set by the layout checks; 0 when the type's size is unknown */
} gguf_tensor;

/** Reads `count` tensor infos at the cursor into a malloc'ed array (*out, freed by the caller). */
static int read_tensor_infos(gguf_cursor *c, uint64_t count, gguf_tensor **out)
{
    *out = NULL;
    /* Each info takes at least 25 bytes: name length 8, a 1-byte name, n_dims 4, type 4, offset 8. */
    uint64_t left = c->size - c->pos;
    if (count > left / 25) {
        return cursor_fail(c, TSR_ERR_CORRUPT_DATA,
                           "the header declares %" PRIu64 " tensors, but the %" PRIu64
                           " bytes left in the file can hold at most %" PRIu64 " tensor infos; the file is truncated or corrupt",
                           count, left, left / 25);
    }
    if (count == 0) return 1;
    gguf_tensor *tensors = calloc((size_t)count, sizeof *tensors);
    if (tensors == NULL) return cursor_fail(c, TSR_ERR_OUT_OF_MEMORY, "out of memory reading %" PRIu64 " tensor infos", count);
    *out = tensors;
    for (uint64_t i = 0; i < count; i++) {
        gguf_tensor *t = &tensors[i];
        t->info_offset = c->pos;
        char what[64];
        snprintf(what, sizeof what, "tensor %" PRIu64, i);
        if (!cursor_string(c, what, &t->name) || !check_name(c, &t->name, what, t->info_offset)) return 0;
        int shown = shown_length(t->name.data, t->name.length, SHOWN_NAME);
        const char *name = (const char *)t->name.data;
        if (!cursor_u32(c, "a tensor's n_dims", &t->ndim)) return 0;
        if (t->ndim > TESSERA_GGUF_MAX_DIMS) {
            return cursor_fail(c, TSR_ERR_CORRUPT_DATA, "tensor '%.*s' (info at byte %" PRIu64 ") has %" PRIu32
                               " dimensions; GGUF allows at most %d", shown, name, t->info_offset, t->ndim,
                               TESSERA_GGUF_MAX_DIMS);
        }
        for (uint32_t d = 0; d < t->ndim; d++) {
            if (!cursor_u64(c, "a tensor dimension", &t->dims[d])) return 0;
            if (t->dims[d] > (uint64_t)INT64_MAX) {
                return cursor_fail(c, TSR_ERR_CORRUPT_DATA, "tensor '%.*s' (info at byte %" PRIu64 ") has dimension %" PRIu32
                                   " of %" PRIu64 ", more than a dimension can be", shown, name, t->info_offset, d, t->dims[d]);
            }
        }
        if (!cursor_u32(c, "a tensor's ggml type", &t->type_id)) return 0;
        t->type = ggml_type_by_id(t->type_id);
        if (!cursor_u64(c, "a tensor's data offset", &t->offset)) return 0;
    }
    return 1;
}

#endif /* TESSERA_GGUF_HEADER_H */
